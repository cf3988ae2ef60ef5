// The browser tests that run entirely inside the page (served as
// /test-programs/tests.js). Each export is one test: it throws on failure
// and may return a short note. run.mjs calls them with page.evaluate; the
// terminal and demo tests need Playwright's keyboard and screenshots and
// live in run.mjs.
import {
  Pod,
  check,
  entryName,
  exitOf,
  eq,
  fetchBytes,
  install,
  installProgram,
  rejects,
  runToEnd,
  start,
  text,
  withPod,
} from './helpers.js';

export * from './shell.js';

/** Environment and cwd `wasmpod run` gives a program (crates/host-native/src/run). */
export const NATIVE_RUN_ENV = { PATH: '/bin:/usr/bin', HOME: '/home/user', USER: 'user' };
export const NATIVE_RUN_CWD = '/home/user';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

function isDir(st) {
  return typeof st.isDirectory === 'function' ? st.isDirectory() : (st.mode & S_IFMT) === S_IFDIR;
}

function isFile(st) {
  return typeof st.isFile === 'function' ? st.isFile() : (st.mode & S_IFMT) === S_IFREG;
}

/** Boot a pod: the default root and the file API on it. */
export async function boot() {
  const t0 = performance.now();
  return withPod(async (pod) => {
    const booted = performance.now() - t0;
    const root = (await pod.readdir('/')).map(entryName);
    for (const d of ['dev', 'home', 'proc', 'tmp']) check(`readdir("/") has ${d}`, root.includes(d), JSON.stringify(root));
    check('/tmp is a directory', isDir(await pod.stat('/tmp')));
    await pod.writeFile('/tmp/note.txt', 'some text\n');
    eq('readFile after writeFile', text(await pod.readFile('/tmp/note.txt')), 'some text\n');
    const st = await pod.stat('/tmp/note.txt');
    check('/tmp/note.txt is a regular file', isFile(st));
    eq('size of /tmp/note.txt', Number(st.size), 10);
    eq('owner of a file the API made (the pod user)', [st.uid, st.gid], [1000, 1000]);
    eq('mode of a file the API made', st.mode & 0o7777, 0o644);
    await pod.mkdir('/tmp/a/b/c', { recursive: true });
    eq('readdir /tmp/a', (await pod.readdir('/tmp/a')).map(entryName), ['b']);
    await rejects('mkdir of an existing directory', pod.mkdir('/tmp/a'), 'EEXIST: /tmp/a');
    await rejects('readFile of a missing file', pod.readFile('/nonexistent'), 'ENOENT: /nonexistent');
    await pod.mkdir('/tmp/a/b', { recursive: true }); // exists: no error with recursive
    await rejects('rm of a directory without recursive', pod.rm('/tmp/a'), 'EISDIR: /tmp/a');
    await pod.rm('/tmp/a', { recursive: true });
    await rejects('stat after rm', pod.stat('/tmp/a'), 'ENOENT: /tmp/a');
    return `booted in ${booted.toFixed(0)} ms`;
  });
}

/**
 * Boot from an ext2 image served with HTTP Range (test-programs/root.ext2,
 * made by xtask): files and programs of the image, writes kept in the
 * pod, and the image traffic counted in `pod.stats`.
 */
export async function bootFromImage() {
  const progress = [];
  const pod = await Pod.boot({ image: '/test-programs/root.ext2', onProgress: (s) => progress.push(s) });
  try {
    eq('/etc/motd of the image', await pod.readFile('/etc/motd', 'utf8'), 'served from an ext2 image\n');
    const r = await runToEnd(pod, '/bin/hello', ['5'], { cwd: '/' });
    eq('exit status of /bin/hello from the image', r.status.code, 5);
    check('/bin/hello ran from the image', r.stdout.includes('argv[0]=/bin/hello\n'), r.stdout);
    await pod.writeFile('/etc/motd', 'changed in the pod\n');
    eq('/etc/motd after a write', await pod.readFile('/etc/motd', 'utf8'), 'changed in the pod\n');
    // The stats are current once the reads have returned.
    check('pod.stats counts the image reads', pod.stats.bytesFetched > 0 && pod.stats.requests > 0, JSON.stringify(pod.stats));
    // onProgress reports the same totals, idle at the end (polled: wait for it).
    const final = JSON.stringify(pod.stats);
    while (JSON.stringify(progress.at(-1)) !== final) await new Promise((res) => setTimeout(res, 20));
    eq('nothing in flight once the reads returned', pod.stats.bytesInFlight, 0);
    return `${pod.stats.requests} range requests, ${pod.stats.bytesFetched} bytes`;
  } finally {
    await pod.shutdown();
  }
}

/**
 * A cold boot of a large image (1.1 GiB, test-programs/big.ext2) reads
 * what it runs and nothing else: a few chunks, not the image.
 */
export async function bigImageColdBoot() {
  const pod = await Pod.boot({ image: '/test-programs/big.ext2', imageCache: false });
  try {
    const r = await runToEnd(pod, '/bin/hello', ['5'], { cwd: '/' });
    eq('exit status of /bin/hello from the big image', r.status.code, 5);
    const { bytesFetched, requests } = pod.stats;
    check('at most 2 MiB of a 1.1 GiB image fetched', bytesFetched > 0 && bytesFetched <= 2 << 20, `${bytesFetched} bytes`);
    return `${requests} requests, ${(bytesFetched / 1024).toFixed(0)} KiB of a 1.1 GiB image`;
  } finally {
    await pod.shutdown();
  }
}

/**
 * The persistent chunk cache: a second boot of the same image reads what
 * the first one fetched from OPFS (no requests), a pod booted with
 * `imageCache: false` fetches again, and clearing the cache empties it.
 */
export async function imageCacheWarmBoot() {
  const url = '/test-programs/root.ext2';
  const use = async (pod) => {
    eq('/etc/motd of the image', await pod.readFile('/etc/motd', 'utf8'), 'served from an ext2 image\n');
    const r = await runToEnd(pod, '/bin/hello', ['5'], { cwd: '/' });
    eq('exit status of /bin/hello from the image', r.status.code, 5);
    return pod.stats;
  };
  const session = async (opts) => {
    const pod = await Pod.boot({ image: url, ...opts });
    try {
      return await use(pod);
    } finally {
      await pod.shutdown();
    }
  };
  const cold = await session({});
  check('the cold boot fetched the image', cold.requests > 0 && cold.bytesFromCache === 0, JSON.stringify(cold));
  const warm = await session({});
  check('the warm boot fetched nothing', warm.requests === 0 && warm.bytesFetched === 0, JSON.stringify(warm));
  eq('the warm boot read from the cache what the cold one fetched', warm.bytesFromCache, cold.bytesFetched);
  const off = await session({ imageCache: false });
  eq('imageCache: false fetches again', off.bytesFetched, cold.bytesFetched);
  await Pod.clearImageCache();
  const cleared = await session({});
  eq('after clearImageCache the image is fetched again', cleared.bytesFetched, cold.bytesFetched);
  return `cold ${cold.requests} requests/${cold.bytesFetched} bytes; warm 0 requests, ${warm.bytesFromCache} bytes from OPFS`;
}

/** The image the storage tests write over. */
const STORAGE_IMAGE = '/test-programs/root.ext2';

/**
 * Pod storage: what a pod with a storage key wrote is there when the key
 * boots again (files from the API and from a program that fsyncs), other
 * keys and pods without a key don't see it, one pod per key at a time,
 * and deleteStorage starts the key over.
 */
export async function storagePersists() {
  const boot = (storageKey) => Pod.boot({ image: STORAGE_IMAGE, ...(storageKey && { storageKey }) });
  await Pod.deleteStorage('alpha');
  await Pod.deleteStorage('beta');
  let pod = await boot('alpha');
  try {
    await pod.writeFile('/etc/kept', 'written in alpha\n');
    await pod.mkdir('/data');
    await install(pod, '/test-programs/fsyncloop.wasm', '/bin/fsyncloop');
    const r = await runToEnd(pod, '/bin/fsyncloop', ['/data', '5'], { cwd: '/' });
    eq('fsyncloop exit status', r.status.code, 0);
    eq('fsyncloop output', r.stdout.trim().split('\n').pop(), 'synced 5');
    await rejects('a second pod on the same key', boot('alpha'), 'EIO: boot failed: storage \'alpha\' is in use');
  } finally {
    await pod.shutdown();
  }
  const expectLog = 'record 1\nrecord 2\nrecord 3\nrecord 4\nrecord 5\n';
  pod = await boot('alpha');
  try {
    eq('/etc/kept after a new boot', await pod.readFile('/etc/kept', 'utf8'), 'written in alpha\n');
    eq('/data/log after a new boot', await pod.readFile('/data/log', 'utf8'), expectLog);
    eq('/data/f5 after a new boot', (await pod.readFile('/data/f5')).length, 3000);
    // A second session's writes add to the first's.
    await pod.writeFile('/etc/kept', 'rewritten\n');
  } finally {
    await pod.shutdown();
  }
  pod = await boot('alpha');
  try {
    eq('/etc/kept after a second session', await pod.readFile('/etc/kept', 'utf8'), 'rewritten\n');
  } finally {
    await pod.shutdown();
  }
  for (const other of ['beta', null]) {
    pod = await boot(other);
    try {
      await rejects(`/etc/kept with storage ${other}`, pod.readFile('/etc/kept', 'utf8'), 'ENOENT');
      eq(`/etc/motd with storage ${other}`, await pod.readFile('/etc/motd', 'utf8'), 'served from an ext2 image\n');
    } finally {
      await pod.shutdown();
    }
  }
  const journal = await Pod.exportStorage('alpha');
  check('exportStorage gives the journal', journal.length > 3000 * 5, `${journal.length} bytes`);
  await Pod.deleteStorage('alpha');
  eq('exportStorage after deleteStorage', (await Pod.exportStorage('alpha')).length, 0);
  pod = await boot('alpha');
  try {
    await rejects('/etc/kept after deleteStorage', pod.readFile('/etc/kept', 'utf8'), 'ENOENT');
  } finally {
    await pod.shutdown();
  }
  await rejects('storageKey without an image', Pod.boot({ image: null, storageKey: 'x' }), 'EINVAL');
  return `journal of ${journal.length} bytes after two sessions`;
}

/**
 * Persistent volumes: a home on its own storage key, made empty (our
 * mkfs) with the mount point's owner on first use, written by the API and
 * by a program running as the user, there again in the next pod (here on
 * a tmpfs root, so only the volume persists); a size change is refused.
 */
export async function storageVolumes() {
  await Pod.deleteStorage('home');
  const home = (size = 64 << 20) => ({ image: null, mounts: [{ path: '/home/user', storageKey: 'home', size }] });
  await withPod(async (pod) => {
    const st = await pod.stat('/home/user');
    eq('owner of the fresh volume', [st.uid, st.gid, st.mode], [1000, 1000, 0o755]);
    check('mkfs made lost+found', (await pod.readdir('/home/user')).map(entryName).includes('lost+found'));
    await pod.writeFile('/home/user/notes.txt', 'kept\n');
    const prog = await installProgram(pod, 'fsyncloop');
    const r = await runToEnd(pod, prog, ['/home/user', '3']);
    eq('fsyncloop as the user on the volume', [r.status.code, r.stderr], [0, '']);
  }, home());
  await withPod(async (pod) => {
    eq('notes.txt in the next pod', await pod.readFile('/home/user/notes.txt', 'utf8'), 'kept\n');
    eq('log in the next pod', await pod.readFile('/home/user/log', 'utf8'), 'record 1\nrecord 2\nrecord 3\n');
    await rejects('/tmp is not on the volume', pod.readFile('/tmp/fsyncloop'), 'ENOENT');
  }, home());
  await rejects('the same key with another size', Pod.boot(home(128 << 20)), 'EIO: boot failed: ESTALE');
  await rejects('a relative mount path', Pod.boot({ image: null, mounts: [{ path: 'home', storageKey: 'x' }] }), 'EINVAL');
  await rejects('a key twice', Pod.boot({ image: null, mounts: [{ path: '/tmp', storageKey: 'x' }, { path: '/root', storageKey: 'x' }] }), 'EINVAL');
  await rejects('a missing mount point', Pod.boot({ image: null, mounts: [{ path: '/nowhere', storageKey: 'x' }] }), 'EIO: boot failed: ENOENT');
  const size = (await Pod.exportStorage('home')).length;
  await Pod.deleteStorage('home');
  await Pod.deleteStorage('x');
  return `a 64 MiB home volume kept in a ${size}-byte journal`;
}

/**
 * The first half of the crash test (run.mjs closes the page under it):
 * boots with the storage key `crash`, starts fsyncloop forever and
 * resolves with the last record it reported synced once it passed 20.
 */
export async function storageCrashStart() {
  await Pod.deleteStorage('crash');
  const pod = await Pod.boot({ image: STORAGE_IMAGE, storageKey: 'crash' });
  await pod.mkdir('/data');
  await install(pod, '/test-programs/fsyncloop.wasm', '/bin/fsyncloop');
  const { out } = await start(pod, '/bin/fsyncloop', ['/data', '0'], { cwd: '/' });
  await out.until('synced 21\n');
  const last = out.text.trim().split('\n').pop();
  return Number(last.split(' ')[1]);
}

/**
 * The second half, in a new page of the same origin after the crash: every
 * record reported synced is in /data/log (whole lines, in order) with its
 * file; returns the storage's journal (base64) for e2fsck.
 */
export async function storageCrashCheck(synced) {
  const pod = await Pod.boot({ image: STORAGE_IMAGE, storageKey: 'crash' });
  let lines;
  try {
    lines = (await pod.readFile('/data/log', 'utf8')).split('\n');
    check('the log ends with a whole line', lines.pop() === '', JSON.stringify(lines.slice(-2)));
    check(`at least the ${synced} synced records`, lines.length >= synced, `${lines.length} lines`);
    lines.forEach((l, i) => eq(`log line ${i + 1}`, l, `record ${i + 1}`));
    for (let i = 1; i <= synced; i++) eq(`/data/f${i}`, (await pod.readFile(`/data/f${i}`)).length, 3000);
  } finally {
    await pod.shutdown();
  }
  const journal = await Pod.exportStorage('crash');
  let bin = '';
  for (let i = 0; i < journal.length; i += 0x8000) bin += String.fromCharCode(...journal.subarray(i, i + 0x8000));
  return { records: lines.length, journal: btoa(bin) };
}

/**
 * The image over the WebSocket block protocol (the default with `wasmpod
 * serve`) and over HTTP ranges: the same bytes of the same files.
 */
export async function imageTransports() {
  const seen = {};
  for (const websocket of [true, false]) {
    const pod = await Pod.boot({ image: '/test-programs/root.ext2', websocket, imageCache: false });
    try {
      eq(`/etc/motd (websocket ${websocket})`, await pod.readFile('/etc/motd', 'utf8'), 'served from an ext2 image\n');
      const r = await runToEnd(pod, '/bin/hello', ['5'], { cwd: '/' });
      eq(`/bin/hello (websocket ${websocket})`, r.status.code, 5);
      eq('the transport in use', pod.stats.websocket, websocket);
      seen[websocket] = pod.stats;
    } finally {
      await pod.shutdown();
    }
  }
  eq('the same bytes either way', seen[true].bytesFetched, seen[false].bytesFetched);
  return `websocket: ${seen[true].requests} batches, HTTP: ${seen[false].requests} range requests, ${seen[true].bytesFetched} bytes`;
}

/** createFile a wasm program, run it: argv, env, cwd, stdout, stderr, exit status. */
export async function createFileAndRun() {
  return withPod(async (pod) => {
    const path = await installProgram(pod, 'hello');
    const r = await runToEnd(pod, path, ['3', 'two words'], { env: { GREETING: 'hi there' }, cwd: '/tmp' });
    eq('hello stdout', r.stdout, [
      'hello from wasmpod: argc=3',
      `argv[0]=${path}`,
      'argv[1]=3',
      'argv[2]=two words',
      'GREETING=hi there',
      'cwd=/tmp',
      'pid>1=1',
      '',
    ].join('\n'));
    eq('hello stderr', r.stderr, 'to stderr\n');
    eq('hello exit status', r.status.code, 3);
    // A second run of the same file: exit status 0.
    const again = await runToEnd(pod, path, []);
    eq('second run exit status', again.status.code, 0);
    check('second run got a new pid', again.pid !== r.pid, `${again.pid} vs ${r.pid}`);
    await rejects('run of a missing program', Promise.resolve().then(() => pod.run('/tmp/missing', [])).then((p) => p.exited), 'ENOENT');
  });
}

/** stdin.write / stdin.close reach the program; stdout comes back. */
export async function stdinStdout() {
  return withPod(async (pod) => {
    const path = await installProgram(pod, 'upper');
    const r = await runToEnd(pod, path, [], { stdin: 'hello, pipes\nsecond line\n' });
    eq('upper stdout', r.stdout, 'HELLO, PIPES\nSECOND LINE\n');
    eq('upper exit status', r.status.code, 0);
  });
}

/** A pipe between two processes: pipeline posix_spawns upper and pushes bytes through it. */
export async function pipeBetweenProcesses() {
  return withPod(async (pod) => {
    const upper = await installProgram(pod, 'upper');
    const pipeline = await installProgram(pod, 'pipeline');
    const bytes = 300000; // several pipe buffers: both sides block and wake each other
    const r = await runToEnd(pod, pipeline, [upper, String(bytes)]);
    eq('pipeline output', r.stdout, `pipeline: ${bytes} bytes ok\n`);
    eq('pipeline exit status', r.status.code, 0);
  });
}

/** execve in place (not from a vfork child): the new image runs in the same process. */
export async function execInPlace() {
  return withPod(async (pod) => {
    const path = await installProgram(pod, 'execself');
    const r = await runToEnd(pod, path, [], { stdin: '' });
    const pid = r.pid;
    eq('output of both images', r.stdout, `first image, pid ${pid}\nsecond image, pid ${pid}\n`);
    eq('exit status of the second image', r.status.code, 7);
  });
}

/** SIGINT to a process sleeping in the kernel ends it by signal 2; kill() defaults to SIGTERM. */
export async function sigintSleeping() {
  return withPod(async (pod) => {
    const path = await installProgram(pod, 'sleeper');
    const s = await start(pod, path);
    await s.out.until('sleeping\n');
    await s.proc.kill(2);
    const st = await s.exited;
    eq('status after SIGINT', { signal: st.signal }, { signal: 2 });
    eq('sleeper output', s.out.text, 'sleeping\n');

    const t = await start(pod, path);
    await t.out.until('sleeping\n');
    await t.proc.kill();
    eq('status after kill()', (await t.exited).signal, 15);
  });
}

/** SIGKILL of a process spinning without system calls, while another keeps working. */
export async function sigkillSpinning() {
  return withPod(async (pod) => {
    const spin = await installProgram(pod, 'spin');
    const upper = await installProgram(pod, 'upper');
    const s = await start(pod, spin);
    await s.out.until('spinning\n');
    const u = await start(pod, upper);
    await u.proc.stdin.write('before\n');
    await u.out.until('BEFORE\n');
    await s.proc.kill(9);
    const st = await s.exited;
    eq('spinner status after SIGKILL', { signal: st.signal }, { signal: 9 });
    await u.proc.stdin.write('after\n');
    await u.out.until('AFTER\n');
    await u.proc.stdin.close();
    eq('worker status', (await u.exited).code, 0);
    eq('worker output', u.out.text, 'BEFORE\nAFTER\n');
    // The pod is still whole: a new process runs to its end.
    const r = await runToEnd(pod, upper, [], { stdin: 'still alive\n' });
    eq('a later run', r.stdout, 'STILL ALIVE\n');
  });
}

/** Two pods in one page run independently; shutting one down leaves the other working. */
export async function twoPods() {
  const [a, b] = await Promise.all([Pod.boot(), Pod.boot()]);
  let aDown = false;
  try {
    await Promise.all([a.writeFile('/tmp/who', 'pod a'), b.writeFile('/tmp/who', 'pod b')]);
    eq('pod a /tmp/who', text(await a.readFile('/tmp/who')), 'pod a');
    eq('pod b /tmp/who', text(await b.readFile('/tmp/who')), 'pod b');
    await a.writeFile('/tmp/only-a', 'x');
    await rejects('pod b sees no file of pod a', b.stat('/tmp/only-a'), 'ENOENT: /tmp/only-a');
    const [ua, ub] = await Promise.all([installProgram(a, 'upper'), installProgram(b, 'upper')]);
    // Both run at once, each with its own stdin.
    const [ra, rb] = await Promise.all([
      runToEnd(a, ua, [], { stdin: 'from a\n' }),
      runToEnd(b, ub, [], { stdin: 'from b\n' }),
    ]);
    eq('pod a output', ra.stdout, 'FROM A\n');
    eq('pod b output', rb.stdout, 'FROM B\n');
    await a.shutdown();
    aDown = true;
    const again = await runToEnd(b, ub, [], { stdin: 'b after a shut down\n' });
    eq('pod b after pod a shut down', again.stdout, 'B AFTER A SHUT DOWN\n');
  } finally {
    if (!aDown) await a.shutdown();
    await b.shutdown();
  }
}

/**
 * One conformance program (tests/conformance), run as `wasmpod run` runs
 * it: on the tmpfs root, installed as /tmp/NAME, cwd /home/user, with
 * wasmpod run's environment (the pod adds a few variables of its own:
 * LOGNAME, SHELL, LANG).
 * Returns what run.mjs compares with the native host's run.
 */
export async function conformance(name) {
  return withPod(async (pod) => {
    const path = `/tmp/${name}`;
    await install(pod, `/test-programs/conformance/${name}`, path);
    const r = await runToEnd(pod, path, [], { env: NATIVE_RUN_ENV, cwd: NATIVE_RUN_CWD });
    return { status: r.status.shell, stdout: r.stdout, stderr: r.stderr };
  }, { image: null });
}

/** One benchmark program (tests/bench) for `cargo xtask bench browser`: its stdout. */
export async function bench(name, iterations) {
  return withPod(async (pod) => {
    const path = `/tmp/${name}`;
    await install(pod, `/test-programs/bench/${name}`, path);
    const r = await runToEnd(pod, path, [String(iterations)], { env: NATIVE_RUN_ENV, cwd: NATIVE_RUN_CWD });
    if (r.status.shell !== 0) throw new Error(`${name} exited with status ${r.status.shell}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }, { image: null });
}

// The terminal test: run.mjs types with Playwright's keyboard between
// these steps, so the state lives on `window.__terminalTest`.

/** The xterm.js Terminal behind what createDefaultTerminal returned. */
function xtermOf(t) {
  for (const c of [t, t && t.terminal, t && t.xterm, t && t.term]) if (c && c.buffer && c.buffer.active) return c;
  return null;
}

/**
 * Boots a pod, makes a 720×360 px element, `createDefaultTerminal` on it
 * and runs termio on that terminal. Returns `{ skip }` when the API has no
 * createDefaultTerminal yet or the kernel has no host ptys (ENOSYS).
 */
export async function terminalStart() {
  const pod = await Pod.boot();
  if (typeof pod.createDefaultTerminal !== 'function') {
    await pod.shutdown();
    return { skip: 'Pod.createDefaultTerminal is not in this build of /wasmpod.js' };
  }
  const el = document.createElement('div');
  el.id = 'terminal';
  el.style.cssText = 'width:720px;height:360px';
  document.body.append(el);
  let terminal;
  try {
    terminal = await pod.createDefaultTerminal(el);
  } catch (e) {
    // A kernel.wasm without ptys for the host says so with ENOSYS.
    if (!String(e && e.message).startsWith('ENOSYS')) throw e;
    await pod.shutdown();
    return { skip: `createDefaultTerminal: ${e.message}` };
  }
  const xterm = xtermOf(terminal);
  check('createDefaultTerminal gave an xterm.js Terminal', xterm !== null);
  const path = await installProgram(pod, 'termio');
  const proc = await pod.run(path, [], { terminal });
  window.__terminalTest = { pod, el, terminal, xterm, proc };
  return { rows: xterm.rows, cols: xterm.cols };
}

/** The terminal's screen (the active buffer, every line, right-trimmed). */
export function terminalScreen() {
  const { xterm } = window.__terminalTest;
  const buf = xterm.buffer.active;
  const lines = [];
  for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i).translateToString(true));
  return lines.join('\n').replace(/\n+$/, '');
}

/** Resizes the terminal's element; returns nothing (the terminal follows it). */
export function terminalResize(width, height) {
  const { el } = window.__terminalTest;
  el.style.width = `${width}px`;
  el.style.height = `${height}px`;
}

export function terminalSize() {
  const { xterm } = window.__terminalTest;
  return { rows: xterm.rows, cols: xterm.cols };
}

/** Starts program NAME (test-programs) on the test's terminal, as the current process. */
export async function terminalRun(name) {
  const t = window.__terminalTest;
  const path = await installProgram(t.pod, name);
  t.proc = await t.pod.run(path, [], { terminal: t.terminal });
}

/** Resolves with how the current process ended (see exitOf). */
export async function terminalExit() {
  const { proc } = window.__terminalTest;
  return exitOf(await proc.exited, proc.status);
}

export async function terminalShutdown() {
  await window.__terminalTest.pod.shutdown();
}

/**
 * One run of a real program for `cargo xtask bench programs`: a fresh pod
 * (tmpfs root), `/test-programs/programs/PROGRAM` installed as
 * `/tmp/PROGRAM` and each of `files` as `/tmp/NAME`, then PROGRAM run in
 * /tmp with `args` and, when `stdinName` is given, that file's text on
 * stdin. Returns `{ ms, status, stdout }`, `ms` from `Pod.run` to the exit.
 */
export async function runProgram(program, files, stdinName, args) {
  return withPod(async (pod) => {
    const path = `/tmp/${program}`;
    await install(pod, `/test-programs/programs/${program}`, path);
    for (const f of files) await install(pod, `/test-programs/programs/${f}`, `/tmp/${f}`, 0o644);
    const stdin = stdinName ? text(await fetchBytes(`/test-programs/programs/${stdinName}`)) : undefined;
    const t0 = performance.now();
    const r = await runToEnd(pod, path, args, { env: NATIVE_RUN_ENV, cwd: '/tmp', stdin });
    const ms = performance.now() - t0;
    return { ms, status: r.status.shell, stdout: r.stdout, stderr: r.stderr };
  }, { image: null });
}
