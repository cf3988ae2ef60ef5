//! `wasmpod serve` on loopback: headers, MIME types, ranges, validators,
//! traversal attempts, malformed requests, concurrency, a large streamed
//! file, and the blockdev HTTP range device reading an image through it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use wasmpod_host_native::serve::{Config, Server};

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn h(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads one response; `head` says the request was HEAD (no body).
fn read_resp(r: &mut impl BufRead, head: bool) -> Resp {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 "), "status line {line:?}");
    let status = line[9..12].parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').unwrap();
        headers.push((n.to_string(), v.trim().to_string()));
    }
    let mut resp = Resp { status, headers, body: Vec::new() };
    if !head && status != 304 {
        let len: usize = resp.h("content-length").expect("Content-Length").parse().unwrap();
        resp.body = vec![0; len];
        r.read_exact(&mut resp.body).unwrap();
    }
    resp
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// One request on a new connection; `extra` are header lines.
fn get(addr: SocketAddr, method: &str, path: &str, extra: &[&str]) -> Resp {
    let mut s = connect(addr);
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for h in extra {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    read_resp(&mut BufReader::new(s), method == "HEAD")
}

/// Sends raw bytes; returns the response (or `None` if the server just closed).
fn raw(addr: SocketAddr, bytes: &[u8]) -> Option<Resp> {
    let mut s = connect(addr);
    s.write_all(bytes).unwrap();
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    if all.is_empty() {
        return None;
    }
    Some(read_resp(&mut &all[..], false))
}

fn isolation_headers(r: &Resp) {
    assert_eq!(r.h("cross-origin-opener-policy"), Some("same-origin"), "status {}", r.status);
    assert_eq!(r.h("cross-origin-embedder-policy"), Some("require-corp"), "status {}", r.status);
    assert_eq!(r.h("cross-origin-resource-policy"), Some("same-origin"), "status {}", r.status);
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    addr: SocketAddr,
    data: Vec<u8>,
}

/// A web dir, an images dir, a secret outside both, and a running server.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let web = root.join("web");
    std::fs::create_dir_all(web.join("sub")).unwrap();
    std::fs::create_dir_all(root.join("images")).unwrap();
    let data = pattern(100_000);
    for (name, content) in [
        ("index.html", &b"<h1>hi</h1>"[..]),
        ("kernel.wasm", b"\0asm\x01\0\0\0"),
        ("wasmpod.js", b"export {}"),
        ("worker.mjs", b"export {}"),
        ("style.css", b"body{}"),
        ("data.json", b"{}"),
        ("wasmpod.js.map", b"{}"),
        ("wasmpod.d.ts", b"export {};"),
        ("blob.bin", &data),
        ("noext", b"x"),
        ("empty.txt", b""),
        ("sub/index.html", b"sub"),
    ] {
        std::fs::write(web.join(name), content).unwrap();
    }
    std::fs::write(root.join("secret"), b"SECRET").unwrap();
    std::fs::write(root.join("images/extra.ext2"), b"EXTRA").unwrap();
    std::fs::write(root.join("images/notes.txt"), b"no").unwrap();
    std::fs::write(root.join("rootfs.img"), &data).unwrap();
    std::os::unix::fs::symlink(root.join("secret"), web.join("escape")).unwrap();
    std::os::unix::fs::symlink(root.join("secret"), root.join("images/escape.ext2")).unwrap();
    std::os::unix::fs::symlink(web.join("style.css"), web.join("alias.css")).unwrap();
    let server = Server::bind(&Config {
        port: 0,
        web_dir: Some(web),
        image: Some(root.join("rootfs.img")),
        images_dir: Some(root.join("images")),
        ..Config::default()
    })
    .unwrap();
    let addr = server.spawn().unwrap();
    Fixture { _dir: dir, root, addr, data }
}

#[test]
fn full_get_head_and_mime_types() {
    let f = fixture();
    let r = get(f.addr, "GET", "/", &[]);
    assert_eq!((r.status, &r.body[..]), (200, &b"<h1>hi</h1>"[..]));
    assert_eq!(r.h("content-type"), Some("text/html; charset=utf-8"));
    for (path, mime) in [
        ("/kernel.wasm", "application/wasm"),
        ("/wasmpod.js", "text/javascript; charset=utf-8"),
        ("/worker.mjs", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/data.json", "application/json"),
        ("/wasmpod.js.map", "application/json"),
        ("/wasmpod.d.ts", "application/typescript"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/noext", "application/octet-stream"),
        ("/blob.bin", "application/octet-stream"),
        ("/images/rootfs.ext2", "application/octet-stream"),
        ("/images/extra.ext2", "application/octet-stream"),
    ] {
        let r = get(f.addr, "GET", path, &[]);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.h("content-type"), Some(mime), "{path}");
        isolation_headers(&r);
    }
    let r = get(f.addr, "GET", "/blob.bin", &[]);
    assert_eq!(r.body, f.data);
    assert_eq!(r.h("content-length"), Some("100000"));
    assert_eq!(r.h("accept-ranges"), Some("bytes"));
    assert!(r.h("etag").unwrap().starts_with('"'));
    assert!(r.h("last-modified").unwrap().ends_with(" GMT"));
    let r = get(f.addr, "GET", "/images/rootfs.ext2", &[]);
    assert_eq!(r.body, f.data);
    let r = get(f.addr, "GET", "/images/extra.ext2", &[]);
    assert_eq!(r.body, b"EXTRA");
    let r = get(f.addr, "GET", "/empty.txt", &[]);
    assert_eq!((r.status, r.body.len(), r.h("content-length")), (200, 0, Some("0")));
    // HEAD: same headers, no body.
    let full = get(f.addr, "GET", "/blob.bin", &[]);
    let h = get(f.addr, "HEAD", "/blob.bin", &[]);
    assert_eq!(h.status, 200);
    assert_eq!(h.h("content-length"), Some("100000"));
    assert_eq!(h.h("etag"), full.h("etag"));
    assert_eq!(h.h("content-type"), full.h("content-type"));
    isolation_headers(&h);
    // Directory with and without slash, symlink inside the root.
    assert_eq!(get(f.addr, "GET", "/sub/", &[]).body, b"sub");
    let r = get(f.addr, "GET", "/sub", &[]);
    assert_eq!((r.status, r.h("location")), (301, Some("/sub/")));
    assert_eq!(get(f.addr, "GET", "/alias.css?v=1", &[]).body, b"body{}");
    // Not found, and images that are not *.ext2.
    for p in ["/nope", "/images/notes.txt", "/images/", "/images/nope.ext2", "/images/x/y.ext2"] {
        assert_eq!(get(f.addr, "GET", p, &[]).status, 404, "{p}");
    }
}

#[test]
fn ranges() {
    let f = fixture();
    let d = &f.data;
    let n = d.len();
    for (spec, a, b) in [
        ("bytes=0-99", 0, 99),
        ("bytes=0-0", 0, 0),
        ("bytes=5000-70000", 5000, 70000),
        ("bytes=-500", n - 500, n - 1),
        ("bytes=-1000000", 0, n - 1),
        ("bytes=99990-", 99990, n - 1),
        ("bytes=99990-1000000", 99990, n - 1),
    ] {
        for path in ["/blob.bin", "/images/rootfs.ext2"] {
            let r = get(f.addr, "GET", path, &[&format!("Range: {spec}")]);
            assert_eq!(r.status, 206, "{spec}");
            assert_eq!(r.h("content-range").unwrap(), format!("bytes {a}-{b}/{n}"), "{spec}");
            assert_eq!(r.h("content-length").unwrap(), (b - a + 1).to_string());
            assert_eq!(r.body, &d[a..=b], "{spec}");
            isolation_headers(&r);
        }
    }
    for spec in ["bytes=100000-", "bytes=200000-300000", "bytes=-0"] {
        let r = get(f.addr, "GET", "/blob.bin", &[&format!("Range: {spec}")]);
        assert_eq!(r.status, 416, "{spec}");
        assert_eq!(r.h("content-range"), Some("bytes */100000"));
        isolation_headers(&r);
    }
    let r = get(f.addr, "GET", "/empty.txt", &["Range: bytes=0-"]);
    assert_eq!((r.status, r.h("content-range")), (416, Some("bytes */0")));
    // Ignored: several ranges, bad syntax, other units.
    for spec in ["bytes=0-1,5-6", "bytes=9-3", "bytes=abc", "lines=1-2"] {
        let r = get(f.addr, "GET", "/blob.bin", &[&format!("Range: {spec}")]);
        assert_eq!((r.status, r.body.len()), (200, n), "{spec}");
    }
    // HEAD with a range: the 206 headers, no body.
    let r = get(f.addr, "HEAD", "/blob.bin", &["Range: bytes=10-19"]);
    assert_eq!((r.status, r.h("content-length"), r.h("content-range")), (206, Some("10"), Some("bytes 10-19/100000")));
    // If-Range: matching ETag or date keeps the range, anything else → 200.
    let etag = get(f.addr, "HEAD", "/blob.bin", &[]).h("etag").unwrap().to_string();
    let lm = get(f.addr, "HEAD", "/blob.bin", &[]).h("last-modified").unwrap().to_string();
    let r = get(f.addr, "GET", "/blob.bin", &["Range: bytes=0-9", &format!("If-Range: {etag}")]);
    assert_eq!((r.status, r.body.len()), (206, 10));
    let r = get(f.addr, "GET", "/blob.bin", &["Range: bytes=0-9", &format!("If-Range: {lm}")]);
    assert_eq!((r.status, r.body.len()), (206, 10));
    let r = get(f.addr, "GET", "/blob.bin", &["Range: bytes=0-9", "If-Range: \"stale\""]);
    assert_eq!((r.status, r.body.len()), (200, n));
}

#[test]
fn conditional_requests() {
    let f = fixture();
    let first = get(f.addr, "GET", "/wasmpod.js", &[]);
    let etag = first.h("etag").unwrap().to_string();
    let r = get(f.addr, "GET", "/wasmpod.js", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.h("etag"), Some(etag.as_str()));
    isolation_headers(&r);
    let r = get(f.addr, "GET", "/wasmpod.js", &[&format!("If-None-Match: \"x\", W/{etag}")]);
    assert_eq!(r.status, 304);
    let r = get(f.addr, "HEAD", "/wasmpod.js", &["If-None-Match: *"]);
    assert_eq!(r.status, 304);
    let r = get(f.addr, "GET", "/wasmpod.js", &["If-None-Match: \"other\""]);
    assert_eq!((r.status, &r.body[..]), (200, &b"export {}"[..]));
    // A changed file gets a new ETag.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(f.root.join("web/wasmpod.js"), b"export {x}").unwrap();
    let r = get(f.addr, "GET", "/wasmpod.js", &[&format!("If-None-Match: {etag}")]);
    assert_eq!((r.status, &r.body[..]), (200, &b"export {x}"[..]));
    assert_ne!(r.h("etag"), Some(etag.as_str()));
}

#[test]
fn traversal_never_leaves_the_roots() {
    let f = fixture();
    for p in [
        "/../secret",
        "/%2e%2e/secret",
        "/%2E%2E/secret",
        "/sub/../../secret",
        "/sub/%2e%2e/%2e%2e/secret",
        "/%2e%2e%2fsecret",
        "/images/../../secret",
        "/images/%2e%2e/secret",
        "/images/..%2fsecret",
        "/a%00b",
        "/index.html%00.js",
        "/..%5csecret",
        "/%zz",
        "secret",
        "http://localhost/secret",
        "*",
    ] {
        let r = get(f.addr, "GET", p, &[]);
        assert!(r.status == 400 || r.status == 404, "{p}: {}", r.status);
        assert!(!r.body.windows(6).any(|w| w == b"SECRET"), "{p} leaked");
        isolation_headers(&r);
    }
    // Symlinks pointing out of a root, absolute-looking paths.
    for p in [
        "/escape",
        "/images/escape.ext2",
        "//etc/passwd",
        "/etc/passwd",
        &format!("/{}", f.root.join("secret").display()),
    ] {
        let r = get(f.addr, "GET", p, &[]);
        assert_eq!(r.status, 404, "{p}");
        assert!(!r.body.windows(6).any(|w| w == b"SECRET"), "{p} leaked");
    }
}

#[test]
fn methods_and_malformed_requests() {
    let f = fixture();
    for m in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        let r = get(f.addr, m, "/index.html", &[]);
        assert_eq!((r.status, r.h("allow")), (405, Some("GET, HEAD")), "{m}");
        isolation_headers(&r);
    }
    // A POST with a body: answered, and the connection is closed (the body
    // is never parsed as a request).
    let r =
        raw(f.addr, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\n\r\nGET /secret HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
    assert_eq!((r.status, r.h("connection")), (405, Some("close")));
    let bad: &[&[u8]] = &[
        b"GARBAGE\r\n\r\n",
        b"GET /\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
        b"GET / HTTX/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n folded: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Name: x\r\nHost: a\r\n\r\n",
        b"G\xffT / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    ];
    for b in bad {
        let r = raw(f.addr, b).unwrap();
        assert_eq!(r.status, 400, "{:?}", String::from_utf8_lossy(b));
        assert_eq!(r.h("connection"), Some("close"));
        isolation_headers(&r);
    }
    let r = raw(f.addr, b"GET / HTTP/2.0\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(r.status, 505);
    // Too large a head.
    let huge = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(20_000));
    assert_eq!(raw(f.addr, huge.as_bytes()).unwrap().status, 431);
    let many: String = (0..200).map(|i| format!("X-{i}: y\r\n")).collect();
    assert_eq!(raw(f.addr, format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n").as_bytes()).unwrap().status, 431);
    // Truncated head, nothing at all: closed without a crash.
    assert_eq!(raw(f.addr, b"GET / HTTP/1.1\r\nHost: a\r\n").unwrap().status, 400);
    assert!(raw(f.addr, b"").is_none());
    // Still serving.
    assert_eq!(get(f.addr, "GET", "/", &[]).status, 200);
}

#[test]
fn keep_alive_and_http10() {
    let f = fixture();
    let mut s = connect(f.addr);
    // Three pipelined requests on one connection.
    s.write_all(
        b"GET /style.css HTTP/1.1\r\nHost: a\r\n\r\nHEAD /blob.bin HTTP/1.1\r\nHost: a\r\n\r\n\
          GET /blob.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=1-2\r\n\r\n",
    )
    .unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let a = read_resp(&mut r, false);
    assert_eq!((a.status, &a.body[..], a.h("connection")), (200, &b"body{}"[..], Some("keep-alive")));
    assert_eq!(read_resp(&mut r, true).status, 200);
    let c = read_resp(&mut r, false);
    assert_eq!((c.status, &c.body[..]), (206, &f.data[1..=2]));
    // And a later one after a pause.
    s.write_all(b"GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").unwrap();
    let d = read_resp(&mut r, false);
    assert_eq!((d.status, d.h("connection")), (404, Some("close")));
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    // HTTP/1.0 without keep-alive: closed after the answer; no Host needed.
    let r = raw(f.addr, b"GET /style.css HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!((r.status, &r.body[..], r.h("connection")), (200, &b"body{}"[..], Some("close")));
}

#[test]
fn concurrent_clients() {
    let f = fixture();
    let addr = f.addr;
    let data = std::sync::Arc::new(f.data.clone());
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let data = data.clone();
            std::thread::spawn(move || {
                let mut s = connect(addr);
                let mut r = BufReader::new(s.try_clone().unwrap());
                for i in 0..25usize {
                    let a = (t * 6151 + i * 3989) % 90_000;
                    let b = a + (i * 97) % 9000;
                    write!(s, "GET /images/rootfs.ext2 HTTP/1.1\r\nHost: a\r\nRange: bytes={a}-{b}\r\n\r\n").unwrap();
                    let resp = read_resp(&mut r, false);
                    assert_eq!(resp.status, 206);
                    assert_eq!(resp.body, &data[a..=b]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn placeholder_without_a_web_dir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.ext2"), b"A").unwrap();
    let server =
        Server::bind(&Config { port: 0, images_dir: Some(dir.path().to_path_buf()), ..Config::default() }).unwrap();
    let addr = server.spawn().unwrap();
    let r = get(addr, "GET", "/", &[]);
    assert_eq!(r.status, 200);
    let body = String::from_utf8(r.body.clone()).unwrap();
    assert!(body.contains("not built yet"), "{body}");
    assert!(body.contains("/images/a.ext2"), "{body}");
    assert!(!body.contains("none (pass"), "{body}");
    isolation_headers(&r);
    assert_eq!(get(addr, "GET", "/wasmpod.js", &[]).status, 404);
    assert_eq!(get(addr, "GET", "/images/a.ext2", &[]).body, b"A");
    assert_eq!(get(addr, "GET", "/images/rootfs.ext2", &[]).status, 404);
}

#[test]
fn bad_roots_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    assert!(Server::bind(&Config { port: 0, web_dir: Some(missing.clone()), ..Config::default() }).is_err());
    assert!(Server::bind(&Config { port: 0, image: Some(missing), ..Config::default() }).is_err());
    assert!(Server::bind(&Config { port: 0, image: Some(dir.path().to_path_buf()), ..Config::default() }).is_err());
}

#[test]
fn blockdev_http_device_reads_through_the_server() {
    use wasmpod_blockdev::{BlockDevice, HttpConfig, HttpRangeDevice};
    let dir = tempfile::tempdir().unwrap();
    // 3 MiB + 5 KiB: several chunks and a partial last chunk.
    let data = pattern(3 * 1024 * 1024 + 5 * 1024);
    let img = dir.path().join("img.ext2");
    std::fs::write(&img, &data).unwrap();
    let server = Server::bind(&Config { port: 0, image: Some(img), ..Config::default() }).unwrap();
    let addr = server.spawn().unwrap();
    let config = HttpConfig { chunk_size: 64 * 1024, ..HttpConfig::default() };
    let mut dev = HttpRangeDevice::open_url(format!("http://{addr}/images/rootfs.ext2"), config).unwrap();
    assert_eq!(dev.image_size(), data.len() as u64);
    assert!(dev.etag().is_some());
    let bs = dev.block_size() as usize;
    assert_eq!(dev.num_blocks() as usize, data.len() / bs);
    // Whole image sequentially, then scattered reads.
    let mut buf = vec![0u8; 256 * 1024];
    let mut off = 0;
    while off < data.len() {
        let n = buf.len().min(data.len() - off);
        dev.read_blocks((off / bs) as u64, &mut buf[..n]).unwrap();
        assert_eq!(&buf[..n], &data[off..off + n], "at {off}");
        off += n;
    }
    dev.clear_cache();
    for blk in [3000u64, 7, 1500, 3075, 0, 2048] {
        let mut b = vec![0u8; bs * 2];
        dev.read_blocks(blk, &mut b).unwrap();
        let o = blk as usize * bs;
        assert_eq!(b, &data[o..o + 2 * bs], "block {blk}");
    }
    assert!(dev.read_blocks(dev.num_blocks(), &mut vec![0u8; bs]).is_err());
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let l = s.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    l.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The CLI: `--port 0` prints the chosen URL; a 2 GiB (sparse) image is
/// streamed whole without the server's memory growing with it.
#[test]
fn cli_port_zero_and_large_file_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("big.ext2");
    let size: u64 = 2 << 30;
    {
        let f = std::fs::File::create(&img).unwrap();
        f.set_len(size).unwrap();
        use std::os::unix::fs::FileExt;
        f.write_all_at(b"TAIL", size - 4).unwrap();
    }
    let web = dir.path().join("web");
    std::fs::create_dir(&web).unwrap();
    std::fs::write(web.join("index.html"), b"x").unwrap();
    let served = common::serve(&["--image".as_ref(), img.as_os_str(), "--dir".as_ref(), web.as_os_str()]);
    let url = served.base.strip_prefix("http://").expect("an http URL");
    let addr: SocketAddr = url.parse().unwrap();
    assert!(addr.ip().is_loopback(), "binds 127.0.0.1 by default");
    assert_ne!(addr.port(), 0);
    assert_eq!(get(addr, "GET", "/", &[]).body, b"x");
    let r = get(addr, "GET", "/images/rootfs.ext2", &["Range: bytes=-4"]);
    assert_eq!((r.status, &r.body[..]), (206, &b"TAIL"[..]));
    // The whole image, counted and discarded as it arrives.
    let mut s = connect(addr);
    s.write_all(b"GET /images/rootfs.ext2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").unwrap();
    let mut r = BufReader::new(s);
    let mut head = String::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        if l == "\r\n" {
            break;
        }
        head.push_str(&l);
    }
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains(&format!("Content-Length: {size}\r\n")), "{head}");
    let mut total = 0u64;
    let mut last = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        last = buf[n.saturating_sub(4)..n].to_vec();
    }
    assert_eq!(total, size);
    assert_eq!(last, b"TAIL");
    let hwm = vm_hwm_kib(served.pid());
    assert!(hwm < 256 * 1024, "server peak RSS {hwm} KiB while streaming a 2 GiB file");
}

#[test]
fn cli_rejects_bad_arguments() {
    let bin = env!("CARGO_BIN_EXE_wasmpod");
    for args in
        [&["serve", "--port", "x"][..], &["serve", "--bogus"], &["serve", "--bind", "nohost"], &["serve", "--port"]]
    {
        let out = std::process::Command::new(bin).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = std::process::Command::new(bin)
        .args(["serve", "--port", "0", "--image", "/nonexistent/x.ext2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.ext2"));
}

/// An ext2 image made by `wasmpod image build`, mounted through the server
/// with the HTTP range device: the whole disk stack the browser will use.
#[test]
fn ext2_image_mounts_through_the_server() {
    use wasmpod_blockdev::{HttpConfig, HttpRangeDevice};
    use wasmpod_ext2::{Ext2, ROOT_INO};
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("etc")).unwrap();
    std::fs::write(tree.join("etc/motd"), b"hello from ext2\n").unwrap();
    let big = pattern(700_000);
    std::fs::write(tree.join("big.bin"), &big).unwrap();
    let img = dir.path().join("root.ext2");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasmpod"))
        .args(["image", "build"])
        .arg(&tree)
        .arg("-o")
        .arg(&img)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let server = Server::bind(&Config { port: 0, image: Some(img), ..Config::default() }).unwrap();
    let addr = server.spawn().unwrap();
    let dev = HttpRangeDevice::open_url(format!("http://{addr}/images/rootfs.ext2"), HttpConfig::default()).unwrap();
    let mut fs = Ext2::open_read_only(dev).unwrap();
    let read_all = |fs: &mut Ext2<_>, ino: u32| {
        let mut v = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = fs.read(ino, v.len() as u64, &mut buf).unwrap();
            if n == 0 {
                return v;
            }
            v.extend_from_slice(&buf[..n]);
        }
    };
    let etc = fs.lookup(ROOT_INO, b"etc").unwrap();
    let motd = fs.lookup(etc, b"motd").unwrap();
    assert_eq!(read_all(&mut fs, motd), b"hello from ext2\n");
    let b = fs.lookup(ROOT_INO, b"big.bin").unwrap();
    assert_eq!(read_all(&mut fs, b), big);
    assert!(fs.lookup(ROOT_INO, b"missing").is_err());
}

/// A client trickling a head byte by byte is cut off at the head deadline,
/// and an idle keep-alive connection is closed too.
#[test]
fn head_deadline_cuts_off_slow_clients() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), b"x").unwrap();
    let server = Server::bind(&Config {
        port: 0,
        web_dir: Some(dir.path().to_path_buf()),
        head_timeout: Duration::from_secs(1),
        ..Config::default()
    })
    .unwrap();
    let addr = server.spawn().unwrap();
    let start = std::time::Instant::now();
    let mut s = connect(addr);
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n").unwrap();
    let mut buf = [0u8; 64];
    loop {
        assert!(start.elapsed() < Duration::from_secs(5), "slow client never cut off");
        if s.write_all(b"X: y\r\n").is_err() {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => panic!("unexpected answer {:?}", String::from_utf8_lossy(&buf[..n])),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(900), "cut off after {took:?}");
    // Idle keep-alive: one answer, then closed after the deadline.
    let mut s = connect(addr);
    s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    let mut r = BufReader::new(s);
    assert_eq!(read_resp(&mut r, false).status, 200);
    let t = std::time::Instant::now();
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert!(t.elapsed() < Duration::from_secs(4), "idle connection kept {:?}", t.elapsed());
}

/// A minimal WebSocket client for the block protocol (masked frames).
struct Ws {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Ws {
    /// Upgrades `path`; returns the client and the 101 head, or the
    /// non-101 response's status.
    fn open(addr: SocketAddr, path: &str, key: &str) -> Result<Ws, u16> {
        let mut s = connect(addr);
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wasmpod-blocks\r\n\r\n"
        )
        .unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let resp = read_resp(&mut r, true);
        if resp.status != 101 {
            return Err(resp.status);
        }
        assert_eq!(resp.h("sec-websocket-protocol"), Some("wasmpod-blocks"));
        assert_eq!(resp.h("sec-websocket-accept"), Some(wasmpod_host_native::serve::ws::accept_key(key).as_str()));
        Ok(Ws { r, w: s })
    }

    fn send(&mut self, opcode: u8, payload: &[u8]) {
        let mut f = vec![0x80 | opcode];
        if payload.len() < 126 {
            f.push(0x80 | payload.len() as u8);
        } else {
            f.push(0x80 | 126);
            f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        let mask = [1u8, 2, 3, 4];
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.w.write_all(&f).unwrap();
    }

    fn batch(&mut self, id: u32, ranges: &[(u64, u32)]) {
        let mut m = id.to_le_bytes().to_vec();
        m.extend_from_slice(&(ranges.len() as u32).to_le_bytes());
        for &(o, l) in ranges {
            m.extend_from_slice(&o.to_le_bytes());
            m.extend_from_slice(&l.to_le_bytes());
        }
        self.send(2, &m);
    }

    /// The next server frame: (opcode, payload).
    fn recv(&mut self) -> (u8, Vec<u8>) {
        let mut h = [0u8; 2];
        self.r.read_exact(&mut h).unwrap();
        assert_eq!(h[1] & 0x80, 0, "server frames are not masked");
        let len = match h[1] & 0x7F {
            126 => {
                let mut b = [0u8; 2];
                self.r.read_exact(&mut b).unwrap();
                u16::from_be_bytes(b) as usize
            }
            127 => {
                let mut b = [0u8; 8];
                self.r.read_exact(&mut b).unwrap();
                u64::from_be_bytes(b) as usize
            }
            n => n as usize,
        };
        let mut p = vec![0u8; len];
        self.r.read_exact(&mut p).unwrap();
        (h[0] & 0x0F, p)
    }

    /// The next data or error message: (id, index, status, bytes).
    fn answer(&mut self) -> (u32, u32, i32, Vec<u8>) {
        let (op, p) = self.recv();
        assert_eq!(op, 2, "binary frame expected");
        let u = |i: usize| u32::from_le_bytes(p[i..i + 4].try_into().unwrap());
        (u(0), u(4), u(8) as i32, p[12..].to_vec())
    }
}

#[test]
fn websocket_block_protocol() {
    let f = fixture();
    let key = "dGhlIHNhbXBsZSBub25jZQ==";
    let mut ws = Ws::open(f.addr, "/images/rootfs.ext2", key).unwrap();
    // Hello: magic, size, the ETag HTTP gives.
    let (op, hello) = ws.recv();
    assert_eq!((op, &hello[..4]), (2, &b"WPB1"[..]));
    assert_eq!(u64::from_le_bytes(hello[4..12].try_into().unwrap()), f.data.len() as u64);
    let etag_len = u16::from_le_bytes(hello[12..14].try_into().unwrap()) as usize;
    let etag = String::from_utf8(hello[14..14 + etag_len].to_vec()).unwrap();
    assert_eq!(Some(etag.as_str()), get(f.addr, "HEAD", "/images/rootfs.ext2", &[]).h("etag"));

    // One batch, several ranges, answered in order; a range past the end is
    // EINVAL and the rest still come.
    let n = f.data.len() as u64;
    ws.batch(7, &[(0, 10), (50_000, 4096), (n - 5, 10), (n - 3, 3)]);
    assert_eq!(ws.answer(), (7, 0, 0, f.data[..10].to_vec()));
    assert_eq!(ws.answer(), (7, 1, 0, f.data[50_000..54_096].to_vec()));
    assert_eq!(ws.answer(), (7, 2, -22, vec![]));
    assert_eq!(ws.answer(), (7, 3, 0, f.data[n as usize - 3..].to_vec()));

    // Bad batches get an error message and the connection stays usable.
    ws.send(2, b"abc");
    let (_, index, status, _) = ws.answer();
    assert_eq!((index, status), (u32::MAX, -22));
    ws.batch(8, &vec![(0, 1); 65]);
    let (id, index, status, msg) = ws.answer();
    assert_eq!((id, index, status), (8, u32::MAX, -7), "{}", String::from_utf8_lossy(&msg));
    ws.batch(9, &[(0, 8 << 20), (0, 8 << 20), (0, 1)]);
    assert_eq!(ws.answer().2, -7);
    ws.batch(10, &[(1, 2)]);
    assert_eq!(ws.answer(), (10, 0, 0, f.data[1..3].to_vec()));
    // Ping → pong; close → close.
    ws.send(9, b"hi");
    assert_eq!(ws.recv(), (10, b"hi".to_vec()));
    ws.send(8, &1000u16.to_be_bytes());
    assert_eq!(ws.recv().0, 8);

    // Any file GET serves works; an unknown one gets an ENOENT error
    // message, then a close.
    let mut ws = Ws::open(f.addr, "/blob.bin", key).unwrap();
    assert_eq!(&ws.recv().1[..4], b"WPB1");
    ws.batch(1, &[(99_990, 10)]);
    assert_eq!(ws.answer(), (1, 0, 0, f.data[99_990..].to_vec()));
    let mut ws = Ws::open(f.addr, "/images/nope.ext2", key).unwrap();
    let (id, index, status, _) = ws.answer();
    assert_eq!((id, index, status), (0, u32::MAX, -2));
    assert_eq!(ws.recv().0, 8);
    // A text frame is a protocol error: close.
    let mut ws = Ws::open(f.addr, "/images/extra.ext2", key).unwrap();
    ws.recv();
    ws.send(1, b"hello");
    assert_eq!(ws.recv().0, 8);
    // A bad handshake is a plain 400; the server lives on.
    assert_eq!(Ws::open(f.addr, "/images/rootfs.ext2", "short").err(), Some(400));
    assert_eq!(get(f.addr, "GET", "/images/extra.ext2", &[]).body, b"EXTRA");
}
