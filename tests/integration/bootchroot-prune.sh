#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bootchroot --prune removes old image generations, but none that a client
# reads according to nbdexport's status file (here written by the test in
# nbdexport's format, with a path that needs escaping): it names what it would
# drop and who reads each, refuses (exit 1) when a client reads one, when there
# is no status file or when its nbdexport is not running, unless --force;
# --dry-run only prints; --keep N keeps the N newest; the history loses what
# was dropped; a reader that had a generation open keeps reading it.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root
requires busybox mksquashfs unsquashfs

tree=$T/tree
fixture debian "$tree"
busybox_tree "$tree"
mkdir -p "$tree/root"
mkbootready -q --idmap-domain example.org "$tree"
# A directory whose real path needs escaping in the status file.
img="$T/img dir"
mkdir -p "$img"
out=$img/client.sqfs
gens=()
for i in 1 2 3 4; do
	bootchroot -q --idmap-domain example.org --image "$out" "$tree" -- /bin/sh -c "echo $i >/root/gen"
	gens+=("$(readlink "$out")")
done
[ "$(sort -u <(printf '%s\n' "${gens[@]}") | wc -l)" = 4 ] || fail "not four generations: ${gens[*]}"
g1=${gens[0]} g2=${gens[1]} g3=${gens[2]} g4=${gens[3]}
hist="$img/.client.generations"
ok "four generations published"

# A stand-in for a running nbdexport: a process whose pid the status names.
sleep 600 &
srv=$!
cleanup_fn kill "$srv"
esc() { printf '%s' "$1" | sed -e 's/\\/\\134/g' -e 's/ /\\040/g' -e 's/\t/\\011/g'; }
status() {
	{
		echo "# nbdexport status"
		echo "pid $1"
		echo "export client client@${g4:7:16} $(esc "$(realpath "$img/$g4")")"
		shift
		for g in "$@"; do
			echo "client 10.0.0.5:41234 client@${g:7:16} $(esc "$(realpath "$img/$g")") 1765090000"
		done
	} >"$T/status"
}
prune() { bootchroot --image "$out" --prune --status-file "$T/status" "$@"; }
all_there() {
	for g in "$@"; do [ -f "$img/$g" ] || fail "$g was removed"; done
}

# A client reads g2.
status "$srv" "$g2"
grep -q 'img\\040dir' "$T/status" || fail "the test's status file has no escaped path"
expect_exit 1 prune >"$T/out" 2>"$T/err"
cat "$T/out" "$T/err"
grep -qxF "drop $img/$g2 (read by 10.0.0.5:41234)" "$T/out" || fail "the plan does not name g2's client"
grep -qxF "drop $img/$g1 (no client reads it)" "$T/out" || fail "the plan does not name g1"
grep -qxF "keep $img/$g4 (current)" "$T/out" || fail "the plan does not keep the current generation"
grep -qxF "bootchroot: $img/$g2 is still read by 10.0.0.5:41234: not pruning (--force to prune anyway)" "$T/err" ||
	fail "refusal: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" = 1 ] || fail "more than one line of error: $(cat "$T/err")"
all_there "$g1" "$g2" "$g3" "$g4"
ok "a client reads an old generation: refused (exit 1), naming it and its client; nothing removed"

expect_exit 1 prune --keep 2 >/dev/null 2>&1
all_there "$g1" "$g2" "$g3" "$g4"
prune --keep 3 >"$T/out"
grep -qxF "keep $img/$g2 (one of the newest)" "$T/out" || fail "--keep 3 plan: $(cat "$T/out")"
[ ! -e "$img/$g1" ] || fail "--keep 3 did not remove $g1"
all_there "$g2" "$g3" "$g4"
[ "$(cat "$hist")" = "$(printf '%s\n' "$g2" "$g3" "$g4")" ] || fail "history after --keep 3: $(cat "$hist")"
ok "--keep 3 removes only the oldest, unread generation, from the directory and the history"

prune --dry-run >"$T/out"
grep -qxF "drop $img/$g2 (read by 10.0.0.5:41234)" "$T/out" || fail "--dry-run plan: $(cat "$T/out")"
grep -qxF "drop $img/$g3 (no client reads it)" "$T/out" || fail "--dry-run plan: $(cat "$T/out")"
all_there "$g2" "$g3" "$g4"
ok "--dry-run prints the plan and removes nothing"

# The client's generation by another name (a hard link, its name with a tab,
# a backslash and a newline, escaped): the same file.
other="$T/other"$'\t'"na\\me"$'\n'".sqfs"
ln "$img/$g2" "$other"
status "$srv"
echo "client 10.0.0.7:5000 client@x $(/usr/bin/python3 -c '
import sys
print("".join("\\%03o" % ord(c) if c in " \t\n\\" else c for c in sys.argv[1]))' "$other") 1765090000" >>"$T/status"
grep -q 'other\\011na\\134me\\012\.sqfs' "$T/status" || fail "the test's escaping: $(cat "$T/status")"
expect_exit 1 prune >"$T/out" 2>/dev/null
grep -qxF "drop $img/$g2 (read by 10.0.0.7:5000)" "$T/out" || fail "not matched by device and inode: $(cat "$T/out")"
rm "$other"
ok "a generation is matched by device and inode too, its escaped path read back"

# An old generation nbdexport serves by its own path, with no client yet.
status "$srv"
echo "export rescue rescue@${g3:7:16} $(esc "$(realpath "$img/$g3")")" >>"$T/status"
expect_exit 1 prune >"$T/out" 2>/dev/null
grep -qxF "drop $img/$g3 (read by nbdexport's export rescue)" "$T/out" || fail "export: $(cat "$T/out")"
all_there "$g2" "$g3" "$g4"
ok "a generation served as an export of its own is not pruned either"
status "$srv" "$g2"

# No status file; a status file whose server is gone.
expect_exit 1 bootchroot --image "$out" --prune --status-file "$T/none" >/dev/null 2>"$T/err"
grep -qxF "bootchroot: cannot tell which clients read the generations: cannot read $T/none: No such file or directory (--force to prune anyway)" "$T/err" ||
	fail "missing status file: $(cat "$T/err")"
sh -c 'exit 0' &
dead=$!
wait "$dead"
status "$dead"
expect_exit 1 prune >/dev/null 2>"$T/err"
grep -qxF "bootchroot: cannot tell which clients read the generations: the nbdexport of $T/status (pid $dead) is not running (--force to prune anyway)" "$T/err" ||
	fail "stale pid: $(cat "$T/err")"
all_there "$g2" "$g3" "$g4"
ok "no status file, or its nbdexport not running: refused with one line"

# --force: gone, but a reader that has the file open keeps reading it.
status "$srv" "$g2"
exec 8<"$img/$g2"
prune --force >"$T/out" 2>&1
cat "$T/out"
[ ! -e "$img/$g2" ] && [ ! -e "$img/$g3" ] || fail "--force left generations"
[ "$(cat "$hist")" = "$g4" ] || fail "history after --force: $(cat "$hist")"
[ "$(readlink "$out")" = "$g4" ] || fail "the link moved"
unsquashfs -cat /proc/self/fd/8 root/gen 2>/dev/null | grep -x >/dev/null 2 || fail "the open generation cannot be read"
exec 8<&-
ok "--force removes generations clients read; an open one stays readable"

bootchroot --image "$out" --prune --status-file "$T/none" >"$T/out"
grep -q '^nothing to prune' "$T/out" || fail "nothing to prune: $(cat "$T/out")"
ok "nothing to prune: exit 0, no status file needed"

expect_exit 2 bootchroot --image "$out" --prune "$tree" 2>/dev/null
expect_exit 2 bootchroot --prune 2>/dev/null
expect_exit 2 bootchroot --force --image "$out" "$tree" 2>/dev/null
ok "usage errors: --prune with a tree, without --image; --force without --prune"

# With a real nbdexport and a real client (nbdsh) attached to an old
# generation: refused while it reads; forced, the client reads on to the end,
# and a new connection to that generation is refused.
requires nbdexport nbdsh nbdinfo
bootchroot -q --idmap-domain example.org --image "$out" "$tree" -- /bin/sh -c "echo 5 >/root/gen"
g5=$(readlink "$out")
port=$(free_port)
uri=nbd://127.0.0.1:$port
nbdstatus=$T/run/nbdexport.status
start_server -P "$T/nbd.pid" -w "$port" logged "$T/nbd.log" nbdexport -f -l 127.0.0.1 -p "$port" \
	--pidfile "$T/nbd.pid" --status-file "$nbdstatus" "$out=client"
id4=${g4:7:16}
sum4=$(sha256sum <"$img/$g4" | cut -d' ' -f1)
PATH=/usr/bin:$PATH nbdsh -u "$uri/client@$id4" -c "
import hashlib, os, time
def digest():
    size = h.get_size()
    m = hashlib.sha256()
    for off in range(0, size, 65536):
        m.update(h.pread(min(65536, size - off), off))
    return m.hexdigest()
first = digest()
open('$T/ready', 'w').write('attached')
while not os.path.exists('$T/go'):
    time.sleep(0.05)
print(first, digest())
" >"$T/client.out" &
client=$!
cleanup_fn kill "$client"
for _ in $(seq 1 100); do [ -s "$T/ready" ] && break; sleep 0.1; done
[ -s "$T/ready" ] || fail "the client did not attach to client@$id4"
for _ in $(seq 1 30); do grep -q '^client ' "$nbdstatus" 2>/dev/null && break; sleep 0.1; done
grep -q '^client ' "$nbdstatus" || fail "nbdexport's status names no client: $(cat "$nbdstatus")"
peer=$(awk '$1 == "client" { print $2 }' "$nbdstatus")
expect_exit 1 bootchroot --image "$out" --prune --status-file "$nbdstatus" >"$T/out" 2>"$T/err"
grep -qxF "drop $img/$g4 (read by $peer)" "$T/out" || fail "plan with nbdexport: $(cat "$T/out" "$nbdstatus")"
grep -qxF "bootchroot: $img/$g4 is still read by $peer: not pruning (--force to prune anyway)" "$T/err" ||
	fail "refusal with nbdexport: $(cat "$T/err")"
[ -f "$img/$g4" ] || fail "$g4 removed"
ok "nbdexport's status file: the generation nbdsh reads is named with its client; refused"
bootchroot --image "$out" --prune --status-file "$nbdstatus" --force >"$T/out"
[ ! -e "$img/$g4" ] || fail "--force left $g4"
touch "$T/go"
wait "$client" || fail "the client failed after the prune"
client=
read -r first second <"$T/client.out"
[ "$first" = "$sum4" ] && [ "$second" = "$sum4" ] || fail "the client read $first then $second, not $sum4"
ok "after a forced prune the attached client reads its whole generation again, unchanged"
expect_exit 1 nbdinfo "$uri/client@$id4" 2>"$T/err"
grep -q "No such file or directory" "$T/err" || fail "a new connection to the pruned generation: $(cat "$T/err")"
nbdinfo "$uri/client" >/dev/null || fail "the current generation is not served"
ok "a new connection to the pruned generation is refused; the current one is served"
