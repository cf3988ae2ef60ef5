// Programs the page started (`pod.run`): their host pipes (stdin in,
// stdout/stderr out) or terminal, pumped whenever the kernel says host
// state changed, and their exit status.

import type { KernelInstance } from '../kernel/instance.js';
import type { ControlMessage } from '../protocol.js';
import { ErrnoError } from './host-calls.js';

const EAGAIN = 11;
const BUF = 65536;
const enc = new TextEncoder();

interface OutPipe {
  h: number;
  fd: 1 | 2;
}

interface Running {
  pid: number;
  stdin: number | null;
  /** Bytes waiting for room in the stdin pipe; then maybe a close. */
  stdinQueue: Uint8Array[];
  stdinClosing: boolean;
  outs: OutPipe[];
  /** The wait status once known. */
  status: number | null;
}

export interface SpawnArgs {
  path: string;
  argv: string[];
  env: string[];
  cwd: string;
  pty: number | null;
}

export class Processes {
  private readonly running = new Map<number, Running>();
  /** Host ptys, and whether their programs are all gone (pty_read said EIO). */
  private readonly ptys = new Map<number, { hungUp: boolean }>();
  private buf = 0;

  constructor(
    private readonly kernel: KernelInstance,
    private readonly post: (m: ControlMessage, transfer?: Transferable[]) => void,
  ) {}

  spawn(a: SpawnArgs): number {
    const k = this.kernel.exports;
    const nul = (list: string[]) => list.map((s) => s + '\0').join('');
    const strings = [a.path, nul(a.argv), nul(a.env), a.cwd].map((s) => this.kernel.put(enc.encode(s)));
    const [[p, pl], [av, avl], [ev, evl], [cw, cwl]] = strings;
    let pid: number;
    let r: Running;
    try {
      if (a.pty !== null) {
        pid = k.wasmpod_spawn_on_pty(p, pl, av, avl, ev, evl, cw, cwl, a.pty);
        if (pid < 0) throw new ErrnoError(-pid, a.path);
        // The program reopened the terminal: its next EIO is news again.
        const t = this.ptys.get(a.pty);
        if (t) t.hungUp = false;
        r = { pid, stdin: null, stdinQueue: [], stdinClosing: false, outs: [], status: null };
      } else {
        const hs = [k.wasmpod_host_pipe(0), k.wasmpod_host_pipe(1), k.wasmpod_host_pipe(1)];
        const bad = hs.find((h) => h < 0);
        if (bad !== undefined) {
          for (const h of hs) if (h >= 0) k.wasmpod_pipe_close(h);
          throw new ErrnoError(-bad, 'host pipe');
        }
        pid = k.wasmpod_spawn_initial(p, pl, av, avl, ev, evl, cw, cwl, hs[0], hs[1], hs[2]);
        if (pid < 0) {
          for (const h of hs) k.wasmpod_pipe_close(h);
          throw new ErrnoError(-pid, a.path);
        }
        r = { pid, stdin: hs[0], stdinQueue: [], stdinClosing: false, outs: [{ h: hs[1], fd: 1 }, { h: hs[2], fd: 2 }], status: null };
      }
    } finally {
      for (const [ptr, len] of strings) k.wasmpod_free(ptr, len);
    }
    this.running.set(pid, r);
    return pid;
  }

  stdinWrite(pid: number, data: Uint8Array): void {
    const r = this.running.get(pid);
    if (!r || r.stdin === null || r.stdinClosing) throw new ErrnoError(32, `stdin of pid ${pid}`); // EPIPE
    r.stdinQueue.push(data);
    this.pump();
  }

  stdinClose(pid: number): void {
    const r = this.running.get(pid);
    if (!r || r.stdin === null) return;
    r.stdinClosing = true;
    this.pump();
  }

  addPty(h: number): void {
    this.ptys.set(h, { hungUp: false });
  }

  removePty(h: number): void {
    this.ptys.delete(h);
  }

  private scratch(): number {
    if (!this.buf) this.buf = this.kernel.exports.wasmpod_alloc(BUF);
    return this.buf;
  }

  /** Moves everything that can move without blocking; posts output and exits. */
  pump(): void {
    const k = this.kernel.exports;
    for (const r of this.running.values()) {
      this.feedStdin(r);
      if (r.status === null) {
        const st = k.wasmpod_process_status(r.pid);
        if (st >= 0) r.status = st;
      }
      for (const o of [...r.outs]) {
        const end = this.drain(
          (b, l) => k.wasmpod_pipe_read(o.h, b, l, 0),
          (data) => this.post({ kind: 'output', pid: r.pid, fd: o.fd, data }, [data.buffer]),
        );
        if (end !== -EAGAIN) {
          // EOF: every writer is gone.
          k.wasmpod_pipe_close(o.h);
          r.outs = r.outs.filter((x) => x !== o);
        }
      }
      // Output written before the exit has been read above; later output
      // (from children still holding the pipes) keeps flowing after the event.
      if (r.status !== null && r.status >= 0) {
        this.post({ kind: 'exit', pid: r.pid, status: r.status });
        r.status = -1; // reported
        if (r.stdin !== null) {
          k.wasmpod_pipe_close(r.stdin);
          r.stdin = null;
        }
      }
      if (r.status === -1 && r.outs.length === 0) this.running.delete(r.pid);
    }
    for (const [h, t] of this.ptys) {
      const end = this.drain(
        (b, l) => k.wasmpod_pty_read(h, b, l, 0),
        (data) => {
          t.hungUp = false;
          this.post({ kind: 'ptyOutput', pty: h, data }, [data.buffer]);
        },
      );
      // EIO: no program holds the terminal any more; the next run on it reopens it.
      if (end !== -EAGAIN && !t.hungUp) {
        t.hungUp = true;
        this.post({ kind: 'ptyClosed', pty: h });
      }
    }
  }

  /** Reads with `read` (non-blocking) until it gives no data; returns that last result (-EAGAIN, 0 or -errno). */
  private drain(read: (buf: number, len: number) => number, onData: (data: Uint8Array<ArrayBuffer>) => void): number {
    const buf = this.scratch();
    for (;;) {
      const n = read(buf, BUF);
      if (n <= 0) return n;
      onData(this.kernel.bytes().slice(buf, buf + n));
    }
  }

  private feedStdin(r: Running): void {
    const k = this.kernel.exports;
    if (r.stdin === null) return;
    while (r.stdinQueue.length) {
      const data = r.stdinQueue[0];
      const [b, bl] = this.kernel.put(data);
      const n = k.wasmpod_pipe_write(r.stdin, b, bl, 0);
      k.wasmpod_free(b, bl);
      if (n === -EAGAIN) return;
      if (n <= 0) {
        // The program closed its stdin: drop what is left.
        r.stdinQueue = [];
        break;
      }
      if (n < data.length) r.stdinQueue[0] = data.subarray(n);
      else r.stdinQueue.shift();
    }
    if (r.stdinClosing) {
      k.wasmpod_pipe_close(r.stdin);
      r.stdin = null;
    }
  }
}
