# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by every shell test: source it first.
#
#   requires CMD...         skip (exit 77) when a command is missing
#   requires_root           skip unless running as root
#   skip REASON             skip with a reason (a failure under PXEROOT_STRICT=1)
#   fail MSG                fail now
#   ok MSG                  record a passed check
#   cleanup_fn CMD [ARG...] run CMD at exit, last registered first
#   bench_mode              for bench/ scripts: no PASS line at exit, no set -e
#   start_server -P PIDFILE [-w PORT] CMD [ARG...]
#                           start a server in the background, wait until it wrote
#                           PIDFILE (and listens on PORT), stop it at exit
#   logged LOG CMD...       exec CMD with its stderr appended to LOG (for start_server)
#   free_port               print a free TCP port on loopback
#   wait_port PORT [SECS]   wait until something listens on 127.0.0.1:PORT
#   expect_exit N CMD...    run CMD, fail unless it exits with N
#   assert_eq WANT GOT MSG  fail unless the two strings are equal
#   compare_expected NAME FILE   diff FILE against tests/expected/NAME
#   kernel_fetch            a Debian kernel and its modules, cached (see below)
#   busybox_tree DIR [BB RUN]  a static BusyBox with its applet links in DIR/bin
#   mkcpio DIR OUT          pack DIR as a gzip'd newc cpio (for test guests)
#   qemu_boot ...           boot a kernel + initramfs under TCG, log the console
#
# Variables: $SRC (source tree), $BUILD (build directory, on PATH),
# $T (a private temporary directory, removed at exit unless PXEROOT_KEEP=1).

set -eu
set -o pipefail

SRC=${PXEROOT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${PXEROOT_BUILD:-$SRC/build}
PATH=$BUILD:$PATH
export SRC BUILD PATH
TEST_NAME=$(basename "$0" .sh)
PXEROOT_CACHE=${PXEROOT_CACHE:-/var/cache/pxeroot-tests}

T=$(mktemp -d "/tmp/pxeroot-$TEST_NAME.XXXXXX")
_cleanups=()
_checks=0

_run_cleanups() {
	local rc=$? i
	set +e
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1
	done
	if [ "${PXEROOT_KEEP:-}" = 1 ]; then
		echo "kept $T"
	else
		# A failed test keeps its logs (consoles, servers' logs) for a
		# post-mortem, small files only: never images or trees.
		if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
			local keep=/tmp/pxeroot-failed/$TEST_NAME.$(date +%H%M%S)
			mkdir -p "$keep" &&
				find "$T" -maxdepth 2 -type f -name '*.log' -size -20M -exec cp -t "$keep" {} + 2>/dev/null &&
				echo "logs kept in $keep"
		fi
		rm -rf "$T"
	fi
	if [ "$rc" = 0 ] && [ -z "${_bench:-}" ]; then
		echo "PASS: $TEST_NAME ($_checks checks)"
	fi
	exit "$rc"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

# bench_mode: for bench/ scripts, which report rather than pass: no "PASS"
# line at exit, and a failing command does not stop the script.
bench_mode() {
	_bench=1
	set +e
}

cleanup_fn() {
	local q
	printf -v q '%q ' "$@"
	_cleanups+=("$q")
}

skip() {
	echo "SKIP: $*"
	if [ "${PXEROOT_STRICT:-}" = 1 ]; then
		echo "strict mode: a skip is a failure" >&2
	fi
	exit 77
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	_checks=$((_checks + 1))
	echo "ok $_checks - $*"
}

requires() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (scripts/install-deps test)"
	done
}

requires_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

expect_exit() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	[ "$rc" = "$want" ] || fail "expected exit $want, got $rc: $*"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
	ok "$3"
}

compare_expected() {
	local name=$1 got=$2
	if ! diff -u "$SRC/tests/expected/$name" "$got"; then
		fail "output differs from tests/expected/$name"
	fi
	ok "matches tests/expected/$name"
}

free_port() {
	local p
	for _ in $(seq 1 200); do
		# Below the ephemeral range (32768 and up), where client sockets of
		# other tests would take the port between this check and the bind;
		# and used by no socket at all, listening or not.
		p=$((20000 + RANDOM % 12000))
		if ! ss -Htan "sport = :$p" | grep >/dev/null .; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port"
}

wait_port() {
	local port=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		ss -Hltn "sport = :$port" | grep >/dev/null . && return 0
		sleep 0.05
	done
	fail "nothing listens on port $port after ${secs}s"
}

# logged LOG CMD...: exec CMD with its stderr appended to LOG; for
# start_server, whose own messages stay on the test's stderr.
logged() {
	local log=$1
	shift
	exec "$@" 2>>"$log"
}

start_server() {
	local pidfile="" port="" i
	while [ $# -gt 0 ]; do
		case $1 in
		-P) pidfile=$2; shift 2 ;;
		-w) port=$2; shift 2 ;;
		*) break ;;
		esac
	done
	[ -n "$pidfile" ] || fail "start_server needs -P PIDFILE"
	rm -f "$pidfile"
	"$@" &
	local bgpid=$!
	cleanup_fn _stop_server "$pidfile" "$bgpid"
	for ((i = 0; i < 200; i++)); do
		[ -s "$pidfile" ] && break
		kill -0 "$bgpid" 2>/dev/null || [ -s "$pidfile" ] || fail "server exited at start: $*"
		sleep 0.05
	done
	[ -s "$pidfile" ] || fail "server wrote no pidfile $pidfile: $*"
	[ -z "$port" ] || wait_port "$port"
}

_stop_server() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || pid=$2
	kill "$pid" "$2" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" "$2" 2>/dev/null
	wait "$2" 2>/dev/null
}

# Shared, locked cache of downloads (kernels, debootstrap trees).
_cache_lock() {
	mkdir -p "$PXEROOT_CACHE"
	exec 9>"$PXEROOT_CACHE/.lock"
	flock 9
}
_cache_unlock() {
	flock -u 9
	exec 9>&-
}

# kernel_tree DIR: a SYSROOT of kernel_fetch's package at DIR, linked (not
# copied) from the cache, with its own copies of the module index files, which
# depmod rewrites: a test writes next to the cache's files, never into them.
kernel_tree() {
	local d=$1 f
	mkdir -p "$d"
	cp -al "$KERNEL_ROOT/." "$d/"
	for f in "$d/lib/modules/$KVER"/modules.*; do
		rm "$f"
		cp -p "$KERNEL_ROOT/lib/modules/$KVER/${f##*/}" "$f"
	done
}

# kernel_fetch: Debian's current 6.1 kernel image package, unpacked with its
# modules and a fresh modules.dep (the .deb ships none). Sets KERNEL_ROOT (a
# tree with boot/ and lib/modules/KVER), KVER and VMLINUZ.
kernel_fetch() {
	local pkg dir
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[0-9].*\)/\1/p' | head -1)
	[ -n "$pkg" ] || skip "cannot resolve linux-image-amd64 (apt-get update?)"
	dir=$PXEROOT_CACHE/$pkg
	_cache_lock
	if [ ! -f "$dir/.done" ]; then
		rm -rf "$dir"
		mkdir -p "$dir/deb"
		# From a boot test's private network namespace, through the host's
		# (lib-boot.sh's host_net).
		(cd "$dir/deb" && chmod 777 . &&
			$(declare -F host_net >/dev/null && echo host_net) apt-get download -q "$pkg" >/dev/null 2>&1) ||
			{ _cache_unlock; fail "apt-get download $pkg failed"; }
		dpkg-deb -x "$dir"/deb/*.deb "$dir/root"
		rm -rf "$dir/deb"
		local k
		k=$(ls "$dir/root/lib/modules")
		depmod -b "$dir/root" "$k"
		touch "$dir/.done"
	fi
	_cache_unlock
	KERNEL_ROOT=$dir/root
	KVER=$(ls "$KERNEL_ROOT/lib/modules")
	VMLINUZ=$KERNEL_ROOT/boot/vmlinuz-$KVER
	export KERNEL_ROOT KVER VMLINUZ
}

# busybox_tree DIR: Debian's static BusyBox at DIR/bin/busybox with a link for
# every applet it has.
# busybox_tree DIR BUSYBOX RUN: that BusyBox instead, listed by running it
# with RUN (qemu-aarch64 for another machine's).
busybox_tree() {
	local dir=$1 bb=${2:-} run=${3:-} a
	[ -n "$bb" ] || bb=$(command -v busybox) || skip "busybox is not installed"
	mkdir -p "$dir/bin" "$dir/sbin" "$dir/dev" "$dir/proc" "$dir/sys" "$dir/tmp" "$dir/run"
	cp "$bb" "$dir/bin/busybox"
	for a in $($run "$bb" --list); do
		[ -e "$dir/bin/$a" ] || ln -s busybox "$dir/bin/$a"
	done
}

# mkcpio DIR OUT: a gzip'd newc archive of DIR, owned by root.
mkcpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$2"
}

# qemu_boot -k KERNEL -i INITRD -a APPEND -l LOG [-t SECS] [-- QEMU-ARGS...]
# Boots under TCG with the serial console in LOG; QEMU exits when the guest
# powers off. Returns QEMU's status (124 on time-out). QEMU_SYSTEM and
# QEMU_CONSOLE name another machine's emulator and console (qemu-system-aarch64,
# ttyAMA0).
qemu_boot() {
	local kernel="" initrd="" append="" log="" secs=120
	while [ $# -gt 0 ]; do
		case $1 in
		-k) kernel=$2; shift 2 ;;
		-i) initrd=$2; shift 2 ;;
		-a) append=$2; shift 2 ;;
		-l) log=$2; shift 2 ;;
		-t) secs=$2; shift 2 ;;
		--) shift; break ;;
		*) fail "qemu_boot: unknown argument $1" ;;
		esac
	done
	local rc=0
	timeout -k 5 "$secs" "${QEMU_SYSTEM:-qemu-system-x86_64}" -accel tcg -m 512 -nographic -no-reboot \
		-nodefaults -serial stdio -monitor none \
		${kernel:+-kernel "$kernel"} ${initrd:+-initrd "$initrd"} \
		${append:+-append "console=${QEMU_CONSOLE:-ttyS0} panic=-1 $append"} \
		"$@" </dev/null >"$log" 2>&1 || rc=$?
	return "$rc"
}
