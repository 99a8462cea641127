# SPDX-License-Identifier: GPL-2.0-or-later
#
# A small NBD client speaking raw bytes, for tests: it sends exactly what it
# is told to (including what a well-behaved client never would) and checks
# what comes back against the protocol (doc/proto.md of the NBD project).
# Standard library only.

import socket
import struct
import time

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
OPT_REPLY_MAGIC = 0x3E889045565A9
REQUEST_MAGIC = 0x25609513
SIMPLE_MAGIC = 0x67446698
STRUCTURED_MAGIC = 0x668E33EF

# Handshake flags (server) and client flags.
FLAG_FIXED_NEWSTYLE = 1 << 0
FLAG_NO_ZEROES = 1 << 1
FLAG_C_FIXED_NEWSTYLE = 1 << 0
FLAG_C_NO_ZEROES = 1 << 1

# Options.
OPT_EXPORT_NAME = 1
OPT_ABORT = 2
OPT_LIST = 3
OPT_STARTTLS = 5
OPT_INFO = 6
OPT_GO = 7
OPT_STRUCTURED_REPLY = 8
OPT_LIST_META_CONTEXT = 9
OPT_SET_META_CONTEXT = 10
OPT_EXTENDED_HEADERS = 11

OPT_NAMES = {
    1: "EXPORT_NAME", 2: "ABORT", 3: "LIST", 5: "STARTTLS", 6: "INFO", 7: "GO",
    8: "STRUCTURED_REPLY", 9: "LIST_META_CONTEXT", 10: "SET_META_CONTEXT",
    11: "EXTENDED_HEADERS",
}

# Option reply types.
REP_ACK = 1
REP_SERVER = 2
REP_INFO = 3
REP_META_CONTEXT = 4
REP_ERR = 1 << 31
REP_ERR_UNSUP = REP_ERR | 1
REP_ERR_POLICY = REP_ERR | 2
REP_ERR_INVALID = REP_ERR | 3
REP_ERR_PLATFORM = REP_ERR | 4
REP_ERR_TLS_REQD = REP_ERR | 5
REP_ERR_UNKNOWN = REP_ERR | 6
REP_ERR_SHUTDOWN = REP_ERR | 7
REP_ERR_BLOCK_SIZE_REQD = REP_ERR | 8
REP_ERR_TOO_BIG = REP_ERR | 9

REP_NAMES = {
    REP_ACK: "ACK", REP_SERVER: "SERVER", REP_INFO: "INFO",
    REP_META_CONTEXT: "META_CONTEXT", REP_ERR_UNSUP: "ERR_UNSUP",
    REP_ERR_POLICY: "ERR_POLICY", REP_ERR_INVALID: "ERR_INVALID",
    REP_ERR_PLATFORM: "ERR_PLATFORM", REP_ERR_TLS_REQD: "ERR_TLS_REQD",
    REP_ERR_UNKNOWN: "ERR_UNKNOWN", REP_ERR_SHUTDOWN: "ERR_SHUTDOWN",
    REP_ERR_BLOCK_SIZE_REQD: "ERR_BLOCK_SIZE_REQD", REP_ERR_TOO_BIG: "ERR_TOO_BIG",
}

# Information types.
INFO_EXPORT = 0
INFO_NAME = 1
INFO_DESCRIPTION = 2
INFO_BLOCK_SIZE = 3

# Transmission flags.
TF_HAS_FLAGS = 1 << 0
TF_READ_ONLY = 1 << 1
TF_SEND_FLUSH = 1 << 2
TF_SEND_FUA = 1 << 3
TF_ROTATIONAL = 1 << 4
TF_SEND_TRIM = 1 << 5
TF_SEND_WRITE_ZEROES = 1 << 6
TF_SEND_DF = 1 << 7
TF_CAN_MULTI_CONN = 1 << 8
TF_SEND_RESIZE = 1 << 9
TF_SEND_CACHE = 1 << 10
TF_SEND_FAST_ZERO = 1 << 11
TF_BLOCK_STAT_PAYLOAD = 1 << 12
TF_KNOWN = (1 << 12) - 1

TF_NAMES = [
    "HAS_FLAGS", "READ_ONLY", "SEND_FLUSH", "SEND_FUA", "ROTATIONAL", "SEND_TRIM",
    "SEND_WRITE_ZEROES", "SEND_DF", "CAN_MULTI_CONN", "SEND_RESIZE", "SEND_CACHE",
    "SEND_FAST_ZERO", "BLOCK_STAT_PAYLOAD",
]

# Commands and command flags.
CMD_READ = 0
CMD_WRITE = 1
CMD_DISC = 2
CMD_FLUSH = 3
CMD_TRIM = 4
CMD_CACHE = 5
CMD_WRITE_ZEROES = 6
CMD_BLOCK_STATUS = 7

CMD_NAMES = {0: "READ", 1: "WRITE", 2: "DISC", 3: "FLUSH", 4: "TRIM", 5: "CACHE",
             6: "WRITE_ZEROES", 7: "BLOCK_STATUS"}

CMDF_FUA = 1 << 0
CMDF_NO_HOLE = 1 << 1
CMDF_DF = 1 << 2
CMDF_REQ_ONE = 1 << 3
CMDF_FAST_ZERO = 1 << 4

# Structured reply flags and types.
REPLY_FLAG_DONE = 1 << 0
RT_NONE = 0
RT_OFFSET_DATA = 1
RT_OFFSET_HOLE = 2
RT_BLOCK_STATUS = 5
RT_ERROR = (1 << 15) | 1
RT_ERROR_OFFSET = (1 << 15) | 2

# Error values.
EPERM = 1
EIO = 5
ENOMEM = 12
EINVAL = 22
ENOSPC = 28
EOVERFLOW = 75
ENOTSUP = 95
ESHUTDOWN = 108
ERRNO_NAMES = {1: "EPERM", 5: "EIO", 12: "ENOMEM", 22: "EINVAL", 28: "ENOSPC",
               75: "EOVERFLOW", 95: "ENOTSUP", 108: "ESHUTDOWN"}

# base:allocation flags.
STATE_HOLE = 1 << 0
STATE_ZERO = 1 << 1


def rep_name(t):
    return REP_NAMES.get(t, "0x%x" % t)


def err_name(e):
    return ERRNO_NAMES.get(e, str(e))


def tflags_str(f):
    names = [n for i, n in enumerate(TF_NAMES) if f & (1 << i)]
    rest = f & ~((1 << len(TF_NAMES)) - 1)
    if rest:
        names.append("0x%x" % rest)
    return "|".join(names) or "0"


class Fail(Exception):
    """A check failed. level is MUST (always a failure), SHOULD or POLICY."""

    def __init__(self, msg, level="MUST"):
        super().__init__(msg)
        self.level = level


class Skip(Exception):
    pass


class Closed(Exception):
    """The server closed the connection (EOF or reset)."""


class NoAnswer(Exception):
    """The server sent nothing within the time limit."""


class Reply:
    """One complete reply to a transmission request."""

    def __init__(self, handle, cmd, offset, length, flags):
        self.handle = handle
        self.cmd = cmd
        self.offset = offset
        self.length = length
        self.flags = flags
        self.kind = None          # "simple" or "structured"
        self.error = 0            # first error seen (simple error or error chunk)
        self.errmsg = b""
        self.data = None          # READ: the data, reassembled
        self.chunks = []          # structured: (flags, type, payload)
        self.content_chunks = 0
        self.holes = []           # structured READ: (offset, length) of OFFSET_HOLE chunks
        self.covered = []         # structured READ: (start, end) ranges described
        self.status = {}          # BLOCK_STATUS: context id -> [(length, flags)]
        self.done = False

    def describe(self):
        if self.error:
            return "error %s%s" % (err_name(self.error),
                                   (" (%r)" % self.errmsg.decode("utf-8", "replace"))
                                   if self.errmsg else "")
        return "success"


class Conn:
    def __init__(self, target, timeout=10.0):
        self.target = target
        self.timeout = timeout
        self.sock = target.connect(timeout)
        self.hflags = None
        self.cflags = None
        self.sr = False
        self.size = None
        self.tflags = None
        self.pending = {}
        self.done = {}
        self.next_handle = 1
        self.rx = 0

    # -- raw I/O -------------------------------------------------------
    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise Closed("server closed the connection while we were sending (%s)" % e)

    def recv(self, n, what="data"):
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.sock.recv(min(n - len(buf), 1 << 20))
            except socket.timeout:
                raise NoAnswer("no %s from the server within %gs (got %d of %d bytes)"
                               % (what, self.timeout, len(buf), n))
            except ConnectionResetError:
                raise Closed("connection reset while reading %s (got %d of %d bytes)"
                             % (what, len(buf), n))
            if not chunk:
                raise Closed("server closed the connection while we waited for %s "
                             "(got %d of %d bytes)" % (what, len(buf), n))
            buf += chunk
        self.rx += n
        return bytes(buf)

    def wait_eof(self, secs=None):
        """Read until EOF; returns what arrived before it. NoAnswer if the
        server keeps the connection open for secs."""
        got = bytearray()
        deadline = time.monotonic() + (secs if secs is not None else self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoAnswer("server did not close the connection within %gs "
                               "(received %d bytes meanwhile)" % (secs or self.timeout, len(got)))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                chunk = b""
            finally:
                self.sock.settimeout(self.timeout)
            if not chunk:
                return bytes(got)
            got += chunk
            if len(got) > (64 << 20):
                raise Fail("server kept sending data (%d bytes) instead of closing" % len(got))

    # -- handshake -----------------------------------------------------
    def greeting(self):
        data = self.recv(18, "greeting")
        magic, opt_magic, hflags = struct.unpack(">QQH", data)
        if magic != NBDMAGIC:
            raise Fail("greeting magic is 0x%016x, want NBDMAGIC" % magic)
        if opt_magic != IHAVEOPT:
            raise Fail("second greeting magic is 0x%016x, want IHAVEOPT (newstyle); "
                       "oldstyle servers are not supported" % opt_magic)
        self.hflags = hflags
        return hflags

    def client_flags(self, flags):
        self.cflags = flags
        self.send(struct.pack(">I", flags))

    def handshake(self, cflags=None):
        """Greeting plus client flags: fixed newstyle, and no zeroes if offered."""
        hf = self.greeting()
        if cflags is None:
            cflags = FLAG_C_FIXED_NEWSTYLE if hf & FLAG_FIXED_NEWSTYLE else 0
            if hf & FLAG_NO_ZEROES:
                cflags |= FLAG_C_NO_ZEROES
        self.client_flags(cflags)
        return hf

    def send_option(self, opt, data=b"", length=None):
        if length is None:
            length = len(data)
        self.send(struct.pack(">QII", IHAVEOPT, opt, length) + data)

    def option_reply(self, opt=None):
        hdr = self.recv(20, "an option reply")
        magic, ropt, rtype, rlen = struct.unpack(">QIII", hdr)
        if magic != OPT_REPLY_MAGIC:
            raise Fail("option reply magic is 0x%x, want 0x%x" % (magic, OPT_REPLY_MAGIC))
        if opt is not None and ropt != opt:
            raise Fail("option reply names option %d, but we sent %s (%d)"
                       % (ropt, OPT_NAMES.get(opt, "?"), opt))
        if rlen > (16 << 20):
            raise Fail("option reply length %d is absurd" % rlen)
        data = self.recv(rlen, "option reply data") if rlen else b""
        return rtype, data

    def option(self, opt, data=b"", length=None):
        """Send one option, collect every reply up to the final one.
        Returns (final reply type, final data, [(type, data) before it])."""
        self.send_option(opt, data, length)
        partial = []
        while True:
            rtype, rdata = self.option_reply(opt)
            if rtype in (REP_SERVER, REP_INFO, REP_META_CONTEXT):
                partial.append((rtype, rdata))
                if len(partial) > 100000:
                    raise Fail("more than 100000 partial replies to one option")
                continue
            return rtype, rdata, partial

    @staticmethod
    def go_data(name, infos=()):
        if isinstance(name, str):
            name = name.encode()
        return (struct.pack(">I", len(name)) + name + struct.pack(">H", len(infos))
                + b"".join(struct.pack(">H", i) for i in infos))

    def info(self, name, infos=(), opt=OPT_INFO):
        """INFO or GO. Returns (final type, final data, parsed infos dict type -> payload,
        raw list). On a successful GO, enters transmission."""
        rtype, rdata, partial = self.option(opt, self.go_data(name, infos))
        parsed = {}
        for t, d in partial:
            if t != REP_INFO:
                raise Fail("reply %s to %s, only INFO is allowed before the final reply"
                           % (rep_name(t), OPT_NAMES[opt]))
            if len(d) < 2:
                raise Fail("INFO reply of %d bytes has no type" % len(d))
            (itype,) = struct.unpack(">H", d[:2])
            if itype in parsed and itype in (INFO_EXPORT, INFO_NAME, INFO_DESCRIPTION,
                                             INFO_BLOCK_SIZE):
                raise Fail("information type %d sent twice (SHOULD appear once)" % itype,
                           "SHOULD")
            parsed[itype] = d[2:]
        if rtype == REP_ACK:
            if INFO_EXPORT not in parsed:
                raise Fail("%s succeeded without NBD_INFO_EXPORT" % OPT_NAMES[opt])
            ex = parsed[INFO_EXPORT]
            if len(ex) != 10:
                raise Fail("NBD_INFO_EXPORT length %d, MUST be 12" % (len(ex) + 2))
            size, tflags = struct.unpack(">QH", ex)
            if opt == OPT_GO:
                self.size, self.tflags = size, tflags
            if INFO_BLOCK_SIZE in parsed and len(parsed[INFO_BLOCK_SIZE]) != 12:
                raise Fail("NBD_INFO_BLOCK_SIZE length %d, MUST be 14"
                           % (len(parsed[INFO_BLOCK_SIZE]) + 2))
        elif not rtype & REP_ERR:
            raise Fail("final reply to %s is %s, want ACK or an error"
                       % (OPT_NAMES[opt], rep_name(rtype)))
        return rtype, rdata, parsed, partial

    def go(self, name, infos=()):
        return self.info(name, infos, OPT_GO)

    def export_name(self, name):
        if isinstance(name, str):
            name = name.encode()
        self.send_option(OPT_EXPORT_NAME, name)
        data = self.recv(10, "the export size and flags after EXPORT_NAME")
        self.size, self.tflags = struct.unpack(">QH", data)
        if not (self.cflags or 0) & FLAG_C_NO_ZEROES:
            pad = self.recv(124, "the 124 zero bytes after EXPORT_NAME")
            if pad != bytes(124):
                raise Fail("the 124 reserved bytes after EXPORT_NAME are not zero")
        return self.size, self.tflags

    def structured_reply(self):
        rtype, rdata, partial = self.option(OPT_STRUCTURED_REPLY)
        if partial:
            raise Fail("STRUCTURED_REPLY got %d unexpected replies" % len(partial))
        if rtype == REP_ACK:
            self.sr = True
        return rtype

    @staticmethod
    def meta_data(name, queries, count=None):
        if isinstance(name, str):
            name = name.encode()
        qs = [q.encode() if isinstance(q, str) else q for q in queries]
        d = struct.pack(">I", len(name)) + name
        d += struct.pack(">I", len(qs) if count is None else count)
        for q in qs:
            d += struct.pack(">I", len(q)) + q
        return d

    def meta_context(self, opt, name, queries):
        """Returns (final type, [(id, name)])."""
        rtype, rdata, partial = self.option(opt, self.meta_data(name, queries))
        ctxs = []
        for t, d in partial:
            if t != REP_META_CONTEXT:
                raise Fail("reply %s to %s" % (rep_name(t), OPT_NAMES[opt]))
            if len(d) < 4:
                raise Fail("META_CONTEXT reply of %d bytes" % len(d))
            (cid,) = struct.unpack(">I", d[:4])
            ctxs.append((cid, d[4:].decode("utf-8", "replace")))
        return rtype, ctxs

    def go_default(self, name=b"", sr=False, meta=None):
        """Handshake, optionally structured replies and meta contexts, then GO."""
        self.handshake()
        if sr:
            if self.structured_reply() != REP_ACK:
                raise Skip("server does not support structured replies")
        ctx = None
        if meta:
            rtype, ctxs = self.meta_context(OPT_SET_META_CONTEXT, name, meta)
            if rtype != REP_ACK or not ctxs:
                raise Skip("server selected no meta context for %s" % meta)
            ctx = ctxs
        rtype, rdata, parsed, _ = self.go(name)
        if rtype != REP_ACK:
            raise Fail("GO %r failed: %s %r" % (name, rep_name(rtype), rdata))
        return ctx

    # -- transmission ----------------------------------------------------
    def request_bytes(self, cmd, offset=0, length=0, flags=0, handle=None, data=b"",
                      magic=REQUEST_MAGIC, track=True):
        if handle is None:
            handle = self.next_handle
            self.next_handle += 1
        if track:
            if handle in self.pending:
                raise RuntimeError("handle %d reused while in flight" % handle)
            self.pending[handle] = Reply(handle, cmd, offset, length, flags)
        return handle, struct.pack(">IHHQQI", magic, flags, cmd, handle, offset, length) + data

    def request(self, cmd, offset=0, length=0, flags=0, handle=None, data=b""):
        handle, b = self.request_bytes(cmd, offset, length, flags, handle, data)
        self.send(b)
        return handle

    def _read_message(self):
        (magic,) = struct.unpack(">I", self.recv(4, "a reply"))
        if magic == SIMPLE_MAGIC:
            err, handle = struct.unpack(">IQ", self.recv(12, "a simple reply header"))
            r = self.pending.get(handle)
            if r is None:
                raise Fail("simple reply for handle 0x%x, which is not in flight" % handle)
            r.kind = r.kind or "simple"
            if r.chunks:
                raise Fail("simple reply for handle 0x%x after structured chunks" % handle)
            if self.sr and r.cmd == CMD_READ:
                raise Fail("simple reply to READ although structured replies were "
                           "negotiated (MUST NOT)")
            r.error = err
            if r.cmd == CMD_READ and err == 0:
                r.data = self.recv(r.length, "READ payload")
            r.done = True
            return r
        if magic == STRUCTURED_MAGIC:
            flags, typ, handle, length = struct.unpack(
                ">HHQI", self.recv(16, "a structured reply header"))
            r = self.pending.get(handle)
            if r is None:
                raise Fail("structured chunk for handle 0x%x, which is not in flight" % handle)
            if not self.sr:
                raise Fail("structured reply chunk although structured replies were not "
                           "negotiated (MUST NOT)")
            if length > (64 << 20) + 64:
                raise Fail("structured chunk of %d bytes is absurd" % length)
            payload = self.recv(length, "structured chunk payload") if length else b""
            r.kind = "structured"
            self._chunk(r, flags, typ, payload)
            return r
        raise Fail("reply magic 0x%08x is neither simple nor structured (stream out of sync)"
                   % magic)

    def _chunk(self, r, flags, typ, payload):
        r.chunks.append((flags, typ, payload))
        if flags & ~REPLY_FLAG_DONE:
            raise Fail("structured reply flags 0x%x set unknown bits" % flags)
        n = len(payload)
        if typ == RT_NONE:
            if n:
                raise Fail("NBD_REPLY_TYPE_NONE with length %d (MUST be 0)" % n)
            if not flags & REPLY_FLAG_DONE:
                raise Fail("NBD_REPLY_TYPE_NONE without NBD_REPLY_FLAG_DONE")
        elif typ in (RT_OFFSET_DATA, RT_OFFSET_HOLE):
            if r.cmd != CMD_READ:
                raise Fail("content chunk in reply to %s" % CMD_NAMES.get(r.cmd, r.cmd))
            if typ == RT_OFFSET_DATA:
                if n < 9:
                    raise Fail("OFFSET_DATA chunk length %d (MUST be >= 9)" % n)
                (off,) = struct.unpack(">Q", payload[:8])
                cnt = n - 8
            else:
                if n != 12:
                    raise Fail("OFFSET_HOLE chunk length %d (MUST be 12)" % n)
                off, cnt = struct.unpack(">QI", payload)
                if cnt == 0:
                    raise Fail("OFFSET_HOLE with hole size 0")
                r.holes.append((off, cnt))
            if off < r.offset or off + cnt > r.offset + r.length:
                raise Fail("content chunk [%d, +%d) lies outside the request [%d, +%d)"
                           % (off, cnt, r.offset, r.length))
            for a, b in r.covered:
                if off < b and a < off + cnt:
                    raise Fail("content chunk [%d, +%d) overlaps an earlier chunk" % (off, cnt))
            r.covered.append((off, off + cnt))
            r.content_chunks += 1
            if r.data is None:
                r.data = bytearray(r.length)
            s = off - r.offset
            if typ == RT_OFFSET_DATA:
                r.data[s:s + cnt] = payload[8:]
            else:
                r.data[s:s + cnt] = bytes(cnt)
        elif typ == RT_BLOCK_STATUS:
            if r.cmd != CMD_BLOCK_STATUS:
                raise Fail("BLOCK_STATUS chunk in reply to %s" % CMD_NAMES.get(r.cmd, r.cmd))
            if n < 12 or (n - 4) % 8:
                raise Fail("BLOCK_STATUS chunk length %d (MUST be 4 + 8*k, k > 0)" % n)
            (cid,) = struct.unpack(">I", payload[:4])
            if cid in r.status:
                raise Fail("two BLOCK_STATUS chunks for context %d in one reply" % cid)
            ext = [struct.unpack(">II", payload[i:i + 8]) for i in range(4, n, 8)]
            for ln, _ in ext:
                if ln == 0:
                    raise Fail("BLOCK_STATUS extent of length 0 (MUST be nonzero)")
            r.status[cid] = ext
        elif typ & 0x8000:
            if n < 6:
                raise Fail("error chunk length %d (MUST be >= 6)" % n)
            err, mlen = struct.unpack(">IH", payload[:6])
            if err == 0:
                raise Fail("error chunk with error 0 (MUST be nonzero)")
            if typ == RT_ERROR_OFFSET:
                if n < 14 or mlen > n - 14:
                    raise Fail("ERROR_OFFSET chunk length %d, message %d" % (n, mlen))
                (eoff,) = struct.unpack(">Q", payload[6 + mlen:14 + mlen])
                if r.length and not (r.offset <= eoff < r.offset + r.length):
                    raise Fail("ERROR_OFFSET offset %d outside the request" % eoff)
            elif mlen > n - 6:
                raise Fail("error chunk message length %d exceeds the chunk (%d)" % (mlen, n))
            if not r.error:
                r.error = err
                r.errmsg = payload[6:6 + mlen]
        else:
            raise Fail("unknown structured reply type %d (client MUST hard-disconnect)" % typ)
        if flags & REPLY_FLAG_DONE:
            r.done = True

    def wait(self, handle):
        """Read replies until the one for handle is complete; returns it."""
        while handle not in self.done:
            r = self._read_message()
            if r.done:
                self._finish(r)
        return self.done.pop(handle)

    def wait_all(self, handles):
        return {h: self.wait(h) for h in handles}

    def _finish(self, r):
        del self.pending[r.handle]
        if r.kind == "structured" and r.cmd == CMD_READ and not r.error:
            total = sum(b - a for a, b in r.covered)
            if total != r.length:
                raise Fail("structured READ [%d, +%d) succeeded but its content chunks "
                           "cover %d bytes" % (r.offset, r.length, total))
        if r.data is not None:
            r.data = bytes(r.data)
        self.done[r.handle] = r

    def cmd(self, cmd, offset=0, length=0, flags=0, data=b"", handle=None):
        h = self.request(cmd, offset, length, flags, handle, data)
        return self.wait(h)

    def read(self, offset, length, flags=0):
        return self.cmd(CMD_READ, offset, length, flags)

    def disc(self):
        _, b = self.request_bytes(CMD_DISC, track=False)
        self.send(b)


class Target:
    """Where the server under test listens and which export to use."""

    def __init__(self, host=None, port=None, unix=None):
        self.host, self.port, self.unix = host, port, unix

    def connect(self, timeout):
        if self.unix:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(self.unix)
        else:
            s = socket.create_connection((self.host, self.port), timeout=timeout)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(timeout)
        return s

    def __str__(self):
        return "unix:" + self.unix if self.unix else "%s:%d" % (self.host, self.port)
