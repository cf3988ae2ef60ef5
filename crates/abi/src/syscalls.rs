//! System call numbers and names.
//!
//! wasmpod numbers its calls like Linux's asm-generic table with 64-bit
//! semantics (the aarch64/riscv64 table): every time-carrying call already
//! takes 64-bit `time_t`, there is no legacy `open`/`stat`/`select`, and
//! `lseek`, `fcntl`, `statfs`, `truncate`, `sendfile`, `fstat` and
//! `newfstatat` take 64-bit offsets and structs. The 32-bit `*_time64`
//! numbers (403–423, as riscv32 uses them) are accepted as aliases of the
//! same calls, so a libc built either way works.
//!
//! Numbers from 1024 up are wasmpod's own calls (vfork, spawn), which have no
//! Linux number because Linux does them differently.
//!
//! The guest normally reaches a call through a named import
//! (`env.__syscall_<name>`, ARCHITECTURE §3); the numbers serve the generic
//! `__syscall(nr, ...)` import, the syscall table, traces and docs.

/// The first number of wasmpod's own calls.
pub const WASMPOD_BASE: u32 = 1024;

pub const SYS_io_setup: u32 = 0;
pub const SYS_io_destroy: u32 = 1;
pub const SYS_io_submit: u32 = 2;
pub const SYS_io_cancel: u32 = 3;
pub const SYS_io_getevents: u32 = 4;
pub const SYS_setxattr: u32 = 5;
pub const SYS_lsetxattr: u32 = 6;
pub const SYS_fsetxattr: u32 = 7;
pub const SYS_getxattr: u32 = 8;
pub const SYS_lgetxattr: u32 = 9;
pub const SYS_fgetxattr: u32 = 10;
pub const SYS_listxattr: u32 = 11;
pub const SYS_llistxattr: u32 = 12;
pub const SYS_flistxattr: u32 = 13;
pub const SYS_removexattr: u32 = 14;
pub const SYS_lremovexattr: u32 = 15;
pub const SYS_fremovexattr: u32 = 16;
pub const SYS_getcwd: u32 = 17;
pub const SYS_lookup_dcookie: u32 = 18;
pub const SYS_eventfd2: u32 = 19;
pub const SYS_epoll_create1: u32 = 20;
pub const SYS_epoll_ctl: u32 = 21;
pub const SYS_epoll_pwait: u32 = 22;
pub const SYS_dup: u32 = 23;
pub const SYS_dup3: u32 = 24;
pub const SYS_fcntl: u32 = 25;
pub const SYS_inotify_init1: u32 = 26;
pub const SYS_inotify_add_watch: u32 = 27;
pub const SYS_inotify_rm_watch: u32 = 28;
pub const SYS_ioctl: u32 = 29;
pub const SYS_ioprio_set: u32 = 30;
pub const SYS_ioprio_get: u32 = 31;
pub const SYS_flock: u32 = 32;
pub const SYS_mknodat: u32 = 33;
pub const SYS_mkdirat: u32 = 34;
pub const SYS_unlinkat: u32 = 35;
pub const SYS_symlinkat: u32 = 36;
pub const SYS_linkat: u32 = 37;
pub const SYS_renameat: u32 = 38;
pub const SYS_umount2: u32 = 39;
pub const SYS_mount: u32 = 40;
pub const SYS_pivot_root: u32 = 41;
pub const SYS_nfsservctl: u32 = 42;
pub const SYS_statfs: u32 = 43;
pub const SYS_fstatfs: u32 = 44;
pub const SYS_truncate: u32 = 45;
pub const SYS_ftruncate: u32 = 46;
pub const SYS_fallocate: u32 = 47;
pub const SYS_faccessat: u32 = 48;
pub const SYS_chdir: u32 = 49;
pub const SYS_fchdir: u32 = 50;
pub const SYS_chroot: u32 = 51;
pub const SYS_fchmod: u32 = 52;
pub const SYS_fchmodat: u32 = 53;
pub const SYS_fchownat: u32 = 54;
pub const SYS_fchown: u32 = 55;
pub const SYS_openat: u32 = 56;
pub const SYS_close: u32 = 57;
pub const SYS_vhangup: u32 = 58;
pub const SYS_pipe2: u32 = 59;
pub const SYS_quotactl: u32 = 60;
pub const SYS_getdents64: u32 = 61;
pub const SYS_lseek: u32 = 62;
pub const SYS_read: u32 = 63;
pub const SYS_write: u32 = 64;
pub const SYS_readv: u32 = 65;
pub const SYS_writev: u32 = 66;
pub const SYS_pread64: u32 = 67;
pub const SYS_pwrite64: u32 = 68;
pub const SYS_preadv: u32 = 69;
pub const SYS_pwritev: u32 = 70;
pub const SYS_sendfile: u32 = 71;
pub const SYS_pselect6: u32 = 72;
pub const SYS_ppoll: u32 = 73;
pub const SYS_signalfd4: u32 = 74;
pub const SYS_vmsplice: u32 = 75;
pub const SYS_splice: u32 = 76;
pub const SYS_tee: u32 = 77;
pub const SYS_readlinkat: u32 = 78;
pub const SYS_newfstatat: u32 = 79;
pub const SYS_fstat: u32 = 80;
pub const SYS_sync: u32 = 81;
pub const SYS_fsync: u32 = 82;
pub const SYS_fdatasync: u32 = 83;
pub const SYS_sync_file_range: u32 = 84;
pub const SYS_timerfd_create: u32 = 85;
pub const SYS_timerfd_settime: u32 = 86;
pub const SYS_timerfd_gettime: u32 = 87;
pub const SYS_utimensat: u32 = 88;
pub const SYS_acct: u32 = 89;
pub const SYS_capget: u32 = 90;
pub const SYS_capset: u32 = 91;
pub const SYS_personality: u32 = 92;
pub const SYS_exit: u32 = 93;
pub const SYS_exit_group: u32 = 94;
pub const SYS_waitid: u32 = 95;
pub const SYS_set_tid_address: u32 = 96;
pub const SYS_unshare: u32 = 97;
pub const SYS_futex: u32 = 98;
pub const SYS_set_robust_list: u32 = 99;
pub const SYS_get_robust_list: u32 = 100;
pub const SYS_nanosleep: u32 = 101;
pub const SYS_getitimer: u32 = 102;
pub const SYS_setitimer: u32 = 103;
pub const SYS_kexec_load: u32 = 104;
pub const SYS_init_module: u32 = 105;
pub const SYS_delete_module: u32 = 106;
pub const SYS_timer_create: u32 = 107;
pub const SYS_timer_gettime: u32 = 108;
pub const SYS_timer_getoverrun: u32 = 109;
pub const SYS_timer_settime: u32 = 110;
pub const SYS_timer_delete: u32 = 111;
pub const SYS_clock_settime: u32 = 112;
pub const SYS_clock_gettime: u32 = 113;
pub const SYS_clock_getres: u32 = 114;
pub const SYS_clock_nanosleep: u32 = 115;
pub const SYS_syslog: u32 = 116;
pub const SYS_ptrace: u32 = 117;
pub const SYS_sched_setparam: u32 = 118;
pub const SYS_sched_setscheduler: u32 = 119;
pub const SYS_sched_getscheduler: u32 = 120;
pub const SYS_sched_getparam: u32 = 121;
pub const SYS_sched_setaffinity: u32 = 122;
pub const SYS_sched_getaffinity: u32 = 123;
pub const SYS_sched_yield: u32 = 124;
pub const SYS_sched_get_priority_max: u32 = 125;
pub const SYS_sched_get_priority_min: u32 = 126;
pub const SYS_sched_rr_get_interval: u32 = 127;
pub const SYS_restart_syscall: u32 = 128;
pub const SYS_kill: u32 = 129;
pub const SYS_tkill: u32 = 130;
pub const SYS_tgkill: u32 = 131;
pub const SYS_sigaltstack: u32 = 132;
pub const SYS_rt_sigsuspend: u32 = 133;
pub const SYS_rt_sigaction: u32 = 134;
pub const SYS_rt_sigprocmask: u32 = 135;
pub const SYS_rt_sigpending: u32 = 136;
pub const SYS_rt_sigtimedwait: u32 = 137;
pub const SYS_rt_sigqueueinfo: u32 = 138;
pub const SYS_rt_sigreturn: u32 = 139;
pub const SYS_setpriority: u32 = 140;
pub const SYS_getpriority: u32 = 141;
pub const SYS_reboot: u32 = 142;
pub const SYS_setregid: u32 = 143;
pub const SYS_setgid: u32 = 144;
pub const SYS_setreuid: u32 = 145;
pub const SYS_setuid: u32 = 146;
pub const SYS_setresuid: u32 = 147;
pub const SYS_getresuid: u32 = 148;
pub const SYS_setresgid: u32 = 149;
pub const SYS_getresgid: u32 = 150;
pub const SYS_setfsuid: u32 = 151;
pub const SYS_setfsgid: u32 = 152;
pub const SYS_times: u32 = 153;
pub const SYS_setpgid: u32 = 154;
pub const SYS_getpgid: u32 = 155;
pub const SYS_getsid: u32 = 156;
pub const SYS_setsid: u32 = 157;
pub const SYS_getgroups: u32 = 158;
pub const SYS_setgroups: u32 = 159;
pub const SYS_uname: u32 = 160;
pub const SYS_sethostname: u32 = 161;
pub const SYS_setdomainname: u32 = 162;
pub const SYS_getrlimit: u32 = 163;
pub const SYS_setrlimit: u32 = 164;
pub const SYS_getrusage: u32 = 165;
pub const SYS_umask: u32 = 166;
pub const SYS_prctl: u32 = 167;
pub const SYS_getcpu: u32 = 168;
pub const SYS_gettimeofday: u32 = 169;
pub const SYS_settimeofday: u32 = 170;
pub const SYS_adjtimex: u32 = 171;
pub const SYS_getpid: u32 = 172;
pub const SYS_getppid: u32 = 173;
pub const SYS_getuid: u32 = 174;
pub const SYS_geteuid: u32 = 175;
pub const SYS_getgid: u32 = 176;
pub const SYS_getegid: u32 = 177;
pub const SYS_gettid: u32 = 178;
pub const SYS_sysinfo: u32 = 179;
pub const SYS_mq_open: u32 = 180;
pub const SYS_mq_unlink: u32 = 181;
pub const SYS_mq_timedsend: u32 = 182;
pub const SYS_mq_timedreceive: u32 = 183;
pub const SYS_mq_notify: u32 = 184;
pub const SYS_mq_getsetattr: u32 = 185;
pub const SYS_msgget: u32 = 186;
pub const SYS_msgctl: u32 = 187;
pub const SYS_msgrcv: u32 = 188;
pub const SYS_msgsnd: u32 = 189;
pub const SYS_semget: u32 = 190;
pub const SYS_semctl: u32 = 191;
pub const SYS_semtimedop: u32 = 192;
pub const SYS_semop: u32 = 193;
pub const SYS_shmget: u32 = 194;
pub const SYS_shmctl: u32 = 195;
pub const SYS_shmat: u32 = 196;
pub const SYS_shmdt: u32 = 197;
pub const SYS_socket: u32 = 198;
pub const SYS_socketpair: u32 = 199;
pub const SYS_bind: u32 = 200;
pub const SYS_listen: u32 = 201;
pub const SYS_accept: u32 = 202;
pub const SYS_connect: u32 = 203;
pub const SYS_getsockname: u32 = 204;
pub const SYS_getpeername: u32 = 205;
pub const SYS_sendto: u32 = 206;
pub const SYS_recvfrom: u32 = 207;
pub const SYS_setsockopt: u32 = 208;
pub const SYS_getsockopt: u32 = 209;
pub const SYS_shutdown: u32 = 210;
pub const SYS_sendmsg: u32 = 211;
pub const SYS_recvmsg: u32 = 212;
pub const SYS_readahead: u32 = 213;
pub const SYS_brk: u32 = 214;
pub const SYS_munmap: u32 = 215;
pub const SYS_mremap: u32 = 216;
pub const SYS_add_key: u32 = 217;
pub const SYS_request_key: u32 = 218;
pub const SYS_keyctl: u32 = 219;
pub const SYS_clone: u32 = 220;
pub const SYS_execve: u32 = 221;
pub const SYS_mmap: u32 = 222;
pub const SYS_fadvise64: u32 = 223;
pub const SYS_swapon: u32 = 224;
pub const SYS_swapoff: u32 = 225;
pub const SYS_mprotect: u32 = 226;
pub const SYS_msync: u32 = 227;
pub const SYS_mlock: u32 = 228;
pub const SYS_munlock: u32 = 229;
pub const SYS_mlockall: u32 = 230;
pub const SYS_munlockall: u32 = 231;
pub const SYS_mincore: u32 = 232;
pub const SYS_madvise: u32 = 233;
pub const SYS_remap_file_pages: u32 = 234;
pub const SYS_mbind: u32 = 235;
pub const SYS_get_mempolicy: u32 = 236;
pub const SYS_set_mempolicy: u32 = 237;
pub const SYS_migrate_pages: u32 = 238;
pub const SYS_move_pages: u32 = 239;
pub const SYS_rt_tgsigqueueinfo: u32 = 240;
pub const SYS_perf_event_open: u32 = 241;
pub const SYS_accept4: u32 = 242;
pub const SYS_recvmmsg: u32 = 243;
pub const SYS_wait4: u32 = 260;
pub const SYS_prlimit64: u32 = 261;
pub const SYS_fanotify_init: u32 = 262;
pub const SYS_fanotify_mark: u32 = 263;
pub const SYS_name_to_handle_at: u32 = 264;
pub const SYS_open_by_handle_at: u32 = 265;
pub const SYS_clock_adjtime: u32 = 266;
pub const SYS_syncfs: u32 = 267;
pub const SYS_setns: u32 = 268;
pub const SYS_sendmmsg: u32 = 269;
pub const SYS_process_vm_readv: u32 = 270;
pub const SYS_process_vm_writev: u32 = 271;
pub const SYS_kcmp: u32 = 272;
pub const SYS_finit_module: u32 = 273;
pub const SYS_sched_setattr: u32 = 274;
pub const SYS_sched_getattr: u32 = 275;
pub const SYS_renameat2: u32 = 276;
pub const SYS_seccomp: u32 = 277;
pub const SYS_getrandom: u32 = 278;
pub const SYS_memfd_create: u32 = 279;
pub const SYS_bpf: u32 = 280;
pub const SYS_execveat: u32 = 281;
pub const SYS_userfaultfd: u32 = 282;
pub const SYS_membarrier: u32 = 283;
pub const SYS_mlock2: u32 = 284;
pub const SYS_copy_file_range: u32 = 285;
pub const SYS_preadv2: u32 = 286;
pub const SYS_pwritev2: u32 = 287;
pub const SYS_pkey_mprotect: u32 = 288;
pub const SYS_pkey_alloc: u32 = 289;
pub const SYS_pkey_free: u32 = 290;
pub const SYS_statx: u32 = 291;
pub const SYS_io_pgetevents: u32 = 292;
pub const SYS_rseq: u32 = 293;
pub const SYS_kexec_file_load: u32 = 294;
pub const SYS_pidfd_send_signal: u32 = 424;
pub const SYS_io_uring_setup: u32 = 425;
pub const SYS_io_uring_enter: u32 = 426;
pub const SYS_io_uring_register: u32 = 427;
pub const SYS_open_tree: u32 = 428;
pub const SYS_move_mount: u32 = 429;
pub const SYS_fsopen: u32 = 430;
pub const SYS_fsconfig: u32 = 431;
pub const SYS_fsmount: u32 = 432;
pub const SYS_fspick: u32 = 433;
pub const SYS_pidfd_open: u32 = 434;
pub const SYS_clone3: u32 = 435;
pub const SYS_close_range: u32 = 436;
pub const SYS_openat2: u32 = 437;
pub const SYS_pidfd_getfd: u32 = 438;
pub const SYS_faccessat2: u32 = 439;
pub const SYS_process_madvise: u32 = 440;
pub const SYS_epoll_pwait2: u32 = 441;
pub const SYS_mount_setattr: u32 = 442;
pub const SYS_quotactl_fd: u32 = 443;
pub const SYS_landlock_create_ruleset: u32 = 444;
pub const SYS_landlock_add_rule: u32 = 445;
pub const SYS_landlock_restrict_self: u32 = 446;
pub const SYS_memfd_secret: u32 = 447;
pub const SYS_process_mrelease: u32 = 448;
pub const SYS_futex_waitv: u32 = 449;
pub const SYS_set_mempolicy_home_node: u32 = 450;
pub const SYS_cachestat: u32 = 451;
pub const SYS_fchmodat2: u32 = 452;
pub const SYS_map_shadow_stack: u32 = 453;
pub const SYS_futex_wake: u32 = 454;
pub const SYS_futex_wait: u32 = 455;
pub const SYS_futex_requeue: u32 = 456;
pub const SYS_statmount: u32 = 457;
pub const SYS_listmount: u32 = 458;
pub const SYS_lsm_get_self_attr: u32 = 459;
pub const SYS_lsm_set_self_attr: u32 = 460;
pub const SYS_lsm_list_modules: u32 = 461;
pub const SYS_mseal: u32 = 462;

// wasmpod's own calls.
/// vfork: the caller's thread continues as the child until execve/_exit (ARCHITECTURE §4).
pub const SYS_vfork: u32 = 1024;
/// posix_spawn as one call: path, file actions and attributes in one go.
pub const SYS_spawn: u32 = 1025;
/// Program start: sets up the memory map and writes the startup block
/// (argc, argv, envp, auxv) at the given `__heap_base` (docs/program-abi.md).
pub const SYS_wasmpod_startup: u32 = 1026;

// 32-bit time64 aliases (riscv32 numbering).
pub const SYS_clock_gettime64: u32 = 403;
pub const SYS_clock_settime64: u32 = 404;
pub const SYS_clock_adjtime64: u32 = 405;
pub const SYS_clock_getres_time64: u32 = 406;
pub const SYS_clock_nanosleep_time64: u32 = 407;
pub const SYS_timer_gettime64: u32 = 408;
pub const SYS_timer_settime64: u32 = 409;
pub const SYS_timerfd_gettime64: u32 = 410;
pub const SYS_timerfd_settime64: u32 = 411;
pub const SYS_utimensat_time64: u32 = 412;
pub const SYS_pselect6_time64: u32 = 413;
pub const SYS_ppoll_time64: u32 = 414;
pub const SYS_io_pgetevents_time64: u32 = 416;
pub const SYS_recvmmsg_time64: u32 = 417;
pub const SYS_mq_timedsend_time64: u32 = 418;
pub const SYS_mq_timedreceive_time64: u32 = 419;
pub const SYS_semtimedop_time64: u32 = 420;
pub const SYS_rt_sigtimedwait_time64: u32 = 421;
pub const SYS_futex_time64: u32 = 422;
pub const SYS_sched_rr_get_interval_time64: u32 = 423;

/// `(number, name)` of every call in the table, in numeric order, including
/// wasmpod's own. Aliases are listed separately in [`TIME64_ALIASES`].
pub const SYSCALLS: &[(u32, &str)] = &[
    (0, "io_setup"),
    (1, "io_destroy"),
    (2, "io_submit"),
    (3, "io_cancel"),
    (4, "io_getevents"),
    (5, "setxattr"),
    (6, "lsetxattr"),
    (7, "fsetxattr"),
    (8, "getxattr"),
    (9, "lgetxattr"),
    (10, "fgetxattr"),
    (11, "listxattr"),
    (12, "llistxattr"),
    (13, "flistxattr"),
    (14, "removexattr"),
    (15, "lremovexattr"),
    (16, "fremovexattr"),
    (17, "getcwd"),
    (18, "lookup_dcookie"),
    (19, "eventfd2"),
    (20, "epoll_create1"),
    (21, "epoll_ctl"),
    (22, "epoll_pwait"),
    (23, "dup"),
    (24, "dup3"),
    (25, "fcntl"),
    (26, "inotify_init1"),
    (27, "inotify_add_watch"),
    (28, "inotify_rm_watch"),
    (29, "ioctl"),
    (30, "ioprio_set"),
    (31, "ioprio_get"),
    (32, "flock"),
    (33, "mknodat"),
    (34, "mkdirat"),
    (35, "unlinkat"),
    (36, "symlinkat"),
    (37, "linkat"),
    (38, "renameat"),
    (39, "umount2"),
    (40, "mount"),
    (41, "pivot_root"),
    (42, "nfsservctl"),
    (43, "statfs"),
    (44, "fstatfs"),
    (45, "truncate"),
    (46, "ftruncate"),
    (47, "fallocate"),
    (48, "faccessat"),
    (49, "chdir"),
    (50, "fchdir"),
    (51, "chroot"),
    (52, "fchmod"),
    (53, "fchmodat"),
    (54, "fchownat"),
    (55, "fchown"),
    (56, "openat"),
    (57, "close"),
    (58, "vhangup"),
    (59, "pipe2"),
    (60, "quotactl"),
    (61, "getdents64"),
    (62, "lseek"),
    (63, "read"),
    (64, "write"),
    (65, "readv"),
    (66, "writev"),
    (67, "pread64"),
    (68, "pwrite64"),
    (69, "preadv"),
    (70, "pwritev"),
    (71, "sendfile"),
    (72, "pselect6"),
    (73, "ppoll"),
    (74, "signalfd4"),
    (75, "vmsplice"),
    (76, "splice"),
    (77, "tee"),
    (78, "readlinkat"),
    (79, "newfstatat"),
    (80, "fstat"),
    (81, "sync"),
    (82, "fsync"),
    (83, "fdatasync"),
    (84, "sync_file_range"),
    (85, "timerfd_create"),
    (86, "timerfd_settime"),
    (87, "timerfd_gettime"),
    (88, "utimensat"),
    (89, "acct"),
    (90, "capget"),
    (91, "capset"),
    (92, "personality"),
    (93, "exit"),
    (94, "exit_group"),
    (95, "waitid"),
    (96, "set_tid_address"),
    (97, "unshare"),
    (98, "futex"),
    (99, "set_robust_list"),
    (100, "get_robust_list"),
    (101, "nanosleep"),
    (102, "getitimer"),
    (103, "setitimer"),
    (104, "kexec_load"),
    (105, "init_module"),
    (106, "delete_module"),
    (107, "timer_create"),
    (108, "timer_gettime"),
    (109, "timer_getoverrun"),
    (110, "timer_settime"),
    (111, "timer_delete"),
    (112, "clock_settime"),
    (113, "clock_gettime"),
    (114, "clock_getres"),
    (115, "clock_nanosleep"),
    (116, "syslog"),
    (117, "ptrace"),
    (118, "sched_setparam"),
    (119, "sched_setscheduler"),
    (120, "sched_getscheduler"),
    (121, "sched_getparam"),
    (122, "sched_setaffinity"),
    (123, "sched_getaffinity"),
    (124, "sched_yield"),
    (125, "sched_get_priority_max"),
    (126, "sched_get_priority_min"),
    (127, "sched_rr_get_interval"),
    (128, "restart_syscall"),
    (129, "kill"),
    (130, "tkill"),
    (131, "tgkill"),
    (132, "sigaltstack"),
    (133, "rt_sigsuspend"),
    (134, "rt_sigaction"),
    (135, "rt_sigprocmask"),
    (136, "rt_sigpending"),
    (137, "rt_sigtimedwait"),
    (138, "rt_sigqueueinfo"),
    (139, "rt_sigreturn"),
    (140, "setpriority"),
    (141, "getpriority"),
    (142, "reboot"),
    (143, "setregid"),
    (144, "setgid"),
    (145, "setreuid"),
    (146, "setuid"),
    (147, "setresuid"),
    (148, "getresuid"),
    (149, "setresgid"),
    (150, "getresgid"),
    (151, "setfsuid"),
    (152, "setfsgid"),
    (153, "times"),
    (154, "setpgid"),
    (155, "getpgid"),
    (156, "getsid"),
    (157, "setsid"),
    (158, "getgroups"),
    (159, "setgroups"),
    (160, "uname"),
    (161, "sethostname"),
    (162, "setdomainname"),
    (163, "getrlimit"),
    (164, "setrlimit"),
    (165, "getrusage"),
    (166, "umask"),
    (167, "prctl"),
    (168, "getcpu"),
    (169, "gettimeofday"),
    (170, "settimeofday"),
    (171, "adjtimex"),
    (172, "getpid"),
    (173, "getppid"),
    (174, "getuid"),
    (175, "geteuid"),
    (176, "getgid"),
    (177, "getegid"),
    (178, "gettid"),
    (179, "sysinfo"),
    (180, "mq_open"),
    (181, "mq_unlink"),
    (182, "mq_timedsend"),
    (183, "mq_timedreceive"),
    (184, "mq_notify"),
    (185, "mq_getsetattr"),
    (186, "msgget"),
    (187, "msgctl"),
    (188, "msgrcv"),
    (189, "msgsnd"),
    (190, "semget"),
    (191, "semctl"),
    (192, "semtimedop"),
    (193, "semop"),
    (194, "shmget"),
    (195, "shmctl"),
    (196, "shmat"),
    (197, "shmdt"),
    (198, "socket"),
    (199, "socketpair"),
    (200, "bind"),
    (201, "listen"),
    (202, "accept"),
    (203, "connect"),
    (204, "getsockname"),
    (205, "getpeername"),
    (206, "sendto"),
    (207, "recvfrom"),
    (208, "setsockopt"),
    (209, "getsockopt"),
    (210, "shutdown"),
    (211, "sendmsg"),
    (212, "recvmsg"),
    (213, "readahead"),
    (214, "brk"),
    (215, "munmap"),
    (216, "mremap"),
    (217, "add_key"),
    (218, "request_key"),
    (219, "keyctl"),
    (220, "clone"),
    (221, "execve"),
    (222, "mmap"),
    (223, "fadvise64"),
    (224, "swapon"),
    (225, "swapoff"),
    (226, "mprotect"),
    (227, "msync"),
    (228, "mlock"),
    (229, "munlock"),
    (230, "mlockall"),
    (231, "munlockall"),
    (232, "mincore"),
    (233, "madvise"),
    (234, "remap_file_pages"),
    (235, "mbind"),
    (236, "get_mempolicy"),
    (237, "set_mempolicy"),
    (238, "migrate_pages"),
    (239, "move_pages"),
    (240, "rt_tgsigqueueinfo"),
    (241, "perf_event_open"),
    (242, "accept4"),
    (243, "recvmmsg"),
    (260, "wait4"),
    (261, "prlimit64"),
    (262, "fanotify_init"),
    (263, "fanotify_mark"),
    (264, "name_to_handle_at"),
    (265, "open_by_handle_at"),
    (266, "clock_adjtime"),
    (267, "syncfs"),
    (268, "setns"),
    (269, "sendmmsg"),
    (270, "process_vm_readv"),
    (271, "process_vm_writev"),
    (272, "kcmp"),
    (273, "finit_module"),
    (274, "sched_setattr"),
    (275, "sched_getattr"),
    (276, "renameat2"),
    (277, "seccomp"),
    (278, "getrandom"),
    (279, "memfd_create"),
    (280, "bpf"),
    (281, "execveat"),
    (282, "userfaultfd"),
    (283, "membarrier"),
    (284, "mlock2"),
    (285, "copy_file_range"),
    (286, "preadv2"),
    (287, "pwritev2"),
    (288, "pkey_mprotect"),
    (289, "pkey_alloc"),
    (290, "pkey_free"),
    (291, "statx"),
    (292, "io_pgetevents"),
    (293, "rseq"),
    (294, "kexec_file_load"),
    (424, "pidfd_send_signal"),
    (425, "io_uring_setup"),
    (426, "io_uring_enter"),
    (427, "io_uring_register"),
    (428, "open_tree"),
    (429, "move_mount"),
    (430, "fsopen"),
    (431, "fsconfig"),
    (432, "fsmount"),
    (433, "fspick"),
    (434, "pidfd_open"),
    (435, "clone3"),
    (436, "close_range"),
    (437, "openat2"),
    (438, "pidfd_getfd"),
    (439, "faccessat2"),
    (440, "process_madvise"),
    (441, "epoll_pwait2"),
    (442, "mount_setattr"),
    (443, "quotactl_fd"),
    (444, "landlock_create_ruleset"),
    (445, "landlock_add_rule"),
    (446, "landlock_restrict_self"),
    (447, "memfd_secret"),
    (448, "process_mrelease"),
    (449, "futex_waitv"),
    (450, "set_mempolicy_home_node"),
    (451, "cachestat"),
    (452, "fchmodat2"),
    (453, "map_shadow_stack"),
    (454, "futex_wake"),
    (455, "futex_wait"),
    (456, "futex_requeue"),
    (457, "statmount"),
    (458, "listmount"),
    (459, "lsm_get_self_attr"),
    (460, "lsm_set_self_attr"),
    (461, "lsm_list_modules"),
    (462, "mseal"),
    (1024, "vfork"),
    (1025, "spawn"),
    (1026, "wasmpod_startup"),
];

/// `(alias number, alias name, canonical number)` for the riscv32-style
/// time64 calls.
pub const TIME64_ALIASES: &[(u32, &str, u32)] = &[
    (403, "clock_gettime64", SYS_clock_gettime),
    (404, "clock_settime64", SYS_clock_settime),
    (405, "clock_adjtime64", SYS_clock_adjtime),
    (406, "clock_getres_time64", SYS_clock_getres),
    (407, "clock_nanosleep_time64", SYS_clock_nanosleep),
    (408, "timer_gettime64", SYS_timer_gettime),
    (409, "timer_settime64", SYS_timer_settime),
    (410, "timerfd_gettime64", SYS_timerfd_gettime),
    (411, "timerfd_settime64", SYS_timerfd_settime),
    (412, "utimensat_time64", SYS_utimensat),
    (413, "pselect6_time64", SYS_pselect6),
    (414, "ppoll_time64", SYS_ppoll),
    (416, "io_pgetevents_time64", SYS_io_pgetevents),
    (417, "recvmmsg_time64", SYS_recvmmsg),
    (418, "mq_timedsend_time64", SYS_mq_timedsend),
    (419, "mq_timedreceive_time64", SYS_mq_timedreceive),
    (420, "semtimedop_time64", SYS_semtimedop),
    (421, "rt_sigtimedwait_time64", SYS_rt_sigtimedwait),
    (422, "futex_time64", SYS_futex),
    (423, "sched_rr_get_interval_time64", SYS_sched_rr_get_interval),
];

/// Maps a time64 alias to the canonical number; other numbers are returned
/// unchanged.
pub fn canonical(nr: u32) -> u32 {
    match TIME64_ALIASES.iter().find(|(a, _, _)| *a == nr) {
        Some((_, _, c)) => *c,
        None => nr,
    }
}

/// The name of a call, if the number is in the table (aliases included).
pub fn name(nr: u32) -> Option<&'static str> {
    SYSCALLS
        .iter()
        .find(|(n, _)| *n == nr)
        .map(|(_, s)| *s)
        .or_else(|| TIME64_ALIASES.iter().find(|(a, _, _)| *a == nr).map(|(_, s, _)| *s))
}

/// The number of a call by name.
pub fn number(name: &str) -> Option<u32> {
    SYSCALLS.iter().find(|(_, s)| *s == name).map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in SYSCALLS.windows(2) {
            assert!(w[0].0 < w[1].0, "{:?} before {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn well_known_numbers() {
        assert_eq!(SYS_read, 63);
        assert_eq!(SYS_openat, 56);
        assert_eq!(SYS_exit_group, 94);
        assert_eq!(SYS_clone, 220);
        assert_eq!(SYS_execve, 221);
        assert_eq!(SYS_wait4, 260);
        assert_eq!(SYS_statx, 291);
        assert_eq!(SYS_faccessat2, 439);
        assert_eq!(name(SYS_getpid), Some("getpid"));
        assert_eq!(number("pipe2"), Some(59));
    }

    #[test]
    fn time64_aliases_map_to_the_64_bit_calls() {
        assert_eq!(canonical(SYS_futex_time64), SYS_futex);
        assert_eq!(canonical(SYS_clock_gettime64), SYS_clock_gettime);
        assert_eq!(canonical(SYS_read), SYS_read);
        assert_eq!(name(422), Some("futex_time64"));
    }
}
