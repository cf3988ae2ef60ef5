//! HTTP device tests against a tiny HTTP/1.1 server on 127.0.0.1, served by
//! a thread in this process. The server can misbehave on demand; it logs
//! every request so tests can count them. Retries are timed by a recording
//! sleeper, so nothing here sleeps.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::*;
use crate::{read_at, BlockDevice, MemoryDelta, OverlayDevice};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Honest range server.
    Normal,
    /// Answers every GET with 200 and the whole body.
    IgnoreRange,
    /// Answers 206 but with a Content-Range shifted by one byte.
    WrongContentRange,
    /// Answers HEAD with 405 (some object stores and CDNs do).
    NoHead,
    /// No HEAD, and GETs ignore Range.
    NoHeadIgnoreRange,
}

struct State {
    data: Vec<u8>,
    etag: String,
    mode: Mode,
    /// Fail this many upcoming requests with 503.
    fail_next: u32,
    /// (method, Range header) of every request, in order.
    log: Vec<(String, Option<String>)>,
}

struct TestServer {
    url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    fn start(data: Vec<u8>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            data,
            etag: "\"v1\"".into(),
            mode: Mode::Normal,
            fail_next: 0,
            log: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(s) = conn {
                    let _ = serve(s, &st);
                }
            }
        });
        Self { url: format!("http://{addr}/disk.img"), state, stop, thread: Some(thread) }
    }

    fn set(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap());
    }

    fn log(&self) -> Vec<(String, Option<String>)> {
        self.state.lock().unwrap().log.clone()
    }

    fn gets(&self) -> Vec<String> {
        self.log().into_iter().filter(|(m, _)| m == "GET").map(|(_, r)| r.unwrap_or_default()).collect()
    }

    fn fetcher(&self) -> UreqFetcher {
        let agent = ureq::Agent::new_with_config(UreqFetcher::config_builder().proxy(None).build());
        UreqFetcher::with_agent(self.url.clone(), agent)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://").trim_end_matches("/disk.img"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Handles one request, then closes the connection.
fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let method = request_line.split_whitespace().next().unwrap_or("").to_string();
    let mut range = None;
    // Headers end at an empty line; at most 100 lines to stay bounded.
    for _ in 0..100 {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            }
        }
    }
    let mut st = state.lock().unwrap();
    st.log.push((method.clone(), range.clone()));
    let mut out = stream;
    let etag = st.etag.clone();
    let total = st.data.len();
    if st.fail_next > 0 {
        st.fail_next -= 1;
        return out.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    if method == "HEAD" {
        if matches!(st.mode, Mode::NoHead | Mode::NoHeadIgnoreRange) {
            return out.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        let h = format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\nETag: {etag}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n");
        return out.write_all(h.as_bytes());
    }
    let parsed = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)));
    match (st.mode, parsed) {
        (Mode::IgnoreRange | Mode::NoHeadIgnoreRange, _) | (_, None) => {
            let h = format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\nETag: {etag}\r\nConnection: close\r\n\r\n");
            out.write_all(h.as_bytes())?;
            out.write_all(&st.data)
        }
        (mode, Some((a, b))) => {
            if a >= total || b < a {
                let h = format!("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{total}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                return out.write_all(h.as_bytes());
            }
            let b = b.min(total - 1);
            let shift = usize::from(mode == Mode::WrongContentRange);
            let h = format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {}-{}/{total}\r\nContent-Length: {}\r\nETag: {etag}\r\nConnection: close\r\n\r\n",
                a + shift,
                b + shift,
                b - a + 1
            );
            out.write_all(h.as_bytes())?;
            out.write_all(&st.data[a..=b])
        }
    }
}

/// Records backoff waits instead of sleeping.
#[derive(Clone, Default)]
struct RecordingSleeper(Arc<Mutex<Vec<Duration>>>);

impl Sleeper for RecordingSleeper {
    fn sleep(&mut self, d: Duration) {
        self.0.lock().unwrap().push(d);
    }
}

const CHUNK: u32 = 64 * 1024;

fn image(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ (i >> 16) as u8).collect()
}

fn config(readahead: u32) -> HttpConfig {
    HttpConfig {
        block_size: 4096,
        chunk_size: CHUNK,
        readahead_chunks: readahead,
        cache_chunks: 64,
        ..Default::default()
    }
}

fn open(srv: &TestServer, cfg: HttpConfig) -> (HttpRangeDevice<UreqFetcher>, RecordingSleeper) {
    let sleeper = RecordingSleeper::default();
    let dev = HttpRangeDevice::open_with(srv.fetcher(), cfg, Box::new(sleeper.clone()), None).unwrap();
    (dev, sleeper)
}

fn range(a: u64, b: u64) -> String {
    format!("bytes={a}-{b}")
}

#[test]
fn reads_match_the_image_and_writes_are_refused() {
    let data = image(10 * CHUNK as usize + 3 * 4096); // short last chunk
    let srv = TestServer::start(data.clone());
    let (mut dev, _) = open(&srv, config(2));
    assert_eq!(dev.image_size(), data.len() as u64);
    assert_eq!(dev.etag(), Some("\"v1\""));
    assert_eq!(dev.num_blocks(), data.len() as u64 / 4096);
    assert!(dev.is_read_only());
    let mut all = vec![0; data.len()];
    dev.read_blocks(0, &mut all).unwrap();
    assert_eq!(all, data);
    let mut b = vec![0; 3000];
    read_at(&mut dev, data.len() as u64 - 3000, &mut b).unwrap();
    assert_eq!(b, data[data.len() - 3000..]);
    assert_eq!(dev.write_blocks(0, &[0; 4096]), Err(BlockError::ReadOnly));
    assert!(matches!(dev.read_blocks(dev.num_blocks(), &mut [0; 4096]), Err(BlockError::OutOfRange { .. })));
    assert!(matches!(dev.read_blocks(0, &mut [0; 100]), Err(BlockError::Misaligned { .. })));
    assert!(dev.identity().unwrap().contains("\"v1\""));
}

#[test]
fn default_config_serves_any_ext2_block_size() {
    let data = image(CHUNK as usize * 2);
    let srv = TestServer::start(data.clone());
    let mut dev = HttpRangeDevice::open(srv.fetcher(), HttpConfig::default()).unwrap();
    assert_eq!(dev.block_size(), 1024);
    let mut b = vec![0; 1024];
    dev.read_blocks(1, &mut b).unwrap(); // where ext2 keeps its superblock
    assert_eq!(b, data[1024..2048]);
}

#[test]
fn sequential_reads_trigger_readahead_in_one_request() {
    let data = image(16 * CHUNK as usize);
    let srv = TestServer::start(data.clone());
    let (mut dev, _) = open(&srv, config(3));
    let bpc = u64::from(CHUNK / 4096); // blocks per chunk
    let mut blk = vec![0; 4096];
    let c = u64::from(CHUNK);
    // First touch: just chunk 0 (nothing says the access is sequential yet).
    dev.read_blocks(0, &mut blk).unwrap();
    // Chunk 1 right after chunk 0: fetch 1 plus 3 chunks of read-ahead.
    dev.read_blocks(bpc, &mut blk).unwrap();
    assert_eq!(srv.gets(), vec![range(0, c - 1), range(c, 5 * c - 1)]);
    // Chunks 2..=4 are already here: no request.
    for k in 2..5 {
        dev.read_blocks(k * bpc + 1, &mut blk).unwrap();
        assert_eq!(blk[..], data[(k * c + 4096) as usize..(k * c + 8192) as usize]);
    }
    assert_eq!(srv.gets().len(), 2);
    // Chunk 5 continues the run: another read-ahead batch.
    dev.read_blocks(5 * bpc, &mut blk).unwrap();
    assert_eq!(srv.gets().last(), Some(&range(5 * c, 9 * c - 1)));
    let s = dev.stats();
    assert_eq!(s.chunks_fetched, 9);
    assert_eq!(s.readahead_chunks, 6);
    assert_eq!(s.chunk_hits, 3);
    // One HEAD at open plus three GETs.
    assert_eq!(s.requests, 4);
    assert_eq!(srv.log().iter().filter(|(m, _)| m == "HEAD").count(), 1);
}

#[test]
fn random_reads_fetch_no_readahead_and_cached_chunks_are_not_refetched() {
    let srv = TestServer::start(image(16 * CHUNK as usize));
    let (mut dev, _) = open(&srv, config(4));
    let bpc = u64::from(CHUNK / 4096);
    let mut blk = vec![0; 4096];
    for &chunk in &[9u64, 3, 12, 3, 9, 0] {
        dev.read_blocks(chunk * bpc + 2, &mut blk).unwrap();
    }
    let c = u64::from(CHUNK);
    assert_eq!(
        srv.gets(),
        vec![range(9 * c, 10 * c - 1), range(3 * c, 4 * c - 1), range(12 * c, 13 * c - 1), range(0, c - 1)]
    );
    assert_eq!(dev.stats().chunk_hits, 2);
    assert_eq!(dev.stats().readahead_chunks, 0);
}

#[test]
fn a_read_spanning_chunks_is_one_request() {
    let data = image(8 * CHUNK as usize);
    let srv = TestServer::start(data.clone());
    let (mut dev, _) = open(&srv, config(0));
    let c = CHUNK as usize;
    let mut buf = vec![0; 3 * c];
    dev.read_blocks((c / 2 / 4096) as u64, &mut buf).unwrap(); // chunks 0..=3
    assert_eq!(buf, data[c / 2..c / 2 + 3 * c]);
    assert_eq!(srv.gets(), vec![range(0, 4 * c as u64 - 1)]);
}

#[test]
fn requests_never_outgrow_a_tiny_chunk_cache() {
    let data = image(8 * CHUNK as usize);
    let srv = TestServer::start(data.clone());
    let (mut dev, _) = open(&srv, HttpConfig { cache_chunks: 2, ..config(4) });
    let mut all = vec![0; data.len()];
    dev.read_blocks(0, &mut all).unwrap();
    assert_eq!(all, data);
    let c = u64::from(CHUNK);
    // At most two chunks per request, so nothing fetched is evicted unread.
    assert_eq!(
        srv.gets(),
        vec![range(0, 2 * c - 1), range(2 * c, 4 * c - 1), range(4 * c, 6 * c - 1), range(6 * c, 8 * c - 1)]
    );
    // Sequential single-block reads with read-ahead stay correct too.
    let mut blk = vec![0; 4096];
    for b in 0..dev.num_blocks() {
        dev.read_blocks(b, &mut blk).unwrap();
        assert_eq!(blk[..], data[b as usize * 4096..][..4096]);
    }
}

#[test]
fn transient_failures_are_retried_with_exponential_backoff() {
    let data = image(4 * CHUNK as usize);
    let srv = TestServer::start(data.clone());
    let (mut dev, sleeper) = open(&srv, config(0));
    srv.set(|s| s.fail_next = 3);
    let mut blk = vec![0; 4096];
    dev.read_blocks(1, &mut blk).unwrap();
    assert_eq!(blk[..], data[4096..8192]);
    assert_eq!(srv.gets().len(), 4);
    assert_eq!(dev.stats().retries, 3);
    assert_eq!(
        *sleeper.0.lock().unwrap(),
        vec![Duration::from_millis(100), Duration::from_millis(200), Duration::from_millis(400)]
    );
}

#[test]
fn retries_are_bounded_and_the_error_says_so() {
    let srv = TestServer::start(image(4 * CHUNK as usize));
    let mut cfg = config(0);
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(15),
    };
    let (mut dev, sleeper) = open(&srv, cfg);
    srv.set(|s| s.fail_next = 100);
    let err = dev.read_blocks(0, &mut [0; 4096]).unwrap_err();
    assert!(matches!(&err, BlockError::Io(m) if m.contains("3 attempts") && m.contains("503")), "{err}");
    assert_eq!(srv.gets().len(), 3);
    assert_eq!(*sleeper.0.lock().unwrap(), vec![Duration::from_millis(10), Duration::from_millis(15)]);
    // The server recovers: the next read works.
    srv.set(|s| s.fail_next = 0);
    dev.read_blocks(0, &mut [0; 4096]).unwrap();
}

#[test]
fn open_retries_too_and_fails_cleanly_on_a_dead_server() {
    let srv = TestServer::start(image(4 * CHUNK as usize));
    srv.set(|s| s.fail_next = 2);
    let (dev, sleeper) = open(&srv, config(0));
    assert_eq!(dev.stats().retries, 2);
    assert_eq!(sleeper.0.lock().unwrap().len(), 2);
    // Nothing listens on a port we just closed.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let agent = ureq::Agent::new_with_config(UreqFetcher::config_builder().proxy(None).build());
    let f = UreqFetcher::with_agent(format!("http://127.0.0.1:{port}/x"), agent);
    let mut cfg = config(0);
    cfg.retry.max_attempts = 2;
    let r = HttpRangeDevice::open_with(f, cfg, Box::new(RecordingSleeper::default()), None);
    assert!(matches!(r, Err(BlockError::Io(_))));
}

#[test]
fn server_ignoring_range_is_a_clear_error() {
    let srv = TestServer::start(image(4 * CHUNK as usize));
    let (mut dev, _) = open(&srv, config(0));
    srv.set(|s| s.mode = Mode::IgnoreRange);
    let err = dev.read_blocks(0, &mut [0; 4096]).unwrap_err();
    assert!(matches!(&err, BlockError::Invalid(m) if m.contains("ignored the Range header")), "{err}");
    // Not retried: it would only download the whole image again.
    assert_eq!(srv.gets().len(), 1);
}

#[test]
fn wrong_content_range_is_invalid() {
    let srv = TestServer::start(image(4 * CHUNK as usize));
    let (mut dev, _) = open(&srv, config(0));
    srv.set(|s| s.mode = Mode::WrongContentRange);
    let err = dev.read_blocks(0, &mut [0; 4096]).unwrap_err();
    assert!(matches!(&err, BlockError::Invalid(m) if m.contains("Content-Range")), "{err}");
}

#[test]
fn etag_change_mid_session_is_invalid() {
    let srv = TestServer::start(image(4 * CHUNK as usize));
    let (mut dev, _) = open(&srv, config(0));
    dev.read_blocks(0, &mut [0; 4096]).unwrap();
    srv.set(|s| s.etag = "\"v2\"".into());
    // Cached chunk: still served (it is the data of the version we opened).
    dev.read_blocks(0, &mut [0; 4096]).unwrap();
    let err = dev.read_blocks(u64::from(CHUNK / 4096) * 2, &mut [0; 4096]).unwrap_err();
    assert!(matches!(&err, BlockError::Invalid(m) if m.contains("ETag")), "{err}");
}

#[test]
fn size_change_mid_session_is_invalid() {
    let srv = TestServer::start(image(4 * CHUNK as usize));
    let (mut dev, _) = open(&srv, config(0));
    srv.set(|s| s.data.extend_from_slice(&[0; 4096]));
    let err = dev.read_blocks(0, &mut [0; 4096]).unwrap_err();
    assert!(matches!(&err, BlockError::Invalid(m) if m.contains("size changed")), "{err}");
}

#[test]
fn without_head_the_size_comes_from_a_one_byte_range() {
    let data = image(2 * CHUNK as usize);
    let srv = TestServer::start(data.clone());
    srv.set(|s| s.mode = Mode::NoHead);
    let (mut dev, _) = open(&srv, config(0));
    assert_eq!(dev.image_size(), data.len() as u64);
    assert_eq!(srv.gets(), vec![range(0, 0)]);
    let mut b = vec![0; 4096];
    dev.read_blocks(3, &mut b).unwrap();
    assert_eq!(b[..], data[3 * 4096..4 * 4096]);
}

#[test]
fn open_refuses_a_range_ignoring_server_without_head() {
    let srv = TestServer::start(image(CHUNK as usize));
    srv.set(|s| s.mode = Mode::NoHeadIgnoreRange);
    let r = HttpRangeDevice::open_with(srv.fetcher(), config(0), Box::new(RecordingSleeper::default()), None);
    assert!(matches!(&r, Err(BlockError::Invalid(m)) if m.contains("ignored the Range header")), "{r:?}");
}

#[test]
fn warm_start_from_the_chunk_store_fetches_nothing_cached() {
    let data = image(8 * CHUNK as usize);
    let srv = TestServer::start(data.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = || -> Option<Box<dyn ChunkStore>> { Some(Box::new(DirChunkStore::new(dir.path()).unwrap())) };
    let mut blk = vec![0; 4096];
    {
        let mut dev =
            HttpRangeDevice::open_with(srv.fetcher(), config(0), Box::new(RecordingSleeper::default()), store())
                .unwrap();
        dev.read_blocks(0, &mut blk).unwrap();
        dev.read_blocks(u64::from(CHUNK / 4096) * 5, &mut blk).unwrap();
    }
    assert_eq!(srv.gets().len(), 2);
    let mut dev =
        HttpRangeDevice::open_with(srv.fetcher(), config(0), Box::new(RecordingSleeper::default()), store()).unwrap();
    dev.read_blocks(1, &mut blk).unwrap();
    assert_eq!(blk[..], data[4096..8192]);
    dev.read_blocks(u64::from(CHUNK / 4096) * 5 + 2, &mut blk).unwrap();
    assert_eq!(srv.gets().len(), 2, "warm start must not refetch stored chunks");
    assert_eq!(dev.stats().store_hits, 2);
    // A new image version (ETag) does not see the old chunks.
    srv.set(|s| s.etag = "\"v2\"".into());
    let mut dev =
        HttpRangeDevice::open_with(srv.fetcher(), config(0), Box::new(RecordingSleeper::default()), store()).unwrap();
    dev.read_blocks(0, &mut blk).unwrap();
    assert_eq!(dev.stats().store_hits, 0);
    assert_eq!(srv.gets().len(), 3);
}

#[test]
fn overlay_on_http_keeps_writes_local() {
    let data = image(4 * CHUNK as usize);
    let srv = TestServer::start(data.clone());
    let (dev, _) = open(&srv, config(0));
    let mut o = OverlayDevice::with_store(dev, MemoryDelta::new(4096)).unwrap();
    o.write_blocks(2, &[0xAB; 4096]).unwrap();
    let mut b = vec![0; 3 * 4096];
    o.read_blocks(1, &mut b).unwrap();
    assert_eq!(b[..4096], data[4096..8192]);
    assert_eq!(b[4096..8192], [0xAB; 4096]);
    assert_eq!(b[8192..], data[3 * 4096..4 * 4096]);
    assert!(srv.log().iter().all(|(m, _)| m == "GET" || m == "HEAD"));
}

#[test]
fn persistent_overlay_refuses_a_changed_remote_image() {
    let srv = TestServer::start(image(4 * CHUNK as usize));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("root.overlay");
    {
        let (dev, _) = open(&srv, config(0));
        let mut o = crate::OverlayDevice::open(dev, &log).unwrap();
        o.write_blocks(5, &[1; 4096]).unwrap();
        o.flush().unwrap();
    }
    let (dev, _) = open(&srv, config(0));
    let mut o = crate::OverlayDevice::open(dev, &log).unwrap();
    let mut b = vec![0; 4096];
    o.read_blocks(5, &mut b).unwrap();
    assert_eq!(b, vec![1; 4096]);
    drop(o);
    // Same bytes, new ETag: the server says it is another image.
    srv.set(|s| s.etag = "\"v2\"".into());
    let (dev, _) = open(&srv, config(0));
    assert!(matches!(crate::OverlayDevice::open(dev, &log), Err(BlockError::Invalid(_))));
}

#[test]
fn content_range_parsing() {
    assert_eq!(parse_content_range("bytes 0-99/1000"), Some((0, 99, Some(1000))));
    assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, 9, None)));
    assert_eq!(parse_content_range("bytes */1000"), None);
    assert_eq!(parse_content_range("items 0-1/2"), None);
    assert_eq!(parse_content_range("bytes x-1/2"), None);
}

#[test]
fn bad_configs_are_refused() {
    let srv = TestServer::start(image(CHUNK as usize));
    for cfg in [
        HttpConfig { chunk_size: 1000, ..config(0) },
        HttpConfig { chunk_size: 2048, ..config(0) },
        HttpConfig { cache_chunks: 0, ..config(0) },
        HttpConfig { block_size: 100, ..config(0) },
    ] {
        assert!(matches!(HttpRangeDevice::open(srv.fetcher(), cfg), Err(BlockError::Invalid(_))));
    }
    // An image that is not a whole number of blocks.
    let srv = TestServer::start(image(CHUNK as usize + 10));
    assert!(matches!(HttpRangeDevice::open(srv.fetcher(), config(0)), Err(BlockError::Invalid(_))));
}
