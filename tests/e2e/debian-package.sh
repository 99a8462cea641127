#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Debian packages as an administrator gets them. dpkg-buildpackage builds
# pxeroot, pxeroot-nbdexport and pxeroot-pxebootsrv from a copy of the source
# (the tests stay out of the checkout) and lintian finds nothing to report;
# apt-get installs them, with what they depend on from the Debian archive,
# into a clean Debian 12 system (the cached debootstrap tree, under an overlay
# so that the cache is never written). There: dpkg -L lists the programs, man
# pages, units and completions; every program runs (its libraries came with
# the dependencies); mkbootimage builds an initramfs for the system's kernel;
# systemd-analyze verify accepts the units; systemctl enables the socket;
# bash-completion loads each program's completion on demand; the installed
# nbdexport, started as nbdexport.service's ExecStart= by
# systemd-socket-activate, serves an export of /etc/pxeroot/nbdexport.conf on
# the socket it was handed. apt-get purge then leaves no file of the packages.
# The test runs in the host's network namespace (the archive is reachable;
# the server listens on 127.0.0.1 only). With no cached tree, debian_tree
# runs debootstrap first (minutes).
# Also: make install (with debian/rules' variables) installs exactly the
# packages' files, besides dh's own; dpkg -i of pxeroot-pxebootsrv alone
# refuses to configure it and names the missing dependencies; every program's
# --help works; what the programs run came with the Depends; man renders each
# page; a malformed nbdexport.conf makes the activated nbdexport exit with one
# line naming the file and the line.
# timeout: 900
if [ -z "${PXEROOT_PKG_NS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	# A mount namespace of its own: the overlay and the system's /proc go
	# away with the test, whatever happens to it.
	export PXEROOT_PKG_NS=1
	exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root
[ "${PXEROOT_PKG_NS:-}" = 1 ] || skip "cannot enter a private mount namespace"
requires dpkg-buildpackage dh dpkg-parsechangelog dpkg-deb lintian debootstrap chroot nbdinfo nbdcopy \
	mkfs.ext4 ss man file
t_all=$SECONDS

# secs CMD...: run CMD; $took is how long it took, in seconds.
secs() {
	local t0=$SECONDS rc=0
	"$@" || rc=$?
	took=$((SECONDS - t0))
	return "$rc"
}

# ---- Build, from a copy of the source without its build directories.
mkdir "$T/src"
tar -C "$SRC" --exclude=./.git --exclude=./build --exclude='./build-*' --exclude=./tests/.cache \
	--exclude='./debian/.debhelper' -cf - . | tar -C "$T/src" -xf -
version=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
# nocheck: the unit tests run on their own (make check); noddebs: no -dbgsym
# packages, which the test does not install.
secs env -C "$T/src" DEB_BUILD_OPTIONS="nocheck noddebs parallel=2" \
	dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1 || {
	tail -n 30 "$T/build.log"
	fail "dpkg-buildpackage failed"
}
pkgs=(pxeroot pxeroot-nbdexport pxeroot-pxebootsrv)
arch=$(dpkg --print-architecture)
for p in "${pkgs[@]}"; do
	[ -f "$T/${p}_${version}_$arch.deb" ] || fail "no ${p}_${version}_$arch.deb: $(ls "$T")"
done
ok "dpkg-buildpackage built ${pkgs[*]} $version in $took s"

secs lintian --fail-on error,warning,info "$T/pxeroot_${version}_$arch.changes" >"$T/lintian.log" 2>&1 || {
	cat "$T/lintian.log"
	fail "lintian reports problems in the packages"
}
# Besides its warning about running as root: nothing.
! grep -v 'running with root privileges' "$T/lintian.log" || {
	cat "$T/lintian.log"
	fail "lintian says something about the packages"
}
ok "lintian reports nothing on the packages (overrides, with their reasons: debian/*.lintian-overrides) in $took s"

# ---- make install and the packages install the same files: the packages
# are make install's output split by debian/*.install; this keeps the two
# from drifting apart either way.
# The variables are debian/rules' PATHS; the build is the one dpkg-buildpackage
# left in the copy.
paths=$(sed -n 's/^PATHS = //p' "$T/src/debian/rules")
[ -n "$paths" ] || fail "debian/rules has no PATHS line"
# shellcheck disable=SC2086 # PATHS is a list of VAR=VALUE words
make -s -C "$T/src" $paths DESTDIR="$T/inst" install >"$T/install.log" 2>&1 || {
	tail -n 20 "$T/install.log"
	fail "make install $paths failed"
}
(cd "$T/inst" && find . ! -type d | sed 's/^\.//') | LC_ALL=C sort >"$T/make-files"
for p in "${pkgs[@]}"; do
	# Everything but directories; a symbolic link's "NAME -> TARGET" is cut.
	dpkg-deb -c "$T/${p}_${version}_$arch.deb" | awk '$1 !~ /^d/ { print $6 }'
done | sed 's/^\.//' | LC_ALL=C sort >"$T/deb-files"
# What dh adds, not make install: each package's changelog (debian/changelog;
# a native package's is changelog.gz, not changelog.Debian.gz) and copyright,
# and lintian's overrides (debian/*.lintian-overrides); dh_compress gzips the
# man pages and the README (/usr/share/doc). Any other difference fails.
sed -E -e '\#^/usr/share/doc/pxeroot[a-z-]*/(changelog\.gz|copyright)$#d' \
	-e '\#^/usr/share/lintian/overrides/pxeroot[a-z-]*$#d' \
	-e 's#^(/usr/share/(man|doc)/.*)\.gz$#\1#' "$T/deb-files" | LC_ALL=C sort >"$T/deb-files.cmp"
diff -u "$T/make-files" "$T/deb-files.cmp" >"$T/files.diff" || {
	cat "$T/files.diff"
	fail "make install (-) and the packages (+) install different files"
}
ok "make install $paths installs the $(wc -l <"$T/make-files") files the packages hold, besides dh's own"

# ---- A clean Debian 12 system: the cached tree as an overlay's lower layer.
debian_tree "$T/lower" link
mkdir "$T/upper" "$T/work" "$T/root"
root=$T/root
mount -t overlay pxeroot-pkg -o "lowerdir=$T/lower,upperdir=$T/upper,workdir=$T/work" "$root" ||
	fail "cannot mount an overlay over the Debian tree"
# Before $T is removed: nothing of the host may be reached through it.
cleanup_fn umount -R -l "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# No daemon starts in the system (lighttpd's package would start one).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# busybox-static's trigger would rebuild the system's initramfs (initramfs-tools,
# half a minute): not what this test is about.
sed -i 's/^update_initramfs=.*/update_initramfs=no/' "$root/etc/initramfs-tools/update-initramfs.conf"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME=/root "$@"; }
[ -z "$(in_root dpkg-query -W -f '${Package}\n' "${pkgs[@]}" 2>/dev/null)" ] ||
	fail "the clean system has pxeroot packages already"
mkdir -m 0755 "$root/tmp/debs"
cp "$T"/*.deb "$root/tmp/debs/"
chmod 0644 "$root"/tmp/debs/*.deb

# ---- A hard dependency missing: dpkg -i of pxeroot-pxebootsrv alone, in a
# clean system of its own (a second overlay over the same tree), unpacks it
# but refuses to configure it, and names each missing dependency.
mkdir "$T/upper2" "$T/work2" "$T/root2"
mount -t overlay pxeroot-pkg2 -o "lowerdir=$T/lower,upperdir=$T/upper2,workdir=$T/work2" \
	"$T/root2" || fail "cannot mount a second overlay over the Debian tree"
cleanup_fn umount -l "$T/root2"
deb=pxeroot-pxebootsrv_${version}_$arch.deb
cp "$T/$deb" "$T/root2/tmp/"
chmod 0644 "$T/root2/tmp/$deb"
in_root2() { chroot "$T/root2" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME=/root "$@"; }
missing=()
for d in $(dpkg-deb -f "$T/$deb" Depends | tr ',' '\n' | sed -E 's/[ (].*//; s/^ *//; /^$/d'); do
	[[ $(in_root2 dpkg-query -W -f '${db:Status-Abbrev}' "${d%%:*}" 2>/dev/null) == ii* ]] ||
		missing+=("$d")
done
[ "${#missing[@]}" -gt 0 ] || fail "the clean system has every dependency of $deb already"
rc=0
in_root2 dpkg -i "/tmp/$deb" >"$T/dpkg-i.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "dpkg -i $deb without ${missing[*]} succeeded"
for d in "${missing[@]}"; do
	grep >/dev/null "pxeroot-pxebootsrv depends on $d\b" "$T/dpkg-i.log" || {
		cat "$T/dpkg-i.log"
		fail "dpkg -i $deb does not name the missing dependency $d"
	}
done
assert_eq "iU" "$(in_root2 dpkg-query -W -f '${db:Status-Abbrev}' pxeroot-pxebootsrv | tr -d ' ')" \
	"dpkg -i $deb without ${missing[*]} exits $rc, names them, and leaves it unpacked, not configured"
umount "$T/root2"

# ---- Install: the packages and their dependencies; bash-completion, which
# loads the completions, as an administrator would have it.
debs=()
for p in "${pkgs[@]}"; do debs+=("/tmp/debs/${p}_${version}_$arch.deb"); done
apt_install() {
	in_root apt-get update -q &&
		in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${debs[@]}" bash-completion
}
secs apt_install >"$T/apt.log" 2>&1 || {
	tail -n 30 "$T/apt.log"
	fail "apt-get install of the packages failed"
}
for p in "${pkgs[@]}"; do
	st=$(in_root dpkg-query -W -f '${db:Status-Abbrev} ${Version}' "$p")
	assert_eq "ii  $version" "$st" "$p $version installed by apt-get"
done
ok "apt-get installed the packages and their dependencies in $took s"

# ---- What the packages hold.
for p in "${pkgs[@]}"; do in_root dpkg -L "$p"; done | LC_ALL=C sort -u >"$T/files"
want=(
	/usr/sbin/mkbootready /usr/sbin/bootchroot /usr/sbin/mkbootimage /usr/bin/pxeroot-cmdline
	/usr/sbin/nbdexport /usr/sbin/pxebootsrv
	/lib/systemd/system/nbdexport.socket /lib/systemd/system/nbdexport.service
	/lib/systemd/system/pxebootsrv.service
	/usr/share/pxeroot /usr/lib/pxeroot/initrd/skel/sbin/pxeroot-helper /usr/share/doc/pxeroot/README.md.gz
)
progs=(mkbootready bootchroot mkbootimage pxeroot-cmdline nbdexport pxebootsrv)
for p in "${progs[@]}"; do want+=("/usr/share/bash-completion/completions/$p"); done
for m in man1/pxeroot-cmdline.1 man5/pxeroot-profile.5 man7/kernel-cmdline.7 man8/bootchroot.8 \
	man8/mkbootimage.8 man8/mkbootready.8 man8/nbdexport.8 man5/nbdexport.conf.5 \
	man8/pxebootsrv.8 man5/pxebootsrv.conf.5; do
	want+=("/usr/share/man/$m.gz")
done
for f in "${want[@]}"; do
	grep -Fx >/dev/null -- "$f" "$T/files" || fail "dpkg -L does not list $f"
	[ -e "$root$f" ] || fail "$f is listed but not installed"
done
for m in "$root"/usr/share/man/man*/{pxeroot-cmdline,pxeroot-profile,kernel-cmdline,bootchroot,mkbootimage,mkbootready,nbdexport,nbdexport.conf,pxebootsrv,pxebootsrv.conf}.[1-8].gz; do
	zcat "$m" | grep >/dev/null '^\.TH ' || fail "${m#"$root"} is not a man page"
done
ok "dpkg -L lists the ${#progs[@]} programs, 10 man pages, 3 units, ${#progs[@]} completions, the initramfs skeleton and profiles"

for p in "${progs[@]}"; do
	v=$(in_root "$p" --version) || fail "$p --version failed in the installed system"
	assert_eq "$p (pxeroot) $version" "$v" "installed $p runs: $v"
done
# --help: usage on stdout, nothing on stderr, exit 0.
for p in "${progs[@]}"; do
	rc=0
	h=$(in_root "$p" --help 2>"$T/help.err") || rc=$?
	[ "$rc" = 0 ] || fail "$p --help exits $rc in the installed system: $(cat "$T/help.err")"
	[ ! -s "$T/help.err" ] || fail "$p --help writes to stderr: $(cat "$T/help.err")"
	[[ $h == "Usage: $p "* ]] || fail "$p --help does not start with its usage: ${h:0:200}"
	grep >/dev/null -e '--version' <<<"$h" || fail "$p --help does not list --version"
done
ok "every installed program's --help prints its usage and exits 0"

# What the programs run (execvp, posix_spawnp, busybox_find), installed by
# the packages' Depends alone (apt-get ran with --no-install-recommends):
# bootchroot --image runs mksquashfs (squashfs-tools); mkbootimage, depmod
# (kmod) and copies a static busybox (busybox-static); pxebootsrv run and
# install, dnsmasq (dnsmasq-base) and lighttpd. cp, rm and sh are Essential.
for e in bootchroot:mksquashfs mkbootimage:depmod mkbootimage:busybox pxebootsrv:dnsmasq \
	pxebootsrv:lighttpd; do
	p=${e%%:*} c=${e#*:}
	grep -rqF "\"$c\"" "$SRC/tools/$p/" || fail "tools/$p no longer names \"$c\": update this list"
	in_root sh -c "command -v $c" >/dev/null || fail "$p runs $c, which the Depends did not install"
done
file -L "$root/bin/busybox" | grep >/dev/null 'statically linked' ||
	fail "the Depends installed no static busybox: $(file -L "$root/bin/busybox")"
ok "what the programs run (mksquashfs, depmod, a static busybox, dnsmasq, lighttpd) came with the Depends"

# ---- The man pages open: the host's man (man-db, groff) renders each
# installed page, with groff's warnings on. The only warning allowed is
# "can't break line": an example command line or a table cell wider than 80
# columns, which man shows unbroken.
npages=0
while read -r m; do
	name=${m##*/}
	name=${name%.gz}
	name=${name%.*}
	out=$(MANPAGER=cat MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$root$m" 2>"$T/man.err") ||
		fail "man -l $m failed: $(cat "$T/man.err")"
	! grep -v "can't break line" "$T/man.err" || fail "man -l $m warns"
	grep >/dev/null -x 'NAME' <<<"$out" || fail "man -l $m has no NAME section: ${out:0:300}"
	grep >/dev/null -E "^ +$name - " <<<"$out" || fail "man -l $m does not name $name: ${out:0:300}"
	npages=$((npages + 1))
done < <(grep '^/usr/share/man/man[1-8]/.*\.gz$' "$T/files")
[ "$npages" -ge 10 ] || fail "only $npages man pages rendered"
ok "man -l renders the $npages installed man pages, with a NAME line and no groff warning"

kver=$(ls "$root/lib/modules" | sort -V | tail -n 1)
secs in_root mkbootimage -q -o /tmp/initrd.img / "$kver" || fail "the installed mkbootimage failed"
[ -s "$root/tmp/initrd.img" ] || fail "mkbootimage wrote no initramfs"
ok "the installed mkbootimage built an initramfs for the system's kernel $kver ($(($(stat -c %s "$root/tmp/initrd.img") / 1024)) KiB, $took s)"

# ---- The units.
units=(nbdexport.socket nbdexport.service pxebootsrv.service)
# --man=no: the system has no man(1) (minbase); the pages that the units'
# Documentation= names are looked for below.
in_root systemd-analyze verify --man=no "${units[@]/#//lib/systemd/system/}" >"$T/verify.log" 2>&1 || {
	cat "$T/verify.log"
	fail "systemd-analyze verify rejects the units"
}
! grep -E 'nbdexport|pxebootsrv' "$T/verify.log" || fail "systemd-analyze verify warns about the units"
ok "systemd-analyze verify accepts ${units[*]} in the installed system"
for u in "${units[@]}"; do
	for d in $(sed -n 's/^Documentation=//p' "$root/lib/systemd/system/$u"); do
		[[ $d =~ ^man:([^()]+)\(([1-8])\)$ ]] || fail "$u: Documentation=$d is not a man page"
		m=/usr/share/man/man${BASH_REMATCH[2]}/${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.gz
		grep -Fx >/dev/null "$m" "$T/files" || fail "$u: Documentation=$d: the packages have no $m"
	done
done
ok "the man pages that the units' Documentation= names are installed"
for u in "${units[@]}"; do
	assert_eq disabled "$(in_root systemctl is-enabled "$u" 2>&1 || true)" "$u is not enabled by the package"
done
in_root systemctl enable nbdexport.socket >"$T/enable.log" 2>&1 || {
	cat "$T/enable.log"
	fail "systemctl enable nbdexport.socket failed"
}
assert_eq /lib/systemd/system/nbdexport.socket \
	"$(readlink "$root/etc/systemd/system/sockets.target.wants/nbdexport.socket")" \
	"systemctl enable nbdexport.socket links it into sockets.target"

# ---- bash-completion loads each program's completion at its first TAB.
for p in "${progs[@]}"; do
	got=$(in_root bash -c '
		. /usr/share/bash-completion/bash_completion
		complete -p "$1" 2>/dev/null && exit 1
		_completion_loader "$1"
		complete -p "$1"
		COMP_WORDS=("$1" --vers) COMP_CWORD=1 COMPREPLY=()
		fn=$(complete -p "$1" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		"$fn" "$1" --vers "$1"
		printf "%s\n" "${COMPREPLY[@]}"
	' completion "$p") || fail "$p: no completion, or one loaded before it was asked for: $got"
	[[ $got == "complete "*"-F "*" $p"$'\n'* ]] || fail "$p: bash-completion did not load its completion: $got"
	[[ $'\n'$got$'\n' == *$'\n--version\n'* ]] || fail "$p: --vers does not complete to --version: $got"
done
ok "bash-completion loads the completion of ${progs[*]} on demand, and --vers completes"

# ---- Socket activation, with the unit's own command line.
exec_start=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/nbdexport.service")
conf=$(sed -n 's/.* -c \([^ ]*\).*/\1/p' <<<"$exec_start")
[ -n "$conf" ] || fail "nbdexport.service's ExecStart= names no configuration: $exec_start"
mkdir -p "$root/srv" "$root${conf%/*}"
truncate -s 8M "$root/srv/disk.ext4"
mkfs.ext4 -q -F "$root/srv/disk.ext4"
chmod 0644 "$root/srv/disk.ext4"
cat >"$root$conf" <<-'EOF'
	[disk]
	path = /srv/disk.ext4
	description = a test export
EOF
port=$(free_port)
# The unit's ExecStart= words, as systemd would split them (no quotes in it).
read -r -a cmd <<<"$exec_start"
# chroot, env and systemd-socket-activate exec each other, and nbdexport at
# the first connection: one process, $act.
chroot "$root" env -i PATH=/usr/sbin:/usr/bin systemd-socket-activate -l "127.0.0.1:$port" \
	"${cmd[@]}" 2>"$T/activate.log" &
act=$!
cleanup_fn kill "$act"
wait_port "$port"
[[ $(readlink "/proc/$act/exe") == */systemd-socket-activate ]] ||
	fail "not systemd-socket-activate before the first connection: $(readlink "/proc/$act/exe")"
nbdinfo "nbd://127.0.0.1:$port/disk" >"$T/nbdinfo.out" 2>&1 || {
	cat "$T/nbdinfo.out" "$T/activate.log"
	fail "nbdinfo nbd://127.0.0.1:$port/disk failed"
}
grep >/dev/null 'export-size: 8388608' "$T/nbdinfo.out" || fail "wrong export size: $(cat "$T/nbdinfo.out")"
grep >/dev/null 'description: a test export' "$T/nbdinfo.out" || fail "no description: $(cat "$T/nbdinfo.out")"
assert_eq "$(sha256sum <"$root/srv/disk.ext4" | cut -d' ' -f1)" \
	"$(nbdcopy "nbd://127.0.0.1:$port/disk" - | sha256sum | cut -d' ' -f1)" \
	"the socket-activated nbdexport ($exec_start) serves the export of $conf"
[[ $(readlink "/proc/$act/exe") == */usr/sbin/nbdexport ]] ||
	fail "not nbdexport after the first connection: $(readlink "/proc/$act/exe")"
grep >/dev/null "listening on 127.0.0.1:$port" "$T/activate.log" ||
	fail "nbdexport did not use the socket it was handed: $(cat "$T/activate.log")"
ok "nbdexport took the socket systemd-socket-activate handed it"
kill "$act"
wait "$act" 2>/dev/null || true

# A malformed configuration: the same command line, activated the same way,
# exits non-zero at the first connection with one line naming the file and
# the line. Under systemd that line is the journal's (StandardError= is the
# journal); here it is the process's stderr, $T/activate-bad.log.
cat >"$root$conf" <<-'EOF'
	[disk]
	path = /srv/disk.ext4
	description
EOF
port=$(free_port)
chroot "$root" env -i PATH=/usr/sbin:/usr/bin systemd-socket-activate -l "127.0.0.1:$port" \
	"${cmd[@]}" 2>"$T/activate-bad.log" &
act=$!
cleanup_fn kill "$act"
wait_port "$port"
! timeout 20 nbdinfo "nbd://127.0.0.1:$port/disk" >"$T/nbdinfo-bad.out" 2>&1 ||
	fail "nbdinfo succeeded with a malformed $conf"
rc=0
timeout 20 tail --pid="$act" -f /dev/null || fail "nbdexport did not exit with a malformed $conf"
wait "$act" || rc=$?
[ "$rc" != 0 ] || fail "nbdexport exits 0 with a malformed $conf"
# systemd-socket-activate's own lines do not start with "nbdexport:".
errs=$(grep '^nbdexport:' "$T/activate-bad.log" || true)
[ "$(grep -c . <<<"$errs")" = 1 ] || fail "not one error line: $(cat "$T/activate-bad.log")"
[[ $errs == "nbdexport: $conf:3: "?* ]] || fail "the error does not name $conf:3: $errs"
ok "with a malformed $conf, the activated nbdexport exits $rc: $errs"

# ---- Purge: nothing of the packages is left.
secs in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "${pkgs[@]}" >"$T/purge.log" 2>&1 || {
	tail -n 20 "$T/purge.log"
	fail "apt-get purge failed"
}
[ -z "$(in_root dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' "${pkgs[@]}" 2>/dev/null)" ] ||
	fail "dpkg still knows the packages: $(in_root dpkg-query -W "${pkgs[@]}" 2>&1)"
left=
while read -r f; do
	# What the clean system had already (/lib, /usr/share/man/man8) is not
	# the packages'.
	if [ -e "$T/lower$f" ] || [ -L "$T/lower$f" ]; then
		continue
	elif [ -L "$root$f" ] || { [ -e "$root$f" ] && ! [ -d "$root$f" ]; }; then
		left="$left $f"
	elif [ -d "$root$f" ] && [[ $f == *pxeroot* || $f == *nbdexport* || $f == *pxebootsrv* ]]; then
		left="$left $f/"
	fi
done <"$T/files"
[ -z "$left" ] || fail "apt-get purge left:$left"
# Links to the units anywhere, such as the one systemctl enable made.
dangling=$(find "$root/etc/systemd" -lname '*nbdexport*' -o -lname '*pxebootsrv*' 2>/dev/null)
[ -z "$dangling" ] || fail "links to the removed units are left: $dangling"
ok "apt-get purge removed every file of the packages and the link to the enabled socket ($took s)"
echo "total: $((SECONDS - t_all)) s"
