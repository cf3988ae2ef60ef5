// Small helpers over the origin private file system (OPFS), shared by the
// image chunk cache (chunk-store.ts) and pod storage (storage.ts).

/**
 * The part of FileSystemSyncAccessHandle we use. It is in TypeScript's
 * "webworker" lib, which can't be combined with the "dom" lib the rest of
 * web/src needs.
 */
export interface SyncAccessHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

/** Whether this context has OPFS at all. */
export function haveOpfs(): boolean {
  return typeof navigator !== 'undefined' && !!navigator.storage?.getDirectory;
}

/** The directory at `path` under the OPFS root, created if missing (else NotFoundError with `create` false). */
export async function opfsDir(path: string[], create = true): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const name of path) dir = await dir.getDirectoryHandle(name, { create });
  return dir;
}

/** Removes the entry at `path` (recursively); absent is fine. */
export async function opfsRemove(path: string[]): Promise<void> {
  try {
    const dir = await opfsDir(path.slice(0, -1), false);
    await dir.removeEntry(path[path.length - 1], { recursive: true });
  } catch (e) {
    if ((e as DOMException)?.name !== 'NotFoundError') throw e;
  }
}

/**
 * A sync access handle on `name` in `dir` (created if missing). Dedicated
 * workers only; exclusive: a second open of the same file fails until the
 * first is closed (or its worker ends).
 */
export async function openSync(dir: FileSystemDirectoryHandle, name: string): Promise<SyncAccessHandle> {
  const file = (await dir.getFileHandle(name, { create: true })) as FileSystemFileHandle & {
    createSyncAccessHandle(): Promise<SyncAccessHandle>;
  };
  return file.createSyncAccessHandle();
}

/** The first `bytes` bytes of SHA-256(text), in hex: a file-name-safe key. */
export async function hexDigest(text: string, bytes = 12): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).subarray(0, bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}
