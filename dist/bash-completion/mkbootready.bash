_mkbootready_hook()
{
	case $1 in
	-p | --profile)
		local f names=()
		for f in "${PXEROOT_DATADIR:-@DATADIR@}"/profiles/*.conf; do
			[[ -e $f ]] && f=${f##*/} && names+=("${f%.conf}")
		done
		_pxeroot_words "${names[@]}"
		;;
	"") _pxeroot_files -d ;; # SYSROOT
	*) return 1 ;;
	esac
}
_mkbootready() { _pxeroot_complete "$1" _mkbootready_hook; }
complete -F _mkbootready mkbootready
