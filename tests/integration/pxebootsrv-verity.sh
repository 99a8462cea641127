#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxebootsrv writes an image's dm-verity parameters into its menu entries by
# itself: a generation published as NAME.sqfs -> NAME-ID.sqfs with its
# NAME-ID.sqfs.verity beside it (as bootchroot --image --verity leaves them,
# here made by the real pxeroot-verity), over NBD and over HTTP, in every menu
# (pxelinux, GRUB, iPXE) and the command lines file; publishing another
# generation changes them on the next render; an entry's own
# rd.pxeroot.verity= wins; a .verity file that is not the two parameters is one
# error naming it; an image without one gets none.
. "$(dirname "$0")/../lib.sh"

requires pxebootsrv pxeroot-verity pxeroot-cmdline mksquashfs veritysetup

img=$T/images
mkdir -p "$img" "$T/tree-a" "$T/tree-b" "$T/boot"
echo a >"$T/tree-a/file"
echo b >"$T/tree-b/file"
for g in a b; do
	mksquashfs "$T/tree-$g" "$T/$g.sqfs" -noappend -quiet >/dev/null || fail "mksquashfs"
	pxeroot-verity "$T/$g.sqfs" "$img/debian-$g$g$g.sqfs" >"$img/debian-$g$g$g.sqfs.verity" ||
		fail "pxeroot-verity"
done
ln -s debian-aaa.sqfs "$img/debian.sqfs"
: >"$T/vmlinuz"
: >"$T/initrd.img"

# entry NAME ROOT [LINE]: a pxeroot entry on the published image.
entry() {
	printf '[entry %s]\nkind = pxeroot\nkernel = %s\ninitrd = %s\nimage = %s\nroot = %s\n' \
		"$1" "$T/vmlinuz" "$T/initrd.img" "$img/debian.sqfs" "$2"
	[ -z "${3:-}" ] || echo "$3"
}

# conf UEFI-PATH: the server with an NBD, an HTTP and an entry with its own hash.
conf() {
	printf '[server]\naddress = 192.0.2.10\nboot-dir = %s\n[dhcp]\nmode = proxy\n' "$T/boot"
	printf '[menu]\ndefault = nbd\nuefi = %s\n' "$1"
	entry nbd nbd
	entry ram http
	entry own nbd "append = rd.pxeroot.verity=$(printf '%064d' 0) rd.pxeroot.verity.hashoffset=4096"
}
conf grub >"$T/grub.conf"
pxebootsrv -c "$T/grub.conf" render "$T/out-grub" || fail "render (GRUB)"
conf ipxe >"$T/pxebootsrv.conf"
pxebootsrv -c "$T/pxebootsrv.conf" render "$T/out" || fail "render"
want_a=$(cat "$img/debian-aaa.sqfs.verity")
want_b=$(cat "$img/debian-bbb.sqfs.verity")
for f in pxelinux.cfg/default boot.ipxe grub.cfg; do
	p=$(find "$T/out" "$T/out-grub" -path "*/$f" | head -1)
	[ -n "$p" ] || fail "no $f rendered: $(cd "$T/out-grub" && find . -type f)"
	n=$(grep -c -F "$want_a" "$p" || true)
	[ "$n" -ge 2 ] || fail "$f: the NBD and HTTP entries do not both carry the parameters ($n)"
	ok "$f: the NBD and HTTP entries carry the current generation's root hash"
done
while read -r name line; do
	# shellcheck disable=SC2086
	pxeroot-cmdline $line >/dev/null 2>"$T/err" || fail "$name: pxeroot-cmdline refuses: $(cat "$T/err")"
done <"$T/out/cmdlines"
grep -q "^nbd .*$want_a" "$T/out/cmdlines" || fail "the cmdlines file lacks the parameters"
ok "every command line, verity parameters included, passes pxeroot-cmdline"
grep -rq "rd.pxeroot.verity=$(printf '%064d' 0) rd.pxeroot.verity.hashoffset=4096" "$T/out" ||
	fail "the entry's own parameters are gone"
! grep -rh "$(printf '%064d' 0)" "$T/out" | grep -q -F "$want_a" || fail "an entry with its own parameters got the published ones too"
ok "an entry's own rd.pxeroot.verity= wins"

# Another generation published: the next render names its hash, not the old one.
ln -sfn debian-bbb.sqfs "$img/debian.sqfs"
pxebootsrv -c "$T/pxebootsrv.conf" render "$T/out" || fail "render after publishing"
grep -rq -F "$want_b" "$T/out" || fail "the new generation's hash is not in the menus"
! grep -rq -F "$want_a" "$T/out" || fail "the old generation's hash is still in the menus"
ok "another generation published: the next render names its root hash"

# A broken .verity file: one line naming it, nothing rendered over the old output.
echo "rd.pxeroot.verity=xyz" >"$img/debian-bbb.sqfs.verity"
cp -a "$T/out" "$T/out.before"
if pxebootsrv -c "$T/pxebootsrv.conf" render "$T/out" 2>"$T/err"; then
	fail "a malformed .verity file was accepted"
fi
grep -q "debian-bbb.sqfs.verity: not the two parameters pxeroot-verity prints" "$T/err" ||
	fail "unclear error: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" = 1 ] || fail "more than one line: $(cat "$T/err")"
diff -r "$T/out" "$T/out.before" >/dev/null || fail "a failed render changed the output"
ok "a malformed .verity file: one line naming it, the old output kept"

# No .verity file: no parameters.
rm "$img/debian-bbb.sqfs.verity"
pxebootsrv -c "$T/pxebootsrv.conf" render "$T/out" || fail "render without .verity"
[ "$(grep -rc 'rd.pxeroot.verity=' "$T/out" | awk -F: '{s += $2} END {print s}')" -le "$(grep -rc "$(printf '%064d' 0)" "$T/out" | awk -F: '{s += $2} END {print s}')" ] ||
	fail "parameters without a .verity file"
ok "an image without a .verity file gets no parameters"
