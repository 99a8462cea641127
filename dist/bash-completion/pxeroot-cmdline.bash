_pxeroot_cmdline_hook()
{
	case $1 in
	"") ;; # PARAMETERs: free text
	*) return 1 ;;
	esac
}
_pxeroot_cmdline() { _pxeroot_complete "$1" _pxeroot_cmdline_hook; }
complete -F _pxeroot_cmdline pxeroot-cmdline
