#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# timeout: 900
# nbdexport.service's system call filter lets the server serve: nbdexport's
# own tests run with every nbdexport they start under the filter the unit
# file describes (tests/fixtures/seccomp-exec builds it from the unit's
# SystemCallFilter= lines, with SIGSYS for anything else). A filter without
# the network calls kills the server: the filter is really applied.
. "$(dirname "$0")/../lib.sh"
requires systemd-analyze /usr/bin/python3 mkfs.ext4
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || skip "python3-seccomp is not installed (scripts/install-deps test)"
unit=$BUILD/systemd/nbdexport.service
[ -f "$unit" ] || fail "no $unit (make)"
grep -q '^SystemCallFilter=' "$unit" || fail "the unit has no SystemCallFilter="
seccomp_exec=$SRC/tests/fixtures/seccomp-exec
# Under make asan, LeakSanitizer stops the program at exit with ptrace, which
# the filter denies (the sanitizer's need, not the server's): no leak check
# here; the other tests check leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# The control: a filter without @network-io; the server dies of SIGSYS.
truncate -s 1M "$T/img"
mkfs.ext4 -q -F "$T/img" 2>/dev/null || fail "mkfs.ext4"
sed 's/^SystemCallFilter=~@privileged$/SystemCallFilter=~@network-io/' "$unit" >"$T/control.service"
port=$(free_port)
rc=0
timeout 10 "$seccomp_exec" "$T/control.service" "$BUILD/nbdexport" -f -l 127.0.0.1 -p "$port" \
	"$T/img" 2>/dev/null || rc=$?
assert_eq 159 "$rc" "nbdexport without @network-io in the filter is killed by SIGSYS (128+31)"

# A build directory whose nbdexport runs under the unit's filter.
wrap=$T/build
mkdir -p "$wrap"
for f in "$BUILD"/*; do
	case ${f##*/} in nbdexport | test-logs) ;; *) ln -s "$f" "$wrap/" ;; esac
done
cat >"$wrap/nbdexport" <<WRAP
#!/bin/sh
exec "$seccomp_exec" "$unit" "$BUILD/nbdexport" "\$@"
WRAP
chmod +x "$wrap/nbdexport"
"$wrap/nbdexport" --version >/dev/null || fail "nbdexport --version under the filter"

# tests/run selects by substring: nbdexport-cow also selects nbdexport-cowpool,
# which is wanted (its overlay I/O runs on threads of their own). The count
# of passed tests below checks that the selection is this list exactly.
tests=(nbdexport-basic nbdexport-config nbdexport-tls nbdexport-cow nbdexport-cowpool
	nbdexport-reload nbdexport-sighup nbdexport-generations nbdexport-shutdown
	nbdexport-daemon nbdexport-limits nbdexport-identify)
t0=$SECONDS
# PXEROOT_TEST_NO_SETUID: nbdexport-daemon leaves out -u, which needs setuid
# and initgroups: the filter denies them (~@privileged), and the unit never
# uses -u (DynamicUser= gives the server its user).
out=$(PXEROOT_TEST_NO_SETUID=1 PXEROOT_BUILD=$wrap "$SRC/tests/run" "${tests[@]}" 2>&1) || {
	echo "$out" >&2
	for l in "$wrap"/test-logs/*.log; do grep -l "Bad system call" "$l" 2>/dev/null; done >&2
	fail "nbdexport's tests fail under the unit's system call filter"
}
last=$(tail -n 1 <<<"$out")
echo "$last"
assert_eq "${#tests[@]} passed, 0 failed, 0 skipped" "$last" "every selected test ran and passed"
! grep -l "Bad system call" "$wrap"/test-logs/*.log || fail "a process was killed by the filter"
ok "${#tests[@]} nbdexport tests pass under the unit's system call filter ($((SECONDS - t0)) s)"
