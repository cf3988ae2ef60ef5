// What the browser test runner (run.mjs) and the one-shot Chromium scripts
// (bench.mjs, run_program.mjs, boot-bench.mjs) share: `wasmpod serve` on a
// free port, headless Chromium through playwright-core, and pages with
// their console kept for failure reports.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

/** Debian's chromium (installed by `cargo xtask setup`); playwright-core brings no browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Starts `wasmpod serve --port 0 --dir DIR [--image IMG]` and resolves with
 * `{ url, stop() }` once it printed `serving on URL`. Its stderr is kept
 * (`log()`) for failure reports.
 */
export function startServer({ wasmpod, dir, image }) {
  const args = ['serve', '--port', '0', '--dir', dir, '--quiet'];
  if (image) args.push('--image', image);
  const child = spawn(wasmpod, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // The server must not outlive the runner, however it ends.
  const reap = () => child.kill('SIGKILL');
  process.on('exit', reap);
  child.on('exit', () => process.off('exit', reap));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    child.on('error', (e) => reject(new Error(`starting ${wasmpod}: ${e.message}`)));
    child.on('exit', (code, sig) => reject(new Error(`wasmpod serve exited (${code ?? sig}) before serving:\n${stderr}`)));
    lines.on('line', (line) => {
      const m = /^serving on (http:\/\/\S+)$/.exec(line.trim());
      if (!m) return;
      child.removeAllListeners('exit');
      resolve({
        url: m[1],
        log: () => stderr,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/**
 * Launches headless Chromium. playwright's `launch` gives every browser a
 * fresh temporary profile (it refuses a `--user-data-dir` argument and
 * makes its own), deleted on close.
 */
export async function launchBrowser(executablePath = CHROMIUM) {
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} missing: \`cargo xtask setup\` installs Debian's chromium`);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/**
 * A new page in its own browser context at `url`, with every console
 * message and page error recorded in `page.logs` (printed when a test fails).
 */
export async function openPage(browser, url, viewport = { width: 1024, height: 640 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.logs = [];
  page.errors = [];
  page.on('console', (m) => page.logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => {
    page.errors.push(e);
    page.logs.push(`pageerror: ${e.stack || e.message}`);
  });
  page.on('crash', () => page.logs.push('page crashed'));
  page.on('worker', (w) => {
    page.logs.push(`worker started: ${w.url()}`);
    w.on('close', () => page.logs.push(`worker closed: ${w.url()}`));
  });
  const resp = await page.goto(url);
  if (!resp || !resp.ok()) throw new Error(`GET ${url}: ${resp ? resp.status() : 'no response'}`);
  const isolated = await page.evaluate(() => globalThis.crossOriginIsolated === true);
  if (!isolated) throw new Error(`${url} is not cross-origin isolated (COOP/COEP headers missing?)`);
  return page;
}

export async function closePage(page) {
  await page.context().close().catch(() => {});
}

/** Rejects after `ms` with `what timed out`; `clear()` cancels it. */
export function deadline(ms, what) {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

/** `body()` or a timeout error, whichever comes first. */
export async function withTimeout(ms, what, body) {
  const d = deadline(ms, what);
  try {
    return await Promise.race([body(), d.promise]);
  } finally {
    d.clear();
  }
}

/** Calls the export `name` of the page-side module `/test-programs/tests.js` with `args`. */
export function callInPage(page, name, ...args) {
  return page.evaluate(
    async ([name, args]) => {
      const tests = await import('/test-programs/tests.js');
      if (typeof tests[name] !== 'function') throw new Error(`tests.js has no export ${name}`);
      return tests[name](...args);
    },
    [name, args],
  );
}

/**
 * The options every one-shot Chromium script takes (`--wasmpod BIN`
 * required, `--web DIR`, `--chromium PATH`): `{ opts, rest }`, with the other
 * arguments in order in `rest`.
 */
export function scriptArgs(argv, root) {
  const opts = { wasmpod: null, web: join(root, 'build/web'), chromium: CHROMIUM };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') {
      // A program's own arguments follow: not ours to read.
      rest.push(...argv.slice(i));
      break;
    } else if (argv[i] === '--wasmpod') opts.wasmpod = resolve(argv[++i]);
    else if (argv[i] === '--web') opts.web = resolve(argv[++i]);
    else if (argv[i] === '--chromium') opts.chromium = argv[++i];
    else rest.push(argv[i]);
  }
  return { opts, rest };
}

/**
 * Serves the bundle, launches Chromium and runs `body(openTestPage)`, where
 * `openTestPage()` opens a fresh context on the test page (closed at the
 * end). A failure prints `what: message` and the last page's console, and
 * makes the exit code 1. Resolves with the exit code.
 */
export async function withChromium(opts, what, body) {
  const server = await startServer({ wasmpod: opts.wasmpod, dir: opts.web });
  const browser = await launchBrowser(opts.chromium);
  const pages = [];
  const openTestPage = async () => {
    const page = await openPage(browser, `${server.url}test-programs/index.html`);
    pages.push(page);
    return page;
  };
  try {
    await body(openTestPage);
    return 0;
  } catch (e) {
    console.error(`${what}: ${e.message}`);
    if (pages.length) console.error(pages[pages.length - 1].logs.slice(-40).join('\n'));
    return 1;
  } finally {
    for (const p of pages) await closePage(p);
    await browser.close();
    await server.stop();
  }
}
