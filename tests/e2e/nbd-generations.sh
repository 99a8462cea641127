#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A client never reads another image's blocks. One boot over NBD (with the
# reconnecting watcher) from generation A of a bootchroot-style directory:
#   1. generations B and C, the same size as A, are published and nbdexport
#      is restarted: the client reconnects to A (its pinned NAME@ID) and reads
#      A's data after dropping its caches, not C's;
#   2. the network is cut for longer than the NBD I/O timeout while the client
#      reads and a generation D is published: when the link is back the client
#      resumes on A by itself;
#   3. A's file is removed and nbdexport restarted: the client says, on the
#      console and in /run/pxeroot/nbd.log, that the server no longer serves
#      its generation, again at every attempt, and attaches nothing else.
# Then a second, short boot with rd.pxeroot.nbd.lost=fail: its generation
# removed, the watcher disconnects the device and reads fail with I/O errors.
# Last, a boot from nbdkit, which names no generation: the initramfs warns
# that reconnects are checked by size only.
# timeout: 600
. "$(dirname "$0")/lib-boot.sh"

boot_setup
requires nbdexport nbdkit /usr/bin/python3
boot_initramfs
t_start=$SECONDS

boot_root "$T/tree"
# The guest's side runs from a tmpfs copy of BusyBox: once its generation is
# gone, nothing may need the NBD device to go on and power off.
cat >"$T/tree/sbin/init.extra" <<'EXTRA'
mkdir -p /run/bb
cp /bin/busybox /run/bb/busybox
/run/bb/busybox --install -s /run/bb
cat >/run/bb/steps.sh <<'STEPS'
export PATH=/run/bb
# wait_kmsg ERE SECS: until the kernel log has a line matching ERE.
wait_kmsg() {
	i=0
	while [ "$i" -lt "$2" ]; do
		dmesg | grep -Eq "$1" && return 0
		sleep 1
		i=$((i + 1))
	done
	echo "GEN-TIMEOUT waiting for $1"
	return 1
}
case " $(cat /proc/cmdline) " in
*" pxeroot.test.foreign "*)
	poweroff -f
	;;
*" pxeroot.test.lostfail "*)
	echo "GEN-FAIL-READY"
	wait_kmsg 'nbd0: disconnected \(rd.pxeroot.nbd.lost=fail\)' 120
	echo 3 >/proc/sys/vm/drop_caches
	if md5sum </data >/dev/null 2>/run/bb/err; then
		echo "GEN-FAIL-READ-OK"
	else
		echo "GEN-FAIL-READ-ERROR $(cat /run/bb/err)"
	fi
	poweroff -f
	;;
esac
echo "GEN-PINNED $(cat /run/pxeroot/nbd.pinned)"
echo "GEN-MD5-START $(md5sum </data | cut -d ' ' -f 1)"
echo "GEN-STEP1-READY"
wait_kmsg 'nbd0: reconnected' 120
echo 3 >/proc/sys/vm/drop_caches
echo "GEN-MD5-RESTART $(md5sum </data | cut -d ' ' -f 1)"
echo "GEN-STEP2-READY"
sleep 3
echo 3 >/proc/sys/vm/drop_caches
echo "GEN-MD5-CUT $(md5sum </data | cut -d ' ' -f 1)"
echo "GEN-STEP3-READY"
wait_kmsg 'not attaching another \(attempt 3\)' 180
echo "GEN-NBDLOG-BEGIN"
cat /run/pxeroot/nbd.log
echo "GEN-NBDLOG-END"
echo "GEN-DONE"
poweroff -f
STEPS
exec /run/bb/sh /run/bb/steps.sh
EXTRA
chmod 0755 "$T/tree/sbin/init.extra"

# Generations of the same size with different content, named as bootchroot
# names them (STEM-<16 hex of the SHA-256>.sqfs), behind debian.sqfs.
img=$T/images
mkdir -p "$img"
declare -A md5 id
for g in A B C D; do
	head -c 3M /dev/urandom >"$T/tree/data"
	md5[$g]=$(md5sum <"$T/tree/data" | cut -d ' ' -f 1)
	mksquashfs "$T/tree" "$T/$g.sqfs" -noappend -quiet -comp xz >/dev/null || fail "mksquashfs"
done
size=0
for g in A B C D; do
	s=$(stat -c %s "$T/$g.sqfs")
	[ "$s" -gt "$size" ] && size=$s
done
publish() { # GEN: pad to the common size, name by content, point the link at it
	truncate -s "$size" "$T/$1.sqfs"
	id[$1]=$(sha256sum <"$T/$1.sqfs" | cut -c1-16)
	mv "$T/$1.sqfs" "$img/debian-${id[$1]}.sqfs"
	ln -sfn "debian-${id[$1]}.sqfs" "$img/debian.sqfs.new"
	mv -T "$img/debian.sqfs.new" "$img/debian.sqfs"
}
publish A
status=$T/status
serve() {
	start_server -P "$T/nbdexport.pid" -w 10809 logged "$T/nbdexport.log" \
		nbdexport -f --pidfile "$T/nbdexport.pid" --status-file "$status" \
		-l 127.0.0.1 -p 10809 "$img/debian.sqfs=debian"
}
stop() {
	local pid
	pid=$(cat "$T/nbdexport.pid")
	kill "$pid"
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	fail "nbdexport did not stop"
}
serve

# wait_console ERE SECS: until the console shows a line matching ERE.
log=$T/console.log
wait_console() {
	for _ in $(seq 1 $(($2 * 10))); do
		grep -Eq "$1" "$log" 2>/dev/null && return 0
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 30 "$log"
	fail "no console line matches /$1/"
}
# The console while QEMU runs, without the serial line's CR.
now_log() {
	tr -d '\r' <"$log" >"$T/now.log"
	echo "$T/now.log"
}
monitor() { # a command for the QEMU monitor
	/usr/bin/python3 - "$T/monitor.sock" "$1" <<'EOP'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
time.sleep(0.5)
s.close()
EOP
}

t0=$(date +%s%N)
BOOT_TIMEOUT=500 boot "$log" "root=nbd:10.0.2.2:10809/debian rd.pxeroot.nbd.timeout=5" \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
	-chardev socket,id=mon,path="$T/monitor.sock",server=on,wait=off -mon chardev=mon,mode=readline &
qemu_pid=$!
cleanup_fn kill "$qemu_pid"

# 1. A restart with same-size generations published meanwhile.
wait_console '^GEN-STEP1-READY' 200
expect_line "$(now_log)" "^GEN-PINNED debian@${id[A]}\$" "the client pinned its device to debian@${id[A]} (/run/pxeroot/nbd.pinned)"
expect_line "$(now_log)" "^GEN-MD5-START ${md5[A]}\$" "the client reads generation A"
grep -Eq "^client 127\.0\.0\.1:[0-9]+ debian@${id[A]} $img/debian-${id[A]}.sqfs [0-9]+\$" "$status" ||
	fail "the status file does not show the client on A: $(cat "$status")"
ok "the status file shows the client reading generation A"
publish B
publish C
[ "$(stat -c %s "$img/debian-${id[A]}.sqfs")" = "$(stat -c %s "$img/debian-${id[C]}.sqfs")" ] ||
	fail "A and C differ in size"
stop
serve
wait_console '^GEN-MD5-RESTART ' 120
expect_line "$(now_log)" "pxeroot-nbd: nbd0: reconnected to 10.0.2.2:10809/debian@${id[A]}" "after the restart the watcher reconnected to debian@${id[A]}"
expect_line "$(now_log)" "^GEN-MD5-RESTART ${md5[A]}\$" "after the restart, with caches dropped, the client reads A's data, not C's"
grep -Eq "^client .* debian@${id[A]} " "$status" || fail "status after the restart: $(cat "$status")"
ok "the restarted server's status file shows the client on A, C being current"

# 2. The network cut for longer than the I/O timeout (5 s) while the client
# reads; a new generation is published meanwhile.
wait_console '^GEN-STEP2-READY' 60
monitor "set_link n0 off"
publish D
sleep 15
monitor "set_link n0 on"
wait_console '^GEN-MD5-CUT ' 120
expect_line "$(now_log)" "^GEN-MD5-CUT ${md5[A]}\$" "after the network cut the client resumed on A by itself"
[ "$(grep -c "pxeroot-nbd: nbd0: reconnected to 10.0.2.2:10809/debian@${id[A]}" "$(now_log)")" -ge 2 ] ||
	fail "no second reconnection to A after the cut"
ok "the watcher reconnected to A after the cut, D being current"

# 3. A is removed: no server has it any more.
wait_console '^GEN-STEP3-READY' 30
rm "$img/debian-${id[A]}.sqfs"
stop
serve
wait_console '^GEN-DONE' 240
wait "$qemu_pid" || fail "QEMU failed"
sed -i 's/\r$//' "$log"
boot_times "$log" "$t0"
expect_booted "$log" "root=nbd:/debian, pinned"
msg="pxeroot-nbd: nbd0: 10.0.2.2:10809 no longer serves debian@${id[A]}, the generation this client runs from; not attaching another"
# (The first attempt may find the server still starting.)
for n in 2 3; do
	expect_line "$log" "^(\[ *[0-9.]+\] )?$msg \(attempt $n\)" "the console says the generation is gone (attempt $n)"
done
sed -n '/^GEN-NBDLOG-BEGIN/,/^GEN-NBDLOG-END/p' "$log" >"$T/nbd.log"
grep -q "$msg (attempt 3)" "$T/nbd.log" || fail "/run/pxeroot/nbd.log: $(cat "$T/nbd.log")"
ok "/run/pxeroot/nbd.log has the same lines"
# From the first such line to the guest's copy of nbd.log (earlier lines).
sed -n "/no longer serves debian@${id[A]}/,/^GEN-NBDLOG-BEGIN/p" "$log" | grep -q 'reconnected' &&
	fail "the client attached something after its generation was gone"
grep -q '^client ' "$status" && fail "the server has a client on some generation: $(cat "$status")"
ok "the client attached no other generation (console and status file)"
ok "the pinned boot through all three steps: $((SECONDS - t_start)) s"

# 4. rd.pxeroot.nbd.lost=fail: generation D attached, then removed.
log=$T/lostfail.log
t0=$(date +%s%N)
boot "$log" "root=nbd:10.0.2.2:10809/debian rd.pxeroot.nbd.timeout=5 rd.pxeroot.nbd.lost=fail pxeroot.test.lostfail" &
qemu_pid=$!
cleanup_fn kill "$qemu_pid"
wait_console '^GEN-FAIL-READY' 200
rm "$img/debian-${id[D]}.sqfs"
ln -sfn "debian-${id[C]}.sqfs" "$img/debian.sqfs"
stop
serve
wait "$qemu_pid" || fail "QEMU failed"
sed -i 's/\r$//' "$log"
expect_line "$log" "pxeroot-nbd: nbd0: 10.0.2.2:10809 no longer serves debian@${id[D]}, the generation this client runs from; not attaching another" "lost=fail: the console says the generation is gone"
expect_line "$log" 'pxeroot-nbd: nbd0: disconnected \(rd.pxeroot.nbd.lost=fail\)' "lost=fail: the watcher disconnected the device"
grep '^GEN-FAIL' "$log" || true
expect_line "$log" '^GEN-FAIL-READ-ERROR .*(I/O|Input/output) error' "lost=fail: reads of the root fail with I/O errors instead of waiting"

# 5. A server that names no generation.
start_server -P "$T/nbdkit.pid" -w 10810 nbdkit -f -r -P "$T/nbdkit.pid" -i 127.0.0.1 -p 10810 \
	file "$img/debian-${id[C]}.sqfs"
boot "$T/foreign.log" "root=nbd:10.0.2.2:10810 pxeroot.test.foreign"
expect_booted "$T/foreign.log" "nbdkit"
expect_line "$T/foreign.log" "pxeroot: warning: NBD server 10.0.2.2:10810 names no generation for its default export: reconnects are checked by size only" "a server that names no generation: one warning at attach"
ok "all boots: $((SECONDS - t_start)) s"
