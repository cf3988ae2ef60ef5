// A minimal single-threaded wasmpod host in JavaScript, for smoke-testing
// the toolchain's libc (startup, stdio, TLS, setjmp/longjmp, signals)
// before the real host (`wasmpod run`) is available. It is not the kernel:
// it implements the handful of calls those programs make and returns
// ENOSYS for the rest. Run the module as linked by wasm-ld (legacy EH;
// WASMPOD_WASM_OPT=true), since Node 20 has no exnref:
//   node toolchain/dev/minihost.mjs prog.wasm [args...]
import fs from 'node:fs';

const [file, ...args] = process.argv.slice(2);
const bytes = fs.readFileSync(file);
const mod = new WebAssembly.Module(bytes);
const memImport = WebAssembly.Module.imports(mod).find(i => i.module === 'env' && i.name === 'memory');
if (!memImport) throw new Error('no env.memory import');
// Read initial/maximum from the import's limits (not exposed by the JS API): parse them.
function memLimits(b) {
  let p = 8;
  const u = () => { let r = 0, s = 0, x; do { x = b[p++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
  const str = () => { const n = u(); const s = Buffer.from(b.subarray(p, p + n)).toString(); p += n; return s; };
  while (p < b.length) {
    const id = b[p++]; const size = u(); const end = p + size;
    if (id === 2) {
      for (let n = u(); n; n--) {
        const m = str(), f = str(), kind = b[p++];
        if (kind === 2) { const fl = b[p++]; const init = u(); const max = fl & 1 ? u() : 65536; return { init, max }; }
        if (kind === 0) u(); else if (kind === 1) { p++; const fl = b[p++]; u(); if (fl & 1) u(); } else if (kind === 3) { p += 2; } else if (kind === 4) { p++; u(); }
      }
    }
    p = end;
  }
  throw new Error('memory import not found');
}
const lim = memLimits(bytes);
const memory = new WebAssembly.Memory({ initial: lim.init, maximum: lim.max, shared: true });
let inst;
const u8 = () => new Uint8Array(memory.buffer);
const dv = () => new DataView(memory.buffer);
const ENOSYS = 38, ENOENT = 2, ENOTTY = 25, ESPIPE = 29, EINVAL = 22;
let sigmask = 0n;
const pending = new Set();
const actions = new Map(); // sig -> {handler, flags, mask}
let brk = 0, startupBlock = 0, vforkDepth = 0;
const zombies = [];
const rd = (p, n) => Buffer.from(u8().subarray(p, p + n));
const cstr = p => { const a = u8(); let e = p; while (a[e]) e++; return Buffer.from(a.subarray(p, e)).toString(); };

function startup(heapBase) {
  if (startupBlock) return startupBlock;
  const argv = [file, ...args], envp = ['PATH=/bin', 'HOME=/'];
  const strs = [...argv, ...envp].map(s => Buffer.from(s + '\0'));
  const words = 1 + argv.length + 1 + envp.length + 1 + 2 * 4;
  let p = heapBase, sp = heapBase + words * 4;
  const need = sp + strs.reduce((a, s) => a + s.length, 0) + 16;
  while (need > memory.buffer.byteLength) memory.grow(1);
  const d = dv(); const w = v => { d.setUint32(p, v, true); p += 4; };
  w(argv.length);
  for (const s of strs.slice(0, argv.length)) { w(sp); u8().set(s, sp); sp += s.length; }
  w(0);
  for (const s of strs.slice(argv.length)) { w(sp); u8().set(s, sp); sp += s.length; }
  w(0);
  w(6); w(4096); w(0); w(0); // AT_PAGESZ, AT_NULL
  brk = (sp + 4095) & ~4095;
  startupBlock = heapBase;
  return heapBase;
}

function deliver() {
  for (const sig of [...pending].sort((a, b) => a - b)) {
    const bit = 1n << BigInt(sig - 1);
    if (sigmask & bit) continue;
    pending.delete(sig);
    const act = actions.get(sig);
    if (!act || act.handler === 0) { process.stderr.write(`minihost: killed by signal ${sig}\n`); process.exit(128 + sig); }
    if (act.handler === 1) continue; // SIG_IGN
    const spg = inst.exports.__stack_pointer;
    const sp = spg.value;
    const uc = ((sp - 152) & ~15) >>> 0, si = ((uc - 128) & ~15) >>> 0;
    u8().fill(0, si, uc + 152);
    const d = dv();
    d.setInt32(si, sig, true); d.setInt32(si + 8, 0, true); d.setInt32(si + 12, process.pid, true);
    d.setBigUint64(uc + 24, sigmask, true);
    sigmask |= act.mask | (act.flags & 0x40000000 ? 0n : bit);
    spg.value = si;
    try { inst.exports.__wasmpod_sigtramp(act.handler, sig, si, uc, act.flags); }
    finally { spg.value = sp; }
  }
}

const sys = {
  wasmpod_startup: hb => startup(hb),
  set_tid_address: () => process.pid,
  getpid: () => process.pid, gettid: () => process.pid, getppid: () => 1,
  getuid: () => 0, geteuid: () => 0, getgid: () => 0, getegid: () => 0,
  ioctl: () => -ENOTTY,
  lseek: () => -ESPIPE,
  write: (fd, buf, n) => { fs.writeSync(fd, rd(buf, n)); return n; },
  writev: (fd, iov, cnt) => { let t = 0; const d = dv(); for (let i = 0; i < cnt; i++) { const b = d.getUint32(iov + 8 * i, true), n = d.getUint32(iov + 8 * i + 4, true); if (n) fs.writeSync(fd, rd(b, n)); t += n; } return t; },
  read: () => 0, readv: () => 0,
  close: () => 0,
  openat: () => -ENOENT, faccessat: () => -ENOENT, faccessat2: () => -ENOENT, execve: () => -ENOENT,
  // vfork: the child runs on this thread until its _exit, which returns
  // the child's pid to libc (docs/program-abi.md); wait4 reaps it.
  vfork: () => { vforkDepth++; return 0; },
  exit_group: c => {
    if (vforkDepth > 0) { vforkDepth--; const pid = 1000 + zombies.length; zombies.push({ pid, status: (c & 255) << 8 }); return pid; }
    process.exit(c & 255);
  },
  exit: c => { process.exit(c & 255); },
  wait4: (pid, st) => {
    const i = zombies.findIndex(z => pid === 0xffffffff || z.pid === pid);
    if (i < 0) return -10; // ECHILD
    const [z] = zombies.splice(i, 1);
    if (st) dv().setInt32(st, z.status, true);
    return z.pid;
  },
  futex: () => 0, ppoll: () => 0,
  brk: a => { if (a > brk) { while (a > memory.buffer.byteLength) memory.grow(1); brk = a; } return brk; },
  mmap: (addr, len) => { const p = (brk + 4095) & ~4095; const e = p + ((len + 4095) & ~4095); while (e > memory.buffer.byteLength) memory.grow(1); u8().fill(0, p, e); brk = e; return p; },
  munmap: () => 0, mprotect: () => 0, madvise: () => 0,
  clock_gettime: (clk, ts) => { const t = process.hrtime.bigint(); dv().setBigInt64(ts, t / 1000000000n, true); dv().setInt32(ts + 8, Number(t % 1000000000n), true); return 0; },
  rt_sigprocmask: (how, set, old) => {
    const d = dv();
    if (old) d.setBigUint64(old, sigmask, true);
    if (set) { const s = d.getBigUint64(set, true); sigmask = how === 0 ? sigmask | s : how === 1 ? sigmask & ~s : s; }
    sigmask &= ~((1n << 8n) | (1n << 18n)); // SIGKILL, SIGSTOP
    return 0;
  },
  rt_sigaction: (sig, act, old) => {
    const d = dv(); const cur = actions.get(sig) || { handler: 0, flags: 0, mask: 0n };
    if (old) { d.setUint32(old, cur.handler, true); d.setUint32(old + 4, cur.flags, true); d.setUint32(old + 8, 0, true); d.setBigUint64(old + 12, cur.mask, true); }
    if (act) actions.set(sig, { handler: d.getUint32(act, true), flags: d.getUint32(act + 4, true), mask: d.getBigUint64(act + 12, true) });
    return 0;
  },
  rt_sigreturn: uc => { sigmask = dv().getBigUint64(uc + 24, true); return 0; },
  kill: (pid, sig) => { if (sig) pending.add(sig); return 0; },
  tkill: (tid, sig) => { if (sig) pending.add(sig); return 0; },
  tgkill: (pid, tid, sig) => { if (sig) pending.add(sig); return 0; },
};
sys.spawn = () => -ENOSYS;

const env = { memory };
for (const imp of WebAssembly.Module.imports(mod)) {
  if (imp.module !== 'env' || imp.kind !== 'function') continue;
  if (imp.name === '__syscall') { env[imp.name] = (nr) => -ENOSYS; continue; }
  const name = imp.name.replace(/^__syscall_/, '');
  const f = sys[name];
  env[imp.name] = (a, b, c, d, e, g) => {
    const r = f ? f(a >>> 0, b >>> 0, c >>> 0, d >>> 0, e >>> 0, g >>> 0) : -ENOSYS;
    if (process.env.MINIHOST_TRACE) process.stderr.write(`[${name}(${a}, ${b}, ${c}) = ${r}]\n`);
    if (pending.size) deliver();
    return r;
  };
}
inst = new WebAssembly.Instance(mod, { env });
inst.exports._start();
process.exit(0);
