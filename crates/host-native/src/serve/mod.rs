//! `wasmpod serve`: a small static HTTP/1.1 server for the web bundle and
//! root images, with the headers the browser host needs.
//!
//! - Every response carries COOP `same-origin`, COEP `require-corp` and CORP
//!   `same-origin` (SharedArrayBuffer needs cross-origin isolation).
//! - Files: `Content-Length`, `ETag` (strong, from size and mtime),
//!   `Last-Modified`, `Accept-Ranges: bytes`, `Cache-Control: no-cache` (a
//!   dev server: always revalidate, cheap with the ETag).
//! - `Range`: one range → 206 with `Content-Range` (first-last, open-ended
//!   and suffix forms); a valid range past the end → 416 with
//!   `Content-Range: bytes */SIZE`; several ranges, a unit other than
//!   `bytes` or bad syntax → the whole body with 200 (RFC 9110 lets a server
//!   ignore `Range`; no client of ours sends several). `If-Range` that no
//!   longer matches → 200. `If-None-Match` matching → 304.
//! - GET and HEAD only (405 with `Allow` otherwise). A request that
//!   announces a body is answered and the connection closed (bodies are
//!   never read).
//! - Paths: origin-form only; `%XX` decoded once; `..` segments, NUL and
//!   backslashes → 400. The resolved file is canonicalized and must lie
//!   inside its root (so a symlink pointing out of the root is a 404), and
//!   must be a regular file.
//! - One thread per connection (at most [`MAX_CONNECTIONS`] at once, 503
//!   beyond), keep-alive, head size limits ([`http::MAX_HEAD_BYTES`]), a
//!   deadline for idling plus sending a head, a write timeout. Bodies are streamed from the file in 64 KiB pieces.
//!
//! - A `GET` with `Upgrade: websocket` speaks the block protocol of [`ws`]
//!   on the file it names (an image) instead.
//!
//! URL layout: `/images/rootfs.ext2` is `--image`, `/images/NAME.ext2` any
//! `*.ext2` in the images directory (`build/images`); everything else comes
//! from the web directory (`build/web`), `/` → `index.html`. Without a web
//! directory `/` is a built-in page saying the bundle is not built yet.

pub mod http;
pub mod ws;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{HeadError, RangeAnswer, Request};

/// Most connections served at once; more get 503 and are closed.
pub const MAX_CONNECTIONS: usize = 256;
/// Default for [`Config::head_timeout`].
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a write may stall (a client that stops reading).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

const USAGE: &str = "usage: wasmpod serve [--port 8080] [--bind 127.0.0.1] [--image IMG] [--dir WEBDIR] [--quiet]

Serves the web bundle (WEBDIR, default build/web of the repository) and
images (/images/rootfs.ext2 is IMG; build/images/*.ext2 as /images/NAME.ext2)
with the cross-origin isolation headers the browser host needs.
--port 0 picks a free port; the URL is printed on start.";

/// What to serve and where.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    /// Static files; `None` serves the built-in placeholder page at `/`.
    pub web_dir: Option<PathBuf>,
    /// Served as `/images/rootfs.ext2`.
    pub image: Option<PathBuf>,
    /// Every `*.ext2` inside is served as `/images/NAME.ext2`.
    pub images_dir: Option<PathBuf>,
    /// One line per request on stderr.
    pub log: bool,
    /// How long a connection may sit idle plus send a whole request head
    /// (a deadline, not a per-read timeout, so trickling bytes doesn't
    /// keep a thread forever).
    pub head_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            web_dir: None,
            image: None,
            images_dir: None,
            log: false,
            head_timeout: READ_TIMEOUT,
        }
    }
}

/// Roots resolved once at start.
#[derive(Debug)]
struct Roots {
    web: Option<PathBuf>,
    image: Option<PathBuf>,
    images: Option<PathBuf>,
    log: bool,
    head_timeout: Duration,
}

/// A bound server, not yet accepting.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    roots: Arc<Roots>,
}

fn canon(p: &Path, what: &str) -> io::Result<PathBuf> {
    p.canonicalize().map_err(|e| io::Error::new(e.kind(), format!("{what} {}: {e}", p.display())))
}

impl Server {
    /// Binds the listening socket and checks the roots exist.
    pub fn bind(config: &Config) -> io::Result<Self> {
        let web = config.web_dir.as_deref().map(|p| canon(p, "web directory")).transpose()?;
        if let Some(w) = &web {
            if !w.is_dir() {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{} is not a directory", w.display())));
            }
        }
        let image = config.image.as_deref().map(|p| canon(p, "image")).transpose()?;
        if let Some(i) = &image {
            if !i.is_file() {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{} is not a file", i.display())));
            }
        }
        let images = config.images_dir.as_deref().map(|p| canon(p, "images directory")).transpose()?;
        let listener = TcpListener::bind(SocketAddr::new(config.bind, config.port))?;
        Ok(Self {
            listener,
            roots: Arc::new(Roots { web, image, images, log: config.log, head_timeout: config.head_timeout }),
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections forever, one thread each.
    pub fn run(self) -> io::Result<()> {
        let active = Arc::new(AtomicUsize::new(0));
        for stream in self.listener.incoming() {
            let stream = match stream {
                Ok(s) => s,
                // Out of descriptors, aborted handshakes: keep serving.
                Err(e) => {
                    eprintln!("wasmpod serve: accept: {e}");
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                active.fetch_sub(1, Ordering::SeqCst);
                let mut s = stream;
                let _ = s.set_write_timeout(Some(Duration::from_secs(1)));
                let _ =
                    s.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                continue;
            }
            let roots = Arc::clone(&self.roots);
            let active = Arc::clone(&active);
            let spawned = std::thread::Builder::new().name("serve-conn".into()).spawn(move || {
                let _ = serve_connection(stream, &roots);
                active.fetch_sub(1, Ordering::SeqCst);
            });
            if let Err(e) = spawned {
                eprintln!("wasmpod serve: cannot start a thread: {e}");
            }
        }
        Ok(())
    }

    /// Runs the server on a background thread; returns its address.
    pub fn spawn(self) -> io::Result<SocketAddr> {
        let addr = self.local_addr()?;
        std::thread::Builder::new().name("serve-accept".into()).spawn(move || self.run())?;
        Ok(addr)
    }
}

/// An answer before it is written.
struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Body,
    close: bool,
}

enum Body {
    Empty,
    Bytes(Vec<u8>),
    /// `len` bytes of the file from `start`.
    File {
        file: File,
        start: u64,
        len: u64,
    },
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

fn text(status: u16, msg: &str) -> Response {
    Response {
        status,
        headers: vec![("Content-Type", "text/plain; charset=utf-8".into())],
        body: Body::Bytes(format!("{status} {}: {msg}\n", reason(status)).into_bytes()),
        close: false,
    }
}

/// The reading half of a connection, with a deadline for the current
/// request head: every read waits at most until then.
struct Deadline {
    stream: TcpStream,
    until: Instant,
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

fn serve_connection(stream: TcpStream, roots: &Roots) -> io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let _ = stream.set_nodelay(true);
    let peer = stream.peer_addr().ok();
    let mut reader = BufReader::new(Deadline { stream: stream.try_clone()?, until: Instant::now() });
    let mut writer = BufWriter::with_capacity(64 * 1024, stream);
    loop {
        reader.get_mut().until = Instant::now() + roots.head_timeout;
        let (req, mut resp) = match http::read_request(&mut reader) {
            Ok(req) if ws::is_upgrade(&req) => {
                if roots.log {
                    eprintln!("{} {} {} websocket", peer.map_or("?".into(), |p| p.to_string()), req.method, req.target);
                }
                let image = ws_image(&req, roots);
                return ws::serve(
                    &req,
                    &mut reader,
                    &mut writer,
                    image.as_ref().map(|(p, e)| (p.as_path(), e.clone())),
                );
            }
            Ok(req) => {
                let resp = answer(&req, roots);
                (Some(req), resp)
            }
            Err(HeadError::Closed | HeadError::Io(_)) => return Ok(()),
            Err(HeadError::Malformed(why)) => (None, text(400, why)),
            Err(HeadError::TooLarge) => (None, text(431, "request head too large")),
            Err(HeadError::Version) => (None, text(505, "only HTTP/1.0 and HTTP/1.1")),
        };
        let head_only = req.as_ref().is_some_and(|r| r.method == "HEAD");
        if req.as_ref().is_none_or(|r| !r.keep_alive() || r.has_body()) {
            resp.close = true;
        }
        if roots.log {
            let line = req.as_ref().map_or("-".into(), |r| format!("{} {}", r.method, r.target));
            eprintln!("{} {line} {}", peer.map_or("?".into(), |p| p.to_string()), resp.status);
        }
        let close = resp.close;
        write_response(&mut writer, resp, head_only)?;
        writer.flush()?;
        if close {
            linger(&mut reader, writer.get_ref());
            return Ok(());
        }
    }
}

/// Closes our side, then reads and drops what the client still sends for a
/// moment: closing a socket with unread input makes the kernel send a reset,
/// which can destroy the answer before the client has read it.
fn linger(reader: &mut BufReader<Deadline>, stream: &TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    reader.get_mut().until = Instant::now() + Duration::from_secs(2);
    let mut sink = [0u8; 8192];
    let mut left: usize = 1 << 20;
    while left > 0 {
        match reader.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

fn write_response(w: &mut impl Write, resp: Response, head_only: bool) -> io::Result<()> {
    let len = match &resp.body {
        Body::Empty => 0,
        Body::Bytes(b) => b.len() as u64,
        Body::File { len, .. } => *len,
    };
    write!(w, "HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status))?;
    write!(
        w,
        "Server: wasmpod\r\nDate: {}\r\nCross-Origin-Opener-Policy: same-origin\r\n\
         Cross-Origin-Embedder-Policy: require-corp\r\nCross-Origin-Resource-Policy: same-origin\r\n",
        http::http_date(SystemTime::now())
    )?;
    for (n, v) in &resp.headers {
        write!(w, "{n}: {v}\r\n")?;
    }
    // 304 carries no Content-Length of its own (it would describe the
    // selected representation; we leave it out).
    if resp.status != 304 {
        write!(w, "Content-Length: {len}\r\n")?;
    }
    w.write_all(if resp.close { b"Connection: close\r\n\r\n" } else { b"Connection: keep-alive\r\n\r\n" })?;
    if head_only {
        return Ok(());
    }
    match resp.body {
        Body::Empty => Ok(()),
        Body::Bytes(b) => w.write_all(&b),
        Body::File { mut file, start, len } => {
            file.seek(SeekFrom::Start(start))?;
            let mut left = len;
            let mut buf = vec![0u8; 64 * 1024];
            while left > 0 {
                let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let n = file.read(&mut buf[..want])?;
                if n == 0 {
                    // The file shrank under us: the promised length cannot
                    // be met, so the connection must not be reused.
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank while serving"));
                }
                w.write_all(&buf[..n])?;
                left -= n as u64;
            }
            Ok(())
        }
    }
}

/// Where a request path leads.
enum Target {
    File(PathBuf),
    Placeholder,
    /// A directory asked for without a trailing slash.
    Redirect(String),
    NotFound,
}

/// Decodes and checks a request path: `Err` for a 400.
fn clean_path(target: &str) -> Result<(Vec<String>, bool), &'static str> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Err("only origin-form request targets (/path)");
    }
    let bytes = http::percent_decode(path).ok_or("bad %-escape")?;
    let s = String::from_utf8(bytes).map_err(|_| "path is not UTF-8")?;
    if s.contains(['\0', '\\']) {
        return Err("NUL or backslash in path");
    }
    let mut segs = Vec::new();
    for seg in s.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err("'..' in path"),
            s => segs.push(s.to_string()),
        }
    }
    Ok((segs, s.ends_with('/')))
}

/// `path` inside `root` (both canonical), following symlinks only while
/// they stay inside.
fn inside(root: &Path, rel: &[String]) -> Option<PathBuf> {
    let mut p = root.to_path_buf();
    p.extend(rel);
    let c = p.canonicalize().ok()?;
    c.starts_with(root).then_some(c)
}

fn resolve(segs: &[String], trailing_slash: bool, roots: &Roots) -> Target {
    if segs.first().map(String::as_str) == Some("images") {
        if segs.len() != 2 {
            return Target::NotFound;
        }
        let name = &segs[1];
        if name == "rootfs.ext2" {
            if let Some(i) = &roots.image {
                return Target::File(i.clone());
            }
        }
        if let (Some(dir), true) = (&roots.images, name.ends_with(".ext2")) {
            if let Some(p) = inside(dir, &segs[1..]) {
                return Target::File(p);
            }
        }
        return Target::NotFound;
    }
    let Some(web) = &roots.web else {
        return if segs.is_empty() || segs == ["index.html"] { Target::Placeholder } else { Target::NotFound };
    };
    let Some(p) = inside(web, segs) else { return Target::NotFound };
    if p.is_dir() {
        if !trailing_slash && !segs.is_empty() {
            let mut loc = String::new();
            for s in segs {
                loc.push('/');
                loc.push_str(&encode_segment(s));
            }
            loc.push('/');
            return Target::Redirect(loc);
        }
        return match inside(&p, &["index.html".to_string()]) {
            Some(i) => Target::File(i),
            None => Target::NotFound,
        };
    }
    Target::File(p)
}

fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn placeholder(roots: &Roots) -> Response {
    let mut images = Vec::new();
    if roots.image.is_some() {
        images.push("rootfs.ext2".to_string());
    }
    if let Some(dir) = &roots.images {
        if let Ok(rd) = std::fs::read_dir(dir) {
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".ext2") && !images.contains(n))
                .collect();
            names.sort();
            images.extend(names);
        }
    }
    let mut list: String =
        images.iter().map(|n| format!("<li><a href=\"/images/{0}\">/images/{0}</a></li>", encode_segment(n))).collect();
    if list.is_empty() {
        list = "<li>none (pass <code>--image IMG</code>)</li>".into();
    }
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>wasmpod</title></head><body>\n\
         <h1>wasmpod</h1>\n<p>The web bundle is not built yet (no <code>build/web</code>; \
         pass <code>--dir WEBDIR</code> or build it).</p>\n<p>Images served:</p><ul>{list}</ul>\n</body></html>\n"
    );
    Response {
        status: 200,
        headers: vec![("Content-Type", "text/html; charset=utf-8".into()), ("Cache-Control", "no-cache".into())],
        body: Body::Bytes(body.into_bytes()),
        close: false,
    }
}

fn answer(req: &Request, roots: &Roots) -> Response {
    if req.method != "GET" && req.method != "HEAD" {
        let mut r = text(405, "only GET and HEAD");
        r.headers.push(("Allow", "GET, HEAD".into()));
        return r;
    }
    let (segs, slash) = match clean_path(&req.target) {
        Ok(x) => x,
        Err(why) => return text(400, why),
    };
    match resolve(&segs, slash, roots) {
        Target::NotFound => text(404, "no such file"),
        Target::Placeholder => placeholder(roots),
        Target::Redirect(loc) => {
            let mut r = text(301, "directory");
            r.headers.push(("Location", loc));
            r
        }
        Target::File(path) => match serve_file(req, &path) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::NotFound => text(404, "no such file"),
            Err(e) => {
                eprintln!("wasmpod serve: {}: {e}", path.display());
                text(500, "cannot read the file")
            }
        },
    }
}

/// A file's strong ETag: from its size and modification time.
fn etag_of(meta: &std::fs::Metadata) -> String {
    let since = meta.modified().unwrap_or(UNIX_EPOCH).duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("\"{:x}-{:x}-{:x}\"", meta.len(), since.as_secs(), since.subsec_nanos())
}

/// The file a WebSocket request names (any file GET serves: images, and
/// test images in the web directory) and its ETag; None: no such file.
fn ws_image(req: &Request, roots: &Roots) -> Option<(PathBuf, String)> {
    let (segs, slash) = clean_path(&req.target).ok()?;
    let Target::File(path) = resolve(&segs, slash, roots) else { return None };
    let meta = std::fs::metadata(&path).ok().filter(|m| m.is_file())?;
    Some((path, etag_of(&meta)))
}

fn serve_file(req: &Request, path: &Path) -> io::Result<Response> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::from(io::ErrorKind::NotFound));
    }
    let size = meta.len();
    let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
    let etag = etag_of(&meta);
    let last_modified = http::http_date(mtime);
    let name = path.file_name().map_or(&b""[..], |n| n.as_bytes());
    let mut headers: Vec<(&'static str, String)> = vec![
        ("Content-Type", http::mime_type(&String::from_utf8_lossy(name)).into()),
        ("ETag", etag.clone()),
        ("Last-Modified", last_modified.clone()),
        ("Accept-Ranges", "bytes".into()),
        ("Cache-Control", "no-cache".into()),
    ];
    if let Some(inm) = req.header("if-none-match") {
        if http::none_match(inm, &etag) {
            headers.retain(|(n, _)| *n != "Content-Type");
            return Ok(Response { status: 304, headers, body: Body::Empty, close: false });
        }
    }
    let range = match req.header("range") {
        Some(r) if req.header("if-range").is_none_or(|v| http::if_range_matches(v, &etag, &last_modified)) => {
            http::parse_range(r, size)
        }
        _ => RangeAnswer::Full,
    };
    Ok(match range {
        RangeAnswer::Full => {
            Response { status: 200, headers, body: Body::File { file, start: 0, len: size }, close: false }
        }
        RangeAnswer::Partial(a, b) => {
            headers.push(("Content-Range", format!("bytes {a}-{b}/{size}")));
            Response { status: 206, headers, body: Body::File { file, start: a, len: b - a + 1 }, close: false }
        }
        RangeAnswer::Unsatisfiable => {
            let mut r = text(416, "range not satisfiable");
            r.headers.extend(headers.into_iter().filter(|(n, _)| *n != "Content-Type"));
            r.headers.push(("Content-Range", format!("bytes */{size}")));
            r
        }
    })
}

/// The repository root: the nearest ancestor of the current directory with
/// `crates/host-native`, else the checkout this binary was built from.
fn repo_root() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    if let Some(r) = cwd.ancestors().find(|a| a.join("crates/host-native/Cargo.toml").is_file()) {
        return Some(r.to_path_buf());
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    built.join("crates/host-native/Cargo.toml").is_file().then_some(built)
}

/// `wasmpod serve ARGS`; returns the exit code.
pub fn main(args: &[String]) -> i32 {
    let mut config = Config { log: true, ..Config::default() };
    let mut web_dir = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        let r: Result<(), String> = (|| {
            match a.as_str() {
                "-h" | "--help" => return Err(String::new()),
                "--port" => {
                    let v = value("--port")?;
                    config.port = v.parse().map_err(|_| format!("bad port '{v}'"))?;
                }
                "--bind" => {
                    let v = value("--bind")?;
                    config.bind = v.parse().map_err(|_| format!("bad address '{v}' (an IP address)"))?;
                }
                "--image" => config.image = Some(PathBuf::from(value("--image")?)),
                "--dir" => web_dir = Some(PathBuf::from(value("--dir")?)),
                "--quiet" | "-q" => config.log = false,
                other => return Err(format!("unknown argument '{other}'")),
            }
            Ok(())
        })();
        match r {
            Ok(()) => {}
            Err(e) if e.is_empty() => {
                println!("{USAGE}");
                return 0;
            }
            Err(e) => {
                eprintln!("wasmpod serve: {e}\n{USAGE}");
                return 2;
            }
        }
    }
    let root = repo_root();
    config.web_dir = web_dir.or_else(|| root.as_ref().map(|r| r.join("build/web")).filter(|p| p.is_dir()));
    config.images_dir = root.map(|r| r.join("build/images")).filter(|p| p.is_dir());
    let server = match Server::bind(&config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wasmpod serve: {e}");
            return 1;
        }
    };
    let addr = match server.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("wasmpod serve: {e}");
            return 1;
        }
    };
    match &config.web_dir {
        Some(d) => eprintln!("wasmpod serve: web bundle {}", d.display()),
        None => eprintln!("wasmpod serve: no web bundle (build/web missing): serving a placeholder page"),
    }
    if let Some(i) = &config.image {
        eprintln!("wasmpod serve: /images/rootfs.ext2 is {}", i.display());
    }
    if let Some(d) = &config.images_dir {
        eprintln!("wasmpod serve: /images/*.ext2 from {}", d.display());
    }
    println!("serving on http://{addr}/");
    let _ = io::stdout().flush();
    match server.run() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("wasmpod serve: {e}");
            1
        }
    }
}
