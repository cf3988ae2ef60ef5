//! Helpers shared by the integration tests (each test file that needs them
//! has `mod common;`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A `wasmpod serve` child process, killed when dropped.
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
}

impl Served {
    /// The server's process id (not every test crate asks).
    #[allow(dead_code)]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `wasmpod serve --port 0 --quiet ARGS…` and reads the URL it prints.
pub fn serve(args: &[&std::ffi::OsStr]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmpod"))
        .args(["serve", "--port", "0", "--quiet"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wasmpod serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the URL line");
    let base = line.trim().strip_prefix("serving on ").expect("URL line").trim_end_matches('/').to_string();
    Served { child, base }
}
