//! The HTTP/1.1 pieces `wasmpod serve` needs: reading a request head with
//! limits, ranges, validators, dates and MIME types. No I/O policy here
//! beyond reading the head; `mod.rs` decides what to answer.

use std::io::{self, BufRead, Read};
use std::time::{SystemTime, UNIX_EPOCH};

/// Largest request head (request line and headers) accepted.
pub const MAX_HEAD_BYTES: u64 = 16 * 1024;
/// Most header lines accepted.
pub const MAX_HEADERS: usize = 100;

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target, verbatim (origin-form checked later).
    pub target: String,
    /// `true` for HTTP/1.1, `false` for HTTP/1.0.
    pub http11: bool,
    /// Header names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first header of that (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the client wants the connection kept open after this answer.
    pub fn keep_alive(&self) -> bool {
        let conn = self.header("connection").unwrap_or("").to_ascii_lowercase();
        let has = |t: &str| conn.split(',').any(|x| x.trim() == t);
        if self.http11 {
            !has("close")
        } else {
            has("keep-alive")
        }
    }

    /// Whether the request announces a body (which we never read).
    pub fn has_body(&self) -> bool {
        self.header("transfer-encoding").is_some()
            || self.headers.iter().any(|(n, v)| n == "content-length" && v.trim() != "0")
    }
}

/// Why a request head could not be read.
#[derive(Debug)]
pub enum HeadError {
    /// The peer closed (or went idle) before sending anything: close quietly.
    Closed,
    /// Bad syntax: answer 400 and close.
    Malformed(&'static str),
    /// Head larger than [`MAX_HEAD_BYTES`] or too many headers: 431, close.
    TooLarge,
    /// An HTTP version other than 1.0/1.1: 505, close.
    Version,
    /// Read error or timeout in the middle of a head: close.
    Io(io::Error),
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Reads one line ending in LF (CRLF or bare LF) within `budget` bytes.
fn read_line(r: &mut impl BufRead, budget: &mut u64) -> Result<Option<Vec<u8>>, HeadError> {
    let mut line = Vec::new();
    let n = Read::take(&mut *r, *budget).read_until(b'\n', &mut line).map_err(HeadError::Io)?;
    *budget -= n as u64;
    if n == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        // Either the budget ran out or the peer closed mid-line.
        return Err(if *budget == 0 { HeadError::TooLarge } else { HeadError::Malformed("truncated request") });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(line))
}

/// Reads and parses a request head.
pub fn read_request(r: &mut impl BufRead) -> Result<Request, HeadError> {
    let mut budget = MAX_HEAD_BYTES;
    // RFC 9112 §2.2: ignore empty lines before the request line.
    let line = loop {
        match read_line(r, &mut budget) {
            Ok(None) => return Err(HeadError::Closed),
            Err(HeadError::Io(e))
                if budget == MAX_HEAD_BYTES
                    && matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) =>
            {
                return Err(HeadError::Closed)
            }
            Err(e) => return Err(e),
            Ok(Some(l)) if l.is_empty() => continue,
            Ok(Some(l)) => break l,
        }
    };
    let line = std::str::from_utf8(&line).map_err(|_| HeadError::Malformed("request line is not UTF-8"))?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed("request line is not METHOD TARGET VERSION"));
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(HeadError::Malformed("bad method"));
    }
    if target.is_empty() || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(HeadError::Malformed("bad request target"));
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        v if v.starts_with("HTTP/") && v.len() == 8 && v.as_bytes()[5].is_ascii_digit() => {
            return Err(HeadError::Version)
        }
        _ => return Err(HeadError::Malformed("bad HTTP version")),
    };
    let mut headers = Vec::new();
    loop {
        let Some(h) = read_line(r, &mut budget)? else {
            return Err(HeadError::Malformed("connection closed inside the head"));
        };
        if h.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(HeadError::TooLarge);
        }
        let h = std::str::from_utf8(&h).map_err(|_| HeadError::Malformed("header is not UTF-8"))?;
        let (name, value) = h.split_once(':').ok_or(HeadError::Malformed("header without ':'"))?;
        // Also rejects obsolete line folding (a line starting with space).
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(HeadError::Malformed("bad header name"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim_matches([' ', '\t']).to_string()));
    }
    let req = Request { method: method.to_string(), target: target.to_string(), http11, headers };
    if req.http11 && req.headers.iter().filter(|(n, _)| n == "host").count() != 1 {
        return Err(HeadError::Malformed("HTTP/1.1 request needs exactly one Host header"));
    }
    Ok(req)
}

/// What a `Range` header asks of a representation of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// No usable single range (absent, not `bytes`, invalid syntax, or
    /// several ranges): send the whole body with 200.
    Full,
    /// One satisfiable range, inclusive bounds: 206.
    Partial(u64, u64),
    /// A syntactically valid single range that selects nothing: 416.
    Unsatisfiable,
}

fn parse_num(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Digits only, so a parse failure is overflow: saturate (the position is
    // past any real file anyway).
    Some(s.parse().unwrap_or(u64::MAX))
}

/// Interprets a `Range` header value (RFC 9110 §14).
///
/// Several ranges get [`RangeAnswer::Full`]: RFC 9110 lets a server ignore
/// `Range`, and no client of ours (the blockdev HTTP device, browsers'
/// `fetch`) asks for more than one; multipart/byteranges is not worth its
/// code here.
pub fn parse_range(value: &str, size: u64) -> RangeAnswer {
    let Some(spec) = value.trim().strip_prefix("bytes=").or_else(|| {
        let (unit, rest) = value.trim().split_once('=')?;
        unit.trim().eq_ignore_ascii_case("bytes").then_some(rest)
    }) else {
        return RangeAnswer::Full;
    };
    let ranges: Vec<&str> = spec.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if ranges.len() != 1 {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = ranges[0].split_once('-') else {
        return RangeAnswer::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // Suffix range: the last N bytes.
        let Some(n) = parse_num(last) else { return RangeAnswer::Full };
        if n == 0 || size == 0 {
            return RangeAnswer::Unsatisfiable;
        }
        return RangeAnswer::Partial(size - n.min(size), size - 1);
    }
    let Some(a) = parse_num(first) else { return RangeAnswer::Full };
    let b = if last.is_empty() {
        u64::MAX
    } else {
        match parse_num(last) {
            Some(b) if b >= a => b,
            _ => return RangeAnswer::Full,
        }
    };
    if a >= size {
        return RangeAnswer::Unsatisfiable;
    }
    RangeAnswer::Partial(a, b.min(size - 1))
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison).
pub fn none_match(value: &str, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let want = strip(etag);
    value.split(',').any(|t| t.trim() == "*" || strip(t) == want)
}

/// Whether an `If-Range` value still names this representation: a strong
/// ETag equal to ours, or a date equal to our `Last-Modified`.
pub fn if_range_matches(value: &str, etag: &str, last_modified: &str) -> bool {
    let v = value.trim();
    if v.starts_with('"') {
        v == etag
    } else if v.starts_with("W/") {
        false
    } else {
        v == last_modified
    }
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let (year, month, day) = crate::civil::civil_from_days(days);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WD[days.rem_euclid(7) as usize],
        MON[(month - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The `Content-Type` for a file name.
pub fn mime_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".d.ts") {
        return "application/typescript";
    }
    match lower.rsplit_once('.').map(|(_, e)| e) {
        Some("wasm") => "application/wasm",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// Decodes `%XX` escapes; `None` on a bad escape.
pub fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ranges() {
        use RangeAnswer::*;
        assert_eq!(parse_range("bytes=0-9", 100), Partial(0, 9));
        assert_eq!(parse_range("bytes=90-200", 100), Partial(90, 99));
        assert_eq!(parse_range("bytes=10-", 100), Partial(10, 99));
        assert_eq!(parse_range("bytes=-10", 100), Partial(90, 99));
        assert_eq!(parse_range("bytes=-1000", 100), Partial(0, 99));
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-0", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=99999999999999999999999-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 100), Full);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Full);
        assert_eq!(parse_range("items=0-1", 100), Full);
        assert_eq!(parse_range("bytes=x-1", 100), Full);
        assert_eq!(parse_range("bytes=", 100), Full);
    }

    #[test]
    fn dates() {
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(UNIX_EPOCH + Duration::from_secs(784_111_777)), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(UNIX_EPOCH + Duration::from_secs(951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn validators() {
        assert!(none_match("\"a\"", "\"a\""));
        assert!(none_match("W/\"a\", \"b\"", "\"a\""));
        assert!(none_match("*", "\"a\""));
        assert!(!none_match("\"b\"", "\"a\""));
        assert!(if_range_matches("\"a\"", "\"a\"", "x"));
        assert!(!if_range_matches("W/\"a\"", "\"a\"", "x"));
        assert!(if_range_matches("Thu, 01 Jan 1970 00:00:00 GMT", "\"a\"", "Thu, 01 Jan 1970 00:00:00 GMT"));
    }

    #[test]
    fn heads() {
        let mut r = io::Cursor::new(b"\r\nGET /x HTTP/1.1\r\nHost: a\r\nX-Y:  z \r\n\r\n".to_vec());
        let req = read_request(&mut r).unwrap();
        assert_eq!(req.target, "/x");
        assert_eq!(req.header("x-y"), Some("z"));
        assert!(req.keep_alive());
        for bad in [&b"GET /x\r\n\r\n"[..], b"GET  /x HTTP/1.1\r\n\r\n", b"GET /x HTTP/1.1\r\n folded\r\n\r\n"] {
            assert!(matches!(read_request(&mut io::Cursor::new(bad.to_vec())), Err(HeadError::Malformed(_))));
        }
        let big = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20000));
        assert!(matches!(read_request(&mut io::Cursor::new(big.into_bytes())), Err(HeadError::TooLarge)));
        assert!(matches!(
            read_request(&mut io::Cursor::new(b"GET / HTTP/2.0\r\n\r\n".to_vec())),
            Err(HeadError::Version)
        ));
        assert!(matches!(read_request(&mut io::Cursor::new(Vec::new())), Err(HeadError::Closed)));
    }
}
