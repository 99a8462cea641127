# SPDX-License-Identifier: GPL-2.0-or-later
#
# The read-only root (the lower layer) at /run/pxeroot/lower: an NFS
# directory, an image file on NFS, an NBD device, or an image downloaded into
# RAM and checked against a checksum before it is used.

LOWER=$PXRUN/lower
ROOT_DEVICE=
ROOT_FSTYPE=
VERITY_DEVICE=

# The server when the command line names none: ip='s server field, then the
# DHCP next-server, then the DHCP server itself (the kernel's and the HOWTO's
# order).
default_server() {
	[ -n "$PX_SERVER" ] && return 0
	for _s in "$PX_IP_PEER" "$dhcp_siaddr" "$dhcp_serverid"; do
		if [ -n "$_s" ] && [ "$_s" != 0.0.0.0 ]; then
			PX_SERVER=$_s
			log "root: no server named; using $PX_SERVER"
			return 0
		fi
	done
	ERR="no root server: the command line names none and DHCP gave no next-server"
	return 2
}

# root=dhcp: DHCP option 17 says where the root is, in any root= grammar.
root_from_dhcp() {
	if [ -z "$dhcp_rootpath" ] && [ "$PX_IP" = dhcp6 ]; then
		ERR="root=dhcp6: the DHCPv6 server sent no boot file URL or parameter (options 59, 60)"
		return 2
	elif [ -z "$dhcp_rootpath" ]; then
		ERR="root=dhcp: the DHCP server sent no root-path (option 17)"
		return 2
	fi
	_out=$("$HELPER" cmdline --shell --root-only --defaults /etc/pxeroot/cmdline \
		--root-path "$dhcp_rootpath" 2>"$PXRUN/cmdline.err")
	if [ $? != 0 ]; then
		ERR="DHCP root-path: $(helper_msg "$PXRUN/cmdline.err")"
		return 2
	fi
	eval "$_out"
	log "root: DHCP root-path '$dhcp_rootpath'"
	return 0
}

# verity_map DEVICE|FILE: rd.pxeroot.verity= maps the image through dm-verity;
# ROOT_DEVICE becomes the verified device. Every block read from it is checked
# against the root hash from the command line; one that does not match fails
# with an I/O error, never read from elsewhere.
verity_map() {
	[ -n "$PX_VERITY" ] || return 0
	load_module dm-verity
	[ -b "$1" ] || modprobe -q loop 2>/dev/null
	if ! VERITY_DEVICE=$("$HELPER" verity-open "$1" "$PX_VERITY" "$PX_VERITY_OFFSET" \
		2>"$PXRUN/verity.err"); then
		ERR="dm-verity: $(helper_msg "$PXRUN/verity.err")"
		return 2
	fi
	log "root: $1 verified by dm-verity as $VERITY_DEVICE (root hash $PX_VERITY, hash tree at byte $PX_VERITY_OFFSET)"
	ROOT_DEVICE=$VERITY_DEVICE
	return 0
}

# After a failed probe or mount: did dm-verity refuse a block? Then say so.
verity_refused() {
	[ -n "$VERITY_DEVICE" ] || return 1
	"$HELPER" verity-status >/dev/null 2>&1 && return 1
	ERR="the root image failed dm-verity verification: a block read from $VERITY_DEVICE does not match root hash $PX_VERITY; the image on the server is not the one this boot entry names (see dmesg for the block)"
	return 0
}

# mount_fs DEVICE|FILE: probe the file system unless rootfstype= says, mount ro.
mount_fs() {
	_fs=$PX_FSTYPE
	if [ "$_fs" = auto ]; then
		_fs=$("$HELPER" probe "$1" 2>"$PXRUN/probe.err")
		if [ $? != 0 ]; then
			ERR=$(helper_msg "$PXRUN/probe.err")
			verity_refused
			return 2
		fi
	fi
	grep -qw "$_fs" /proc/filesystems || load_module "$_fs"
	if ! grep -qw "$_fs" /proc/filesystems; then
		ERR="$1 holds $_fs, and the initramfs has no $_fs driver (mkbootimage --modules $_fs)"
		return 2
	fi
	_opts=ro${PX_FLAGS:+,$PX_FLAGS}
	[ -b "$1" ] || { modprobe -q loop 2>/dev/null; _opts=$_opts,loop; }
	mkdir -p "$LOWER"
	if ! mount -t "$_fs" -o "$_opts" "$1" "$LOWER" 2>"$PXRUN/mount.err"; then
		ERR="cannot mount $1 ($_fs): $(sed 's/^mount: //' "$PXRUN/mount.err" | tr '\n' ' ')"
		verity_refused
		return 2
	fi
	ROOT_FSTYPE=$_fs
	return 0
}

nfs_try() {
	_rw=
	# rw: the tree is this client's own root, written in place.
	[ "$PX_ROOT_RW" = 1 ] && [ -z "$PX_IMAGE" ] && _rw=-w
	"$HELPER" nfs-mount -V "$PX_NFS_VERS" ${PX_PORT:+-p "$PX_PORT"} \
		${PX_NFS_OPTS:+-o "$PX_NFS_OPTS"} -t 30 $_rw \
		"$PX_SERVER" "$_nfs_path" "$_nfs_dir" >"$PXRUN/nfs.out" 2>"$PXRUN/nfs.err" && return 0
	ERR=$(helper_msg "$PXRUN/nfs.err")
	return 1
}

root_nfs() {
	_nfs_path=$PX_PATH
	# The kernel's nfsroot= replaces %s with the client's address.
	case $_nfs_path in
	*%s*) _nfs_path=$(echo "$_nfs_path" | sed "s/%s/$ADDR/g") ;;
	esac
	_nfs_dir=$LOWER
	[ -n "$PX_IMAGE" ] && _nfs_dir=$PXRUN/nfs
	mkdir -p "$_nfs_dir"
	modprobe -q nfs 2>/dev/null
	case $PX_NFS_VERS in
	3) modprobe -q nfsv3 2>/dev/null ;;
	4*) modprobe -q nfsv4 2>/dev/null ;;
	*) modprobe -q nfsv4 2>/dev/null; modprobe -q nfsv3 2>/dev/null ;;
	esac
	# Each client must present an NFSv4 client owner of its own. Without
	# one, the kernel names itself after the host name, which diskless
	# clients often share ("(none)" when DHCP gives none), and the server
	# takes every new client for a reboot of the previous one and drops that
	# one's state: its opens are lost and it hangs in state recovery. The
	# boot interface's MAC is unique and stays the same across reboots, so a
	# rebooted client reclaims its own state. nfs.nfs4_unique_id= on the
	# command line wins.
	_uniq=/sys/module/nfs/parameters/nfs4_unique_id
	if [ -w "$_uniq" ] && [ -z "$(cat "$_uniq" 2>/dev/null)" ] &&
		[ -r "/sys/class/net/$IFACE/address" ]; then
		echo "pxeroot-$(tr -d ':' <"/sys/class/net/$IFACE/address")" >"$_uniq"
	fi
	log "root: mounting $PX_SERVER:$_nfs_path over NFS (version $PX_NFS_VERS)"
	retry nfs_try || return $?
	read -r _how _opts <"$PXRUN/nfs.out"
	ROOT_DEVICE=$PX_SERVER:$_nfs_path
	ROOT_FSTYPE=$_how
	log "root: mounted $ROOT_DEVICE ($_how $_opts)"
	[ -n "$PX_IMAGE" ] || return 0
	_img=$_nfs_dir/$PX_IMAGE
	if [ ! -f "$_img" ]; then
		ERR="no image $PX_IMAGE in $ROOT_DEVICE"
		return 2
	fi
	mount_fs "$_img" || return $?
	ROOT_DEVICE=$ROOT_DEVICE/$PX_IMAGE
	log "root: mounted image $PX_IMAGE ($ROOT_FSTYPE) through a loop device"
	return 0
}

nbd_try() {
	_watch=
	# The watcher's messages go to the console and to $PXRUN/nbd.log.
	[ "$PX_NBD_RECONNECT" = 1 ] &&
		_watch="--watch --lost ${PX_NBD_LOST:-wait} --log $PXRUN/nbd.log"
	"$HELPER" nbd-connect ${PX_EXPORT:+-e "$PX_EXPORT"} -t "$PX_NBD_TIMEOUT" \
		-d "$PX_NBD_DEAD_TIMEOUT" $_watch "$PX_SERVER" "$PX_PORT" \
		>"$PXRUN/nbd.out" 2>"$PXRUN/nbd.err" && return 0
	ERR=$(helper_msg "$PXRUN/nbd.err")
	# An export that does not exist will not appear by waiting.
	case $ERR in
	*"has no export"* | *"requires TLS"*) return 2 ;;
	esac
	return 1
}

root_nbd() {
	modprobe -q nbd 2>/dev/null
	log "root: connecting to NBD server $PX_SERVER:$PX_PORT${PX_EXPORT:+, export $PX_EXPORT}"
	retry nbd_try || return $?
	read -r ROOT_DEVICE _size _mode _pin <"$PXRUN/nbd.out"
	log "root: $ROOT_DEVICE attached to $PX_SERVER:$PX_PORT${PX_EXPORT:+/$PX_EXPORT} ($_size bytes, $_mode)"
	# The generation the device is pinned to, for the booted system.
	if [ -n "$_pin" ]; then
		echo "$_pin" >"$PXRUN/nbd.pinned"
		log "root: $ROOT_DEVICE is generation $_pin; reconnects attach only that"
	fi
	# A server that names no generation: reconnects are checked by size only.
	if [ -s "$PXRUN/nbd.err" ]; then
		log_err "warning: $(helper_msg "$PXRUN/nbd.err")"
	fi
	verity_map "$ROOT_DEVICE" || return $?
	mount_fs "$ROOT_DEVICE" || return $?
	log "root: mounted $ROOT_DEVICE ($ROOT_FSTYPE)"
	return 0
}

# fetch URL FILE [HELPER-OPTIONS]: http:// with the helper (stall timeout,
# checksums computed on the way), https:// and ftp:// with BusyBox wget,
# tftp:// with BusyBox tftp. Exit 3 from the helper: checksum mismatch.
fetch() {
	rm -f "$2"
	case $1 in
	http://*)
		_u=$1
		_f=$2
		shift 2
		"$HELPER" fetch -t 30 "$@" "$_u" "$_f" >"$PXRUN/fetch.out" 2>"$PXRUN/fetch.err"
		return $?
		;;
	tftp://*)
		_hp=${1#tftp://}
		_file=${_hp#*/}
		_hp=${_hp%%/*}
		_host=${_hp%:*}
		_port=
		[ "$_host" != "$_hp" ] && _port=${_hp##*:}
		tftp -g -b 1428 -r "$_file" -l "$2" "$_host" $_port 2>"$PXRUN/fetch.err"
		;;
	*)
		# BusyBox wget: no stall timeout (its -T crashes), no certificate check;
		# the checksum is what makes the image trustworthy.
		wget -q -O "$2" "$1" 2>"$PXRUN/fetch.err"
		;;
	esac
	_rc=$?
	[ "$_rc" = 0 ] && [ -f "$2" ] && return 0
	rm -f "$2"
	return 1
}

# The expected checksum: the command line's, else a checksum file next to the
# image (URL.sha256, URL.sha256sum, URL.md5, or SystemRescueCd's NAME.md5
# next to NAME.dat). Sets _want_sha256, _want_md5 and _want_from.
find_checksum() {
	_want_sha256=$PX_SHA256
	_want_md5=$PX_MD5
	_want_from="the command line"
	[ -n "$_want_sha256$_want_md5" ] && return 0
	_name=${PX_URL##*/}
	_dir=${PX_URL%/*}
	for _u in $PX_CHECKSUM_URL "$PX_URL.sha256" "$PX_URL.sha256sum" "$PX_URL.md5" "$_dir/${_name%.*}.md5"; do
		fetch "$_u" /tmp/checksum || continue
		# "HASH", or "HASH  NAME" lines: the line for our file, else the first.
		_line=$(grep -E "[ *]$_name\$" /tmp/checksum | head -n 1)
		[ -n "$_line" ] || _line=$(head -n 1 /tmp/checksum)
		_sum=$(echo "$_line" | cut -d ' ' -f 1 | tr 'A-F' 'a-f')
		case ${#_sum} in
		64) _want_sha256=$_sum ;;
		32) _want_md5=$_sum ;;
		*) continue ;;
		esac
		_want_from=$_u
		return 0
	done
	return 1
}

# Check a downloaded file with sha256sum/md5sum (for what the helper did not).
verify_file() {
	for _alg in sha256 md5; do
		eval "_want=\$_want_$_alg"
		[ -n "$_want" ] || continue
		_got=$(${_alg}sum "$1" | cut -d ' ' -f 1)
		if [ "$_got" != "$_want" ]; then
			ERR="checksum mismatch for $PX_URL: $_alg $_got, expected $_want (from $_want_from); image refused"
			return 2
		fi
	done
	return 0
}

url_try() {
	fetch "$PX_URL" "$_img" ${_want_sha256:+--sha256 "$_want_sha256"} \
		${_want_md5:+--md5 "$_want_md5"}
	_rc=$?
	[ "$_rc" = 0 ] && return 0
	_why=$(helper_msg "$PXRUN/fetch.err" | sed 's/^wget: //; s/^tftp: //')
	_why=${_why#"$PX_URL: "}
	if [ "$_rc" = 3 ]; then
		ERR="$_why (from $_want_from); image refused"
		return 2
	fi
	ERR="cannot download $PX_URL: ${_why:-download failed}"
	return 1
}

root_url() {
	_imgdir=$PXRUN/image
	_verified=
	# The checksum comes first: an image that cannot be checked is not downloaded.
	if find_checksum; then
		_verified=yes
	elif [ -n "$PX_VERITY" ]; then
		log "root: no checksum for $PX_URL; dm-verity checks each block against the root hash"
	elif [ "$PX_VERIFY" = 1 ]; then
		ERR="no checksum for $PX_URL (give rd.pxeroot.sha256=, or put ${PX_URL##*/}.sha256 next to it; rd.pxeroot.verify=0 boots it unverified)"
		return 2
	else
		log_err "warning: $PX_URL has no checksum; using it unverified (rd.pxeroot.verify=0)"
	fi
	if ! grep -q " $_imgdir " /proc/mounts; then
		mkdir -p "$_imgdir"
		mount -t tmpfs -o size=90%,mode=0700 pxeroot-image "$_imgdir"
	fi
	_img=$_imgdir/${PX_URL##*/}
	_t0=$(now)
	retry url_try || return $?
	case $PX_URL in
	http://*) ;;
	*) verify_file "$_img" || { rm -f "$_img"; return 2; } ;;
	esac
	log "root: downloaded $PX_URL ($(wc -c <"$_img") bytes) in $(awk "BEGIN{printf \"%.2f\", $(now) - $_t0}") s"
	[ -n "$_verified" ] && log "root: ${_want_sha256:+sha256}${_want_md5:+${_want_sha256:+ and }md5} of ${PX_URL##*/} match $_want_from"
	ROOT_DEVICE=$_img
	verity_map "$_img" || return $?
	mount_fs "$ROOT_DEVICE" || return $?
	log "root: mounted ${PX_URL##*/} ($ROOT_FSTYPE) from RAM"
	return 0
}

mount_lower() {
	if grep -q " $LOWER " /proc/mounts; then
		return 0 # mounted by hand in an emergency shell
	fi
	if [ "$PX_ROOT" = dhcp ]; then
		root_from_dhcp || return $?
	fi
	case $PX_ROOT in
	nfs | nbd) default_server || return $? ;;
	esac
	case $PX_ROOT in
	nfs) root_nfs ;;
	nbd) root_nbd ;;
	url) root_url ;;
	*)
		ERR="unknown root type '$PX_ROOT'"
		return 2
		;;
	esac
}
