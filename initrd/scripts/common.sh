# SPDX-License-Identifier: GPL-2.0-or-later
#
# Logging, failure handling and small tools shared by /init's stages.
#
# A stage is a function that returns 0 on success, 1 on a failure worth
# another try (the server may come back), 2 on one that will not change by
# itself. It says why in ERR, in one line, without the "pxeroot: " prefix.

PXRUN=/run/pxeroot
BOOT_LOG=$PXRUN/boot.log
HELPER=/sbin/pxeroot-helper
ERR=
# Until the command line is read: the documented defaults.
PX_ON_FAIL=reboot
PX_FAIL_TIMEOUT=60
PX_QUIET=0
PX_RETRY=60

early_mounts() {
	mount -t proc -o nosuid,nodev,noexec proc /proc
	mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
	mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev 2>/dev/null || mdev -s
	mkdir -p /dev/pts /dev/shm
	mount -t tmpfs -o mode=0755,nosuid,nodev run /run
	mkdir -p "$PXRUN"
	: >"$BOOT_LOG"
}

# Seconds since the kernel started, with hundredths.
now() {
	read -r _up _ </proc/uptime
	echo "$_up"
}

# Whole seconds since the kernel started.
now_s() {
	read -r _up _ </proc/uptime
	echo "${_up%.*}"
}

_line() {
	printf '[%8s] pxeroot: %s\n' "$(now)" "$*"
}

# log MESSAGE: the console (unless quiet) and the boot log.
log() {
	_l=$(_line "$*")
	[ "$PX_QUIET" = 1 ] || echo "$_l"
	echo "$_l" >>"$BOOT_LOG"
}

# Errors and warnings reach the console even when quiet.
log_err() {
	_l=$(_line "$*")
	echo "$_l"
	echo "$_l" >>"$BOOT_LOG"
}

# The messages of a helper, without their own "pxeroot: " and joined.
helper_msg() {
	sed 's/^pxeroot: //' "$1" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}

emergency_shell() {
	echo
	echo "pxeroot: $1"
	echo "pxeroot: the boot log is $BOOT_LOG; type 'exit' to go on"
	# cttyhack gives the shell the real terminal behind /dev/console, so that
	# job control and Ctrl-C work.
	setsid cttyhack sh -l || sh -l
}

# What to do when a stage has failed for good: the one line was logged.
on_failure() {
	case $PX_ON_FAIL in
	shell)
		emergency_shell "emergency shell: $1"
		log "trying again"
		return 0
		;;
	poweroff | halt | reboot) ;;
	*) PX_ON_FAIL=reboot ;;
	esac
	log_err "boot failed; $PX_ON_FAIL in $PX_FAIL_TIMEOUT s (rd.shell gives a shell instead)"
	[ "$PX_FAIL_TIMEOUT" -gt 0 ] 2>/dev/null && sleep "$PX_FAIL_TIMEOUT"
	sync
	"$PX_ON_FAIL" -f
	# Should the command fail, the kernel's own request never does.
	echo b >/proc/sysrq-trigger
	sleep 3600
}

# step FUNCTION: run a stage until it succeeds or the failure policy ends the boot.
step() {
	while :; do
		ERR=
		"$1" && return 0
		log_err "error: ${ERR:-$1 failed}"
		echo "$ERR" >"$PXRUN/failed"
		on_failure "$ERR"
	done
}

# retry FUNCTION: call it until it succeeds, fails for good (2), or rd.retry
# seconds have passed; waits 1, 2, 4, then 8 s between tries.
retry() {
	_start=$(now_s)
	_delay=1
	while :; do
		ERR=
		"$1"
		_rc=$?
		[ "$_rc" = 0 ] && return 0
		[ "$_rc" = 2 ] && return 2
		if [ $(($(now_s) - _start + _delay)) -gt "$PX_RETRY" ]; then
			return 1
		fi
		log_err "warning: $ERR; trying again in $_delay s"
		sleep "$_delay"
		_delay=$((_delay * 2))
		[ "$_delay" -gt 8 ] && _delay=8
	done
}

break_point() {
	case " $PX_BREAK " in
	*" $1 "*) emergency_shell "rd.break=$1: a shell before going on" ;;
	esac
}

# load_module NAME: modprobe, and when that fails because a dependency cannot
# load (a soft dependency such as crc32c-intel, folded into modules.dep, gives
# "No such device" on a CPU without SSE4.2), load what can be loaded of the
# dependencies, then the module itself.
load_module() {
	modprobe -q "$1" 2>/dev/null && return 0
	_md=/lib/modules/$(uname -r)
	_line=$(awk -v m="$(echo "$1" | tr - _)" -F: '{
		k = $1; sub(/.*\//, "", k); sub(/\.ko.*/, "", k); gsub(/-/, "_", k)
		if (k == m) { print; exit }
	}' "$_md/modules.dep" 2>/dev/null)
	[ -n "$_line" ] || return 1
	for _pass in 1 2 3; do
		for _d in ${_line#*:}; do
			insmod "$_md/$_d" 2>/dev/null
		done
	done
	insmod "$_md/${_line%%:*}" 2>/dev/null
	grep -q "^$(echo "$1" | tr - _) " /proc/modules
}

# Single-quote a value for a shell (and systemd EnvironmentFile) file.
shquote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# write_env FILE KEY VALUE...: KEY='value' lines, written whole.
write_env() {
	_f=$1
	shift
	: >"$_f.tmp"
	while [ $# -ge 2 ]; do
		printf '%s=%s\n' "$1" "$(shquote "$2")" >>"$_f.tmp"
		shift 2
	done
	mv "$_f.tmp" "$_f"
}

read_cmdline() {
	_out=$("$HELPER" cmdline --shell --defaults /etc/pxeroot/cmdline 2>"$PXRUN/cmdline.err")
	if [ $? != 0 ]; then
		ERR="kernel command line: $(helper_msg "$PXRUN/cmdline.err")"
		# The failure policy still comes from the command line, if it can.
		_fp=$(tr ' ' '\n' </proc/cmdline | grep -E '^(rd\.shell|rd\.emergency|rd\.pxeroot\.fail)')
		# shellcheck disable=SC2086
		eval "$("$HELPER" cmdline --shell $_fp 2>/dev/null | grep -E '^PX_(ON_FAIL|FAIL_TIMEOUT)=')"
		return 2
	fi
	eval "$_out"
	echo "$_out" >"$PXRUN/cmdline.env"
	while read -r _w; do
		log_err "warning: ${_w#pxeroot: }"
	done <"$PXRUN/cmdline.err"
	log "command line: root $PX_ROOT${PX_ROOT_PARAM:+ ($PX_ROOT_PARAM)}, network $PX_IP${PX_IP_PARAM:+ ($PX_IP_PARAM)}, writable $PX_OVERLAY"
	return 0
}
