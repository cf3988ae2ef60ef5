//! Behaviour tests of the VFS syscalls, by family.

mod attr_tests;
mod cwd_tests;
mod dir_tests;
mod link_tests;
mod open_tests;
mod path_tests;
mod rename_tests;
