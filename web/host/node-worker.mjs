// The Node (worker_threads) glue around kernel-instance.mjs: one worker per
// program thread, plus a control worker that initialises the kernel and
// serves the host (the browser runtime will use Web Workers the same way).
import { parentPort, workerData } from 'node:worker_threads';
import { instantiateKernel, runThread } from './kernel-instance.mjs';

const d = workerData;
const post = (m) => parentPort.postMessage(m);
const log = (line) => post({ type: 'log', line });
const hooks = {
  startProcess: (pid, tid, area, bytes, path) => post({ type: 'start', pid, tid, area, bytes, path }, [bytes.buffer]),
  startThread: (pid, tid, area, stack, tls) => post({ type: 'thread', pid, tid, area, stack, tls, src: d.tid }),
  killThread: (tid) => post({ type: 'kill', tid }),
  log,
};

const dbg = (s) => { if (d.debug) post({ type: 'log', line: s }); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder();

async function control() {
  const kernel = await instantiateKernel({ module: d.module, memory: d.memory, first: true, hooks, origin: d.origin });
  const k = kernel.exports;
  const init = k.wasmpod_init(k.__tls_size.value, k.__tls_align.value, d.trace ? 1 : 0);
  if (init < 0) throw new Error(`wasmpod_init: errno ${-init}`);
  const freeAreas = [];
  parentPort.on('message', (m) => {
    if (m.type === 'free' && m.area) freeAreas.push(m.area);
  });

  // Host calls as init (pid 1) with kernel-memory buffers.
  const call = (nr, ...a) => k.wasmpod_host_syscall(init, nr, ...[...a, 0, 0, 0, 0, 0, 0].slice(0, 6));
  const SYS_openat = 56, SYS_write = 64, SYS_close = 57, SYS_mkdirat = 34;
  const AT_FDCWD = -100, O_WRONLY = 1, O_CREAT = 0o100, O_TRUNC = 0o1000;
  const install = (path, bytes) => {
    const [p, pl] = kernel.put(path + '\0');
    const fd = call(SYS_openat, AT_FDCWD, p, O_WRONLY | O_CREAT | O_TRUNC, 0o755);
    k.wasmpod_free(p, pl);
    if (fd < 0) throw new Error(`open ${path}: errno ${-fd}`);
    const [b, bl] = kernel.put(bytes);
    for (let off = 0; off < bl; ) {
      const n = call(SYS_write, fd, b + off, bl - off);
      if (n <= 0) throw new Error(`write ${path}: errno ${-n}`);
      off += n;
    }
    k.wasmpod_free(b, bl);
    call(SYS_close, fd);
  };
  const [bin, binl] = kernel.put('/bin\0');
  call(SYS_mkdirat, AT_FDCWD, bin, 0o755);
  k.wasmpod_free(bin, binl);
  for (const f of d.files) install(f.path, new Uint8Array(f.bytes));

  const pipes = [k.wasmpod_host_pipe(0), k.wasmpod_host_pipe(1), k.wasmpod_host_pipe(1)];
  if (pipes.some((h) => h < 0)) throw new Error(`host pipes: ${pipes}`);
  const nul = (list) => list.map((s) => s + '\0').join('');
  const [path, pathl] = kernel.put(d.run.path);
  const [argv, argvl] = kernel.put(nul(d.run.argv));
  const [envp, envpl] = kernel.put(nul(d.run.env));
  const [cwd, cwdl] = kernel.put(d.run.cwd || '');
  const pid = k.wasmpod_spawn_initial(path, pathl, argv, argvl, envp, envpl, cwd, cwdl, ...pipes);
  for (const [p, l] of [[path, pathl], [argv, argvl], [envp, envpl], [cwd, cwdl]]) k.wasmpod_free(p, l);
  if (pid < 0) throw new Error(`spawn_initial: errno ${-pid}`);
  dbg(`spawned ${pid}`);

  if (d.run.stdin !== undefined) {
    const [b, bl] = kernel.put(enc.encode(d.run.stdin));
    for (let off = 0; off < bl; ) {
      const n = k.wasmpod_pipe_write(pipes[0], b + off, bl - off, 0);
      if (n === -11) {
        await sleep(1);
        continue;
      }
      if (n <= 0) break;
      off += n;
    }
    k.wasmpod_free(b, bl);
  }
  dbg('stdin written');
  k.wasmpod_pipe_close(pipes[0]);
  dbg('stdin closed');

  const out = [[], []];
  const open = [true, true];
  const bufLen = 65536;
  const buf = k.wasmpod_alloc(bufLen);
  let status = -1;
  const deadline = Date.now() + (d.timeoutMs || 20000);
  while (open[0] || open[1] || status < 0) {
    let progress = false;
    for (let i = 0; i < 2; i++) {
      if (!open[i]) continue;
      dbg(`read ${i}`);
      const n = k.wasmpod_pipe_read(pipes[i + 1], buf, bufLen, 0);
      dbg(`read ${i} -> ${n}`);
      if (n > 0) {
        out[i].push(kernel.bytes().slice(buf, buf + n));
        progress = true;
      } else if (n === 0 || (n < 0 && n !== -11)) {
        open[i] = false;
        k.wasmpod_pipe_close(pipes[i + 1]);
      }
    }
    dbg(`poll ${open} ${status}`);
    if (status < 0) status = k.wasmpod_process_status(pid);
    dbg(`status ${status}`);
    while (freeAreas.length) k.wasmpod_area_free(freeAreas.pop());
    if (Date.now() > deadline) break;
    if (!progress) await sleep(2);
  }
  const join = (chunks) => Buffer.concat(chunks.map((c) => Buffer.from(c))).toString('utf8');
  post({ type: 'result', pid, status, stdout: join(out[0]), stderr: join(out[1]), timedOut: status < 0 });
}

async function program() {
  const kernel = await instantiateKernel({ module: d.module, memory: d.memory, first: false, area: d.area, hooks, origin: d.origin });
  const start = d.role === 'thread' ? { kind: 'thread', stack: d.stack, tls: d.tls } : { kind: 'process' };
  const module = d.role === 'thread' ? d.progModule : d.bytes;
  const onImage = (mod, mem) => post({ type: 'image', pid: d.pid, module: mod, memory: mem });
  await runThread(kernel, { tid: d.tid, module, memory: d.progMemory, start, log, onImage });
  post({ type: 'done', tid: d.tid, area: d.area });
}

(d.role === 'control' ? control() : program()).catch((e) => {
  post({ type: 'error', tid: d.tid, error: String(e && e.stack) });
});
