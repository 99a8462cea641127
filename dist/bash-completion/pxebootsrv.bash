_pxebootsrv_hook()
{
	case $1 in
	--root) _pxeroot_files -d ;;
	"")
		if [[ $2 == 1 ]]; then
			# The commands, from the "Commands:" part of --help.
			_pxeroot_words $("$prog" --help 2>/dev/null |
				sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\).*/\1/p')
		elif [[ $2 == 2 && ${operands[0]} == render ]]; then
			_pxeroot_files -d
		fi
		;;
	*) return 1 ;;
	esac
}
_pxebootsrv() { _pxeroot_complete "$1" _pxebootsrv_hook; }
complete -F _pxebootsrv pxebootsrv
