#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Maintenance of a tree that clients run from: a real Debian 12 tree
# (debootstrap, cached) prepared by mkbootready and exported read-only by
# nfs-ganesha (NFSv4); two clients boot from it (one boot each for the whole
# test) and read every file of /etc and a sample of /usr/lib in a loop,
# logging every error; meanwhile bootchroot installs a package from the Debian
# archive with apt-get in the tree (and waits 25 s; staged, lib/stage.h, the
# clients never see the preparation undone, and each client's root is an
# overlay over NFS, which turns a replaced object into ESTALE for good). No
# client may see a stale file handle or an I/O error, both must keep running to a clean poweroff, the package must be
# visible to them afterwards, and every prepared path that the command did not
# change must have its old inode.
# timeout: 1800
# The clients live through the whole maintenance.
DEBIAN_BOOT_TIMEOUT=${DEBIAN_BOOT_TIMEOUT:-1500}
. "$(dirname "$0")/lib-debian.sh"

debian_setup
requires ganesha.nfsd rpcbind bootchroot

tree=$T/tree
t0=$(date +%s%N)
# A full copy: apt and dpkg write some files in place.
debian_client_tree "$tree"
ok "Debian tree ready in $(secs_since "$t0") s (debootstrap: ${DEBIAN_TREE_SECS} s, 0 = cached)"
mkbootready -q "$tree" || fail "mkbootready failed"
debian_initramfs "$tree"
# The prepared paths and their inodes, each held by a hard link so that no
# number is reused while the test compares them.
sed -n 's/^path //p' "$tree"/var/lib/pxeroot/journal/* | LC_ALL=C sort >"$T/paths"
inodes() {
	local p
	while read -r p; do
		if [ -e "$tree$p" ] || [ -L "$tree$p" ]; then
			stat -c '%i %n' "$tree$p"
		fi
	done <"$T/paths"
}
inodes >"$T/ino.before"
mkdir "$T/hold"
while read -r _ name; do
	[ -d "$name" ] || ln -P "$name" "$T/hold/${name//\//_}"
done <"$T/ino.before"

debian_lan 600
start_rpcbind
start_ganesha "$(ganesha_export 1 "$tree" /root)"

t0=$(date +%s%N)
for n in a b; do
	debian_boot "$n" "root=nfs4:192.168.77.1:/root pxrt.client=$n pxrt.reader=192.168.77.1:8080" \
		$(lan_nic "$n" "52:54:00:77:01:0$n")
done
for _ in $(seq 1 $((DEBIAN_BOOT_TIMEOUT * 2))); do
	grep -q '^PXRT reader started' "$T/a.log" && grep -q '^PXRT reader started' "$T/b.log" && break
	debian_running a && debian_running b || break
	sleep 0.5
done
grep -q '^PXRT reader started' "$T/a.log" && grep -q '^PXRT reader started' "$T/b.log" ||
	fail "the clients did not both reach multi-user.target: $(tail -n 5 "$T/a.log" "$T/b.log")"
booted=$(secs_since "$t0")
ok "two NFS clients up and reading in $booted s"
# Some rounds before the maintenance.
sleep 20

rounds() { grep -c '^PXRT round' "$T/$1.log" || true; }
declare -A r0
for n in a b; do r0[$n]=$(rounds "$n"); done
t0=$(date +%s%N)
# The Debian archive is outside the test's network namespace. The command
# lasts a while after apt-get, so that the clients read the tree while its
# preparation is undone.
host_net bootchroot -v "$tree" -- /bin/sh -c '
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/tmp/apt.log 2>&1 &&
		apt-get install -y -q --no-install-recommends hello >>/tmp/apt.log 2>&1 ||
		{ cat /tmp/apt.log; exit 1; }
	hello
	sleep 25
' >"$T/bootchroot.out" 2>&1 || {
	cat "$T/bootchroot.out"
	fail "bootchroot apt-get install hello failed"
}
cat "$T/bootchroot.out"
maint=$(secs_since "$t0")
grep -q "Hello, world!" "$T/bootchroot.out" || fail "hello did not run inside the tree"
ok "bootchroot installed hello while both clients read the tree, in $maint s"
debian_running a && debian_running b || fail "a client stopped during the maintenance"
for n in a b; do
	during=$(($(rounds "$n") - ${r0[$n]}))
	[ "$during" -ge 2 ] || fail "client $n read the tree only $during times during the maintenance"
	echo "client $n: $during reading rounds during the maintenance"
done
mkbootready --check "$tree" >"$T/check.out" || { cat "$T/check.out"; fail "not ready after bootchroot"; }
inodes >"$T/ino.after"
diff "$T/ino.before" "$T/ino.after" >"$T/ino.diff" || true
ok "the tree passes mkbootready --check"

# Rounds after the maintenance, then the clients report and power off.
sleep 30
touch "$T/www/done"
for n in a b; do
	debian_wait "$n"
done
echo "clients up ${booted} s before the maintenance; bootchroot ${maint} s"
for n in a b; do
	[ "$(probe "$n" root)" = overlay ] || fail "client $n: / is not an overlay"
	[[ $(probe "$n" lower) == nfs4\ * ]] || fail "client $n: the lower layer is not NFSv4"
	rounds=$(probe "$n" "reader rounds")
	errors=$(probe "$n" "reader errors")
	probe_all "$n" reader-error >&2 || true
	[ "${rounds:-0}" -ge 3 ] || fail "client $n: only ${rounds:-0} reading rounds"
	bad=$(probe_all "$n" reader-error | grep -Ev 'No such file or directory' || true)
	[ -z "$bad" ] || fail "client $n: read errors: $bad"
	[ "${errors:-0}" = 0 ] || fail "client $n: $errors reads failed: $(probe_all "$n" reader-error)"
	ok "client $n: $rounds rounds over /etc and /usr/lib, no error, no stale handle"
	[[ $(probe "$n" hello-after) == "Hello, world!"* ]] || fail "client $n: no hello after the maintenance: $(probe "$n" hello-after)"
	ok "client $n: runs hello, installed while it ran ($(probe "$n" hello-after))"
done
# apt-get install hello touches none of the prepared paths.
changed=$(grep -c '^>' "$T/ino.diff" || true)
[ "$changed" = 0 ] || fail "prepared paths with a new inode: $(grep '^>' "$T/ino.diff")"
ok "every one of $(wc -l <"$T/ino.before") prepared paths has its old inode"
