// The io worker's persistent chunk cache: root-image chunks fetched once
// are kept in the origin private file system (OPFS), so a warm boot of the
// same image fetches nothing it already has.
//
// One directory per image version, `wasmpod/chunks/<key>/`, where the key
// is a hash of the image URL, its validator (ETag, else Last-Modified) and
// its size: a changed image on the server is a new key, never a mix of two
// versions. In it:
//   data  the image's bytes at their own offsets (a sparse file)
//   map   one byte per chunk: 1 once the chunk's bytes are in `data`
// A chunk is written and flushed to `data` before its byte in `map` is
// set and flushed, so a page killed in between leaves a chunk that is
// fetched again, never one that is marked and missing.
//
// Both files are opened with sync access handles (dedicated workers only),
// which are exclusive: a second pod of the same origin booting the same
// image at the same time runs without the cache (it still works, it only
// fetches).

import { haveOpfs, hexDigest, opfsDir, opfsRemove, openSync, type SyncAccessHandle } from './opfs.js';

/** The OPFS directory under which the chunk caches live. */
const ROOT = ['wasmpod', 'chunks'];

export interface ImageIdentity {
  url: string;
  size: number;
  /** ETag, else Last-Modified; null when the server sends neither. */
  validator: string | null;
}

export class ChunkStore {
  private constructor(
    private readonly data: SyncAccessHandle,
    private readonly map: SyncAccessHandle,
    private readonly present: Uint8Array,
    readonly chunkSize: number,
    private readonly size: number,
  ) {}

  /**
   * The store for `image` cut in `chunkSize` chunks, or null with the reason
   * when there can be none (no OPFS, no validator, handles held by another
   * pod).
   */
  static async open(image: ImageIdentity, chunkSize: number): Promise<ChunkStore | string> {
    if (image.validator === null) return 'the server sends no ETag or Last-Modified for the image';
    if (!haveOpfs()) return 'no origin private file system';
    let dir: FileSystemDirectoryHandle;
    try {
      dir = await opfsDir([...ROOT, await hexDigest(`${image.url}\n${image.validator}\n${image.size}`)]);
    } catch (e) {
      return `no origin private file system (${(e as Error)?.message ?? e})`;
    }
    const chunks = Math.ceil(image.size / chunkSize);
    let data: SyncAccessHandle | null = null;
    try {
      data = await openSync(dir, 'data');
      const map = await openSync(dir, 'map');
      const present = new Uint8Array(chunks);
      if (map.getSize() === chunks) map.read(present, { at: 0 });
      else {
        // New, or written for another chunk size: start over.
        map.truncate(0);
        map.write(present, { at: 0 });
        map.flush();
      }
      return new ChunkStore(data, map, present, chunkSize, image.size);
    } catch (e) {
      data?.close();
      return `chunk cache busy or unavailable (${(e as Error)?.message ?? e})`;
    }
  }

  /** Bytes of chunk `c` (the last chunk may be short). */
  chunkBytes(c: number): number {
    return Math.min(this.chunkSize, this.size - c * this.chunkSize);
  }

  has(c: number): boolean {
    return this.present[c] === 1;
  }

  /** Reads cached chunk `c` into `dst` (chunkBytes(c) long); false if it is not all there. */
  read(c: number, dst: Uint8Array): boolean {
    if (!this.has(c)) return false;
    return this.data.read(dst, { at: c * this.chunkSize }) === dst.length;
  }

  /** Stores chunk `c` (see the ordering at the top of the file). */
  write(c: number, bytes: Uint8Array): void {
    if (this.has(c) || bytes.length !== this.chunkBytes(c)) return;
    if (this.data.write(bytes, { at: c * this.chunkSize }) !== bytes.length) return;
    this.data.flush();
    this.present[c] = 1;
    this.map.write(this.present.subarray(c, c + 1), { at: c });
    this.map.flush();
  }

  close(): void {
    this.data.close();
    this.map.close();
  }
}

/** Removes every cached image chunk of this origin (`Pod.clearImageCache`). */
export function clearChunkCaches(): Promise<void> {
  return opfsRemove(ROOT);
}
