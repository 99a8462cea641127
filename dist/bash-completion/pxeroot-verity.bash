_pxeroot_verity_hook()
{
	case $1 in
	"") _pxeroot_files ;; # IMAGE OUT
	*) return 1 ;;
	esac
}
_pxeroot_verity() { _pxeroot_complete "$1" _pxeroot_verity_hook; }
complete -F _pxeroot_verity pxeroot-verity
