_bootchroot_hook()
{
	case $1 in
	-p | --profile)
		local f names=()
		for f in "${PXEROOT_DATADIR:-@DATADIR@}"/profiles/*.conf; do
			[[ -e $f ]] && f=${f##*/} && names+=("${f%.conf}")
		done
		_pxeroot_words "${names[@]}"
		;;
	-C | --compression) _pxeroot_words zstd gzip xz lz4 lzo lzma ;;
	--) # the command run inside SYSROOT, then its arguments
		if [[ $2 == 1 ]]; then
			COMPREPLY+=($(compgen -c -- "$cur" | sort -u))
		else
			_pxeroot_files
		fi
		;;
	"") [[ $2 != 1 ]] || _pxeroot_files -d ;; # SYSROOT
	*) return 1 ;;
	esac
}
_bootchroot() { _pxeroot_complete "$1" _bootchroot_hook; }
complete -F _bootchroot bootchroot
