# SPDX-License-Identifier: GPL-2.0-or-later
#
# Drivers and the network: modules, coldplug, the boot interface, DHCP or a
# static address, and the lease written to /run/pxeroot/net.env.

IFACE=
ADDR=

load_modules() {
	if [ -n "$PX_BLACKLIST" ]; then
		mkdir -p /etc/modprobe.d
		for _m in $(echo "$PX_BLACKLIST" | tr ',' ' '); do
			echo "blacklist $_m"
		done >/etc/modprobe.d/pxeroot-blacklist.conf
	fi
	for _m in $(echo "$PX_MODULES" | tr ',' ' '); do
		modprobe "$_m" 2>>"$BOOT_LOG" || log_err "warning: cannot load module $_m (rd.driver.pre)"
	done
	# udhcpc needs packet sockets; built in on most kernels.
	modprobe -q af_packet 2>/dev/null
	coldplug
	return 0
}

# Load a driver for every device's modalias, on every bus, until a pass
# loads nothing new: a pass can create devices on another bus (virtio_pci
# makes virtio devices, whose own aliases load virtio_net).
coldplug() {
	_before=-1
	_pass=0
	while [ "$_pass" -lt 8 ]; do
		_n=$(wc -l </proc/modules)
		[ "$_n" = "$_before" ] && break
		_before=$_n
		_pass=$((_pass + 1))
		# shellcheck disable=SC2046
		cat /sys/bus/*/devices/*/modalias 2>/dev/null | sort -u >/tmp/modaliases
		[ -s /tmp/modaliases ] && xargs modprobe -q -a -b </tmp/modaliases 2>/dev/null
	done
	log "coldplug: $(wc -l </proc/modules) modules loaded after $_pass passes"
}

# Interfaces that are real Ethernet devices (type 1, with a device behind).
ether_ifaces() {
	for _d in /sys/class/net/*; do
		_i=${_d##*/}
		[ "$_i" = lo ] && continue
		[ -e "$_d/device" ] || continue
		[ "$(cat "$_d/type" 2>/dev/null)" = 1 ] || continue
		echo "$_i"
	done
}

has_carrier() {
	[ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" = 1 ]
}

# Choose the boot interface: BOOTIF's MAC, then ip='s device, then the first
# with a link. Waits up to rd.pxeroot.link.timeout for the device and its link.
pick_interface() {
	_deadline=$(($(now_s) + PX_LINK_TIMEOUT))
	IFACE=
	while :; do
		if [ -n "$PX_BOOTIF" ]; then
			for _i in $(ether_ifaces); do
				[ "$(cat "/sys/class/net/$_i/address")" = "$PX_BOOTIF" ] && IFACE=$_i
			done
		elif [ -n "$PX_IP_DEV" ]; then
			[ -e "/sys/class/net/$PX_IP_DEV" ] && IFACE=$PX_IP_DEV
		else
			for _i in $(ether_ifaces); do
				ip link set "$_i" up 2>/dev/null
				if has_carrier "$_i"; then
					IFACE=$_i
					break
				fi
			done
		fi
		if [ -n "$IFACE" ]; then
			ip link set "$IFACE" up 2>/dev/null
			has_carrier "$IFACE" && break
		fi
		if [ "$(now_s)" -ge "$_deadline" ]; then
			if [ -n "$IFACE" ]; then
				ERR="no link on $IFACE after $PX_LINK_TIMEOUT s"
			elif [ -n "$PX_BOOTIF" ]; then
				ERR="no network interface with MAC $PX_BOOTIF (BOOTIF) among: $(ether_ifaces | tr '\n' ' ')"
			elif [ -n "$PX_IP_DEV" ]; then
				ERR="no network interface $PX_IP_DEV (ip=) among: $(ether_ifaces | tr '\n' ' ')"
			elif [ -z "$(ether_ifaces)" ]; then
				ERR="no network interface found (is the NIC's driver in the initramfs?)"
			else
				ERR="no link on any of $(ether_ifaces | tr '\n' ' ')after $PX_LINK_TIMEOUT s"
			fi
			return 1
		fi
		usleep 200000
	done
	# The interfaces that were brought up to look for a link go down again.
	for _i in $(ether_ifaces); do
		[ "$_i" = "$IFACE" ] || ip link set "$_i" down 2>/dev/null
	done
	log "network: $IFACE ($(cat "/sys/class/net/$IFACE/address")) has a link"
	return 0
}

# One DHCP exchange per try, each waiting twice as long as the last.
dhcp() {
	_t=$PX_DHCP_TIMEOUT
	_try=1
	rm -f "$PXRUN/dhcp.env"
	while [ "$_try" -le "$PX_DHCP_TRIES" ]; do
		log "network: DHCP on $IFACE, try $_try of $PX_DHCP_TRIES (waits $_t s)"
		udhcpc -i "$IFACE" -f -q -n -t 1 -T "$_t" -s "$PXLIB/udhcpc.script" \
			-V pxeroot -O rootpath -O ntpsrv -O search -O mtu \
			${PX_IP_ADDR:+-r "$PX_IP_ADDR"} \
			${PX_IP_HOSTNAME:+-x "hostname:$PX_IP_HOSTNAME"} >>"$BOOT_LOG" 2>&1
		[ -s "$PXRUN/dhcp.env" ] && return 0
		_try=$((_try + 1))
		_t=$((_t * 2))
		[ "$_t" -gt 60 ] && _t=60
	done
	ERR="no DHCP answer on $IFACE after $PX_DHCP_TRIES tries"
	return 1
}

mask_to_prefix() {
	_p=0
	for _o in $(echo "$1" | tr '.' ' '); do
		case $_o in
		255) _p=$((_p + 8)) ;;
		254) _p=$((_p + 7)) ;;
		252) _p=$((_p + 6)) ;;
		248) _p=$((_p + 5)) ;;
		240) _p=$((_p + 4)) ;;
		224) _p=$((_p + 3)) ;;
		192) _p=$((_p + 2)) ;;
		128) _p=$((_p + 1)) ;;
		esac
	done
	echo "$_p"
}

setup_network() {
	_t0=$(now)
	pick_interface || return 1
	[ -n "$PX_IP_MAC" ] && ip link set "$IFACE" address "$PX_IP_MAC"
	[ -n "$PX_IP_MTU" ] && ip link set "$IFACE" mtu "$PX_IP_MTU"
	dhcp_ip= dhcp_mask= dhcp_subnet= dhcp_router= dhcp_dns= dhcp_domain= dhcp_search=
	dhcp_hostname= dhcp_serverid= dhcp_siaddr= dhcp_rootpath= dhcp_lease= dhcp_broadcast=
	dhcp_mtu= dhcp_ntpsrv= dhcp_boot_file=
	if [ "$PX_IP" = dhcp ]; then
		dhcp || return 1
		. "$PXRUN/dhcp.env"
		ADDR=$dhcp_ip
		_prefix=${dhcp_mask:-$(mask_to_prefix "$dhcp_subnet")}
		# gateway= on the command line wins over the DHCP router.
		_gw=${PX_IP_GW:-${dhcp_router%% *}}
		_dns="$PX_IP_DNS${PX_IP_DNS:+ }$dhcp_dns"
		_host=${PX_IP_HOSTNAME:-$dhcp_hostname}
		[ -n "$dhcp_mtu" ] && [ -z "$PX_IP_MTU" ] && ip link set "$IFACE" mtu "$dhcp_mtu"
	else
		ADDR=$PX_IP_ADDR
		_prefix=$PX_IP_PREFIX
		_gw=$PX_IP_GW
		_dns=$PX_IP_DNS
		_host=$PX_IP_HOSTNAME
	fi
	ip addr flush dev "$IFACE" 2>/dev/null
	if ! ip addr add "$ADDR/$_prefix" ${dhcp_broadcast:+broadcast "$dhcp_broadcast"} dev "$IFACE"; then
		ERR="cannot set address $ADDR/$_prefix on $IFACE"
		return 2
	fi
	if [ -n "$_gw" ] && [ "$_gw" != 0.0.0.0 ]; then
		ip route add default via "$_gw" dev "$IFACE" 2>>"$BOOT_LOG" ||
			log_err "warning: cannot add the default route via $_gw"
	fi
	: >"$PXRUN/resolv.conf"
	[ -n "$dhcp_domain" ] && echo "domain $dhcp_domain" >>"$PXRUN/resolv.conf"
	[ -n "${dhcp_search:-$dhcp_domain}" ] && echo "search ${dhcp_search:-$dhcp_domain}" >>"$PXRUN/resolv.conf"
	for _d in $_dns; do
		echo "nameserver $_d" >>"$PXRUN/resolv.conf"
	done
	mkdir -p /etc
	cp "$PXRUN/resolv.conf" /etc/resolv.conf
	[ -n "$_host" ] && hostname "$_host"

	# The lease, for the real system (doc/initramfs.md: /run/pxeroot/net.env).
	write_env "$PXRUN/net.env" \
		INTERFACE "$IFACE" \
		MAC "$(cat "/sys/class/net/$IFACE/address")" \
		METHOD "$PX_IP" \
		ADDRESS "$ADDR" \
		PREFIX "$_prefix" \
		NETMASK "$dhcp_subnet" \
		BROADCAST "$dhcp_broadcast" \
		GATEWAY "$_gw" \
		DNS "$(echo $_dns)" \
		DOMAIN "$dhcp_domain" \
		SEARCH "${dhcp_search:-$dhcp_domain}" \
		HOSTNAME "$_host" \
		NTP "${PX_IP_NTP:-$dhcp_ntpsrv}" \
		MTU "$(cat "/sys/class/net/$IFACE/mtu")" \
		SERVER_ID "$dhcp_serverid" \
		NEXT_SERVER "$dhcp_siaddr" \
		ROOT_PATH "$dhcp_rootpath" \
		BOOT_FILE "$dhcp_boot_file" \
		LEASE_TIME "$dhcp_lease" \
		LEASE_START "$(date +%s)" \
		LEASE_UPTIME "$(now)"
	log "network: $IFACE $ADDR/$_prefix${_gw:+ via $_gw} (${PX_IP}${dhcp_lease:+, lease $dhcp_lease s}${dhcp_serverid:+ from $dhcp_serverid}) in $(awk "BEGIN{printf \"%.2f\", $(now) - $_t0}") s"
	return 0
}
