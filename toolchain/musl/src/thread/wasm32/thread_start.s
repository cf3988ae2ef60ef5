# __wasmpod_thread_start(tls): the entry of a new thread, called by the
# host with __stack_pointer = the stack __clone prepared. It passes that
# stack pointer on, because C can't read __stack_pointer before its own
# frame is allocated.
	.globaltype	__stack_pointer, i32
	.functype	__wasmpod_thread_start_c (i32, i32) -> ()

	.section	.text.__wasmpod_thread_start,"",@
	.globl	__wasmpod_thread_start
	.type	__wasmpod_thread_start,@function
	.export_name	__wasmpod_thread_start, __wasmpod_thread_start
__wasmpod_thread_start:
	.functype	__wasmpod_thread_start (i32) -> ()
	local.get	0
	global.get	__stack_pointer
	call	__wasmpod_thread_start_c
	end_function
