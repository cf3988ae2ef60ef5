// One benchmark program in headless Chromium, for `cargo xtask bench browser`:
//
//   node web/test/browser/bench.mjs --wasmpod BIN [--web build/web]
//        [--chromium /usr/bin/chromium] NAME ITERATIONS
//
// Serves the bundle with `wasmpod serve`, boots a pod (tmpfs root) in a
// fresh page, installs build/web/test-programs/bench/NAME as /tmp/NAME, runs
// it with ITERATIONS and prints its stdout (the `BENCH …` line; the program
// times itself). Exits 1 with the page's console when it fails.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, callInPage, closePage, launchBrowser, openPage, startServer, withTimeout } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TIMEOUT_MS = 300_000;

const opts = { wasmpod: null, web: join(ROOT, 'build/web'), chromium: CHROMIUM };
const rest = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--wasmpod') opts.wasmpod = resolve(argv[++i]);
  else if (argv[i] === '--web') opts.web = resolve(argv[++i]);
  else if (argv[i] === '--chromium') opts.chromium = argv[++i];
  else rest.push(argv[i]);
}
const [name, iterations] = rest;
if (!opts.wasmpod || !name || !/^\d+$/.test(iterations ?? '') || rest.length !== 2) {
  console.error('usage: node web/test/browser/bench.mjs --wasmpod BIN [--web DIR] [--chromium PATH] NAME ITERATIONS');
  process.exit(2);
}

const server = await startServer({ wasmpod: opts.wasmpod, dir: opts.web });
const browser = await launchBrowser(opts.chromium);
let page = null;
let code = 0;
try {
  page = await openPage(browser, `${server.url}test-programs/index.html`);
  const out = await withTimeout(TIMEOUT_MS, `${name} in Chromium`, () => callInPage(page, 'bench', name, Number(iterations)));
  process.stdout.write(out);
} catch (e) {
  code = 1;
  console.error(`bench.mjs: ${name}: ${e.message}`);
  if (page) console.error(page.logs.slice(-40).join('\n'));
} finally {
  if (page) await closePage(page);
  await browser.close();
  await server.stop();
}
process.exit(code);
