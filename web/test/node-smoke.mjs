// Smoke test of the browser host's kernel.wasm under Node worker_threads:
//   node web/test/node-smoke.mjs KERNEL_WASM HELLO_WASM
// boots a kernel on one shared memory (a control worker initialises it),
// installs the program in the pod, runs it in its own worker with host
// pipes for stdio, and checks its output and exit status. With SPAWN_WASM
// (web/test/spawn.c), also a posix_spawn of hello in a second worker with
// a pipe from the parent to the child's stdin, and waitpid. With
// THREADS_WASM (web/test/threads.c): three pthreads in three more workers,
// a mutex, join, and a signal handler. With PTY_WASM (web/test/pty.c): a
// program on a terminal (wasmpod_spawn_on_pty): isatty, the window size
// before and after a resize, SIGWINCH, typed input echoed by the line
// discipline, EOF typed as ^D. Every run also checks the host wake word
// (the control worker waits on it instead of polling) and the module cache
// keys given to host_start_process. Exit status 0 on success; prints what
// differed otherwise.
import { readFileSync } from 'node:fs';
import { boot } from '../host/node-pod.mjs';

const [kernelPath, helloPath, spawnPath, threadsPath, ptyPath] = process.argv.slice(2);
if (!kernelPath || !helloPath) {
  console.error('usage: node node-smoke.mjs KERNEL_WASM HELLO_WASM [SPAWN_WASM [THREADS_WASM [PTY_WASM]]]');
  process.exit(2);
}
let failures = 0;
const check = (what, got, want) => {
  if (got !== want) {
    failures++;
    console.error(`FAIL ${what}:\n  got:  ${JSON.stringify(got)}\n  want: ${JSON.stringify(want)}`);
  }
};

/**
 * The control worker waited for the host wake word (never a timer) and it
 * changed: the kernel notified it of the program's output and exit.
 */
const checkWake = (what, r) => {
  check(`${what}: waits for the host wake word that gave up`, r.wake.timedOut, 0);
  check(`${what}: the host wake word woke the control worker`, r.wake.wakes > 0, true);
  check(`${what}: the host wake word changed`, r.wake.atEnd !== r.wake.atStart, true);
};

/** Every process started with the (dev, ino, mtime, size) of its file. */
const checkKeys = (what, r, paths) => {
  check(`${what}: programs started`, r.starts.map((s) => s.path).join(' '), paths.join(' '));
  for (const s of r.starts) check(`${what}: cache key of ${s.path}`, s.key, r.stats[s.path]);
};

const hello = readFileSync(helloPath);
const r = await boot(kernelPath, {
  files: [{ path: '/bin/hello', bytes: hello }],
  run: { path: '/bin/hello', argv: ['/bin/hello', '7', 'two words'], env: ['GREETING=hi there', 'HOME=/home/user'], cwd: '/tmp', stdin: 'some input\n' },
});
check('hello exit status', r.status, 7 << 8);
check(
  'hello stdout',
  r.stdout,
  [
    `hello from wasmpod: argc=3 pid=${r.pid}`,
    'argv[0]=/bin/hello',
    'argv[1]=7',
    'argv[2]=two words',
    'GREETING=hi there',
    'stdin=SOME INPUT',
    'cwd=/tmp',
    '',
  ].join('\n'),
);
check('hello stderr', r.stderr, 'to stderr\n');
checkWake('hello', r);
checkKeys('hello', r, ['/bin/hello']);
if (r.logs.length) console.error(r.logs.join('\n'));
console.log(`node-smoke: hello ran in ${r.ms.toFixed(0)} ms (pid ${r.pid}, status ${r.status})`);

if (spawnPath) {
  const s = await boot(kernelPath, {
    files: [
      { path: '/bin/hello', bytes: hello },
      { path: '/bin/spawn', bytes: readFileSync(spawnPath) },
    ],
    run: { path: '/bin/spawn', argv: ['/bin/spawn'], env: ['GREETING=hi there'], cwd: '/tmp' },
  });
  check('spawn exit status', s.status, 0);
  check(
    'spawn stdout',
    s.stdout,
    [
      `hello from wasmpod: argc=2 pid=${s.pid + 1}`,
      'argv[0]=/bin/hello',
      'argv[1]=3',
      'GREETING=hi there',
      'stdin=THROUGH A PIPE',
      'cwd=/tmp',
      'child exited 3',
      '',
    ].join('\n'),
  );
  check('spawn stderr', s.stderr, 'to stderr\n');
  checkWake('spawn', s);
  checkKeys('spawn', s, ['/bin/spawn', '/bin/hello']);
  check('spawn: different files have different cache keys', s.starts[0]?.key !== s.starts[1]?.key, true);
  if (s.logs.length) console.error(s.logs.join('\n'));
  console.log(`node-smoke: spawn + pipe + waitpid ran in ${s.ms.toFixed(0)} ms (pid ${s.pid}, status ${s.status})`);
}
if (threadsPath) {
  const t = await boot(kernelPath, {
    files: [{ path: '/bin/threads', bytes: readFileSync(threadsPath) }],
    run: { path: '/bin/threads', argv: ['/bin/threads'], env: [], cwd: '' },
  });
  check('threads exit status', t.status, 0);
  check('threads stdout', t.stdout, 'threads counter=3000 sum=3 signal=10\n');
  checkWake('threads', t);
  if (t.logs.length) console.error(t.logs.join('\n'));
  console.log(`node-smoke: threads + signal handler ran in ${t.ms.toFixed(0)} ms (status ${t.status})`);
}

if (ptyPath) {
  const p = await boot(kernelPath, {
    files: [{ path: '/bin/pty', bytes: readFileSync(ptyPath) }],
    run: {
      path: '/bin/pty',
      argv: ['/bin/pty'],
      env: [],
      cwd: '',
      pty: {
        rows: 24,
        cols: 80,
        script: [
          { after: 'ready> ', write: 'hello pty\r' },
          { after: 'resize me', resize: [40, 100] },
          { after: 'type EOF', write: '\x04' },
        ],
      },
    },
  });
  check('pty exit status', p.status, 3 << 8);
  // The same bytes as pty.c under a Linux pty driven the same way: the
  // typed line echoed ("\r" → "\r\n"), output "\n" → "\r\n", ^D not echoed.
  check(
    'pty output',
    p.stdout,
    [
      'isatty 1 1 1',
      'size 24x80',
      'foreground leader',
      'ready> hello pty',
      'got [hello pty]',
      'resize me',
      'winch 40x100',
      'type EOF',
      'eof',
      '',
    ].join('\r\n'),
  );
  check('pty script steps left', p.stepsLeft, 0);
  const [EBADF, ENOENT, EINVAL, EAGAIN] = [9, 2, 22, 11];
  check('pty exports on bad arguments', JSON.stringify(p.errors), JSON.stringify({
    readBadHandle: -EBADF,
    writeBadHandle: -EBADF,
    resizeTooBig: -EINVAL,
    readBeforeSpawn: -EAGAIN,
    spawnBadHandle: -EBADF,
    spawnMissing: -ENOENT,
    closeTwice: -EBADF,
  }));
  checkWake('pty', p);
  if (p.logs.length) console.error(p.logs.join('\n'));
  console.log(`node-smoke: pty (spawn_on_pty, echo, resize + SIGWINCH, ^D) ran in ${p.ms.toFixed(0)} ms (status ${p.status})`);

  // Closing the terminal while the program reads from it hangs it up: the
  // session leader gets SIGHUP, whose default action ends it.
  const hup = await boot(kernelPath, {
    files: [{ path: '/bin/pty', bytes: readFileSync(ptyPath) }],
    run: { path: '/bin/pty', argv: ['/bin/pty'], env: [], cwd: '', pty: { rows: 24, cols: 80, script: [{ after: 'ready> ', close: true }] } },
  });
  check('pty hang-up: killed by SIGHUP', hup.status, 1);
  check('pty hang-up: output until then', hup.stdout.endsWith('foreground leader\r\nready> '), true);
  checkWake('pty hang-up', hup);
  console.log(`node-smoke: pty hang-up ran in ${hup.ms.toFixed(0)} ms (status ${hup.status})`);
}

if (failures) {
  console.error(`node-smoke: ${failures} check(s) failed`);
  process.exit(1);
}
console.log('node-smoke: ok');
