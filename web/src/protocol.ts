// Messages between the page, the control worker and the program workers
// (docs/browser-host.md, "Runtime"). The page talks only to the control
// worker; the control worker creates every other worker (one per program
// thread, one io worker) and they talk only to it.

import type { ImageIdentity } from './worker/chunk-store.js';


/** What the page asks when it creates the control worker. */
export interface BootRequest {
  role: 'control';
  /** URL of kernel.wasm. */
  kernelUrl: string;
  /** URL of this worker script (the control worker starts the others from it). */
  workerUrl: string;
  /** Root image URL, or null for an empty tmpfs root. */
  image: string | null;
  /** `image` is the default guess: a missing one (404) means the tmpfs root, not a boot failure. */
  defaultImage: boolean;
  /** Keep the image's chunks in the origin's persistent chunk cache (OPFS). */
  imageCache: boolean;
  /** Try the server's WebSocket block protocol before HTTP ranges. */
  websocket: boolean;
  /** Persist the root overlay under this key (OPFS), or null: in memory. */
  storageKey: string | null;
  /** Persistent volumes to mount after the root (Pod API `mounts`). */
  mounts: VolumeMount[];
  /** Where the io worker counts the image's traffic (io.ts `newIoStats`); the page reads it. */
  imageStats: BigInt64Array;
  env: string[];
  cwd: string;
  trace: boolean;
}

/** A persistent volume: an ext2 filesystem stored under `storageKey`, mounted at `path`. */
export interface VolumeMount {
  path: string;
  storageKey: string;
  /** Bytes (the filesystem's size; storage holds only what is written). */
  size: number;
}

/** Page → control: one call of the Pod API. */
export type Op =
  | { op: 'run'; path: string; argv: string[]; env: string[]; cwd: string; pty: number | null }
  | { op: 'stdinWrite'; pid: number; data: Uint8Array }
  | { op: 'stdinClose'; pid: number }
  | { op: 'kill'; pid: number; signal: number }
  | { op: 'open'; path: string; mode: number; truncate: boolean }
  | { op: 'fileWrite'; fd: number; data: Uint8Array }
  | { op: 'fileClose'; fd: number }
  | { op: 'readFile'; path: string }
  | { op: 'mkdir'; path: string; recursive: boolean; mode: number }
  | { op: 'readdir'; path: string }
  | { op: 'stat'; path: string }
  | { op: 'rm'; path: string; recursive: boolean }
  | { op: 'ptyOpen' }
  | { op: 'ptyWrite'; pty: number; data: Uint8Array }
  | { op: 'ptyResize'; pty: number; rows: number; cols: number }
  | { op: 'ptyClose'; pty: number }
  | { op: 'shutdown' };

export type Request = Op & { id: number };

/** Control → page. */
export type ControlMessage =
  | { kind: 'ready'; bootMs: number }
  | { kind: 'bootFailed'; error: string }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string }
  | { kind: 'output'; pid: number; fd: 1 | 2; data: Uint8Array }
  | { kind: 'exit'; pid: number; status: number }
  | { kind: 'ptyOutput'; pty: number; data: Uint8Array }
  | { kind: 'ptyClosed'; pty: number }
  | { kind: 'log'; line: string };

/** Control → the io worker (web/src/worker/io.ts). */
export interface IoStartRequest {
  role: 'io';
  kernelMemory: WebAssembly.Memory;
  /** Byte address of the io slot (`wasmpod_io_slot()`). */
  slot: number;
  image: ImageIdentity | null;
  chunkSize: number;
  cache: boolean;
  websocket: boolean;
  /** Storage keys of the journals by the io slot's file number (io.ts `IoOptions.journals`). */
  journals: (string | null)[];
  /** The shared stats words (io.ts `newIoStats`), also read by the page. */
  stats: BigInt64Array;
}

/** The io worker → control. */
export type IoMessage = { kind: 'ioRunning' } | { kind: 'ioFailed'; error: string } | { kind: 'log'; line: string };

/** Control → a new program worker: what to run. */
export interface ThreadStartRequest {
  role: 'program';
  kernelModule: WebAssembly.Module;
  kernelMemory: WebAssembly.Memory;
  origin: number;
  area: number;
  pid: number;
  tid: number;
  /** The thread's state word (THREAD_USER/KERNEL/DEAD) on a SharedArrayBuffer. */
  state: Int32Array;
  module: WebAssembly.Module;
  /** A process: limits of its memory (the worker creates it). */
  limits?: { initial: number; maximum?: number };
  /** A clone: the process's memory and entry. */
  memory?: WebAssembly.Memory;
  stack?: number;
  tls?: number;
}

/** A program worker → control. */
export type WorkerMessage =
  | { kind: 'start'; pid: number; tid: number; area: number; bytes: Uint8Array<ArrayBuffer>; path: string; key: string | null }
  | { kind: 'thread'; pid: number; tid: number; area: number; stack: number; tls: number }
  | { kind: 'kill'; tid: number }
  | { kind: 'log'; line: string }
  | { kind: 'image'; pid: number; module: WebAssembly.Module; memory: WebAssembly.Memory }
  | { kind: 'compile'; id: number; bytes: Uint8Array<ArrayBuffer>; key: string | null }
  | { kind: 'done'; tid: number }
  /** The worker failed outside the program (it could not start it). */
  | { kind: 'crashed'; tid: number };

/** Control → a program worker. */
export type WorkerReply = { kind: 'compiled'; id: number; module: WebAssembly.Module | null; error?: string };
