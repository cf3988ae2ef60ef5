// The page's end of the control worker: numbered requests with promised
// replies, and events by kind.

import type { ControlMessage, Op } from '../protocol.js';

/** A failed Pod call: `message` is "ENAME: what", `code` the errno name. */
export class PodError extends Error {
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = 'PodError';
    this.code = message.split(':', 1)[0];
  }
}

type Listener = (m: ControlMessage) => void;

export class Channel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly listeners = new Set<Listener>();
  private closed: Error | null = null;

  constructor(private readonly worker: Worker) {
    worker.addEventListener('message', (e) => this.dispatch(e.data as ControlMessage));
  }

  private dispatch(m: ControlMessage): void {
    if (m.kind === 'reply') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new PodError(m.error));
      return;
    }
    for (const l of this.listeners) l(m);
  }

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  call<T>(op: Op, transfer: Transferable[] = []): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...op, id }, transfer);
    });
  }

  /** Fails every pending and later call (the pod is shut down). */
  close(why: Error): void {
    this.closed = why;
    for (const p of this.pending.values()) p.reject(why);
    this.pending.clear();
    this.listeners.clear();
  }
}
