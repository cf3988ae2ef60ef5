// The root image through the io worker, under Node worker_threads:
//   node web/test/node-image.mjs KERNEL_WASM IMGTEST_WASM IO_MJS
// Makes an ext2 image with `mke2fs -t ext2 -d`, serves it from a small
// HTTP server that honours Range (and counts requests), checks probeImage,
// boots a pod whose root is that image (io worker = IO_MJS, the bundled
// web/src/worker/io.ts), runs web/test/imgtest.c, which reads files of the
// image and writes one, and checks its output, that the image file is
// unchanged, and that the bytes/requests the kernel counted match what the
// server sent. Then a pod without an image: its root has /tmp, /dev, /proc
// and /home/user (uid 1000). Exit status 0 on success.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { boot } from '../host/node-pod.mjs';

const [kernelPath, imgtestPath, ioModule] = process.argv.slice(2);
if (!kernelPath || !imgtestPath || !ioModule) {
  console.error('usage: node node-image.mjs KERNEL_WASM IMGTEST_WASM IO_MJS');
  process.exit(2);
}
let failures = 0;
const check = (what, got, want) => {
  if (got !== want) {
    failures++;
    console.error(`FAIL ${what}:\n  got:  ${JSON.stringify(got)}\n  want: ${JSON.stringify(want)}`);
  }
};
const fnv1a = (bytes) => {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
};

// The image: a small tree plus a 3 MiB file spanning many 256 KiB chunks.
const dir = mkdtempSync(join(tmpdir(), 'wasmpod-image-'));
const tree = join(dir, 'tree');
for (const d of ['dev', 'proc', 'tmp', 'etc', 'data', 'home/user', 'bin']) mkdirSync(join(tree, d), { recursive: true });
chmodSync(join(tree, 'tmp'), 0o1777);
chmodSync(join(tree, 'home/user'), 0o777); // the program runs as uid 1000
writeFileSync(join(tree, 'etc/motd'), 'hello from the image\n');
const big = new Uint8Array(3 << 20);
for (let i = 0, x = 1; i < big.length; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  big[i] = x >>> 24;
}
writeFileSync(join(tree, 'data/big'), big);
const imgPath = join(dir, 'root.img');
execFileSync('mke2fs', ['-q', '-F', '-t', 'ext2', '-b', '1024', '-d', tree, imgPath, '16M']);
const image = readFileSync(imgPath);

// A static server with Range support, counting ranged GETs and bytes sent.
const served = { gets: 0, bytes: 0, etag: 0 };
const server = createServer((req, res) => {
  // A broken server and one that ignores Range: the mount must fail with
  // EIO, not hang or read garbage.
  if (req.url === '/broken.img') {
    res.writeHead(req.method === 'HEAD' ? 200 : 500, { 'Content-Length': req.method === 'HEAD' ? image.length : 0 }).end();
    return;
  }
  if (req.url === '/norange.img') {
    res.writeHead(200, { 'Content-Length': image.length }).end(req.method === 'HEAD' ? undefined : image);
    return;
  }
  if (req.url === '/norange-chunked.img') {
    // No Content-Length on the GET (chunked): the io worker must stop
    // reading once the body exceeds the range.
    if (req.method === 'HEAD') res.writeHead(200, { 'Content-Length': image.length }).end();
    else res.writeHead(200).end(image);
    return;
  }
  // An image that changes under the pod (a new ETag on every answer).
  const changing = req.url === '/changing.img';
  if (changing) served.etag++;
  if (req.url !== '/root.img' && !changing) {
    res.writeHead(404).end();
    return;
  }
  const etag = changing ? { ETag: `"v${served.etag}"` } : { ETag: '"v0"' };
  if (req.method === 'HEAD') {
    res.writeHead(200, { 'Content-Length': image.length, 'Accept-Ranges': 'bytes', ...etag }).end();
    return;
  }
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  if (!m || Number(m[2]) < Number(m[1]) || Number(m[1]) >= image.length) {
    res.writeHead(416, { 'Content-Range': `bytes */${image.length}` }).end();
    return;
  }
  const a = Number(m[1]);
  const b = Math.min(Number(m[2]), image.length - 1);
  if (!changing) {
    served.gets++;
    served.bytes += b - a + 1;
  }
  res.writeHead(206, { 'Content-Range': `bytes ${a}-${b}/${image.length}`, 'Content-Length': b - a + 1, ...etag });
  res.end(image.subarray(a, b + 1));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

try {
  const { probeImage } = await import(pathToFileURL(ioModule).href);
  check('probeImage size', (await probeImage(`${base}/root.img`))?.size, image.length);
  check('probeImage of a missing image', await probeImage(`${base}/nope.img`), null);

  const r = await boot(kernelPath, {
    files: [{ path: '/bin/imgtest', bytes: readFileSync(imgtestPath) }],
    run: { path: '/bin/imgtest', argv: ['/bin/imgtest'], env: ['HOME=/home/user'], cwd: '/home/user' },
    image: { url: `${base}/root.img`, size: image.length, ioModule },
  });
  check('imgtest exit status', r.status, 0);
  check(
    'imgtest stdout',
    r.stdout,
    ['motd: hello from the image', `big: ${big.length} bytes fnv1a=${fnv1a(big)}`, 'note: written on top of the image', ''].join('\n'),
  );
  check('imgtest stderr', r.stderr, '');
  check('the image file is never written', Buffer.compare(readFileSync(imgPath), image), 0);
  // What the kernel counted is what crossed the network.
  check('kernel io stats: requests', r.io?.requests, served.gets);
  check('kernel io stats: bytes', r.io?.bytes, served.bytes);
  check('io worker stats', JSON.stringify(r.ioWorker), JSON.stringify({ bytes: served.bytes, requests: served.gets }));
  if (!(served.bytes >= big.length && served.bytes < image.length)) {
    failures++;
    console.error(`FAIL bytes fetched: ${served.bytes}, want between ${big.length} and ${image.length} (only what is read, not the whole image)`);
  }
  if (r.logs.length) console.error(r.logs.join('\n'));
  console.log(`node-image: imgtest ran in ${r.ms.toFixed(0)} ms on a ${image.length >> 20} MiB image: ${served.gets} range requests, ${(served.bytes / 1048576).toFixed(1)} MiB fetched`);

  for (const bad of ['broken.img', 'norange.img', 'norange-chunked.img']) {
    const err = await boot(kernelPath, {
      files: [],
      run: { path: '/bin/imgtest', argv: ['/bin/imgtest'], env: [], cwd: '/' },
      image: { url: `${base}/${bad}`, size: image.length, ioModule },
    }).then(
      () => 'booted',
      (e) => String(e.message).split('\n')[0],
    );
    check(`mounting ${bad}`, err, 'worker control: Error: wasmpod_mount_root_image: errno 5');
  }

  // A new ETag on every answer: the first read that needs a second
  // request (in the mount, installing the program, or the program's
  // reads, depending on what the first chunk held) must fail with EIO
  // rather than mix two versions of the image.
  const ch = await boot(kernelPath, {
    files: [{ path: '/bin/imgtest', bytes: readFileSync(imgtestPath) }],
    run: { path: '/bin/imgtest', argv: ['/bin/imgtest'], env: [], cwd: '/' },
    image: { url: `${base}/changing.img`, size: image.length, ioModule },
  }).then(
    (r) => `status ${r.status >> 8}: ${r.stderr.trim()}`,
    (e) => String(e.message).split('\n')[0],
  );
  if (!/(errno 5|: I\/O error)$/.test(ch) || ch.startsWith('status 0')) {
    failures++;
    console.error(`FAIL an image that changes while mounted: ${ch}`);
  }

  const plain = await boot(kernelPath, {
    files: [{ path: '/bin/imgtest', bytes: readFileSync(imgtestPath) }],
    run: { path: '/bin/imgtest', argv: ['/bin/imgtest', 'dirs'], env: [], cwd: '/' },
  });
  check('dirs exit status', plain.status, 0);
  check(
    'dirs of a pod without an image',
    plain.stdout,
    ['/tmp: dir=1 uid=0 mode=1777', '/dev: dir=1 uid=0 mode=755', '/proc: dir=1 uid=0 mode=555', '/home/user: dir=1 uid=1000 mode=755', ''].join('\n'),
  );
  check('no io stats without an image', plain.io, undefined);
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
if (failures) {
  console.error(`node-image: ${failures} failure(s)`);
  process.exit(1);
}
console.log('node-image: ok');
