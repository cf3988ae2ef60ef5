// The demo page: a pod with a terminal running the root image's init (a
// login shell), or,
// without a root image, the `welcome` program built from welcome.c. The
// status line shows the boot time and the root image's bytes fetched.
// Playwright reads `window.wasmpodDemo` (tests and the demo screenshot).

import { Pod } from '../index.js';

const status = document.getElementById('status')!;
const element = document.getElementById('terminal')!;

interface DemoState {
  phase: 'booting' | 'running' | 'exited' | 'failed';
  program?: string;
  bootMs?: number;
  error?: string;
}
const state: DemoState = { phase: 'booting' };
(window as unknown as { wasmpodDemo: DemoState }).wasmpodDemo = state;

async function start(): Promise<void> {
  const t0 = performance.now();
  const pod = await Pod.boot();
  state.bootMs = Math.round(performance.now() - t0);
  const term = await pod.createDefaultTerminal(element);
  // The root image's init starts a login shell for the pod user (it skips
  // the mounts, which the browser host has made, when not root).
  let program = '/sbin/init';
  const args: string[] = [];
  const exists = (path: string) =>
    pod.stat(path).then(
      () => true,
      () => false,
    );
  const shell = await exists('/bin/sh');
  if (shell && (await exists(program))) {
    // nothing to add: init's default is the login shell
  } else if (shell) {
    program = '/bin/sh';
    args.push('-l');
  } else {
    program = '/usr/local/bin/welcome';
    const resp = await fetch(new URL('demo/welcome.wasm', import.meta.url));
    if (!resp.ok) throw new Error(`demo/welcome.wasm: HTTP ${resp.status}`);
    await pod.mkdir('/usr/local/bin', { recursive: true });
    await pod.writeFile(program, new Uint8Array(await resp.arrayBuffer()), 0o755);
  }
  state.program = program;
  const show = () => {
    const kib = (pod.stats.bytesFetched / 1024).toFixed(0);
    status.textContent = `booted in ${state.bootMs} ms · ${kib} KiB of root image fetched in ${pod.stats.requests} requests · ${program} ${state.phase}`;
  };
  const timer = setInterval(show, 500);
  const proc = await pod.run(program, args, { terminal: term });
  state.phase = 'running';
  show();
  const code = await proc.exited;
  state.phase = 'exited';
  clearInterval(timer);
  show();
  status.textContent += ` (exit code ${code}; reload to start again)`;
}

start().catch((e: unknown) => {
  state.phase = 'failed';
  state.error = String((e as Error)?.message ?? e);
  status.textContent = `failed: ${state.error}`;
  status.classList.add('error');
});
