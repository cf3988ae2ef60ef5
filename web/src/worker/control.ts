// The control worker: the first kernel instance. It initialises the kernel,
// serves the page's Pod API calls (host system calls as init), owns the
// program workers (threads.ts) and pumps the host ends of pipes and
// terminals (processes.ts). It never blocks for long: the page's requests
// and the workers' messages are served between kernel calls.

import { instantiateKernel, type KernelHooks, type KernelInstance } from '../kernel/instance.js';
import { memoryImportLimits } from '../kernel/module-info.js';
import type { BootRequest, ControlMessage, IoMessage, IoStartRequest, Op, Request } from '../protocol.js';
import type { ImageIdentity } from './chunk-store.js';
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
    await mountDisks(kernel, boot, calls, log);
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

  // Pod storage: what programs wrote reaches the journal at their fsync
  // and sync calls, and at the latest every SYNC_MS (and at shutdown).
  const syncStorage = () => {
    const r = calls.raw('sync');
    if (r < 0) log(`wasmpod: writing pod storage failed (errno ${-r}); the changes stay in memory`);
  };
  const persistent = boot.storageKey !== null || boot.mounts.length > 0;
  if (persistent) setInterval(syncStorage, SYNC_MS);

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
        if (persistent) syncStorage();
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

/** How often pod storage is synced when programs don't (ms). */
const SYNC_MS = 5000;

/** wasmpod_mount_root_image's answer for a journal of another image. */
const ESTALE = 116;
const ENOENT = 2;
const ENOTDIR = 20;

/**
 * Mounts the root image and the persistent volumes (docs/browser-host.md,
 * "Root image and the io worker", "Pod storage"): the image's size from a
 * HEAD request, an io worker serving the kernel's image reads and journal
 * requests, then `wasmpod_mount_root_image` and one `wasmpod_mount_volume`
 * per volume. A default image the server does not have leaves the tmpfs
 * root.
 */
async function mountDisks(kernel: KernelInstance, boot: BootRequest, calls: HostCalls, log: (line: string) => void): Promise<void> {
  let image: ImageIdentity | null = null;
  if (boot.image !== null) {
    image = await probeImage(boot.image);
    // Without the default image the root is a tmpfs: fine, unless the
    // pod's changes were meant to persist.
    if (image === null && !(boot.defaultImage && boot.storageKey === null)) throw new ErrnoError(ENOENT, boot.image);
  }
  if (image === null && boot.mounts.length === 0) return;
  const k = kernel.exports;
  const slot = k.wasmpod_io_slot();
  const io = new Worker(boot.workerUrl, { type: 'module', name: 'wasmpod io' });
  const running = new Promise<void>((resolve, reject) => {
    io.addEventListener('message', (e) => {
      const m = e.data as IoMessage;
      if (m.kind === 'ioRunning') resolve();
      else if (m.kind === 'ioFailed') reject(new Error(m.error));
      else if (m.kind === 'log') log(m.line);
    });
    io.addEventListener('error', (e) => reject(new Error(`io worker: ${e.message}`)));
  });
  const journals = [image === null ? null : boot.storageKey, ...boot.mounts.map((m) => m.storageKey)];
  const start: IoStartRequest = { role: 'io', kernelMemory: kernel.memory, slot, image, chunkSize: IMAGE_CHUNK, cache: boot.imageCache, websocket: boot.websocket, stats: boot.imageStats, journals };
  io.postMessage(start);
  await running;
  if (image !== null) {
    const { size, url } = image;
    const r = k.wasmpod_mount_root_image(size % 2 ** 32, Math.floor(size / 2 ** 32), IMAGE_CHUNK, boot.storageKey === null ? 0 : 1);
    if (r === -ESTALE) throw new ErrnoError(-r, `storage '${boot.storageKey}' was made for another image than ${url} (Pod.deleteStorage starts it over)`);
    if (r < 0) throw new ErrnoError(-r, `mounting ${url}`);
  }
  for (const [i, m] of boot.mounts.entries()) {
    // The volume's root takes the mount point's owner and mode.
    const st = calls.stat(m.path);
    if (st.type !== 'directory') throw new ErrnoError(ENOTDIR, m.path);
    const [p, l] = kernel.put(m.path);
    let r: number;
    try {
      r = k.wasmpod_mount_volume(p, l, m.size % 2 ** 32, Math.floor(m.size / 2 ** 32), i + 1, st.uid, st.gid, st.mode);
    } finally {
      k.wasmpod_free(p, l);
    }
    if (r === -ESTALE) throw new ErrnoError(-r, `storage '${m.storageKey}' is not a volume of ${m.size} bytes (Pod.deleteStorage starts it over)`);
    if (r < 0) throw new ErrnoError(-r, `mounting storage '${m.storageKey}' at ${m.path}`);
  }
}
