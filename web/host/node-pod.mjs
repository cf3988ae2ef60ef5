// A one-program pod under Node worker_threads (tests and benchmarks):
// boot(kernelPath, { files: [{ path, bytes }], run: { path, argv, env, cwd,
// stdin, pty }, image? }) -> { pid, status, stdout, stderr, ms, logs, starts, stats,
// wake, io?, ioWorker? } (see node-worker.mjs; `starts` lists the processes
// the kernel started: { pid, path, key }). image = { url, size, chunkSize?,
// ioModule } mounts the ext2 image at url as the root through an io worker
// (node-io-worker.mjs running ioModule, the bundled web/src/worker/io.ts);
// then io = { bytes, requests } as the kernel counted them
// (wasmpod_io_stats) and ioWorker = the io worker's. The main thread
// owns the workers: a control worker (the first kernel instance, see
// node-worker.mjs) and one worker per program thread, started when the
// kernel asks (host_start_process / host_start_thread).
// The kernel layer is the browser runtime's (web/src/kernel/index.ts),
// bundled by `cargo xtask web --test` to the path in WASMPOD_KERNEL_JS.
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const kernelJs = process.env.WASMPOD_KERNEL_JS;
if (!kernelJs) throw new Error('WASMPOD_KERNEL_JS: path of the bundled web/src/kernel/index.ts (cargo xtask web --test makes it)');
const { memoryImportLimits, THREAD_USER, THREAD_DEAD } = await import(pathToFileURL(kernelJs).href);

const workerUrl = new URL('./node-worker.mjs', import.meta.url);
const ioWorkerUrl = new URL('./node-io-worker.mjs', import.meta.url);

export async function boot(kernelPath, { files, run, image, timeoutMs = 20000, debug = !!process.env.WASMPOD_SMOKE_DEBUG }) {
  const kbytes = readFileSync(kernelPath);
  const module = await WebAssembly.compile(kbytes);
  const lim = memoryImportLimits(kbytes);
  const memory = new WebAssembly.Memory({ initial: lim.initial, maximum: lim.maximum, shared: true });
  const origin = performance.timeOrigin + performance.now();
  const common = { module, memory, origin, kernelJs };
  const states = new Map(); // tid -> Int32Array, the thread's USER/KERNEL/DEAD word
  const workers = new Map(); // tid -> Worker
  const images = new Map(); // pid -> { module, memory }
  const logs = [];
  const starts = [];
  let control;
  // The root image's io worker (only with `image`).
  let io = null;
  const ioStats = new BigInt64Array(new SharedArrayBuffer(40));
  const started = performance.now();
  let timer;
  const stopAll = async () => {
    clearTimeout(timer);
    if (io) await io.terminate();
    for (const w of workers.values()) await w.terminate();
    await control?.terminate();
  };
  const result = await new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms; log:\n${logs.join('\n')}`)), timeoutMs + 5000);
    const onMessage = (m) => {
      if (process.env.WASMPOD_SMOKE_DEBUG) console.error('msg', m.type, m.tid ?? '', m.line ?? m.error ?? '');
      switch (m.type) {
        case 'log':
          logs.push(m.line);
          break;
        case 'start':
          starts.push({ pid: m.pid, path: m.path, key: m.key });
          spawn({ role: 'process', pid: m.pid, tid: m.tid, area: m.area, bytes: m.bytes, path: m.path, state: newState(m.tid) });
          break;
        case 'image':
          images.set(m.pid, { module: m.module, memory: m.memory });
          break;
        case 'thread': {
          const img = images.get(m.pid);
          if (!img) {
            logs.push(`thread ${m.tid} of unknown process ${m.pid}`);
            break;
          }
          spawn({ role: 'thread', pid: m.pid, tid: m.tid, area: m.area, stack: m.stack, tls: m.tls, progModule: img.module, progMemory: img.memory, state: newState(m.tid) });
          break;
        }
        case 'kill': {
          // Platform::kill_thread: the thread runs guest code and will not
          // enter the kernel again; terminated only from USER (a thread
          // inside the kernel sees its SIGKILL on the way out).
          const st = states.get(m.tid);
          const w = workers.get(m.tid);
          if (!st || !w || Atomics.compareExchange(st, 0, THREAD_USER, THREAD_DEAD) !== THREAD_USER) break;
          workers.delete(m.tid);
          states.delete(m.tid);
          w.terminate().then(() => control.postMessage({ type: 'killed', tid: m.tid, area: areas.get(m.tid) }));
          break;
        }
        case 'done':
          workers.delete(m.tid);
          states.delete(m.tid);
          control.postMessage({ type: 'free', area: m.area });
          break;
        case 'io-slot':
          io = new Worker(ioWorkerUrl, { workerData: { memory, slot: m.slot, url: image.url, ioModule: image.ioModule, chunkSize: m.chunkSize, stats: ioStats } });
          io.on('message', onMessage);
          io.on('error', (e) => reject(e));
          io.on('exit', (code) => reject(new Error(`the io worker exited (${code}); log:\n${logs.join('\n')}`)));
          break;
        case 'io-ready':
          control.postMessage({ type: 'io-ready' });
          break;
        case 'result':
          clearTimeout(timer);
          resolve(m);
          break;
        case 'error':
          clearTimeout(timer);
          reject(new Error(`worker ${m.tid ?? 'control'}: ${m.error}\nlog:\n${logs.join('\n')}`));
          break;
      }
    };
    const newState = (tid) => {
      const st = new Int32Array(new SharedArrayBuffer(4));
      states.set(tid, st);
      return st;
    };
    const areas = new Map(); // tid -> area
    const spawn = (data) => {
      if (data.tid) areas.set(data.tid, data.area);
      const w = new Worker(workerUrl, { workerData: { ...common, ...data } });
      w.on('message', onMessage);
      w.on('error', (e) => reject(e));
      if (data.tid) workers.set(data.tid, w);
      return w;
    };
    control = spawn({ role: 'control', files, run, image: image && { size: image.size, chunkSize: image.chunkSize ?? 0 }, timeoutMs, debug });
  }).catch(async (e) => {
    await stopAll();
    throw e;
  });
  result.ms = performance.now() - started;
  result.logs = logs;
  result.starts = starts;
  if (io) result.ioWorker = { bytes: Number(ioStats[0]), requests: Number(ioStats[1]) };
  await stopAll();
  return result;
}

