#!/bin/bash
# busybox for wasmpod (TARGET=wasm, wasmpod-cc) and for the host (TARGET=native,
# gcc) with the same configuration, so that busybox's testsuite can compare the
# two. Run by `cargo xtask ports` with cwd = $SRC (see ports/README or the
# recipe format in xtask/src/ports.rs).
#
# Installs $STAGE/bin/busybox, the applet links (bin/sh -> hush, bin/ls, …,
# relative symlinks as busybox's own `make install` makes them) and the applet
# list $STAGE/usr/share/busybox/applets (one absolute path a line, from
# busybox.links) for image builders.
set -euo pipefail

: "${TARGET:?TARGET must be wasm or native}"
: "${STAGE:?}" "${PORT:?}"
JOBS=${JOBS:-2}
CC=${CC:-gcc}
AR=${AR:-ar}
NM=${NM:-nm}
STRIP=${STRIP:-strip}

# --- the configuration ------------------------------------------------------
# busybox.config is an allnoconfig fragment. busybox's kconfig resets every
# symbol in allnoconfig even with KCONFIG_ALLCONFIG, so: allnoconfig, put the
# fragment's lines in place of the defaults, oldconfig (which settles the
# symbols the fragment makes visible at their defaults), then check that
# every line of the fragment survived (a dependency we did not meet would
# silently drop an applet otherwise).
make -s allnoconfig >/dev/null
grep -E -o '^(CONFIG_[A-Z0-9_]*=.*|# CONFIG_[A-Z0-9_]* is not set)$' "$PORT/busybox.config" > .wasmpod-frag
grep -E -o 'CONFIG_[A-Z0-9_]*' .wasmpod-frag | sed 's/.*/\\<&\\>/' > .wasmpod-syms
grep -v -f .wasmpod-syms .config > .config.new || true
cat .wasmpod-frag >> .config.new
mv .config.new .config
{ yes "" || true; } | make -s oldconfig >/dev/null 2>&1
bad=0
while IFS= read -r line; do
	if ! grep -qxF "$line" .config; then
		echo "busybox.config: '$line' did not take effect (now: $(grep -w "${line%%=*}" .config || echo unset))" >&2
		bad=1
	fi
done < .wasmpod-frag
[ $bad = 0 ] || exit 1

# --- the build --------------------------------------------------------------
make_args=(CC="$CC" AR="$AR" NM="$NM" STRIP="$STRIP" HOSTCC=gcc)
if [ "$TARGET" = wasm ]; then
	# Two link-step adapters, kept out of busybox's sources:
	# - busybox links each directory's objects with "$(LD) -nostdlib -r";
	#   wasm-ld does relocatable links but has no -nostdlib (and wasmpod-cc's
	#   program link options don't apply to -r), so LD is wasm-ld without it.
	# - scripts/trylink wraps the archives in --start-group/--end-group and
	#   adds --warn-common, which wasm-ld 19 does not know; wasm-ld resolves
	#   archive members in any order (like lld) and has no common symbols, so
	#   the final link drops them.
	tools=$PWD/.wasmpod-bin
	mkdir -p "$tools"
	cat > "$tools/ld" <<'EOF'
#!/bin/bash
args=()
for a in "$@"; do [ "$a" = -nostdlib ] || args+=("$a"); done
exec wasm-ld-19 "${args[@]}"
EOF
	cat > "$tools/cc" <<EOF
#!/bin/bash
args=()
for a in "\$@"; do
	case "\$a" in -Wl,--start-group|-Wl,--end-group|-Wl,--warn-common) ;; *) args+=("\$a");; esac
done
exec $CC "\${args[@]}"
EOF
	chmod +x "$tools/ld" "$tools/cc"
	make_args=(CC="$tools/cc" LD="$tools/ld" AR="$AR" NM="$NM" STRIP="$STRIP" HOSTCC=gcc)
elif [ "$TARGET" != native ]; then
	echo "build.sh: unknown TARGET '$TARGET' (wasm or native)" >&2
	exit 1
fi

make -j"$JOBS" "${make_args[@]}" busybox busybox.links

# --- install ----------------------------------------------------------------
make "${make_args[@]}" CONFIG_PREFIX="$STAGE" install >/dev/null
mkdir -p "$STAGE/usr/share/busybox"
sort busybox.links > "$STAGE/usr/share/busybox/applets"
test -x "$STAGE/bin/busybox"
test -L "$STAGE/bin/sh"
echo "busybox: $(wc -l < "$STAGE/usr/share/busybox/applets") applets in $STAGE"
