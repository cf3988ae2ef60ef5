// Page side of the root-image tests (web/test/browser/shell.mjs): the pod
// boots the served root image (`/images/rootfs.ext2`, what `cargo xtask
// build` makes), and the image's init starts a login shell on an xterm.js
// terminal. Re-exported by tests.js so run.mjs's callInPage reaches it.
import { Pod, installProgram, text } from './helpers.js';

/** Whether the served root image has a shell (`{ skip }` when it has none). */
async function imageShell(pod) {
  try {
    await pod.stat('/bin/busybox');
    await pod.stat('/sbin/init');
    return null;
  } catch (e) {
    return `the served root image has no /bin/busybox or /sbin/init (${e.message}): \`cargo xtask build\` makes build/images/rootfs.ext2`;
  }
}

/** tests/seed/hello.c (as test-programs/seed-hello.wasm) through the Pod API. */
export async function seedHello() {
  const pod = await Pod.boot();
  try {
    const skip = await imageShell(pod);
    if (skip) return { skip };
    const path = await installProgram(pod, 'seed-hello');
    let out = '';
    let err = '';
    const proc = await pod.run(path, [], {
      onStdout: (b) => (out += text(b)),
      onStderr: (b) => (err += text(b)),
    });
    await proc.stdin.close();
    const code = await proc.exited;
    return { code, out, err };
  } finally {
    await pod.shutdown();
  }
}

/**
 * Boots a pod on the root image, makes a terminal and runs the image's
 * `/sbin/init` on it (a login shell for the pod user). The terminal
 * helpers of tests.js (terminalScreen, terminalExit, …) work on it.
 */
export async function shellStart() {
  const pod = await Pod.boot();
  const skip = await imageShell(pod);
  if (skip) {
    await pod.shutdown();
    return { skip };
  }
  const el = document.createElement('div');
  el.id = 'terminal';
  el.style.cssText = 'width:800px;height:420px';
  document.body.append(el);
  const terminal = await pod.createDefaultTerminal(el);
  const proc = await pod.run('/sbin/init', [], { terminal });
  window.__terminalTest = { pod, el, terminal, xterm: terminal, proc };
  return { rows: terminal.rows, cols: terminal.cols };
}

/**
 * The cells of the screen whose text is `word` (its last occurrence, so
 * output rather than the typed command):
 * whether their foreground colour is the default one, and bold.
 */
export function shellCellStyle(word) {
  const { xterm } = window.__terminalTest;
  const buf = xterm.buffer.active;
  for (let i = buf.length - 1; i >= 0; i--) {
    const line = buf.getLine(i);
    const s = line.translateToString(true);
    const re = new RegExp(`(^|\\s)${word}(\\s|$)`);
    const m = re.exec(s);
    if (!m) continue;
    const col = m.index + m[1].length;
    const cell = line.getCell(col);
    return { row: i, col, fgDefault: cell.isFgDefault(), bold: cell.isBold() !== 0, fg: cell.getFgColor() };
  }
  return null;
}

/** Pids of the pod's processes whose argv[0] ends with `name` (from /proc). */
export async function shellPids(name) {
  const { pod } = window.__terminalTest;
  const pids = [];
  for (const e of await pod.readdir('/proc')) {
    const n = typeof e === 'string' ? e : e.name;
    if (!/^\d+$/.test(n)) continue;
    let cmd;
    try {
      cmd = await pod.readFile(`/proc/${n}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const argv0 = cmd.split('\0')[0];
    if (argv0 === name || argv0.endsWith(`/${name}`)) pids.push(Number(n));
  }
  return pids;
}

/** A file of the pod as text (null when missing). */
export async function shellReadFile(path) {
  const { pod } = window.__terminalTest;
  try {
    return await pod.readFile(path, 'utf8');
  } catch {
    return null;
  }
}
