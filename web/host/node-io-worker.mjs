// The io worker under Node worker_threads (tests): runs web/src/worker/io.ts
// (bundled by esbuild; its path comes in workerData.ioModule) on the shared
// kernel memory. Posts 'io-ready' before serving, 'io-stats' after every
// request, 'error' if it stops.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const d = workerData;
// A pending Atomics.waitAsync does not keep a Node worker's event loop
// alive: with nothing else to do the worker would exit mid-wait (and the
// kernel, waiting on the io slot, hang). A browser worker lives until it is
// terminated, so this is Node-only.
setInterval(() => {}, 1 << 30);
const post = (m) => parentPort.postMessage(m);
try {
  const { runIo } = await import(pathToFileURL(d.ioModule).href);
  post({ type: 'io-ready' });
  await runIo({
    kernelMemory: d.memory,
    slot: d.slot,
    url: d.url,
    onStats: (bytes, requests) => post({ type: 'io-stats', bytes, requests }),
  });
} catch (e) {
  post({ type: 'error', tid: 'io', error: String(e && e.stack) });
}
