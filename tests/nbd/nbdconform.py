#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""NBD protocol conformance checks, spoken in raw bytes.

Holds a server to doc/proto.md of the NBD project: each check is named, opens
its own connections, and where the protocol says the connection stays open
after an error it ends with a read that must still return the right bytes.

usage: nbdconform.py (--port PORT [--host H] | --unix PATH) --image FILE
                     [--export NAME] [--sparse-image FILE --sparse-export NAME]
                     [--require FEATURES] [--lenient] [--xfail REGEX]
                     [--only REGEX] [--list]

FEATURES (comma separated): what this server must offer, so that a missing
feature fails instead of skipping: sr, df, meta, holes, cache, flush,
multi-conn, read-only, list, block-size; private-writes: each client's writes
are its own (copy-on-write overlays), checked on a writable export.
--lenient reports SHOULD-level and policy shortcomings as warnings (for peers).
Output is TAP; the exit status is 1 if any check failed.
"""

import argparse
import os
import random
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbdproto import *  # noqa: E402,F401,F403

KiB = 1024
MiB = 1024 * 1024

CHECKS = []


def check(name):
    def deco(fn):
        CHECKS.append((name, fn))
        return fn
    return deco


class Suite:
    def __init__(self, args):
        self.args = args
        self.target = Target(args.host, args.port, args.unix)
        st = self.target
        if args.sparse_port or args.sparse_unix:
            st = Target(args.host, args.sparse_port, args.sparse_unix)
        self.sparse_target = st
        self.export = args.export
        with open(args.image, "rb") as f:
            self.image = f.read()
        self.sparse = None
        if args.sparse_image:
            with open(args.sparse_image, "rb") as f:
                self.sparse = f.read()
            self.sparse_path = args.sparse_image
        self.require = set(x for x in (args.require or "").split(",") if x)
        self.rng = random.Random(args.seed)
        self.n = 0
        self.failed = 0
        self.warned = 0
        self.skipped = 0
        self.timeout = args.timeout
        self.probe = None
        self.xfail = re.compile(args.xfail) if args.xfail else None
        self.xfailed = 0

    # -- helpers used by checks ----------------------------------------------
    def conn(self, target=None):
        return Conn(target or self.target, self.timeout)

    def need(self, feature, present, what):
        """Skip (or fail, if the feature is required) when it is absent."""
        if present:
            return
        if feature in self.require:
            raise Fail("%s, but this server must offer it (%s)" % (what, feature), "POLICY")
        raise Skip(what)

    def expect_data(self, r, offset, length, image=None, what="READ"):
        image = self.image if image is None else image
        if r.error:
            raise Fail("%s [%d, +%d) failed: %s" % (what, offset, length, r.describe()))
        want = image[offset:offset + length]
        if r.data is None or len(r.data) != len(want):
            raise Fail("%s [%d, +%d) returned %s bytes" % (
                what, offset, length, None if r.data is None else len(r.data)))
        if r.data != want:
            bad = next(i for i in range(len(want)) if r.data[i] != want[i])
            raise Fail("%s [%d, +%d) returned wrong data from byte %d on"
                       % (what, offset, length, offset + bad))

    def expect_error(self, r, want, what, should_only=True):
        """r must be an error; want (an errno) is what the spec says it SHOULD be."""
        if not r.error:
            raise Fail("%s succeeded, want error %s" % (what, err_name(want)))
        if r.cmd == CMD_READ and r.data:
            raise Fail("%s failed but the reply carried data" % what)
        if want is not None and r.error != want:
            raise Fail("%s failed with %s, want %s" % (what, err_name(r.error), err_name(want)),
                       "SHOULD" if should_only else "MUST")

    def in_sync(self, c, what="after the error"):
        """The connection still works: a read at a random place returns the image's bytes."""
        off = self.rng.randrange(0, max(1, len(self.image) - 4096)) & ~511
        try:
            r = c.read(off, 4096)
        except (Closed, NoAnswer) as e:
            raise Fail("connection not usable %s: %s" % (what, e))
        if r.error or r.data != self.image[off:off + 4096]:
            raise Fail("connection out of sync %s: READ [%d, +4096) gave %s"
                       % (what, off, r.describe() if r.error else "wrong data"))

    def opt_in_sync(self, c, what="after the error"):
        """During the handshake: GO on the default export then read."""
        try:
            rtype, rdata, _, _ = c.go(self.export)
        except (Closed, NoAnswer) as e:
            raise Fail("handshake not usable %s: %s" % (what, e))
        if rtype != REP_ACK:
            raise Fail("GO failed %s: %s" % (what, rep_name(rtype)))
        self.in_sync(c, what)

    def server_alive(self, what):
        try:
            with self.conn() as c:
                c.go_default(self.export)
                self.in_sync(c, what)
        except (Closed, NoAnswer, OSError) as e:
            raise Fail("server no longer serves a fresh client %s: %s" % (what, e))

    def max_read(self):
        bs = self.probe["block"]
        mx = bs[2] if bs else 0xFFFFFFFF
        return min(32 * MiB, mx)

    def min_block(self):
        bs = self.probe["block"]
        return bs[0] if bs else 1

    # -- running ---------------------------------------------------------------
    def emit(self, ok, name, msg=""):
        self.n += 1
        print(("ok" if ok else "not ok") + " %d - %s%s" % (self.n, name, msg), flush=True)

    def run_one(self, name, fn):
        t0 = time.monotonic()
        try:
            fn(self)
        except Skip as e:
            self.skipped += 1
            self.emit(True, name, " # SKIP %s" % e)
            return
        except Fail as e:
            if self.xfail and self.xfail.search(name):
                self.xfailed += 1
                self.emit(False, name, " # TODO known deviation of this server: %s" % e)
            elif self.args.lenient and e.level != "MUST":
                self.warned += 1
                self.emit(True, name, " # WARN (%s) %s" % (e.level, e))
            else:
                self.failed += 1
                self.emit(False, name, ": %s%s" % ("" if e.level == "MUST" else
                                                   "[%s] " % e.level, e))
            return
        except (Closed, NoAnswer, OSError) as e:
            msg = ("unexpected close: %s" if isinstance(e, Closed) else "%s") % e
            if self.xfail and self.xfail.search(name):
                self.xfailed += 1
                self.emit(False, name, " # TODO known deviation of this server: %s" % msg)
            else:
                self.failed += 1
                self.emit(False, name, ": %s" % msg)
            return
        if self.args.verbose:
            print("#   %.2fs" % (time.monotonic() - t0))
        self.emit(True, name)

    def run(self):
        print("# server %s, export %r, image %d bytes" % (self.target, self.export,
                                                           len(self.image)))
        self.run_one("probe", Suite.do_probe)
        if self.probe is None:
            print("Bail out! the server cannot be probed")
            return 1
        only = re.compile(self.args.only) if self.args.only else None
        for name, fn in CHECKS:
            if only and not only.search(name):
                continue
            self.run_one(name, fn)
        print("1..%d" % self.n)
        print("# %d passed, %d failed, %d skipped, %d warnings, %d known deviations" % (
            self.n - self.failed - self.skipped - self.xfailed, self.failed, self.skipped,
            self.warned, self.xfailed))
        return 1 if self.failed else 0

    def do_probe(self):
        """Learn what the server offers: size, flags, block sizes, structured replies,
        meta contexts. Everything else is judged against this."""
        p = {"block": None, "sr": False, "meta": False, "name": None}
        with self.conn() as c:
            hf = c.handshake()
            if not hf & FLAG_FIXED_NEWSTYLE:
                raise Fail("server does not offer fixed newstyle (handshake flags 0x%x)" % hf)
            p["sr"] = c.structured_reply() == REP_ACK
            if p["sr"]:
                rtype, ctxs = c.meta_context(OPT_LIST_META_CONTEXT, self.export, [])
                p["meta"] = rtype == REP_ACK and any(n == "base:allocation" for _, n in ctxs)
            # GO, not INFO: INFO is checked against GO separately.
            rtype, rdata, infos, _ = c.go(self.export, [INFO_BLOCK_SIZE, INFO_NAME,
                                                        INFO_DESCRIPTION])
            if rtype != REP_ACK:
                raise Fail("GO %r failed: %s %r" % (self.export, rep_name(rtype), rdata))
            size, tflags = struct.unpack(">QH", infos[INFO_EXPORT])
            if INFO_BLOCK_SIZE in infos:
                p["block"] = struct.unpack(">III", infos[INFO_BLOCK_SIZE])
        p["size"], p["tflags"] = size, tflags
        if size != len(self.image):
            raise Fail("export size %d, but the image has %d bytes" % (size, len(self.image)))
        print("# size %d, flags %s, block sizes %s, structured replies %s, "
              "base:allocation %s" % (size, tflags_str(tflags), p["block"], p["sr"], p["meta"]))
        self.probe = p


# ---------------------------------------------------------------------------
# Handshake
# ---------------------------------------------------------------------------

@check("greeting: newstyle magics, only defined handshake flags")
def _(s):
    with s.conn() as c:
        hf = c.greeting()
        if hf & ~(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES):
            raise Fail("handshake flags 0x%x set undefined bits (server MUST NOT)" % hf)
        if not hf & FLAG_FIXED_NEWSTYLE:
            raise Fail("NBD_FLAG_FIXED_NEWSTYLE not set")


@check("fixed newstyle: GO on the named export, then read")
def _(s):
    with s.conn() as c:
        c.go_default(s.export)
        if not c.tflags & TF_HAS_FLAGS:
            raise Fail("transmission flags 0x%x lack NBD_FLAG_HAS_FLAGS (MUST be 1)" % c.tflags)
        if c.size != len(s.image):
            raise Fail("GO says size %d, image has %d" % (c.size, len(s.image)))
        s.in_sync(c, "after GO")


@check("fixed newstyle: GO on the empty name is the default export")
def _(s):
    with s.conn() as c:
        c.go_default(b"")
        if c.size != len(s.image):
            raise Fail("default export has size %d, the first image %d" % (c.size, len(s.image)))
        r = c.read(0, 65536)
        s.expect_data(r, 0, 65536)


@check("fixed newstyle: no zero padding after GO")
def _(s):
    with s.conn() as c:
        c.handshake(FLAG_C_FIXED_NEWSTYLE)  # no NO_ZEROES: GO must not pad anyway
        rtype, _, _, _ = c.go(s.export)
        if rtype != REP_ACK:
            raise Fail("GO failed: %s" % rep_name(rtype))
        s.in_sync(c, "right after GO (a padding byte would desync the reply)")


@check("plain newstyle: client flags 0, EXPORT_NAME '' (BusyBox style)")
def _(s):
    with s.conn() as c:
        c.greeting()
        c.client_flags(0)
        size, tflags = c.export_name(b"")
        if size != len(s.image):
            raise Fail("size %d, want %d" % (size, len(s.image)))
        if not tflags & TF_HAS_FLAGS:
            raise Fail("transmission flags 0x%x lack HAS_FLAGS" % tflags)
        r = c.read(0, 4096)
        s.expect_data(r, 0, 4096)
        s.in_sync(c, "after EXPORT_NAME")


@check("plain newstyle: client flags 0, EXPORT_NAME by name")
def _(s):
    with s.conn() as c:
        c.greeting()
        c.client_flags(0)
        c.export_name(s.export)
        s.in_sync(c, "after EXPORT_NAME")


@check("fixed newstyle: EXPORT_NAME with 124 zero bytes")
def _(s):
    with s.conn() as c:
        c.handshake(FLAG_C_FIXED_NEWSTYLE)
        c.export_name(s.export)
        s.in_sync(c, "after EXPORT_NAME with padding")


@check("NO_ZEROES: EXPORT_NAME reply has no padding")
def _(s):
    with s.conn() as c:
        hf = c.greeting()
        if not hf & FLAG_NO_ZEROES:
            raise Skip("server does not offer NBD_FLAG_NO_ZEROES")
        c.client_flags(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)
        c.export_name(s.export)
        # A read sent right away: any padding would now be taken as the reply.
        s.in_sync(c, "after EXPORT_NAME without padding")


@check("plain newstyle with NO_ZEROES only (client flags 2)")
def _(s):
    with s.conn() as c:
        hf = c.greeting()
        if not hf & FLAG_NO_ZEROES:
            raise Skip("server does not offer NBD_FLAG_NO_ZEROES")
        c.client_flags(FLAG_C_NO_ZEROES)
        c.export_name(b"")
        s.in_sync(c, "after EXPORT_NAME")


@check("unknown client flags: server closes")
def _(s):
    for flags in (1 << 31, 1 << 2, FLAG_C_FIXED_NEWSTYLE | (1 << 9)):
        with s.conn() as c:
            c.greeting()
            c.client_flags(flags)
            # Follow with a valid option: a server that ignored the flags answers it.
            c.send_option(OPT_LIST)
            try:
                got = c.wait_eof()
            except NoAnswer as e:
                raise Fail("client flags 0x%x: %s (server MUST drop the connection)" % (flags, e))
            if got:
                raise Fail("client flags 0x%x: server answered (%d bytes) before closing; "
                           "it MUST drop the connection" % (flags, len(got)))


@check("client NO_ZEROES without the server offering it: server closes")
def _(s):
    with s.conn() as c:
        hf = c.greeting()
        if hf & FLAG_NO_ZEROES:
            raise Skip("server offers NO_ZEROES")
        c.client_flags(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)
        c.send_option(OPT_LIST)
        if c.wait_eof():
            raise Fail("server answered instead of dropping the connection")


@check("unknown option: ERR_UNSUP, then still in sync")
def _(s):
    with s.conn() as c:
        c.handshake()
        for opt, data in ((0x7FFF0001, b""), (0x12345678, b"hello, world"),
                          (4, b"peek"), (0x7FFFFFFF, bytes(100))):
            rtype, rdata, partial = c.option(opt, data)
            if partial:
                raise Fail("option %d: %d partial replies" % (opt, len(partial)))
            if rtype != REP_ERR_UNSUP:
                raise Fail("unknown option 0x%x got %s, want ERR_UNSUP" % (opt, rep_name(rtype)))
        s.opt_in_sync(c, "after unknown options")


@check("unknown option with 1 MiB of data: skipped, or connection closed")
def _(s):
    with s.conn() as c:
        c.handshake()
        try:
            rtype, _, _ = c.option(0x7FFF0002, os.urandom(MiB))
        except Closed:
            s.server_alive("after a 1 MiB option")
            return
        if rtype != REP_ERR_UNSUP and rtype not in (REP_ERR_TOO_BIG, REP_ERR_INVALID):
            raise Fail("got %s, want ERR_UNSUP" % rep_name(rtype))
        s.opt_in_sync(c, "after a 1 MiB unknown option")


@check("oversized option length (4 GiB - 1, no data): error or close, no wait")
def _(s):
    for opt in (0x7FFF0003, OPT_GO, OPT_LIST):
        with s.conn() as c:
            c.handshake()
            c.send_option(opt, b"", length=0xFFFFFFFF)
            c.send(bytes(64))
            try:
                got = c.wait_eof(5)
            except NoAnswer:
                raise Fail("option %d with length 0xffffffff: the server waits for 4 GiB "
                           "of option data instead of refusing it" % opt, "SHOULD")
            if len(got) >= 20:
                magic, ropt, rtype, _ = struct.unpack(">QIII", got[:20])
                if magic != OPT_REPLY_MAGIC or not rtype & REP_ERR:
                    raise Fail("option %d with length 0xffffffff got a non-error answer" % opt)
    s.server_alive("after oversized option lengths")


@check("export name over 4096 bytes: error and in sync, or close")
def _(s):
    for opt in (OPT_INFO, OPT_GO):
        with s.conn() as c:
            c.handshake()
            try:
                rtype, _, _, _ = c.info(b"x" * 5000, [], opt)
            except Closed:
                continue
            if rtype == REP_ACK:
                raise Fail("%s with a 5000-byte name succeeded" % OPT_NAMES[opt])
            s.opt_in_sync(c, "after a 5000-byte export name")
    with s.conn() as c:
        c.greeting()
        c.client_flags(FLAG_C_FIXED_NEWSTYLE)
        c.send_option(OPT_EXPORT_NAME, b"y" * 5000)
        try:
            got = c.wait_eof()
        except NoAnswer as e:
            raise Fail("EXPORT_NAME with a 5000-byte unknown name: %s" % e)
        if got:
            raise Fail("EXPORT_NAME with a 5000-byte unknown name: server sent %d bytes "
                       "instead of closing" % len(got))


@check("export name of 4096 bytes (unknown): ERR_UNKNOWN, in sync")
def _(s):
    with s.conn() as c:
        c.handshake()
        rtype, _, infos, partial = c.info(b"n" * 4096)
        if rtype == REP_ACK:
            raise Fail("INFO for an unknown 4096-byte name succeeded")
        if rtype != REP_ERR_UNKNOWN:
            raise Fail("got %s, want ERR_UNKNOWN" % rep_name(rtype), "SHOULD")
        s.opt_in_sync(c)


@check("GO with a name length beyond the option: ERR_INVALID, in sync")
def _(s):
    with s.conn() as c:
        c.handshake()
        bad = struct.pack(">I", 200) + b"abc" + struct.pack(">H", 0)
        rtype, _, partial = c.option(OPT_INFO, bad)
        if rtype == REP_ACK:
            raise Fail("INFO with name length 200 in 9 bytes of data succeeded")
        if rtype != REP_ERR_INVALID:
            raise Fail("got %s, want ERR_INVALID" % rep_name(rtype), "SHOULD")
        # Info request count beyond the data.
        bad = struct.pack(">I", 0) + struct.pack(">H", 40) + struct.pack(">H", 0)
        rtype, _, partial = c.option(OPT_INFO, bad)
        if rtype == REP_ACK:
            raise Fail("INFO claiming 40 info requests in 2 bytes succeeded")
        s.opt_in_sync(c)


@check("option flood: 3000 options in turn are all answered, or capped by a close")
def _(s):
    answered = 0
    with s.conn() as c:
        c.handshake()
        try:
            for i in range(3000):
                if i % 2:
                    rtype, _, _ = c.option(0x7FFF0000 + i)
                    if rtype != REP_ERR_UNSUP:
                        raise Fail("option %d answered %s" % (i, rep_name(rtype)))
                else:
                    rtype, _, _, _ = c.info(s.export, [INFO_BLOCK_SIZE])
                    if rtype != REP_ACK:
                        raise Fail("INFO %d answered %s" % (i, rep_name(rtype)))
                answered += 1
        except Closed:
            if answered < 32:
                raise Fail("server closed after only %d options (a cap that low breaks "
                           "real clients)" % answered)
        else:
            s.opt_in_sync(c, "after 3000 options")
    s.server_alive("after an option flood")


@check("option flood pipelined (protocol violation): others still served")
def _(s):
    with s.conn() as c:
        c.handshake()
        flood = struct.pack(">QII", IHAVEOPT, OPT_INFO, 6) + struct.pack(">IH", 0, 0)
        # 40000 options sent without reading a reply: the server's replies back up.
        try:
            c.sock.settimeout(5)
            for _ in range(20):
                c.sock.sendall(flood * 2000)
        except (socket.timeout, BrokenPipeError, ConnectionResetError):
            pass
        c.sock.settimeout(c.timeout)
        # While that connection is stuck, another client must be served.
        s.server_alive("while a client floods options without reading")
    s.server_alive("after an option flood")


@check("INFO and GO agree (size, flags, block sizes)")
def _(s):
    want = [INFO_BLOCK_SIZE, INFO_NAME, INFO_DESCRIPTION]
    with s.conn() as c:
        c.handshake()
        r1, _, i1, _ = c.info(s.export, want)
        if r1 != REP_ACK:
            raise Fail("INFO failed: %s" % rep_name(r1))
        r2, _, i2, _ = c.go(s.export, want)
        if r2 != REP_ACK:
            raise Fail("GO failed: %s" % rep_name(r2))
        for t in sorted(set(i1) | set(i2)):
            if i1.get(t) != i2.get(t):
                raise Fail("information type %d differs: INFO %r, GO %r"
                           % (t, i1.get(t), i2.get(t)))
        s.in_sync(c, "after INFO then GO")
    with s.conn() as c:
        c.handshake()
        _, _, i3, _ = c.info(b"", [])
        if i3.get(INFO_EXPORT) != i1.get(INFO_EXPORT):
            raise Fail("INFO '' and INFO %r differ in size/flags" % s.export)


@check("INFO replies are well formed (NAME, DESCRIPTION, BLOCK_SIZE)")
def _(s):
    with s.conn() as c:
        c.handshake()
        rtype, _, infos, raw = c.info(s.export, [INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE])
        if rtype != REP_ACK:
            raise Fail("INFO failed: %s" % rep_name(rtype))
        if INFO_BLOCK_SIZE in infos:
            mn, pref, mx = struct.unpack(">III", infos[INFO_BLOCK_SIZE])
            size = len(s.image)
            if mn == 0 or mn & (mn - 1) or mn > 65536:
                raise Fail("minimum block size %d: MUST be a power of 2, at most 65536" % mn)
            if pref & (pref - 1) or pref < max(mn, 512):
                raise Fail("preferred block size %d: MUST be a power of 2 >= max(min, 512)"
                           % pref)
            if mx != 0xFFFFFFFF and mx % mn:
                raise Fail("maximum block size %d: MUST be a multiple of the minimum %d"
                           % (mx, mn))
            if mx < min(pref, size):
                raise Fail("maximum block size %d < min(preferred, size)" % mx)
            if mx < min(MiB, size):
                raise Fail("maximum block size %d < 1 MiB" % mx, "SHOULD")
            if size % mn:
                raise Fail("export size %d is not a multiple of the minimum block size %d"
                           % (size, mn), "SHOULD")
        else:
            s.need("block-size", False, "server sends no NBD_INFO_BLOCK_SIZE")
        if INFO_NAME in infos:
            name = infos[INFO_NAME]
            with s.conn() as c2:
                c2.handshake()
                r2, _, _, _ = c2.info(name, [])
                if r2 != REP_ACK:
                    raise Fail("NBD_INFO_NAME %r is not a name INFO accepts (%s)"
                               % (name, rep_name(r2)))
        for t in (INFO_NAME, INFO_DESCRIPTION):
            if t in infos:
                try:
                    infos[t].decode("utf-8")
                except UnicodeDecodeError:
                    raise Fail("information type %d is not UTF-8" % t)
                if b"\0" in infos[t]:
                    raise Fail("information type %d contains NUL" % t)


@check("INFO/GO on an unknown export: ERR_UNKNOWN, in sync")
def _(s):
    with s.conn() as c:
        c.handshake()
        for opt in (OPT_INFO, OPT_GO):
            rtype, _, _, raw = c.info(b"no-such-export-here", [], opt)
            if rtype == REP_ACK:
                raise Fail("%s on an unknown export succeeded" % OPT_NAMES[opt])
            if rtype == REP_ERR_TLS_REQD:
                raise Fail("%s answered ERR_TLS_REQD, forbidden without TLS" % OPT_NAMES[opt])
            if rtype != REP_ERR_UNKNOWN:
                raise Fail("%s on an unknown export: %s, want ERR_UNKNOWN"
                           % (OPT_NAMES[opt], rep_name(rtype)), "SHOULD")
            if raw:
                raise Fail("%s on an unknown export sent INFO replies (SHOULD NOT)"
                           % OPT_NAMES[opt], "SHOULD")
        s.opt_in_sync(c)


@check("EXPORT_NAME on an unknown export: server closes")
def _(s):
    with s.conn() as c:
        c.handshake(FLAG_C_FIXED_NEWSTYLE)
        c.send_option(OPT_EXPORT_NAME, b"no-such-export-here")
        try:
            got = c.wait_eof()
        except NoAnswer as e:
            raise Fail("%s (server MUST terminate the session)" % e)
        if got:
            raise Fail("server sent %d bytes instead of closing" % len(got))


@check("LIST: names the export, then ACK; with data: ERR_INVALID")
def _(s):
    with s.conn() as c:
        c.handshake()
        rtype, rdata, partial = c.option(OPT_LIST)
        if rtype == REP_ERR_POLICY:
            s.need("list", False, "LIST refused by policy")
        if rtype != REP_ACK:
            raise Fail("LIST ended with %s" % rep_name(rtype))
        names = []
        for t, d in partial:
            if t != REP_SERVER:
                raise Fail("LIST reply %s, want SERVER" % rep_name(t))
            (ln,) = struct.unpack(">I", d[:4])
            if ln > len(d) - 4:
                raise Fail("SERVER reply name length %d > reply length - 4" % ln)
            names.append(d[4:4 + ln])
        if s.export.encode() not in names:
            raise Fail("LIST does not name %r (got %r)" % (s.export, names))
        rtype, _, partial = c.option(OPT_LIST, b"junk")
        if rtype == REP_ACK:
            raise Fail("LIST with data succeeded", "SHOULD")
        if rtype != REP_ERR_INVALID:
            raise Fail("LIST with data: %s, want ERR_INVALID" % rep_name(rtype), "SHOULD")
        s.opt_in_sync(c, "after LIST")


@check("ABORT: ACK, then the session ends")
def _(s):
    with s.conn() as c:
        c.handshake()
        c.send_option(OPT_ABORT)
        try:
            rtype, _ = c.option_reply(OPT_ABORT)
        except Closed:
            raise Fail("server closed without ACK to ABORT (MUST reply ACK)")
        if rtype != REP_ACK:
            raise Fail("ABORT answered %s, want ACK" % rep_name(rtype))
    with s.conn() as c:
        c.handshake()
        c.send_option(OPT_ABORT, b"ignored")
        rtype, _ = c.option_reply(OPT_ABORT)
        if rtype != REP_ACK:
            raise Fail("ABORT with data answered %s; server SHOULD ignore the data"
                       % rep_name(rtype), "SHOULD")


@check("STARTTLS without TLS configured: ERR_POLICY or ERR_UNSUP, in sync")
def _(s):
    with s.conn() as c:
        c.handshake()
        rtype, _, partial = c.option(OPT_STARTTLS)
        if rtype == REP_ACK:
            raise Skip("server offers TLS (STARTTLS acknowledged)")
        if rtype not in (REP_ERR_POLICY, REP_ERR_UNSUP, REP_ERR_PLATFORM):
            raise Fail("STARTTLS answered %s, want ERR_POLICY or ERR_UNSUP" % rep_name(rtype))
        rtype, _, partial = c.option(OPT_STARTTLS, b"data")
        if rtype == REP_ACK:
            raise Fail("STARTTLS with data acknowledged")
        s.opt_in_sync(c, "after STARTTLS was refused")


@check("no option is ever answered ERR_TLS_REQD without TLS")
def _(s):
    with s.conn() as c:
        c.handshake()
        for opt, data in ((OPT_LIST, b""), (OPT_INFO, Conn.go_data(s.export)),
                          (OPT_STRUCTURED_REPLY, b""), (0x7FFF0010, b"")):
            rtype, _, _ = c.option(opt, data)
            if rtype == REP_ERR_TLS_REQD:
                raise Fail("%s answered ERR_TLS_REQD" % OPT_NAMES.get(opt, opt))


@check("STRUCTURED_REPLY: ACK (or ERR_UNSUP); with data: ERR_INVALID")
def _(s):
    with s.conn() as c:
        c.handshake()
        rtype, _, _ = c.option(OPT_STRUCTURED_REPLY, b"xx")
        if rtype == REP_ACK:
            raise Fail("STRUCTURED_REPLY with data was acknowledged", "SHOULD")
        if rtype != REP_ERR_INVALID and rtype != REP_ERR_UNSUP:
            raise Fail("STRUCTURED_REPLY with data: %s, want ERR_INVALID" % rep_name(rtype),
                       "SHOULD")
        rtype = c.structured_reply()
        s.need("sr", rtype == REP_ACK, "structured replies not supported")
        s.opt_in_sync(c, "after STRUCTURED_REPLY")


@check("SET_META_CONTEXT before STRUCTURED_REPLY: ERR_INVALID")
def _(s):
    s.need("meta", s.probe["meta"], "no base:allocation")
    with s.conn() as c:
        c.handshake()
        rtype, ctxs = c.meta_context(OPT_SET_META_CONTEXT, s.export, ["base:allocation"])
        if rtype == REP_ACK and ctxs:
            raise Fail("meta context selected without structured replies", "SHOULD")
        if rtype != REP_ERR_INVALID:
            raise Fail("got %s, want ERR_INVALID" % rep_name(rtype), "SHOULD")
        s.opt_in_sync(c)


@check("LIST_META_CONTEXT: base:allocation, by all and by 'base:'")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    s.need("meta", s.probe["meta"], "no base:allocation")
    with s.conn() as c:
        c.handshake()
        c.structured_reply()
        for q in ([], ["base:"], ["base:allocation"]):
            rtype, ctxs = c.meta_context(OPT_LIST_META_CONTEXT, s.export, q)
            if rtype != REP_ACK:
                raise Fail("LIST_META_CONTEXT %r: %s" % (q, rep_name(rtype)))
            if "base:allocation" not in [n for _, n in ctxs]:
                raise Fail("LIST_META_CONTEXT %r does not list base:allocation (%r)" % (q, ctxs))
        rtype, ctxs = c.meta_context(OPT_LIST_META_CONTEXT, s.export, ["x-nosuch:thing"])
        if rtype != REP_ACK or ctxs:
            raise Fail("unknown namespace: %s %r, want a bare ACK (MUST ignore)"
                       % (rep_name(rtype), ctxs))
        s.opt_in_sync(c)


@check("SET_META_CONTEXT: base:allocation selected; unknown ones ignored")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    s.need("meta", s.probe["meta"], "no base:allocation")
    with s.conn() as c:
        c.handshake()
        c.structured_reply()
        for q in (["x-nosuch:thing"], ["base:nosuchleaf"], ["base:"], []):
            rtype, ctxs = c.meta_context(OPT_SET_META_CONTEXT, s.export, q)
            if rtype != REP_ACK or ctxs:
                raise Fail("SET_META_CONTEXT %r: %s %r, want a bare ACK (MUST ignore)"
                           % (q, rep_name(rtype), ctxs))
        rtype, ctxs = c.meta_context(OPT_SET_META_CONTEXT, s.export,
                                     ["x-nosuch:a", "base:allocation"])
        if rtype != REP_ACK or [n for _, n in ctxs] != ["base:allocation"]:
            raise Fail("SET_META_CONTEXT base:allocation: %s %r" % (rep_name(rtype), ctxs))
        s.opt_in_sync(c)


@check("LIST_META_CONTEXT with a query beyond the option: ERR_INVALID")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    s.need("meta", s.probe["meta"], "no base:allocation")
    with s.conn() as c:
        c.handshake()
        c.structured_reply()
        name = s.export.encode()
        bad = struct.pack(">I", len(name)) + name + struct.pack(">II", 1, 500) + b"base:"
        rtype, _, partial = c.option(OPT_LIST_META_CONTEXT, bad)
        if rtype != REP_ERR_INVALID:
            raise Fail("got %s, want ERR_INVALID (MUST)" % rep_name(rtype))
        bad = struct.pack(">I", 999) + name
        rtype, _, partial = c.option(OPT_SET_META_CONTEXT, bad)
        if rtype != REP_ERR_INVALID:
            raise Fail("SET_META_CONTEXT with name length beyond the option: %s, "
                       "want ERR_INVALID" % rep_name(rtype), "SHOULD")
        s.opt_in_sync(c)


# ---------------------------------------------------------------------------
# Transmission
# ---------------------------------------------------------------------------

def transmission_flags_honoured(s, c):
    f = c.tflags
    if f & ~TF_KNOWN:
        raise Fail("undefined transmission flags set: %s" % tflags_str(f & ~TF_KNOWN))
    if f & TF_SEND_DF and not c.sr:
        raise Fail("NBD_FLAG_SEND_DF set without structured replies (MUST be clear)")
    if f & TF_SEND_FAST_ZERO and not f & TF_SEND_WRITE_ZEROES:
        raise Fail("SEND_FAST_ZERO without SEND_WRITE_ZEROES")
    if f & TF_SEND_RESIZE:
        raise Fail("SEND_RESIZE (experimental) advertised", "SHOULD")
    if f & TF_SEND_FLUSH:
        r = c.cmd(CMD_FLUSH)
        if r.error:
            raise Fail("SEND_FLUSH advertised but FLUSH failed: %s" % r.describe())
    if f & TF_SEND_FUA:
        r = c.read(0, 512, CMDF_FUA)
        if r.error:
            raise Fail("SEND_FUA advertised but READ with FUA failed (MUST accept): %s"
                       % r.describe())
    if f & TF_SEND_CACHE:
        r = c.cmd(CMD_CACHE, 0, 65536)
        if r.error:
            raise Fail("SEND_CACHE advertised but CACHE failed: %s" % r.describe(), "SHOULD")
    if f & TF_SEND_DF:
        r = c.read(0, 65536, CMDF_DF)
        s.expect_data(r, 0, 65536, what="READ with DF")
        if r.content_chunks != 1:
            raise Fail("READ with DF got %d content chunks, MUST be one" % r.content_chunks)
    if f & (TF_SEND_TRIM | TF_SEND_WRITE_ZEROES) and f & TF_READ_ONLY:
        pass  # advertising is allowed; the commands must still fail (checked below)
    s.in_sync(c, "after exercising the advertised flags")


@check("advertised transmission flags are honoured (simple replies)")
def _(s):
    with s.conn() as c:
        c.go_default(s.export)
        transmission_flags_honoured(s, c)
        if "read-only" in s.require and not c.tflags & TF_READ_ONLY:
            raise Fail("read-only export without NBD_FLAG_READ_ONLY", "POLICY")
        s.need("multi-conn", c.tflags & TF_CAN_MULTI_CONN, "no NBD_FLAG_CAN_MULTI_CONN")
        s.need("flush", c.tflags & TF_SEND_FLUSH, "no NBD_FLAG_SEND_FLUSH")
        s.need("cache", c.tflags & TF_SEND_CACHE, "no NBD_FLAG_SEND_CACHE")


@check("advertised transmission flags are honoured (structured replies)")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    with s.conn() as c:
        c.go_default(s.export, sr=True)
        transmission_flags_honoured(s, c)
        s.need("df", c.tflags & TF_SEND_DF, "no NBD_FLAG_SEND_DF with structured replies")


@check("EXPORT_NAME and GO give the same size and flags")
def _(s):
    with s.conn() as c:
        c.handshake(FLAG_C_FIXED_NEWSTYLE)
        a = c.export_name(s.export)
    with s.conn() as c:
        c.go_default(s.export)
        b = (c.size, c.tflags)
    if a != b:
        raise Fail("EXPORT_NAME gave size %d flags %s, GO size %d flags %s"
                   % (a[0], tflags_str(a[1]), b[0], tflags_str(b[1])))


def read_pattern(s):
    size = len(s.image)
    mb = s.min_block()
    out = [(0, 512), (4096, 4096), (size - 512, 512), (size - 65536, 65536),
           (MiB, MiB), (3 * MiB + 512, 128 * KiB)]
    if mb <= 1:
        out += [(1, 1), (12345, 7777), (size - 1, 1)]
    for _ in range(20):
        ln = s.rng.choice([512, 4096, 65536, 256 * KiB]) if mb > 1 else s.rng.randrange(1, 300000)
        out.append((s.rng.randrange(0, size - ln) // mb * mb, ln))
    return out


@check("READ returns the image's bytes (simple replies)")
def _(s):
    with s.conn() as c:
        c.go_default(s.export)
        for off, ln in read_pattern(s):
            s.expect_data(c.read(off, ln), off, ln)


@check("READ returns the image's bytes (structured replies)")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    with s.conn() as c:
        c.go_default(s.export, sr=True)
        for off, ln in read_pattern(s):
            s.expect_data(c.read(off, ln), off, ln)


@check("READ of the whole image in maximum-size requests")
def _(s):
    step = s.max_read()
    with s.conn() as c:
        c.go_default(s.export)
        off = 0
        while off < len(s.image):
            ln = min(step, len(s.image) - off)
            s.expect_data(c.read(off, ln), off, ln)
            off += ln


@check("unaligned READ honours the advertised minimum block size")
def _(s):
    mb = s.min_block()
    with s.conn() as c:
        c.go_default(s.export)
        r = c.read(1, 1000)
        if mb > 1:
            s.expect_error(r, EINVAL, "unaligned READ with minimum block %d" % mb)
        else:
            s.expect_data(r, 1, 1000, what="unaligned READ")
        s.in_sync(c)


def out_of_range_cases(size):
    return [(size, 512, "at the end"), (size - 512, 1024, "across the end"),
            (size + 4096, 4096, "past the end"), (1 << 63, 512, "at 2^63"),
            ((1 << 64) - 512, 1024, "wrapping past 2^64"),
            ((1 << 64) - 4096, 4096, "ending exactly at 2^64")]


@check("READ out of range: EINVAL, in sync (simple replies)")
def _(s):
    with s.conn() as c:
        c.go_default(s.export)
        for off, ln, what in out_of_range_cases(len(s.image)):
            s.expect_error(c.read(off, ln), EINVAL, "READ %s (offset %d, length %d)"
                           % (what, off, ln))
        s.in_sync(c)


@check("READ out of range: error chunk EINVAL, in sync (structured replies)")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    with s.conn() as c:
        c.go_default(s.export, sr=True)
        for off, ln, what in out_of_range_cases(len(s.image)):
            r = c.read(off, ln)
            s.expect_error(r, EINVAL, "READ %s" % what)
            if r.content_chunks:
                raise Fail("READ %s failed but sent %d content chunks" % (what, r.content_chunks))
        s.in_sync(c)


@check("READ of length 0: answered without disconnect")
def _(s):
    with s.conn() as c:
        c.go_default(s.export)
        r = c.read(0, 0)
        if r.data:
            raise Fail("zero-length READ returned %d bytes" % len(r.data))
        s.in_sync(c, "after a zero-length READ")


@check("READ of 4 GiB - 1: EINVAL and in sync, or close")
def _(s):
    for off in (0, 4096):
        with s.conn() as c:
            c.go_default(s.export)
            h = c.request(CMD_READ, off, 0xFFFFFFFF)
            try:
                r = c.wait(h)
            except Closed:
                continue
            s.expect_error(r, EINVAL, "READ of 0xffffffff bytes at %d" % off)
            s.in_sync(c, "after a 4 GiB READ")
    s.server_alive("after 4 GiB READs")


@check("READ of 4 GiB - 1 with structured replies: error, in sync or close")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    with s.conn() as c:
        c.go_default(s.export, sr=True)
        h = c.request(CMD_READ, 0, 0xFFFFFFFF)
        try:
            r = c.wait(h)
        except Closed:
            return
        if not r.error:
            raise Fail("READ of 0xffffffff bytes succeeded on a %d-byte export" % len(s.image))
        s.in_sync(c)


def read_only_writes(s, c):
    for cmd, flags, data, what in (
            (CMD_WRITE, 0, os.urandom(4096), "WRITE 4 KiB"),
            (CMD_WRITE, 0, os.urandom(MiB), "WRITE 1 MiB"),
            (CMD_WRITE, CMDF_FUA if c.tflags & TF_SEND_FUA else 0, b"\xAA" * 512, "WRITE+FUA"),
            (CMD_TRIM, 0, b"", "TRIM"),
            (CMD_WRITE_ZEROES, 0, b"", "WRITE_ZEROES")):
        ln = len(data) if data else 65536
        r = c.cmd(cmd, 0, ln, flags, data)
        if not r.error:
            raise Fail("%s on a read-only export succeeded (MUST error)" % what)
        if r.error != EPERM:
            advertised = {CMD_TRIM: TF_SEND_TRIM, CMD_WRITE_ZEROES: TF_SEND_WRITE_ZEROES}
            if cmd in advertised and not c.tflags & advertised[cmd] and r.error == EINVAL:
                pass  # not advertised: EINVAL is as good an answer
            else:
                raise Fail("%s on a read-only export: %s, want EPERM" % (what, err_name(r.error)),
                           "SHOULD")
    s.in_sync(c, "after refused writes")
    r = c.read(0, MiB)
    s.expect_data(r, 0, MiB, what="READ after refused writes (the image must be unchanged)")


@check("WRITE/TRIM/WRITE_ZEROES on a read-only export: EPERM, in sync")
def _(s):
    with s.conn() as c:
        c.go_default(s.export)
        if not c.tflags & TF_READ_ONLY:
            raise Skip("export is not read-only")
        read_only_writes(s, c)


@check("WRITE on a read-only export with structured replies: EPERM, in sync")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    with s.conn() as c:
        c.go_default(s.export, sr=True)
        if not c.tflags & TF_READ_ONLY:
            raise Skip("export is not read-only")
        read_only_writes(s, c)


@check("unknown command types: EINVAL, in sync")
def _(s):
    for sr in (False, True):
        if sr and not s.probe["sr"]:
            continue
        with s.conn() as c:
            c.go_default(s.export, sr=sr)
            for typ in (9, 0x55, 0x7FFF, 0xFFFF):
                r = c.cmd(typ, 0, 512)
                s.expect_error(r, EINVAL, "command type %d" % typ)
            s.in_sync(c)


@check("unknown command flags: EINVAL, in sync")
def _(s):
    with s.conn() as c:
        c.go_default(s.export)
        cases = [(1 << 15, "bit 15"), (1 << 7, "bit 7"), (CMDF_REQ_ONE, "REQ_ONE on READ"),
                 (CMDF_NO_HOLE, "NO_HOLE on READ")]
        if not c.tflags & TF_SEND_DF:
            cases.append((CMDF_DF, "DF without SEND_DF"))
        for flags, what in cases:
            r = c.read(0, 4096, flags)
            if not r.error:
                raise Fail("READ with %s succeeded, want EINVAL" % what, "SHOULD")
            s.expect_error(r, EINVAL, "READ with %s" % what)
        s.in_sync(c)


def is_error_reply(b):
    """b is exactly one simple or structured reply carrying an error."""
    if len(b) == 16:
        magic, err, _ = struct.unpack(">IIQ", b)
        return magic == SIMPLE_MAGIC and err != 0
    if len(b) >= 26:
        magic, _, typ, _, ln = struct.unpack(">IHHQI", b[:20])
        return magic == STRUCTURED_MAGIC and typ & 0x8000 and ln == len(b) - 20
    return False


@check("bad request magic: server closes")
def _(s):
    for magic in (0xDEADBEEF, 0x12560953, 0x25609514):
        with s.conn() as c:
            c.go_default(s.export)
            _, b = c.request_bytes(CMD_READ, 0, 512, magic=magic, track=False)
            c.send(b)
            try:
                got = c.wait_eof()
            except NoAnswer as e:
                raise Fail("request magic 0x%08x: %s" % (magic, e))
            if got and not is_error_reply(got):
                raise Fail("request magic 0x%08x: server sent %d bytes before closing, "
                           "and they are not an error reply" % (magic, len(got)))
    s.server_alive("after bad magic")


def pipelined(s, sr):
    size = len(s.image)
    mb = s.min_block()
    with s.conn() as c:
        c.go_default(s.export, sr=sr)
        reqs = []
        blob = bytearray()
        used = set()
        for i in range(300):
            while True:
                h = s.rng.choice([s.rng.getrandbits(64), i, (1 << 64) - 1 - i])
                if h not in used:
                    break
            used.add(h)
            kind = s.rng.random()
            if kind < 0.1:
                off, ln, bad = size + 4096 * (i + 1), 4096, True
            else:
                ln = s.rng.choice([512, 4096, 65536, 131072])
                off, bad = s.rng.randrange(0, size - ln) // mb * mb, False
            hh, b = c.request_bytes(CMD_READ, off, ln, handle=h)
            blob += b
            reqs.append((h, off, ln, bad))
        c.send(bytes(blob))
        got = c.wait_all([h for h, _, _, _ in reqs])
        for h, off, ln, bad in reqs:
            r = got[h]
            if bad:
                s.expect_error(r, EINVAL, "pipelined out-of-range READ (handle 0x%x)" % h)
            else:
                s.expect_data(r, off, ln, what="pipelined READ (handle 0x%x)" % h)
        s.in_sync(c, "after 300 pipelined requests")


@check("pipelined: 300 requests in flight, replies matched by handle (simple)")
def _(s):
    pipelined(s, False)


@check("pipelined: 300 requests in flight, replies matched by handle (structured)")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    pipelined(s, True)


@check("DISC with requests in flight: every reply arrives, then close")
def _(s):
    with s.conn() as c:
        c.go_default(s.export)
        blob = bytearray()
        hs = []
        for i in range(16):
            h, b = c.request_bytes(CMD_READ, i * MiB, MiB)
            hs.append(h)
            blob += b
        _, b = c.request_bytes(CMD_DISC, track=False)
        blob += b
        c.send(bytes(blob))
        got = c.wait_all(hs)
        for i, h in enumerate(hs):
            s.expect_data(got[h], i * MiB, MiB, what="READ in flight at DISC")
        try:
            extra = c.wait_eof()
        except NoAnswer as e:
            raise Fail("after DISC: %s" % e)
        if extra:
            raise Fail("server sent %d bytes after the last reply to DISC" % len(extra))


@check("DISC alone: server closes")
def _(s):
    with s.conn() as c:
        c.go_default(s.export)
        c.disc()
        if c.wait_eof():
            raise Fail("server answered DISC (there is no reply to DISC)")


@check("FLUSH succeeds when advertised")
def _(s):
    with s.conn() as c:
        c.go_default(s.export)
        s.need("flush", c.tflags & TF_SEND_FLUSH, "SEND_FLUSH not advertised")
        for _ in range(3):
            r = c.cmd(CMD_FLUSH)
            if r.error:
                raise Fail("FLUSH failed: %s" % r.describe())
        s.in_sync(c)


@check("CACHE: succeeds when advertised, in sync either way")
def _(s):
    size = len(s.image)
    with s.conn() as c:
        c.go_default(s.export)
        adv = c.tflags & TF_SEND_CACHE
        r = c.cmd(CMD_CACHE, 0, 4 * MiB)
        if adv and r.error:
            raise Fail("CACHE [0, 4 MiB) failed: %s" % r.describe())
        r = c.cmd(CMD_CACHE, size - 4096, 4096)
        if adv and r.error:
            raise Fail("CACHE of the last 4 KiB failed: %s" % r.describe())
        r = c.cmd(CMD_CACHE, size + 4096, 4096)
        if adv and not r.error:
            raise Fail("CACHE past the end succeeded", "SHOULD")
        if adv:
            r = c.cmd(CMD_CACHE, 0, 4096, 1 << 12)
            if not r.error:
                raise Fail("CACHE with an unknown flag succeeded (MUST reject when advertised)")
        s.in_sync(c, "after CACHE")
        s.need("cache", adv, "SEND_CACHE not advertised")


@check("BLOCK_STATUS without a meta context: EINVAL, in sync")
def _(s):
    for sr in (False, True):
        if sr and not s.probe["sr"]:
            continue
        with s.conn() as c:
            c.go_default(s.export, sr=sr)
            r = c.cmd(CMD_BLOCK_STATUS, 0, 4096)
            s.expect_error(r, EINVAL, "BLOCK_STATUS without a meta context")
            s.in_sync(c)


def sparse_conn(s, meta=None, sr=True):
    if s.sparse is None:
        raise Skip("no sparse image given")
    c = s.conn(s.sparse_target)
    try:
        ctx = c.go_default(s.args.sparse_export, sr=sr, meta=meta)
    except Exception:
        c.close()
        raise
    return c, ctx


def file_holes(path):
    """(start, end) of the holes of a file, from SEEK_HOLE/SEEK_DATA."""
    holes = []
    with open(path, "rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        pos = 0
        while pos < size:
            try:
                h = os.lseek(fd, pos, os.SEEK_HOLE)
            except OSError:
                return []
            if h >= size:
                break
            try:
                d = os.lseek(fd, h, os.SEEK_DATA)
            except OSError:
                d = size
            holes.append((h, d))
            pos = d
    return holes


@check("BLOCK_STATUS base:allocation: extents are valid and holes are holes")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    s.need("meta", s.probe["meta"], "no base:allocation")
    c, ctx = sparse_conn(s, ["base:allocation"])
    with c:
        cid = ctx[0][0]
        size = len(s.sparse)
        if c.size != size:
            raise Fail("sparse export size %d, image %d" % (c.size, size))
        extents = []
        off = 0
        while off < size:
            ln = min(size - off, 0xFFFFFFFF & ~4095)
            r = c.cmd(CMD_BLOCK_STATUS, off, ln)
            if r.error:
                raise Fail("BLOCK_STATUS [%d, +%d): %s" % (off, ln, r.describe()))
            if r.kind != "structured" or list(r.status) != [cid]:
                raise Fail("BLOCK_STATUS reply has chunks for contexts %r, want exactly [%d]"
                           % (list(r.status), cid))
            ext = r.status[cid]
            total = sum(e[0] for e in ext[:-1])
            if total >= ln:
                raise Fail("the first N-1 extents cover %d >= requested %d" % (total, ln))
            for e_len, flags in ext:
                extents.append((off, min(e_len, size - off), flags))
                off += e_len
                if off >= size:
                    break
        for e_off, e_len, flags in extents:
            if flags & STATE_ZERO and s.sparse[e_off:e_off + e_len].count(0) != e_len:
                raise Fail("extent [%d, +%d) is reported ZERO but holds data" % (e_off, e_len))
        holes = file_holes(s.sparse_path)
        if not holes:
            raise Skip("the file system holds no holes in the sparse image")
        for h0, h1 in holes:
            # Allow the server to round to 64 KiB inside each hole.
            a, b = (h0 + 65535) & ~65535, h1 & ~65535
            if b <= a:
                continue
            for e_off, e_len, flags in extents:
                if e_off < b and a < e_off + e_len and not flags & STATE_HOLE:
                    raise Fail("hole [%d, %d) reported as data (extent [%d, +%d) flags %d)"
                               % (h0, h1, e_off, e_len, flags), "SHOULD")


@check("BLOCK_STATUS with REQ_ONE: one extent, not past the request")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    s.need("meta", s.probe["meta"], "no base:allocation")
    c, ctx = sparse_conn(s, ["base:allocation"])
    with c:
        cid = ctx[0][0]
        for off, ln in ((0, len(s.sparse)), (MiB + 512, 8192), (0, 512)):
            r = c.cmd(CMD_BLOCK_STATUS, off, ln, CMDF_REQ_ONE)
            if r.error:
                raise Fail("BLOCK_STATUS REQ_ONE [%d, +%d): %s" % (off, ln, r.describe()))
            ext = r.status.get(cid, [])
            if len(ext) != 1:
                raise Fail("REQ_ONE reply has %d extents, MUST be one" % len(ext))
            if ext[0][0] > ln:
                raise Fail("REQ_ONE extent of %d bytes exceeds the request (%d)" % (ext[0][0], ln))


@check("BLOCK_STATUS out of range: EINVAL, in sync")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    s.need("meta", s.probe["meta"], "no base:allocation")
    c, ctx = sparse_conn(s, ["base:allocation"])
    with c:
        size = len(s.sparse)
        for off, ln in ((size, 4096), (size + MiB, 512), ((1 << 64) - 512, 1024)):
            r = c.cmd(CMD_BLOCK_STATUS, off, ln)
            s.expect_error(r, EINVAL, "BLOCK_STATUS [%d, +%d)" % (off, ln))
        r = c.read(0, 65536)
        s.expect_data(r, 0, 65536, s.sparse, "READ after BLOCK_STATUS errors")


@check("structured READ across holes reassembles to the image")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    c, _ = sparse_conn(s)
    with c:
        size = len(s.sparse)
        off = 0
        step = min(s.max_read(), 8 * MiB)
        while off < size:
            ln = min(step, size - off)
            s.expect_data(c.read(off, ln), off, ln, s.sparse, "structured READ of the sparse image")
            off += ln


@check("DF: one content chunk, data and hole mixed as OFFSET_DATA")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    c, _ = sparse_conn(s)
    with c:
        s.need("df", c.tflags & TF_SEND_DF, "SEND_DF not advertised")
        holes = file_holes(s.sparse_path)
        spots = [(0, 65536)]
        for h0, h1 in holes[:2]:
            if h0 >= 32768:
                spots.append((h0 - 32768, 65536))
            spots.append((h0, min(65536, h1 - h0)))
        for off, ln in spots:
            r = c.read(off, ln, CMDF_DF)
            s.expect_data(r, off, ln, s.sparse, "READ with DF")
            if r.content_chunks != 1:
                raise Fail("READ with DF [%d, +%d) got %d content chunks (MUST be at most one)"
                           % (off, ln, r.content_chunks))
            whole = s.sparse[off:off + ln]
            if r.holes and whole.count(0) != len(whole):
                raise Fail("READ with DF over data and hole used OFFSET_HOLE (MUST use "
                           "OFFSET_DATA)")


# ---------------------------------------------------------------------------
# Writable exports (nbdexport --cow, or a peer serving a scratch copy)
# ---------------------------------------------------------------------------

def expect_bytes(r, want, what):
    if r.error:
        raise Fail("%s failed: %s" % (what, r.describe()))
    if r.data != want:
        raise Fail("%s returned other bytes than were written" % what)


def writable_conn(s, sr):
    c = s.conn()
    try:
        c.go_default(s.export, sr=sr)
    except Exception:
        c.close()
        raise
    if c.tflags & TF_READ_ONLY:
        c.close()
        raise Skip("export is read-only")
    return c


def writes(s, sr):
    size = len(s.image)
    with writable_conn(s, sr) as c:
        base = size - 4 * MiB
        data = os.urandom(MiB)
        r = c.cmd(CMD_WRITE, base, len(data), 0, data)
        if r.error:
            raise Fail("WRITE of 1 MiB failed: %s" % r.describe())
        expect_bytes(c.read(base, MiB), data, "READ back after WRITE")
        # Unaligned small write in the middle of the written area.
        if s.min_block() <= 1:
            r = c.cmd(CMD_WRITE, base + 1000, 3, 0, b"abc")
            if r.error:
                raise Fail("unaligned WRITE of 3 bytes failed: %s" % r.describe())
            data = data[:1000] + b"abc" + data[1003:]
            expect_bytes(c.read(base, 4096), data[:4096], "READ back after an unaligned WRITE")
        if c.tflags & TF_SEND_FUA:
            r = c.cmd(CMD_WRITE, base, 4096, CMDF_FUA, data[:4096])
            if r.error:
                raise Fail("WRITE with FUA failed: %s" % r.describe())
        if c.tflags & TF_SEND_FLUSH:
            r = c.cmd(CMD_FLUSH)
            if r.error:
                raise Fail("FLUSH after writes failed: %s" % r.describe())
        if c.tflags & TF_SEND_WRITE_ZEROES:
            r = c.cmd(CMD_WRITE_ZEROES, base + MiB, 65536)
            if r.error:
                raise Fail("WRITE_ZEROES failed: %s" % r.describe())
            r = c.read(base + MiB, 65536)
            if r.error or r.data != bytes(65536):
                raise Fail("READ after WRITE_ZEROES is not all zero")
        if c.tflags & TF_SEND_TRIM:
            r = c.cmd(CMD_TRIM, base + 2 * MiB, 65536)
            if r.error:
                raise Fail("TRIM failed: %s" % r.describe())
        # Past the end: an error, the payload consumed, the stream in sync.
        r = c.cmd(CMD_WRITE, size - 512, 4096, 0, os.urandom(4096))
        s.expect_error(r, ENOSPC, "WRITE across the end")
        r = c.cmd(CMD_WRITE, (1 << 64) - 512, 1024, 0, os.urandom(1024))
        if not r.error:
            raise Fail("WRITE wrapping past 2^64 succeeded")
        s.expect_data(c.read(0, 65536), 0, 65536, what="READ of unwritten data after writes")
        expect_bytes(c.read(base, MiB), data, "READ back at the end")


@check("writable: WRITE, FUA, FLUSH, WRITE_ZEROES, TRIM, errors in sync (simple)")
def _(s):
    writes(s, False)


@check("writable: WRITE, FUA, FLUSH, WRITE_ZEROES, TRIM, errors in sync (structured)")
def _(s):
    s.need("sr", s.probe["sr"], "no structured replies")
    writes(s, True)


@check("writable: each client has its own overlay; the image is untouched")
def _(s):
    if "private-writes" not in s.require:
        raise Skip("overlays are not private to a client on this server")
    size = len(s.image)
    with writable_conn(s, False) as a, writable_conn(s, False) as b:
        data = os.urandom(65536)
        r = a.cmd(CMD_WRITE, 0, 65536, 0, data)
        if r.error:
            raise Fail("WRITE failed: %s" % r.describe())
        r = b.read(0, 65536)
        s.expect_data(r, 0, 65536, what="another client's READ of data the first overwrote")
        if a.read(0, 65536).data != data:
            raise Fail("the writer does not read back its own data")
    with open(s.args.image, "rb") as f:
        if f.read(65536) != s.image[:65536]:
            raise Fail("the image file itself was changed by a client's write")
    with s.conn() as c:
        c.go_default(s.export)
        s.expect_data(c.read(0, 65536), 0, 65536, what="a new client's READ after the writer left")
    del size


@check("multi-conn: 4 connections read in parallel, same bytes")
def _(s):
    errors = []
    size = len(s.image)

    def worker(i):
        try:
            with s.conn() as c:
                c.go_default(s.export)
                rng = random.Random(i)
                for _ in range(40):
                    off = rng.randrange(0, size - 65536) & ~511
                    s.expect_data(c.read(off, 65536), off, 65536)
        except Exception as e:  # reported below
            errors.append("connection %d: %s" % (i, e))
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    if errors:
        raise Fail("; ".join(errors))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--unix")
    ap.add_argument("--export", default="")
    ap.add_argument("--image", required=True)
    ap.add_argument("--sparse-image")
    ap.add_argument("--sparse-export", default="")
    ap.add_argument("--sparse-port", type=int)
    ap.add_argument("--sparse-unix")
    ap.add_argument("--require", default="")
    ap.add_argument("--lenient", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--xfail", help="checks (regex) known to fail on this server: reported, "
                    "not counted")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.list:
        for name, _ in CHECKS:
            print(name)
        return 0
    if not args.port and not args.unix:
        ap.error("give --port or --unix")
    return Suite(args).run()


if __name__ == "__main__":
    sys.exit(main())
