#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A switch port on a tagged VLAN, for tests/e2e/boot-net.sh.

Hand-written because the kernels tests run on need not have VLANs at all
(no 8021q, no bridge vlan_filtering), while the client under test, a QEMU
guest with its own kernel, must see real 802.1Q tags. QEMU's NICs use
"-netdev socket,udp=" (one Ethernet frame per datagram); this switch
forwards frames tagged with VID between them and a tap device whose
host side carries the server's address, untagged. Untagged frames and other
VLANs from the clients are dropped: the server is reachable only on VID.

Usage: vlan-switch.py TAP VID PIDFILE LOCAL-PORT:QEMU-PORT...
"""
import fcntl
import os
import select
import socket
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
TPID = b"\x81\x00"


def main():
    tap_name, vid, pidfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    tap = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", tap_name.encode(), IFF_TAP | IFF_NO_PI))
    ports = []
    for spec in sys.argv[4:]:
        local, remote = (int(p) for p in spec.split(":"))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", local))
        ports.append((s, ("127.0.0.1", remote)))
    tag = TPID + struct.pack("!H", vid)
    where = {}  # source MAC -> port index, learnt from tagged frames
    dropped = 0
    with open(pidfile + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(pidfile + ".tmp", pidfile)
    socks = {s.fileno(): i for i, (s, _) in enumerate(ports)}
    while True:
        ready, _, _ = select.select([tap] + list(socks), [], [])
        for fd in ready:
            if fd == tap:
                frame = os.read(tap, 65536)
                tagged = frame[:12] + tag + frame[12:]
                out = where.get(frame[:6])
                for i, (s, addr) in enumerate(ports):
                    if out is None or out == i:
                        s.sendto(tagged, addr)
                continue
            i = socks[fd]
            frame, _ = ports[i][0].recvfrom(65536)
            if len(frame) < 18 or frame[12:14] != TPID or (
                    struct.unpack("!H", frame[14:16])[0] & 0x0FFF) != vid:
                dropped += 1
                continue
            where[frame[6:12]] = i
            os.write(tap, frame[:12] + frame[16:])


if __name__ == "__main__":
    main()
