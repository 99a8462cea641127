# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by tests/e2e/debian-*boot*.sh: a real Debian tree (debootstrap,
# cached; see debian_tree in tests/lib-bootready.sh) prepared by
# mkbootready, its own kernel with an initramfs from mkbootimage, booted under
# QEMU to systemd's multi-user target. Source it instead of lib-boot.sh (it
# sources that, so the test runs in its own network and mount namespace).
# The release is $DEBIAN_RELEASE (bookworm, Debian 12, unless the test sets
# trixie, Debian 13, before sourcing this).
#
#   debian_setup               boot_setup and the tools these tests need
#   debian_client_tree DEST [link]
#                              a copy of the cached tree with the probe (below);
#                              "link" shares the files' inodes with the cache
#                              (only for trees nobody writes in place); the
#                              tree is debian_tree's, or debian_tree_with
#                              DEBIAN_CLIENT_PACKAGES when they are set
#   debian_initramfs TREE      $VMLINUZ (the tree's kernel) and $INITRD
#   debian_lan                 a bridge with a DHCP server (short leases) and an
#                              HTTP server on 192.168.77.1 inside the namespace;
#                              DEBIAN_LAN_HOSTNAME: the host name it gives
#   sysv_client_tree PACKAGES DEST
#                              debian_tree_with PACKAGES (SysV init or OpenRC)
#                              with the SysV probe (below) and a getty on the
#                              serial console
#   disk_install_files TREE    (tests/lib-bootready.sh) what a disk install
#                              leaves (fstab by UUID=, swap, CD-ROM, ifupdown on
#                              eth0, resume, host name)
#   sysv_boot_test INIT PACKAGES [disk]
#                              the SysV init / OpenRC boot test (below)
#   debian_boot NAME APPEND NETDEV-ARGS...
#                              start QEMU for client NAME in the background;
#                              its console goes to $T/NAME.log
#   debian_wait NAME           wait for it; sets BOOTED_SECS (QEMU start to
#                              multi-user) and POWEROFF_SECS (poweroff asked
#                              to QEMU gone)
#   debian_boot_pair WHAT APPEND-A APPEND-B
#                              clients a and b on debian_lan, booted at once
#                              with pxrt.peer and pxrt.go; the host's "go"
#                              once both wrote their files; then both waited
#                              for, their times in booted[] and poweroff[]
#   probe NAME KEY             the value the probe reported for KEY
#   expect_client NAME WHAT    the assertions every booted client must pass,
#                              given DNS_WANT, ADDR_WANT and KEEPER_WANT
#                              (networkd or networkmanager)
#   expect_lan_client NAME WHAT
#                              for a client on debian_lan booted with
#                              pxrt.peer and pxrt.go: expect_client, then the
#                              peer's files unseen, NetworkManager off the boot
#                              interface, the short lease renewed by networkd
#   initramfs_modules_check    every module in $INITRD is a plain .ko, and
#                              signed when the tree's are
#
# The probe (tests/e2e/debian-probe, pxeroot-probe.service) runs once
# multi-user.target is reached, reports on the console what the client sees as
# "PXRT KEY VALUE" lines, then runs "systemctl poweroff".

. "$(dirname "${BASH_SOURCE[0]}")/lib-boot.sh"
. "$SRC/tests/lib-bootready.sh"

DEBIAN_BOOT_TIMEOUT=${DEBIAN_BOOT_TIMEOUT:-480}
# The test runs in a network namespace of its own: debootstrap needs the
# Debian archive, outside it.
DEBIAN_TREE_NET=host_net

debian_setup() {
	boot_setup
	requires debootstrap mkbootready
	# The kernel client maps owner names through a /sbin/request-key upcall,
	# which an NFS root cannot always serve (state recovery waits on the very
	# file system the helper lives on): numeric owners, as the kernel's own
	# server sends them for sec=sys.
	GANESHA_NFSV4="Only_Numeric_Owners = true;"
	# A Debian 13 client (Linux 6.12) mounted nfs-ganesha 4.3 (Debian 12's)
	# over NFSv4.2, then failed to read from it: "switch_root: can't execute
	# '/sbin/init': Input/output error". Over 4.1 it boots. (6.12 reads 4.2
	# files with READ_PLUS, which 6.1 does not: the likely difference.)
	[ "$DEBIAN_RELEASE" = bookworm ] || GANESHA_NFSV4="$GANESHA_NFSV4 Minor_Versions = 0, 1;"
}

debian_client_tree() {
	local dest=$1 how=${2:-copy} unit=etc/systemd/system/pxeroot-probe.service
	debian_tree_with "${DEBIAN_CLIENT_PACKAGES:-$DEBIAN_PACKAGES}" "$dest" "$how"
	install -m 0755 "$SRC/tests/e2e/debian-probe" "$dest/usr/local/sbin/pxeroot-probe"
	cat >"$dest/$unit" <<-'EOF'
		# Test only: report what this client sees, then power off.
		[Unit]
		Description=pxeroot test probe
		After=multi-user.target

		[Service]
		Type=exec
		ExecStart=/usr/local/sbin/pxeroot-probe

		[Install]
		WantedBy=multi-user.target
	EOF
	mkdir -p "$dest/etc/systemd/system/multi-user.target.wants"
	ln -sf "/$unit" "$dest/etc/systemd/system/multi-user.target.wants/"
}

debian_initramfs() {
	local tree=$1 t0
	KVER=$(ls "$tree/lib/modules" | sort -V | tail -n 1)
	VMLINUZ=$tree/boot/vmlinuz-$KVER
	[ -f "$VMLINUZ" ] || fail "the tree has no kernel (boot/vmlinuz-$KVER)"
	INITRD=$T/initrd.img
	t0=$(date +%s%N)
	mkbootimage -q -d virtio_net,e1000 -o "$INITRD" "$tree" "$KVER" || fail "mkbootimage failed"
	ok "initramfs for the tree's kernel $KVER by mkbootimage: $(($(stat -c %s "$INITRD") / 1024)) KiB in $(secs_since "$t0") s"
	export KVER VMLINUZ INITRD
}

# secs_since T0: seconds since T0 (date +%s%N), one decimal.
secs_since() {
	awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'
}

# A LAN of our own inside the namespace: clients on taps in a bridge, a DHCP
# server whose leases last LEASE seconds (so that the clients must renew them
# while the test watches), an HTTP server for the probes' "go".
debian_lan() {
	local lease=${1:-30}
	requires busybox
	ip link add pxrbr0 type bridge
	ip addr add 192.168.77.1/24 dev pxrbr0
	ip link set pxrbr0 up
	cat >"$T/udhcpd.conf" <<-EOF
		${DEBIAN_LAN_HOSTNAME:+opt hostname $DEBIAN_LAN_HOSTNAME}
		start 192.168.77.100
		end 192.168.77.150
		interface pxrbr0
		lease_file $T/udhcpd.leases
		pidfile $T/udhcpd.pid
		siaddr 192.168.77.1
		min_lease 10
		opt subnet 255.255.255.0
		opt router 192.168.77.1
		opt dns 192.168.77.1
		opt domain pxeroot.test
		opt lease $lease
	EOF
	: >"$T/udhcpd.leases"
	start_server -P "$T/udhcpd.pid" bash -c "exec busybox udhcpd -f '$T/udhcpd.conf' 2>'$T/udhcpd.log'"
	mkdir -p "$T/www"
	start_server -P "$T/lanhttpd.pid" -w 8080 \
		bash -c "echo \$\$ >'$T/lanhttpd.pid'; exec busybox httpd -f -p 192.168.77.1:8080 -h '$T/www'"
}

# A tap in the LAN's bridge for client NAME: prints its QEMU network arguments.
lan_nic() {
	local name=$1 mac=$2
	ip tuntap add dev "pxr$name" mode tap
	ip link set "pxr$name" master pxrbr0 up
	echo "-netdev tap,id=n0,ifname=pxr$name,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=$mac"
}

declare -A _qemu_pid _watch_pid _t0
debian_boot() {
	local name=$1 append=$2 log=$T/$1.log
	shift 2
	: >"$log"
	rm -f "$T/$name.booted" "$T/$name.poweroff" "$T/$name.end"
	_t0[$name]=$(date +%s%N)
	# RDRAND (which TCG emulates) seeds the kernel's random pool at once:
	# without it, systemd waited half a minute for entropy. no_timer_check:
	# on a loaded host, TCG's timer ticks too late for the kernel's IO-APIC
	# check, and 6.12 panics ("IO-APIC + timer doesn't work!").
	timeout -k 5 "$DEBIAN_BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu qemu64,+rdrand -m 1024 \
		-nographic -no-reboot -nodefaults -serial stdio -monitor none \
		-kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 no_timer_check rd.pxeroot.fail.timeout=0 $append" \
		"$@" </dev/null >"$log" 2>&1 &
	_qemu_pid[$name]=$!
	cleanup_fn kill "${_qemu_pid[$name]}"
	# The moments the console shows multi-user reached, poweroff asked, and
	# QEMU gone.
	(
		while kill -0 "${_qemu_pid[$name]}" 2>/dev/null; do
			[ -e "$T/$name.booted" ] || ! _console_has "$log" '^PXRT state' ||
				date +%s%N >"$T/$name.booted"
			[ -e "$T/$name.poweroff" ] || ! _console_has "$log" '^PXRT poweroff' ||
				date +%s%N >"$T/$name.poweroff"
			sleep 0.5
		done
		date +%s%N >"$T/$name.end"
	) &
	_watch_pid[$name]=$!
}

# _console_has LOG ERE: a line of a console still being written matches, NUL
# bytes (a getty's padding) left out; grep -c reads it all (no early exit for
# pipefail to see).
_console_has() {
	[ "$(tr -d '\000' <"$1" | grep -c -- "$2")" -gt 0 ]
}

# debian_running NAME: QEMU still runs for client NAME.
debian_running() {
	! [ -e "$T/$1.end" ]
}

debian_wait() {
	local name=$1 log=$T/$1.log rc=0
	wait "${_qemu_pid[$name]}" || rc=$?
	wait "${_watch_pid[$name]}" || true
	# The serial console ends lines with CR LF, and a getty may pad with NULs.
	sed -i 's/\r$//; s/\x00//g' "$log"
	BOOTED_SECS=? POWEROFF_SECS=?
	[ -e "$T/$name.booted" ] &&
		BOOTED_SECS=$(awk -v a="${_t0[$name]}" -v b="$(cat "$T/$name.booted")" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	[ -e "$T/$name.poweroff" ] &&
		POWEROFF_SECS=$(awk -v a="$(cat "$T/$name.poweroff")" -v b="$(cat "$T/$name.end")" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		grep -aE 'PXRT|pxeroot|Failed|failed|timed out|Kernel panic' "$log" | tail -n 40 >&2
		fail "$name: QEMU did not exit after $DEBIAN_BOOT_TIMEOUT s: the boot or the poweroff hung ($log)"
	fi
	[ "$rc" = 0 ] || {
		tail -n 30 "$log" >&2
		fail "$name: QEMU exited $rc ($log)"
	}
	grep -q '^PXRT state' "$log" || {
		grep -aE 'pxeroot|Failed|Kernel panic|emergency' "$log" | tail -n 40 >&2
		fail "$name: the probe never ran: multi-user.target was not reached ($log)"
	}
	echo "$name: multi-user after $BOOTED_SECS s, poweroff took $POWEROFF_SECS s"
}

debian_boot_pair() {
	local what=$1 t0 n
	t0=$(date +%s%N)
	debian_boot a "$2 pxrt.client=a pxrt.peer=b pxrt.go=192.168.77.1:8080" \
		$(lan_nic a 52:54:00:77:00:0a)
	debian_boot b "$3 pxrt.client=b pxrt.peer=a pxrt.go=192.168.77.1:8080" \
		$(lan_nic b 52:54:00:77:00:0b)
	# The host says "go" (the probes wait for it) once both clients wrote
	# their files.
	for _ in $(seq 1 $((DEBIAN_BOOT_TIMEOUT * 2))); do
		grep -q '^PXRT wrote' "$T/a.log" && grep -q '^PXRT wrote' "$T/b.log" && break
		debian_running a && debian_running b || break
		sleep 0.5
	done
	touch "$T/www/go"
	declare -gA booted poweroff
	for n in a b; do
		debian_wait "$n"
		booted[$n]=$BOOTED_SECS poweroff[$n]=$POWEROFF_SECS
	done
	echo "$what: multi-user a ${booted[a]} s, b ${booted[b]} s; poweroff a ${poweroff[a]} s, b ${poweroff[b]} s; all in $(secs_since "$t0") s"
}

# probe NAME KEY: the rest of the first "PXRT KEY ..." line.
probe() {
	probe_all "$@" | head -n 1
}

probe_all() {
	sed -n -e "s/^PXRT $2 //p" -e "s/^PXRT $2\$//p" "$T/$1.log"
}

# The lease keeper the tree's profile chose (a probe key: networkd or
# networkmanager).
KEEPER_WANT=${KEEPER_WANT:-networkd}

# Units allowed to fail on a diskless test client: none so far.
DEBIAN_ALLOWED_FAILED=${DEBIAN_ALLOWED_FAILED:-}

expect_client() {
	local n=$1 what=$2 v f bad=
	v=$(probe "$n" state)
	for f in $(probe_all "$n" failed); do
		case " $DEBIAN_ALLOWED_FAILED " in *" $f "*) continue ;; esac
		bad="$bad $f"
	done
	[ -z "$bad" ] || {
		grep -E 'Failed|failed' "$T/$n.log" | head -n 20 >&2
		fail "$what: units failed:$bad"
	}
	[ "$v" = running ] || [ "$v" = degraded ] || fail "$what: systemctl is-system-running says '$v'"
	ok "$what: multi-user.target reached in $BOOTED_SECS s, system $v, no unexpected failed unit ($(probe "$n" startup))"
	[ "$(probe "$n" root)" = overlay ] || fail "$what: / is '$(probe "$n" root)', not overlay"
	read -r f v <<<"$(probe "$n" lower)"
	case ",$v," in *,ro,*) ;; *) fail "$what: the lower layer is not read-only: $f $v" ;; esac
	[ "$(probe "$n" lower-writable)" = no ] || fail "$what: the lower layer took a write"
	ok "$what: / is an overlay over a read-only $f lower layer that refuses writes"
	v=$(probe "$n" not-writable)
	[ -z "$v" ] || fail "$what: not writable: $v"
	[ "$(probe "$n" fs)" ] || fail "$what: no fs report"
	probe_all "$n" fs | grep -x >/dev/null '/var/log tmpfs' || fail "$what: /var/log is not a tmpfs"
	probe_all "$n" fs | grep -x >/dev/null '/tmp tmpfs' || fail "$what: /tmp is not a tmpfs"
	[ "$(probe "$n" tmp-mounts)" = 1 ] || fail "$what: $(probe "$n" tmp-mounts) file systems mounted on /tmp"
	[[ " $(probe "$n" varlog) " == *" apt "* ]] || fail "$what: /var/log lacks the tree's apt/: $(probe "$n" varlog)"
	ok "$what: /etc, /var and /tmp writable; /tmp (one mount), /var/tmp, /var/log on tmpfs; /var/log has the tree's directories ($(probe "$n" varlog))"
	[[ $(probe "$n" machine-id) =~ ^[0-9a-f]{32}$ ]] || fail "$what: machine-id '$(probe "$n" machine-id)'"
	[ "$(probe "$n" first-boot)" = no ] || fail "$what: systemd took the boot for a first boot"
	ok "$what: machine-id $(probe "$n" machine-id), made at boot; not a first boot for systemd"
	probe_all "$n" ssh-key | grep >/dev/null '^(ED25519) ' || fail "$what: no ED25519 host key"
	[ "$(probe "$n" ssh)" = active ] || fail "$what: ssh.service is $(probe "$n" ssh)"
	ok "$what: SSH host keys made at boot, sshd active"
	[ "$(probe "$n" resolv-link)" = /run/pxeroot/resolv.conf ] || fail "$what: resolv.conf links to '$(probe "$n" resolv-link)'"
	v=$(probe "$n" resolv)
	[[ $v == *"nameserver $DNS_WANT"* ]] || fail "$what: resolv.conf is '$v', wanted nameserver $DNS_WANT"
	ok "$what: resolv.conf from the DHCP lease: $v"
	[ "$(probe "$n" "$KEEPER_WANT")" = active ] || fail "$what: $KEEPER_WANT is $(probe "$n" "$KEEPER_WANT")"
	v=$(probe "$n" addr)
	[[ $v == *"inet $ADDR_WANT"* ]] || fail "$what: the boot interface lost its address: '$v'"
	ok "$what: the boot interface $(probe "$n" iface) kept its address with $KEEPER_WANT running: $v"
	v=$(probe "$n" journal-runtime)
	[[ $v =~ ^[1-9][0-9]*\ persistent\ 0$ ]] || fail "$what: journal files: runtime $v"
	ok "$what: journald volatile (runtime files $v)"
	[ "$POWEROFF_SECS" != '?' ] || fail "$what: no poweroff seen"
	awk -v s="$POWEROFF_SECS" 'BEGIN { exit !(s < 60) }' || fail "$what: poweroff took $POWEROFF_SECS s"
	ok "$what: poweroff completed in $POWEROFF_SECS s (QEMU exited)"
}

# sysv_client_tree PACKAGES DEST: a tree of debian_tree_with (links to the
# cache's files) with tests/e2e/sysv-probe run by /etc/inittab once runlevel 2
# is reached, and a getty on the serial console (as on a client with one):
# the console shows the login prompt before the probe powers the client off.
# /etc/inittab is replaced, never written in place (it is the cache's).
sysv_client_tree() {
	local dest=$2
	debian_tree_with "$1" "$dest" link
	install -m 0755 "$SRC/tests/e2e/sysv-probe" "$dest/usr/local/sbin/pxeroot-probe"
	{
		cat "$dest/etc/inittab"
		echo "T0:23:respawn:/sbin/getty -L ttyS0 115200 vt100"
		echo "# Test only: report what this client sees, then power off."
		echo "pr:2:once:/usr/local/sbin/pxeroot-probe"
	} >"$dest/etc/inittab.new"
	mv "$dest/etc/inittab.new" "$dest/etc/inittab"
}

# The boot scripts' failure marks on the console: Debian's LSB messages
# ("[FAIL]", "... failed!") and OpenRC's (" * ERROR", "[ !! ]").
SYSV_FAIL_ERE='\[FAIL\]|failed!|\.\.\..*failed\.|^ \* ERROR| \[ !! \]|\[\.\.\.\.\] .*failed|startpar: service\(s\) returned failure'

# sysv_boot_test INIT PACKAGES: the SysV init and OpenRC boot tests. The tree
# is prepared by mkbootready, which must name INIT; one client boots it over
# NFS (nfs-ganesha) and one over NBD (nbdexport serving a squashfs image of
# it), at once, on a LAN whose DHCP server gives 30 s leases and a host name.
# Each reaches runlevel 2 with no boot script reporting a failure and the
# login prompt on its serial console, keeps its address while the tree's
# dhclient renews its lease twice, has the DHCP-given host name, and powers
# off in less than 30 s by its own clock (sysv_poweroff_secs). Then
# mkbootready --undo restores the tree byte for byte.
# The longest a poweroff may take, by the guest's own clock: from the
# probe's poweroff (its uptime) to the kernel's "reboot: Power down". That
# leaves out QEMU's start-up and exit and the host's polling of the console,
# which a loaded host stretches; what the load does to the emulated guest
# itself stays. Measured under TCG, with another boot test beside it or
# without (host load 1 to 5): SysV init 2.5 to 4.4 s, OpenRC 10 to 24 s
# (28 to 54 s, median 43, before mkbootready's rc_nostop); an OpenRC client
# took 38 s once under a load of 8 on the two cores.
SYSV_POWEROFF_MAX=${SYSV_POWEROFF_MAX:-30}

# A renewal of the 30 s lease must come at least this long after the client's
# first lease (the initramfs's), so that the lease keeper is seen working
# three minutes on, not only while the client boots.
LEASE_LATE=${LEASE_LATE:-180}

# sysv_poweroff_secs NAME: seconds from the probe's "PXRT poweroff UPTIME" to
# the kernel's "reboot: Power down", by the guest's clock; "?" without both.
sysv_poweroff_secs() {
	local log=$T/$1.log a b
	a=$(sed -n 's/^PXRT poweroff \([0-9.]*\)$/\1/p' "$log" | head -n 1)
	b=$(grep -ao '\[ *[0-9.]*\] reboot: Power down' "$log" | tail -n 1 | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
	if [ -n "$a" ] && [ -n "$b" ]; then
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", b - a }'
	else
		echo '?'
	fi
}

sysv_boot_test() {
	local init=$1 pkgs=$2 disk=${3:-} tree=$T/tree t0 n v f base start waited
	debian_setup
	requires ganesha.nfsd rpcbind nbdexport mksquashfs
	t0=$(date +%s%N)
	sysv_client_tree "$pkgs" "$tree"
	ok "Debian 12 tree with $init ready in $(secs_since "$t0") s (debootstrap: ${DEBIAN_TREE_SECS} s, 0 = cached)"
	[ -z "$disk" ] || disk_install_files "$tree"
	tree_listing "$tree" >"$T/orig"
	t0=$(date +%s%N)
	mkbootready "$tree" >"$T/prepare.out" || { cat "$T/prepare.out"; fail "mkbootready failed"; }
	if [ -n "$disk" ]; then
		for v in "fstab: write /etc/fstab" "resume: write /etc/initramfs-tools/conf.d/resume" \
			"reset: write /etc/hostname"; do
			grep -qx "$v" "$T/prepare.out" || { cat "$T/prepare.out"; fail "mkbootready did not say '$v'"; }
		done
		! grep -E '^UUID=' "$tree/etc/fstab" || fail "fstab still has the disk install's disks"
		[ "$(grep -c '^#pxeroot# UUID=' "$tree/etc/fstab")" = 2 ] || fail "fstab: $(cat "$tree/etc/fstab")"
		grep -q '^/dev/sr0 .*noauto' "$tree/etc/fstab" || fail "fstab: the CD-ROM (noauto) went: $(cat "$tree/etc/fstab")"
		grep -qx 'RESUME=none' "$tree/etc/initramfs-tools/conf.d/resume" || fail "resume device kept"
		ok "disk install: mkbootready commented out the root and swap entries of fstab (the noauto CD-ROM stays), set RESUME=none, replaced the host name, and said so"
	fi
	if [ "$init" = openrc ]; then
		grep -q '^rc_nostop=".*mountkernfs\.sh' "$tree/etc/rc.conf.d/pxeroot.conf" &&
			[ ! -e "$tree/etc/runlevels/off/savecache" ] ||
			fail "OpenRC still stops every boot script and saves its cache at shutdown"
		ok "OpenRC leaves the boot scripts SysV init never stops running ($(sed -n 's/^rc_nostop="\(.*\)"$/\1/p' "$tree/etc/rc.conf.d/pxeroot.conf" | wc -w) of them) and saves no dependency cache at shutdown"
	fi
	head -n 1 "$T/prepare.out" | grep -q "(init: $init, lease keeper: dhclient)" ||
		fail "mkbootready did not find $init and dhclient: $(head -n 1 "$T/prepare.out")"
	mkbootready --check "$tree" >"$T/check.out" || { cat "$T/check.out"; fail "not ready after mkbootready"; }
	ok "mkbootready: '$(head -n 1 "$T/prepare.out")', $(grep -c ': ' "$T/prepare.out") changes in $(secs_since "$t0") s; --check passes"
	[ "$(stat -c '%a %s' "$tree/etc/hostname")" = "644 10" ] || fail "/etc/hostname: $(stat -c '%a %s' "$tree/etc/hostname")"
	grep -qx 'NETDOWN=no' "$tree/etc/default/halt" || fail "halt still takes the network down"
	debian_initramfs "$tree"
	t0=$(date +%s%N)
	mkdir -p "$T/images"
	mksquashfs "$tree" "$T/images/root.sqfs" -noappend -quiet -comp lz4 >/dev/null || fail "mksquashfs"
	ok "squashfs image of the prepared tree: $(($(stat -c %s "$T/images/root.sqfs") / 1048576)) MiB in $(secs_since "$t0") s"

	DEBIAN_LAN_HOSTNAME=pxrt-$init
	debian_lan 30
	start_rpcbind
	start_ganesha "$(ganesha_export 1 "$tree" /root)"
	start_nbdexport -l 192.168.77.1 "$T/images/root.sqfs"
	tree_listing "$tree" >"$T/tree.before"

	t0=$(date +%s%N)
	# no_timer_check: under a heavy load, TCG is too slow for the kernel's
	# check of the IO-APIC timer, which then panics.
	debian_boot nfs "root=nfs4:192.168.77.1:/root pxrt.client=nfs pxrt.go=192.168.77.1:8080 no_timer_check" \
		$(lan_nic nfs 52:54:00:77:01:0a)
	debian_boot nbd "root=nbd:192.168.77.1:10809 pxrt.client=nbd pxrt.go=192.168.77.1:8080 no_timer_check" \
		$(lan_nic nbd 52:54:00:77:01:0b)
	# Each client's "go" once the server acknowledged its address four
	# times (the initramfs's lease, dhclient's first, and two renewals), the
	# last of them at least LEASE_LATE seconds after the first: the lease is
	# still renewed minutes after boot, not just while booting.
	declare -A addr acks first late
	start=$(date +%s)
	for _ in $(seq 1 $((DEBIAN_BOOT_TIMEOUT * 2))); do
		waited=0
		for n in nfs nbd; do
			[ -e "$T/www/go-$n" ] && continue
			waited=1
			debian_running "$n" || continue
			[ -n "${addr[$n]:-}" ] ||
				addr[$n]=$(sed -n 's/^PXRT addr .* inet \(192\.168\.77\.[0-9]*\)\/.*/\1/p' "$T/$n.log" | head -n 1)
			[ -n "${addr[$n]}" ] || continue
			v=$(grep -c "sending ACK to ${addr[$n]}\$" "$T/udhcpd.log" || true)
			if [ "$v" != "${acks[$n]:-}" ]; then
				acks[$n]=$v
				now=$(date +%s)
				[ -n "${first[$n]:-}" ] || first[$n]=$now
				[ $((now - first[$n])) -lt "$LEASE_LATE" ] || late[$n]=$((now - first[$n]))
				echo "$n: ACK number $v for ${addr[$n]} at $((now - start)) s"
			fi
			[ "$v" -ge 4 ] && [ -n "${late[$n]:-}" ] && touch "$T/www/go-$n"
		done
		[ "$waited" = 1 ] || break
		debian_running nfs || debian_running nbd || break
		sleep 0.5
	done
	for n in nfs nbd; do
		debian_wait "$n"
		v=$(probe "$n" state)
		[[ $v == "running N 2" ]] || fail "$n: runlevel '$v'"
		ok "$n client: runlevel 2 in $BOOTED_SECS s (probe at $(probe "$n" uptime) s of uptime), init $(probe "$n" init)"
		if grep -aEn "$SYSV_FAIL_ERE" "$T/$n.log" >&2; then
			fail "$n client: a boot or shutdown script reported a failure ($T/$n.log)"
		fi
		# getty's prompt; what else writes to the console may follow it on
		# the same line.
		v=$(grep -an "^pxrt-$init login: " "$T/$n.log" | head -n 1 | cut -d: -f1) || true
		[ -n "$v" ] && [ "$v" -lt "$(grep -an '^PXRT poweroff' "$T/$n.log" | cut -d: -f1)" ] ||
			fail "$n client: no login prompt on the serial console before the poweroff"
		ok "$n client: no boot script reported a failure; the console showed 'pxrt-$init login:' (line $v)"
		[ "$(probe "$n" root)" = overlay ] || fail "$n: / is '$(probe "$n" root)'"
		[ "$(probe "$n" lower-writable)" = no ] || fail "$n: the lower layer took a write"
		[ -z "$(probe "$n" not-writable)" ] || fail "$n: not writable: $(probe "$n" not-writable)"
		ok "$n client: / is an overlay over a read-only $(probe "$n" lower | cut -d' ' -f1) lower layer; /etc, /var, /tmp writable"
		[ "$(probe "$n" hostname)" = "pxrt-$init" ] || fail "$n: host name '$(probe "$n" hostname)', /etc/hostname '$(probe "$n" etc-hostname)'"
		ok "$n client: host name pxrt-$init from DHCP (hostname.sh read it from /etc/hostname)"
		probe_all "$n" ssh-key | grep -q '^(ED25519) ' || fail "$n: no ED25519 host key"
		[ "$(probe "$n" ssh)" = active ] || fail "$n: sshd is not running"
		ok "$n client: SSH host keys made at boot, sshd running"
		[[ $(probe "$n" resolv) == *"nameserver 192.168.77.1"* ]] || fail "$n: resolv.conf '$(probe "$n" resolv)'"
		v=$(probe "$n" interfaces-auto)
		[[ " $v " != *" $(probe "$n" iface) "* ]] || fail "$n: /etc/network/interfaces still names the boot interface: $v"
		# A disk install's interfaces (and cloud-init's in interfaces.d) bring
		# up lo and eth0: the client's copy, interfaces.d's stanzas in it,
		# only lo.
		[ -z "$disk" ] || [ -z "$(tr ' ' '\n' <<<"$v" | grep -vxE 'auto|allow-[a-z]+|lo|')" ] ||
			fail "$n: /etc/network/interfaces: $v"
		f=$(probe "$n" ifquery-auto)
		[[ " $f " == *" lo "* ]] && [[ " $f $(probe "$n" ifquery-hotplug) " != *" $(probe "$n" iface) "* ]] ||
			fail "$n: ifquery lists: auto '$f', hotplug '$(probe "$n" ifquery-hotplug)'"
		ok "$n client: ifupdown does not see the boot interface (/etc/network/interfaces: '$v'; ifquery --list: '$f', hotplug: '$(probe "$n" ifquery-hotplug)'; state '$(probe "$n" ifstate)')"
		[ "$(probe "$n" go)" = yes ] || fail "$n: the server did not renew the lease twice (${acks[$n]:-0} ACKs)"
		[ -n "$(probe "$n" dhclient-after)" ] || fail "$n: dhclient is not running"
		[[ $(probe "$n" addr-after) == *"inet ${addr[$n]}/"* ]] || fail "$n: lost its address: $(probe "$n" addr-after)"
		# pxeroot's lease script logs each lease dhclient got.
		v=$(probe "$n" renewals)
		[ "${v:-0}" -ge 2 ] || fail "$n: $v renewals in /run/pxeroot/lease.log: $(probe "$n" lease-log)"
		ok "$n client: dhclient renews the 30 s lease: ${acks[$n]} ACKs for ${addr[$n]} in the server's log, the last ${late[$n]} s after the first; the address stayed (the client's lease log: $(probe "$n" lease-log))"
		v=$(sysv_poweroff_secs "$n")
		[ "$v" != '?' ] || fail "$n: no 'PXRT poweroff UPTIME' or no 'reboot: Power down' on the console"
		awk -v s="$v" -v m="$SYSV_POWEROFF_MAX" 'BEGIN { exit !(s < m) }' ||
			fail "$n: poweroff took $v s of the guest's time ($POWEROFF_SECS s on the host; uptimes: $(sed -n 's/^PXRT tick //p' "$T/$n.log" | tr '\n' ' '))"
		ok "$n client: poweroff completed in $v s by its own clock, less than $SYSV_POWEROFF_MAX s ($POWEROFF_SECS s on the host to QEMU's exit)"
	done
	tree_listing "$tree" >"$T/tree.after"
	diff -u "$T/tree.before" "$T/tree.after" >&2 || fail "the exported tree changed while the clients ran"
	mkbootready -q --undo "$tree" || fail "mkbootready --undo failed"
	tree_listing "$tree" >"$T/undone"
	diff -u "$T/orig" "$T/undone" >&2 || fail "--undo did not restore the tree"
	ok "the tree is unchanged by the boots, and mkbootready --undo restores it byte for byte"
}

# The checks of a client on debian_lan that was booted with pxrt.peer=PEER and
# pxrt.go (after debian_wait, with BOOTED_SECS and POWEROFF_SECS its own and
# DNS_WANT set): expect_client with the address it got on the LAN, the host's
# go seen, the peer's writes unseen, NetworkManager running and off the boot
# interface, the address kept and the 30 s lease renewed by networkd.
expect_lan_client() {
	local n=$1 what=$2 v
	ADDR_WANT=$(probe "$n" addr | sed -n 's/.* inet \(192\.168\.77\.[0-9]*\)\/.*/\1/p')
	[ -n "$ADDR_WANT" ] || fail "$what: no address on the LAN"
	expect_client "$n" "$what"
	[ "$(probe "$n" go)" = yes ] || fail "$what: never got the host's go"
	[ "$(probe "$n" peer-files)" = none ] || fail "$what sees the other's files in: $(probe "$n" peer-files)"
	ok "$what: its writes stay its own; the other client's files are invisible"
	[ "$(probe "$n" networkmanager)" = active ] && [[ $(probe "$n" nm-devices) == *"eth0:unmanaged"* ]] ||
		fail "$what: NetworkManager is $(probe "$n" networkmanager), devices: $(probe "$n" nm-devices)"
	ok "$what: NetworkManager runs and leaves the boot interface alone ($(probe "$n" nm-devices))"
	[[ $(probe "$n" addr-after) == *"inet $ADDR_WANT/"* ]] || fail "$what lost its address later: $(probe "$n" addr-after)"
	v=$(grep -c "sending ACK to $ADDR_WANT" "$T/udhcpd.log" || true)
	[ "$v" -ge 3 ] || {
		cat "$T/udhcpd.log" >&2
		fail "$what: $v DHCP ACKs for $ADDR_WANT: networkd did not renew the 30 s lease"
	}
	ok "$what: the 30 s lease was renewed ($v ACKs for $ADDR_WANT) and the address stayed"
}

# Every module in $INITRD (zstd, mkbootimage's default) is a plain .ko, none
# compressed; when the tree's modules carry a signature (Debian signs them,
# and compresses them afterwards), the initramfs's copies carry it too.
initramfs_modules_check() {
	local tree=$1 list ko n z signed=
	requires zstd cpio xz
	list=$(zstd -dc "$INITRD" | cpio -it --quiet) || fail "cannot list $INITRD"
	n=$(grep -c '\.ko$' <<<"$list" || true)
	z=$(grep -c '\.ko\.[a-z]*$' <<<"$list" || true)
	[ "$n" -gt 0 ] && [ "$z" = 0 ] || fail "the initramfs has $n .ko and $z compressed modules"
	ko=$(grep -m1 '/virtio_net\.ko$' <<<"$list") || fail "no virtio_net.ko in the initramfs"
	# The tree's own copy, compressed or not.
	local src
	src=$(find "$tree/lib/modules/$KVER" -name 'virtio_net.ko*' | head -n 1)
	case $src in
	*.ko.xz) xz -dc "$src" >"$T/tree.ko" ;;
	*.ko.zst) zstd -q -dc "$src" >"$T/tree.ko" ;;
	*) cp "$src" "$T/tree.ko" ;;
	esac
	(cd "$T" && zstd -dc "$INITRD" | cpio -i --quiet --to-stdout "$ko" >"$T/initrd.ko")
	if tail -c 28 "$T/tree.ko" | grep -q 'Module signature appended'; then
		signed=" and signed"
	fi
	cmp -s "$T/tree.ko" "$T/initrd.ko" ||
		fail "the initramfs's virtio_net.ko is not the tree's ${src##*/} decompressed"
	ok "initramfs: $n modules, all plain .ko (the tree's are ${src##*/virtio_net}), virtio_net.ko is the tree's decompressed$signed"
}
