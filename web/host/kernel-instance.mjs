// One worker's instance of kernel.wasm on the shared kernel memory, and the
// program driver: how the browser host runs a program thread against it
// (docs/browser-host.md). Plain ES module, no Node-specific APIs: the
// caller supplies `post(message)` to reach the worker's owner.

const ACTION_MASK = 0xff;
const ACTION_RETURN = 0;
const ACTION_RESTART = 1;
const ACTION_EXEC = 2;
const ACTION_EXIT_THREAD = 3;
const SIGNAL_PENDING = 1 << 8;
const SLOT_EXEC_MODULE = 1;
const SLOT_EXEC_KEY = 5;
const SLOT_FRAME = 8;

const SIGILL = 4;
const SIGFPE = 8;
const SIGSEGV = 11;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Thrown through guest frames to leave the program (ExitThread). */
export class ThreadExit extends Error {}
/** Thrown through guest frames when execve replaced the image. */
export class Exec extends Error {
  constructor(module, path, key) {
    super(`exec ${path}`);
    this.module = module;
    this.path = path;
    this.key = key;
  }
}

/**
 * The module cache key at `ptr` in kernel memory (four little-endian u64:
 * device, inode, mtime in ns, size; docs/browser-host.md) as a string:
 * equal keys mean equal module bytes.
 */
export function cacheKey(memory, ptr) {
  const v = new DataView(memory.buffer, ptr, 32);
  return [0, 8, 16, 24].map((o) => v.getBigUint64(o, true).toString()).join(':');
}

/**
 * Instantiates kernel.wasm on `memory`.
 * - `first`: this is the instance that initialises the kernel (it keeps the
 *   linker's stack and static TLS and runs `_initialize`).
 * - otherwise `area` is this worker's stack+TLS area (from
 *   `wasmpod_area_alloc` or a start message).
 * - `hooks`: { startProcess(pid, tid, area, moduleBytes, path, key),
 *   startThread(pid, tid, area, stack, tls, args), killThread(tid),
 *   log(line) }.
 * - `origin`: the pod's boot time (ms, `performance.timeOrigin`-based),
 *   shared by all workers so CLOCK_MONOTONIC agrees between them.
 */
export async function instantiateKernel({ module, memory, first, area, hooks, origin }) {
  let user = null; // the calling worker's program memory
  let kernel = null;
  const kbytes = () => new Uint8Array(memory.buffer);
  const kview = () => new DataView(memory.buffer);
  const nowMs = () => performance.timeOrigin + performance.now();

  const wasmpod = {
    host_now(clock) {
      const ms = clock === 0 ? nowMs() : Math.max(0, nowMs() - origin);
      return BigInt(Math.round(ms * 1e6));
    },
    host_random(ptr, len) {
      const tmp = new Uint8Array(len);
      for (let off = 0; off < len; off += 65536) {
        crypto.getRandomValues(tmp.subarray(off, Math.min(len, off + 65536)));
      }
      kbytes().set(tmp, ptr);
    },
    host_start_process(pid, tid, area, mod, modLen, path, pathLen, keyPtr) {
      const bytes = kbytes().slice(mod, mod + modLen);
      const p = dec.decode(kbytes().slice(path, path + pathLen));
      hooks.startProcess(pid, tid, area, bytes, p, cacheKey(memory, keyPtr));
    },
    host_start_thread(pid, tid, area, stack, tls, argsPtr) {
      const v = kview();
      const args = [];
      for (let i = 0; i < 6; i++) args.push(v.getBigUint64(argsPtr + 8 * i, true));
      hooks.startThread(pid, tid, area, stack, tls, args);
    },
    host_kill_thread(tid) {
      hooks.killThread(tid);
    },
    host_log(ptr, len) {
      hooks.log(dec.decode(kbytes().slice(ptr, ptr + len)));
    },
    // The io slot's wait and wake (docs/browser-host.md, "Root image and
    // the io worker"): memory.atomic.wait32 / notify on kernel memory.
    host_atomic_wait32(ptr, expected) {
      return ['ok', 'not-equal', 'timed-out'].indexOf(Atomics.wait(new Int32Array(memory.buffer), ptr >>> 2, expected));
    },
    host_atomic_notify(ptr, count) {
      return Atomics.notify(new Int32Array(memory.buffer), ptr >>> 2, count);
    },
    copy_from_user(dst, src, len) {
      if (!user || src + len > user.buffer.byteLength) return 1;
      kbytes().set(new Uint8Array(user.buffer, src, len), dst);
      return 0;
    },
    copy_to_user(dst, src, len) {
      if (!user || dst + len > user.buffer.byteLength) return 1;
      new Uint8Array(user.buffer, dst, len).set(kbytes().subarray(src, src + len));
      return 0;
    },
    user_pages() {
      return user ? user.buffer.byteLength / 65536 : 0;
    },
    user_grow_to(pages) {
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
    clock_time_get(id, _precision, out) {
      kview().setBigUint64(out, wasmpod.host_now(id === 0 ? 0 : 1), true);
      return 0;
    },
    random_get(ptr, len) {
      wasmpod.host_random(ptr, len);
      return 0;
    },
    environ_sizes_get(countPtr, sizePtr) {
      kview().setUint32(countPtr, 0, true);
      kview().setUint32(sizePtr, 0, true);
      return 0;
    },
    environ_get() {
      return 0;
    },
    fd_write(fd, iovs, n, nwritten) {
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
    proc_exit(code) {
      throw new Error(`kernel.wasm called proc_exit(${code}) (a kernel panic)`);
    },
    sched_yield() {
      return 0;
    },
  };

  const instance = await WebAssembly.instantiate(module, {
    env: { memory },
    wasmpod,
    wasi_snapshot_preview1: wasi,
  });
  const k = instance.exports;
  if (first) {
    k._initialize();
  } else {
    if (!area) throw new Error('a kernel instance after the first needs a stack/TLS area');
    // Before any Rust code runs on this instance: its own stack and TLS.
    const top = area + 1048576; // wasmpod_area_stack_size(), checked below
    k.__stack_pointer.value = top;
    k.__wasm_init_tls(top);
    if (k.wasmpod_area_stack_size() !== 1048576) throw new Error('kernel.wasm area layout changed');
  }
  kernel = {
    exports: k,
    memory,
    slot: () => k.wasmpod_thread_slot() >>> 2,
    setUserMemory(m) {
      user = m;
    },
    /** Copies bytes into a new kernel buffer; returns [ptr, len]. */
    put(bytes) {
      if (typeof bytes === 'string') bytes = enc.encode(bytes);
      const ptr = k.wasmpod_alloc(bytes.length);
      if (!ptr) throw new Error('kernel out of memory');
      kbytes().set(bytes, ptr);
      return [ptr, bytes.length];
    },
    bytes: kbytes,
  };
  return kernel;
}

/** Memory limits of a module's `env.memory` import (parsed from the binary). */
export function memoryImportLimits(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let i = 8;
  const leb = () => {
    let r = 0;
    let shift = 0;
    for (;;) {
      const x = b[i++];
      r += (x & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(x & 0x80)) return r;
    }
  };
  const name = () => {
    const n = leb();
    const s = dec.decode(b.subarray(i, i + n));
    i += n;
    return s;
  };
  while (i < b.length) {
    const id = b[i++];
    const size = leb();
    const end = i + size;
    if (id === 2) {
      const count = leb();
      for (let c = 0; c < count; c++) {
        const mod = name();
        const field = name();
        const kind = b[i++];
        if (kind === 0) leb();
        else if (kind === 1) {
          i++;
          const f = b[i++];
          leb();
          if (f & 1) leb();
        } else if (kind === 2) {
          const flags = b[i++];
          const initial = leb();
          const maximum = flags & 1 ? leb() : undefined;
          if (mod === 'env' && field === 'memory') return { initial, maximum, shared: !!(flags & 2) };
        } else if (kind === 3) {
          i++;
          i++;
        } else if (kind === 4) {
          i++;
          leb();
        } else throw new Error(`unknown import kind ${kind}`);
      }
      return null;
    }
    i = end;
  }
  return null;
}

/** The signal a trap means (docs/program-abi.md, Traps). */
export function trapSignal(e) {
  const m = String(e && e.message);
  if (/unreachable/i.test(m)) return SIGILL;
  if (/divi(de|sion) by zero|remainder by zero/i.test(m)) return SIGFPE;
  return SIGSEGV;
}

/**
 * Runs one thread of a program on this worker: a process's main thread
 * (`start = { kind: 'process' }`) or a clone (`{ kind: 'thread', stack,
 * tls }`, with the process's `memory`). Returns when the thread is done;
 * tells the kernel (thread_trapped/thread_exited) itself.
 */
export async function runThread(kernel, { tid, module, memory, start, log, onImage }) {
  const k = kernel.exports;
  const slotIdx = kernel.slot();
  let mod = module;
  let mem = memory;
  let kind = start.kind;
  for (;;) {
    if (!(mod instanceof WebAssembly.Module)) {
      const bytes = mod;
      mod = await WebAssembly.compile(bytes);
      if (kind === 'process') {
        const lim = memoryImportLimits(bytes);
        if (!lim || !lim.shared) throw new Error('program has no shared env.memory import');
        mem = new WebAssembly.Memory({ initial: lim.initial, maximum: lim.maximum ?? 16384, shared: true });
      }
    }
    kernel.setUserMemory(mem);
    if (onImage) onImage(mod, mem);
    let inst = null;
    const sys = (nr, a) => {
      for (;;) {
        const v = k.wasmpod_syscall(tid, nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        const st = new Int32Array(kernel.memory.buffer)[slotIdx];
        if (st === 0) return v;
        const action = st & ACTION_MASK;
        if (action === ACTION_EXEC) {
          const s = new Uint32Array(kernel.memory.buffer, (slotIdx + SLOT_EXEC_MODULE) * 4, 4);
          const bytes = kernel.bytes().slice(s[0], s[0] + s[1]);
          const path = dec.decode(kernel.bytes().slice(s[2], s[2] + s[3]));
          const key = cacheKey(kernel.memory, new Uint32Array(kernel.memory.buffer)[slotIdx + SLOT_EXEC_KEY]);
          k.wasmpod_exec_release();
          throw new Exec(bytes, path, key);
        }
        if (action === ACTION_EXIT_THREAD) throw new ThreadExit();
        if (st & SIGNAL_PENDING) deliver();
        if (action === ACTION_RETURN) return v;
        if (action !== ACTION_RESTART) throw new Error(`bad syscall status ${st}`);
      }
    };
    const deliver = () => {
      for (;;) {
        const sp = inst.exports.__stack_pointer;
        const d = k.wasmpod_deliver_signal(tid, sp.value);
        if (d === 0) return;
        if (d === 2) throw new ThreadExit();
        const f = new Uint32Array(kernel.memory.buffer, (slotIdx + SLOT_FRAME) * 4, 6);
        const [handler, sig, flags, siginfo, ucontext, frameSp] = f;
        const saved = sp.value;
        sp.value = frameSp;
        try {
          inst.exports.__wasmpod_sigtramp(handler, sig, siginfo, ucontext, flags);
        } finally {
          sp.value = saved;
        }
      }
    };
    const env = { memory: mem };
    for (const imp of WebAssembly.Module.imports(mod)) {
      if (imp.module !== 'env' || imp.kind !== 'function') continue;
      if (imp.name === '__syscall') {
        env.__syscall = (nr, a0, a1, a2, a3, a4, a5) => sys(nr >>> 0, [a0, a1, a2, a3, a4, a5]);
      } else if (imp.name.startsWith('__syscall_')) {
        const [p, l] = kernel.put(imp.name.slice('__syscall_'.length));
        const nr = k.wasmpod_syscall_number(p, l);
        k.wasmpod_free(p, l);
        if (nr < 0) throw new Error(`unknown system call import ${imp.name}`);
        env[imp.name] = (a0, a1, a2, a3, a4, a5) => sys(nr, [a0, a1, a2, a3, a4, a5]);
      }
    }
    try {
      inst = await WebAssembly.instantiate(mod, { env });
      if (kind === 'process') {
        inst.exports._start();
      } else {
        if (!inst.exports.__wasmpod_thread_start) throw new WebAssembly.RuntimeError('no __wasmpod_thread_start');
        inst.exports.__stack_pointer.value = start.stack;
        inst.exports.__wasmpod_thread_start(start.tls);
      }
    } catch (e) {
      if (e instanceof Exec) {
        mod = e.module;
        kind = 'process';
        continue;
      }
      if (!(e instanceof ThreadExit)) {
        if (!(e instanceof WebAssembly.RuntimeError)) log(`wasmpod: tid ${tid}: host error: ${e && e.stack}`);
        else log(`wasmpod: tid ${tid}: ${e.message}`);
        k.wasmpod_thread_trapped(tid, trapSignal(e));
      }
    }
    k.wasmpod_thread_exited(tid);
    return;
  }
}
