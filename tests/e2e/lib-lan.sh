# SPDX-License-Identifier: GPL-2.0-or-later
#
# A LAN of the test's own, for tests that boot real firmware over the network
# (tests/e2e/pxebootsrv-*.sh) and for DHCP tests (tests/integration). Source
# it instead of lib-boot.sh (it sources that): the test runs as root in a
# private network and mount namespace. In it a bridge, $LAN_BR, carries the
# server's address $LAN_SERVER (10.77.0.1/24, a private range that exists only
# in this namespace); QEMU clients plug a tap each into it, other namespaces
# (a second DHCP server, a simulated client) a veth each. Everything vanishes
# with the namespace; the cleanups remove it explicitly too.
#
#   lan_setup                  the namespace, the bridge and its address
#   lan_netns NAME [ADDR/LEN]  a namespace on the bridge: its eth0 is one end of
#                              a veth whose other end is a bridge port
#   lan_in NAME CMD...         run CMD in namespace NAME
#   lan_tap NAME               a tap device on the bridge (for QEMU)
#   lan_dnsmasq CONF-LINES...  dnsmasq on the bridge with these lines added to
#                              the common ones (no DNS, log-dhcp)
#   lan_dnsmasq_file CONF      dnsmasq with CONF as it is
#   lan_pxebootsrv_render CONF the boot directory as "pxebootsrv render" and
#                              the rendered list of boot files make it
#   lan_conf FILE MODE [LINE...]
#                              a pxebootsrv.conf for this LAN: [server],
#                              [dhcp] (full, with a range, or proxy) and [menu]
#                              with title, timeout and each LINE
#   lan_entry FILE NAME LABEL APPEND
#                              a pxeroot entry booting $VMLINUZ, $INITRD and
#                              $T/root.sqfs, added to FILE
#   lan_pxebootsrv CONF        "pxebootsrv run" (log: $LAN_LOG), until its
#                              servers listen
#   lan_pxebootsrv_stop        stop it
#   lan_dnsmasq_stop           stop it (to start another configuration)
#   lan_nbdexport ARGS...      nbdexport on $LAN_SERVER:10809
#   lan_udhcpd NS [LINES...]   busybox udhcpd in namespace NS, giving addresses
#   lan_client NAME FW MAC [QEMU-ARGS...]
#                              start a QEMU client in the background, its serial
#                              console in $T/NAME.log. FW: bios (SeaBIOS, the
#                              NIC's iPXE ROM), uefi (OVMF's own PXE), uefi-ipxe
#                              (OVMF, the NIC's iPXE EFI ROM), uefi-http (OVMF
#                              HTTP boot only), uefi-sb (OVMF Secure Boot with
#                              Microsoft's keys, the firmware's PXE),
#                              uefi-arm64 (qemu-system-aarch64 -M virt under
#                              TCG, AAVMF without Secure Boot, the firmware's
#                              PXE; the console is ttyAMA0; LAN_ARM64_MEM MiB,
#                              LAN_ARM64_SMP CPUs), uefi-arm64-sb (the same
#                              with AAVMF's Secure Boot and Microsoft's keys)
#   lan_wait NAME ERE [SECS]   wait until a console line of NAME matches ERE;
#                              sets LAN_SECS (seconds since the client started).
#                              A BIOS client whose firmware got no DHCP answer
#                              is started again (LAN_RETRIES, default 2)
#   lan_console_has NAME ERE   a line of NAME's console matches ERE
#   lan_stop NAME              stop a client
#   lan_expect_booted NAME WHAT [ERE...]
#                              NAME's booted root printed its marker (and a line
#                              for each ERE), then QEMU exited
#   lan_root DIR               boot_root with a line "MARK X" for every
#                              pxeroot.test.mark=X on the kernel command line
#   lan_efi_iso OUT MARK       a UEFI-bootable ISO image (GRUB, by grub-mkrescue)
#                              that prints MARK on the console and powers off;
#                              cached by content
#   lan_arm64_loaders          $LAN_ARM64_LOADERS: a tree with Debian 12's arm64
#                              shim-signed, shim-helpers-arm64-signed and
#                              grub-efi-arm64-signed unpacked (mmdebstrap),
#                              cached: a pxebootsrv arm64-loader-root

# lib-boot.sh re-executes the test in the private namespaces; a test that
# sourced lib-debian.sh first has it already.
declare -F boot_setup >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib-boot.sh"

LAN_BR=pxrlan0
LAN_NET=10.77.0
LAN_SERVER=$LAN_NET.1
LAN_TIMEOUT=${LAN_TIMEOUT:-600}
OVMF_DIR=${OVMF_DIR:-/usr/share/OVMF}
AAVMF_DIR=${AAVMF_DIR:-/usr/share/AAVMF}
LAN_ARM64_MEM=${LAN_ARM64_MEM:-1024}
LAN_ARM64_SMP=${LAN_ARM64_SMP:-2}
declare -A _lan_pid _lan_t0 _lan_cmd _lan_tries
# A client whose firmware got no DHCP answer in time (a guest starved of CPU
# by other load misses its own timers) is started again, this many times.
LAN_RETRIES=${LAN_RETRIES:-2}
_lan_ports=0

lan_setup() {
	requires_root
	requires ip
	[ "${PXEROOT_BOOT_NETNS:-}" = 1 ] || skip "cannot enter a private network namespace"
	ip link set lo up
	# Namespace names (ip netns) and daemons' runtime files: a private /run
	# (boot_setup may have mounted it already).
	case $(findmnt -n -o SOURCE /run | tail -n 1) in
	pxeroot-*) ;;
	*) mount -t tmpfs -o mode=0755 pxeroot-lan-run /run ;;
	esac
	# dnsmasq keeps its leases in /var/lib/misc unless told otherwise: a
	# private one, so that nothing of the test reaches the host's.
	mount -t tmpfs -o mode=0755 pxeroot-lan-misc /var/lib/misc ||
		fail "cannot mount a private /var/lib/misc"
	# No spanning tree and no forwarding delay: a port forwards at once.
	ip link add "$LAN_BR" type bridge stp_state 0 forward_delay 0 ||
		fail "cannot create the bridge $LAN_BR"
	cleanup_fn ip link del "$LAN_BR"
	ip addr add "$LAN_SERVER/24" dev "$LAN_BR"
	ip link set "$LAN_BR" up
}

lan_netns() {
	local ns=$1 addr=${2:-} port=pxrv$((++_lan_ports))
	ip netns add "$ns" || fail "ip netns add $ns"
	cleanup_fn ip netns del "$ns"
	ip link add "$port" type veth peer name eth0 netns "$ns" || fail "veth for $ns"
	cleanup_fn ip link del "$port"
	ip link set "$port" master "$LAN_BR" up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	[ -z "$addr" ] || ip -n "$ns" addr add "$addr" dev eth0
}

lan_in() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

lan_tap() {
	ip tuntap add dev "$1" mode tap || fail "ip tuntap add $1"
	cleanup_fn ip link del "$1"
	ip link set "$1" master "$LAN_BR" up
}

lan_dnsmasq() {
	local conf=$T/dnsmasq.conf
	{
		echo "port=0"
		echo "interface=$LAN_BR"
		echo "bind-interfaces"
		echo "log-dhcp"
		printf '%s\n' "$@"
	} >"$conf"
	lan_dnsmasq_file "$conf"
}

# lan_dnsmasq_file CONF: dnsmasq with CONF as it is; where it logs, keeps its
# leases and pid, and its user (root, to read the test's private directory)
# come from the command line.
lan_dnsmasq_file() {
	requires dnsmasq
	local run=(--user=root --log-facility="$T/dnsmasq.log" --dhcp-leasefile="$T/dnsmasq.leases"
		--pid-file="$T/dnsmasq.pid")
	dnsmasq --test -C "$1" "${run[@]}" >/dev/null 2>&1 || {
		dnsmasq --test -C "$1" "${run[@]}"
		fail "dnsmasq refuses $1"
	}
	start_server -P "$T/dnsmasq.pid" dnsmasq -k -C "$1" "${run[@]}"
}

lan_dnsmasq_stop() {
	local pid
	pid=$(cat "$T/dnsmasq.pid" 2>/dev/null) || return 0
	_stop_server "$T/dnsmasq.pid" "$pid" || true
	rm -f "$T/dnsmasq.pid"
}

# lan_pxebootsrv_render CONF: "pxebootsrv render" into $LAN_RENDER; the boot
# directory (CONF's boot-dir) gets the rendered menus and every file of the
# rendered list "bootfiles", as run places them. Starts nothing.
lan_pxebootsrv_render() {
	local conf=$1 bootdir name src _
	requires pxebootsrv
	LAN_RENDER=$T/render
	pxebootsrv -c "$conf" render "$LAN_RENDER" || fail "pxebootsrv render $conf failed"
	bootdir=$(sed -n 's/^boot-dir *= *//p' "$conf")
	[ -n "$bootdir" ] || fail "lan_pxebootsrv_render: $conf names no boot-dir"
	mkdir -p "$bootdir"
	cp -a "$LAN_RENDER/boot/." "$bootdir/"
	while read -r name src _; do
		case $name in '#'* | '') continue ;; esac
		[ -f "$src" ] || skip "$src is missing (scripts/install-deps test)"
		mkdir -p "$(dirname "$bootdir/$name")"
		ln -sf "$src" "$bootdir/$name"
	done <"$LAN_RENDER/bootfiles"
}

lan_conf() {
	local file=$1 mode=$2
	shift 2
	{
		printf '[server]\naddress = %s\ninterface = %s\nboot-dir = %s\nstate-dir = %s\n\n' \
			"$LAN_SERVER" "$LAN_BR" "$T/srv/boot" "$T/state"
		printf '[dhcp]\nmode = %s\n' "$mode"
		if [ "$mode" = full ]; then
			printf 'range = %s %s\nrouter = %s\n' "$LAN_NET.100" "$LAN_NET.149" "$LAN_SERVER"
		fi
		printf '\n[menu]\ntitle = pxeroot\ntimeout = 1\n'
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$file"
}

lan_entry() {
	printf '\n[entry %s]\nkind = pxeroot\nlabel = %s\nkernel = %s\ninitrd = %s\nimage = %s\nappend = %s\n' \
		"$2" "$3" "$VMLINUZ" "$INITRD" "$T/root.sqfs" "$4" >>"$1"
}

# lan_pxebootsrv CONF: "pxebootsrv run" in the background, its log (every
# child's lines, prefixed with its name) in $LAN_LOG; returns once its
# servers listen. Its children drop privileges (dnsmasq to nobody, lighttpd
# to www-data): the test's directory is opened to them.
lan_pxebootsrv() {
	local conf=$1 i
	requires pxebootsrv dnsmasq lighttpd nbdexport
	chmod 0755 "$T"
	LAN_LOG=$T/pxebootsrv.log
	start_server -P "$T/pxebootsrv.pid" \
		bash -c "echo \$\$ >'$T/pxebootsrv.pid'; exec pxebootsrv -c '$conf' run 2>>'$LAN_LOG'"
	for ((i = 0; i < 300; i++)); do
		if ss -Hlun "sport = :67" | grep -q . || ss -Hlun "sport = :4011" | grep -q .; then
			if ss -Hltn "sport = :80" | grep -q . && ss -Hltn "sport = :10809" | grep -q .; then
				return 0
			fi
		fi
		kill -0 "$(cat "$T/pxebootsrv.pid")" 2>/dev/null || break
		sleep 0.1
	done
	cat "$LAN_LOG" >&2
	fail "pxebootsrv run did not start its servers"
}

lan_pxebootsrv_stop() {
	local pid
	pid=$(cat "$T/pxebootsrv.pid" 2>/dev/null) || return 0
	_stop_server "$T/pxebootsrv.pid" "$pid" || true
	rm -f "$T/pxebootsrv.pid"
}

lan_nbdexport() {
	requires nbdexport
	start_server -P "$T/nbdexport.pid" \
		nbdexport -f -q --pidfile "$T/nbdexport.pid" -l "$LAN_SERVER" -p 10809 "$@"
}

# lan_udhcpd NS [LINES...]: busybox udhcpd on NS's eth0, handing out
# $LAN_NET.150-199 with the namespace's address as router.
lan_udhcpd() {
	local ns=$1 conf=$T/udhcpd-$1.conf
	shift
	touch "$T/udhcpd-$ns.leases"
	{
		echo "interface eth0"
		echo "start $LAN_NET.150"
		echo "end $LAN_NET.199"
		echo "lease_file $T/udhcpd-$ns.leases"
		echo "pidfile $T/udhcpd-$ns.pid"
		echo "option subnet 255.255.255.0"
		echo "option lease 3600"
		printf '%s\n' "$@"
	} >"$conf"
	start_server -P "$T/udhcpd-$ns.pid" \
		logged "$T/udhcpd-$ns.log" ip netns exec "$ns" busybox udhcpd -f "$conf"
}

lan_client() {
	local name=$1 fw=$2 mac=$3 tap vars qemu=qemu-system-x86_64 mem=512
	shift 3
	case $fw in uefi-arm64*) qemu=qemu-system-aarch64 ;; esac
	requires "$qemu"
	tap=pxrt$((++_lan_ports))
	vars=$T/$name.vars
	lan_tap "$tap"
	local nic="virtio-net-pci,netdev=n0,mac=$mac" args=()
	case $fw in
	bios)
		# Only the network (strict: a disk is never booted behind the test's
		# back); on a failed boot SeaBIOS reboots after 1 s, not 60: with
		# -no-reboot QEMU exits, and lan_wait can start the client again.
		args=(-boot order=n,strict=on,reboot-timeout=1000)
		;;
	uefi | uefi-ipxe | uefi-http)
		[ -f "$OVMF_DIR/OVMF_CODE_4M.fd" ] || skip "ovmf is not installed"
		cp "$OVMF_DIR/OVMF_VARS_4M.fd" "$vars"
		args=(-machine q35
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_DIR/OVMF_CODE_4M.fd"
			-drive "if=pflash,format=raw,unit=1,file=$vars")
		nic+=",bootindex=1"
		# Without a ROM the firmware's own network stack runs.
		[ "$fw" = uefi-ipxe ] || nic+=",romfile="
		# HTTP boot only: OVMF would try PXE over IPv4 and IPv6 first.
		[ "$fw" != uefi-http ] ||
			args+=(-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no
				-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no)
		;;
	uefi-sb)
		[ -f "$OVMF_DIR/OVMF_CODE_4M.secboot.fd" ] || skip "ovmf is not installed"
		cp "$OVMF_DIR/OVMF_VARS_4M.ms.fd" "$vars"
		args=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_DIR/OVMF_CODE_4M.secboot.fd"
			-drive "if=pflash,format=raw,unit=1,file=$vars")
		nic+=",romfile=,bootindex=1"
		;;
	uefi-arm64 | uefi-arm64-sb)
		# AAVMF_CODE.fd has Secure Boot off; AAVMF_CODE.ms.fd with its
		# variables (Microsoft's keys enrolled) enforces it. The
		# Cortex-A57 model is cheaper to emulate than "max", whose pointer
		# authentication TCG computes in software.
		local code=AAVMF_CODE.fd vars_src=AAVMF_VARS.fd
		[ "$fw" = uefi-arm64 ] || code=AAVMF_CODE.ms.fd vars_src=AAVMF_VARS.ms.fd
		[ -f "$AAVMF_DIR/$code" ] || skip "qemu-efi-aarch64 is not installed"
		cp "$AAVMF_DIR/$vars_src" "$vars"
		args=(-machine virt -cpu cortex-a57 -smp "$LAN_ARM64_SMP"
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$AAVMF_DIR/$code"
			-drive "if=pflash,format=raw,unit=1,file=$vars")
		mem=$LAN_ARM64_MEM
		nic+=",romfile=,bootindex=1"
		;;
	*) fail "lan_client: unknown firmware $fw" ;;
	esac
	local cmd=(timeout -k 5 "$LAN_TIMEOUT" "$qemu" -accel tcg -m "$mem" -nographic
		-no-reboot -nodefaults -serial stdio -monitor none "${args[@]}"
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" -device "$nic" "$@")
	printf -v "_lan_cmd[$name]" '%q ' "${cmd[@]}"
	_lan_tries[$name]=0
	_lan_t0[$name]=$(date +%s%N)
	_lan_start "$name"
}

_lan_start() {
	: >"$T/$1.log"
	eval "${_lan_cmd[$1]}" '</dev/null >"$T/$1.log" 2>&1 &'
	_lan_pid[$1]=$!
	cleanup_fn kill "${_lan_pid[$1]}"
}

# _lan_retry NAME: start NAME again if its firmware found no DHCP answer
# (iPXE: "No configuration methods succeeded") and it has tries left; the
# console of the failed try is kept as NAME.log.N.
_lan_retry() {
	local name=$1 n=${_lan_tries[$1]}
	[ "$n" -lt "$LAN_RETRIES" ] || return 1
	lan_console_has "$name" 'No configuration methods succeeded' || return 1
	n=$((n + 1))
	_lan_tries[$name]=$n
	mv "$T/$name.log" "$T/$name.log.$n"
	echo "# $name: no DHCP answer reached the firmware; starting it again (try $((n + 1)))"
	_lan_start "$name"
}

# lan_console_has NAME ERE: a line of NAME's console matches ERE. grep reads
# all of it: with -q it would stop early, and tr's SIGPIPE would fail the
# pipeline (pipefail).
lan_console_has() {
	tr -d '\r' <"$T/$1.log" | grep -E -- "$2" >/dev/null
}

# LAN_SECS: from the client's start to its console's last line, not to now:
# clients are checked one after the other, and one may have printed its mark
# (and halted or powered off) long before its turn.
_lan_secs() {
	LAN_SECS=$(awk -v a="${_lan_t0[$1]}" -v b="$(date -r "$T/$1.log" +%s%N)" \
		'BEGIN { printf "%.1f", (b - a) / 1e9 }')
}

lan_wait() {
	local name=$1 ere=$2 secs=${3:-$LAN_TIMEOUT} i
	for ((i = 0; i < secs * 5; i++)); do
		if lan_console_has "$name" "$ere"; then
			_lan_secs "$name"
			return 0
		fi
		if ! kill -0 "${_lan_pid[$name]}" 2>/dev/null; then
			lan_console_has "$name" "$ere" && { _lan_secs "$name"; return 0; }
			_lan_retry "$name" || return 1
		fi
		sleep 0.2
	done
	return 1
}

lan_stop() {
	kill "${_lan_pid[$1]}" 2>/dev/null || true
	wait "${_lan_pid[$1]}" 2>/dev/null || true
}

# The console's last lines and the DHCP server's log: why a boot failed.
_lan_show() {
	echo "--- $1: last console lines" >&2
	tr -d '\r' <"$T/$1.log" | grep -v '^\s*$' | tail -n 25 >&2
	if [ -f "$T/dnsmasq.log" ]; then
		echo "--- dnsmasq" >&2
		tail -n 25 "$T/dnsmasq.log" >&2
	fi
	if [ -f "$T/pxebootsrv.log" ]; then
		echo "--- pxebootsrv run" >&2
		tail -n 25 "$T/pxebootsrv.log" >&2
	fi
}

lan_expect_booted() {
	local name=$1 what=$2 ere
	shift 2
	if ! lan_wait "$name" "^BOOTED $BOOT_TOKEN"; then
		_lan_show "$name"
		fail "$what: the root did not boot (no BOOTED $BOOT_TOKEN on $name's console)"
	fi
	local secs=$LAN_SECS
	# The root powers off after its report: QEMU exits by itself.
	lan_wait "$name" '^POWEROFF' 60 || true
	for _ in $(seq 1 100); do
		kill -0 "${_lan_pid[$name]}" 2>/dev/null || break
		sleep 0.2
	done
	for ere in "$@"; do
		lan_console_has "$name" "$ere" || {
			_lan_show "$name"
			fail "$what: no console line matches /$ere/"
		}
	done
	local tries=""
	[ "${_lan_tries[$name]}" = 0 ] || tries=" (${_lan_tries[$name]} more tries: no DHCP answer reached the firmware)"
	ok "$what: booted in $secs s$tries"
}

lan_root() {
	boot_root "$1"
	cat >"$1/sbin/init.extra" <<'EXTRA'
for w in $(cat /proc/cmdline); do
	case $w in
	pxeroot.test.mark=*) echo "MARK ${w#*=}" ;;
	esac
done
echo "CMDLINE $(cat /proc/cmdline)"
EXTRA
	chmod 0755 "$1/sbin/init.extra"
}

# lan_efi_iso OUT MARK: an ISO image whose El Torito EFI image is a GRUB that
# prints MARK and halts (on UEFI: powers off). grub-mkrescue takes seconds and
# its output is the same for the same input: cached under $PXEROOT_CACHE,
# named by the hash of the configuration and of the GRUB and xorriso that
# make it.
lan_efi_iso() {
	local out=$1 mark=$2 dir=$T/efi-iso key cache
	# What the image's GRUB needs: its own configuration, and the partition
	# maps grub-mkrescue's embedded configuration loads.
	local mods="normal echo halt configfile search search_fs_uuid iso9660 fat test
		part_acorn part_amiga part_apple part_bsd part_dfly part_dvh part_gpt
		part_msdos part_plan part_sun part_sunpc"
	requires grub-mkrescue xorriso mformat
	[ -d /usr/lib/grub/x86_64-efi ] || skip "grub-efi-amd64-bin is not installed"
	mkdir -p "$dir/boot/grub"
	printf 'set timeout=0\necho %s\nhalt\n' "$mark" >"$dir/boot/grub/grub.cfg"
	key=$({
		cat "$dir/boot/grub/grub.cfg"
		echo $mods
		dpkg-query -W grub-efi-amd64-bin xorriso mtools 2>/dev/null
	} | sha256sum | cut -c1-16)
	cache=$PXEROOT_CACHE/efi-iso-$key.iso
	_cache_lock
	if [ ! -f "$cache" ]; then
		grub-mkrescue -d /usr/lib/grub/x86_64-efi --fonts= --locales= --themes= \
			--install-modules="$(echo $mods)" \
			-o "$cache.tmp" "$dir" >"$T/grub-mkrescue.log" 2>&1 || {
			_cache_unlock
			cat "$T/grub-mkrescue.log" >&2
			fail "grub-mkrescue failed"
		}
		mv "$cache.tmp" "$cache"
	fi
	_cache_unlock
	cp "$cache" "$out"
}

# lan_arm64_loaders: Debian builds its signed shim and network GRUB for arm64
# only; mmdebstrap unpacks the arm64 packages (and what they depend on) into
# a tree of their own, cached by the package list; a pxebootsrv
# configuration names it as arm64-loader-root.
lan_arm64_loaders() {
	local pkgs=shim-signed,shim-helpers-arm64-signed,grub-efi-arm64-signed key
	requires mmdebstrap
	key=$(echo "bookworm arm64 $pkgs 1" | sha256sum | cut -c1-12)
	LAN_ARM64_LOADERS=$PXEROOT_CACHE/arm64-loaders-$key/root
	mkdir -p "$PXEROOT_CACHE"
	exec 8>"$PXEROOT_CACHE/.arm64-loaders.lock"
	flock 8
	if [ ! -f "$PXEROOT_CACHE/arm64-loaders-$key/.done" ]; then
		rm -rf "$PXEROOT_CACHE/arm64-loaders-$key"
		mkdir -p "$PXEROOT_CACHE/arm64-loaders-$key"
		host_net mmdebstrap --variant=extract --arch=arm64 --include="$pkgs" bookworm \
			"$LAN_ARM64_LOADERS" http://deb.debian.org/debian \
			>"$PXEROOT_CACHE/arm64-loaders-$key/mmdebstrap.log" 2>&1 || {
			exec 8>&-
			tail -n 20 "$PXEROOT_CACHE/arm64-loaders-$key/mmdebstrap.log" >&2
			fail "mmdebstrap of the arm64 loaders failed"
		}
		touch "$PXEROOT_CACHE/arm64-loaders-$key/.done"
	fi
	exec 8>&-
}
