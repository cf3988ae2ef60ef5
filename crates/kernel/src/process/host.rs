//! The host's entry points.
