# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for pxeroot's programs. The options come from the program's
# own --help, so a new option completes without editing this file; what an
# option's argument completes to follows the argument's name in --help (FILE,
# DIR, USER, ...) unless the program's function says otherwise.

# _pxeroot_help PROG: one line per option of PROG --help: "OPTION ARGNAME",
# ARGNAME empty for an option without argument. Short and long names of one
# option each get a line.
_pxeroot_help()
{
	local line tok opts arg
	while IFS= read -r line; do
		[[ $line =~ ^\ {1,8}- ]] || continue
		opts=() arg=
		for tok in $line; do
			tok=${tok%,}
			if [[ $tok == -* ]]; then
				opts+=("${tok%%=*}")
			elif [[ -z $arg && $tok =~ ^[A-Z][][A-Za-z0-9_.:=-]*$ ]]; then
				arg=$tok
			else
				break
			fi
		done
		for tok in "${opts[@]}"; do
			printf '%s %s\n' "$tok" "$arg"
		done
	done < <(LC_ALL=C "$1" --help 2>/dev/null)
}

# _pxeroot_files [-d] [PATTERN-GLOB]: file (or, with -d, directory) names
# for the word being completed.
_pxeroot_files()
{
	local IFS=$'\n'
	compopt -o filenames 2>/dev/null
	if [[ ${1:-} == -d ]]; then
		COMPREPLY+=($(compgen -d -- "$cur"))
	else
		COMPREPLY+=($(compgen -f -- "$cur"))
	fi
}

_pxeroot_words()
{
	COMPREPLY+=($(compgen -W "$*" -- "$cur"))
}

# _pxeroot_arg ARGNAME: complete an option's argument by its name in --help.
_pxeroot_arg()
{
	case $1 in
	DIR | NEW | SYSROOT) _pxeroot_files -d ;;
	FILE* | OUT* | PATH | CONFIG) _pxeroot_files ;;
	USER) COMPREPLY+=($(compgen -u -- "$cur")) ;;
	CMD) COMPREPLY+=($(compgen -c -- "$cur")) ;;
	*) ;; # numbers, addresses, free text: nothing to offer
	esac
}

# _pxeroot_complete PROG HOOK: the shared part. HOOK OPTION ARGNAME completes
# an option's argument its own way (returns 0 when it did); HOOK "" N
# completes the Nth operand (from 1), HOOK -- N the Nth word after "--". The
# operands before the word being completed are in the array "operands".
_pxeroot_complete()
{
	local prog=$1 hook=$2 cur prev i w arg dashdash=0
	local -a operands=()
	local -A takes=()

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	while read -r w arg; do
		takes[$w]=${arg:--}
	done < <(_pxeroot_help "$prog")

	# --opt=value arrives as three words: --opt, =, value.
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = && COMP_CWORD -ge 2 ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	if [[ -n ${takes[$prev]:-} && ${takes[$prev]} != - ]]; then
		"$hook" "$prev" "${takes[$prev]}" || _pxeroot_arg "${takes[$prev]}"
		return 0
	fi

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((dashdash)); then
			dashdash=$((dashdash + 1))
		elif [[ $w == -- ]]; then
			dashdash=1
		elif [[ $w == -* ]]; then
			[[ -n ${takes[$w]:-} && ${takes[$w]} != - ]] && i=$((i + 1))
		elif [[ $w != = ]]; then
			operands+=("$w")
		fi
	done
	if ((dashdash)); then
		"$hook" -- "$dashdash" || _pxeroot_files
		return 0
	fi
	if [[ $cur == -* ]]; then
		_pxeroot_words "${!takes[@]}"
		return 0
	fi
	"$hook" "" "$((${#operands[@]} + 1))"
	return 0
}
