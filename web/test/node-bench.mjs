// Rough numbers for the browser host under Node (not the Chromium bench of
// issue #5): node web/test/node-bench.mjs KERNEL_WASM GETPID_WASM [N]
import { readFileSync } from 'node:fs';
import { boot } from '../host/node-pod.mjs';

const [kernelPath, getpidPath, n = '200000'] = process.argv.slice(2);
const r = await boot(kernelPath, {
  files: [{ path: '/bin/getpid', bytes: readFileSync(getpidPath) }],
  run: { path: '/bin/getpid', argv: ['/bin/getpid', n], env: [], cwd: '' },
  timeoutMs: 60000,
});
process.stdout.write(r.stdout);
if (r.status !== 0) {
  console.error(`status ${r.status}\n${r.stderr}${r.logs.join('\n')}`);
  process.exit(1);
}
