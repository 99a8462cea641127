# SPDX-License-Identifier: GPL-2.0-or-later
#
# Drivers and the network: modules, coldplug, the boot interface, DHCP or a
# static address, and the lease written to /run/pxeroot/net.env.

IFACE=
ADDR=
# The NICs that race for the root's DHCP answer (pick_interface).
CANDIDATES=

load_modules() {
	if [ -n "$PX_BLACKLIST" ]; then
		mkdir -p /etc/modprobe.d
		for _m in $(echo "$PX_BLACKLIST" | tr ',' ' '); do
			echo "blacklist $_m"
		done >/etc/modprobe.d/pxeroot-blacklist.conf
	fi
	# MODULE.PARAM=VALUE on the kernel command line (LTSP's loop.max_part=9)
	# is for a module loaded later: the kernel keeps it for built-in code
	# only, and BusyBox's modprobe reads modprobe.d, not the command line.
	mkdir -p /etc/modprobe.d
	for _w in $(cat /proc/cmdline); do
		case $_w in
		rd.* | *=*.*=* | *[!a-zA-Z0-9_.=,:/-]*) continue ;;
		[a-z]*.*=*)
			_k=${_w%%=*}
			case ${_k#*.} in *.*) continue ;; esac
			echo "options ${_k%%.*} ${_k#*.}=${_w#*=}"
			;;
		esac
	done >/etc/modprobe.d/pxeroot-cmdline.conf
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

# wait_dev DEV: until the interface exists, up to the link timeout.
wait_dev() {
	_wd=$(($(now_s) + PX_LINK_TIMEOUT))
	while [ ! -e "/sys/class/net/$1" ]; do
		if [ "$(now_s)" -ge "$_wd" ]; then
			ERR="no network interface $1 among: $(ls /sys/class/net | tr '\n' ' ')"
			return 1
		fi
		usleep 200000
	done
	return 0
}

# Is DEV one the command line builds (vlan=, bond=, bridge=)?
is_built() {
	for _b in $PX_VLAN $PX_BOND $PX_BRIDGE; do
		[ "${_b%%:*}" = "$1" ] && return 0
	done
	return 1
}

# enslave MASTER PORT,PORT...: the ports join the bond or bridge, and go up.
enslave() {
	for _p in $(echo "$2" | tr ',' ' '); do
		wait_dev "$_p" || return 1
		ip link set "$_p" down
		if ! ip link set "$_p" master "$1" 2>>"$BOOT_LOG"; then
			ERR="cannot add $_p to $1"
			return 2
		fi
		ip link set "$_p" up
	done
	return 0
}

# ifname=, bond=, vlan=, bridge= (in that order: a VLAN may sit on a bond, a
# bridge on either) with the kernel's own interfaces: BusyBox ip and sysfs.
build_links() {
	for _r in $PX_IFNAME; do
		_name=${_r%%=*}
		_mac=${_r#*=}
		_dev=
		_wd=$(($(now_s) + PX_LINK_TIMEOUT))
		while :; do
			for _i in $(ether_ifaces); do
				[ "$(cat "/sys/class/net/$_i/address" 2>/dev/null)" = "$_mac" ] && _dev=$_i && break
			done
			[ -n "$_dev" ] && break
			if [ "$(now_s)" -ge "$_wd" ]; then
				ERR="ifname=$_name:$_mac: no interface with MAC $_mac"
				return 1
			fi
			usleep 200000
		done
		[ "$_dev" = "$_name" ] && continue
		ip link set "$_dev" down
		if ! ip link set "$_dev" name "$_name" 2>>"$BOOT_LOG"; then
			ERR="ifname=$_name:$_mac: cannot rename $_dev to $_name"
			return 2
		fi
		log "network: $_dev renamed $_name ($_mac)"
	done
	for _b in $PX_BOND; do
		_name=${_b%%:*}
		_rest=${_b#*:}
		_slaves=${_rest%%:*}
		_rest=${_rest#*:}
		_opts=${_rest%%:*}
		_mtu=${_rest#*:}
		modprobe -q bonding max_bonds=0 2>/dev/null
		# Already built by an earlier try of this step.
		[ -e "/sys/class/net/$_name" ] && continue
		if ! ip link add "$_name" type bond 2>>"$BOOT_LOG"; then
			ERR="bond=$_name: cannot create the bond (no bonding module: add it with mkbootimage --modules bonding)"
			return 2
		fi
		# Options go in while the bond is down and has no slaves (mode needs it).
		for _o in $(echo "$_opts" | tr ',' ' '); do
			_k=${_o%%=*}
			_v=$(echo "${_o#*=}" | tr ';' ' ')
			if [ "$_k" = arp_ip_target ]; then
				for _t in $_v; do echo "+$_t" >"/sys/class/net/$_name/bonding/arp_ip_target"; done
			elif ! echo "$_v" >"/sys/class/net/$_name/bonding/$_k" 2>>"$BOOT_LOG"; then
				ERR="bond=$_name: the bonding driver refuses $_o"
				return 2
			fi
		done
		enslave "$_name" "$_slaves" || return $?
		[ -n "$_mtu" ] && ip link set "$_name" mtu "$_mtu"
		ip link set "$_name" up
		log "network: bond $_name over $_slaves ($_opts)"
	done
	for _v in $PX_VLAN; do
		_name=${_v%%:*}
		_rest=${_v#*:}
		_phys=${_rest%%:*}
		_id=${_rest#*:}
		modprobe -q 8021q 2>/dev/null
		# Already built by an earlier try of this step.
		[ -e "/sys/class/net/$_name" ] && continue
		wait_dev "$_phys" || return 1
		ip link set "$_phys" up
		if ! ip link add link "$_phys" name "$_name" type vlan id "$_id" 2>>"$BOOT_LOG"; then
			ERR="vlan=$_name:$_phys: cannot create VLAN $_id (no 8021q module in the initramfs)"
			return 2
		fi
		ip link set "$_name" up
		log "network: VLAN $_id on $_phys as $_name"
	done
	for _br in $PX_BRIDGE; do
		_name=${_br%%:*}
		_ports=${_br#*:}
		modprobe -q bridge 2>/dev/null
		# Already built by an earlier try of this step.
		[ -e "/sys/class/net/$_name" ] && continue
		if ! ip link add "$_name" type bridge 2>>"$BOOT_LOG"; then
			ERR="bridge=$_name: cannot create the bridge (no bridge module: add it with mkbootimage --modules bridge)"
			return 2
		fi
		# No spanning tree and no forward delay: the boot must not wait 30 s.
		echo 0 >"/sys/class/net/$_name/bridge/stp_state" 2>/dev/null
		echo 0 >"/sys/class/net/$_name/bridge/forward_delay" 2>/dev/null
		enslave "$_name" "$_ports" || return $?
		ip link set "$_name" up
		log "network: bridge $_name over $_ports"
	done
	return 0
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
		if [ -n "$PX_BOOTIF" ] && ! is_built "$PX_IP_DEV"; then
			for _i in $(ether_ifaces); do
				[ "$(cat "/sys/class/net/$_i/address")" = "$PX_BOOTIF" ] && IFACE=$_i
			done
			# The booted NIC in a bond or a bridge: the address goes on that.
			while [ -n "$IFACE" ] && [ -e "/sys/class/net/$IFACE/master" ]; do
				IFACE=$(basename "$(readlink "/sys/class/net/$IFACE/master")")
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
			# The root comes from DHCP and nothing names the NIC: each with
			# a link asks, and the one whose answer names a root wins.
			if [ -n "$IFACE" ] && [ "$PX_ROOT" = dhcp ] && [ "$PX_IP" = dhcp ] &&
				[ "$(ether_ifaces | wc -l)" -gt 1 ]; then
				# A second NIC's link may come a moment after the first's.
				usleep 500000
				CANDIDATES=
				for _i in $(ether_ifaces); do
					ip link set "$_i" up 2>/dev/null
					has_carrier "$_i" && CANDIDATES="$CANDIDATES $_i"
				done
				CANDIDATES=${CANDIDATES# }
			fi
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
	# The interfaces that were brought up to look for a link go down again,
	# but those the command line uses stay up.
	for _i in $(ether_ifaces); do
		[ "$_i" = "$IFACE" ] && continue
		case " $CANDIDATES " in *" $_i "*) continue ;; esac
		[ -e "/sys/class/net/$_i/master" ] && continue
		case " $PX_IP_MORE $PX_VLAN " in
		*" $_i:"* | *":$_i:"*) continue ;;
		esac
		ip link set "$_i" down 2>/dev/null
	done
	log "network: $IFACE ($(cat "/sys/class/net/$IFACE/address")) has a link"
	return 0
}

# Several NICs with a link and the root from DHCP: udhcpc on each at once.
# The first lease that names a root (option 17) wins; failing that, once
# every NIC is done, the first NIC with a lease. The others go down again.
dhcp_race() {
	rm -f "$PXRUN"/race-*.env "$PXRUN/dhcp.env"
	_pids=
	log "network: DHCP on $CANDIDATES at once; the answer that names a root wins"
	for _i in $CANDIDATES; do
		PXROOT_DHCP_ENV=$PXRUN/race-$_i.env udhcpc -i "$_i" -f -q -n \
			-t "$PX_DHCP_TRIES" -T "$PX_DHCP_TIMEOUT" -s "$PXLIB/udhcpc.script" \
			-V pxeroot -O rootpath -O ntpsrv -O search -O mtu \
			${PX_IP_HOSTNAME:+-x "hostname:$PX_IP_HOSTNAME"} >>"$BOOT_LOG" 2>&1 &
		_pids="$_pids $!"
	done
	_win=
	while :; do
		for _i in $CANDIDATES; do
			[ -s "$PXRUN/race-$_i.env" ] || continue
			if (. "$PXRUN/race-$_i.env" && [ -n "$dhcp_rootpath" ]); then
				_win=$_i
				CHOSEN_BY="its DHCP answer, which names the root (root-path)"
				break 2
			fi
		done
		_running=
		for _p in $_pids; do
			kill -0 "$_p" 2>/dev/null && _running=1
		done
		[ -n "$_running" ] || break
		usleep 100000
	done
	for _p in $_pids; do
		kill "$_p" 2>/dev/null
	done
	wait $_pids 2>/dev/null
	if [ -z "$_win" ]; then
		for _i in $CANDIDATES; do
			if [ -s "$PXRUN/race-$_i.env" ]; then
				_win=$_i
				CHOSEN_BY="the first DHCP answer (none names a root)"
				break
			fi
		done
	fi
	if [ -z "$_win" ]; then
		ERR="no DHCP answer on $CANDIDATES"
		return 1
	fi
	IFACE=$_win
	cp "$PXRUN/race-$_win.env" "$PXRUN/dhcp.env"
	for _i in $CANDIDATES; do
		[ "$_i" = "$IFACE" ] || ip link set "$_i" down 2>/dev/null
	done
	log "network: $IFACE wins: $CHOSEN_BY"
	return 0
}

# One DHCP exchange per try, each waiting twice as long as the last.
dhcp() {
	if [ -n "$CANDIDATES" ] && [ "$CANDIDATES" != "$IFACE" ]; then
		dhcp_race
		return $?
	fi
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

# ip=auto6: the kernel's own stateless autoconfiguration from the router's
# advertisements (no DHCPv6: BusyBox has no udhcpc6 here). Waits until an
# address wider than the link has passed duplicate address detection; sets ADDR, _prefix
# and _gw.
auto6() {
	_conf=/proc/sys/net/ipv6/conf/$IFACE
	if [ ! -d "$_conf" ]; then
		ERR="ip=auto6: the kernel has no IPv6 on $IFACE"
		return 2
	fi
	echo 1 >"$_conf/accept_ra"
	echo 1 >"$_conf/autoconf"
	log "network: waiting up to $PX_IPV6_TIMEOUT s for an IPv6 address from a router advertisement on $IFACE"
	_wd=$(($(now_s) + PX_IPV6_TIMEOUT))
	while :; do
		# Not "scope global" alone: fec0::/10 is site-local.
		_a=$(ip -6 -o addr show dev "$IFACE" 2>/dev/null |
			grep -v -e 'scope link' -e 'scope host' -e tentative -e dadfailed | sed -n 's|.* inet6 \([^ ]*\) .*|\1|p' | head -n 1)
		[ -n "$_a" ] && break
		if [ "$(now_s)" -ge "$_wd" ]; then
			ERR="no IPv6 address on $IFACE from a router advertisement after $PX_IPV6_TIMEOUT s (ip=auto6)"
			return 1
		fi
		usleep 200000
	done
	ADDR=${_a%/*}
	_prefix=${_a#*/}
	# The same advertisement gave the default route, if the router offers one.
	_gw=$(ip -6 route show default dev "$IFACE" 2>/dev/null | sed -n 's/^default via \([^ ]*\).*/\1/p' | head -n 1)
	return 0
}

# ip=dhcp6: a stateful DHCPv6 lease from pxeroot-helper dhcp6 (BusyBox has
# no udhcpc6 here). The router advertisements still give the on-link prefix
# and the default route (DHCPv6 carries neither), so they stay accepted.
# Sets ADDR, _prefix, _gw and the dhcp_* of the lease.
dhcp6() {
	_conf=/proc/sys/net/ipv6/conf/$IFACE
	if [ ! -d "$_conf" ]; then
		ERR="ip=dhcp6: the kernel has no IPv6 on $IFACE"
		return 2
	fi
	echo 1 >"$_conf/accept_ra"
	# DHCPv6 speaks from the link-local address: it must have passed
	# duplicate address detection.
	_wd=$(($(now_s) + PX_IPV6_TIMEOUT))
	until ip -6 -o addr show dev "$IFACE" scope link 2>/dev/null | grep -v tentative | grep -q inet6; do
		if [ "$(now_s)" -ge "$_wd" ]; then
			ERR="no usable link-local IPv6 address on $IFACE after $PX_IPV6_TIMEOUT s"
			return 1
		fi
		usleep 100000
	done
	log "network: DHCPv6 on $IFACE (waits up to $PX_IPV6_TIMEOUT s)"
	rm -f "$PXRUN/dhcp.env"
	if ! "$HELPER" dhcp6 -t "$PX_IPV6_TIMEOUT" "$IFACE" "$PXRUN/dhcp.env" 2>"$PXRUN/dhcp6.err"; then
		cat "$PXRUN/dhcp6.err" >>"$BOOT_LOG"
		ERR=$(helper_msg "$PXRUN/dhcp6.err")
		return 1
	fi
	. "$PXRUN/dhcp.env"
	ADDR=$dhcp_ip
	# The address alone (a /128): the prefix is the router's to announce.
	_prefix=128
	# root=dhcp6: the first boot file parameter, else the boot file URL.
	dhcp_rootpath=${dhcp_boot_params%% *}
	[ -n "$dhcp_rootpath" ] || dhcp_rootpath=$dhcp_boot_file
	return 0
}

# After a DHCPv6 lease: the on-link prefix and any default route come from
# a router advertisement; wait a little for one (the lease may come first).
# Sets _gw.
dhcp6_routes() {
	_wd=$(($(now_s) + 5))
	until ip -6 route show dev "$IFACE" 2>/dev/null | grep -v '^fe80:' | grep -q '^[0-9a-f:]*/'; do
		if [ "$(now_s)" -ge "$_wd" ]; then
			log "network: no router advertisement on $IFACE yet: no on-link IPv6 prefix"
			break
		fi
		usleep 200000
	done
	_gw=$(ip -6 route show default dev "$IFACE" 2>/dev/null | sed -n 's/^default via \([^ ]*\).*/\1/p' | head -n 1)
	return 0
}

# wait_dad DEV ADDRESS: an IPv6 address is usable once duplicate address
# detection has passed (about a second); an IPv4 one at once.
wait_dad() {
	case $2 in *:*) ;; *) return 0 ;; esac
	_wd=$(($(now_s) + PX_IPV6_TIMEOUT))
	while ip -6 -o addr show dev "$1" 2>/dev/null | grep " $2/" | grep -q tentative; do
		if [ "$(now_s)" -ge "$_wd" ]; then
			ERR="IPv6 address $2 on $1 still tentative after $PX_IPV6_TIMEOUT s"
			return 1
		fi
		usleep 200000
	done
	if ip -6 -o addr show dev "$1" 2>/dev/null | grep " $2/" | grep -q dadfailed; then
		ERR="IPv6 address $2 on $1 is used by another host (duplicate address detection)"
		return 2
	fi
	return 0
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

# BOOTIF chose another interface than the command line's boot interface: the
# configuration given for the one it chose applies to it, and the other's
# moves to the others.
swap_boot_config() {
	CHOSEN_BY=$PX_IP_WHY
	[ -n "$PX_BOOTIF" ] && [ "$IFACE" != "$PX_IP_DEV" ] || return 0
	CHOSEN_BY="BOOTIF=$PX_BOOTIF (the interface the firmware booted from)"
	[ -n "$PX_IP_DEV" ] || return 0
	_more=
	_mine=
	for _m in $PX_IP_MORE; do
		if [ "${_m%%:*}" = "$IFACE" ]; then
			_mine=$_m
		else
			_more="$_more $_m"
		fi
	done
	[ -n "$_mine" ] || return 0
	case $PX_IP in
	static) _more="$_more $PX_IP_DEV:static:$PX_IP_ADDR/$PX_IP_PREFIX" ;;
	*) _more="$_more $PX_IP_DEV:$PX_IP" ;;
	esac
	PX_IP_MORE=${_more# }
	_rest=${_mine#*:}
	PX_IP=${_rest%%:*}
	PX_IP_ADDR= PX_IP_PREFIX= PX_IP_GW= PX_IP_PEER=
	if [ "$PX_IP" = static ]; then
		_a=${_rest#*:}
		PX_IP_ADDR=${_a%/*}
		PX_IP_PREFIX=${_a#*/}
	fi
	PX_IP_DEV=$IFACE
	return 0
}

# The other interfaces ip= and ethN= name: an address each, no routes.
configure_more() {
	OTHERS=
	for _m in $PX_IP_MORE; do
		_dev=${_m%%:*}
		_rest=${_m#*:}
		_how=${_rest%%:*}
		[ "$_how" = off ] && continue
		wait_dev "$_dev" || return 1
		ip link set "$_dev" up
		ip addr flush dev "$_dev" 2>/dev/null
		case $_how in
		dhcp)
			_env=$PXRUN/dhcp-$_dev.env
			rm -f "$_env"
			_t=$PX_DHCP_TIMEOUT
			_try=1
			while [ ! -s "$_env" ] && [ "$_try" -le "$PX_DHCP_TRIES" ]; do
				log "network: DHCP on $_dev, try $_try of $PX_DHCP_TRIES"
				PXROOT_DHCP_ENV=$_env udhcpc -i "$_dev" -f -q -n -t 1 -T "$_t" \
					-s "$PXLIB/udhcpc.script" -V pxeroot >>"$BOOT_LOG" 2>&1
				_try=$((_try + 1))
				_t=$((_t * 2))
				[ "$_t" -gt 60 ] && _t=60
			done
			if [ ! -s "$_env" ]; then
				ERR="no DHCP answer on $_dev after $PX_DHCP_TRIES tries (ip=$_dev:dhcp)"
				return 1
			fi
			_a=$(
				. "$_env"
				echo "$dhcp_ip/${dhcp_mask:-$(mask_to_prefix "$dhcp_subnet")}"
			)
			;;
		*) _a=${_rest#*:} ;;
		esac
		if ! ip addr add "$_a" dev "$_dev" 2>>"$BOOT_LOG"; then
			ERR="cannot set address $_a on $_dev"
			return 2
		fi
		wait_dad "$_dev" "${_a%/*}" || return $?
		log "network: $_dev $_a ($_how)"
		OTHERS="$OTHERS $_dev=$_a"
	done
	OTHERS=${OTHERS# }
	return 0
}

setup_network() {
	_t0=$(now)
	build_links || return $?
	pick_interface || return 1
	swap_boot_config
	[ -n "$PX_IP_MAC" ] && ip link set "$IFACE" address "$PX_IP_MAC"
	[ -n "$PX_IP_MTU" ] && ip link set "$IFACE" mtu "$PX_IP_MTU"
	dhcp_ip= dhcp_mask= dhcp_subnet= dhcp_router= dhcp_dns= dhcp_domain= dhcp_search=
	dhcp_hostname= dhcp_serverid= dhcp_siaddr= dhcp_rootpath= dhcp_lease= dhcp_broadcast=
	dhcp_mtu= dhcp_ntpsrv= dhcp_boot_file= dhcp6_server=
	if [ "$PX_IP" = dhcp ]; then
		dhcp || return 1
		. "$PXRUN/dhcp.env"
		ADDR=$dhcp_ip
		_prefix=${dhcp_mask:-$(mask_to_prefix "$dhcp_subnet")}
		# gateway= on the command line wins over the DHCP router.
		_gw=${PX_IP_GW:-${dhcp_router%% *}}
		_dns="$PX_IP_DNS${PX_IP_DNS:+ }$dhcp_dns"
		# rd.peerdns=0: the command line's DNS only.
		if [ "$PX_PEERDNS" = 0 ]; then
			_dns=$PX_IP_DNS
			dhcp_domain=
			dhcp_search=
		fi
		_host=${PX_IP_HOSTNAME:-$dhcp_hostname}
		[ -n "$dhcp_mtu" ] && [ -z "$PX_IP_MTU" ] && ip link set "$IFACE" mtu "$dhcp_mtu"
	elif [ "$PX_IP" = auto6 ]; then
		auto6 || return $?
		_dns=$PX_IP_DNS
		_host=$PX_IP_HOSTNAME
	elif [ "$PX_IP" = dhcp6 ]; then
		dhcp6 || return $?
		_dns="$PX_IP_DNS${PX_IP_DNS:+ }$dhcp_dns"
		if [ "$PX_PEERDNS" = 0 ]; then
			_dns=$PX_IP_DNS
			dhcp_search=
		fi
		_host=$PX_IP_HOSTNAME
	else
		ADDR=$PX_IP_ADDR
		_prefix=$PX_IP_PREFIX
		_gw=$PX_IP_GW
		_dns=$PX_IP_DNS
		_host=$PX_IP_HOSTNAME
	fi
	if [ "$PX_IP" != auto6 ]; then
		# DHCPv6 keeps the link-local address it spoke from.
		[ "$PX_IP" = dhcp6 ] || ip addr flush dev "$IFACE" 2>/dev/null
		if ! ip addr add "$ADDR/$_prefix" ${dhcp_broadcast:+broadcast "$dhcp_broadcast"} dev "$IFACE"; then
			ERR="cannot set address $ADDR/$_prefix on $IFACE"
			return 2
		fi
		wait_dad "$IFACE" "$ADDR" || return $?
	fi
	[ "$PX_IP" = dhcp6 ] && dhcp6_routes
	if [ "$PX_IP" != auto6 ] && [ "$PX_IP" != dhcp6 ] && [ -n "$_gw" ] && [ "$_gw" != 0.0.0.0 ]; then
		_fam=
		case $_gw in *:*) _fam=-6 ;; esac
		ip $_fam route add default via "$_gw" dev "$IFACE" 2>>"$BOOT_LOG" ||
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
	configure_more || return $?

	# The lease, for the real system (doc/initramfs.md: /run/pxeroot/net.env).
	write_env "$PXRUN/net.env" \
		INTERFACE "$IFACE" \
		CHOSEN_BY "$CHOSEN_BY" \
		OTHER_INTERFACES "$OTHERS" \
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
		SERVER_ID "${dhcp_serverid:-$dhcp6_server}" \
		NEXT_SERVER "$dhcp_siaddr" \
		ROOT_PATH "$dhcp_rootpath" \
		BOOT_FILE "$dhcp_boot_file" \
		LEASE_TIME "$dhcp_lease" \
		LEASE_START "$(date +%s)" \
		LEASE_UPTIME "$(now)"
	log "network: $IFACE chosen by $CHOSEN_BY"
	log "network: $IFACE $ADDR/$_prefix${_gw:+ via $_gw} (${PX_IP}${dhcp_lease:+, lease $dhcp_lease s}${dhcp_serverid:+ from $dhcp_serverid}${dhcp6_server:+ from $dhcp6_server}) in $(awk "BEGIN{printf \"%.2f\", $(now) - $_t0}") s"
	return 0
}
