// A program worker: one thread of a guest process, running on its own
// instance of kernel.wasm (docs/browser-host.md, "Running a program thread").

import { instantiateKernel, runThread, type KernelHooks } from '../kernel/instance.js';
import type { ThreadStartRequest, WorkerMessage, WorkerReply } from '../protocol.js';
import { scope } from './scope.js';

const post = (m: WorkerMessage, transfer?: Transferable[]) => scope.postMessage(m, transfer);

export async function runProgram(r: ThreadStartRequest): Promise<void> {
  const log = (line: string) => post({ kind: 'log', line });
  const hooks: KernelHooks = {
    startProcess: (pid, tid, area, bytes, path, key) => post({ kind: 'start', pid, tid, area, bytes, path, key }, [bytes.buffer]),
    startThread: (pid, tid, area, stack, tls) => post({ kind: 'thread', pid, tid, area, stack, tls }),
    killThread: (tid) => post({ kind: 'kill', tid }),
    log,
  };
  // execve'd images are compiled by the control worker, which shares modules by cache key.
  const pending = new Map<number, (m: WorkerReply) => void>();
  let nextId = 1;
  const onReply = (e: MessageEvent) => {
    const m = e.data as WorkerReply;
    if (m.kind === 'compiled') pending.get(m.id)?.(m);
  };
  scope.addEventListener('message', onReply);
  const compile = (bytes: Uint8Array<ArrayBuffer>, key: string | null) =>
    new Promise<WebAssembly.Module>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (m) => {
        pending.delete(id);
        if (m.module) resolve(m.module);
        else reject(new Error(m.error ?? 'compile failed'));
      });
      post({ kind: 'compile', id, bytes, key }, [bytes.buffer]);
    });

  const kernel = await instantiateKernel({ module: r.kernelModule, memory: r.kernelMemory, first: false, area: r.area, hooks, origin: r.origin });
  const entry = r.memory ? { kind: 'thread' as const, stack: r.stack ?? 0, tls: r.tls ?? 0 } : { kind: 'process' as const };
  try {
    await runThread(kernel, {
      tid: r.tid,
      module: r.module,
      memory: r.memory,
      limits: r.limits,
      entry,
      state: r.state,
      log,
      onImage: (module, memory) => post({ kind: 'image', pid: r.pid, module, memory }),
      compile,
    });
  } finally {
    scope.removeEventListener('message', onReply);
  }
  post({ kind: 'done', tid: r.tid });
}
