// The browser tests (issue #5): headless Chromium drives the public API
// (`/wasmpod.js`) served by `wasmpod serve`.
//
//   node web/test/browser/run.mjs --wasmpod target/release/wasmpod \
//        [--web build/web] [--chromium /usr/bin/chromium] [--image IMG]
//        [--timeout SECS] [--artifacts target/artifacts] [FILTER...]
//
// `cargo xtask web --test` builds what this needs and runs it: the bundle in
// build/web, the test programs (web/test/browser/programs/*.c, built with
// wasmpod-cc) in build/web/test-programs/, the conformance programs
// (tests/conformance) in build/web/test-programs/conformance/, and the page
// files (web/test/browser/page/) next to them.
//
// Every test gets a fresh browser context on /test-programs/index.html and
// runs there (page/tests.js) with a deadline; a failure prints the page's
// console and errors. FILTERs (substrings) pick tests by name. The demo
// page's screenshot goes to ARTIFACTS/demo.png. Prints one line per test,
// then `N passed, N failed`; exits 1 if any failed.
//
// The conformance programs run both here and under the native host
// (`wasmpod run`, as `cargo xtask conformance` runs them) and must give the
// same exit status and stdout, and pass. tests/conformance/blocklist.txt
// (fails on wasmpod) is skipped; web/test/browser/blocklist.txt lists what
// fails only in the browser, with the reason: those still run, and one that
// passes is reported so the entry can go.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, callInPage, closePage, launchBrowser, openPage, startServer, withTimeout } from './lib.mjs';
import { shellTests } from './shell.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');

function parseArgs(argv) {
  const o = {
    wasmpod: null,
    web: join(ROOT, 'build/web'),
    chromium: CHROMIUM,
    image: null,
    timeout: 60,
    artifacts: join(ROOT, 'target/artifacts'),
    filters: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--wasmpod') o.wasmpod = resolve(value());
    else if (a === '--web') o.web = resolve(value());
    else if (a === '--chromium') o.chromium = value();
    else if (a === '--image') o.image = resolve(value());
    else if (a === '--timeout') o.timeout = Number(value());
    else if (a === '--artifacts') o.artifacts = resolve(value());
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else o.filters.push(a);
  }
  if (!o.wasmpod) usage('--wasmpod BIN is required (the release wasmpod: cargo build --release -p wasmpod-host-native)');
  if (!(o.timeout > 0)) usage('--timeout needs a positive number of seconds');
  return o;
}

function usage(msg) {
  console.error(`run.mjs: ${msg}\nusage: node web/test/browser/run.mjs --wasmpod BIN [--web DIR] [--chromium PATH] [--image IMG] [--timeout SECS] [--artifacts DIR] [FILTER...]`);
  process.exit(2);
}

/** `name: reason` lines (`#` comments); a name not in `known` is an error. */
function readBlocklist(path, known) {
  const map = new Map();
  if (!existsSync(path)) return map;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const at = line.indexOf(':');
      const name = at < 0 ? '' : line.slice(0, at).trim();
      const reason = at < 0 ? '' : line.slice(at + 1).trim();
      if (!name || !reason) throw new Error(`${path}:${i + 1}: expected \`name: reason\``);
      if (!known.includes(name)) throw new Error(`${path}:${i + 1}: no conformance program named ${name}`);
      map.set(name, reason);
    });
  return map;
}

/** Runs `wasmpod run FILE` as `cargo xtask conformance` does: `{ status, stdout, stderr }`. */
function runNative(wasmpod, file, timeoutMs) {
  return new Promise((done, fail) => {
    const child = spawn(wasmpod, ['run', file], {
      cwd: ROOT,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (signal) return fail(new Error(`wasmpod run ${file}: killed by ${signal} (timeout ${timeoutMs / 1000} s?)\n${stderr}`));
      done({ status: code, stdout, stderr });
    });
  });
}

/** The last lines of a page's console, indented, for a failure report. */
function pageLog(page, max = 60) {
  if (!page || !page.logs.length) return '    (no console output)';
  const lines = page.logs.slice(-max).flatMap((l) => l.split('\n'));
  const skipped = page.logs.length > max ? [`    … ${page.logs.length - max} earlier messages`] : [];
  return [...skipped, ...lines.map((l) => `    | ${l}`)].join('\n');
}

function indent(s) {
  return String(s)
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** An error's message without its stack lines (an evaluate error's message carries the page's stack). */
function message(e) {
  return String(e && e.message !== undefined ? e.message : e)
    .split('\n')
    .filter((l) => !/^\s+at /.test(l))
    .join('\n')
    .replace(/^page\.evaluate: (Error: )?/, '');
}

class Skip extends Error {}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  for (const f of ['wasmpod.js', 'worker.js', 'kernel.wasm', 'test-programs/tests.js', 'test-programs/hello.wasm']) {
    if (!existsSync(join(o.web, f))) {
      console.error(`run.mjs: ${join(o.web, f)} missing: \`cargo xtask web --test\` builds the bundle and the test programs`);
      process.exit(2);
    }
  }
  // Every program of the suite; one missing from build/web fails its test.
  const confDir = join(o.web, 'test-programs/conformance');
  const suite = readdirSync(join(ROOT, 'tests/conformance'))
    .filter((n) => n.endsWith('.c'))
    .map((n) => n.slice(0, -2))
    .sort();
  const nativeBlocked = readBlocklist(join(ROOT, 'tests/conformance/blocklist.txt'), suite);
  const browserBlocked = readBlocklist(join(HERE, 'blocklist.txt'), suite);

  const server = await startServer({ wasmpod: o.wasmpod, dir: o.web, image: o.image });
  const browser = await launchBrowser(o.chromium);
  const testPage = `${server.url}test-programs/index.html`;
  const timeoutMs = o.timeout * 1000;
  let passed = 0;
  let failed = 0;
  let skipped = 0;

  /** A page-side test: a fresh context, the export `fn` of tests.js. */
  const inPage = (fn, ...args) => async (page) => callInPage(page, fn, ...args);

  const tests = [
    ['boot a pod', inPage('boot')],
    ['boot from an ext2 image (HTTP Range)', inPage('bootFromImage')],
    ['a cold boot of a 1.1 GiB image fetches only what it reads', inPage('bigImageColdBoot')],
    ['image chunks cached in OPFS: a warm boot fetches nothing', inPage('imageCacheWarmBoot')],
    ['image over the WebSocket block protocol and over HTTP ranges', inPage('imageTransports')],
    ['pod storage: files persist under a storage key, keys are isolated', inPage('storagePersists')],
    ['pod storage: a persistent home volume (mounts)', inPage('storageVolumes')],
    ['pod storage: page killed during fsyncs, every synced record survives, e2fsck clean', storageCrashTest],
    ['createFile a program and run it', inPage('createFileAndRun')],
    ['stdin and stdout of a process', inPage('stdinStdout')],
    ['pipe between two processes', inPage('pipeBetweenProcesses')],
    ['execve in place (not from vfork)', inPage('execInPlace')],
    ['SIGINT to a sleeping process', inPage('sigintSleeping')],
    ['SIGKILL of a spinning process while another works', inPage('sigkillSpinning')],
    ['terminal: typing and reading the screen', terminalTest],
    ['two pods in one page', inPage('twoPods')],
  ];
  for (const name of suite) {
    tests.push([`conformance/${name}`, conformanceTest(name)]);
  }
  tests.push(...shellTests(Skip));
  tests.push(['demo page screenshot', demoTest]);
  tests.push(['demo: /home/user survives a reload (persistent volume)', demoPersistsTest]);

  const selected = tests.filter(([name]) => !o.filters.length || o.filters.some((f) => name.includes(f)));
  if (!selected.length) {
    console.error(`run.mjs: no test matches ${o.filters.join(' ')}`);
    process.exit(2);
  }

  function conformanceTest(name) {
    return async (page) => {
      const native = nativeBlocked.get(name);
      if (native !== undefined) throw new Skip(`blocklisted for wasmpod (tests/conformance/blocklist.txt): ${native}`);
      const file = join(confDir, name);
      if (!existsSync(file)) throw new Error(`${file} missing: \`cargo xtask web --test\` builds the conformance programs`);
      const [b, n] = await Promise.all([callInPage(page, 'conformance', name), runNative(o.wasmpod, file, timeoutMs)]);
      const same = b.status === n.status && b.stdout === n.stdout;
      const passes = (r) => r.status === 0 && r.stdout.split('\n').includes(`ok ${name}.c`);
      const why = browserBlocked.get(name);
      if (same && passes(b)) {
        if (why !== undefined) return `now passes: remove it from web/test/browser/blocklist.txt`;
        return null;
      }
      const detail =
        `browser: status ${b.status}\n${indent(b.stdout + b.stderr || '(no output)')}\n` +
        `  native host: status ${n.status}\n${indent(n.stdout + n.stderr || '(no output)')}`;
      if (why !== undefined) throw new Skip(`blocked (web/test/browser/blocklist.txt): ${why}`);
      throw new Error(`${same ? 'both fail' : 'results differ'}:\n  ${detail}`);
    };
  }

  /**
   * Kill the page while a program appends and fsyncs in a loop; a new page
   * of the same origin (same OPFS) boots the same storage key and finds
   * every record the program had reported synced; the image with the
   * storage's journal on top (`wasmpod image flatten`) passes `e2fsck -fn`.
   */
  async function storageCrashTest(page) {
    const synced = await callInPage(page, 'storageCrashStart');
    await page.close({ runBeforeUnload: false });
    const again = await page.context().newPage();
    again.on('console', (m) => page.logs.push(`console.${m.type()} (after the crash): ${m.text()}`));
    await again.goto(testPage);
    const { records, journal } = await callInPage(again, 'storageCrashCheck', synced);
    const dir = mkdtempSync(join(tmpdir(), 'wasmpod-crash-'));
    try {
      const jfile = join(dir, 'root.journal');
      const flat = join(dir, 'flat.ext2');
      writeFileSync(jfile, Buffer.from(journal, 'base64'));
      const base = join(o.web, 'test-programs/root.ext2');
      const f = spawnSync(o.wasmpod, ['image', 'flatten', base, '--journal', jfile, '-o', flat], { encoding: 'utf8' });
      if (f.status !== 0) throw new Error(`wasmpod image flatten: ${f.stderr}`);
      const fsck = spawnSync('/usr/sbin/e2fsck', ['-fn', flat], { encoding: 'utf8' });
      if (fsck.status !== 0) throw new Error(`e2fsck -fn on image + journal (status ${fsck.status}):\n${indent(fsck.stdout + fsck.stderr)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return `${synced} records reported synced before the kill, ${records} found; e2fsck clean`;
  }

  async function terminalTest(page) {
    const start = await callInPage(page, 'terminalStart');
    if (start.skip) throw new Skip(start.skip);
    const screen = () => callInPage(page, 'terminalScreen');
    /** Polls the screen until `want` shows up (the test's deadline bounds it). */
    const waitScreen = async (want) => {
      for (;;) {
        const s = await screen();
        if (s.includes(want)) return s;
        page.lastScreen = s;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    page.describe = () => `screen:\n${indent(page.lastScreen ?? '(not read)')}`;
    await waitScreen('isatty=1');
    await waitScreen(`size ${start.rows}x${start.cols}`);
    await page.click('#terminal');
    await page.keyboard.type('hello world');
    await page.keyboard.press('Enter');
    const s = await waitScreen('got: HELLO WORLD');
    if (!s.includes('hello world')) throw new Error(`the typed line is not echoed:\n${indent(s)}`);
    await callInPage(page, 'terminalResize', 480, 240);
    let size;
    for (;;) {
      size = await callInPage(page, 'terminalSize');
      if (size.rows !== start.rows || size.cols !== start.cols) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitScreen(`size ${size.rows}x${size.cols}`);
    await page.keyboard.type('quit');
    await page.keyboard.press('Enter');
    const status = await callInPage(page, 'terminalExit');
    if (status.code !== 0) throw new Error(`termio ended with ${JSON.stringify(status)}, want code 0`);
    // Ctrl-C typed on the terminal: the line discipline sends SIGINT to the foreground program.
    await callInPage(page, 'terminalRun', 'sleeper');
    await waitScreen('sleeping');
    await page.keyboard.press('Control+C');
    const sleeper = await callInPage(page, 'terminalExit');
    if (sleeper.signal !== 2) throw new Error(`sleeper ended with ${JSON.stringify(sleeper)} after Ctrl-C, want signal 2`);
    await callInPage(page, 'terminalShutdown');
    return `${start.rows}x${start.cols} → ${size.rows}x${size.cols}, Ctrl-C → SIGINT`;
  }

  /**
   * The demo page at `/`: its terminal must show text (the demo's program
   * runs), with no page errors; the screenshot is kept either way. A demo
   * that reports a failure in its status line (`#status.error`) fails at once.
   */
  async function demoTest(page) {
    await page.goto(server.url);
    mkdirSync(o.artifacts, { recursive: true });
    const shot = join(o.artifacts, 'demo.png');
    const state = await page
      .waitForFunction(
        () => {
          const status = document.querySelector('#status.error');
          if (status) return { error: status.textContent.trim() };
          const rows = document.querySelector('.xterm-rows');
          return rows && rows.textContent.trim().length > 0 ? { ok: true } : null;
        },
        null,
        { timeout: timeoutMs / 2 },
      )
      .then((h) => h.jsonValue())
      .catch(() => ({ error: `no terminal text after ${timeoutMs / 2000} s` }));
    await page.screenshot({ path: shot });
    if (state.error) throw new Error(`demo page: ${state.error} (screenshot ${shot})`);
    if (page.errors.length) throw new Error(`page errors on the demo page (screenshot ${shot})`);
    const status = await page.evaluate(() => document.querySelector('#status')?.textContent.trim() ?? '');
    return `${shot}${status ? `; status line: ${status}` : ''}`;
  }

  /**
   * The demo's home is a persistent volume: a file written in the demo's
   * shell (and synced) is there after a reload of the page.
   */
  async function demoPersistsTest(page) {
    await page.goto(server.url);
    const program = await page
      .waitForFunction(() => window.wasmpodDemo?.phase === 'running' && window.wasmpodDemo.program, null, { timeout: timeoutMs / 2 })
      .then((h) => h.jsonValue());
    if (program !== '/sbin/init' && program !== '/bin/sh') throw new Skip(`the served image has no shell (the demo runs ${program})`);
    const screen = () => page.evaluate(() => document.querySelector('.xterm-rows')?.textContent ?? '');
    page.describe = () => `screen:\n${indent(page.lastScreen ?? '(not read)')}`;
    const waitFor = async (text) => {
      for (;;) {
        const s = await screen();
        page.lastScreen = s;
        if (s.includes(text)) return s;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor('$');
    await page.click('#terminal');
    await page.keyboard.type('echo kept-across-reloads > notes.txt; sync; echo WRITTEN-$((40+2))');
    await page.keyboard.press('Enter');
    await waitFor('WRITTEN-42');
    await page.reload();
    await page.waitForFunction(() => window.wasmpodDemo?.phase === 'running', null, { timeout: timeoutMs / 2 });
    await waitFor('$');
    await page.click('#terminal');
    await page.keyboard.type('cat notes.txt; echo READ-$((1+1))');
    await page.keyboard.press('Enter');
    const s = await waitFor('READ-2');
    if (!s.includes('kept-across-reloads')) throw new Error(`notes.txt is gone after the reload:\n${indent(s)}`);
    return 'notes.txt written, page reloaded, read back';
  }

  let page = null;
  for (const [name, body] of selected) {
    const t0 = Date.now();
    try {
      if (page) await closePage(page);
      page = null;
      page = await openPage(browser, testPage);
      const note = await withTimeout(timeoutMs, name, () => body(page));
      if (page.errors.length) throw new Error(`uncaught page errors: ${page.errors.map((e) => e.message).join('; ')}`);
      passed++;
      console.log(`ok    ${name} (${Date.now() - t0} ms)${note ? `: ${note}` : ''}`);
    } catch (e) {
      if (e instanceof Skip) {
        skipped++;
        console.log(`skip  ${name}: ${e.message}`);
        continue;
      }
      failed++;
      console.log(`FAIL  ${name} (${Date.now() - t0} ms): ${message(e)}`);
      if (page && page.describe) console.log(indent(page.describe()));
      console.log(pageLog(page));
    }
  }
  if (page) await closePage(page);
  await browser.close();
  await server.stop();
  if (skipped) console.log(`${skipped} skipped`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`run.mjs: ${e.stack || e}`);
  process.exit(2);
});
