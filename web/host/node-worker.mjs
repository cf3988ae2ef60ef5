// The Node (worker_threads) glue around the browser runtime's kernel layer
// (web/src/kernel, bundled by esbuild; its path comes in workerData.kernelJs):
// one worker per program thread, plus a control worker that initialises the
// kernel and serves the host, as the browser runtime does with Web Workers.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const d = workerData;
const { instantiateKernel, runThread, memoryImportLimits } = await import(pathToFileURL(d.kernelJs).href);
const post = (m) => parentPort.postMessage(m);
const log = (line) => post({ type: 'log', line });
const hooks = {
  startProcess: (pid, tid, area, bytes, path, key) => post({ type: 'start', pid, tid, area, bytes, path, key }, [bytes.buffer]),
  startThread: (pid, tid, area, stack, tls) => post({ type: 'thread', pid, tid, area, stack, tls, src: d.tid }),
  killThread: (tid) => post({ type: 'kill', tid }),
  log,
};

const dbg = (s) => { if (d.debug) post({ type: 'log', line: s }); };
const enc = new TextEncoder();
const EIO = 5;
const EAGAIN = 11;
// A wait for the host wake word gives up after this long and is counted as
// `timedOut` (the smoke test requires none): a safety net against a lost
// wake-up, not a poll interval.
const WAKE_SAFETY_MS = 10000;

async function control() {
  const kernel = await instantiateKernel({ module: d.module, memory: d.memory, first: true, hooks, origin: d.origin });
  const k = kernel.exports;
  const init = k.wasmpod_init(k.__tls_size.value, k.__tls_align.value, d.trace ? 1 : 0);
  if (init < 0) throw new Error(`wasmpod_init: errno ${-init}`);
  const freeAreas = [];
  let ioReady;
  const ioStarted = new Promise((r) => (ioReady = r));
  parentPort.on('message', (m) => {
    if (m.type === 'free' && m.area) freeAreas.push(m.area);
    // A thread terminated by SIGKILL (never inside the kernel: its state word said USER).
    if (m.type === 'killed') {
      k.wasmpod_thread_exited(m.tid);
      freeAreas.push(m.area);
    }
    if (m.type === 'io-ready') ioReady();
  });

  // The root image: the io worker must be serving before the mount, which
  // blocks this worker until the first reads are answered.
  if (d.image) {
    post({ type: 'io-slot', slot: k.wasmpod_io_slot(), chunkSize: d.image.chunkSize });
    await ioStarted;
    const r = k.wasmpod_mount_root_image(d.image.size % 2 ** 32, Math.floor(d.image.size / 2 ** 32), d.image.chunkSize, 0);
    if (r < 0) throw new Error(`wasmpod_mount_root_image: errno ${-r}`);
  }

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
  // (dev, ino, mtime ns, size) of the installed files, for comparing with
  // the module cache keys the kernel passes to host_start_process.
  const SYS_newfstatat = 79;
  const stats = {};
  for (const f of d.files) {
    const [p, pl] = kernel.put(f.path + '\0');
    const st = k.wasmpod_alloc(128);
    const r = call(SYS_newfstatat, AT_FDCWD, p, st, 0);
    if (r < 0) throw new Error(`stat ${f.path}: errno ${-r}`);
    const v = new DataView(kernel.memory.buffer, st, 128);
    const mtime = v.getBigInt64(88, true) * 1000000000n + BigInt(v.getInt32(96, true));
    stats[f.path] = [v.getBigUint64(0, true), v.getBigUint64(8, true), mtime, v.getBigInt64(48, true)].join(':');
    k.wasmpod_free(st, 128);
    k.wasmpod_free(p, pl);
  }

  // The host wake word (docs/browser-host.md): the loops below wait for it
  // to change instead of polling on a timer.
  const eventsIdx = k.wasmpod_host_events() >>> 2;
  const word = () => Atomics.load(new Int32Array(kernel.memory.buffer), eventsIdx);
  const wake = { wakes: 0, timedOut: 0, atStart: word() };
  /** Resolves once the word differs from `seen` (read before polling). */
  const changed = async (seen) => {
    const r = Atomics.waitAsync(new Int32Array(kernel.memory.buffer), eventsIdx, seen, WAKE_SAFETY_MS);
    const v = r.async ? await r.value : r.value;
    if (v === 'timed-out') wake.timedOut++;
    else wake.wakes++;
  };

  const nul = (list) => list.map((s) => s + '\0').join('');
  const spawn = (last) => {
    const [path, pathl] = kernel.put(d.run.path);
    const [argv, argvl] = kernel.put(nul(d.run.argv));
    const [envp, envpl] = kernel.put(nul(d.run.env));
    const [cwd, cwdl] = kernel.put(d.run.cwd || '');
    const pid = d.run.pty
      ? k.wasmpod_spawn_on_pty(path, pathl, argv, argvl, envp, envpl, cwd, cwdl, last[0])
      : k.wasmpod_spawn_initial(path, pathl, argv, argvl, envp, envpl, cwd, cwdl, ...last);
    for (const [p, l] of [[path, pathl], [argv, argvl], [envp, envpl], [cwd, cwdl]]) k.wasmpod_free(p, l);
    if (pid < 0) throw new Error(`spawn: errno ${-pid}`);
    dbg(`spawned ${pid}`);
    return pid;
  };
  const bufLen = 65536;
  const buf = k.wasmpod_alloc(bufLen);
  const deadline = Date.now() + (d.timeoutMs || 20000);
  // The root image's counters as the kernel keeps them (wasmpod_io_stats).
  const ioStats = () => {
    if (!d.image) return undefined;
    const st = k.wasmpod_alloc(16);
    const ok = k.wasmpod_io_stats(st) === 0;
    const v = new DataView(kernel.memory.buffer);
    const io = ok ? { bytes: Number(v.getBigUint64(st, true)), requests: Number(v.getBigUint64(st + 8, true)) } : undefined;
    k.wasmpod_free(st, 16);
    return io;
  };
  const done = (r) => post({ type: 'result', ...r, stats, wake: { ...wake, atEnd: word() }, io: ioStats() });
  if (d.run.pty) return done(await runPty());

  const pipes = [k.wasmpod_host_pipe(0), k.wasmpod_host_pipe(1), k.wasmpod_host_pipe(1)];
  if (pipes.some((h) => h < 0)) throw new Error(`host pipes: ${pipes}`);
  const pid = spawn(pipes);

  if (d.run.stdin !== undefined) {
    const [b, bl] = kernel.put(enc.encode(d.run.stdin));
    for (let off = 0; off < bl; ) {
      const seen = word();
      const n = k.wasmpod_pipe_write(pipes[0], b + off, bl - off, 0);
      if (n === -EAGAIN) {
        await changed(seen);
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
  let status = -1;
  while (open[0] || open[1] || status < 0) {
    const seen = word();
    let progress = false;
    for (let i = 0; i < 2; i++) {
      if (!open[i]) continue;
      dbg(`read ${i}`);
      const n = k.wasmpod_pipe_read(pipes[i + 1], buf, bufLen, 0);
      dbg(`read ${i} -> ${n}`);
      if (n > 0) {
        out[i].push(kernel.bytes().slice(buf, buf + n));
        progress = true;
      } else if (n === 0 || (n < 0 && n !== -EAGAIN)) {
        open[i] = false;
        k.wasmpod_pipe_close(pipes[i + 1]);
      }
    }
    dbg(`poll ${open} ${status}`);
    if (status < 0) status = k.wasmpod_process_status(pid);
    dbg(`status ${status}`);
    while (freeAreas.length) k.wasmpod_area_free(freeAreas.pop());
    if (Date.now() > deadline || !(open[0] || open[1] || status < 0)) break;
    if (!progress) await changed(seen);
  }
  const join = (chunks) => Buffer.concat(chunks.map((c) => Buffer.from(c))).toString('utf8');
  done({ pid, status, stdout: join(out[0]), stderr: join(out[1]), timedOut: status < 0 });

  // A program on a terminal: d.run.pty = { rows, cols, script }, where each
  // step of `script` waits until the output (after the previous step's
  // match) contains `after`, then types `write`, resizes to `resize: [rows,
  // cols]` and/or hangs up (`close: true`). Reads until the terminal
  // reports EIO (every slave fd closed) or is closed, and the program has
  // exited. Also returns what the pty exports answer to bad arguments
  // (`errors`).
  async function runPty() {
    const { rows, cols, script } = d.run.pty;
    const pty = k.wasmpod_host_pty();
    if (pty < 0) throw new Error(`wasmpod_host_pty: errno ${-pty}`);
    const ok = (what, r) => {
      if (r < 0) throw new Error(`${what}: errno ${-r}`);
      return r;
    };
    ok('pty_resize', k.wasmpod_pty_resize(pty, rows, cols));
    const errors = {
      readBadHandle: k.wasmpod_pty_read(pty + 100, buf, bufLen, 0),
      writeBadHandle: k.wasmpod_pty_write(-1, buf, 1, 0),
      resizeTooBig: k.wasmpod_pty_resize(pty, 70000, 80),
      readBeforeSpawn: k.wasmpod_pty_read(pty, buf, bufLen, 0),
    };
    {
      // A program that cannot start leaves the terminal usable.
      const [p, pl] = kernel.put('/bin/missing');
      const [a, al] = kernel.put('missing\0');
      errors.spawnBadHandle = k.wasmpod_spawn_on_pty(p, pl, a, al, 0, 0, 0, 0, pty + 100);
      errors.spawnMissing = k.wasmpod_spawn_on_pty(p, pl, a, al, 0, 0, 0, 0, pty);
      k.wasmpod_free(p, pl);
      k.wasmpod_free(a, al);
    }
    const pid = spawn([pty]);
    const dec = new TextDecoder();
    const steps = [...script];
    let text = '';
    let pos = 0;
    let open = true;
    let closed = false;
    let status = -1;
    while (open || status < 0) {
      const seen = word();
      let progress = false;
      const n = closed ? -EIO : k.wasmpod_pty_read(pty, buf, bufLen, 0);
      if (n > 0) {
        text += dec.decode(kernel.bytes().slice(buf, buf + n), { stream: true });
        progress = true;
      } else if (n === -EIO) {
        open = false;
      } else if (n !== -EAGAIN) {
        throw new Error(`pty_read: ${n}`);
      }
      while (steps.length && text.indexOf(steps[0].after, pos) >= 0) {
        const step = steps.shift();
        pos = text.indexOf(step.after, pos) + step.after.length;
        if (step.resize) ok('pty_resize', k.wasmpod_pty_resize(pty, ...step.resize));
        if (step.write !== undefined) {
          const [b, bl] = kernel.put(step.write);
          const w = ok('pty_write', k.wasmpod_pty_write(pty, b, bl, 0));
          k.wasmpod_free(b, bl);
          if (w !== bl) throw new Error(`pty_write took ${w} of ${bl} bytes`);
        }
        if (step.close) {
          ok('pty_close', k.wasmpod_pty_close(pty));
          closed = true;
        }
        progress = true;
      }
      if (status < 0) status = k.wasmpod_process_status(pid);
      while (freeAreas.length) k.wasmpod_area_free(freeAreas.pop());
      if (Date.now() > deadline || !(open || status < 0)) break;
      if (!progress) await changed(seen);
    }
    if (!closed) ok('pty_close', k.wasmpod_pty_close(pty));
    errors.closeTwice = k.wasmpod_pty_close(pty);
    return { pid, status, stdout: text, stderr: '', timedOut: status < 0, stepsLeft: steps.length, errors };
  }
}

async function program() {
  const kernel = await instantiateKernel({ module: d.module, memory: d.memory, first: false, area: d.area, hooks, origin: d.origin });
  const entry = d.role === 'thread' ? { kind: 'thread', stack: d.stack, tls: d.tls } : { kind: 'process' };
  const module = d.role === 'thread' ? d.progModule : await WebAssembly.compile(d.bytes);
  const limits = d.role === 'thread' ? undefined : memoryImportLimits(d.bytes);
  if (limits && !limits.shared) throw new Error(`${d.path}: no shared env.memory import`);
  const onImage = (mod, mem) => post({ type: 'image', pid: d.pid, module: mod, memory: mem });
  const compile = (bytes) => WebAssembly.compile(bytes);
  await runThread(kernel, { tid: d.tid, module, memory: d.progMemory, limits, entry, state: d.state, log, onImage, compile });
  post({ type: 'done', tid: d.tid, area: d.area });
}

(d.role === 'control' ? control() : program()).catch((e) => {
  post({ type: 'error', tid: d.tid, error: String(e && e.stack) });
});
