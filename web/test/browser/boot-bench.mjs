// Boot to a shell prompt in headless Chromium, for `cargo xtask bench boot`:
//
//   node web/test/browser/boot-bench.mjs --wasmpod BIN [--web build/web]
//        [--chromium /usr/bin/chromium] IMAGE_URL_PATH ROUNDS
//
// Serves the bundle and build/images with `wasmpod serve`. Each round opens
// a fresh browser context (empty OPFS): a cold boot of the image, then,
// after shutdown, a warm boot in the same page (the chunk cache full of
// what the cold boot fetched). A boot is timed from `Pod.boot` until the
// image's init has put the login shell's prompt on a terminal. Prints one
// JSON line per boot: {round, kind, ms, bytesFetched, requests, bytesFromCache, websocket}.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scriptArgs, withChromium, withTimeout } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TIMEOUT_MS = 120_000;
const PROMPT = 'user@wasmpod:~$';

const { opts, rest } = scriptArgs(process.argv.slice(2), ROOT);
const [image, rounds] = rest;
if (!opts.wasmpod || !image || !/^\d+$/.test(rounds ?? '') || rest.length !== 2) {
  console.error('usage: node web/test/browser/boot-bench.mjs --wasmpod BIN [--web DIR] [--chromium PATH] IMAGE_URL_PATH ROUNDS');
  process.exit(2);
}

/** In the page: boots `url`, waits for `prompt` on a terminal, shuts down; the time and traffic. */
async function bootToPrompt([url, prompt]) {
  const { Pod } = await import('/wasmpod.js');
  const el = document.createElement('div');
  el.style.cssText = 'width:800px;height:400px';
  document.body.append(el);
  const t0 = performance.now();
  const pod = await Pod.boot({ image: url });
  try {
    const term = await pod.createDefaultTerminal(el);
    await pod.run('/sbin/init', [], { terminal: term });
    const screen = () => {
      const b = term.buffer.active;
      let s = '';
      for (let i = 0; i < b.length; i++) s += b.getLine(i).translateToString(true) + '\n';
      return s;
    };
    while (!screen().includes(prompt)) await new Promise((r) => setTimeout(r, 2));
    const ms = performance.now() - t0;
    return { ms, ...pod.stats };
  } finally {
    await pod.shutdown();
    el.remove();
  }
}

const code = await withChromium(opts, 'boot-bench.mjs', async (openTestPage) => {
  for (let round = 1; round <= Number(rounds); round++) {
    const page = await openTestPage();
    for (const kind of ['cold', 'warm']) {
      const r = await withTimeout(TIMEOUT_MS, `${kind} boot`, () => page.evaluate(bootToPrompt, [image, PROMPT]));
      console.log(JSON.stringify({ round, kind, ...r }));
    }
  }
});
process.exit(code);
