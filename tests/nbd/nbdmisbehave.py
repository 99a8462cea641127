#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Misbehaving NBD clients, all at once, for a bounded time.

While a well-behaved client reads (run by the caller), these clients send
garbage, dribble a handshake a byte at a time (slowloris), connect and say
nothing, drop the connection in the middle of a reply, ask for 4 GiB reads and
writes, flood options without reading, and pipeline huge reads that they
never read. The server must drop or answer each of them without ever stopping
service to the others.

usage: nbdmisbehave.py (--port P | --unix PATH) --export NAME --image FILE
                       [--seconds S] [--stop-file PATH]
Runs until --seconds pass or --stop-file exists. Prints what each kind of
client did; exits 1 if the server did something no client may see (a
successful reply to garbage, wrong data) or stopped accepting connections.
"""

import argparse
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbdproto import *  # noqa: E402,F401,F403

MiB = 1 << 20


class Run:
    def __init__(self, args):
        self.args = args
        self.target = Target("127.0.0.1", args.port, args.unix)
        self.deadline = time.monotonic() + args.seconds
        self.lock = threading.Lock()
        self.counts = {}
        self.problems = []
        self.held = []

    def going(self):
        if self.args.stop_file and os.path.exists(self.args.stop_file):
            return False
        return time.monotonic() < self.deadline

    def count(self, kind, what):
        with self.lock:
            self.counts.setdefault(kind, {}).setdefault(what, 0)
            self.counts[kind][what] += 1

    def problem(self, msg):
        with self.lock:
            self.problems.append(msg)

    def conn(self, timeout=10):
        return Conn(self.target, timeout)

    def go(self, c):
        c.handshake()
        rtype, _, _, _ = c.go(self.args.export)
        if rtype != REP_ACK:
            raise Fail("GO failed: %s" % rep_name(rtype))


def abrupt_close(c):
    """Close with a RST, as a client that crashed or lost power would."""
    try:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    c.close()


def garbage(run):
    while run.going():
        try:
            with run.conn() as c:
                c.recv(18, "greeting")
                c.send(os.urandom(65536))
                got = c.wait_eof(15)
                run.count("garbage", "closed by server" + (" after an answer" if got else ""))
        except (Closed, OSError):
            run.count("garbage", "reset")
        except NoAnswer:
            run.count("garbage", "server kept the connection (no close in 15s)")


def garbage_in_transmission(run):
    while run.going():
        try:
            with run.conn() as c:
                run.go(c)
                c.send(os.urandom(4096))
                got = c.wait_eof(15)
                if got and len(got) >= 8:
                    magic, err = struct.unpack(">II", got[:8])
                    if magic == SIMPLE_MAGIC and err == 0:
                        run.problem("garbage request got a successful reply")
                run.count("garbage after GO", "closed by server")
        except (Closed, OSError):
            run.count("garbage after GO", "reset")
        except NoAnswer:
            run.problem("garbage after GO: the server neither closed nor answered in 15s")


def slowloris(run):
    """Hold a connection, sending the handshake one byte per second."""
    msg = struct.pack(">I", 1) + struct.pack(">QII", IHAVEOPT, OPT_GO, 6) + struct.pack(">IH", 0, 0)
    while run.going():
        try:
            with run.conn(timeout=2) as c:
                c.recv(18, "greeting")
                for b in msg[:-1]:
                    if not run.going():
                        break
                    c.send(bytes([b]))
                    time.sleep(1)
                run.count("slowloris", "held to the end" if not run.going() else
                          "sent all but the last byte")
        except (Closed, OSError, NoAnswer):
            run.count("slowloris", "dropped by the server")
            time.sleep(0.5)


def idle(run):
    """Connect and say nothing."""
    while run.going():
        try:
            with run.conn(timeout=1) as c:
                while run.going():
                    try:
                        if not c.sock.recv(4096):
                            run.count("idle", "dropped by the server")
                            break
                    except socket.timeout:
                        continue
                else:
                    run.count("idle", "held to the end")
        except (OSError, Closed):
            run.count("idle", "refused")
            time.sleep(0.5)


def mid_reply(run):
    """Ask for 64 MiB in flight, take 1 MiB of it, vanish."""
    while run.going():
        try:
            c = run.conn()
            run.go(c)
            size = c.size
            blob = b""
            for i in range(16):
                _, b = c.request_bytes(CMD_READ, (i * 4 * MiB) % (size - 4 * MiB), 4 * MiB)
                blob += b
            c.send(blob)
            c.recv(MiB)
            abrupt_close(c)
            run.count("disconnect mid-reply", "done")
        except (Closed, OSError, NoAnswer) as e:
            run.count("disconnect mid-reply", "failed: %s" % type(e).__name__)
            time.sleep(0.2)


def huge_lengths(run):
    while run.going():
        try:
            with run.conn() as c:
                run.go(c)
                h = c.request(CMD_READ, 0, 0xFFFFFFFF)
                try:
                    r = c.wait(h)
                    if not r.error:
                        run.problem("4 GiB READ succeeded")
                    run.count("4 GiB read", "error reply")
                except Closed:
                    run.count("4 GiB read", "closed by server")
            with run.conn() as c:
                run.go(c)
                _, b = c.request_bytes(CMD_WRITE, 0, 0xFFFFFFFF, track=False)
                c.send(b + os.urandom(MiB))
                abrupt_close(c)
                run.count("4 GiB write", "sent 1 MiB of it and vanished")
        except (Closed, OSError, NoAnswer) as e:
            run.count("4 GiB", "failed: %s" % type(e).__name__)
            time.sleep(0.2)


def never_reads(run):
    """Pipeline 2 GiB of reads and never read a byte of the replies."""
    try:
        c = run.conn(timeout=5)
        run.go(c)
        size = c.size
        blob = b""
        for i in range(64):
            _, b = c.request_bytes(CMD_READ, 0, min(32 * MiB, size), track=False)
            blob += b
        c.send(blob)
        run.held.append(c)
        run.count("never reads", "2 GiB requested, nothing read")
    except (Closed, OSError, NoAnswer) as e:
        run.count("never reads", "failed: %s" % type(e).__name__)


def option_flood(run):
    while run.going():
        try:
            with run.conn(timeout=5) as c:
                c.handshake()
                one = struct.pack(">QII", IHAVEOPT, 0x7FFF0000, 0)
                for _ in range(50):
                    c.sock.sendall(one * 2000)
                    if not run.going():
                        break
                run.count("option flood", "100000 options sent")
        except (Closed, OSError, NoAnswer, socket.timeout):
            run.count("option flood", "stopped by the server")
            time.sleep(0.2)


def prober(run):
    """A fresh, honest client every half second: the door must stay open."""
    fails = 0
    while run.going():
        t0 = time.monotonic()
        try:
            with run.conn(timeout=10) as c:
                run.go(c)
                r = c.read(MiB, 4096)
                with open(run.args.image, "rb") as f:
                    f.seek(MiB)
                    want = f.read(4096)
                if r.error or r.data != want:
                    run.problem("honest client got %s" % ("an error" if r.error else "wrong data"))
                run.count("honest prober", "served")
                with run.lock:
                    run.probe_max = max(getattr(run, "probe_max", 0), time.monotonic() - t0)
        except (Closed, OSError, NoAnswer, Fail) as e:
            fails += 1
            run.problem("honest client not served: %s" % e)
        time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int)
    ap.add_argument("--unix")
    ap.add_argument("--export", default="")
    ap.add_argument("--image", required=True)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--stop-file")
    ap.add_argument("--only", help="comma separated kinds to run (default: all)")
    args = ap.parse_args()
    run = Run(args)
    kinds = ([garbage] * 2 + [garbage_in_transmission] + [slowloris] * 20 + [idle] * 50
             + [mid_reply] * 2 + [huge_lengths] + [option_flood] + [prober])
    if args.only:
        want = args.only.split(",")
        kinds = [k for k in kinds if k.__name__ in want or k is prober]
    threads = [threading.Thread(target=k, args=(run,), daemon=True) for k in kinds]
    for _ in range(4 if not args.only or "never_reads" in args.only else 0):
        never_reads(run)
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.seconds + 60)
    for c in run.held:
        c.close()
    for kind in sorted(run.counts):
        print("%-22s %s" % (kind, ", ".join("%s: %d" % kv for kv in sorted(run.counts[kind].items()))))
    print("honest prober: slowest connect+GO+read %.3fs" % getattr(run, "probe_max", -1))
    for p in run.problems[:20]:
        print("PROBLEM: %s" % p)
    if not run.counts.get("honest prober", {}).get("served"):
        print("PROBLEM: the honest prober was never served")
        return 1
    return 1 if run.problems else 0


if __name__ == "__main__":
    sys.exit(main())
