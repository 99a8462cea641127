# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the boot matrix, tests/e2e/boot-*.sh. Source it instead of
# tests/lib.sh (it sources that): the test then runs as root in a private
# network and mount namespace, so that its servers (nbdexport, nfs-ganesha
# with rpcbind, an HTTP server, a DHCP server) listen on their standard ports
# on a loopback of their own, and a QEMU guest on user-mode networking reaches
# them at 10.0.2.2. Nothing listens outside the namespace.
#
#   boot_setup                 check the tools, enter the namespace's network
#   boot_initramfs [ARGS]      the kernel (kernel_fetch) and an initramfs made by
#                              mkbootimage from it: $VMLINUZ, $INITRD
#   boot_root DIR [BB RUN]     a tiny root tree (BusyBox, or BB listed with RUN:
#                              busybox_tree) whose /sbin/init prints
#                              "BOOTED $BOOT_TOKEN", its mounts, the lease and
#                              powers off
#   boot_squashfs DIR OUT      a squashfs of DIR
#   boot LOG APPEND [QEMU...]  boot $VMLINUZ + $INITRD (virtio-net on user-mode
#                              networking unless QEMU args say otherwise);
#                              sets BOOT_SECS (wall clock) and SWITCH_AT (kernel
#                              time at switch_root)
#   expect_booted LOG WHAT     the root's marker is in LOG, else fail
#   expect_line LOG ERE WHAT   a console line matches ERE, else fail
#   expect_failed LOG ERE WHAT the boot failed with a line matching ERE, and the
#                              failure policy ran (no hang)
#   start_nbdexport ARGS...    nbdexport on 127.0.0.1:10809
#   start_rpcbind, start_ganesha EXPORT-BLOCKS, start_httpd DIR [PORT]
#   pxe_tftp_dir DIR APPEND    pxelinux.0, ldlinux.c32, a menu, kernel, initramfs
#   host_net CMD [ARG...]      run CMD in the host's network namespace (for
#                              apt-get and the Debian archive)
#
# Every boot adds rd.pxeroot.fail.timeout=0 so that a failed boot reboots at
# once (QEMU runs with -no-reboot: it exits) instead of waiting a minute.

if [ -z "${PXEROOT_BOOT_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	export PXEROOT_BOOT_NETNS=1
	# fd 6 keeps the host's network namespace for host_net.
	exec 6</proc/self/ns/net
	exec unshare --net --mount --propagation private "$BASH" "$0" "$@"
fi
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

boot_setup() {
	requires_root
	requires qemu-system-x86_64 busybox mksquashfs unshare ip ss mkbootimage
	[ "${PXEROOT_BOOT_NETNS:-}" = 1 ] || skip "cannot enter a private network namespace"
	ip link set lo up
	# nfs-ganesha resolves its addresses with AI_ADDRCONFIG, which wants one
	# non-loopback address: a tap device nobody uses provides it.
	ip tuntap add dev pxrdummy mode tap 2>/dev/null
	ip addr add 192.0.2.1/24 dev pxrdummy 2>/dev/null
	ip link set pxrdummy up 2>/dev/null
	# rpcbind and ganesha keep sockets and locks in /run: a private one.
	mount -t tmpfs -o mode=0755 pxeroot-test-run /run
}

host_net() {
	if [ "${PXEROOT_BOOT_NETNS:-}" = 1 ] && [[ $(readlink /proc/self/fd/6) == net:* ]]; then
		nsenter --net=/proc/self/fd/6 "$@"
	else
		"$@"
	fi
}

boot_initramfs() {
	kernel_fetch
	local sysroot=$T/sysroot
	mkdir -p "$sysroot/lib/modules" "$sysroot/boot"
	# Links, not copies, of the cached kernel tree; mkbootimage only reads it.
	cp -al "$KERNEL_ROOT/lib/modules/$KVER" "$sysroot/lib/modules/" 2>/dev/null ||
		cp -a "$KERNEL_ROOT/lib/modules/$KVER" "$sysroot/lib/modules/"
	INITRD=$T/initrd.img
	local t0=$SECONDS
	mkbootimage -q -d virtio_net,e1000 -o "$INITRD" "$@" "$sysroot" "$KVER" ||
		fail "mkbootimage failed"
	ok "initramfs built by mkbootimage: $(($(stat -c %s "$INITRD") / 1024)) KiB in $((SECONDS - t0)) s"
	export INITRD
}

BOOT_TOKEN=pxeroot-booted-$RANDOM$RANDOM

boot_root() {
	local dir=$1
	busybox_tree "$dir" "${2:-}" "${3:-}"
	mkdir -p "$dir/etc" "$dir/var/log" "$dir/root" "$dir/home" "$dir/newroot"
	echo "$BOOT_TOKEN" >"$dir/etc/boot-token"
	cat >"$dir/sbin/init" <<'INIT'
#!/bin/sh
# The tiny root's init: only a booted root can print its token.
export PATH=/bin:/sbin
echo "BOOTED $(cat /etc/boot-token) pid $$ args [$*]"
echo test >/var/log/probe && echo "WRITABLE $(cat /var/log/probe)"
while read -r dev mnt type _; do
	echo "MOUNT $mnt $type $dev"
done </proc/mounts
for f in root.env net.env; do
	[ -f "/run/pxeroot/$f" ] && sed "s|^|ENV $f |" "/run/pxeroot/$f"
done
[ -f /run/pxeroot/boot.log ] && echo "BOOTLOG $(wc -l </run/pxeroot/boot.log) lines"
[ -x /sbin/init.extra ] && . /sbin/init.extra
echo "POWEROFF"
poweroff -f
INIT
	chmod 0755 "$dir/sbin/init"
}

boot_squashfs() {
	mksquashfs "$1" "$2" -noappend -quiet -comp xz >/dev/null || fail "mksquashfs $1"
}

# boot_times LOG T0: BOOT_SECS since T0 (date +%s%N), SWITCH_AT from LOG.
boot_times() {
	BOOT_SECS=$(awk -v a="$2" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	SWITCH_AT=$(sed -n 's/^\[ *\([0-9.]*\)\] pxeroot: switching to.*/\1/p' "$1" | tail -n 1)
}

boot() {
	local log=$1 append=$2 rc=0 t0
	shift 2
	[ $# -gt 0 ] || set -- -netdev user,id=n0 -device virtio-net-pci,netdev=n0
	t0=$(date +%s%N)
	qemu_boot -k "$VMLINUZ" -i "$INITRD" -a "$append rd.pxeroot.fail.timeout=0" -l "$log" \
		-t "${BOOT_TIMEOUT:-150}" -- "$@" || rc=$?
	# The serial console ends lines with CR LF.
	sed -i 's/\r$//' "$log"
	boot_times "$log" "$t0"
	if [ "$rc" = 124 ]; then
		tail -n 30 "$log"
		fail "QEMU did not exit after ${BOOT_TIMEOUT:-150} s: the boot hung ($log)"
	fi
	[ "$rc" = 0 ] || {
		tail -n 30 "$log"
		fail "QEMU exited $rc ($log)"
	}
}

# The stages as the console showed them, for a failing test's log.
_show() {
	grep -E 'pxeroot|BOOTED|MOUNT|Kernel panic' "$1" | tail -n 40 >&2
}

# expect_booted LOG WHAT [ro]: ro when the root is meant to stay read-only.
expect_booted() {
	if ! grep -q "^BOOTED $BOOT_TOKEN" "$1"; then
		_show "$1"
		fail "$2: the root did not boot (no BOOTED $BOOT_TOKEN)"
	fi
	if [ "${3:-}" = ro ]; then
		! grep -q '^WRITABLE test' "$1" || fail "$2: the root is writable"
	else
		grep -q '^WRITABLE test' "$1" || {
			_show "$1"
			fail "$2: the root is not writable"
		}
	fi
	ok "$2: booted in ${BOOT_SECS} s (switch_root at ${SWITCH_AT:-?} s kernel time)"
}

expect_line() {
	if ! grep -Eq "$2" "$1"; then
		_show "$1"
		fail "$3: no line matches /$2/"
	fi
	ok "$3"
}

expect_failed() {
	if grep -q "^BOOTED $BOOT_TOKEN" "$1"; then
		fail "$3: the root booted although it should not have"
	fi
	if ! grep -Eq "pxeroot: error: $2" "$1"; then
		_show "$1"
		fail "$3: no 'pxeroot: error: $2' on the console"
	fi
	grep -q 'pxeroot: boot failed; reboot in 0 s' "$1" || {
		_show "$1"
		fail "$3: the failure policy did not run"
	}
	ok "$3: refused with the documented message in ${BOOT_SECS} s"
}

start_nbdexport() {
	requires nbdexport
	start_server -P "$T/nbdexport.pid" -w 10809 \
		nbdexport -f -q --pidfile "$T/nbdexport.pid" -l 127.0.0.1 -p 10809 "$@"
}

# rpcbind for NFSv3 (the client asks it for the MOUNT and NFS ports).
start_rpcbind() {
	requires rpcbind
	mkdir -p /run/rpcbind
	start_server -P "$T/rpcbind.pid" -w 111 \
		bash -c "echo \$\$ >'$T/rpcbind.pid'; exec rpcbind -f -w"
}

# start_ganesha EXPORT-BLOCK...: nfs-ganesha serving NFSv3 and NFSv4 on 2049.
# GANESHA_NFSV4 adds settings to its NFSV4 block.
start_ganesha() {
	requires ganesha.nfsd
	local conf=$T/ganesha.conf
	mkdir -p "$T/ganesha-recovery"
	{
		echo "NFS_CORE_PARAM { Protocols = 3, 4; Enable_NLM = false; Enable_RQUOTA = false; }"
		echo "NFSV4 { Graceless = true; RecoveryRoot = \"$T/ganesha-recovery\"; ${GANESHA_NFSV4:-} }"
		printf '%s\n' "$@"
	} >"$conf"
	start_server -P "$T/ganesha.pid" -w 2049 \
		ganesha.nfsd -F -f "$conf" -L "$T/ganesha.log" -p "$T/ganesha.pid" -N NIV_WARN
}

# ganesha_export ID PATH PSEUDO: an EXPORT block, read-only, NFSv3 and v4.
ganesha_export() {
	echo "EXPORT { Export_Id = $1; Path = \"$2\"; Pseudo = \"$3\"; Access_Type = RO;" \
		"Squash = No_Root_Squash; Protocols = 3, 4; Transports = TCP; SecType = sys;" \
		"FSAL { Name = VFS; } }"
}

start_httpd() {
	local dir=$1 port=${2:-80}
	start_server -P "$T/httpd.pid" -w "$port" \
		bash -c "echo \$\$ >'$T/httpd.pid'; exec busybox httpd -f -p 127.0.0.1:$port -h '$dir'"
}

# boot_console LOG APPEND WAIT-ERE INPUT [QEMU...]: boot with the serial
# console's input from a pipe; once a console line matches WAIT-ERE, type
# INPUT (a shell command line) there.
boot_console() {
	local log=$1 append=$2 wait=$3 input=$4 rc=0 t0 writer
	shift 4
	[ $# -gt 0 ] || set -- -netdev user,id=n0 -device virtio-net-pci,netdev=n0
	rm -f "$T/console.in"
	mkfifo "$T/console.in"
	: >"$log"
	(
		exec 3>"$T/console.in"
		for _ in $(seq 1 1500); do
			grep -Eq "$wait" "$log" && break
			sleep 0.1
		done
		sleep 1
		printf '%s\n' "$input" >&3
		# Keep the pipe open until QEMU is done.
		exec sleep "${BOOT_TIMEOUT:-150}"
	) &
	writer=$!
	t0=$(date +%s%N)
	timeout -k 5 "${BOOT_TIMEOUT:-150}" qemu-system-x86_64 -accel tcg -m 512 -nographic \
		-no-reboot -nodefaults -serial stdio -monitor none -kernel "$VMLINUZ" \
		-initrd "$INITRD" -append "console=ttyS0 panic=-1 $append rd.pxeroot.fail.timeout=0" \
		"$@" <"$T/console.in" >"$log" 2>&1 || rc=$?
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	sed -i 's/\r$//' "$log"
	boot_times "$log" "$t0"
	[ "$rc" = 0 ] || {
		tail -n 30 "$log"
		fail "QEMU exited $rc ($log)"
	}
}

pxe_tftp_dir() {
	local dir=$1 append=$2
	mkdir -p "$dir/pxelinux.cfg"
	cp /usr/lib/PXELINUX/pxelinux.0 "$dir/" || skip "pxelinux is not installed"
	cp /usr/lib/syslinux/modules/bios/ldlinux.c32 "$dir/" || skip "syslinux-common is not installed"
	cp "$VMLINUZ" "$dir/vmlinuz"
	cp "$INITRD" "$dir/initrd.img"
	cat >"$dir/pxelinux.cfg/default" <<EOF
SERIAL 0 115200
DEFAULT pxeroot
PROMPT 0
TIMEOUT 0
LABEL pxeroot
  KERNEL vmlinuz
  APPEND initrd=initrd.img console=ttyS0 panic=-1 rd.pxeroot.fail.timeout=0 $append
  IPAPPEND 2
EOF
}
