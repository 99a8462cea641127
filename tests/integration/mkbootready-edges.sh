#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Trees that are odd but real: links into directories the tree leaves empty
# (dangling until a client boots), no /var at all, subdirectories under the
# paths clients mount as tmpfs, an ID-mapping domain given once. mkbootready
# prepares each, --check agrees, and --undo gives back the tree byte for byte.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root

# Dangling absolute and relative links on the way to what mkbootready writes:
# what they name is made inside the tree, and undo takes it away again.
tree=$T/dangling
fixture debian "$tree"
rm -rf "$tree/etc/systemd/journald.conf.d" "$tree/usr/lib/pxeroot" "$tree/etc/tmpfiles.d"
ln -s /run/journald.conf.d "$tree/etc/systemd/journald.conf.d"
mkdir -p "$tree/usr/lib"
ln -s ../../opt/pxeroot "$tree/usr/lib/pxeroot"
ln -s /nonexistent/tmpfiles.d "$tree/etc/tmpfiles.d"
ln -s /run/pxeroot/nowhere "$tree/etc/resolv.conf.orig"
tree_listing "$tree" >"$T/dangling.before"
mkbootready -q --idmap-domain example.org "$tree" || fail "mkbootready stopped at a dangling link"
[ -f "$tree/run/journald.conf.d/90-pxeroot.conf" ] || fail "the journald drop-in is not where the link leads"
[ -x "$tree/opt/pxeroot/client-setup" ] || fail "client-setup is not where the link leads"
[ -f "$tree/nonexistent/tmpfiles.d/pxeroot-tmpfs.conf" ] || fail "the tmpfiles.d file is not where the link leads"
[ -L "$tree/etc/systemd/journald.conf.d" ] && [ -L "$tree/usr/lib/pxeroot" ] || fail "a link was replaced"
mkbootready -q --check "$tree" || fail "--check after preparing through dangling links"
ok "dangling links to directories are followed inside the tree, not replaced"
mkbootready -q --undo "$tree"
tree_listing "$tree" >"$T/dangling.after"
diff -u "$T/dangling.before" "$T/dangling.after" || fail "--undo did not restore the tree with dangling links"
ok "--undo removes what was made behind the links"

# A tree without /var: the journal's /var/lib goes with the undo.
tree=$T/novar
fixture debian "$tree"
rm -rf "$tree/var"
tree_listing "$tree" >"$T/novar.before"
mkbootready -q --idmap-domain example.org "$tree"
[ "$(stat -c %a "$tree/var/lib")" = 755 ] || fail "/var/lib made with mode $(stat -c %a "$tree/var/lib")"
mkbootready -q --undo "$tree"
tree_listing "$tree" >"$T/novar.after"
diff -u "$T/novar.before" "$T/novar.after" || fail "--undo left what the journal needed"
ok "a tree without /var: /var/lib is made 0755 for the journal and gone after --undo"

# The directories under the tmpfs paths, with their modes and owners, in a
# tmpfiles.d file that systemd-tmpfiles reads on every client.
tree=$T/skel
fixture debian "$tree"
mkdir -p "$tree/var/log/apt" "$tree/var/log/nginx/old" "$tree/var/log/private" "$tree/var/tmp/cache"
chmod 0700 "$tree/var/log/private"
chown 33:4 "$tree/var/log/nginx"
chmod 2750 "$tree/var/log/nginx"
touch "$tree/var/log/dpkg.log"
mkdir -p "$tree/var/log/with space"
mkbootready -q --idmap-domain example.org "$tree"
cat >"$T/skel.want" <<'EOT'
d /var/log/apt 0755 0 0 -
d /var/log/nginx 2750 33 4 -
d /var/log/nginx/old 0755 0 0 -
d /var/log/private 0700 0 0 -
d /var/tmp/cache 0755 0 0 -
EOT
grep '^d ' "$tree/etc/tmpfiles.d/pxeroot-tmpfs.conf" | sort >"$T/skel.got"
diff -u "$T/skel.want" "$T/skel.got" || fail "the tmpfs skeleton is not what the tree has"
ok "the directories under /var/log and /var/tmp are listed for systemd-tmpfiles"
rmdir "$tree/var/log/nginx/old"
mkbootready -q --idmap-domain example.org "$tree"
grep -q nginx/old "$tree/etc/tmpfiles.d/pxeroot-tmpfs.conf" && fail "a removed directory is still listed"
mkbootready -q --idmap-domain example.org --check "$tree" || fail "--check after the skeleton changed"
ok "a re-run follows the tree's directories"
if command -v systemd-tmpfiles >/dev/null; then
	root=$T/skelroot
	mkdir -p "$root"
	systemd-tmpfiles --create --root="$root" "$tree/etc/tmpfiles.d/pxeroot-tmpfs.conf" 2>"$T/tmpfiles.err" ||
		fail "systemd-tmpfiles refused the file: $(cat "$T/tmpfiles.err")"
	[ "$(stat -c '%a %u %g' "$root/var/log/nginx")" = "2750 33 4" ] || fail "systemd-tmpfiles made $(stat -c '%a %u %g' "$root/var/log/nginx")"
	ok "systemd-tmpfiles makes the skeleton with its modes and owners"
fi

# The ID-mapping domain given once is kept by --check and by later runs.
tree=$T/domain
fixture debian "$tree"
mkbootready -q --idmap-domain pxeroot.test "$tree"
mkbootready --check "$tree" >"$T/domain.check" || fail "--check without --idmap-domain: $(cat "$T/domain.check")"
mkbootready "$tree" | grep >/dev/null "nothing to change" || fail "a re-run without --idmap-domain changed the tree"
grep -qx 'Domain = pxeroot.test' "$tree/etc/idmapd.conf" || fail "idmapd.conf lost the domain"
mkbootready -q --idmap-domain other.test "$tree"
grep -qx 'Domain = other.test' "$tree/etc/idmapd.conf" || fail "--idmap-domain did not replace the kept domain"
ok "the domain given with --idmap-domain is kept until another is given"
