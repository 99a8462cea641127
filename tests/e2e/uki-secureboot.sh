#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One signed object from the firmware to the root hash: a site key of the
# test's own (PK, KEK, db made with openssl, signed lists from efitools) is
# enrolled into an OVMF variable store in setup mode by a Linux guest writing
# the authenticated variables to efivarfs; then mkbootimage --uki puts
# systemd's EFI stub, Debian's kernel, the pxeroot initramfs and a command line
# holding the dm-verity root hash into one image, signed with the db key
# (sbsign). OVMF with Secure Boot enforced:
#   - the intact image boots, its root over NBD verified by dm-verity, and
#     the command line QEMU passes as the loader's (as a menu would) is not
#     the one the kernel runs with;
#   - the image with one byte changed is refused by the firmware;
#   - the root image with one block changed on the server is refused by
#     dm-verity (the hash came from the signed command line).
# Also: two builds of the same inputs are byte-identical but for the signing
# time sbsign puts in the signature.
# timeout: 900
. "$(dirname "$0")/lib-boot.sh"

boot_setup
requires nbdexport pxeroot-verity openssl sbsign sbverify sbattach cert-to-efi-sig-list sign-efi-sig-list objcopy python3
OVMF_DIR=${OVMF_DIR:-/usr/share/OVMF}
for f in OVMF_CODE_4M.secboot.fd OVMF_VARS_4M.fd; do
	[ -f "$OVMF_DIR/$f" ] || skip "$OVMF_DIR/$f is missing (ovmf)"
done
[ -f /usr/lib/systemd/boot/efi/linuxx64.efi.stub ] || skip "no EFI stub (systemd-boot-efi)"
kernel_fetch

# OVMF with Secure Boot enforced (SMM), the variable store given.
ovmf_sb() {
	local vars=$1 log=$2 secs=$3
	shift 3
	timeout -k 5 "$secs" qemu-system-x86_64 -accel tcg -machine q35,smm=on -m 512 \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_DIR/OVMF_CODE_4M.secboot.fd" \
		-drive "if=pflash,format=raw,unit=1,file=$vars" \
		-nographic -no-reboot -nodefaults -serial stdio -monitor none "$@" </dev/null >"$log" 2>&1
}

# The site's keys.
mkdir -p "$T/keys"
guid=$(cat /proc/sys/kernel/random/uuid)
for k in PK KEK db; do
	openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=pxeroot test $k/" -days 30 \
		-keyout "$T/keys/$k.key" -out "$T/keys/$k.crt" 2>/dev/null || fail "openssl req $k"
	cert-to-efi-sig-list -g "$guid" "$T/keys/$k.crt" "$T/keys/$k.esl" >/dev/null
done
sign-efi-sig-list -k "$T/keys/PK.key" -c "$T/keys/PK.crt" PK "$T/keys/PK.esl" "$T/keys/PK.auth" >/dev/null
sign-efi-sig-list -k "$T/keys/PK.key" -c "$T/keys/PK.crt" KEK "$T/keys/KEK.esl" "$T/keys/KEK.auth" >/dev/null
sign-efi-sig-list -k "$T/keys/KEK.key" -c "$T/keys/KEK.crt" db "$T/keys/db.esl" "$T/keys/db.auth" >/dev/null

# Enrollment: a guest in setup mode writes db, KEK, then PK (which ends setup
# mode) through efivarfs: each file is the variable's attributes
# (NV|BS|RT|time-based authenticated) followed by the signed list.
enroll=$T/enroll
busybox_tree "$enroll"
mkdir -p "$enroll/keys"
for k in PK KEK db; do
	{ printf '\047\000\000\000'; cat "$T/keys/$k.auth"; } >"$enroll/keys/$k.var"
done
cp "$(find "$KERNEL_ROOT/lib/modules/$KVER" -name 'efivarfs.ko*' | head -1)" "$enroll/efivarfs.ko" ||
	fail "Debian's kernel has no efivarfs module"
cat >"$enroll/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
insmod /efivarfs.ko
mount -t efivarfs efivarfs /sys/firmware/efi/efivars
g=8be4df61-93ca-11d2-aa0d-00e098032b8c
cat /keys/db.var >/sys/firmware/efi/efivars/db-d719b2cb-3d3a-4596-a3bc-dad00e67656f && echo "ENROLLED db"
cat /keys/KEK.var >/sys/firmware/efi/efivars/KEK-$g && echo "ENROLLED KEK"
cat /keys/PK.var >/sys/firmware/efi/efivars/PK-$g && echo "ENROLLED PK"
echo "SETUPMODE $(od -An -tu1 /sys/firmware/efi/efivars/SetupMode-$g | awk '{print $NF}')"
poweroff -f
INIT
chmod 0755 "$enroll/init"
mkcpio "$enroll" "$T/enroll.cpio.gz"
cp "$OVMF_DIR/OVMF_VARS_4M.fd" "$T/vars.fd"
ovmf_sb "$T/vars.fd" "$T/enroll.log" 300 -kernel "$VMLINUZ" -initrd "$T/enroll.cpio.gz" \
	-append "console=ttyS0 panic=-1 quiet" || fail "the enrollment guest did not finish ($T/enroll.log)"
for k in db KEK PK; do
	grep -aq "ENROLLED $k\$\?" "$T/enroll.log" || fail "$k was not enrolled: $(tail -5 "$T/enroll.log")"
done
grep -aq "SETUPMODE 0" "$T/enroll.log" || fail "the firmware is still in setup mode"
ok "the site's PK, KEK and db enrolled in OVMF's variable store; setup mode ended"

# The root and its hash tree.
boot_root "$T/tree"
head -c 1M /dev/urandom >"$T/tree/data"
cat >"$T/tree/sbin/init.extra" <<'EXTRA'
md5sum /data >/dev/null 2>&1 && echo "DATA-READ ok" || echo "DATA-READ failed"
echo "CMDLINE $(cat /proc/cmdline)"
EXTRA
chmod 0755 "$T/tree/sbin/init.extra"
boot_squashfs "$T/tree" "$T/root.sqfs"
params=$(pxeroot-verity "$T/root.sqfs" "$T/verity.sqfs") || fail "pxeroot-verity"
python3 - "$T/verity.sqfs" "$T/bad.sqfs" <<'EOP'
import sys
img = bytearray(open(sys.argv[1], "rb").read())
img[100] ^= 0xff
open(sys.argv[2], "wb").write(img)
EOP

# The unified image, twice: the same bytes.
mkdir -p "$T/sysroot/lib/modules"
cp -al "$KERNEL_ROOT/lib/modules/$KVER" "$T/sysroot/lib/modules/"
cmdline="console=ttyS0 panic=-1 root=nbd:10.0.2.2:10809/root $params rd.pxeroot.fail.timeout=0"
for n in 1 2; do
	mkbootimage -q -d virtio_net -m dm-verity -o "$T/initrd-$n.img" --cmdline "$cmdline" \
		--uki "$T/uki-$n.efi" --uki-kernel "$VMLINUZ" \
		--sign-key "$T/keys/db.key" --sign-cert "$T/keys/db.crt" "$T/sysroot" "$KVER" ||
		fail "mkbootimage --uki"
	sleep 1
done
# sbsign puts the signing time in the signature: without it, the same bytes.
for n in 1 2; do
	cp "$T/uki-$n.efi" "$T/unsigned-$n.efi"
	sbattach --remove "$T/unsigned-$n.efi" >/dev/null || fail "sbattach --remove"
done
cmp -s "$T/unsigned-1.efi" "$T/unsigned-2.efi" || fail "two builds of the same unified image differ"
sbverify --cert "$T/keys/db.crt" "$T/uki-1.efi" >/dev/null 2>&1 || fail "sbverify does not accept the signature"
objdump -h "$T/uki-1.efi" | grep -q ' \.cmdline ' || fail "no .cmdline section"
ok "mkbootimage --uki: $(($(stat -c %s "$T/uki-1.efi") / 1024)) KiB, signed with the db key, identical on rebuild but for the signing time"

# Intact, and a loader that passes another command line.
start_nbdexport "$T/verity.sqfs=root"
t0=$(date +%s%N)
cp "$T/vars.fd" "$T/vars-boot.fd"
ovmf_sb "$T/vars-boot.fd" "$T/good.log" 400 -kernel "$T/uki-1.efi" \
	-append "console=ttyS0 root=nbd:10.0.2.2:10809/other init=/bin/sh" \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0 || fail "the signed image did not boot and power off ($T/good.log)"
sed -i 's/\r$//' "$T/good.log"
boot_times "$T/good.log" "$t0"
expect_line "$T/good.log" 'EFI stub: UEFI Secure Boot is enabled' "Secure Boot is on"
expect_booted "$T/good.log" "the signed unified image"
expect_line "$T/good.log" 'pxeroot: root: /dev/nbd0 verified by dm-verity as /dev/dm-0' "the root is mapped through dm-verity"
expect_line "$T/good.log" '^DATA-READ ok' "every block read matches the signed root hash"
grep -q '^CMDLINE .*root=nbd:10.0.2.2:10809/root ' "$T/good.log" && ! grep -q '^CMDLINE .*other' "$T/good.log" ||
	fail "the kernel did not run with the signed command line: $(grep '^CMDLINE' "$T/good.log")"
ok "the loader's command line (root=.../other init=/bin/sh) was ignored: the signed one ran"

# One block changed on the server, same export name.
kill "$(cat "$T/nbdexport.pid")"
for _ in $(seq 50); do ss -ltn | grep -q ':10809 ' || break; sleep 0.1; done
start_server -P "$T/nbdexport2.pid" -w 10809 \
	nbdexport -f -q --pidfile "$T/nbdexport2.pid" -l 127.0.0.1 -p 10809 "$T/bad.sqfs=root"
cp "$T/vars.fd" "$T/vars-bad.fd"
ovmf_sb "$T/vars-bad.fd" "$T/badblock.log" 400 -kernel "$T/uki-1.efi" \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0 || true
sed -i 's/\r$//' "$T/badblock.log"
! grep -q "^BOOTED $BOOT_TOKEN" "$T/badblock.log" || fail "a root with a changed block booted"
expect_line "$T/badblock.log" 'the root image failed dm-verity verification' "a block changed on the server is refused by dm-verity"

# One byte changed in the signed image: the firmware refuses it (from an
# ESP, where the boot manager names the reason).
mkdir -p "$T/esp/EFI/BOOT"
python3 - "$T/uki-1.efi" "$T/esp/EFI/BOOT/BOOTX64.EFI" <<'EOP'
import sys
img = bytearray(open(sys.argv[1], "rb").read())
img[len(img) // 2] ^= 0x01
open(sys.argv[2], "wb").write(img)
EOP
cp "$T/vars.fd" "$T/vars-esp.fd"
ovmf_sb "$T/vars-esp.fd" "$T/tampered.log" 90 -drive "file=fat:$T/esp,format=raw,if=virtio,readonly=on" || true
grep -aq 'failed to load Boot.*Access Denied' "$T/tampered.log" || fail "no refusal from the firmware: $(tr -d '\033' <"$T/tampered.log" | grep -a BdsDxe | head -5)"
! grep -aq 'EFI stub' "$T/tampered.log" || fail "the changed image ran"
ok "the image with one byte changed is refused by the firmware (Access Denied)"
