// The io worker: serves the kernel's reads of the root image with HTTP
// Range requests (docs/browser-host.md, "Root image and the io worker").
//
// Contract with the control worker (keep these signatures):
//
//   probeImage(url: string): Promise<number | null>
//     HEAD url → the image size from Content-Length; null on 404; throws on
//     anything else (other statuses, no length, network error).
//
//   runIo(opts: {
//     kernelMemory: WebAssembly.Memory;   // the shared kernel memory
//     slot: number;                       // byte address: wasmpod_io_slot()
//     url: string;                        // the image URL
//     onStats?(bytes: number, requests: number): void; // running totals
//   }): Promise<never>
//     Serves requests from the io slot forever.
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
  url: string;
  /** Called after every request with the totals so far. */
  onStats?(bytes: number, requests: number): void;
}

/** The image size (HEAD → Content-Length), or null when it is not there (404). */
export async function probeImage(url: string): Promise<number | null> {
  const r = await fetch(url, { method: 'HEAD' });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  const len = r.headers.get('Content-Length');
  const size = len === null ? NaN : Number(len);
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`${url}: no usable Content-Length (${len})`);
  return size;
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
  private first: string | null = null;
  constructor(private readonly url: string) {}
  check(r: Response): void {
    const v = r.headers.get('ETag') ?? r.headers.get('Last-Modified');
    if (v === null) return;
    if (this.first === null) this.first = v;
    else if (v !== this.first) {
      void r.body?.cancel();
      throw new FetchError(`${this.url}: the image changed on the server (${this.first} became ${v})`);
    }
  }
}

/** Serves the io slot forever (see the top of this file). */
export async function runIo(opts: IoOptions): Promise<never> {
  const { kernelMemory: mem, slot, url, onStats } = opts;
  if (slot <= 0 || slot % 8 !== 0) throw new Error(`io slot address ${slot} is not 8-aligned`);
  const state = slot >>> 2;
  const result = (slot + 24) >>> 2;
  // Views are made afresh each time: the kernel memory can grow, and a
  // view of the old buffer would not see the new pages.
  const words = () => new Int32Array(mem.buffer);
  const validator = new Validator(url);
  let bytes = 0;
  let requests = 0;
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
      const body = len === 0 ? new Uint8Array(0) : await fetchRange(url, offset, len, validator);
      new Uint8Array(mem.buffer).set(body, dst);
      value = body.length;
      done = DONE;
      bytes += body.length;
    } catch (e) {
      console.warn(`wasmpod io worker: ${(e as Error)?.message ?? e}`);
      value = -EIO;
      done = ERROR;
    }
    requests++;
    const w = words();
    Atomics.store(w, result, value);
    Atomics.store(w, state, done);
    Atomics.notify(w, state);
    onStats?.(bytes, requests);
  }
}
