#!/bin/bash
# Reads of data that is not in the page cache do not block the event loop:
# they start readahead and wait (the log counts them), while a client of a
# cached image on the same single loop is served; all bytes arrive intact.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdcopy fincore

# Pages of a file on tmpfs cannot be dropped; find a directory where they can.
dir=
for d in "$T" /var/tmp; do
	w=$(mktemp -d "$d/pxeroot-cold.XXXXXX")
	head -c 1M /dev/urandom >"$w/probe"
	/usr/bin/python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fdatasync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$w/probe"
	if [ "$(fincore -n -b -o RES "$w/probe" | tr -d ' ')" = 0 ]; then
		dir=$w
		break
	fi
	rm -rf "$w"
done
[ -n "$dir" ] || skip "no file system here lets the page cache be dropped"
[ "$dir" = "${dir#"$T"}" ] && cleanup_fn rm -rf "$dir"

head -c 48M /dev/urandom >"$dir/cold.img"
head -c 4M /dev/urandom >"$dir/hot.img"
want=$(sha256sum <"$dir/cold.img" | cut -d' ' -f1)
hot=$(sha256sum <"$dir/hot.img" | cut -d' ' -f1)
/usr/bin/python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fdatasync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$dir/cold.img"

port=$(free_port)
start_server -P "$T/pid" -w "$port" logged "$T/log" nbdexport -f -v --force -t 1 -l 127.0.0.1 -p "$port" \
	--pidfile "$T/pid" "$dir/cold.img" "$dir/hot.img"
nbdcopy "nbd://127.0.0.1:$port/cold.img" - | sha256sum | cut -d' ' -f1 >"$T/cold" &
cold=$!
for _ in 1 2 3; do
	got=$(nbdcopy "nbd://127.0.0.1:$port/hot.img" - | sha256sum | cut -d' ' -f1)
	assert_eq "$hot" "$got" "cached image served during the cold read"
done
wait "$cold" || fail "cold copy failed"
assert_eq "$want" "$(cat "$T/cold")" "cold image read intact"
sleep 0.3
waited=$(sed -n 's/.* \([0-9]*\) reads waited for the disk/\1/p' "$T/log" | sort -n | tail -1)
[ "${waited:-0}" -gt 0 ] || fail "no read waited for the page cache: $(grep disconnected "$T/log")"
ok "$waited reads waited for readahead instead of blocking the loop"
