// The io worker: serves the kernel's reads of the root image with HTTP
// Range requests (docs/browser-host.md, "Root image and the io worker").
//
// Contract with the control worker (keep these signatures):
//
//   probeImage(url: string): Promise<ImageIdentity | null>
//     HEAD url → the image size from Content-Length and its validator (ETag,
//     else Last-Modified); null on 404; throws on anything else (other
//     statuses, no length, network error).
//
//   runIo(opts: IoOptions): Promise<never>
//     Opens what it needs (the persistent chunk cache, chunk-store.ts, when
//     `cache` is set and OPFS allows it; the storage journals, storage.ts,
//     of `journals`), calls `ready`, then serves requests from the io slot
//     forever. Rejects if a journal can't be opened.
//
// Order in the control worker: wasmpod_init → start the io worker and let it
// report that it is running (it posts before calling runIo) → only then
// wasmpod_mount_root_image(size_lo, size_hi, chunk_size), which blocks the
// control worker in Atomics.wait until the io worker answers the first
// reads → start programs.
//
// The io slot (32 bytes at `slot` in kernel memory, little endian; the
// Rust side is crates/host-web/src/image.rs):
//   +0  u32 state   0 idle, 1 request (kernel), 2 done, 3 error (io worker)
//   +4  u32 op      0 image read, 1 journal size, 2 journal read,
//                   3 journal write, 4 journal truncate, 5 journal flush
//   +8  u64 offset  first byte of the range (image or journal); the
//                   journal's size (answer to op 1); the new size (op 4)
//   +16 u32 len     bytes wanted / given
//   +20 u32 dst     kernel-memory address of the bytes (filled, or read for op 3)
//   +24 i32 result  bytes copied, 0, or -errno
//   +28 u32 file    journal ops: which journal (index into `journals`)
// A request: the kernel writes op/offset/len/dst, sets state 1 and
// notifies the state word; we do it, write result, set state 2 (or 3) and
// notify. The kernel resets state to 0.

import { BlockSocket, type Piece } from './block-socket.js';
import { ChunkStore, type ImageIdentity } from './chunk-store.js';
import type { SyncAccessHandle } from './opfs.js';
import { openJournal } from './storage.js';

// State 0 (idle) is only ever written by the kernel.
const REQUEST = 1;
const DONE = 2;
const ERROR = 3;

const EIO = 5;
const ENODEV = 19;
const EINVAL = 22;

/** The slot's ops. */
const OP_IMAGE_READ = 0;
const OP_LOG_SIZE = 1;
const OP_LOG_READ = 2;
const OP_LOG_WRITE = 3;
const OP_LOG_TRUNCATE = 4;
const OP_LOG_SYNC = 5;

/** Attempts per range on a network error or a "try again" status. */
const ATTEMPTS = 3;
/** Wait before the second attempt (doubled for the third). */
const BACKOFF_MS = 100;
/** Statuses worth retrying: the server says "not now", not "no". */
const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

export interface IoOptions {
  kernelMemory: WebAssembly.Memory;
  /** Byte address of the io slot (`wasmpod_io_slot()`). */
  slot: number;
  /** The image, as probeImage saw it; null: no image (image reads fail with ENODEV). */
  image: ImageIdentity | null;
  /** The kernel's chunk size (what it passed to the mount): the cache's unit. */
  chunkSize: number;
  /** Keep fetched chunks in OPFS and read them from there. */
  cache: boolean;
  /** Try the server's WebSocket block protocol first (block-socket.ts). */
  websocket: boolean;
  /**
   * The storage keys whose journals the kernel uses, by the slot's `file`
   * number: 0 the root overlay's (null: none), 1… the volumes'. Journal
   * ops on a file without one fail with ENODEV.
   */
  journals: (string | null)[];
  /** Called once the cache and journal are open, before serving. */
  ready?(): void;
  /**
   * The running totals, on shared memory ([`IoStats`] words; see
   * `readIoStats`): updated before each answer reaches the kernel, so a
   * reader that saw the kernel's read finish sees them counted.
   */
  stats: BigInt64Array;
  /** Messages for the pod's log (why there is no cache). */
  log?(line: string): void;
}

/** The io worker's running totals. */
export interface IoStats {
  /** Bytes of the image fetched from the network, and in how many requests. */
  bytesFetched: number;
  requests: number;
  /** Bytes served from the persistent chunk cache. */
  bytesFromCache: number;
  /** Bytes being fetched right now (0 when the io worker is idle). */
  bytesInFlight: number;
  /** Whether fetches go over the WebSocket block protocol (else HTTP ranges). */
  websocket: boolean;
}

/** Words of the shared stats array, in this order. */
const STAT_WORDS = ['bytesFetched', 'requests', 'bytesFromCache', 'bytesInFlight', 'websocket'] as const;

/** A zeroed shared stats array for `IoOptions.stats`. */
export function newIoStats(): BigInt64Array {
  return new BigInt64Array(new SharedArrayBuffer(8 * STAT_WORDS.length));
}

/** The totals in a shared stats array (any thread may read them). */
export function readIoStats(words: BigInt64Array): IoStats {
  const [bytesFetched, requests, bytesFromCache, bytesInFlight, websocket] = STAT_WORDS.map((_, i) => Number(Atomics.load(words, i)));
  return { bytesFetched, requests, bytesFromCache, bytesInFlight, websocket: websocket === 1 };
}

function addIoStat(words: BigInt64Array, which: (typeof STAT_WORDS)[number], n: number): void {
  Atomics.add(words, STAT_WORDS.indexOf(which), BigInt(n));
}

/** The image's size (HEAD → Content-Length) and validator, or null when it is not there (404). */
export async function probeImage(url: string): Promise<ImageIdentity | null> {
  const r = await fetch(url, { method: 'HEAD' });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  const len = r.headers.get('Content-Length');
  const size = len === null ? NaN : Number(len);
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`${url}: no usable Content-Length (${len})`);
  return { url: new URL(url, globalThis.location?.href).href, size, validator: validatorOf(r) };
}

/** What identifies the version of the image a response carries. */
function validatorOf(r: Response): string | null {
  return r.headers.get('ETag') ?? r.headers.get('Last-Modified');
}

/** Why a range could not be read (becomes -EIO for the kernel). */
class FetchError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fetches `len` bytes at `offset`. Accepts a 206 whose Content-Range (when
 * readable) starts at `offset`, or a 200 only when it is the whole file and
 * exactly `len` bytes (a server without Range support, tiny image). Never
 * reads a 200 body that would be bigger: that is the whole image.
 */
async function fetchRange(url: string, offset: number, len: number, validator: Validator): Promise<Uint8Array> {
  const range = `bytes=${offset}-${offset + len - 1}`;
  for (let attempt = 1; ; attempt++) {
    let r: Response;
    try {
      r = await fetch(url, { headers: { Range: range } });
    } catch (e) {
      if (attempt >= ATTEMPTS) throw new FetchError(`${url} ${range}: ${(e as Error)?.message ?? e}`);
      await sleep(BACKOFF_MS << (attempt - 1));
      continue;
    }
    if (TRANSIENT.has(r.status) && attempt < ATTEMPTS) {
      await r.body?.cancel();
      await sleep(BACKOFF_MS << (attempt - 1));
      continue;
    }
    if (r.ok) validator.check(r);
    if (r.status === 206) {
      const cr = r.headers.get('Content-Range');
      const m = cr === null ? null : /^bytes\s+(\d+)-(\d+)\//.exec(cr);
      if (cr !== null && (!m || Number(m[1]) !== offset)) {
        await r.body?.cancel();
        throw new FetchError(`${url}: asked for ${range}, got Content-Range ${cr}`);
      }
      const body = await readAtMost(r, len);
      if (body === null) throw new FetchError(`${url}: more than ${len} bytes for ${range}`);
      return body;
    }
    if (r.status === 200) {
      const cl = Number(r.headers.get('Content-Length') ?? NaN);
      if (offset === 0 && (Number.isNaN(cl) || cl === len)) {
        const body = await readAtMost(r, len);
        if (body !== null && body.length === len) return body;
        throw new FetchError(`${url}: the server ignored Range and sent ${body === null ? 'more' : body.length} bytes`);
      }
      await r.body?.cancel();
      throw new FetchError(`${url}: the server ignored Range (200 for ${range}); the image needs an HTTP server with range requests`);
    }
    await r.body?.cancel();
    throw new FetchError(`${url}: HTTP ${r.status} for ${range}`);
  }
}

/**
 * The body, or null as soon as it exceeds `max` bytes (then the rest is not
 * downloaded: a server that ignores Range may be sending a whole image).
 */
async function readAtMost(r: Response, max: number): Promise<Uint8Array | null> {
  const out = new Uint8Array(max);
  let n = 0;
  if (!r.body) return out.subarray(0, 0);
  const reader = r.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out.subarray(0, n);
    if (n + value.length > max) {
      await reader.cancel();
      return null;
    }
    out.set(value, n);
    n += value.length;
  }
}

/**
 * Notices an image that changes while the pod runs: mixing blocks of two
 * versions would corrupt the filesystem, so a response whose ETag (or,
 * without one, Last-Modified) differs from the first one is an error.
 */
class Validator {
  constructor(
    private readonly url: string,
    private first: string | null,
  ) {}
  check(r: Response): void {
    const v = validatorOf(r);
    if (v === null) return;
    if (this.first === null) this.first = v;
    else if (v !== this.first) {
      void r.body?.cancel();
      throw new FetchError(`${this.url}: the image changed on the server (${this.first} became ${v})`);
    }
  }
}

/** Range requests a read may have in flight at once. */
const PARALLEL = 4;

/**
 * Splits a piece into at most PARALLEL pieces of whole chunks (equal but
 * for the last), so a long read is fetched by parallel requests.
 */
function splitPiece(p: Piece, chunkSize: number): Piece[] {
  if (!(chunkSize > 0)) return [p];
  const per = Math.ceil(p.to.length / chunkSize / PARALLEL) * chunkSize;
  const out: Piece[] = [];
  for (let o = 0; o < p.to.length; o += per) out.push({ at: p.at + o, to: p.to.subarray(o, o + per) });
  return out;
}

/**
 * Reads `dst.length` bytes at `offset` into `dst`, in chunks of
 * `chunkSize`: chunks the store has come from OPFS; the rest are fetched
 * together (by `fetch`) and stored as they arrive. A read that is not
 * chunk-aligned (the kernel's are) is one piece, uncached.
 */
async function readImage(
  store: ChunkStore | null,
  chunkSize: number,
  offset: number,
  dst: Uint8Array,
  stats: BigInt64Array,
  fetch: (pieces: Piece[]) => Promise<void>,
): Promise<void> {
  const cs = chunkSize;
  if (offset % cs !== 0) return fetch([{ at: offset, to: dst }]);
  const first = offset / cs;
  const end = first + Math.ceil(dst.length / cs);
  const span = (from: number, to: number) => dst.subarray((from - first) * cs, Math.min(dst.length, (to - first) * cs));
  // Cached chunks now; the missing runs then, together.
  const missing: [number, number][] = [];
  for (let c = first; c < end; ) {
    if (store?.read(c, span(c, c + 1))) {
      addIoStat(stats, 'bytesFromCache', span(c, c + 1).length);
      c++;
      continue;
    }
    let runEnd = c + 1;
    while (runEnd < end && !store?.has(runEnd)) runEnd++;
    missing.push([c, runEnd]);
    c = runEnd;
  }
  if (missing.length === 0) return;
  await fetch(missing.map(([from, to]) => ({ at: from * cs, to: span(from, to) })));
  // Whole chunks only: a read that ends inside a chunk (not the image's
  // last) leaves that chunk uncached.
  if (store) for (const [from, to] of missing) for (let k = from; k < to; k++) if (span(k, k + 1).length === store.chunkBytes(k)) store.write(k, span(k, k + 1));
}

/**
 * One journal request (ops 1–5) on the pod's storage file; returns the
 * slot's result. The size (op 1) is answered in the slot's offset word.
 * Bytes pass through a private copy: a view of shared memory is not a
 * buffer the sync access handle takes everywhere.
 */
function journalOp(file: SyncAccessHandle, op: number, slot: number, mem: WebAssembly.Memory): number {
  const view = new DataView(mem.buffer);
  const offset = Number(view.getBigUint64(slot + 8, true));
  const len = view.getUint32(slot + 16, true);
  const dst = view.getUint32(slot + 20, true);
  switch (op) {
    case OP_LOG_SIZE:
      view.setBigUint64(slot + 8, BigInt(file.getSize()), true);
      return 0;
    case OP_LOG_READ: {
      const buf = new Uint8Array(len);
      const n = file.read(buf, { at: offset });
      new Uint8Array(mem.buffer).set(buf.subarray(0, n), dst);
      return n;
    }
    case OP_LOG_WRITE:
      return file.write(new Uint8Array(mem.buffer).slice(dst, dst + len), { at: offset });
    case OP_LOG_TRUNCATE:
      file.truncate(offset);
      return 0;
    case OP_LOG_SYNC:
      file.flush();
      return 0;
    default:
      return -EINVAL;
  }
}

/** The image side of the io worker: ranges through the chunk cache, counted. */
class ImageReader {
  private constructor(
    private readonly url: string,
    private readonly validator: Validator,
    private readonly store: ChunkStore | null,
    private readonly chunkSize: number,
    private readonly stats: BigInt64Array,
    private socket: BlockSocket | null,
  ) {}

  static async open(opts: IoOptions, image: ImageIdentity): Promise<ImageReader> {
    let store: ChunkStore | null = null;
    if (opts.cache) {
      const s = await ChunkStore.open(image, opts.chunkSize);
      if (typeof s === 'string') opts.log?.(`wasmpod: no persistent chunk cache for ${image.url}: ${s}`);
      else store = s;
    }
    let socket: BlockSocket | null = null;
    if (opts.websocket) {
      const etag = image.validator?.startsWith('"') || image.validator?.startsWith('W/') ? image.validator : null;
      const s = await BlockSocket.open(image.url, image.size, etag);
      if (typeof s !== 'string') socket = s;
      else opts.log?.(`wasmpod: HTTP ranges for ${image.url}: ${s}`);
    }
    if (socket) addIoStat(opts.stats, 'websocket', 1);
    return new ImageReader(image.url, new Validator(image.url, image.validator), store, opts.chunkSize, opts.stats, socket);
  }

  read(offset: number, dst: Uint8Array): Promise<void> {
    return readImage(this.store, this.chunkSize, offset, dst, this.stats, (pieces) => this.fetchPieces(pieces));
  }

  /**
   * Fetches pieces: one batch on the block socket, else HTTP range
   * requests, each piece split into up to PARALLEL requests that run
   * together. A socket that broke is dropped for good (HTTP from then on);
   * an error the server reported on it is the read's error.
   */
  private async fetchPieces(pieces: Piece[]): Promise<void> {
    if (this.socket !== null) {
      const total = pieces.reduce((n, p) => n + p.to.length, 0);
      addIoStat(this.stats, 'bytesInFlight', total);
      try {
        await this.socket.read(pieces);
        addIoStat(this.stats, 'bytesFetched', total);
        addIoStat(this.stats, 'requests', 1);
        return;
      } catch (e) {
        if (this.socket.failure === null) throw new FetchError((e as Error).message);
        console.warn(`wasmpod io worker: ${this.socket.failure}; HTTP ranges from now on`);
        this.socket = null;
        addIoStat(this.stats, 'websocket', -1);
      } finally {
        addIoStat(this.stats, 'bytesInFlight', -total);
      }
    }
    const split = pieces.flatMap((p) => splitPiece(p, this.chunkSize));
    await Promise.all(split.map((p) => this.fetchInto(p.at, p.to)));
  }

  private async fetchInto(at: number, to: Uint8Array): Promise<void> {
    addIoStat(this.stats, 'bytesInFlight', to.length);
    let body: Uint8Array;
    try {
      body = await fetchRange(this.url, at, to.length, this.validator);
    } finally {
      addIoStat(this.stats, 'bytesInFlight', -to.length);
    }
    if (body.length !== to.length) throw new FetchError(`${this.url}: ${body.length} bytes for ${to.length} at ${at}`);
    to.set(body);
    addIoStat(this.stats, 'bytesFetched', body.length);
    addIoStat(this.stats, 'requests', 1);
  }
}

/** Serves the io slot forever (see the top of this file). */
export async function runIo(opts: IoOptions): Promise<never> {
  const { kernelMemory: mem, slot } = opts;
  if (slot <= 0 || slot % 8 !== 0) throw new Error(`io slot address ${slot} is not 8-aligned`);
  const state = slot >>> 2;
  const result = (slot + 24) >>> 2;
  // Views are made afresh each time: the kernel memory can grow, and a
  // view of the old buffer would not see the new pages.
  const words = () => new Int32Array(mem.buffer);
  const image = opts.image === null ? null : await ImageReader.open(opts, opts.image);
  const journals: (SyncAccessHandle | null)[] = [];
  for (const key of opts.journals) journals.push(key === null ? null : await openJournal(key));
  opts.ready?.();
  for (;;) {
    const st = Atomics.load(words(), state);
    if (st !== REQUEST) {
      // Wait for any change (the kernel notifies after setting 1); if it
      // already changed, waitAsync answers at once.
      const w = Atomics.waitAsync(words(), state, st);
      if (w.async) await w.value;
      continue;
    }
    const view = new DataView(mem.buffer);
    const op = view.getUint32(slot + 4, true);
    const offset = Number(view.getBigUint64(slot + 8, true));
    const len = view.getUint32(slot + 16, true);
    const dst = view.getUint32(slot + 20, true);
    const journal = journals[view.getUint32(slot + 28, true)] ?? null;
    let value: number;
    let done: number;
    try {
      if (dst + len > mem.buffer.byteLength) throw new FetchError(`io slot: buffer ${dst}+${len} outside kernel memory`);
      if (op === OP_IMAGE_READ && image !== null) {
        // A private buffer, copied into kernel memory only when complete: a
        // failed read leaves the kernel's buffer untouched.
        const buf = new Uint8Array(len);
        await image.read(offset, buf);
        new Uint8Array(mem.buffer).set(buf, dst);
        value = len;
      } else if (op === OP_IMAGE_READ || journal === null) {
        value = -ENODEV;
      } else {
        value = journalOp(journal, op, slot, mem);
      }
      done = value < 0 ? ERROR : DONE;
    } catch (e) {
      console.warn(`wasmpod io worker: ${(e as Error)?.message ?? e}`);
      value = -EIO;
      done = ERROR;
    }
    const w = words();
    Atomics.store(w, result, value);
    Atomics.store(w, state, done);
    Atomics.notify(w, state);
  }
}
