//! The WebSocket block protocol: many chunk requests in one message, the
//! answers streamed back, on one connection (RFC 6455, subprotocol
//! `wasmpod-blocks`). The browser's io worker uses it when the server
//! offers it and falls back to HTTP ranges otherwise.
//!
//! A client opens `ws://HOST/images/NAME.ext2` (any file `GET` would
//! serve). All integers are little-endian; every message is binary.
//!
//! - Server, first: **hello** `"WPB1"`, u64 image size, u16 n, n bytes of
//!   the image's ETag (the one HTTP gives: the client checks it is the
//!   image version it booted).
//! - Client: **batch** u32 id, u32 count, then count × (u64 offset, u32
//!   len): at most [`MAX_RANGES`] ranges and [`MAX_BATCH_BYTES`] bytes.
//! - Server, per range in order: **data** u32 id, u32 index, i32 0, then
//!   the bytes; or i32 `-EINVAL` (range past the end, or empty) and no
//!   bytes.
//! - Server: **error** u32 id, u32 0xFFFF_FFFF, i32 `-errno`, then a UTF-8
//!   message: for a batch that can't be parsed or is too big (`EINVAL`,
//!   `E2BIG`), an unknown image (`ENOENT`, then the server closes) or a read
//!   that failed (`EIO`).
//!
//! Pings are answered; text, fragmented and unmasked client frames are
//! protocol errors (close 1002/1003), messages over [`MAX_MESSAGE`] bytes
//! close with 1009. A connection idle for [`IDLE`] is closed.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use sha1::{Digest, Sha1};

use super::http::Request;
use super::Deadline;

pub const PROTOCOL: &str = "wasmpod-blocks";
/// Most ranges in one batch.
pub const MAX_RANGES: usize = 64;
/// Most bytes one batch may ask for.
pub const MAX_BATCH_BYTES: u64 = 16 << 20;
/// Largest client message (a full batch is 776 bytes; larger ones up to
/// this get an error message, beyond it the connection closes).
pub const MAX_MESSAGE: u64 = 64 << 10;
/// How long a connection may sit without a message.
pub const IDLE: Duration = Duration::from_secs(300);

const EINVAL: i32 = 22;
const ENOENT: i32 = 2;
const EIO: i32 = 5;
const E2BIG: i32 = 7;
const ERROR_INDEX: u32 = u32::MAX;

/// Whether `req` asks to become a WebSocket.
pub fn is_upgrade(req: &Request) -> bool {
    let has = |name: &str, token: &str| {
        req.header(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    req.method == "GET" && has("upgrade", "websocket") && has("connection", "upgrade")
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    let mut h = Sha1::new();
    h.update(key.trim().as_bytes());
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64(&h.finalize())
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// Why the connection ends early.
enum Stop {
    /// Close with this status code.
    Close(u16),
    Io(io::Error),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::Io(e)
    }
}

/// Serves the upgraded connection: the handshake answer, then the protocol
/// until the client closes. `image` is the file the path names (None:
/// unknown) and `etag` its HTTP ETag. Returns `Ok` on a clean end.
pub(super) fn serve(
    req: &Request,
    reader: &mut BufReader<Deadline>,
    writer: &mut impl Write,
    image: Option<(&Path, String)>,
) -> io::Result<()> {
    let key = req.header("sec-websocket-key");
    if req.header("sec-websocket-version") != Some("13") || key.is_none_or(|k| k.trim().len() != 24) {
        let body = "WebSocket version 13 with a Sec-WebSocket-Key is required\n";
        write!(
            writer,
            "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return writer.flush();
    }
    let wants_protocol =
        req.header("sec-websocket-protocol").is_some_and(|v| v.split(',').any(|p| p.trim() == PROTOCOL));
    write!(
        writer,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n{}\
         Cross-Origin-Resource-Policy: same-origin\r\n\r\n",
        accept_key(key.unwrap_or_default()),
        if wants_protocol { format!("Sec-WebSocket-Protocol: {PROTOCOL}\r\n") } else { String::new() }
    )?;
    writer.flush()?;
    let result = (|| {
        let Some((path, etag)) = image else {
            send_error(writer, 0, ENOENT, "no such image")?;
            return Err(Stop::Close(1008));
        };
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        let mut hello = b"WPB1".to_vec();
        hello.extend_from_slice(&size.to_le_bytes());
        hello.extend_from_slice(&(etag.len() as u16).to_le_bytes());
        hello.extend_from_slice(etag.as_bytes());
        send(writer, 2, &hello)?;
        loop {
            reader.get_mut().until = Instant::now() + IDLE;
            let (opcode, payload) = read_message(reader)?;
            match opcode {
                2 => batch(writer, &file, size, &payload)?,
                8 => return Err(Stop::Close(1000)),
                9 => send(writer, 10, &payload)?,
                10 => {}
                _ => return Err(Stop::Close(1003)),
            }
        }
    })();
    match result {
        Ok(()) => Ok(()),
        Err(Stop::Close(code)) => {
            let _ = send(writer, 8, &code.to_be_bytes());
            Ok(())
        }
        Err(Stop::Io(e)) => Err(e),
    }
}

/// Answers one batch (see the module docs).
fn batch(w: &mut impl Write, file: &File, size: u64, msg: &[u8]) -> Result<(), Stop> {
    let u32_at = |i: usize| u32::from_le_bytes(msg[i..i + 4].try_into().unwrap());
    if msg.len() < 8 {
        return Ok(send_error(w, 0, EINVAL, "a batch is u32 id, u32 count, count × (u64 offset, u32 len)")?);
    }
    let (id, count) = (u32_at(0), u32_at(4) as usize);
    if count > MAX_RANGES {
        return Ok(send_error(w, id, E2BIG, &format!("{count} ranges in one batch; at most {MAX_RANGES}"))?);
    }
    if msg.len() != 8 + 12 * count {
        return Ok(send_error(w, id, EINVAL, &format!("{} bytes for a batch of {count} ranges", msg.len()))?);
    }
    let ranges: Vec<(u64, u32)> = (0..count)
        .map(|i| {
            let at = 8 + 12 * i;
            (u64::from_le_bytes(msg[at..at + 8].try_into().unwrap()), u32_at(at + 8))
        })
        .collect();
    let total: u64 = ranges.iter().map(|&(_, len)| u64::from(len)).sum();
    if total > MAX_BATCH_BYTES {
        return Ok(send_error(w, id, E2BIG, &format!("{total} bytes in one batch; at most {MAX_BATCH_BYTES}"))?);
    }
    for (index, &(offset, len)) in ranges.iter().enumerate() {
        let mut out = Vec::with_capacity(12 + len as usize);
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(index as u32).to_le_bytes());
        if len == 0 || offset.checked_add(u64::from(len)).is_none_or(|end| end > size) {
            out.extend_from_slice(&(-EINVAL).to_le_bytes());
            send(w, 2, &out)?;
            continue;
        }
        out.extend_from_slice(&0i32.to_le_bytes());
        out.resize(12 + len as usize, 0);
        if let Err(e) = file.read_exact_at(&mut out[12..], offset) {
            return Ok(send_error(w, id, EIO, &format!("reading the image: {e}"))?);
        }
        send(w, 2, &out)?;
    }
    Ok(())
}

fn send_error(w: &mut impl Write, id: u32, errno: i32, msg: &str) -> io::Result<()> {
    let mut out = Vec::new();
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&ERROR_INDEX.to_le_bytes());
    out.extend_from_slice(&(-errno).to_le_bytes());
    out.extend_from_slice(msg.as_bytes());
    send(w, 2, &out)
}

/// One unmasked server frame (FIN set).
fn send(w: &mut impl Write, opcode: u8, payload: &[u8]) -> io::Result<()> {
    let mut head = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => head.push(n as u8),
        n if n <= 0xFFFF => {
            head.push(126);
            head.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            head.push(127);
            head.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    w.write_all(&head)?;
    w.write_all(payload)?;
    w.flush()
}

/// One client message: (opcode, unmasked payload).
fn read_message(r: &mut impl Read) -> Result<(u8, Vec<u8>), Stop> {
    let mut h = [0u8; 2];
    r.read_exact(&mut h)?;
    let (fin, opcode, masked) = (h[0] & 0x80 != 0, h[0] & 0x0F, h[1] & 0x80 != 0);
    if !fin || !masked || h[0] & 0x70 != 0 {
        // Fragments, unmasked client frames and extensions: not ours.
        return Err(Stop::Close(1002));
    }
    let len = match h[1] & 0x7F {
        126 => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b)?;
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0u8; 8];
            r.read_exact(&mut b)?;
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    if len > MAX_MESSAGE {
        return Err(Stop::Close(1009));
    }
    let mut mask = [0u8; 4];
    r.read_exact(&mut mask)?;
    let mut payload = vec![0u8; len as usize];
    r.read_exact(&mut payload)?;
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i % 4];
    }
    Ok((opcode, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc_6455() {
        // The example of RFC 6455 §1.3.
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }
}
