// The control worker's table of program workers: starting a process or a
// thread in a new worker, sharing compiled modules, and stopping a busy
// thread (SIGKILL) only while it runs guest code (the state word).

import { THREAD_DEAD, THREAD_USER, type KernelInstance } from '../kernel/instance.js';
import { memoryImportLimits } from '../kernel/module-info.js';
import type { ThreadStartRequest, WorkerMessage, WorkerReply } from '../protocol.js';

const SIGSEGV = 11;
/** Compiled modules kept by cache key (execve of the same file reuses them). */
const MODULE_CACHE_SIZE = 64;
/**
 * Workers kept started and idle (script loaded, waiting for their role):
 * creating a module worker costs milliseconds, most of a spawn's time.
 */
const POOL_SIZE = 2;
/** Idle workers kept at most: finished program workers are reused. */
const POOL_MAX = 8;

interface ThreadEntry {
  worker: Worker | null;
  pid: number;
  area: number;
  state: Int32Array;
  /** SIGKILL came before the worker existed. */
  killed: boolean;
}

export interface ThreadsOptions {
  kernel: KernelInstance;
  kernelModule: WebAssembly.Module;
  workerUrl: string;
  origin: number;
  log(line: string): void;
}

export class Threads {
  private readonly threads = new Map<number, ThreadEntry>();
  private readonly images = new Map<number, { module: WebAssembly.Module; memory: WebAssembly.Memory }>();
  private readonly modules = new Map<string, Promise<WebAssembly.Module>>();
  private readonly idle: Worker[] = [];
  private refillTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(private readonly o: ThreadsOptions) {
    this.refill();
  }

  private refill(): void {
    this.refillTimer = null;
    while (!this.stopped && this.idle.length < POOL_SIZE) {
      this.idle.push(new Worker(this.o.workerUrl, { type: 'module', name: 'wasmpod program' }));
    }
  }

  /** An idle worker from the pool (refilled after this task), or a new one. */
  private takeWorker(): Worker {
    const w = this.idle.pop() ?? new Worker(this.o.workerUrl, { type: 'module', name: 'wasmpod program' });
    if (this.refillTimer === null) this.refillTimer = setTimeout(() => this.refill(), 0);
    return w;
  }

  get count(): number {
    return this.threads.size;
  }

  /** Compiles `bytes`, sharing the result between workers by the kernel's cache key. */
  compile(bytes: Uint8Array<ArrayBuffer>, key: string | null): Promise<WebAssembly.Module> {
    if (key === null) return WebAssembly.compile(bytes);
    let m = this.modules.get(key);
    if (!m) {
      m = WebAssembly.compile(bytes);
      m.catch(() => this.modules.delete(key!));
      this.modules.set(key, m);
      if (this.modules.size > MODULE_CACHE_SIZE) this.modules.delete(this.modules.keys().next().value!);
    }
    return m;
  }

  private entry(pid: number, tid: number, area: number): ThreadEntry {
    const e: ThreadEntry = { worker: null, pid, area, state: new Int32Array(new SharedArrayBuffer(4)), killed: false };
    this.threads.set(tid, e);
    return e;
  }

  /** `host_start_process` (called with the kernel lock held: everything here is deferred). */
  startProcess(pid: number, tid: number, area: number, bytes: Uint8Array<ArrayBuffer>, path: string, key: string | null): void {
    const e = this.entry(pid, tid, area);
    const limits = memoryImportLimits(bytes);
    this.compile(bytes, key).then(
      (module) => {
        if (!limits || !limits.shared) throw new Error(`${path}: no shared env.memory import`);
        this.launch(tid, e, { module, limits }, `pid ${pid} ${path}`);
      },
    ).catch((err: unknown) => {
      this.o.log(`wasmpod: pid ${pid}: ${path}: ${(err as Error)?.message ?? err}`);
      this.failed(tid, SIGSEGV);
    });
  }

  /** `host_start_thread`: a clone on the process's module and memory. */
  startThread(pid: number, tid: number, area: number, stack: number, tls: number): void {
    const e = this.entry(pid, tid, area);
    const img = this.images.get(pid);
    if (!img) {
      this.o.log(`wasmpod: thread ${tid} of unknown process ${pid}`);
      queueMicrotask(() => this.failed(tid, SIGSEGV));
      return;
    }
    this.launch(tid, e, { module: img.module, memory: img.memory, stack, tls }, `pid ${pid} thread ${tid}`);
  }

  private launch(tid: number, e: ThreadEntry, what: Partial<ThreadStartRequest>, name: string): void {
    if (e.killed) return this.exited(tid);
    const w = this.takeWorker();
    e.worker = w;
    w.onmessage = (ev) => this.onMessage(w, ev.data as WorkerMessage);
    w.onerror = (ev) => {
      this.o.log(`wasmpod: worker ${name}: ${ev.message}`);
      this.failed(tid, SIGSEGV);
    };
    const req: ThreadStartRequest = {
      role: 'program',
      kernelModule: this.o.kernelModule,
      kernelMemory: this.o.kernel.memory,
      origin: this.o.origin,
      area: e.area,
      pid: e.pid,
      tid,
      state: e.state,
      module: what.module!,
      limits: what.limits,
      memory: what.memory,
      stack: what.stack,
      tls: what.tls,
    };
    w.postMessage(req);
  }

  /** `host_kill_thread`: stop a thread that runs guest code and won't enter the kernel again. */
  kill(tid: number): void {
    const e = this.threads.get(tid);
    if (!e) return;
    if (!e.worker) {
      e.killed = true;
      return;
    }
    // Only from USER: a thread inside the kernel sees its SIGKILL on the way out.
    if (Atomics.compareExchange(e.state, 0, THREAD_USER, THREAD_DEAD) !== THREAD_USER) return;
    e.worker.terminate();
    e.worker = null;
    // Not from inside this kernel call (the kernel lock is held): later.
    setTimeout(() => this.exited(tid), 0);
  }

  /** Tells the kernel a thread that never ran (or was terminated) is gone. */
  private failed(tid: number, sig: number): void {
    const e = this.threads.get(tid);
    if (!e) return;
    e.worker?.terminate();
    e.worker = null;
    this.o.kernel.exports.wasmpod_thread_trapped(tid, sig);
    this.exited(tid);
  }

  private exited(tid: number): void {
    const e = this.threads.get(tid);
    if (!e) return;
    this.threads.delete(tid);
    this.o.kernel.exports.wasmpod_thread_exited(tid);
    this.o.kernel.exports.wasmpod_area_free(e.area);
    this.forgetImages();
  }

  /** Drops the module/memory of processes with no thread left. */
  private forgetImages(): void {
    const live = new Set<number>();
    for (const e of this.threads.values()) live.add(e.pid);
    for (const pid of this.images.keys()) if (!live.has(pid)) this.images.delete(pid);
  }

  private onMessage(w: Worker, m: WorkerMessage): void {
    switch (m.kind) {
      case 'start':
        this.startProcess(m.pid, m.tid, m.area, m.bytes, m.path, m.key);
        break;
      case 'thread':
        this.startThread(m.pid, m.tid, m.area, m.stack, m.tls);
        break;
      case 'kill':
        this.kill(m.tid);
        break;
      case 'log':
        this.o.log(m.line);
        break;
      case 'image':
        this.images.set(m.pid, { module: m.module, memory: m.memory });
        break;
      case 'compile':
        this.compile(m.bytes, m.key).then(
          (module) => w.postMessage({ kind: 'compiled', id: m.id, module } satisfies WorkerReply),
          (err: unknown) => w.postMessage({ kind: 'compiled', id: m.id, module: null, error: String(err) } satisfies WorkerReply),
        );
        break;
      case 'done': {
        // The worker told the kernel itself (wasmpod_thread_exited); only its area is left.
        const e = this.threads.get(m.tid);
        if (!e) break;
        this.threads.delete(m.tid);
        this.recycle(w);
        this.o.kernel.exports.wasmpod_area_free(e.area);
        this.forgetImages();
        break;
      }
      case 'crashed':
        this.failed(m.tid, SIGSEGV);
        break;
    }
  }

  /** A worker whose program ended cleanly waits in the pool for its next role. */
  private recycle(w: Worker): void {
    w.onmessage = null;
    w.onerror = null;
    if (!this.stopped && this.idle.length < POOL_MAX) this.idle.push(w);
    else w.terminate();
  }

  /** Stops every worker (pod shutdown). */
  terminateAll(): void {
    this.stopped = true;
    for (const w of this.idle.splice(0)) w.terminate();
    for (const e of this.threads.values()) e.worker?.terminate();
    this.threads.clear();
    this.images.clear();
  }
}
