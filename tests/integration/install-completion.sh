#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bash completion of every program, as bash-completion loads it: each
# file is sourced in a fresh bash and its function called with COMP_WORDS
# set, as bash does at a TAB. Every long option of --help completes; file,
# directory, profile, kernel version and command operands complete to what
# exists.
. "$(dirname "$0")/../lib.sh"
requires bash

progs=(mkbootready mkbootimage bootchroot pxeroot-cmdline pxeroot-verity nbdexport pxebootsrv)

# complete PROG WORD...: the candidates for the last WORD, one a line, sorted.
complete_words() {
	local prog=$1
	shift
	PXEROOT_DATADIR=$BUILD/share bash -c '
		set -u
		. "$1"
		prog=$2
		shift 2
		COMP_WORDS=("$prog" "$@")
		COMP_CWORD=$(($# ))
		fn=$(complete -p "$prog" | sed -n "s/.*-F \([^ ]*\).*/\1/p")
		"$fn" "$prog" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort
	' complete "$BUILD/completions/$prog" "$prog" "$@"
}

for p in "${progs[@]}"; do
	[ -f "$BUILD/completions/$p" ] || fail "no completion file for $p"
	bash -n "$BUILD/completions/$p" || fail "$p: the completion file does not parse"
	want=$("$p" --help | grep -oE -- '--[a-z][a-z0-9-]+' | LC_ALL=C sort -u)
	got=$(complete_words "$p" -- | grep -- '^--' || true)
	missing=$(comm -23 <(echo "$want") <(echo "$got"))
	[ -z "$missing" ] || fail "$p: these options of --help do not complete: $missing"
	ok "$p: all $(echo "$want" | wc -l) long options of --help complete"
done

# Option arguments by kind, operands by position.
mkdir -p "$T/root/lib/modules/6.1.0-9-amd64" "$T/root/lib/modules/6.1.0-10-amd64" "$T/dir"
touch "$T/image.sqfs" "$T/nbd.conf"
cd "$T"
assert_eq "$(printf '%s\n' image.sqfs)" "$(complete_words nbdexport ima)" "nbdexport IMAGE completes files"
assert_eq nbd.conf "$(complete_words nbdexport -c nb)" "nbdexport -c completes files"
assert_eq "$(printf 'off\non\n')" "$(complete_words nbdexport --tls o)" "nbdexport --tls completes its modes"
assert_eq require "$(complete_words nbdexport --tls = r)" "nbdexport --tls=r completes"
assert_eq "$(printf 'check\ninstall\nrender\nrun\n')" "$(complete_words pxebootsrv '')" \
	"pxebootsrv completes its commands from --help"
assert_eq "$(printf 'render\nrun\n')" "$(complete_words pxebootsrv -v r)" \
	"pxebootsrv skips options before the command"
assert_eq dir "$(complete_words pxebootsrv render di)" "pxebootsrv render completes directories"
assert_eq "" "$(complete_words pxebootsrv check '')" "pxebootsrv check takes no operand"
assert_eq "$(printf '6.1.0-10-amd64\n6.1.0-9-amd64\n')" "$(complete_words mkbootimage -q root '')" \
	"mkbootimage KVER completes the kernels of SYSROOT"
assert_eq "$(printf 'gzip\n')" "$(complete_words mkbootimage -c g)" "mkbootimage -c completes algorithms"
assert_eq "dir" "$(complete_words mkbootready d)" "mkbootready SYSROOT completes directories only"
profiles=$(cd "$SRC/data/profiles" && ls *.conf | sed 's/\.conf$//' | LC_ALL=C sort)
assert_eq "$profiles" "$(complete_words mkbootready -p '')" "mkbootready -p completes the profiles"
assert_eq "$profiles" "$(complete_words bootchroot --profile '')" "bootchroot --profile completes the profiles"
assert_eq bash "$(complete_words bootchroot root -- bas | grep -x bash)" \
	"bootchroot completes a command after --"
assert_eq image.sqfs "$(complete_words bootchroot --image ima)" "bootchroot --image completes files"
