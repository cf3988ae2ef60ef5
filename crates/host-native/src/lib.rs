//! The parts of the `wasmpod` CLI that tests use directly: the host-directory
//! filesystem (`--root DIR`, `--mount HOST:GUEST`).

pub mod hostfs;
