#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bootchroot on a small BusyBox tree with a Debian os-release: the command runs
# as pid 2 of its own PID namespace with /proc, /sys, /dev, /run, /tmp and the
# host's resolv.conf; policy-rc.d exists only meanwhile; a process left behind
# dies with the namespace; the host's mounts are the same after; a second
# bootchroot on the same tree is refused; killing bootchroot kills what runs
# inside; the exit status is the command's; --image publishes content-addressed
# generations and --rollback goes back.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root
requires busybox mksquashfs unsquashfs

tree=$T/tree
busybox_tree "$tree"
mkdir -p "$tree/etc" "$tree/usr/sbin" "$tree/var/lib/dpkg" "$tree/root"
cp "$SRC/tests/fixtures/debian/etc/os-release" "$tree/etc/"
echo "nameserver 192.0.2.1" >"$tree/etc/resolv.conf"
mkbootready -q --idmap-domain example.org "$tree"
tree_listing "$tree" >"$T/prepared"
marker=pxeroot-bootchroot-$$-$RANDOM
left=$((100000 + RANDOM))
killed=$((200000 + RANDOM))

grep -v "$marker" /proc/self/mountinfo | awk '{print $5, $9}' | sort >"$T/mounts.before"
bootchroot --idmap-domain example.org "$tree" -- /bin/sh -c "
	echo pid=\$\$
	test -x /usr/sbin/policy-rc.d && /usr/sbin/policy-rc.d; echo policy=\$?
	grep -c . /proc/self/mounts >/dev/null && echo proc=ok
	test -c /dev/null && test -d /dev/pts && test -w /tmp && test -d /sys/class && echo dev=ok
	test -L /etc/resolv.conf && echo resolv-link=yes
	cat /etc/resolv.conf | head -1
	sleep $left &
	true
" >"$T/inside" 2>&1 || fail "bootchroot failed: $(cat "$T/inside")"
cat "$T/inside"
grep -q '^pid=2$' "$T/inside" || fail "the command is not pid 2 of a new PID namespace"
ok "the command runs in its own PID namespace"
grep -q '^policy=101$' "$T/inside" || fail "no policy-rc.d exiting 101 inside"
[ ! -e "$tree/usr/sbin/policy-rc.d" ] || fail "policy-rc.d left in the tree"
ok "policy-rc.d exits 101 inside and is gone after"
grep -q '^proc=ok$' "$T/inside" && grep -q '^dev=ok$' "$T/inside" || fail "mounts missing inside"
ok "/proc, /sys, /dev, /dev/pts and /tmp are there inside"
# Undone inside, resolv.conf is the tree's own file with the host's bound over it.
grep -q "resolv-link=yes" "$T/inside" && fail "the preparation was not undone inside"
head -1 /etc/resolv.conf >"$T/host-resolv"
grep -qxF "$(cat "$T/host-resolv")" "$T/inside" || fail "the host's resolv.conf is not bound inside"
ok "the preparation is undone inside and the host's resolv.conf is bound"
sleep 0.3
pgrep -f "sleep $left" >/dev/null && fail "a process started inside is still running"
ok "no process left running after the command"
grep -v "$marker" /proc/self/mountinfo | awk '{print $5, $9}' | sort >"$T/mounts.after"
diff -u "$T/mounts.before" "$T/mounts.after" || fail "mounts left behind on the host"
ok "no mount left behind on the host"
tree_listing "$tree" >"$T/after"
diff -u "$T/prepared" "$T/after" || fail "the tree differs after bootchroot"
mkbootready -q --idmap-domain example.org --check "$tree" || fail "the tree is not ready after bootchroot"
ok "the tree is prepared again, exactly as before"

# The command's exit status; a failing command still leaves a prepared tree.
expect_exit 7 bootchroot -q --idmap-domain example.org "$tree" -- /bin/sh -c 'exit 7'
mkbootready -q --idmap-domain example.org --check "$tree" || fail "not ready after a failing command"
ok "the command's status is bootchroot's, and the tree is prepared again"

# One at a time.
bootchroot -q --idmap-domain example.org "$tree" -- /bin/sleep 3 &
first=$!
sleep 1
expect_exit 1 bootchroot -q "$tree" -- /bin/true 2>"$T/lock.err"
grep -q "in use by another" "$T/lock.err" || fail "second bootchroot: $(cat "$T/lock.err")"
expect_exit 1 mkbootready -q "$tree" 2>/dev/null
wait "$first"
ok "a second bootchroot or mkbootready on the same tree is refused"

# kill -9 of bootchroot: what runs inside dies with it. In place, so that the
# tree itself is left undone (a staged run leaves it untouched:
# bootchroot-stage).
bootchroot -q --in-place --idmap-domain example.org "$tree" -- /bin/sh -c "exec sleep $killed" &
bc=$!
# (Anchored: bootchroot's own command line holds the same words.)
for _ in $(seq 1 300); do pgrep -f "^sleep $killed" >/dev/null && break; sleep 0.1; done
pgrep -f "^sleep $killed" >/dev/null || fail "the command did not start"
kill -9 "$bc"
wait "$bc" 2>/dev/null || true
sleep 0.5
pgrep -f "^sleep $killed" >/dev/null && fail "the command survived kill -9 of bootchroot"
ok "kill -9 of bootchroot ends everything inside"
# The tree was left undone, with bootchroot's policy-rc.d in it: --check says
# so, and a run of mkbootready repairs both.
[ -e "$tree/usr/sbin/policy-rc.d" ] || fail "the killed bootchroot left no policy-rc.d to test with"
expect_exit 1 mkbootready --idmap-domain example.org --check "$tree" >"$T/killed.check"
grep -qx 'leftovers: not ready (/usr/sbin/policy-rc.d, left by an interrupted bootchroot)' "$T/killed.check" ||
	fail "--check does not report the policy-rc.d: $(cat "$T/killed.check")"
ok "--check reports the policy-rc.d a killed bootchroot left"
mkbootready --idmap-domain example.org "$tree" >"$T/killed.run"
grep -q '^leftovers: remove /usr/sbin/policy-rc.d' "$T/killed.run" || fail "no leftovers step: $(cat "$T/killed.run")"
[ ! -e "$tree/usr/sbin/policy-rc.d" ] || fail "mkbootready left the policy-rc.d"
mkbootready -q --check "$tree" || fail "not repaired"
ok "mkbootready repairs a tree left by a killed bootchroot, policy-rc.d included"
mkbootready -q --undo "$tree"
[ ! -e "$tree/usr/sbin/policy-rc.d" ] || fail "--undo brought the policy-rc.d back"
mkbootready -q --idmap-domain example.org "$tree"
ok "--undo does not bring the policy-rc.d back"

# Generations.
img=$T/images
mkdir -p "$img"
bootchroot -q --idmap-domain example.org --image "$img/client.sqfs" "$tree" -- /bin/sh -c 'echo one >/root/gen'
g1=$(readlink "$img/client.sqfs")
[[ $g1 =~ ^client-[0-9a-f]{16}\.sqfs$ ]] || fail "generation name $g1"
[ "${g1:7:16}" = "$(sha256sum "$img/$g1" | cut -c1-16)" ] || fail "$g1 is not named after its sha256"
unsquashfs -cat "$img/client.sqfs" root/gen | grep -x >/dev/null one || fail "first image lacks /root/gen"
ok "--image publishes a content-addressed generation behind a link"
exec 8<"$img/client.sqfs" # a running client holds the old generation open
bootchroot -q --idmap-domain example.org --image "$img/client.sqfs" "$tree" -- /bin/sh -c 'echo two >/root/gen'
g2=$(readlink "$img/client.sqfs")
[ "$g1" != "$g2" ] || fail "a changed tree gave the same generation"
unsquashfs -cat "$img/client.sqfs" root/gen | grep -x >/dev/null two || fail "second image lacks the change"
[ -f "$img/$g1" ] || fail "the old generation was removed"
ok "a new generation for new clients; the old one stays for running clients"
bootchroot -q --image "$img/client.sqfs" --rollback "$tree"
[ "$(readlink "$img/client.sqfs")" = "$g1" ] || fail "--rollback did not go back to $g1"
ok "--rollback points the link at the previous generation"
expect_exit 1 bootchroot -q --image "$img/client.sqfs" --rollback "$tree" 2>/dev/null
ok "--rollback past the first generation is refused"

# Without mksquashfs on PATH: one line that names the package, no raw status.
mkdir -p "$T/nosquash"
for p in sh env unshare; do ln -sf "$(command -v $p)" "$T/nosquash/$p" 2>/dev/null || true; done
rc=0
PATH=$BUILD:$T/nosquash bootchroot -q --image "$img/other.sqfs" "$tree" -- /bin/true 2>"$T/err" || rc=$?
assert_eq "1 bootchroot: mksquashfs not found (install squashfs-tools)" "$rc $(cat "$T/err")" \
	"a missing mksquashfs is named with its package"
exec 8<&-
