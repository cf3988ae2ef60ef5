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
//     Serves requests from the io slot forever, through the persistent
//     chunk cache (chunk-store.ts) when `cache` is set and OPFS allows it.
//
// Order in the control worker: wasmpod_init → start the io worker and let it
// report that it is running (it posts before calling runIo) → only then
// wasmpod_mount_root_image(size_lo, size_hi, chunk_size), which blocks the
// control worker in Atomics.wait until the io worker answers the first
// reads → start programs.
//
// The io slot (32 bytes at `slot` in kernel memory, little endian):
//   +0  u32 state   0 idle, 1 request (kernel), 2 done, 3 error (io worker)
//   +8  u64 offset  first byte of the range in the image
//   +16 u32 len     bytes wanted
//   +20 u32 dst     kernel-memory address for them
//   +24 i32 result  bytes copied, or -errno
// A request: the kernel writes offset/len/dst, sets state 1 and notifies
// the state word; we fetch, copy into kernel memory at dst, write result,
// set state 2 (or 3) and notify. The kernel resets state to 0.

import { ChunkStore, type ImageIdentity } from './chunk-store.js';

// State 0 (idle) is only ever written by the kernel.
const REQUEST = 1;
const DONE = 2;
const ERROR = 3;

const EIO = 5;

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
  /** The image, as probeImage saw it. */
  image: ImageIdentity;
  /** The kernel's chunk size (what it passed to the mount): the cache's unit. */
  chunkSize: number;
  /** Keep fetched chunks in OPFS and read them from there. */
  cache: boolean;
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
}

/** Words of the shared stats array, in this order. */
const STAT_WORDS = ['bytesFetched', 'requests', 'bytesFromCache'] as const;

/** A zeroed shared stats array for `IoOptions.stats`. */
export function newIoStats(): BigInt64Array {
  return new BigInt64Array(new SharedArrayBuffer(8 * STAT_WORDS.length));
}

/** The totals in a shared stats array (any thread may read them). */
export function readIoStats(words: BigInt64Array): IoStats {
  const [bytesFetched, requests, bytesFromCache] = STAT_WORDS.map((_, i) => Number(Atomics.load(words, i)));
  return { bytesFetched, requests, bytesFromCache };
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

/**
 * Reads `len` bytes at `offset` into `dst`: chunks the store has come from
 * OPFS, each run of missing chunks is one range request, and what arrives
 * is stored. Requests that are not chunk-aligned (the kernel's are) bypass
 * the store.
 */
async function readImage(
  url: string,
  validator: Validator,
  store: ChunkStore | null,
  offset: number,
  dst: Uint8Array,
  stats: BigInt64Array,
): Promise<void> {
  const fetchInto = async (at: number, to: Uint8Array) => {
    const body = await fetchRange(url, at, to.length, validator);
    if (body.length !== to.length) throw new FetchError(`${url}: ${body.length} bytes for ${to.length} at ${at}`);
    to.set(body);
    addIoStat(stats, 'bytesFetched', body.length);
    addIoStat(stats, 'requests', 1);
  };
  const cs = store?.chunkSize ?? 0;
  if (store === null || offset % cs !== 0) return fetchInto(offset, dst);
  const first = offset / cs;
  const end = first + Math.ceil(dst.length / cs);
  const part = (c: number) => dst.subarray((c - first) * cs, Math.min(dst.length, (c - first + 1) * cs));
  let c = first;
  while (c < end) {
    if (store.read(c, part(c))) {
      addIoStat(stats, 'bytesFromCache', part(c).length);
      c++;
      continue;
    }
    let runEnd = c + 1;
    while (runEnd < end && !store.has(runEnd)) runEnd++;
    const run = dst.subarray((c - first) * cs, Math.min(dst.length, (runEnd - first) * cs));
    await fetchInto(c * cs, run);
    // Whole chunks only: a request that ends inside a chunk (not the
    // image's last) leaves that chunk uncached.
    for (let k = c; k < runEnd; k++) if (part(k).length === store.chunkBytes(k)) store.write(k, part(k));
    c = runEnd;
  }
}

/** Serves the io slot forever (see the top of this file). */
export async function runIo(opts: IoOptions): Promise<never> {
  const { kernelMemory: mem, slot, image, stats } = opts;
  const url = image.url;
  if (slot <= 0 || slot % 8 !== 0) throw new Error(`io slot address ${slot} is not 8-aligned`);
  const state = slot >>> 2;
  const result = (slot + 24) >>> 2;
  // Views are made afresh each time: the kernel memory can grow, and a
  // view of the old buffer would not see the new pages.
  const words = () => new Int32Array(mem.buffer);
  const validator = new Validator(url, image.validator);
  let store: ChunkStore | null = null;
  if (opts.cache) {
    const s = await ChunkStore.open(image, opts.chunkSize);
    if (typeof s === 'string') opts.log?.(`wasmpod: no persistent chunk cache for ${url}: ${s}`);
    else store = s;
  }
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
    const offset = Number(view.getBigUint64(slot + 8, true));
    const len = view.getUint32(slot + 16, true);
    const dst = view.getUint32(slot + 20, true);
    let value: number;
    let done: number;
    try {
      if (dst + len > mem.buffer.byteLength) throw new FetchError(`io slot: destination ${dst}+${len} outside kernel memory`);
      // A private buffer, copied into kernel memory only when complete: a
      // failed read leaves the kernel's buffer untouched.
      const buf = new Uint8Array(len);
      await readImage(url, validator, store, offset, buf, stats);
      new Uint8Array(mem.buffer).set(buf, dst);
      value = len;
      done = DONE;
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
