// Facts about a wasm module that WebAssembly's JS API does not expose: the
// limits of its `env.memory` import (a program's memory is created by the
// host from them, docs/program-abi.md), and what a trap means as a signal.

const dec = new TextDecoder();

export interface MemoryLimits {
  initial: number;
  maximum?: number;
  shared: boolean;
}

/** Limits of a module's `env.memory` import, parsed from the binary; null if it has none. */
export function memoryImportLimits(bytes: ArrayBuffer | Uint8Array): MemoryLimits | null {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let i = 8;
  const leb = (): number => {
    let r = 0;
    let shift = 0;
    for (;;) {
      if (i >= b.length) throw new Error('truncated wasm module');
      const x = b[i++];
      r += (x & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(x & 0x80)) return r;
    }
  };
  const name = (): string => {
    const n = leb();
    const s = dec.decode(b.subarray(i, i + n));
    i += n;
    return s;
  };
  while (i < b.length) {
    const id = b[i++];
    const size = leb();
    const end = i + size;
    if (id !== 2) {
      i = end;
      continue;
    }
    const count = leb();
    for (let c = 0; c < count; c++) {
      const mod = name();
      const field = name();
      const kind = b[i++];
      if (kind === 0) {
        leb(); // function: type index
      } else if (kind === 1) {
        i++; // table: reftype, then limits
        const flags = b[i++];
        leb();
        if (flags & 1) leb();
      } else if (kind === 2) {
        const flags = b[i++];
        const initial = leb();
        const maximum = flags & 1 ? leb() : undefined;
        if (mod === 'env' && field === 'memory') return { initial, maximum, shared: !!(flags & 2) };
      } else if (kind === 3) {
        i += 2; // global: valtype, mutability
      } else if (kind === 4) {
        i++; // tag: attribute, type index
        leb();
      } else {
        throw new Error(`unknown import kind ${kind}`);
      }
    }
    return null;
  }
  return null;
}

const SIGILL = 4;
const SIGFPE = 8;
const SIGSEGV = 11;

/** The signal a trap stands for (docs/program-abi.md, "Traps"). */
export function trapSignal(e: unknown): number {
  const m = String(e instanceof Error ? e.message : e);
  if (/unreachable/i.test(m)) return SIGILL;
  if (/divi(de|sion) by zero|remainder by zero/i.test(m)) return SIGFPE;
  return SIGSEGV;
}
