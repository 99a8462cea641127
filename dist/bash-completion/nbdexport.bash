_nbdexport_hook()
{
	case $1 in
	--tls) _pxeroot_words off on require ;;
	"") _pxeroot_files ;; # IMAGE
	*) return 1 ;;
	esac
}
_nbdexport() { _pxeroot_complete "$1" _nbdexport_hook; }
complete -F _nbdexport nbdexport
