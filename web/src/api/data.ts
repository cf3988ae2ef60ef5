// Bytes in, from what callers pass.

export type Data = ArrayBuffer | ArrayBufferView | string;

const enc = new TextEncoder();

/** A fresh, transferable copy of `data` (strings as UTF-8). */
export function toBytes(data: Data): Uint8Array {
  if (typeof data === 'string') return enc.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  throw new TypeError('expected an ArrayBuffer, a typed array or a string');
}
