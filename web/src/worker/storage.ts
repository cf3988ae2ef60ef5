// Pod storage (`Pod.boot({ storageKey })`): the root overlay's journal,
// one OPFS file per key that the kernel reads and appends through the io
// worker (the log format is the kernel's: crates/blockdev
// overlay/journal.rs). This module only finds, opens and deletes it.

import { hexDigest, opfsDir, opfsRemove, openSync, type SyncAccessHandle } from './opfs.js';

const ROOT = ['wasmpod', 'storage'];

/** A storage key's directory name: keys are any string, names are not. */
function dirName(key: string): Promise<string> {
  return hexDigest(`storage\n${key}`, 16);
}

/**
 * The journal of `key`, opened for the io worker. Fails with a clear
 * message when another pod (this page or another tab) has it open.
 */
export async function openJournal(key: string): Promise<SyncAccessHandle> {
  const dir = await opfsDir([...ROOT, await dirName(key)]);
  try {
    return await openSync(dir, 'journal');
  } catch (e) {
    const name = (e as DOMException)?.name;
    if (name === 'NoModificationAllowedError' || name === 'InvalidStateError')
      throw new Error(`storage '${key}' is in use by another pod (one pod per storage key at a time)`);
    throw e;
  }
}

/**
 * The journal of `key` as bytes (`Pod.exportStorage`): empty when the key
 * has no storage. `wasmpod image flatten IMG --journal FILE -o OUT` applies
 * it to the image it was made over.
 */
export async function exportJournal(key: string): Promise<Uint8Array> {
  let file: File;
  try {
    const dir = await opfsDir([...ROOT, await dirName(key)], false);
    file = await (await dir.getFileHandle('journal')).getFile();
  } catch (e) {
    if ((e as DOMException)?.name === 'NotFoundError') return new Uint8Array(0);
    throw e;
  }
  return new Uint8Array(await file.arrayBuffer());
}

/** Removes the storage of `key` (`Pod.deleteStorage`); absent is fine. */
export async function deleteStorage(key: string): Promise<void> {
  await opfsRemove([...ROOT, await dirName(key)]);
}
