// One worker's instance of kernel.wasm on the shared kernel memory, and the
// driver that runs a program thread against it (docs/browser-host.md).
// No DOM or Node APIs: the worker glue passes in hooks.

import { memoryImportLimits, trapSignal } from './module-info.js';

const ACTION_MASK = 0xff;
const ACTION_RETURN = 0;
const ACTION_RESTART = 1;
const ACTION_EXEC = 2;
const ACTION_EXIT_THREAD = 3;
const SIGNAL_PENDING = 1 << 8;
/** Status-block words (u32 index): Exec module/path, the module's cache key, a signal frame. */
const SLOT_EXEC_MODULE = 1;
const SLOT_EXEC_KEY = 5;
const SLOT_FRAME = 8;
/** Bytes of stack at the start of a worker's area (`wasmpod_area_stack_size`). */
const AREA_STACK = 1048576;

/**
 * A thread's state word (ARCHITECTURE §4): a worker is terminated only
 * while it runs guest code, never inside the kernel, where it could hold
 * the kernel lock. The worker flips USER→KERNEL around every kernel call;
 * the control worker flips USER→DEAD before it terminates the worker.
 */
export const THREAD_USER = 0;
export const THREAD_KERNEL = 1;
export const THREAD_DEAD = 2;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Thrown through guest frames to leave the program (ExitThread). */
export class ThreadExit extends Error {}

/** Thrown through guest frames when execve replaced the image. */
export class Exec extends Error {
  constructor(
    readonly bytes: Uint8Array<ArrayBuffer>,
    readonly path: string,
    readonly key: string | null,
  ) {
    super(`exec ${path}`);
  }
}

/** What the kernel asks of the worker glue (all with the kernel lock held: post, do not call back). */
export interface KernelHooks {
  startProcess(pid: number, tid: number, area: number, bytes: Uint8Array<ArrayBuffer>, path: string, key: string | null): void;
  startThread(pid: number, tid: number, area: number, stack: number, tls: number, args: bigint[]): void;
  killThread(tid: number): void;
  log(line: string): void;
}

export interface KernelExports {
  __stack_pointer: WebAssembly.Global;
  __tls_size: WebAssembly.Global;
  __tls_align: WebAssembly.Global;
  __wasm_init_tls(ptr: number): void;
  _initialize(): void;
  wasmpod_init(tlsSize: number, tlsAlign: number, trace: number): number;
  wasmpod_area_stack_size(): number;
  wasmpod_area_alloc(): number;
  wasmpod_area_free(area: number): void;
  wasmpod_thread_slot(): number;
  wasmpod_alloc(len: number): number;
  wasmpod_free(ptr: number, len: number): void;
  wasmpod_syscall(tid: number, nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): number;
  wasmpod_syscall_number(ptr: number, len: number): number;
  wasmpod_exec_release(): void;
  wasmpod_deliver_signal(tid: number, sp: number): number;
  wasmpod_host_syscall(tid: number, nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): number;
  wasmpod_host_pipe(dir: number): number;
  wasmpod_pipe_read(h: number, buf: number, len: number, block: number): number;
  wasmpod_pipe_write(h: number, buf: number, len: number, block: number): number;
  wasmpod_pipe_close(h: number): number;
  wasmpod_spawn_initial(
    path: number, pathLen: number, argv: number, argvLen: number, envp: number, envpLen: number,
    cwd: number, cwdLen: number, stdin: number, stdout: number, stderr: number,
  ): number;
  wasmpod_thread_trapped(tid: number, sig: number): void;
  wasmpod_thread_exited(tid: number): void;
  wasmpod_process_status(pid: number): number;
  wasmpod_host_events(): number;
  wasmpod_host_pty(): number;
  wasmpod_pty_read(h: number, buf: number, len: number, block: number): number;
  wasmpod_pty_write(h: number, buf: number, len: number, block: number): number;
  wasmpod_pty_resize(h: number, rows: number, cols: number): number;
  wasmpod_pty_close(h: number): number;
  wasmpod_spawn_on_pty(
    path: number, pathLen: number, argv: number, argvLen: number, envp: number, envpLen: number,
    cwd: number, cwdLen: number, pty: number,
  ): number;
  wasmpod_io_slot(): number;
  wasmpod_mount_root_image(sizeLo: number, sizeHi: number, chunkSize: number, persistent: number): number;
  wasmpod_mount_volume(pathPtr: number, pathLen: number, sizeLo: number, sizeHi: number, file: number, uid: number, gid: number, mode: number): number;
}

export interface KernelInstance {
  exports: KernelExports;
  memory: WebAssembly.Memory;
  /** u32 index of this instance's status block in kernel memory. */
  slot: number;
  setUserMemory(m: WebAssembly.Memory | null): void;
  /** Copies bytes (or a string as UTF-8) into a new kernel buffer: [ptr, len]. */
  put(bytes: Uint8Array | string): [number, number];
  bytes(): Uint8Array;
  /** Reads the 4 u64 cache key at `ptr` as a string ("dev:ino:mtime:size"). */
  readKey(ptr: number): string | null;
}

export interface KernelOptions {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** The instance that initialises the kernel (keeps the linker's stack and static TLS). */
  first: boolean;
  /** Otherwise: this worker's stack+TLS area (`wasmpod_area_alloc`). */
  area?: number;
  hooks: KernelHooks;
  /** The pod's boot time (ms since the epoch), the same in every worker: CLOCK_MONOTONIC agrees. */
  origin: number;
}

/** Instantiates kernel.wasm on the shared kernel memory. */
export async function instantiateKernel(o: KernelOptions): Promise<KernelInstance> {
  const { memory, hooks, origin } = o;
  let user: WebAssembly.Memory | null = null;
  const kbytes = () => new Uint8Array(memory.buffer);
  const kview = () => new DataView(memory.buffer);
  const nowMs = () => performance.timeOrigin + performance.now();
  const readKey = (ptr: number): string | null => {
    if (!ptr) return null;
    const v = kview();
    const parts: string[] = [];
    for (let i = 0; i < 4; i++) parts.push(v.getBigUint64(ptr + 8 * i, true).toString());
    return parts.join(':');
  };

  const wasmpod = {
    host_now(clock: number): bigint {
      const ms = clock === 0 ? nowMs() : Math.max(0, nowMs() - origin);
      return BigInt(Math.round(ms * 1e6));
    },
    host_random(ptr: number, len: number): void {
      // getRandomValues refuses views of shared memory: fill a copy.
      const tmp = new Uint8Array(len);
      for (let off = 0; off < len; off += 65536) crypto.getRandomValues(tmp.subarray(off, Math.min(len, off + 65536)));
      kbytes().set(tmp, ptr);
    },
    host_start_process(pid: number, tid: number, area: number, mod: number, modLen: number, path: number, pathLen: number, keyPtr?: number): void {
      const bytes = kbytes().slice(mod, mod + modLen);
      const p = dec.decode(kbytes().slice(path, path + pathLen));
      hooks.startProcess(pid, tid, area, bytes, p, readKey(keyPtr ?? 0));
    },
    host_start_thread(pid: number, tid: number, area: number, stack: number, tls: number, argsPtr: number): void {
      const v = kview();
      const args: bigint[] = [];
      for (let i = 0; i < 6; i++) args.push(v.getBigUint64(argsPtr + 8 * i, true));
      hooks.startThread(pid, tid, area, stack, tls, args);
    },
    host_kill_thread(tid: number): void {
      hooks.killThread(tid);
    },
    host_log(ptr: number, len: number): void {
      hooks.log(dec.decode(kbytes().slice(ptr, ptr + len)));
    },
    // The io slot's wait and wake (docs/browser-host.md, "Root image and
    // the io worker"): memory.atomic.wait32 / notify on kernel memory.
    host_atomic_wait32(ptr: number, expected: number): number {
      return ['ok', 'not-equal', 'timed-out'].indexOf(Atomics.wait(new Int32Array(memory.buffer), ptr >>> 2, expected));
    },
    host_atomic_notify(ptr: number, count: number): number {
      return Atomics.notify(new Int32Array(memory.buffer), ptr >>> 2, count);
    },
    copy_from_user(dst: number, src: number, len: number): number {
      if (!user || src + len > user.buffer.byteLength) return 1;
      kbytes().set(new Uint8Array(user.buffer, src, len), dst);
      return 0;
    },
    copy_to_user(dst: number, src: number, len: number): number {
      if (!user || dst + len > user.buffer.byteLength) return 1;
      new Uint8Array(user.buffer, dst, len).set(kbytes().subarray(src, src + len));
      return 0;
    },
    user_pages(): number {
      return user ? user.buffer.byteLength / 65536 : 0;
    },
    user_grow_to(pages: number): number {
      if (!user) return 1;
      const cur = user.buffer.byteLength / 65536;
      if (pages <= cur) return 0;
      try {
        user.grow(pages - cur);
        return 0;
      } catch {
        return 1;
      }
    },
  };

  // What Rust's std for wasm32-wasip1-threads imports (docs/browser-host.md).
  const wasi = {
    clock_time_get(id: number, _precision: bigint, out: number): number {
      kview().setBigUint64(out, wasmpod.host_now(id === 0 ? 0 : 1), true);
      return 0;
    },
    random_get(ptr: number, len: number): number {
      wasmpod.host_random(ptr, len);
      return 0;
    },
    environ_sizes_get(countPtr: number, sizePtr: number): number {
      kview().setUint32(countPtr, 0, true);
      kview().setUint32(sizePtr, 0, true);
      return 0;
    },
    environ_get(): number {
      return 0;
    },
    fd_write(fd: number, iovs: number, n: number, nwritten: number): number {
      const v = kview();
      let total = 0;
      let text = '';
      for (let i = 0; i < n; i++) {
        const p = v.getUint32(iovs + 8 * i, true);
        const l = v.getUint32(iovs + 8 * i + 4, true);
        text += dec.decode(kbytes().slice(p, p + l));
        total += l;
      }
      hooks.log(`kernel fd ${fd}: ${text}`);
      v.setUint32(nwritten, total, true);
      return 0;
    },
    proc_exit(code: number): never {
      throw new Error(`kernel.wasm called proc_exit(${code}) (a kernel panic)`);
    },
    sched_yield(): number {
      return 0;
    },
  };

  const instance = await WebAssembly.instantiate(o.module, { env: { memory }, wasmpod, wasi_snapshot_preview1: wasi });
  const k = instance.exports as unknown as KernelExports;
  if (o.first) {
    k._initialize();
  } else {
    if (!o.area) throw new Error('a kernel instance after the first needs a stack/TLS area');
    // Before any Rust code runs on this instance: its own stack and TLS.
    const top = o.area + AREA_STACK;
    k.__stack_pointer.value = top;
    k.__wasm_init_tls(top);
    if (k.wasmpod_area_stack_size() !== AREA_STACK) throw new Error('kernel.wasm area layout changed');
  }
  return {
    exports: k,
    memory,
    slot: k.wasmpod_thread_slot() >>> 2,
    setUserMemory(m) {
      user = m;
    },
    put(data) {
      const bytes = typeof data === 'string' ? enc.encode(data) : data;
      const ptr = k.wasmpod_alloc(Math.max(1, bytes.length));
      if (!ptr) throw new Error('kernel out of memory');
      kbytes().set(bytes, ptr);
      return [ptr, bytes.length];
    },
    bytes: kbytes,
    readKey,
  };
}

/** How a thread starts: a process's main thread, or a clone on the process's memory. */
export type ThreadEntry = { kind: 'process' } | { kind: 'thread'; stack: number; tls: number };

export interface RunThreadOptions {
  tid: number;
  /** The compiled program (for a clone: the process's module). */
  module: WebAssembly.Module;
  /** For a process: the module bytes' memory limits come from `limits`; for a clone: the process's memory. */
  memory?: WebAssembly.Memory;
  limits?: { initial: number; maximum?: number };
  entry: ThreadEntry;
  /** This thread's state word (THREAD_USER/KERNEL/DEAD), shared with the control worker. */
  state: Int32Array;
  log(line: string): void;
  /** A process image is instantiated (its module and memory, for later clones). */
  onImage?(module: WebAssembly.Module, memory: WebAssembly.Memory): void;
  /** Compiles an execve'd image (the glue shares modules by cache key). */
  compile(bytes: Uint8Array<ArrayBuffer>, key: string | null): Promise<WebAssembly.Module>;
}

/** Runs one program thread on this worker until it ends; tells the kernel itself (trapped/exited). */
export async function runThread(kernel: KernelInstance, o: RunThreadOptions): Promise<void> {
  const k = kernel.exports;
  const { tid, state } = o;
  const slot = kernel.slot;
  // The status block was allocated before this view was made, so the view
  // covers it even after the kernel memory grows (views keep their length).
  const words = new Int32Array(kernel.memory.buffer);
  let module = o.module;
  let memory = o.memory;
  let entry = o.entry;
  let limits = o.limits;

  // Enter the kernel only from USER; a DEAD thread waits to be terminated.
  const enter = () => {
    if (Atomics.compareExchange(state, 0, THREAD_USER, THREAD_KERNEL) !== THREAD_USER) {
      for (;;) Atomics.wait(state, 0, THREAD_DEAD);
    }
  };
  const leave = () => Atomics.store(state, 0, THREAD_USER);

  for (;;) {
    if (entry.kind === 'process') {
      if (!limits) throw new Error('a process needs its memory limits');
      memory = new WebAssembly.Memory({ initial: limits.initial, maximum: limits.maximum ?? 16384, shared: true });
    }
    if (!memory) throw new Error('a thread needs its process memory');
    const mem = memory;
    kernel.setUserMemory(mem);
    let inst: WebAssembly.Instance | null = null;
    const guest = () => inst!.exports as unknown as {
      __stack_pointer: WebAssembly.Global;
      __wasmpod_sigtramp(handler: number, sig: number, siginfo: number, ucontext: number, flags: number): void;
    };

    const deliver = () => {
      for (;;) {
        const sp = guest().__stack_pointer;
        enter();
        const d = k.wasmpod_deliver_signal(tid, sp.value as number);
        leave();
        if (d === 0) return;
        if (d === 2) throw new ThreadExit();
        const f = new Uint32Array(kernel.memory.buffer, (slot + SLOT_FRAME) * 4, 6);
        const [handler, sig, flags, siginfo, ucontext, frameSp] = f;
        const saved = sp.value;
        sp.value = frameSp;
        try {
          guest().__wasmpod_sigtramp(handler, sig, siginfo, ucontext, flags);
        } finally {
          sp.value = saved;
        }
      }
    };
    const sys = (nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): number => {
      for (;;) {
        enter();
        const v = k.wasmpod_syscall(tid, nr, a0, a1, a2, a3, a4, a5);
        leave();
        const st = words[slot];
        if (st === 0) return v;
        const action = st & ACTION_MASK;
        if (action === ACTION_EXEC) {
          const s = new Uint32Array(kernel.memory.buffer, (slot + SLOT_EXEC_MODULE) * 4, 5);
          const bytes = kernel.bytes().slice(s[0], s[0] + s[1]);
          const path = dec.decode(kernel.bytes().slice(s[2], s[2] + s[3]));
          const key = kernel.readKey(words[slot + SLOT_EXEC_KEY] >>> 0);
          k.wasmpod_exec_release();
          throw new Exec(bytes, path, key);
        }
        if (action === ACTION_EXIT_THREAD) throw new ThreadExit();
        if (st & SIGNAL_PENDING) deliver();
        if (action === ACTION_RETURN) return v;
        if (action !== ACTION_RESTART) throw new Error(`bad syscall status ${st}`);
      }
    };

    const env: WebAssembly.ModuleImports = { memory: mem };
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.module !== 'env' || imp.kind !== 'function') continue;
      if (imp.name === '__syscall') {
        env.__syscall = (nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) =>
          sys(nr >>> 0, a0, a1, a2, a3, a4, a5);
      } else if (imp.name.startsWith('__syscall_')) {
        const [p, l] = kernel.put(imp.name.slice('__syscall_'.length));
        const nr = k.wasmpod_syscall_number(p, l);
        k.wasmpod_free(p, l);
        if (nr < 0) throw new Error(`unknown system call import ${imp.name}`);
        env[imp.name] = (a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => sys(nr, a0, a1, a2, a3, a4, a5);
      }
    }
    try {
      inst = await WebAssembly.instantiate(module, { env });
      if (entry.kind === 'process') {
        o.onImage?.(module, mem);
        (inst.exports._start as () => void)();
      } else {
        const start = inst.exports.__wasmpod_thread_start as ((tls: number) => void) | undefined;
        if (!start) throw new WebAssembly.RuntimeError('no __wasmpod_thread_start');
        guest().__stack_pointer.value = entry.stack;
        start(entry.tls);
      }
    } catch (e) {
      let trap = 0;
      if (e instanceof Exec) {
        const lim = memoryImportLimits(e.bytes);
        if (lim && lim.shared) {
          module = await o.compile(e.bytes, e.key);
          limits = lim;
          entry = { kind: 'process' };
          continue;
        }
        // The kernel checked the magic; a module without a shared memory import can't run.
        o.log(`wasmpod: tid ${tid}: ${e.path}: no shared env.memory import`);
        trap = trapSignal(null);
      } else if (!(e instanceof ThreadExit)) {
        o.log(e instanceof WebAssembly.RuntimeError ? `wasmpod: tid ${tid}: ${e.message}` : `wasmpod: tid ${tid}: host error: ${(e as Error)?.stack ?? e}`);
        trap = trapSignal(e);
      }
      if (trap) {
        enter();
        k.wasmpod_thread_trapped(tid, trap);
        leave();
      }
    }
    enter();
    k.wasmpod_thread_exited(tid);
    return;
  }
}
