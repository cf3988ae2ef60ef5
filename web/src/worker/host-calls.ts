// System calls the control worker makes on the host's behalf, as init
// (pid 1, root), with kernel-memory buffers (`wasmpod_host_syscall`): how
// the Pod file API reaches the filesystem. Errors become `Error`s whose
// message is "ENAME: path" and whose `code` is the errno name.

import { ERRNO_NAMES, SYS } from '../gen/abi.js';
import type { KernelInstance } from '../kernel/instance.js';

export const AT_FDCWD = -100;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_CREAT = 0o100;
export const O_TRUNC = 0o1000;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
const ENOENT = 2;
const EEXIST = 17;
/** Owner of what the file API creates: the pod's default user (as `wasmpod run`'s programs). */
const USER_UID = 1000;
const USER_GID = 1000;
const CHUNK = 1 << 20;
const S_IFMT = 0o170000;
const TYPES: Record<number, FileType> = {
  0o100000: 'file',
  0o040000: 'directory',
  0o120000: 'symlink',
  0o020000: 'character-device',
  0o060000: 'block-device',
  0o010000: 'fifo',
  0o140000: 'socket',
};

export type FileType = 'file' | 'directory' | 'symlink' | 'character-device' | 'block-device' | 'fifo' | 'socket';

/** What `stat` reports (times in ms since the epoch). */
export interface StatInfo {
  type: FileType;
  mode: number;
  size: number;
  uid: number;
  gid: number;
  nlink: number;
  ino: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
}

export class ErrnoError extends Error {
  constructor(
    readonly errno: number,
    what: string,
  ) {
    super(`${ERRNO_NAMES[errno] ?? `E${errno}`}: ${what}`);
  }
  get code(): string {
    return ERRNO_NAMES[this.errno] ?? `E${this.errno}`;
  }
}

export class HostCalls {
  constructor(
    private readonly kernel: KernelInstance,
    private readonly pid: number,
  ) {}

  /** A raw call: the result, negative errno on failure. */
  raw(name: string, ...args: number[]): number {
    const nr = SYS[name];
    if (nr === undefined) throw new Error(`no system call ${name}`);
    const a = [...args, 0, 0, 0, 0, 0, 0];
    return this.kernel.exports.wasmpod_host_syscall(this.pid, nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  }

  /** Runs `f` with `s` as a NUL-terminated kernel string. */
  private withPath<T>(s: string, f: (ptr: number) => T): T {
    const [p, l] = this.kernel.put(s + '\0');
    try {
      return f(p);
    } finally {
      this.kernel.exports.wasmpod_free(p, l);
    }
  }

  private check(r: number, what: string): number {
    if (r < 0) throw new ErrnoError(-r, what);
    return r;
  }

  open(path: string, flags: number, mode = 0): number {
    return this.check(this.withPath(path, (p) => this.raw('openat', AT_FDCWD, p, flags | O_CLOEXEC, mode)), path);
  }

  close(fd: number): void {
    this.raw('close', fd);
  }

  /** Opens for writing, creating the file owned by the pod user if it is new. */
  create(path: string, mode: number, truncate: boolean): number {
    const existed = this.lstatRaw(path) !== null;
    const fd = this.open(path, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : 0), mode);
    if (!existed) this.raw('fchown', fd, USER_UID, USER_GID);
    return fd;
  }

  write(fd: number, data: Uint8Array, what: string): void {
    for (let off = 0; off < data.length; off += CHUNK) {
      const piece = data.subarray(off, Math.min(data.length, off + CHUNK));
      const [b, bl] = this.kernel.put(piece);
      try {
        for (let done = 0; done < bl; ) {
          const n = this.check(this.raw('write', fd, b + done, bl - done), what);
          if (n === 0) throw new ErrnoError(5, what);
          done += n;
        }
      } finally {
        this.kernel.exports.wasmpod_free(b, bl);
      }
    }
  }

  readFile(path: string): Uint8Array {
    const fd = this.open(path, O_RDONLY);
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buf = this.kernel.exports.wasmpod_alloc(CHUNK);
    try {
      for (;;) {
        const n = this.check(this.raw('read', fd, buf, CHUNK), path);
        if (n === 0) break;
        chunks.push(this.kernel.bytes().slice(buf, buf + n));
        total += n;
      }
    } finally {
      this.kernel.exports.wasmpod_free(buf, CHUNK);
      this.close(fd);
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  /** `stat` (following symlinks) or `lstat`; throws on failure. */
  stat(path: string, follow = true): StatInfo {
    const buf = this.kernel.exports.wasmpod_alloc(128);
    try {
      const flags = follow ? 0 : AT_SYMLINK_NOFOLLOW;
      this.check(this.withPath(path, (p) => this.raw('newfstatat', AT_FDCWD, p, buf, flags)), path);
      const v = new DataView(this.kernel.memory.buffer, buf, 128);
      const mode = v.getUint32(16, true);
      const ms = (sec: number, nsec: number) => Number(v.getBigInt64(sec, true)) * 1000 + v.getInt32(nsec, true) / 1e6;
      return {
        type: TYPES[mode & S_IFMT] ?? 'file',
        mode: mode & 0o7777,
        size: Number(v.getBigInt64(48, true)),
        uid: v.getUint32(24, true),
        gid: v.getUint32(28, true),
        nlink: v.getUint32(20, true),
        ino: Number(v.getBigUint64(8, true)),
        atimeMs: ms(72, 80),
        mtimeMs: ms(88, 96),
        ctimeMs: ms(104, 112),
      };
    } finally {
      this.kernel.exports.wasmpod_free(buf, 128);
    }
  }

  private lstatRaw(path: string): StatInfo | null {
    try {
      return this.stat(path, false);
    } catch (e) {
      if (e instanceof ErrnoError && e.errno === ENOENT) return null;
      throw e;
    }
  }

  mkdir(path: string, mode: number, recursive: boolean): void {
    const make = (p: string) => {
      const r = this.withPath(p, (ptr) => this.raw('mkdirat', AT_FDCWD, ptr, mode));
      if (r === 0) {
        this.withPath(p, (ptr) => this.raw('fchownat', AT_FDCWD, ptr, USER_UID, USER_GID, AT_SYMLINK_NOFOLLOW));
        return;
      }
      if (recursive && -r === EEXIST && this.stat(p).type === 'directory') return;
      throw new ErrnoError(-r, p);
    };
    if (!recursive) return make(path);
    const parts = path.split('/').filter((s) => s);
    let cur = path.startsWith('/') ? '' : '.';
    for (const part of parts) {
      cur += '/' + part;
      make(cur);
    }
  }

  readdir(path: string): string[] {
    const fd = this.open(path, O_RDONLY | O_DIRECTORY);
    const len = 32768;
    const buf = this.kernel.exports.wasmpod_alloc(len);
    const names: string[] = [];
    const dec = new TextDecoder();
    try {
      for (;;) {
        const n = this.check(this.raw('getdents64', fd, buf, len), path);
        if (n === 0) break;
        const bytes = this.kernel.bytes().slice(buf, buf + n);
        const v = new DataView(bytes.buffer);
        for (let off = 0; off < n; ) {
          const reclen = v.getUint16(off + 16, true);
          const nameStart = off + 19;
          let end = nameStart;
          while (end < off + reclen && bytes[end] !== 0) end++;
          const name = dec.decode(bytes.subarray(nameStart, end));
          if (name !== '.' && name !== '..') names.push(name);
          off += reclen;
        }
      }
    } finally {
      this.kernel.exports.wasmpod_free(buf, len);
      this.close(fd);
    }
    return names.sort();
  }

  rm(path: string, recursive: boolean): void {
    const st = this.stat(path, false);
    if (st.type === 'directory') {
      if (!recursive) throw new ErrnoError(21, path); // EISDIR, as rm without -r
      for (const name of this.readdir(path)) this.rm(`${path.replace(/\/+$/, '')}/${name}`, true);
      this.check(this.withPath(path, (p) => this.raw('unlinkat', AT_FDCWD, p, AT_REMOVEDIR)), path);
      return;
    }
    this.check(this.withPath(path, (p) => this.raw('unlinkat', AT_FDCWD, p, 0)), path);
  }

  kill(pid: number, sig: number): void {
    this.check(this.raw('kill', pid, sig), `pid ${pid}`);
  }
}
