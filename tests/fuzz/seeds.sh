#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Write a few valid sessions for a fuzz target into a corpus directory, so the
# fuzzer starts from inputs that reach deep into the protocol.
# usage: tests/fuzz/seeds.sh TARGET DIR   (a file under tests/fuzz/TARGET.c)
set -eu
target=$1 dir=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
exec /usr/bin/env python3 - "$target" "$dir" "$src" <<'EOP'
import glob, struct, sys, os
target, d, src = sys.argv[1], sys.argv[2], sys.argv[3]
OPT = 0x49484156454F5054
def opt(o, data=b""):
    return struct.pack(">QII", OPT, o, len(data)) + data
def go(o, name, reqs=()):
    return opt(o, struct.pack(">I", len(name)) + name + struct.pack(">H", len(reqs)) +
               b"".join(struct.pack(">H", r) for r in reqs))
def meta(o, name, qs):
    return opt(o, struct.pack(">I", len(name)) + name + struct.pack(">I", len(qs)) +
               b"".join(struct.pack(">I", len(q)) + q for q in qs))
def req(typ, off, ln, flags=0, h=1):
    return struct.pack(">IHHQQI", 0x25609513, flags, typ, h, off, ln)
seeds = {}
if target == "fuzz-handshake":
    f = struct.pack(">I", 3)
    seeds["go"] = b"\x00" + f + opt(8) + meta(10, b"disk", [b"base:allocation"]) + go(7, b"disk", (1, 2, 3))
    seeds["list"] = b"\x01" + f + opt(3) + go(6, b"") + meta(9, b"", []) + opt(2)
    seeds["tls"] = b"\x02" + f + opt(3) + opt(5) + go(7, b"secret") + go(7, b"")
    seeds["export"] = b"\x04" + struct.pack(">I", 0) + opt(1, b"disk")
elif target == "fuzz-transmission":
    seeds["ro"] = b"\x00" + req(0, 0, 4096) + req(0, 4096, 300000, h=2) + req(1, 0, 4) + b"abcd" + req(3, 0, 0) + req(5, 0, 65536) + req(2, 0, 0)
    seeds["sr"] = b"\x0c" + req(0, 100, 1000, 4) + req(7, 0, 8192, 8) + req(0, 1 << 40, 1) + req(9, 0, 0)
    seeds["rw"] = b"\x11" + req(1, 10, 8, 1) + b"12345678" + req(6, 0, 9000, 2) + req(4, 0, 4096) + req(3, 0, 0)
    seeds["cow"] = b"\x36" + req(1, 4000, 200) + b"x" * 200 + req(0, 3900, 500) + req(6, 8192, 4097) + req(7, 0, 65536) + req(1, 262144, 123) + b"y" * 123
elif target == "fuzz-cmdline":
    lines = [
        "root=/dev/nfs nfsroot=10.0.2.2:/srv/root,vers=4.1 ip=dhcp",
        "root=nfs:10.0.2.2:/srv/root:ro,vers=3 rd.overlay",
        "root=nbd:10.0.0.1:10809/debian:squashfs rd.pxeroot.nbd.lost=fail",
        "netboot=http://10.0.0.1/sysrcd.dat rd.pxeroot.sha256=" + "ab" * 32,
        "netboot=nbd://10.0.0.1:10809 dodhcp ethx=10.0.0.5",
        "nfsboot=10.0.0.1:/srv/srcd nbdboot=10.0.0.1:10809",
        "root=dhcp ip=[fd00::5]::[fd00::1]:64:client:eth0:none",
        "ip=10.0.0.5::10.0.0.1:255.255.255.0:client:eth0:off:10.0.0.1 root=dhcp",
        "bond=bond0:eth0,eth1:mode=active-backup,miimon=100 vlan=bond0.100:bond0 "
        "ip=bond0.100:dhcp ip=eth2:dhcp root=nbd:10.0.0.1:10809/debian",
        "root=/dev/nfs nfsroot=10.0.0.1:/srv/ltsp ltsp.image=images/x86_64.img "
        "BOOTIF=01-52-54-00-12-34-56 ifname=lan0:52:54:00:12:34:56 bridge=br0:eth0",
        'root=dhcp "rd.pxeroot.init=/sbin/my init" -- single',
        "root=dhcp\0root=nfs:10.0.0.1:/srv ip=dhcp rd.pxeroot.overlay=tmpfs",
    ]
    for f in glob.glob(os.path.join(src, "tests/fixtures/dracut-network-params.txt")):
        for l in open(f):
            parts = l.rstrip("\n").split("\t")
            if len(parts) == 3 and not l.startswith("#"):
                lines.append((parts[1] + " " if parts[1] != "-" else "") + parts[2])
    for i, l in enumerate(lines):
        seeds["line%d" % i] = l.encode().replace(b"\\0", b"\0")
elif target == "fuzz-root-path":
    for i, r in enumerate(["/srv/root", "10.0.0.1:/srv/root,vers=4.1,proto=tcp",
                           "nfs:10.0.0.1:/srv/root:ro", "nfs4:[fd00::1]:/srv/root",
                           "nbd:10.0.0.1:10809/debian:squashfs", "http://10.0.0.1/root.sqfs",
                           "10.0.0.1:/srv/root\0root=dhcp ip=dhcp rd.pxeroot.retry=3",
                           "iscsi:10.0.0.1::::iqn.2000-01.org:x"]):
        seeds["rp%d" % i] = r.encode().replace(b"\\0", b"\0")
elif target == "fuzz-http":
    seeds["len"] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello"
    seeds["chunked"] = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nTrailer: x\r\n\r\n")
    seeds["close"] = b"HTTP/1.0 200 OK\nContent-Type: application/octet-stream\n\nbody until close"
    seeds["redir"] = b"HTTP/1.1 302 Found\r\nLocation: /other/root.sqfs\r\nContent-Length: 0\r\n\r\n"
    seeds["redir2"] = b"HTTP/1.1 301 Moved\r\nLocation: http://[fd00::1]:8080/x\r\n\r\n"
    seeds["404"] = b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
elif target == "fuzz-nbd-client":
    NBDMAGIC, OPT, REP = 0x4e42444d41474943, 0x49484156454F5054, 0x3e889045565a9
    def rep(o, t, data=b""):
        return struct.pack(">QIII", REP, o, t, len(data)) + data
    new = struct.pack(">QQH", NBDMAGIC, OPT, 3)
    seeds["go"] = b"\x01" + new + rep(7, 3, struct.pack(">HQH", 0, 1 << 30, 1)) + \
        rep(7, 3, struct.pack(">HIII", 3, 512, 4096, 1 << 25)) + \
        rep(7, 3, struct.pack(">H", 1) + b"root@0123456789abcdef") + \
        rep(7, 3, struct.pack(">H", 2) + b"a root") + rep(7, 1)
    seeds["err"] = b"\x00" + new + rep(7, (1 << 31) + 6, b"no such export")
    seeds["tls"] = b"\x00" + new + rep(7, (1 << 31) + 5, b"TLS required")
    seeds["unsup"] = b"\x02" + new + rep(7, (1 << 31) + 1) + struct.pack(">QH", 1 << 20, 1) + b"\0" * 124
    seeds["old"] = b"\x00" + struct.pack(">QQQI", NBDMAGIC, 0x00420281861253, 1 << 20, 1) + b"\0" * 124
elif target == "fuzz-probe":
    seeds["squashfs"] = b"hsqs" + b"\0" * 92
    ext = bytearray(2048)
    ext[1024 + 56:1024 + 58] = b"\x53\xef"
    ext[1024 + 96] = 0x40
    seeds["ext4"] = bytes(ext)
    iso = bytearray(0x8010)
    iso[0x8001:0x8006] = b"CD001"
    seeds["iso"] = bytes(iso)
elif target == "fuzz-verity-sb":
    def sb(dbs, hbs, blocks, salt):
        return (b"verity\0\0" + struct.pack("<II", 1, 1) + bytes(16) + b"sha256".ljust(32, b"\0") +
                struct.pack("<IIQH", dbs, hbs, blocks, len(salt)) + bytes(6) + salt.ljust(256, b"\0") +
                bytes(168))
    seeds["sb"] = struct.pack("<Q", 303104) + sb(4096, 4096, 74, bytes(range(32)))
    seeds["nosalt"] = struct.pack("<Q", 1 << 20) + sb(4096, 512, 256, b"")
elif target == "fuzz-pxebootsrv-config":
    for f in sorted(glob.glob(os.path.join(src, "tests/fixtures/pxebootsrv/*.conf"))):
        text = open(f, "rb").read()
        sel = b"\x01" if b"PXEBOOTSRV_" in text else b"\x00"
        seeds[os.path.basename(f)] = sel + text
else:
    sys.exit("seeds.sh: no seeds for " + target)
for k, v in seeds.items():
    open(os.path.join(d, "seed-" + k), "wb").write(v)
EOP
