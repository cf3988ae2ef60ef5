// The demo page: a pod with a terminal running the root image's init (a
// login shell), or, without a root image, the `welcome` program built from
// welcome.c. /home/user is a persistent volume (storage key `demo-home`):
// the user's files survive a reload; "forget my files" deletes it. A
// progress bar shows the image traffic while booting, then the status line
// the boot time and the bytes fetched. Playwright reads
// `window.wasmpodDemo` (tests and the demo screenshot).

import { Pod } from '../index.js';

const status = document.getElementById('status')!;
const element = document.getElementById('terminal')!;
const progress = document.getElementById('progress') as HTMLProgressElement;
const forget = document.getElementById('forget') as HTMLButtonElement;

/** The storage key of the demo's persistent home. */
const HOME_KEY = 'demo-home';

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
  const pod = await Pod.boot({
    mounts: [{ path: '/home/user', storageKey: HOME_KEY }],
    onProgress: (s) => {
      if (state.phase !== 'booting') return;
      const kib = (n: number) => (n / 1024).toFixed(0);
      status.textContent = `booting… ${kib(s.bytesFetched)} KiB fetched, ${kib(s.bytesFromCache)} KiB from the cache${s.bytesInFlight ? `, ${kib(s.bytesInFlight)} KiB on the way` : ''}`;
    },
  });
  progress.hidden = true;
  forget.hidden = false;
  forget.onclick = async () => {
    if (!confirm('Delete the files in /home/user and start over?')) return;
    await pod.shutdown();
    await Pod.deleteStorage(HOME_KEY);
    location.reload();
  };
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
    const cached = (pod.stats.bytesFromCache / 1024).toFixed(0);
    status.textContent = `booted in ${state.bootMs} ms · ${kib} KiB of root image fetched in ${pod.stats.requests} requests, ${cached} KiB from the cache · /home/user is kept across reloads · ${program} ${state.phase}`;
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
  progress.hidden = true;
  state.error = String((e as Error)?.message ?? e);
  status.textContent = `failed: ${state.error}`;
  status.classList.add('error');
});
