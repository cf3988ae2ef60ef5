// Entry of every wasmpod worker (build/web/worker.js). The first message
// says which role this worker plays: the control worker (the page created
// it), a program thread, or the io worker (the control worker created them).

import { scope } from './scope.js';
import { runControl } from './control.js';
import { runProgram } from './program.js';

const first = (e: MessageEvent) => {
  scope.removeEventListener('message', first);
  const m = e.data as { role: string };
  const run = m.role === 'control' ? runControl(e.data) : m.role === 'program' ? runProgram(e.data) : Promise.reject(new Error(`unknown worker role ${m.role}`));
  run.catch((err: unknown) => {
    scope.postMessage({ kind: 'log', line: `wasmpod worker (${m.role}): ${(err as Error)?.stack ?? err}` });
  });
};
scope.addEventListener('message', first);
