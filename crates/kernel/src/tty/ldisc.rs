//! The line discipline (analogous to Linux's `N_TTY`, `drivers/tty/n_tty.c`):
//! input processing and line editing between what the master writes and
//! what the slave reads, output processing (OPOST) between what the slave
//! writes and what the master reads, and echo.
//!
//! This module is pure data: it never blocks, sends signals or touches the
//! kernel state. [`Ldisc::receive`] reports the signals that input
//! characters raise (ISIG) and the caller sends them to the foreground
//! process group.
//!
//! Does: ICANON line editing (VERASE, VKILL, VWERASE, VREPRINT, VLNEXT,
//! VEOF, VEOL, VEOL2, IUTF8-aware erase), raw input, ICRNL/INLCR/IGNCR/
//! ISTRIP, IXON/IXANY flow control, ISIG (VINTR, VQUIT, VSUSP, NOFLSH),
//! ECHO/ECHOE/ECHOK/ECHOKE/ECHONL/ECHOCTL, OPOST with ONLCR/OCRNL/ONOCR/
//! ONLRET/OLCUC and column tracking for tab erase.
//! Does not: ECHOPRT (hardcopy erase), PARMRK/INPCK/BRKINT (a pty has no
//! parity or breaks), IUCLC/XCASE, IMAXBEL bells, output tab expansion
//! (XTABS), VDISCARD. Bytes >= 0x80 count as printable (Linux's latin-1
//! ctype table treats 0x80–0x9f as control characters for ECHOCTL).

use std::collections::VecDeque;

use wasmpod_abi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use wasmpod_abi::termios::*;

/// Input buffer size: Linux's `N_TTY_BUF_SIZE` (4096). A writer to the
/// master blocks while this many unread input bytes are queued.
pub const INPUT_MAX: usize = 4096;
/// Longest canonical line without its terminator: termios(3), "the
/// maximum line length is 4096 chars (including the terminating newline
/// character); lines longer than 4096 chars are truncated".
pub const LINE_MAX: usize = 4095;
/// Unread output (slave to master) after which slave writers block. Linux
/// bounds a pty's flip buffers by memory (64 KiB per tty by default,
/// `TTYB_DEFAULT_MEM_LIMIT`); we use the same figure.
pub const OUTPUT_MAX: usize = 65536;

/// `_POSIX_VDISABLE`: a `c_cc` slot holding 0 is disabled.
const VDISABLE: u8 = 0;

fn is_ctrl(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EraseKind {
    Erase,
    Werase,
    Kill,
}

/// The line discipline state of one tty.
pub struct Ldisc {
    pub termios: termios,
    /// Readable input: completed lines (canonical mode) or raw bytes.
    cooked: VecDeque<u8>,
    /// Canonical mode: byte lengths of the completed lines in `cooked`,
    /// oldest first. A zero-length line is an end-of-file mark (VEOF at
    /// the start of a line).
    lines: VecDeque<usize>,
    /// Canonical mode: the line being edited.
    line: Vec<u8>,
    /// Output towards the master, after OPOST, with echoes.
    out: VecDeque<u8>,
    /// Output column (for tab erase and ONOCR).
    column: usize,
    /// Column where the echo of the current line started.
    canon_column: usize,
    /// The previous character was VLNEXT: take the next one literally.
    lnext: bool,
    /// Output stopped by VSTOP (IXON) or TCOOFF: change it with
    /// [`Ldisc::set_stopped`].
    pub stopped: bool,
    /// Packet-mode status (`TIOCPKT_*` bits) not yet read by the master.
    pub pktstatus: u8,
}

/// Packet-mode status bits (tty_ioctl(4), TIOCPKT).
pub const TIOCPKT_FLUSHREAD: u8 = 1;
pub const TIOCPKT_FLUSHWRITE: u8 = 2;
pub const TIOCPKT_STOP: u8 = 4;
pub const TIOCPKT_START: u8 = 8;

/// What [`Ldisc::receive`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Input bytes consumed (the rest did not fit: the writer waits).
    pub consumed: usize,
    /// Signals raised by ISIG characters, in order.
    pub signals: Vec<u32>,
}

impl Default for Ldisc {
    fn default() -> Self {
        Self::new(termios::linux_default())
    }
}

impl Ldisc {
    pub fn new(termios: termios) -> Self {
        Ldisc {
            termios,
            cooked: VecDeque::new(),
            lines: VecDeque::new(),
            line: Vec::new(),
            out: VecDeque::new(),
            column: 0,
            canon_column: 0,
            lnext: false,
            stopped: false,
            pktstatus: 0,
        }
    }

    fn lflag(&self, f: u32) -> bool {
        self.termios.c_lflag & f != 0
    }
    fn iflag(&self, f: u32) -> bool {
        self.termios.c_iflag & f != 0
    }
    fn oflag(&self, f: u32) -> bool {
        self.termios.c_oflag & f != 0
    }
    fn cc(&self, i: usize) -> u8 {
        self.termios.c_cc[i]
    }
    fn is_cc(&self, i: usize, c: u8) -> bool {
        let v = self.cc(i);
        v != VDISABLE && v == c
    }

    pub fn canonical(&self) -> bool {
        self.lflag(ICANON)
    }

    /// Changes the settings. Switching ICANON off makes the line being
    /// edited readable; switching it on turns unread raw input into one
    /// completed line (as Linux's `n_tty_set_termios`).
    pub fn set_termios(&mut self, t: termios) {
        let was = self.canonical();
        self.termios = t;
        let now = self.canonical();
        if was && !now {
            let line = std::mem::take(&mut self.line);
            self.cooked.extend(line);
            self.lines.clear();
        } else if !was && now {
            self.lines.clear();
            if !self.cooked.is_empty() {
                self.lines.push_back(self.cooked.len());
            }
        }
        if was != now {
            self.lnext = false;
        }
    }

    // ---- reading (slave side) ---------------------------------------------

    /// Bytes a read could return now (FIONREAD): completed lines in
    /// canonical mode, everything in raw mode.
    pub fn input_len(&self) -> usize {
        self.cooked.len()
    }

    /// Whether a read would return something (a line or an EOF mark in
    /// canonical mode, at least one byte in raw mode).
    pub fn readable(&self) -> bool {
        if self.canonical() {
            !self.lines.is_empty()
        } else {
            !self.cooked.is_empty()
        }
    }

    /// Readiness for poll: in raw mode with `VTIME == 0` and `VMIN > 0`,
    /// poll waits for `VMIN` bytes (Linux's `input_available_p`).
    pub fn poll_readable(&self) -> bool {
        if self.canonical() {
            return self.readable();
        }
        let (min, time) = (self.cc(VMIN) as usize, self.cc(VTIME));
        let want = if time == 0 && min > 0 { min } else { 1 };
        self.cooked.len() >= want
    }

    /// Canonical read: up to one line (`Some(0)` for an EOF mark), `None`
    /// when no line is complete. In raw mode, whatever is there.
    pub fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        if !self.canonical() {
            if self.cooked.is_empty() {
                return None;
            }
            return Some(self.read_raw(buf));
        }
        let len = self.lines.front_mut()?;
        let n = (*len).min(buf.len());
        for (i, b) in self.cooked.drain(..n).enumerate() {
            buf[i] = b;
        }
        *len -= n;
        if *len == 0 {
            self.lines.pop_front();
        }
        Some(n)
    }

    /// Raw read: as many bytes as are queued, up to `buf.len()`.
    pub fn read_raw(&mut self, buf: &mut [u8]) -> usize {
        let n = self.cooked.len().min(buf.len());
        for (i, b) in self.cooked.drain(..n).enumerate() {
            buf[i] = b;
        }
        n
    }

    // ---- input (master writes) ---------------------------------------------

    /// Whether the input buffer has room for more bytes (master POLLOUT).
    pub fn input_room(&self) -> bool {
        self.cooked.len() < INPUT_MAX
    }

    /// Processes input bytes typed at the terminal, stopping when the
    /// input buffer is full.
    pub fn receive(&mut self, data: &[u8]) -> Received {
        let mut r = Received::default();
        // Echoes of this batch not yet "sent": an ISIG flush discards them
        // (Linux clears its echo buffer; output the master could already
        // read stays).
        let echo_mark = self.out.len();
        for &c0 in data {
            if self.cooked.len() >= INPUT_MAX {
                break;
            }
            r.consumed += 1;
            self.receive_char(c0, echo_mark, &mut r.signals);
        }
        r
    }

    fn receive_char(&mut self, c0: u8, echo_mark: usize, signals: &mut Vec<u32>) {
        let mut c = if self.iflag(ISTRIP) { c0 & 0x7f } else { c0 };
        if self.lnext {
            self.lnext = false;
            // The echo overwrites the "^\b" placeholder echoed for VLNEXT.
            self.insert(c);
            return;
        }
        if c == b'\r' {
            if self.iflag(IGNCR) {
                return;
            }
            if self.iflag(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && self.iflag(INLCR) {
            c = b'\r';
        }
        if self.iflag(IXON) {
            if self.is_cc(VSTOP, c) {
                self.set_stopped(true);
                return;
            }
            if self.is_cc(VSTART, c) {
                self.set_stopped(false);
                return;
            }
            if self.stopped && self.iflag(IXANY) {
                self.set_stopped(false);
            }
        }
        if self.lflag(ISIG) {
            let sig = if self.is_cc(VINTR, c) {
                Some(SIGINT)
            } else if self.is_cc(VQUIT, c) {
                Some(SIGQUIT)
            } else if self.is_cc(VSUSP, c) {
                Some(SIGTSTP)
            } else {
                None
            };
            if let Some(sig) = sig {
                signals.push(sig);
                if !self.lflag(NOFLSH) {
                    // Linux's isig(): flush the input and pending echoes,
                    // then echo the character.
                    self.flush_input();
                    self.out.truncate(echo_mark);
                    self.pktstatus |= TIOCPKT_FLUSHREAD;
                }
                if self.iflag(IXON) && self.stopped {
                    self.set_stopped(false);
                }
                if self.lflag(ECHO) {
                    self.echo_char(c);
                }
                return;
            }
        }
        if !self.canonical() {
            if self.lflag(ECHO) {
                if c == b'\n' && c0 == b'\r' {
                    // A CR mapped by ICRNL takes Linux's special-character
                    // path, which echoes the newline raw; a typed NL is
                    // echoed as "^J" with ECHOCTL.
                    self.echo_raw(c);
                } else {
                    self.echo_char(c);
                }
            }
            self.cooked.push_back(c);
            return;
        }
        let iexten = self.lflag(IEXTEN);
        if self.is_cc(VERASE, c) {
            self.erase(EraseKind::Erase);
        } else if self.is_cc(VKILL, c) {
            self.erase(EraseKind::Kill);
        } else if iexten && self.is_cc(VWERASE, c) {
            self.erase(EraseKind::Werase);
        } else if iexten && self.is_cc(VLNEXT, c) {
            self.lnext = true;
            if self.lflag(ECHO) && self.lflag(ECHOCTL) {
                self.echo_raw(b'^');
                self.echo_raw(b'\x08');
            }
        } else if iexten && self.lflag(ECHO) && self.is_cc(VREPRINT, c) {
            self.echo_char(c);
            self.echo_raw(b'\n');
            let line = self.line.clone();
            for b in line {
                self.echo_char(b);
            }
        } else if c == b'\n' {
            if self.lflag(ECHO) || self.lflag(ECHONL) {
                self.echo_raw(b'\n');
            }
            self.line.push(c);
            self.commit_line();
        } else if self.is_cc(VEOF, c) {
            // Not echoed and not stored: the line so far becomes readable,
            // and an empty line reads as end of file.
            self.commit_line();
        } else if self.is_cc(VEOL, c) || (iexten && self.is_cc(VEOL2, c)) {
            if self.lflag(ECHO) {
                if self.line.is_empty() {
                    self.canon_column = self.column;
                }
                self.echo_char(c);
            }
            self.line.push(c);
            self.commit_line();
        } else {
            self.insert(c);
        }
    }

    /// Adds an ordinary character: to the line (canonical) or the buffer.
    fn insert(&mut self, c: u8) {
        if !self.canonical() {
            if self.lflag(ECHO) {
                self.echo_char(c);
            }
            self.cooked.push_back(c);
            return;
        }
        // Past the line limit characters are dropped; one byte of room is
        // kept for the terminator.
        if self.line.len() >= LINE_MAX || self.cooked.len() + self.line.len() >= INPUT_MAX - 1 {
            return;
        }
        if self.lflag(ECHO) {
            if self.line.is_empty() {
                self.canon_column = self.column;
            }
            self.echo_char(c);
        }
        self.line.push(c);
    }

    fn commit_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        self.lines.push_back(line.len());
        self.cooked.extend(line);
    }

    /// Linux's `eraser()`.
    fn erase(&mut self, kind: EraseKind) {
        if self.line.is_empty() {
            return;
        }
        let echo = self.lflag(ECHO);
        if kind == EraseKind::Kill {
            if !echo {
                self.line.clear();
                return;
            }
            if !self.lflag(ECHOK) || !self.lflag(ECHOKE) || !self.lflag(ECHOE) {
                self.line.clear();
                self.echo_char(self.cc(VKILL));
                if self.lflag(ECHOK) {
                    self.echo_raw(b'\n');
                }
                return;
            }
        }
        let utf8 = self.iflag(IUTF8);
        let mut seen_word = false;
        while !self.line.is_empty() {
            // The character's first byte (IUTF8: skip continuation bytes).
            let mut start = self.line.len() - 1;
            if utf8 {
                while start > 0 && self.line[start] & 0xc0 == 0x80 {
                    start -= 1;
                }
            }
            let c = self.line[start];
            if kind == EraseKind::Werase {
                if is_word(c) {
                    seen_word = true;
                } else if seen_word {
                    break;
                }
            }
            self.line.truncate(start);
            if echo {
                if kind == EraseKind::Erase && !self.lflag(ECHOE) {
                    self.echo_char(self.cc(VERASE));
                } else if c == b'\t' {
                    // Back up to where the tab started.
                    let col = self.line_end_column();
                    let n = self.column.saturating_sub(col);
                    for _ in 0..n {
                        self.echo_raw(b'\x08');
                    }
                } else {
                    let ctl = self.lflag(ECHOCTL);
                    if is_ctrl(c) && ctl {
                        self.echo_str(b"\x08 \x08");
                    }
                    if !is_ctrl(c) || ctl {
                        self.echo_str(b"\x08 \x08");
                    }
                }
            }
            if kind == EraseKind::Erase {
                break;
            }
        }
    }

    /// The column where the echo of the current line ends.
    fn line_end_column(&self) -> usize {
        let mut col = self.canon_column;
        let utf8 = self.iflag(IUTF8);
        for &c in &self.line {
            if c == b'\t' {
                col = (col | 7) + 1;
            } else if is_ctrl(c) {
                if self.lflag(ECHOCTL) {
                    col += 2;
                }
            } else if !(utf8 && c & 0xc0 == 0x80) {
                col += 1;
            }
        }
        col
    }

    // ---- echo and output -----------------------------------------------------

    /// Echoes `c`, as `^X` for control characters with ECHOCTL.
    fn echo_char(&mut self, c: u8) {
        if self.lflag(ECHOCTL) && is_ctrl(c) && c != b'\t' {
            self.echo_raw(b'^');
            self.echo_raw(c ^ 0x40);
        } else {
            self.echo_raw(c);
        }
    }

    fn echo_str(&mut self, s: &[u8]) {
        for &c in s {
            self.echo_raw(c);
        }
    }

    /// Echoes one byte through output processing; dropped when the output
    /// queue is full (nobody reads the master).
    fn echo_raw(&mut self, c: u8) {
        if self.out.len() + 2 <= OUTPUT_MAX {
            self.output_char(c);
        }
    }

    /// Linux's `do_output_char` (OPOST processing of one byte).
    fn output_char(&mut self, c: u8) {
        if !self.oflag(OPOST) {
            self.out.push_back(c);
            return;
        }
        match c {
            b'\n' => {
                if self.oflag(ONLRET) {
                    self.column = 0;
                }
                if self.oflag(ONLCR) {
                    self.column = 0;
                    self.canon_column = 0;
                    self.out.extend([b'\r', b'\n']);
                    return;
                }
                self.canon_column = self.column;
                self.out.push_back(b'\n');
            }
            b'\r' => {
                if self.oflag(ONOCR) && self.column == 0 {
                    return;
                }
                if self.oflag(OCRNL) {
                    if self.oflag(ONLRET) {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                    self.out.push_back(b'\n');
                    return;
                }
                self.column = 0;
                self.canon_column = 0;
                self.out.push_back(b'\r');
            }
            b'\t' => {
                self.column = (self.column | 7) + 1;
                self.out.push_back(b'\t');
            }
            8 => {
                self.column = self.column.saturating_sub(1);
                self.out.push_back(8);
            }
            _ => {
                let mut c = c;
                if !is_ctrl(c) {
                    if self.oflag(OLCUC) {
                        c = c.to_ascii_uppercase();
                    }
                    if !(self.iflag(IUTF8) && c & 0xc0 == 0x80) {
                        self.column += 1;
                    }
                }
                self.out.push_back(c);
            }
        }
    }

    /// Output written by the slave: processed and queued for the master,
    /// stopping when the queue is full or output is stopped. Returns the
    /// bytes of `data` consumed.
    pub fn write_output(&mut self, data: &[u8]) -> usize {
        let mut n = 0;
        for &c in data {
            if self.stopped || self.out.len() + 2 > OUTPUT_MAX {
                break;
            }
            self.output_char(c);
            n += 1;
        }
        n
    }

    /// Whether a slave write could make progress (slave POLLOUT).
    pub fn output_room(&self) -> bool {
        !self.stopped && self.out.len() + 2 <= OUTPUT_MAX
    }

    /// Unread output bytes (what the master can read).
    pub fn output_len(&self) -> usize {
        self.out.len()
    }

    /// Takes output for the master.
    pub fn take_output(&mut self, buf: &mut [u8]) -> usize {
        let n = self.out.len().min(buf.len());
        for (i, b) in self.out.drain(..n).enumerate() {
            buf[i] = b;
        }
        n
    }

    /// Stops or restarts output (Linux's `stop_tty`/`start_tty`).
    pub fn set_stopped(&mut self, stop: bool) {
        if self.stopped == stop {
            return;
        }
        self.stopped = stop;
        if stop {
            self.pktstatus = (self.pktstatus & !TIOCPKT_START) | TIOCPKT_STOP;
        } else {
            self.pktstatus = (self.pktstatus & !TIOCPKT_STOP) | TIOCPKT_START;
        }
    }

    /// Discards unread input, the line being edited included.
    pub fn flush_input(&mut self) {
        self.cooked.clear();
        self.lines.clear();
        self.line.clear();
        self.lnext = false;
    }

    /// Discards output the master has not read.
    pub fn flush_output(&mut self) {
        self.out.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld() -> Ldisc {
        Ldisc::default()
    }

    fn out(l: &mut Ldisc) -> Vec<u8> {
        let mut b = vec![0; OUTPUT_MAX];
        let n = l.take_output(&mut b);
        b.truncate(n);
        b
    }

    fn read(l: &mut Ldisc) -> Option<Vec<u8>> {
        let mut b = vec![0; 8192];
        let n = l.read(&mut b)?;
        b.truncate(n);
        Some(b)
    }

    #[test]
    fn canonical_line_is_readable_only_after_newline() {
        let mut l = ld();
        l.receive(b"abc");
        assert!(!l.readable());
        assert_eq!(read(&mut l), None);
        l.receive(b"\n");
        assert_eq!(read(&mut l), Some(b"abc\n".to_vec()));
    }

    #[test]
    fn canonical_read_returns_one_line_at_a_time() {
        let mut l = ld();
        l.receive(b"one\ntwo\n");
        assert_eq!(read(&mut l), Some(b"one\n".to_vec()));
        assert_eq!(read(&mut l), Some(b"two\n".to_vec()));
    }

    #[test]
    fn short_canonical_read_leaves_the_rest_of_the_line() {
        let mut l = ld();
        l.receive(b"hello\n");
        let mut b = [0u8; 2];
        assert_eq!(l.read(&mut b), Some(2));
        assert_eq!(&b, b"he");
        assert_eq!(read(&mut l), Some(b"llo\n".to_vec()));
    }

    #[test]
    fn erase_removes_last_char_and_echoes_backspace_space_backspace() {
        let mut l = ld();
        l.receive(b"ab\x7f");
        assert_eq!(out(&mut l), b"ab\x08 \x08");
        l.receive(b"c\n");
        assert_eq!(read(&mut l), Some(b"ac\n".to_vec()));
    }

    #[test]
    fn erase_on_empty_line_echoes_nothing() {
        let mut l = ld();
        l.receive(b"\x7f\x7fx\n");
        assert_eq!(read(&mut l), Some(b"x\n".to_vec()));
        assert_eq!(out(&mut l), b"x\r\n");
    }

    #[test]
    fn erase_without_echoe_echoes_the_erase_char() {
        let mut l = ld();
        l.termios.c_lflag &= !ECHOE;
        l.receive(b"ab\x7f");
        assert_eq!(out(&mut l), b"ab^?");
    }

    #[test]
    fn erase_of_control_char_with_echoctl_erases_two_columns() {
        let mut l = ld();
        l.receive(b"a\x01\x7f");
        assert_eq!(out(&mut l), b"a^A\x08 \x08\x08 \x08");
    }

    #[test]
    fn erase_removes_whole_utf8_character_with_iutf8() {
        let mut l = ld();
        l.receive("aé".as_bytes());
        l.receive(b"\x7f\n");
        assert_eq!(read(&mut l), Some(b"a\n".to_vec()));
        let o = out(&mut l);
        assert!(o.ends_with(b"\x08 \x08\r\n") && !o.ends_with(b"\x08 \x08\x08 \x08\r\n"), "{o:?}");
    }

    #[test]
    fn erase_removes_one_byte_without_iutf8() {
        let mut l = ld();
        l.termios.c_iflag &= !IUTF8;
        l.receive("aé".as_bytes());
        l.receive(b"\x7f\n");
        assert_eq!(read(&mut l), Some(vec![b'a', 0xc3, b'\n']));
    }

    #[test]
    fn erase_of_tab_backs_up_to_tab_start() {
        let mut l = ld();
        l.receive(b"ab\t");
        out(&mut l);
        l.receive(b"\x7f");
        assert_eq!(out(&mut l), b"\x08\x08\x08\x08\x08\x08");
    }

    #[test]
    fn kill_erases_the_line_visually_with_echoke() {
        let mut l = ld();
        l.receive(b"abc\x15");
        assert_eq!(out(&mut l), b"abc\x08 \x08\x08 \x08\x08 \x08");
        l.receive(b"d\n");
        assert_eq!(read(&mut l), Some(b"d\n".to_vec()));
    }

    #[test]
    fn kill_with_echok_but_no_echoke_echoes_kill_char_and_newline() {
        let mut l = ld();
        l.termios.c_lflag &= !ECHOKE;
        l.receive(b"abc\x15");
        assert_eq!(out(&mut l), b"abc^U\r\n");
        l.receive(b"x\n");
        assert_eq!(read(&mut l), Some(b"x\n".to_vec()));
    }

    #[test]
    fn werase_erases_trailing_spaces_and_the_last_word() {
        let mut l = ld();
        l.receive(b"foo bar  \x17\n");
        assert_eq!(read(&mut l), Some(b"foo \n".to_vec()));
    }

    #[test]
    fn werase_stops_at_punctuation() {
        let mut l = ld();
        l.receive(b"foo-bar\x17\n");
        assert_eq!(read(&mut l), Some(b"foo-\n".to_vec()));
    }

    #[test]
    fn werase_needs_iexten() {
        let mut l = ld();
        l.termios.c_lflag &= !IEXTEN;
        l.receive(b"foo\x17\n");
        assert_eq!(read(&mut l), Some(b"foo\x17\n".to_vec()));
    }

    #[test]
    fn eof_at_line_start_reads_as_zero() {
        let mut l = ld();
        l.receive(b"\x04");
        assert_eq!(read(&mut l), Some(vec![]));
        assert_eq!(read(&mut l), None);
    }

    #[test]
    fn eof_mid_line_returns_partial_line_without_eof_char() {
        let mut l = ld();
        l.receive(b"abc\x04");
        assert_eq!(read(&mut l), Some(b"abc".to_vec()));
        assert_eq!(read(&mut l), None, "the ^D is consumed");
        assert_eq!(out(&mut l), b"abc", "VEOF is not echoed");
    }

    #[test]
    fn eol_and_eol2_terminate_lines() {
        let mut l = ld();
        l.termios.c_cc[VEOL] = b';';
        l.termios.c_cc[VEOL2] = b'#';
        l.receive(b"a;b#");
        assert_eq!(read(&mut l), Some(b"a;".to_vec()));
        assert_eq!(read(&mut l), Some(b"b#".to_vec()));
    }

    #[test]
    fn lnext_quotes_the_next_character() {
        let mut l = ld();
        l.receive(b"a\x16\x7f\x16\x03\n");
        assert_eq!(read(&mut l), Some(b"a\x7f\x03\n".to_vec()));
        assert_eq!(out(&mut l), b"a^\x08^?^\x08^C\r\n");
    }

    #[test]
    fn reprint_echoes_the_line_again() {
        let mut l = ld();
        l.receive(b"ab\x12");
        assert_eq!(out(&mut l), b"ab^R\r\nab");
    }

    #[test]
    fn canonical_line_is_limited_to_4095_bytes_plus_newline() {
        let mut l = ld();
        l.receive(&[b'x'; 5000]);
        l.receive(b"\n");
        let line = read(&mut l).unwrap();
        assert_eq!(line.len(), LINE_MAX + 1);
        assert_eq!(line.last(), Some(&b'\n'));
    }

    #[test]
    fn icrnl_maps_cr_to_newline() {
        let mut l = ld();
        l.receive(b"hi\r");
        assert_eq!(read(&mut l), Some(b"hi\n".to_vec()));
    }

    #[test]
    fn igncr_drops_cr_and_inlcr_maps_newline_to_cr() {
        let mut l = ld();
        l.set_termios(termios { c_lflag: 0, c_iflag: IGNCR | INLCR, ..termios::linux_default() });
        l.receive(b"a\rb\n");
        assert_eq!(read(&mut l), Some(b"ab\r".to_vec()));
    }

    #[test]
    fn istrip_clears_the_high_bit() {
        let mut l = ld();
        l.set_termios(termios { c_lflag: 0, c_iflag: ISTRIP, ..termios::linux_default() });
        l.receive(&[0xc1]);
        assert_eq!(read(&mut l), Some(vec![0x41]));
    }

    #[test]
    fn echo_of_newline_is_crlf_with_onlcr() {
        let mut l = ld();
        l.receive(b"a\n");
        assert_eq!(out(&mut l), b"a\r\n");
    }

    #[test]
    fn echonl_echoes_newline_without_echo() {
        let mut l = ld();
        l.termios.c_lflag &= !ECHO;
        l.termios.c_lflag |= ECHONL;
        l.receive(b"secret\n");
        assert_eq!(out(&mut l), b"\r\n");
    }

    #[test]
    fn no_echo_without_echo_flag() {
        let mut l = ld();
        l.termios.c_lflag &= !ECHO;
        l.receive(b"pw\n");
        assert_eq!(out(&mut l), b"");
        assert_eq!(read(&mut l), Some(b"pw\n".to_vec()));
    }

    #[test]
    fn raw_mode_echoes_control_chars_as_caret_notation() {
        let mut l = ld();
        l.set_termios(termios { c_lflag: ECHO | ECHOCTL, ..termios::linux_default() });
        l.receive(b"a\x01\n");
        assert_eq!(out(&mut l), b"a^A^J");
        assert_eq!(read(&mut l), Some(b"a\x01\n".to_vec()));
    }

    #[test]
    fn raw_mode_echoes_cr_mapped_by_icrnl_as_a_real_newline() {
        let mut l = ld();
        l.set_termios(termios { c_lflag: ECHO | ECHOCTL, ..termios::linux_default() });
        l.receive(b"a\r");
        assert_eq!(out(&mut l), b"a\r\n");
    }

    #[test]
    fn intr_raises_sigint_and_flushes_input() {
        let mut l = ld();
        l.receive(b"done\n");
        let r = l.receive(b"abc\x03");
        assert_eq!(r.signals, vec![SIGINT]);
        assert_eq!(read(&mut l), None, "input flushed");
        assert_eq!(out(&mut l), b"done\r\n^C", "earlier output stays, this batch's echoes go");
    }

    #[test]
    fn noflsh_keeps_input_on_signal() {
        let mut l = ld();
        l.termios.c_lflag |= NOFLSH;
        l.receive(b"ab\x1c");
        l.receive(b"\n");
        assert_eq!(read(&mut l), Some(b"ab\n".to_vec()));
    }

    #[test]
    fn quit_and_susp_raise_sigquit_and_sigtstp() {
        let mut l = ld();
        assert_eq!(l.receive(b"\x1c\x1a").signals, vec![SIGQUIT, SIGTSTP]);
    }

    #[test]
    fn signal_chars_are_data_without_isig() {
        let mut l = ld();
        l.termios.c_lflag &= !ISIG;
        assert!(l.receive(b"\x03\n").signals.is_empty());
        assert_eq!(read(&mut l), Some(b"\x03\n".to_vec()));
    }

    #[test]
    fn disabled_cc_slot_matches_nothing() {
        let mut l = ld();
        l.termios.c_cc[VINTR] = 0;
        assert!(l.receive(b"\x00\x03\n").signals.is_empty());
    }

    #[test]
    fn opost_onlcr_and_ocrnl() {
        let mut l = ld();
        l.write_output(b"a\nb");
        assert_eq!(out(&mut l), b"a\r\nb");
        l.termios.c_oflag = OPOST | OCRNL;
        l.write_output(b"x\ry");
        assert_eq!(out(&mut l), b"x\ny");
    }

    #[test]
    fn output_is_untouched_without_opost() {
        let mut l = ld();
        l.termios.c_oflag = ONLCR;
        l.write_output(b"a\n");
        assert_eq!(out(&mut l), b"a\n");
    }

    #[test]
    fn onocr_drops_cr_at_column_zero() {
        let mut l = ld();
        l.termios.c_oflag = OPOST | ONOCR;
        l.write_output(b"\rab\r");
        assert_eq!(out(&mut l), b"ab\r");
    }

    #[test]
    fn ixon_stop_and_start_gate_output() {
        let mut l = ld();
        l.receive(b"\x13");
        assert_eq!(l.write_output(b"x"), 0);
        l.receive(b"\x11");
        assert_eq!(l.write_output(b"x"), 1);
    }

    #[test]
    fn raw_input_stops_at_buffer_size() {
        let mut l = ld();
        l.set_termios(termios { c_lflag: 0, ..termios::linux_default() });
        let r = l.receive(&[b'z'; INPUT_MAX + 10]);
        assert_eq!(r.consumed, INPUT_MAX);
        assert!(!l.input_room());
    }

    #[test]
    fn switching_to_raw_makes_partial_line_readable() {
        let mut l = ld();
        l.receive(b"part");
        let t = l.termios;
        l.set_termios(termios { c_lflag: t.c_lflag & !ICANON, ..t });
        assert_eq!(read(&mut l), Some(b"part".to_vec()));
    }

    #[test]
    fn switching_to_canonical_turns_raw_input_into_a_line() {
        let mut l = ld();
        let t = l.termios;
        l.set_termios(termios { c_lflag: 0, ..t });
        l.receive(b"xy");
        l.set_termios(t);
        assert_eq!(read(&mut l), Some(b"xy".to_vec()));
    }

    #[test]
    fn poll_readable_waits_for_vmin_when_vtime_is_zero() {
        let mut l = ld();
        let mut t = termios { c_lflag: 0, ..termios::linux_default() };
        t.c_cc[VMIN] = 3;
        l.set_termios(t);
        l.receive(b"ab");
        assert!(!l.poll_readable());
        l.receive(b"c");
        assert!(l.poll_readable());
    }
}
