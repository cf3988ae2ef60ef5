# busybox's testsuite, one applet at a time, under busybox's own shell.
#
#   busybox sh busybox_tests.sh BINDIR TSDIR APPLET
#
# BINDIR holds `busybox` and the `.config` it was built with; TSDIR is a
# writable copy of the source's testsuite/. This does what testsuite/runtest
# does for one applet (same environment: $bindir, $tsdir, $OPTIONFLAGS, a
# directory of applet links first in PATH), with two differences that make
# the native and the wasmpod runs comparable:
# - the test scripts run under the `sh` applet (hush), not under whatever
#   /bin/sh their #! line finds on the host;
# - every result line is printed as "PASS|FAIL|SKIPPED|UNTESTED: APPLET: NAME"
#   so that results of different applets can't collide.
# Used by busybox_tests.rs next to it (`cargo xtask ports-test busybox`),
# on the host with the gcc build and in the pod with the wasm build. (It
# lives here rather than in ports/busybox/ so that editing it does not
# change the port's cache key.)

bindir=$1
tsdir=$2
applet=$3
if [ -z "$applet" ] || [ ! -x "$bindir/busybox" ] || [ ! -f "$tsdir/testing.sh" ]; then
	echo "usage: busybox sh busybox_tests.sh BINDIR TSDIR APPLET" >&2
	exit 2
fi
export bindir tsdir

# The applet links (made with busybox's own tools: PATH may hold nothing
# else yet).
LINKSDIR=$bindir/links
if [ ! -d "$LINKSDIR" ]; then
	"$bindir/busybox" mkdir -p "$LINKSDIR.$$"
	for i in $("$bindir/busybox" --list); do
		"$bindir/busybox" ln -s "$bindir/busybox" "$LINKSDIR.$$/$i"
	done
	"$bindir/busybox" mv "$LINKSDIR.$$" "$LINKSDIR" 2>/dev/null || "$bindir/busybox" rm -rf "$LINKSDIR.$$"
fi
PATH=$LINKSDIR:$tsdir:$bindir:$PATH
export PATH
OPTIONFLAGS=:$(sed -n 's/^CONFIG_//p' "$bindir/.config" | sed 's/=.*//' | xargs | sed 's/ /:/g'):
export OPTIONFLAGS
# testing.sh's own `echo -ne` check passes with hush's echo; set it so no
# replacement echo is ever compiled.
ECHO=echo
export ECHO

# Prefix the result lines of a test script's output with the applet; the
# rest of the output (diffs with VERBOSE) passes through.
label() {
	while IFS= read -r line; do
		case "$line" in
		PASS:*|FAIL:*|SKIPPED:*|UNTESTED:*) echo "${line%%:*}: $applet: ${line#*: }" ;;
		*) echo "$line" ;;
		esac
	done
}

cd "$tsdir" || exit 2

# Old-style tests: testsuite/APPLET/CASE, each run as "sh -x -e CASE" in a
# fresh directory, with $d = the testsuite directory.
if [ -d "$tsdir/$applet" ]; then
	uc=$(echo "$applet" | tr a-z A-Z)
	for testcase in "$tsdir/$applet"/*; do
		name=${testcase##*/}
		case "$name" in .*|*~|CVS|\#*|*.mine|*.r[0-9]*) continue ;; esac
		if grep "^# CONFIG_$uc is not set$" "$bindir/.config" >/dev/null; then
			echo "UNTESTED: $applet: $name"
			continue
		fi
		untested=
		for f in $(sed -ne 's/^# FEATURE: //p' "$testcase"); do
			if grep "^# $f is not set$" "$bindir/.config" >/dev/null; then
				untested=1
			fi
		done
		if [ -n "$untested" ]; then
			echo "UNTESTED: $applet: $name"
			continue
		fi
		rm -rf ".tmpdir.$applet"
		mkdir -p ".tmpdir.$applet"
		if (cd ".tmpdir.$applet" && d=$tsdir sh -x -e "$testcase" > "../.out.$applet" 2>&1); then
			echo "PASS: $applet: $name"
		else
			echo "FAIL: $applet: $name"
			[ -z "$VERBOSE" ] || cat ".out.$applet"
		fi
		rm -rf ".tmpdir.$applet" ".out.$applet"
	done
fi

# New-style tests: testsuite/APPLET.tests, which use testing.sh.
if [ -f "$tsdir/$applet.tests" ]; then
	sh "$tsdir/$applet.tests" 2>&1 | label
fi
exit 0
