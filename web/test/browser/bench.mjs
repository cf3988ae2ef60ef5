// One benchmark program in headless Chromium, for `cargo xtask bench browser`:
//
//   node web/test/browser/bench.mjs --wasmpod BIN [--web build/web]
//        [--chromium /usr/bin/chromium] NAME ITERATIONS
//
// Serves the bundle with `wasmpod serve`, boots a pod (tmpfs root) in a
// fresh page, installs build/web/test-programs/bench/NAME as /tmp/NAME, runs
// it with ITERATIONS and prints its stdout (the `BENCH …` line; the program
// times itself). Exits 1 with the page's console when it fails.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callInPage, scriptArgs, withChromium, withTimeout } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TIMEOUT_MS = 300_000;

const { opts, rest } = scriptArgs(process.argv.slice(2), ROOT);
const [name, iterations] = rest;
if (!opts.wasmpod || !name || !/^\d+$/.test(iterations ?? '') || rest.length !== 2) {
  console.error('usage: node web/test/browser/bench.mjs --wasmpod BIN [--web DIR] [--chromium PATH] NAME ITERATIONS');
  process.exit(2);
}

const code = await withChromium(opts, `bench.mjs: ${name}`, async (openTestPage) => {
  const page = await openTestPage();
  const out = await withTimeout(TIMEOUT_MS, `${name} in Chromium`, () => callInPage(page, 'bench', name, Number(iterations)));
  process.stdout.write(out);
});
process.exit(code);
