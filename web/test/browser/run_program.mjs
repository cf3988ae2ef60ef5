// A real program (a port's wasm build) in headless Chromium, for
// `cargo xtask bench programs`:
//
//   node web/test/browser/run_program.mjs --wasmpod BIN [--web build/web]
//        [--chromium /usr/bin/chromium] [--runs N] [--file NAME]... [--stdin NAME]
//        PROGRAM -- ARGS...
//
// Serves the bundle with `wasmpod serve` and, N times in one page, boots a
// fresh pod, installs build/web/test-programs/programs/PROGRAM (and each
// --file) into /tmp and runs PROGRAM ARGS in /tmp, with the --stdin file's
// text on its stdin (tests.js `runProgram`). For each run it prints
// `RUN <ms> <exit status> <stdout bytes>` and then the program's stdout.
// Exits 1 with the page's console when a run fails to complete.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callInPage, scriptArgs, withChromium, withTimeout } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TIMEOUT_MS = 600_000;

const common = scriptArgs(process.argv.slice(2), ROOT);
const opts = { ...common.opts, runs: 1, files: [], stdin: null };
const argv = common.rest;
let program = null;
let args = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--runs') opts.runs = Number(argv[++i]);
  else if (a === '--file') opts.files.push(argv[++i]);
  else if (a === '--stdin') opts.stdin = argv[++i];
  else if (a === '--') {
    args = argv.slice(i + 1);
    break;
  } else if (program === null && !a.startsWith('--')) program = a;
  else {
    program = null;
    break;
  }
}
if (!opts.wasmpod || !program || !Number.isInteger(opts.runs) || opts.runs < 1) {
  console.error(
    'usage: node web/test/browser/run_program.mjs --wasmpod BIN [--web DIR] [--chromium PATH] [--runs N] ' +
      '[--file NAME]... [--stdin NAME] PROGRAM -- ARGS...',
  );
  process.exit(2);
}

const code = await withChromium(opts, `run_program.mjs: ${program}`, async (openTestPage) => {
  const page = await openTestPage();
  for (let i = 0; i < opts.runs; i++) {
    const r = await withTimeout(TIMEOUT_MS, `${program} in Chromium`, () =>
      callInPage(page, 'runProgram', program, opts.files, opts.stdin, args),
    );
    if (r.status !== 0) console.error(r.stderr);
    process.stdout.write(`RUN ${r.ms.toFixed(1)} ${r.status} ${Buffer.byteLength(r.stdout)}\n${r.stdout}`);
  }
});
process.exit(code);
