// The io worker's side of `wasmpod serve`'s WebSocket block protocol
// (crates/host-native/src/serve/ws.rs has the format): many ranges in one
// message, the answers streamed back on one connection. Used when the
// server offers it; the io worker falls back to HTTP ranges when it
// doesn't, and for the rest of the pod's life if the socket breaks.

/** Subprotocol name (ws.rs PROTOCOL). */
const PROTOCOL = 'wasmpod-blocks';
/** ws.rs MAX_RANGES and MAX_BATCH_BYTES. */
export const MAX_RANGES = 64;
export const MAX_BATCH_BYTES = 16 << 20;
const ERROR_INDEX = 0xffffffff;

/** One range of a batch: `to.length` bytes at `at`. */
export interface Piece {
  at: number;
  to: Uint8Array;
}

interface Batch {
  pieces: Piece[];
  left: number;
  /** The first range that failed; the batch rejects once all answered. */
  error: Error | null;
  resolve(): void;
  reject(e: Error): void;
}

export class BlockSocket {
  private nextId = 1;
  private readonly batches = new Map<number, Batch>();
  private broken: string | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.onmessage = (e) => this.onMessage(new Uint8Array(e.data as ArrayBuffer));
    ws.onclose = () => this.fail('the block socket closed');
    ws.onerror = () => this.fail('the block socket failed');
  }

  /**
   * Connects to the image at `url` (http(s) → ws(s)); resolves with the
   * socket once the server's hello names the same image (size, and the
   * ETag when `etag` is given), or with the reason there is none.
   */
  static open(url: string, size: number, etag: string | null): Promise<BlockSocket | string> {
    const wsUrl = new URL(url);
    if (wsUrl.protocol !== 'http:' && wsUrl.protocol !== 'https:') return Promise.resolve(`not an http(s) image URL`);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    return new Promise((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(wsUrl.href, PROTOCOL);
      } catch (e) {
        resolve(`${(e as Error)?.message ?? e}`);
        return;
      }
      ws.binaryType = 'arraybuffer';
      ws.onerror = () => resolve('the server does not speak the block protocol');
      ws.onclose = () => resolve('the server closed the block socket');
      ws.onmessage = (e) => {
        const m = new Uint8Array(e.data as ArrayBuffer);
        const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
        const magic = new TextDecoder().decode(m.subarray(0, 4));
        if (m.length < 14 || magic !== 'WPB1') {
          ws.close();
          resolve('no hello from the server');
          return;
        }
        const theirs = Number(v.getBigUint64(4, true));
        const tag = new TextDecoder().decode(m.subarray(14, 14 + v.getUint16(12, true)));
        if (theirs !== size || (etag !== null && tag !== etag)) {
          ws.close();
          resolve(`the server's image is another version (${theirs} bytes, ${tag})`);
          return;
        }
        resolve(new BlockSocket(ws));
      };
    });
  }

  /** Why the socket can't be used any more, or null. */
  get failure(): string | null {
    return this.broken;
  }

  /** Fetches every piece (one batch); rejects if any fails. */
  read(pieces: Piece[]): Promise<void> {
    if (this.broken !== null) return Promise.reject(new Error(this.broken));
    if (pieces.length > MAX_RANGES || pieces.reduce((n, p) => n + p.to.length, 0) > MAX_BATCH_BYTES)
      return Promise.reject(new Error(`a batch of ${pieces.length} ranges is over the protocol's limits`));
    const id = this.nextId++;
    const msg = new DataView(new ArrayBuffer(8 + 12 * pieces.length));
    msg.setUint32(0, id, true);
    msg.setUint32(4, pieces.length, true);
    pieces.forEach((p, i) => {
      msg.setBigUint64(8 + 12 * i, BigInt(p.at), true);
      msg.setUint32(16 + 12 * i, p.to.length, true);
    });
    return new Promise((resolve, reject) => {
      this.batches.set(id, { pieces, left: pieces.length, error: null, resolve, reject });
      this.ws.send(msg.buffer);
    });
  }

  private onMessage(m: Uint8Array): void {
    const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
    if (m.length < 12) return this.fail('a short message on the block socket');
    const [id, index, status] = [v.getUint32(0, true), v.getUint32(4, true), v.getInt32(8, true)];
    const b = this.batches.get(id);
    if (index === ERROR_INDEX) {
      const why = `block socket: errno ${-status}: ${new TextDecoder().decode(m.subarray(12))}`;
      if (b === undefined) return this.fail(why);
      this.batches.delete(id);
      return b.reject(new Error(why));
    }
    const piece = b?.pieces[index];
    if (b === undefined || piece === undefined) return this.fail(`an answer to nothing asked (batch ${id}, range ${index})`);
    if (status !== 0 || m.length - 12 !== piece.to.length) {
      b.error ??= new Error(`block socket: range ${piece.at}+${piece.to.length}: status ${status}, ${m.length - 12} bytes`);
    } else {
      piece.to.set(m.subarray(12));
    }
    if (--b.left === 0) {
      this.batches.delete(id);
      if (b.error) b.reject(b.error);
      else b.resolve();
    }
  }

  /** Breaks the socket: every open batch fails, later reads too. */
  private fail(why: string): void {
    if (this.broken === null) this.broken = why;
    for (const b of this.batches.values()) b.reject(new Error(why));
    this.batches.clear();
    try {
      this.ws.close();
    } catch {
      // Already closed.
    }
  }
}
