// Entry of every wasmpod worker (build/web/worker.js). The first message
// says which role this worker plays: the control worker (the page created
// it), a program thread, or the io worker (the control worker created them).

import { scope } from './scope.js';
import { runControl } from './control.js';
import { runIo } from './io.js';
import { runProgram } from './program.js';
import type { IoMessage, IoStartRequest } from '../protocol.js';

const first = (e: MessageEvent) => {
  scope.removeEventListener('message', first);
  const m = e.data as { role: string };
  const run =
    m.role === 'control' ? runControl(e.data) : m.role === 'program' ? runProgram(e.data) : m.role === 'io' ? io(e.data) : Promise.reject(new Error(`unknown worker role ${m.role}`));
  run.then(
    // A program worker that finished cleanly goes back to the control
    // worker's pool and waits for its next role.
    () => m.role === 'program' && scope.addEventListener('message', first),
    (err: unknown) => {
      scope.postMessage({ kind: 'log', line: `wasmpod worker (${m.role}): ${(err as Error)?.stack ?? err}` });
      if (m.role === 'program') scope.postMessage({ kind: 'crashed', tid: (e.data as { tid: number }).tid });
    },
  );
};
scope.addEventListener('message', first);

/**
 * The io worker: opens its files, says it runs (the control worker waits
 * for that before it mounts) or why it can't, then serves the io slot.
 */
function io(r: IoStartRequest): Promise<never> {
  const post = (m: IoMessage) => scope.postMessage(m);
  let running = false;
  return runIo({
    kernelMemory: r.kernelMemory,
    slot: r.slot,
    image: r.image,
    chunkSize: r.chunkSize,
    cache: r.cache,
    websocket: r.websocket,
    stats: r.stats,
    journals: r.journals,
    log: (line) => post({ kind: 'log', line }),
    ready: () => {
      running = true;
      post({ kind: 'ioRunning' });
    },
  }).catch((e: unknown) => {
    if (!running) post({ kind: 'ioFailed', error: String((e as Error)?.message ?? e) });
    throw e;
  });
}
