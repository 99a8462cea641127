_mkbootimage_hook()
{
	case $1 in
	-c | --compress) _pxeroot_words zstd gzip xz lz4 none ;;
	-d | --drivers) _pxeroot_words generic host usb none ;;
	-b | --busybox) _pxeroot_files ;;
	-s | --skeleton) _pxeroot_files -d ;;
	"")
		if [[ $2 == 1 ]]; then
			_pxeroot_files -d # SYSROOT
		elif [[ $2 == 2 ]]; then
			# KVER: the kernels installed in SYSROOT.
			local k kvers=()
			for k in "${operands[0]}"/lib/modules/*/; do
				[[ -d $k ]] && k=${k%/} && kvers+=("${k##*/}")
			done
			_pxeroot_words "${kvers[@]}"
		fi
		;;
	*) return 1 ;;
	esac
}
_mkbootimage() { _pxeroot_complete "$1" _mkbootimage_hook; }
complete -F _mkbootimage mkbootimage
