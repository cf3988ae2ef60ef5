//! Behaviour tests of the VFS syscalls, by family.

mod dir_tests;
mod open_tests;
mod path_tests;
