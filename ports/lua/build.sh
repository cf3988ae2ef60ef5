#!/bin/bash
# Builds lua and luac with upstream's src/Makefile ("posix" flavour: POSIX
# functions such as mkstemp and popen, no dlopen, no readline) and installs
# them into $STAGE/usr/bin. The same flags serve TARGET=wasm and
# TARGET=native, so the two builds differ only in the compiler.
set -euo pipefail

: "${CC:?}" "${AR:?}" "${RANLIB:?}" "${STRIP:?}" "${STAGE:?}" "${TARGET:?}"
JOBS=${JOBS:-2}

make -C src -j"$JOBS" posix \
    CC="$CC -std=gnu99" \
    AR="$AR rc" \
    RANLIB="$RANLIB" \
    MYLDFLAGS="-static"

install -d "$STAGE/usr/bin"
install -m 0755 src/lua src/luac "$STAGE/usr/bin/"
