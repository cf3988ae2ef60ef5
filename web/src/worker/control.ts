// The control worker: the first kernel instance. It initialises the kernel,
// serves the page's Pod API calls (host system calls as init), owns the
// program workers (threads.ts) and pumps the host ends of pipes and
// terminals (processes.ts). It never blocks for long: the page's requests
// and the workers' messages are served between kernel calls.

import { instantiateKernel, type KernelHooks, type KernelInstance } from '../kernel/instance.js';
import { memoryImportLimits } from '../kernel/module-info.js';
import type { BootRequest, ControlMessage, IoMessage, IoStartRequest, Op, Request } from '../protocol.js';
import { probeImage } from './io.js';
import { ErrnoError, HostCalls } from './host-calls.js';
import { Processes } from './processes.js';
import { scope } from './scope.js';
import { Threads } from './threads.js';

/** Shortest time between two pumps on wake-ups. */
const COALESCE_MS = 1;

const post = (m: ControlMessage, transfer?: Transferable[]) => scope.postMessage(m, transfer);

export async function runControl(boot: BootRequest): Promise<void> {
  const started = performance.now();
  const origin = performance.timeOrigin + performance.now();
  const log = (line: string) => post({ kind: 'log', line });
  let kernel: KernelInstance;
  let threads: Threads;
  let procs: Processes;
  let calls: HostCalls;
  try {
    const resp = await fetch(boot.kernelUrl);
    if (!resp.ok) throw new Error(`${boot.kernelUrl}: HTTP ${resp.status}`);
    const bytes = new Uint8Array(await resp.arrayBuffer());
    const kernelModule = await WebAssembly.compile(bytes);
    const lim = memoryImportLimits(bytes);
    if (!lim || !lim.shared) throw new Error('kernel.wasm has no shared env.memory import');
    const memory = new WebAssembly.Memory({ initial: lim.initial, maximum: lim.maximum ?? 16384, shared: true });
    // The hooks run inside kernel calls; `threads` exists before the first one.
    const hooks: KernelHooks = {
      startProcess: (...a) => threads.startProcess(...a),
      startThread: (pid, tid, area, stack, tls) => threads.startThread(pid, tid, area, stack, tls),
      killThread: (tid) => threads.kill(tid),
      log,
    };
    kernel = await instantiateKernel({ module: kernelModule, memory, first: true, hooks, origin });
    threads = new Threads({ kernel, kernelModule, workerUrl: boot.workerUrl, origin, log });
    const k = kernel.exports;
    const init = k.wasmpod_init(k.__tls_size.value as number, k.__tls_align.value as number, boot.trace ? 1 : 0);
    if (init < 0) throw new ErrnoError(-init, 'wasmpod_init');
    calls = new HostCalls(kernel, init);
    procs = new Processes(kernel, post);
    if (boot.image !== null) await mountImage(kernel, boot, log);
  } catch (e) {
    post({ kind: 'bootFailed', error: String((e as Error)?.message ?? e) });
    return;
  }

  // Wake-ups: the kernel's host wake word (docs/browser-host.md).
  {
    const words = new Int32Array(kernel.memory.buffer);
    const idx = kernel.exports.wasmpod_host_events() >>> 2;
    void (async () => {
      let last = 0;
      for (;;) {
        const seen = Atomics.load(words, idx);
        procs.pump();
        last = performance.now();
        const w = Atomics.waitAsync(words, idx, seen);
        if (w.async) await w.value;
        // The word is kernel-wide (pipes between programs bump it too):
        // one pump per millisecond at most.
        const since = performance.now() - last;
        if (since < COALESCE_MS) await new Promise((r) => setTimeout(r, COALESCE_MS - since));
      }
    })();
  }

  const handle = (r: Op): { value: unknown; transfer?: Transferable[] } => {
    switch (r.op) {
      case 'run': {
        const pid = procs.spawn({ path: r.path, argv: r.argv, env: r.env, cwd: r.cwd, pty: r.pty });
        return { value: pid };
      }
      case 'stdinWrite':
        procs.stdinWrite(r.pid, r.data);
        return { value: null };
      case 'stdinClose':
        procs.stdinClose(r.pid);
        return { value: null };
      case 'kill':
        calls.kill(r.pid, r.signal);
        return { value: null };
      case 'open':
        return { value: calls.create(r.path, r.mode, r.truncate) };
      case 'fileWrite':
        calls.write(r.fd, r.data, `fd ${r.fd}`);
        return { value: null };
      case 'fileClose':
        calls.close(r.fd);
        return { value: null };
      case 'readFile': {
        const data = calls.readFile(r.path);
        return { value: data, transfer: [data.buffer] };
      }
      case 'mkdir':
        calls.mkdir(r.path, r.mode, r.recursive);
        return { value: null };
      case 'readdir':
        return { value: calls.readdir(r.path) };
      case 'stat':
        return { value: calls.stat(r.path) };
      case 'rm':
        calls.rm(r.path, r.recursive);
        return { value: null };
      case 'ptyOpen': {
        const h = kernel.exports.wasmpod_host_pty();
        if (h < 0) throw new ErrnoError(-h, 'pty');
        procs.addPty(h);
        return { value: h };
      }
      case 'ptyWrite': {
        const [b, bl] = kernel.put(r.data);
        try {
          const n = kernel.exports.wasmpod_pty_write(r.pty, b, bl, 0);
          if (n < 0 && n !== -11) throw new ErrnoError(-n, 'pty');
          return { value: Math.max(0, n) };
        } finally {
          kernel.exports.wasmpod_free(b, bl);
        }
      }
      case 'ptyResize': {
        const e = kernel.exports.wasmpod_pty_resize(r.pty, r.rows, r.cols);
        if (e < 0) throw new ErrnoError(-e, 'pty');
        return { value: null };
      }
      case 'ptyClose': {
        kernel.exports.wasmpod_pty_close(r.pty);
        procs.removePty(r.pty);
        return { value: null };
      }
      case 'shutdown':
        threads.terminateAll();
        return { value: null };
    }
  };

  scope.addEventListener('message', (e) => {
    const r = e.data as Request;
    try {
      const { value, transfer } = handle(r);
      post({ kind: 'reply', id: r.id, ok: true, value }, transfer);
    } catch (err) {
      const msg = err instanceof ErrnoError ? err.message : `EIO: ${(err as Error)?.message ?? err}`;
      post({ kind: 'reply', id: r.id, ok: false, error: msg });
    }
    procs.pump();
  });
  post({ kind: 'ready', bootMs: performance.now() - started });
}

/**
 * The root image's chunk size: the unit of the kernel's reads, and of the
 * persistent chunk cache, whose entries it keys (changing it starts the
 * caches over).
 */
const IMAGE_CHUNK = 256 * 1024;

/**
 * Mounts the root image (docs/browser-host.md, "Root image and the io
 * worker"): its size from a HEAD request, an io worker serving the kernel's
 * reads, then `wasmpod_mount_root_image`. A default image the server does
 * not have leaves the tmpfs root.
 */
async function mountImage(kernel: KernelInstance, boot: BootRequest, log: (line: string) => void): Promise<void> {
  const url = boot.image!;
  const image = await probeImage(url);
  if (image === null) {
    if (boot.defaultImage) return;
    throw new ErrnoError(2, url);
  }
  const k = kernel.exports;
  const slot = k.wasmpod_io_slot();
  const io = new Worker(boot.workerUrl, { type: 'module', name: 'wasmpod io' });
  const running = new Promise<void>((resolve, reject) => {
    io.addEventListener('message', (e) => {
      const m = e.data as IoMessage;
      if (m.kind === 'ioRunning') resolve();
      else if (m.kind === 'log') log(m.line);
    });
    io.addEventListener('error', (e) => reject(new Error(`io worker: ${e.message}`)));
  });
  const start: IoStartRequest = { role: 'io', kernelMemory: kernel.memory, slot, image, chunkSize: IMAGE_CHUNK, cache: boot.imageCache, stats: boot.imageStats };
  io.postMessage(start);
  await running;
  const { size } = image;
  const r = k.wasmpod_mount_root_image(size % 2 ** 32, Math.floor(size / 2 ** 32), IMAGE_CHUNK);
  if (r < 0) throw new ErrnoError(-r, `mounting ${url}`);
}
