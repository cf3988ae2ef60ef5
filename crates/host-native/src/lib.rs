//! The parts of the `wasmpod` CLI that tests use directly: the host-directory
//! filesystem (`--root DIR`, `--mount HOST:GUEST`) and the `serve` HTTP server.

pub mod civil;
pub mod hostfs;
pub mod serve;
