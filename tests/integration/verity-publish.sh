#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Publishing images with their dm-verity hash tree: pxeroot-verity writes a
# copy of an existing image with the tree appended (veritysetup's format, the
# same output for the same image) and prints the kernel parameters;
# veritysetup verifies it against that root hash and fails once a byte
# changes; nbdexport serves image and tree as one export; bootchroot --image
# --verity does the same for each generation and --prune removes its
# parameters file with it.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires_root
requires pxeroot-verity veritysetup mksquashfs nbdexport nbdcopy busybox

mkdir -p "$T/t" && head -c 300K /dev/urandom >"$T/t/f"
mksquashfs "$T/t" "$T/img.sqfs" -quiet -noappend >/dev/null
before=$(sha256sum <"$T/img.sqfs")
line=$(pxeroot-verity "$T/img.sqfs" "$T/out.sqfs")
[[ $line =~ ^rd\.pxeroot\.verity=([0-9a-f]{64})\ rd\.pxeroot\.verity\.hashoffset=([0-9]+)$ ]] ||
	fail "pxeroot-verity printed '$line'"
root=${BASH_REMATCH[1]} off=${BASH_REMATCH[2]}
size=$(stat -c %s "$T/img.sqfs")
[ "$off" = $(((size + 4095) / 4096 * 4096)) ] || fail "hash offset $off for a $size-byte image"
[ "$(sha256sum <"$T/img.sqfs")" = "$before" ] || fail "pxeroot-verity changed IMAGE"
cmp -n "$size" "$T/img.sqfs" "$T/out.sqfs" || fail "OUT does not begin with IMAGE"
ok "pxeroot-verity: the tree at byte $off, after the image, which is left as it was"
veritysetup verify --hash-offset="$off" "$T/out.sqfs" "$T/out.sqfs" "$root" ||
	fail "veritysetup does not verify OUT against the printed root hash"
ok "veritysetup verifies OUT against the printed root hash"
pxeroot-verity "$T/img.sqfs" "$T/again.sqfs" >/dev/null
cmp "$T/out.sqfs" "$T/again.sqfs" || fail "the same image gave another tree"
ok "the same image gives the same tree and root hash"
cp "$T/out.sqfs" "$T/bad.sqfs"
printf '\xff' | dd of="$T/bad.sqfs" bs=1 seek=5000 conv=notrunc status=none
if veritysetup verify --hash-offset="$off" "$T/bad.sqfs" "$T/bad.sqfs" "$root" 2>/dev/null; then
	fail "a changed byte still verifies"
fi
ok "one changed byte fails verification"

# Bad input: one line, exit 1, no OUT and no leftover.
rc=0
pxeroot-verity "$T/missing.sqfs" "$T/none.sqfs" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "a missing IMAGE exits $rc"
[ "$(wc -l <"$T/err")" = 1 ] && grep -q "cannot open $T/missing.sqfs: No such file" "$T/err" ||
	fail "missing IMAGE: $(cat "$T/err")"
[ ! -e "$T/none.sqfs" ] && [ -z "$(ls -A "$T" | grep verity-new)" ] || fail "leftovers after a failure"
rc=0
pxeroot-verity "$T/img.sqfs" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "a missing OUT exits $rc, not 2"
ok "bad input: one line, exit 1 (2 for usage), nothing left behind"

# nbdexport serves the image and its tree as one export.
port=$(free_port)
start_server -P "$T/pid" -w "$port" nbdexport -f -q -l 127.0.0.1 -p "$port" --pidfile "$T/pid" \
	"$T/out.sqfs=root"
nbdcopy "nbd://127.0.0.1:$port/root" "$T/copy"
cmp "$T/copy" "$T/out.sqfs" || fail "the export differs from OUT"
veritysetup verify --hash-offset="$off" "$T/copy" "$T/copy" "$root" || fail "the served copy does not verify"
ok "nbdexport serves the image with its tree; what a client reads verifies"

# bootchroot --image --verity.
tree=$T/tree
fixture debian "$tree"
busybox_tree "$tree"
mkdir -p "$tree/root"
mkbootready -q --idmap-domain example.org "$tree"
out=$T/pub/client.sqfs
mkdir -p "$T/pub"
for i in 1 2; do
	bootchroot -q --idmap-domain example.org --image "$out" --verity "$tree" -- \
		/bin/sh -c "echo $i >/root/gen"
done
gen=$(readlink "$out")
[ -f "$T/pub/$gen.verity" ] || fail "no $gen.verity: $(ls "$T/pub")"
read -r p1 p2 <"$T/pub/$gen.verity"
root=${p1#rd.pxeroot.verity=} off=${p2#rd.pxeroot.verity.hashoffset=}
veritysetup verify --hash-offset="$off" "$T/pub/$gen" "$T/pub/$gen" "$root" ||
	fail "the generation does not verify against $gen.verity"
ok "bootchroot --verity: $gen carries its tree, $gen.verity its parameters"
n=$(ls "$T/pub"/*.verity | wc -l)
[ "$n" = 2 ] || fail "$n .verity files for two generations"
bootchroot -q --image "$out" --prune --force
[ "$(ls "$T/pub"/*.verity)" = "$T/pub/$gen.verity" ] || fail "--prune left: $(ls "$T/pub")"
ok "--prune removes the pruned generation's .verity"
rc=0
bootchroot -q --verity "$tree" -- /bin/true 2>"$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q -- "--verity goes with --image" "$T/err" || fail "--verity without --image: $rc $(cat "$T/err")"
ok "--verity without --image is a usage error"
