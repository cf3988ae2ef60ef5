// The public Pod API (docs/browser-host.md, "Pod API"). The page never
// enters the kernel: every call is a message to the pod's control worker.

import type { ControlMessage, VolumeMount } from '../protocol.js';
import type { StatInfo, FileType } from '../worker/host-calls.js';
import { Channel, PodError } from './channel.js';
import { toBytes, type Data } from './data.js';
import { exitCode, Process } from './process.js';
import { createDefaultTerminal, type DefaultTerminal } from './terminal.js';
import { clearChunkCaches } from '../worker/chunk-store.js';
import { deleteStorage, exportJournal } from '../worker/storage.js';
import { newIoStats, readIoStats, type IoStats } from '../worker/io.js';

export type { FileType };

export interface BootOptions {
  /**
   * URL of an ext2 root image. Default: `images/rootfs.ext2` next to
   * wasmpod.js when the server has one, else an empty tmpfs root.
   * `null`: always the tmpfs root.
   */
  image?: string | null;
  /** Environment of programs started with `run` (on top of the defaults). */
  env?: Record<string, string>;
  /** Working directory of `run` and base of relative paths (default /home/user). */
  cwd?: string;
  /** Kernel diagnostics (one line each; default: console.warn). */
  onLog?(line: string): void;
  /** Trace every system call through onLog (slow). */
  trace?: boolean;
  /** Where kernel.wasm and worker.js are served (default: next to wasmpod.js). */
  baseUrl?: string | URL;
  /**
   * Keep the root image's chunks in this origin's persistent cache (OPFS)
   * and read them from there on the next boot of the same image version
   * (same URL, ETag or Last-Modified, and size). Default true.
   */
  imageCache?: boolean;
  /**
   * Fetch the root image over the server's WebSocket block protocol (many
   * ranges per message, one connection) when it offers one (`wasmpod
   * serve` does), else with HTTP range requests. Default true; false: HTTP
   * ranges only.
   */
  websocket?: boolean;
  /**
   * Keep the pod's changes to the root image under this key in the
   * browser's storage (OPFS): a later boot with the same key (after a
   * reload, in another tab once this pod is shut down) finds them. What a
   * program fsync'ed (or sync'ed) is stored at once; other writes within
   * 5 s and at `shutdown`. Different keys are isolated; one pod per key at
   * a time. Needs an image. Default: changes live in memory only.
   */
  storageKey?: string;
  /**
   * Persistent volumes: an ext2 filesystem per entry, stored under its
   * `storageKey` (made empty, with the mount point's owner and mode, the
   * first time the key is used) and mounted on the existing directory
   * `path`, e.g. `{ path: '/home/user', storageKey: 'home' }` for a home
   * that outlives the pod. `size` is the filesystem's size in bytes
   * (default 1 GiB; storage holds only what is written). Keys must differ
   * from each other and from `storageKey`. Writes persist as with
   * `storageKey`.
   */
  mounts?: { path: string; storageKey: string; size?: number }[];
  /**
   * Root image traffic as it happens (`pod.stats`'s numbers; a progress bar
   * shows `bytesInFlight` while booting). Called at most every 100 ms and
   * only on a change, from the start of `boot` until `shutdown`.
   */
  onProgress?(stats: IoStats): void;
}

/** How often `onProgress` looks at the stats (ms). */
const PROGRESS_MS = 100;

/** Calls `onProgress` when the stats changed, every PROGRESS_MS. */
function watchProgress(stats: BigInt64Array, onProgress: (s: IoStats) => void): ReturnType<typeof setInterval> {
  let last = '';
  return setInterval(() => {
    const s = readIoStats(stats);
    const key = JSON.stringify(s);
    if (key !== last) {
      last = key;
      onProgress(s);
    }
  }, PROGRESS_MS);
}

/** A volume's default size (bytes). */
const DEFAULT_VOLUME_SIZE = 1 << 30;

/** The checked `mounts` of `BootOptions`. */
function volumeMounts(opts: BootOptions): VolumeMount[] {
  const keys = new Set(opts.storageKey === undefined ? [] : [opts.storageKey]);
  return (opts.mounts ?? []).map(({ path, storageKey, size = DEFAULT_VOLUME_SIZE }) => {
    if (!path.startsWith('/') || path.split('/').includes('..')) throw new PodError(`EINVAL: mount path ${path} must be absolute, without ..`);
    if (keys.has(storageKey)) throw new PodError(`EINVAL: storage key '${storageKey}' is used twice`);
    keys.add(storageKey);
    if (!Number.isSafeInteger(size) || size < 1 << 20 || size % 4096 !== 0 || size > 2 ** 44)
      throw new PodError(`EINVAL: volume size ${size} must be a multiple of 4096 from 1 MiB to 16 TiB`);
    return { path, storageKey, size };
  });
}

/** A terminal a program can run on (`createDefaultTerminal`). */
export interface PodTerminal {
  /** @internal the kernel's handle of the terminal's pty */
  readonly pty: number;
}

export interface RunOptions {
  /** Extra environment (on top of the pod's). */
  env?: Record<string, string>;
  cwd?: string;
  /** Run on this terminal (stdin/stdout/stderr are its pty; it becomes the controlling terminal). */
  terminal?: PodTerminal;
  /** Standard output bytes as they come (without a terminal). */
  onStdout?(data: Uint8Array): void;
  onStderr?(data: Uint8Array): void;
}

export interface Stat extends StatInfo {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** A file being written (`createFile`). */
export interface FileHandle {
  write(data: Data): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/home/user',
  USER: 'user',
  LOGNAME: 'user',
  SHELL: '/bin/sh',
  LANG: 'C.UTF-8',
};

interface Watch {
  resolve(code: number): void;
  proc?: Process;
  onStdout?(d: Uint8Array): void;
  onStderr?(d: Uint8Array): void;
}

export class Pod {
  /** Milliseconds from `boot` to a running kernel. */
  readonly bootMs: number;
  /**
   * Root image traffic so far: bytes fetched from the server and in how many
   * requests, and bytes read from the persistent chunk cache. Current at
   * every read (shared with the io worker): once a call that read the image
   * returns, what it read is counted.
   */
  get stats(): IoStats {
    return readIoStats(this.imageStats);
  }
  private readonly watches = new Map<number, Watch>();
  /** Events for pids whose `run` reply has not been seen yet. */
  private readonly early = new Map<number, ControlMessage[]>();
  private down = false;

  private constructor(
    private readonly base: URL,
    private readonly worker: Worker,
    /** @internal */ readonly channel: Channel,
    private readonly env: Record<string, string>,
    private readonly cwd: string,
    bootMs: number,
    private readonly imageStats: BigInt64Array,
    private readonly progress?: ReturnType<typeof setInterval>,
  ) {
    this.bootMs = bootMs;
    channel.on((m) => this.onEvent(m));
  }

  /**
   * Empties this origin's persistent cache of root-image chunks (every
   * image). Call it while no pod of this origin runs from an image: a
   * running pod holds its image's cache files open.
   */
  static clearImageCache(): Promise<void> {
    return clearChunkCaches();
  }

  /** Removes the storage of `key` (see `BootOptions.storageKey`); call it while no pod uses the key. */
  static deleteStorage(key: string): Promise<void> {
    return deleteStorage(key);
  }

  /**
   * The storage of `key` as one file (the overlay's journal; empty when the
   * key has none), e.g. to back it up. `wasmpod image flatten IMG --journal
   * FILE -o OUT` turns image + journal into a plain image.
   */
  static exportStorage(key: string): Promise<Uint8Array> {
    return exportJournal(key);
  }

  /** Starts a pod: a control worker with its own kernel. */
  static async boot(opts: BootOptions = {}): Promise<Pod> {
    const base = new URL(opts.baseUrl ?? new URL('.', import.meta.url));
    const image = opts.image === undefined ? new URL('images/rootfs.ext2', base).href : opts.image === null ? null : new URL(opts.image, base).href;
    if (image === null && opts.storageKey !== undefined) throw new PodError('EINVAL: storageKey needs a root image (the overlay over it is what is stored)');
    const mounts = volumeMounts(opts);
    const workerUrl = new URL('worker.js', base).href;
    const worker = new Worker(workerUrl, { type: 'module', name: 'wasmpod control' });
    const channel = new Channel(worker);
    const onLog = opts.onLog ?? ((line: string) => console.warn(line));
    const cwd = opts.cwd ?? '/home/user';
    const imageStats = newIoStats();
    const progress = opts.onProgress && watchProgress(imageStats, opts.onProgress);
    const ready = new Promise<number>((resolve, reject) => {
      channel.on((m) => {
        if (m.kind === 'ready') resolve(m.bootMs);
        else if (m.kind === 'bootFailed') reject(new PodError(`EIO: boot failed: ${m.error}`));
        else if (m.kind === 'log') onLog(m.line);
      });
      worker.addEventListener('error', (e) => reject(new PodError(`EIO: control worker: ${e.message}`)));
    });
    worker.postMessage({
      role: 'control',
      kernelUrl: new URL('kernel.wasm', base).href,
      workerUrl,
      image,
      defaultImage: opts.image === undefined,
      imageCache: opts.imageCache ?? true,
      websocket: opts.websocket ?? true,
      imageStats,
      storageKey: opts.storageKey ?? null,
      mounts,
      env: [],
      cwd,
      trace: !!opts.trace,
    });
    try {
      const bootMs = await ready;
      return new Pod(base, worker, channel, { ...DEFAULT_ENV, ...opts.env }, cwd, bootMs, imageStats, progress);
    } catch (e) {
      if (progress) clearInterval(progress);
      worker.terminate();
      throw e;
    }
  }

  private onEvent(m: ControlMessage): void {
    switch (m.kind) {
      case 'output':
      case 'exit': {
        const w = this.watches.get(m.pid);
        if (!w) {
          const list = this.early.get(m.pid) ?? [];
          list.push(m);
          this.early.set(m.pid, list);
          return;
        }
        if (m.kind === 'output') (m.fd === 1 ? w.onStdout : w.onStderr)?.(m.data);
        else {
          if (w.proc) w.proc.status = m.status;
          this.watches.delete(m.pid);
          w.resolve(exitCode(m.status));
        }
        break;
      }
    }
  }

  private abs(path: string): string {
    return path.startsWith('/') ? path : `${this.cwd.replace(/\/+$/, '')}/${path}`;
  }

  /** Starts `path` with `args` (argv[0] is `path`). */
  async run(path: string, args: string[] = [], opts: RunOptions = {}): Promise<Process> {
    const env = Object.entries({ ...this.env, ...(opts.terminal ? { TERM: 'xterm-256color' } : {}), ...opts.env }).map(([k, v]) => `${k}=${v}`);
    const pid = await this.channel.call<number>({
      op: 'run',
      path,
      argv: [path, ...args],
      env,
      cwd: opts.cwd ?? this.cwd,
      pty: opts.terminal ? opts.terminal.pty : null,
    });
    let resolve!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolve = r));
    const proc = new Process(pid, this.channel, exited);
    this.watches.set(pid, { resolve, proc, onStdout: opts.onStdout, onStderr: opts.onStderr });
    for (const m of this.early.get(pid) ?? []) this.onEvent(m);
    this.early.delete(pid);
    return proc;
  }

  /** Creates (or truncates) a file owned by the pod user; write it in pieces, then close. */
  async createFile(path: string, mode = 0o644): Promise<FileHandle> {
    const what = this.abs(path);
    const fd = await this.channel.call<number>({ op: 'open', path: what, mode, truncate: true });
    let closed = false;
    return {
      write: (data) => {
        if (closed) return Promise.reject(new PodError(`EBADF: ${what}`));
        const bytes = toBytes(data);
        return this.channel.call({ op: 'fileWrite', fd, data: bytes }, [bytes.buffer]);
      },
      close: () => {
        if (closed) return Promise.resolve();
        closed = true;
        return this.channel.call({ op: 'fileClose', fd });
      },
    };
  }

  /** Writes a whole file (created with `mode` if new). */
  async writeFile(path: string, data: Data, mode = 0o644): Promise<void> {
    const f = await this.createFile(path, mode);
    try {
      await f.write(data);
    } finally {
      await f.close();
    }
  }

  /** Reads a whole file: bytes, or a string with `'utf8'`. */
  readFile(path: string): Promise<Uint8Array>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  async readFile(path: string, encoding?: 'utf8'): Promise<Uint8Array | string> {
    const data = await this.channel.call<Uint8Array>({ op: 'readFile', path: this.abs(path) });
    return encoding === 'utf8' ? new TextDecoder().decode(data) : data;
  }

  mkdir(path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    return this.channel.call({ op: 'mkdir', path: this.abs(path), recursive: !!opts.recursive, mode: opts.mode ?? 0o755 });
  }

  /** Names in a directory (without . and ..), sorted. */
  readdir(path: string): Promise<string[]> {
    return this.channel.call({ op: 'readdir', path: this.abs(path) });
  }

  async stat(path: string): Promise<Stat> {
    const s = await this.channel.call<StatInfo>({ op: 'stat', path: this.abs(path) });
    return {
      ...s,
      isFile: () => s.type === 'file',
      isDirectory: () => s.type === 'directory',
      isSymbolicLink: () => s.type === 'symlink',
    };
  }

  /**
   * An xterm.js terminal in `element` on a new pty of this pod; run programs
   * on it with `run(path, args, { terminal })`. Resizing the element resizes
   * the pty (the foreground program gets SIGWINCH). `dispose()` hangs it up.
   */
  createDefaultTerminal(element: HTMLElement): Promise<DefaultTerminal> {
    return createDefaultTerminal(this.channel, this.base, element, (l) => this.channel.on(l));
  }

  /** Removes a file, or a directory tree with `recursive`. */
  rm(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    return this.channel.call({ op: 'rm', path: this.abs(path), recursive: !!opts.recursive });
  }

  /** Stops every program and the pod's workers. Later calls fail with ESHUTDOWN. */
  async shutdown(): Promise<void> {
    if (this.down) return;
    this.down = true;
    try {
      await this.channel.call({ op: 'shutdown' });
    } finally {
      if (this.progress) clearInterval(this.progress);
      this.worker.terminate();
      this.channel.close(new PodError('ESHUTDOWN: the pod was shut down'));
      for (const w of this.watches.values()) w.resolve(128 + 9);
      this.watches.clear();
    }
  }
}
