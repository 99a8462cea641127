#!/bin/bash
# nbdexport serves the generations bootchroot publishes: NAME is the newest,
# NAME@ID every generation still on disk (after a restart too), and a removed
# one is refused while its clients read on; the canonical name a client gets
# is NAME@ID; the status file and SIGUSR1 say which client reads which; a plain
# image is identified by the SHA-256 of its content, kept in an attribute.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires_root
requires nbdexport bootchroot nbdinfo nbdcopy mksquashfs unsquashfs busybox
# Debian's python3-libnbd, whatever python3 comes first on PATH.
/usr/bin/python3 -c 'import nbd' 2>/dev/null || skip "python3-libnbd is not installed"

# A small tree bootchroot can run a command in, and generations of it.
tree=$T/tree
busybox_tree "$tree"
mkdir -p "$tree/etc"
printf 'ID=debian\nVERSION_ID=12\n' >"$tree/etc/os-release"
img=$T/images
mkdir -p "$img"
publish() { # CONTENT: a new generation, its identity on stdout
	bootchroot -q --no-prepare --image "$img/debian.sqfs" "$tree" -- /bin/sh -c "echo $1 >/gen"
	local g
	g=$(readlink "$img/debian.sqfs")
	g=${g#debian-}
	echo "${g%.sqfs}"
}
idA=$(publish one)
idB=$(publish two)
[[ $idA =~ ^[0-9a-f]{16}$ && $idB =~ ^[0-9a-f]{16}$ && $idA != "$idB" ]] || fail "generations $idA $idB"

# A plain image, in a directory whose name needs escaping in the status file.
mkdir -p "$T/plain dir"
head -c 1M /dev/urandom >"$T/plain.data"
mksquashfs "$T/plain.data" "$T/plain dir/rescue.sqfs" -quiet -noappend >/dev/null
idP=$(sha256sum "$T/plain dir/rescue.sqfs" | cut -c1-16)

port=$(free_port)
uri=nbd://127.0.0.1:$port
status=$T/run/status # its directory does not exist yet
serve() {
	start_server -P "$T/pid" -w "$port" logged "$T/log" nbdexport -f -v -v -l 127.0.0.1 -p "$port" \
		--pidfile "$T/pid" --status-file "$status" "$img/debian.sqfs=debian" \
		"$T/plain dir/rescue.sqfs=rescue"
}
serve

gen_of() { # URI: the content of /gen in the image served there
	rm -f "$T/copy"
	nbdcopy "$1" "$T/copy"
	unsquashfs -cat "$T/copy" gen
}
# NAME: the canonical name and description the server gives (an export with
# neither generation nor description advertises no description).
canonical() {
	PATH=/usr/bin:$PATH nbdsh -c 'h.set_full_info(True)' -u "$uri/$1" \
		-c 'print(h.get_canonical_export_name())' \
		-c 'print(h.get_export_description() if h.get_canonical_export_name().count("@") else "")'
}

nbdinfo --list "$uri" >"$T/list"
grep -q "description: generation $idA$" "$T/list" || fail "the older generation is not listed: $(cat "$T/list")"
grep -q "description: generation $idB, current$" "$T/list" || fail "the current generation is not listed: $(cat "$T/list")"
grep -q "export=\"debian@$idA\":" "$T/list" || fail "debian@$idA not listed: $(cat "$T/list")"
ok "NBD_OPT_LIST lists every generation on disk, and which one is current"

assert_eq two "$(gen_of "$uri/debian")" "NAME serves the newest generation"
assert_eq one "$(gen_of "$uri/debian@$idA")" "NAME@ID serves that generation"
assert_eq two "$(gen_of "$uri/debian@$idB")" "NAME@ID of the current generation"
nbdinfo "$uri/debian@$idA" >"$T/info"
grep -q "export-size: $(stat -c %s "$img/debian-$idA.sqfs")" "$T/info" || fail "nbdinfo: $(cat "$T/info")"
ok "nbdinfo reads NAME@ID"

canonical debian >"$T/canon"
assert_eq "debian@$idB" "$(sed -n 1p "$T/canon")" "asked for NAME, the canonical name is NAME@ID of the newest"
canonical "debian@$idA" >"$T/canon"
assert_eq "debian@$idA" "$(sed -n 1p "$T/canon")" "asked for NAME@ID, the canonical name is that"
assert_eq "generation $idA" "$(sed -n 2p "$T/canon")" "the description names the generation"
canonical rescue >"$T/canon"
assert_eq "rescue@$idP" "$(sed -n 1p "$T/canon")" "a plain image is identified by the SHA-256 of its content"
/usr/bin/python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.pxeroot.sha256").decode())' \
	"$T/plain dir/rescue.sqfs" >"$T/xattr"
grep -q " $(sha256sum "$T/plain dir/rescue.sqfs" | cut -d' ' -f1)$" "$T/xattr" || fail "attribute: $(cat "$T/xattr")"
ok "the content's identity is kept in user.pxeroot.sha256"

expect_exit 1 nbdinfo "$uri/debian@0123456789abcdef" 2>"$T/err"
# NBD_REP_ERR_UNKNOWN, which libnbd reports as ENOENT.
grep -q "No such file or directory" "$T/err" || fail "unknown generation: $(cat "$T/err")"
expect_exit 1 nbdinfo "$uri/debian@../../etc" 2>/dev/null
ok "a generation that is not on disk is refused"

# A client that holds generation A: reads it whole, waits, reads it again.
cat >"$T/client.py" <<'EOP'
import hashlib, os, sys, time
import nbd
uri, ready, go = sys.argv[1:4]
h = nbd.NBD()
h.set_full_info(True)
h.connect_uri(uri)
def digest():
    size = h.get_size()
    m = hashlib.sha256()
    for off in range(0, size, 65536):
        m.update(h.pread(min(65536, size - off), off))
    return m.hexdigest()
first = digest()
open(ready, "w").write(h.get_canonical_export_name())
while not os.path.exists(go):
    time.sleep(0.05)
print(first, digest())
h.shutdown()
EOP
sumA=$(sha256sum <"$img/debian-$idA.sqfs" | cut -d' ' -f1)
PATH=/usr/bin:$PATH python3 "$T/client.py" "$uri/debian@$idA" "$T/ready" "$T/go" >"$T/client.out" &
client=$!
for _ in $(seq 1 100); do [ -s "$T/ready" ] && break; sleep 0.1; done
[ -s "$T/ready" ] || fail "the client did not attach"
sleep 1.2 # the status file is written within a second of a change
[ "$(sed -n 1p "$status")" = "# nbdexport status" ] || fail "status header: $(cat "$status")"
grep -qx "pid $(cat "$T/pid")" "$status" || fail "status pid: $(cat "$status")"
grep -qx "export debian debian@$idB $img/debian-$idB.sqfs" "$status" || fail "status, current: $(cat "$status")"
grep -qx "export debian debian@$idA $img/debian-$idA.sqfs" "$status" || fail "status, in use: $(cat "$status")"
grep -qx "export rescue rescue@$idP $T/plain\\\\040dir/rescue.sqfs" "$status" ||
	fail "status, escaped path: $(cat "$status")"
grep -Eq "^client 127\.0\.0\.1:[0-9]+ debian@$idA $img/debian-$idA.sqfs [0-9]+$" "$status" ||
	fail "status, client: $(cat "$status")"
since=$(awk '$1 == "client" { print $5 }' "$status")
[ $(($(date +%s) - since)) -lt 30 ] || fail "attach time $since"
assert_eq 1 "$(grep -c '^client ' "$status")" "one client line per connection in transmission"

kill -USR1 "$(cat "$T/pid")"
sleep 0.5
grep -Eq "status: client 127\.0\.0\.1:[0-9]+ debian@$idA " "$T/log" || fail "SIGUSR1 logged no table: $(tail "$T/log")"
ok "SIGUSR1 writes the table to the log"

# Generation A removed (as bootchroot --prune would): nobody new gets it, the
# client that has it reads it to the end, whole.
rm "$img/debian-$idA.sqfs"
expect_exit 1 nbdinfo "$uri/debian@$idA" 2>"$T/err"
grep -q "No such file or directory" "$T/err" || fail "removed generation: $(cat "$T/err")"
nbdinfo --list "$uri" | grep -q "debian@$idA" && fail "a removed generation is still listed"
ok "a removed generation is refused and no longer listed"
touch "$T/go"
wait "$client" || fail "the client failed"
assert_eq "$sumA $sumA" "$(cat "$T/client.out")" "the client of a removed generation reads it whole"
sleep 1.2
grep -q '^client ' "$status" && fail "a client line stayed after it left: $(cat "$status")"
grep -q "debian@$idA" "$status" && fail "the removed generation stayed in the status: $(cat "$status")"
ok "the status file drops the client and the generation it read once it leaves"

# A storm: 64 clients attach at once and leave; the file is written a few
# times, not once per event.
cat >"$T/storm.py" <<'EOP'
import sys
import nbd
hs = []
for _ in range(64):
    h = nbd.NBD()
    h.connect_uri(sys.argv[1])
    hs.append(h)
for h in hs:
    h.shutdown()
EOP
before=$(grep -c 'wrote the status file' "$T/log" || true)
PATH=/usr/bin:$PATH python3 "$T/storm.py" "$uri/debian"
sleep 1.2
writes=$(($(grep -c 'wrote the status file' "$T/log") - before))
[ "$writes" -ge 1 ] && [ "$writes" -le 16 ] || fail "128 changes gave $writes writes of the status file"
grep -q '^client ' "$status" && fail "client lines stayed after the storm: $(cat "$status")"
ok "128 attaches and detaches: $writes writes of the status file"

# A new generation and a reload: the status file follows within a second.
idC=$(publish three)
kill -HUP "$(cat "$T/pid")"
sleep 1.2
grep -qx "export debian debian@$idC $img/debian-$idC.sqfs" "$status" || fail "status after SIGHUP: $(cat "$status")"
ok "the status file is written again after a reload"

# A restart: the directory is the list.
pid=$(cat "$T/pid")
kill "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
[ ! -e "$status" ] || fail "the status file outlived the server"
ok "the status file is removed at a clean exit"
serve
assert_eq three "$(gen_of "$uri/debian")" "after a restart NAME is the newest"
assert_eq two "$(gen_of "$uri/debian@$idB")" "after a restart an older generation is still served"
canonical "debian@$idB" >"$T/canon"
assert_eq "debian@$idB" "$(sed -n 1p "$T/canon")" "its canonical name"
grep -qx "export debian debian@$idC $img/debian-$idC.sqfs" "$status" || fail "status after restart: $(cat "$status")"
ok "a restarted server writes the status file at start"

# An image clients write to has no fixed content, hence no identity.
port2=$(free_port)
cp "$T/plain dir/rescue.sqfs" "$T/rw.img"
cat >"$T/rw.conf" <<EOC
[global]
listen = 127.0.0.1:$port2
status-file = $T/rw.status
[rw]
path = $T/rw.img
readonly = no
EOC
start_server -P "$T/pid2" -w "$port2" logged "$T/log2" nbdexport -f -c "$T/rw.conf" --pidfile "$T/pid2"
uri=nbd://127.0.0.1:$port2
canonical rw >"$T/canon"
assert_eq rw "$(sed -n 1p "$T/canon")" "a writable export keeps its plain name"
grep -qx "export rw rw $T/rw.img" "$T/rw.status" || fail "status-file from the configuration: $(cat "$T/rw.status")"
ok "status-file in [global] is used"

