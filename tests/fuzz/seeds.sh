#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Write a few valid sessions for a fuzz target into a corpus directory, so the
# fuzzer starts from inputs that reach deep into the protocol.
# usage: tests/fuzz/seeds.sh fuzz-handshake|fuzz-transmission DIR
set -eu
target=$1 dir=$2
mkdir -p "$dir"
exec /usr/bin/env python3 - "$target" "$dir" <<'EOP'
import struct, sys, os
target, d = sys.argv[1], sys.argv[2]
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
else:
    seeds["ro"] = b"\x00" + req(0, 0, 4096) + req(0, 4096, 300000, h=2) + req(1, 0, 4) + b"abcd" + req(3, 0, 0) + req(5, 0, 65536) + req(2, 0, 0)
    seeds["sr"] = b"\x0c" + req(0, 100, 1000, 4) + req(7, 0, 8192, 8) + req(0, 1 << 40, 1) + req(9, 0, 0)
    seeds["rw"] = b"\x11" + req(1, 10, 8, 1) + b"12345678" + req(6, 0, 9000, 2) + req(4, 0, 4096) + req(3, 0, 0)
    seeds["cow"] = b"\x36" + req(1, 4000, 200) + b"x" * 200 + req(0, 3900, 500) + req(6, 8192, 4097) + req(7, 0, 65536) + req(1, 262144, 123) + b"y" * 123
for k, v in seeds.items():
    open(os.path.join(d, "seed-" + k), "wb").write(v)
EOP
