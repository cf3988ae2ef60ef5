// The io worker under Node worker_threads (tests): runs web/src/worker/io.ts
// (bundled by esbuild; its path comes in workerData.ioModule) on the shared
// kernel memory. Posts 'io-ready' before serving, 'error' if it stops; it
// counts its traffic in the shared workerData.stats words (io.ts
// readIoStats). No persistent chunk cache: that is OPFS, browser-only.
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
  const { runIo, probeImage } = await import(pathToFileURL(d.ioModule).href);
  const image = await probeImage(d.url);
  if (image === null) throw new Error(`${d.url}: 404`);
  post({ type: 'io-ready' });
  await runIo({ kernelMemory: d.memory, slot: d.slot, image, chunkSize: d.chunkSize, cache: false, websocket: false, journals: [], stats: d.stats });
} catch (e) {
  post({ type: 'error', tid: 'io', error: String(e && e.stack) });
}
