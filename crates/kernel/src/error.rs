//! Kernel errors: what the guest sees (an [`Errno`]) plus, for us, a static
//! message and the place that raised it. Allocation-free.

use core::fmt;
use core::panic::Location;
use wasmpod_abi::Errno;

/// How an interrupted blocking call continues after a signal
/// (signal(7), "Interruption of system calls and library functions by
/// signal handlers").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    /// Plain error: never restarted.
    No,
    /// Linux's `ERESTARTSYS`: restarted if the handler has `SA_RESTART` (or
    /// no handler ran), else `EINTR`.
    IfSaRestart,
    /// Linux's `ERESTARTNOHAND`: restarted only if no handler ran (stop and
    /// continue, ignored signals); `EINTR` after a handler regardless of
    /// `SA_RESTART` (nanosleep, poll, sigsuspend, pause, ...).
    IfNoHandler,
}

/// A failed kernel operation.
#[derive(Clone, Copy)]
pub struct Error {
    errno: Errno,
    msg: &'static str,
    location: &'static Location<'static>,
    restart: Restart,
}

impl Error {
    #[track_caller]
    pub fn new(errno: Errno, msg: &'static str) -> Self {
        Error { errno, msg, location: Location::caller(), restart: Restart::No }
    }

    /// An interrupted blocking call (`EINTR` unless restarted).
    #[track_caller]
    pub fn interrupted(restart: Restart) -> Self {
        Error { errno: Errno::EINTR, msg: "interrupted by a signal", location: Location::caller(), restart }
    }

    pub fn errno(&self) -> Errno {
        self.errno
    }
    pub fn msg(&self) -> &'static str {
        self.msg
    }
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }
    pub fn restart(&self) -> Restart {
        self.restart
    }
}

impl From<Errno> for Error {
    #[track_caller]
    fn from(e: Errno) -> Self {
        Error::new(e, "")
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} at {}:{}", self.errno.name(), self.msg, self.location.file(), self.location.line())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.msg.is_empty() {
            write!(f, "{}", self.errno.name())
        } else {
            write!(f, "{}: {}", self.errno.name(), self.msg)
        }
    }
}

impl PartialEq<Errno> for Error {
    fn eq(&self, other: &Errno) -> bool {
        self.errno == *other
    }
}

pub type Result<T> = core::result::Result<T, Error>;

/// Builds an [`Error`]: `errno!(EINVAL, "pipe2: unknown flags")`.
#[macro_export]
macro_rules! errno {
    ($e:ident) => {
        $crate::error::Error::new(wasmpod_abi::Errno::$e, "")
    };
    ($e:ident, $msg:expr) => {
        $crate::error::Error::new(wasmpod_abi::Errno::$e, $msg)
    };
}

/// Returns an [`Error`] from the current function.
#[macro_export]
macro_rules! return_errno {
    ($e:ident) => {
        return Err($crate::errno!($e))
    };
    ($e:ident, $msg:expr) => {
        return Err($crate::errno!($e, $msg))
    };
}
