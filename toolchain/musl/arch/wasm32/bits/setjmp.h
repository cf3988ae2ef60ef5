/* The wasm setjmp runtime (src/setjmp/wasm32) keeps the function
 * invocation id, the label and the longjmp argument here. */
typedef unsigned long __jmp_buf[8];
