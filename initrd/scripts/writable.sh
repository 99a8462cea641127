# SPDX-License-Identifier: GPL-2.0-or-later
#
# The writable layer over the read-only root, assembled at /newroot, and the
# hand-over to the real init.
#
#   overlay  overlayfs: lower = the root, upper = a tmpfs (rd.pxeroot.overlay.size)
#   tmpfs    the diskless HOWTO's way, for kernels without overlayfs: a tmpfs
#            root with a link to the read-only root for every top-level
#            directory, copies of /etc, /var and /root, a fresh /tmp
#   none     the root stays read-only (a prepared tree brings its own tmpfs)

NEWROOT=/newroot
RW=$PXRUN/rw
WRITABLE=

overlay_root() {
	modprobe -q overlay 2>/dev/null
	mkdir -p "$RW"
	grep -q " $RW " /proc/mounts ||
		mount -t tmpfs -o "size=$PX_OVERLAY_SIZE,mode=0755" pxeroot-rw "$RW" || {
		ERR="cannot mount a tmpfs of size $PX_OVERLAY_SIZE for the writable layer"
		return 2
	}
	mkdir -p "$RW/upper" "$RW/work"
	if ! mount -t overlay -o "lowerdir=$LOWER,upperdir=$RW/upper,workdir=$RW/work" \
		pxeroot "$NEWROOT" 2>"$PXRUN/overlay.err"; then
		ERR=$(sed 's/^mount: //' "$PXRUN/overlay.err" | tr '\n' ' ')
		return 1
	fi
	WRITABLE=overlay
	return 0
}

links_root() {
	if ! mount -t tmpfs -o "size=$PX_OVERLAY_SIZE,mode=0755" pxeroot-root "$NEWROOT"; then
		ERR="cannot mount a tmpfs of size $PX_OVERLAY_SIZE as the root"
		return 2
	fi
	for _e in "$LOWER"/* "$LOWER"/.[!.]*; do
		[ -e "$_e" ] || [ -L "$_e" ] || continue
		_n=${_e##*/}
		if [ -L "$_e" ]; then
			# /bin -> usr/bin and the like: the same link, relative to the new root.
			cp -a "$_e" "$NEWROOT/$_n"
			continue
		fi
		case $_n in
		etc | var | root)
			cp -a "$_e" "$NEWROOT/" || {
				ERR="cannot copy /$_n into the tmpfs root (rd.pxeroot.overlay.size too small?)"
				return 2
			}
			;;
		tmp) mkdir -m 1777 "$NEWROOT/tmp" ;;
		dev | proc | sys | run) mkdir -p "$NEWROOT/$_n" ;;
		*) ln -s "$LOWER/$_n" "$NEWROOT/$_n" ;;
		esac
	done
	mkdir -p "$NEWROOT/dev" "$NEWROOT/proc" "$NEWROOT/sys" "$NEWROOT/run"
	[ -d "$NEWROOT/tmp" ] || mkdir -m 1777 "$NEWROOT/tmp"
	WRITABLE=tmpfs
	return 0
}

make_writable() {
	mkdir -p "$NEWROOT"
	if grep -q " $NEWROOT " /proc/mounts; then
		return 0
	fi
	case $PX_OVERLAY in
	overlay)
		overlay_root
		_rc=$?
		if [ "$_rc" = 1 ]; then
			log_err "warning: overlayfs failed ($ERR); using a tmpfs root with links instead"
			links_root
			_rc=$?
		fi
		;;
	tmpfs)
		links_root
		_rc=$?
		;;
	none)
		_rc=0
		WRITABLE=none
		if [ "$PX_ROOT_RW" = 1 ]; then
			# rw: the NFS tree itself, read-write, as the kernel's nfsroot.
			if [ "$PX_ROOT" != nfs ] || [ -n "$PX_IMAGE" ]; then
				ERR="rw: the root ($ROOT_DEVICE) is a read-only image; only an NFS directory can be the root read-write"
				return 2
			fi
			mount --bind "$LOWER" "$NEWROOT" || _rc=2
			WRITABLE=nfs-rw
		elif ! mount --bind "$LOWER" "$NEWROOT" || ! mount -o remount,bind,ro "$NEWROOT"; then
			_rc=2
		fi
		[ "$_rc" = 0 ] || ERR="cannot bind-mount the root on $NEWROOT"
		;;
	esac
	[ "$_rc" = 0 ] || return "$_rc"
	case $WRITABLE in
	none) log "writable: none, the root stays read-only" ;;
	nfs-rw) log "writable: the NFS root itself, read-write (rw)" ;;
	*) log "writable: $WRITABLE (tmpfs size $PX_OVERLAY_SIZE)" ;;
	esac
	return 0
}

prepare_switch() {
	# The tmpfs root's links point into /run, which moves there only at the
	# very end: look for init in the read-only root it links to.
	_check=$NEWROOT
	[ "$WRITABLE" = tmpfs ] && _check=$LOWER
	if ! "$HELPER" check-init "$_check" "$PX_INIT" 2>"$PXRUN/init.err"; then
		ERR=$(helper_msg "$PXRUN/init.err")
		# An unreadable init may be a block dm-verity refused.
		verity_refused
		return 2
	fi
	# What the real system needs to know about its root (doc/initramfs.md).
	write_env "$PXRUN/root.env" \
		TRANSPORT "$PX_ROOT" \
		SERVER "$PX_SERVER" \
		PORT "$PX_PORT" \
		PATH "$PX_PATH" \
		IMAGE "$PX_IMAGE" \
		EXPORT "$PX_EXPORT" \
		URL "$PX_URL" \
		DEVICE "$ROOT_DEVICE" \
		FSTYPE "$ROOT_FSTYPE" \
		VERITY "$PX_VERITY" \
		VERITY_DEVICE "$VERITY_DEVICE" \
		LOWER "$LOWER" \
		UPPER "$([ "$WRITABLE" = overlay ] && echo "$RW/upper")" \
		WRITABLE "$WRITABLE" \
		INIT "$PX_INIT"
	return 0
}

switch_to_root() {
	log "switching to $PX_INIT"
	# /run goes last: it holds the boot log and the mounts under it move along.
	for _d in dev proc sys run; do
		[ -d "$NEWROOT/$_d" ] || mkdir -p "$NEWROOT/$_d" 2>/dev/null
		if [ -d "$NEWROOT/$_d" ] && mount --move "/$_d" "$NEWROOT/$_d"; then
			continue
		fi
		echo "pxeroot: warning: cannot move /$_d into the new root"
	done
	exec switch_root -c /dev/console "$NEWROOT" "$PX_INIT" "$@"
}
