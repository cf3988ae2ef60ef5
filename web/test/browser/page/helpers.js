// Page-side helpers of the browser tests (web/test/browser/run.mjs), served
// as /test-programs/helpers.js next to the test programs. Everything here
// uses the public API only (`/wasmpod.js`), as a page embedding wasmpod would.
import * as wasmpod from '/wasmpod.js';

export const { Pod } = wasmpod;

/** A failed expectation; the runner prints its message. */
export function fail(message) {
  throw new Error(message);
}

export function eq(what, got, want) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) fail(`${what}:\n  got:  ${g}\n  want: ${w}`);
}

export function check(what, ok, detail = '') {
  if (!ok) fail(`${what}${detail ? `: ${detail}` : ''}`);
}

/** Expects `promise` to reject with a message starting with `prefix`. */
export async function rejects(what, promise, prefix) {
  let value;
  try {
    value = await promise;
  } catch (e) {
    const msg = String(e && e.message !== undefined ? e.message : e);
    if (!msg.startsWith(prefix)) fail(`${what}: rejected with ${JSON.stringify(msg)}, want ${JSON.stringify(prefix)}…`);
    return;
  }
  fail(`${what}: resolved with ${JSON.stringify(value)}, want a rejection ${JSON.stringify(prefix)}…`);
}

export async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) fail(`GET ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Puts the file at `url` into the pod at `path` through `createFile`. */
export async function install(pod, url, path, mode = 0o755) {
  const bytes = await fetchBytes(url);
  const f = await pod.createFile(path, mode);
  await f.write(bytes);
  await f.close();
}

/** Installs `/test-programs/NAME.wasm` as `/tmp/NAME`; returns the path. */
export async function installProgram(pod, name) {
  const path = `/tmp/${name}`;
  await install(pod, `/test-programs/${name}.wasm`, path);
  return path;
}

/** Bytes or text as text. */
export function text(data) {
  if (typeof data === 'string') return data;
  return new TextDecoder().decode(data);
}

/** A name out of a `readdir` entry (a string or an object with `name`). */
export function entryName(e) {
  return typeof e === 'string' ? e : e.name;
}

/**
 * How a process ended, from what `Process.exited` resolved with (the exit
 * code as a shell reports it: 128+n after death by signal n) and
 * `Process.status` (the raw wait status, as waitpid(2) stores it), which
 * tells an `exit(130)` from a death by SIGINT. Returns `{ code }` or
 * `{ signal }`, and `shell`: the shell-style number.
 */
export function exitOf(shell, raw) {
  if (!Number.isInteger(shell)) fail(`Process.exited resolved with ${JSON.stringify(shell)}, not an integer`);
  if (Number.isInteger(raw)) {
    const sig = raw & 0x7f;
    const decoded = sig === 0 ? { code: (raw >> 8) & 0xff, shell } : { signal: sig, shell };
    const want = sig === 0 ? decoded.code : 128 + sig;
    if (want !== shell) fail(`Process.exited is ${shell} but Process.status ${raw} says ${want}`);
    return decoded;
  }
  return shell > 128 ? { signal: shell - 128, shell } : { code: shell, shell };
}

/** Text arriving on one output stream, with waits for a substring. */
export class Output {
  constructor() {
    this.text = '';
    this.decoder = new TextDecoder();
    this.waiters = [];
  }
  push(data) {
    this.text += typeof data === 'string' ? data : this.decoder.decode(data, { stream: true });
    this.waiters = this.waiters.filter((w) => !w());
  }
  /** Resolves once the text contains `s` (never times out: the runner does). */
  until(s) {
    return new Promise((resolve) => {
      const ready = () => {
        if (!this.text.includes(s)) return false;
        resolve(this.text);
        return true;
      };
      if (!ready()) this.waiters.push(ready);
    });
  }
}

/**
 * Starts a program with its stdout and stderr collected.
 * Returns `{ proc, out, err, exited }` where `exited` resolves to how it
 * ended (see `exitOf`).
 */
export async function start(pod, path, args = [], opts = {}) {
  const out = new Output();
  const err = new Output();
  const proc = await pod.run(path, args, {
    ...opts,
    onStdout: (d) => out.push(d),
    onStderr: (d) => err.push(d),
  });
  check('run() gave a process with a pid', proc && Number.isInteger(proc.pid) && proc.pid > 0, `pid ${proc && proc.pid}`);
  const exited = proc.exited.then((code) => exitOf(code, proc.status));
  return { proc, out, err, exited };
}

/**
 * Runs a program to its end: `{ status, stdout, stderr }` (status decoded).
 * `opts.stdin`: text written to its stdin, which is then closed.
 */
export async function runToEnd(pod, path, args = [], opts = {}) {
  const { stdin, ...runOpts } = opts;
  const { proc, out, err, exited } = await start(pod, path, args, runOpts);
  if (stdin !== undefined) {
    await proc.stdin.write(stdin);
    await proc.stdin.close();
  }
  const status = await exited;
  return { status, stdout: out.text, stderr: err.text, pid: proc.pid };
}

/** Runs `body(pod)` on a freshly booted pod and shuts the pod down after. */
export async function withPod(body, opts = {}) {
  const pod = await Pod.boot(opts);
  try {
    return await body(pod);
  } finally {
    await pod.shutdown();
  }
}
