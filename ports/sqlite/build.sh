#!/bin/bash
# Builds the sqlite3 shell and installs it into $STAGE/usr/bin.
#
# Step 1 runs on the build machine for either target: upstream's configure
# and make, with the build machine's gcc and tclsh, generate the amalgamation
# (sqlite3.c) and the shell's source (shell.c); the code generators (lemon,
# mkkeywordhash, ...) are built and run there.
# Step 2 compiles those two files with $CC and one set of flags shared by
# TARGET=wasm and TARGET=native.
set -euo pipefail

: "${CC:?}" "${STAGE:?}" "${TARGET:?}"
JOBS=${JOBS:-2}

mkdir -p gen
(
    cd gen
    # Only the generators use this configuration; keep it the build
    # machine's, whatever CC says.
    env -u CFLAGS -u LDFLAGS CC=gcc ../configure --disable-tcl --disable-readline \
        --disable-editline --disable-shared >configure.log 2>&1 \
        || { cat configure.log; exit 1; }
    make -j"$JOBS" sqlite3.c shell.c
)

# The shell: no readline (plain line input), no extension loading (programs
# are static), the usual optional features of Debian's shell that need no
# library (FTS5, R*Tree, math functions, dbstat). Single threaded. The HAVE_*
# macros are what upstream's configure finds in both libcs (pread/pwrite
# instead of lseek+read/write among them).
CFLAGS=(
    -O2
    -DSQLITE_THREADSAFE=0
    -DSQLITE_OMIT_LOAD_EXTENSION
    -DSQLITE_ENABLE_FTS5
    -DSQLITE_ENABLE_RTREE
    -DSQLITE_ENABLE_MATH_FUNCTIONS
    -DSQLITE_ENABLE_DBSTAT_VTAB
    -DSQLITE_ENABLE_EXPLAIN_COMMENTS
    -DHAVE_USLEEP=1
    -DHAVE_LOCALTIME_R=1
    -DHAVE_GMTIME_R=1
    -DHAVE_FDATASYNC=1
    -DHAVE_ISNAN=1
    -DHAVE_PREAD=1
    -DHAVE_PWRITE=1
    -DHAVE_STRCHRNUL=1
    -DHAVE_UTIME=1
)
$CC "${CFLAGS[@]}" -Igen -c gen/sqlite3.c -o gen/sqlite3.o
$CC "${CFLAGS[@]}" -Igen -c gen/shell.c -o gen/shell.o
$CC -static -o gen/sqlite3 gen/shell.o gen/sqlite3.o -lm

install -d "$STAGE/usr/bin"
install -m 0755 gen/sqlite3 "$STAGE/usr/bin/"
