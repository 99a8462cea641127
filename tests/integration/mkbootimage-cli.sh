#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mkbootimage's command line: --help and the man page agree, and every error
# is one line "mkbootimage: ..." on stderr with the documented exit status
# (2 for usage, 1 for failures), and writes nothing.
. "$(dirname "$0")/../lib.sh"

requires mkbootimage busybox depmod
kernel_fetch

root=$T/root
kernel_tree "$root"
skel=$T/skel
mkdir -p "$skel"
printf '#!/bin/sh\n' >"$skel/init"
chmod 755 "$skel/init"

# --help: stdout, exit 0, and every long option it shows is in the man page.
mkbootimage --help >"$T/help" 2>"$T/err"
[ ! -s "$T/err" ] || fail "--help wrote to stderr"
grep -q '^Usage: mkbootimage \[OPTIONS\] SYSROOT \[KVER\]' "$T/help" || fail "--help has no usage line"
n=0
for opt in $(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u); do
	grep -q -- "$opt\*" "$SRC/doc/mkbootimage.8.scd" || fail "$opt is in --help but not in doc/mkbootimage.8.scd"
	n=$((n + 1))
done
[ "$n" -ge 12 ] || fail "only $n long options in --help"
ok "--help lists $n long options, all in the man page"
# ...and the other way round: every option the man page documents is in --help.
for opt in $(grep -o -- '^\*-[a-zA-Z], --[a-z-]*\|^\*--[a-z-]*' "$SRC/doc/mkbootimage.8.scd" | grep -o -- '--[a-z-]*'); do
	grep -q -- "$opt" "$T/help" || fail "$opt is in the man page but not in --help"
done
ok "every option of the man page is in --help"

mkbootimage --version | grep >/dev/null '^mkbootimage (pxeroot) [0-9]' || fail "--version"
ok "--version"

# expect_error STATUS PATTERN ARGS...: exit STATUS, one "mkbootimage: " line
# matching PATTERN (a usage error adds the "Try" line), nothing written.
expect_error() {
	local want=$1 pattern=$2 rc=0 lines
	shift 2
	rm -f "$T/out.img"
	mkbootimage -o "$T/out.img" "$@" >"$T/stdout" 2>"$T/stderr" || rc=$?
	[ "$rc" = "$want" ] || { cat "$T/stderr"; fail "exit $rc, not $want: $*"; }
	head -1 "$T/stderr" | grep >/dev/null "^mkbootimage: $pattern\$" ||
		{ cat "$T/stderr"; fail "message for '$*' is not 'mkbootimage: $pattern'"; }
	lines=$(wc -l <"$T/stderr")
	if [ "$want" = 2 ]; then
		[ "$lines" -le 2 ] && tail -1 "$T/stderr" | grep >/dev/null "^Try 'mkbootimage --help' for more information.$" ||
			fail "usage error without the Try line: $*"
	else
		[ "$lines" = 1 ] || { cat "$T/stderr"; fail "more than one line for: $*"; }
	fi
	[ ! -e "$T/out.img" ] || fail "an image was written for: $*"
	[ ! -s "$T/stdout" ] || fail "stdout is not empty for: $*"
	ok "exit $want: $(head -1 "$T/stderr")"
}

expect_error 2 "missing SYSROOT"
expect_error 2 "unexpected argument 'c'" a b c
expect_error 2 "unrecognized option '--frobnicate'" --frobnicate "$root"
expect_error 2 "unknown compression 'bzip2' (gzip, zstd, xz, lz4 or none)" -c bzip2 "$root"
expect_error 2 "invalid level '42' for zstd" -c zstd:42 "$root"
expect_error 2 "invalid level '3' for none" -c none:3 "$root"
expect_error 1 "cannot open $T/nonexistent: No such file or directory" -s "$skel" "$T/nonexistent"
mkdir -p "$T/empty"
expect_error 1 "no kernel modules in $T/empty/lib/modules" -s "$skel" "$T/empty"
expect_error 1 "no modules for kernel 9.9.9-nope in $root/lib/modules" -s "$skel" "$root" 9.9.9-nope
expect_error 1 "unknown driver 'nosuchnic' for kernel $KVER" -s "$skel" -d e1000,nosuchnic "$root"
expect_error 1 "unknown module 'nosuchmod' for kernel $KVER" -s "$skel" -d none -m nosuchmod "$root"
expect_error 1 "/usr/bin/ls is dynamically linked: the initramfs needs a static BusyBox (Debian: busybox-static)" \
	-s "$skel" -d none -b /usr/bin/ls "$root"
expect_error 1 "$skel/init is not an ELF program" -s "$skel" -d none -b "$skel/init" "$root"
expect_error 1 "cannot open $T/nobusybox: No such file or directory" -s "$skel" -d none -b "$T/nobusybox" "$root"
expect_error 1 "cannot open skeleton $T/noskel: No such file or directory" -s "$T/noskel" "$root"
expect_error 1 "cannot add /usr/bin/nosuchprog from $root: No such file or directory" \
	-s "$skel" -d none -a /usr/bin/nosuchprog "$root"
mkdir -p "$T/outdir.img"
rc=0
mkbootimage -q -s "$skel" -d none -o "$T/outdir.img" "$root" 2>"$T/stderr" || rc=$?
[ "$rc" = 1 ] && grep -q "^mkbootimage: cannot write $T/outdir.img: Is a directory$" "$T/stderr" ||
	fail "output onto a directory: exit $rc, $(cat "$T/stderr")"
ok "exit 1: an output that is a directory"

# The happy path, quietly: no output at all with -q, an image written.
mkbootimage -q -s "$skel" -d none -o "$T/ok.img" "$root" >"$T/stdout" 2>"$T/stderr"
[ ! -s "$T/stdout" ] && [ ! -s "$T/stderr" ] || fail "-q is not quiet"
[ -s "$T/ok.img" ] || fail "no image written"
ok "-q builds silently"
mkbootimage -s "$skel" -d none -o "$T/ok2.img" "$root" 2>"$T/stderr"
grep -q "^mkbootimage: wrote $T/ok2.img: .* MiB zstd, [0-9]* modules" "$T/stderr" || fail "no summary line"
ok "the summary line names the file, size and modules"

# --dry-run and --list write nothing; --list shows what a build packs.
mkbootimage -n -s "$skel" -d none -o "$T/dry.img" "$root" 2>"$T/stderr"
[ ! -e "$T/dry.img" ] || fail "--dry-run wrote an image"
grep -q "would write $T/dry.img" "$T/stderr" || fail "--dry-run says nothing"
ok "--dry-run writes nothing"
mkbootimage -l -s "$skel" -d e1000 -o "$T/list.img" "$root" >"$T/list"
[ ! -e "$T/list.img" ] || fail "--list wrote an image"
zstd -dc "$T/ok2.img" >/dev/null || fail "not zstd"
for p in /init /bin/busybox /bin/sh /dev/console /etc/pxeroot/cmdline \
	"/lib/modules/$KVER/modules.dep" "/lib/modules/$KVER/kernel/drivers/net/ethernet/intel/e1000/e1000.ko" \
	"/lib/modules/$KVER/kernel/drivers/block/nbd.ko"; do
	grep -q " $p\( \|$\)" "$T/list" || fail "--list misses $p"
done
grep -q '^crw------- *5, *1 /dev/console$' "$T/list" || fail "/dev/console is not c 5 1"
grep -q '^lrwxrwxrwx .* /bin/sh -> busybox$' "$T/list" || fail "/bin/sh is not a link to busybox"
# The listing is the archive's content, path for path.
mkbootimage -q -s "$skel" -d e1000 -c none -o "$T/e1000.img" "$root"
(cd "$T" && cpio -it --quiet <e1000.img) | sed 's|^|/|' >"$T/cpio-names"
sed 's/ -> .*//; s/.* //' "$T/list" >"$T/list-names"
diff -u "$T/cpio-names" "$T/list-names" || fail "--list and the archive differ"
ok "--list shows exactly what the archive holds ($(wc -l <"$T/list") entries)"

# /etc/pxeroot/build is a list of shell assignments: sh can source it.
(cd "$T" && cpio -i --quiet --to-stdout etc/pxeroot/build <e1000.img) >"$T/build"
got=$(sh -euc '. "$1"; echo "$KVER|$BUILDER|$VERSION|$DRIVERS|$COMPRESS"' sh "$T/build") ||
	fail "/etc/pxeroot/build cannot be sourced: $(cat "$T/build")"
assert_eq "$KVER|mkbootimage|$(mkbootimage --version | grep -o '[0-9][0-9.]*' | head -1)|e1000|none" "$got" \
	"/etc/pxeroot/build sources in sh: KVER, BUILDER, VERSION, DRIVERS, COMPRESS"
[ "$(grep -vc '^[A-Z_]*=' "$T/build")" = 0 ] || fail "/etc/pxeroot/build has a line that is not NAME=VALUE"
