#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxeroot-helper, the initramfs' static helper, on the host: it has no program
# interpreter; "probe" names the file systems of real images made by their own
# tools; "fetch" downloads from real HTTP servers on loopback (BusyBox httpd,
# and a Python server for redirects, chunked bodies and a stalled transfer),
# with SHA-256/MD5 checks that agree with sha256sum and md5sum, and refuses a
# mismatch. (Its NFS and NBD commands need a kernel of their own: the boot
# matrix, tests/e2e/boot-*.sh, runs them in QEMU.)
. "$(dirname "$0")/../lib.sh"

requires busybox mksquashfs mke2fs python3 readelf
helper=$BUILD/initrd/skel/sbin/pxeroot-helper
[ -x "$helper" ] || fail "$helper is not built (make)"

if readelf -l "$helper" | grep >/dev/null 'Requesting program interpreter'; then
	fail "pxeroot-helper needs a program interpreter: it must be static"
fi
ok "pxeroot-helper is static"
expect_exit 2 "$helper" no-such-command
ok "an unknown command is a usage error"

# probe: file systems made by their own tools.
mkdir -p "$T/tree"
echo hello >"$T/tree/file"
mksquashfs "$T/tree" "$T/img.sqfs" -noappend -quiet >/dev/null
assert_eq squashfs "$("$helper" probe "$T/img.sqfs")" "probe: squashfs"
for t in ext2 ext3 ext4; do
	truncate -s 8M "$T/img.$t"
	mke2fs -q -F -t "$t" "$T/img.$t"
	assert_eq "$t" "$("$helper" probe "$T/img.$t")" "probe: $t"
done
if command -v mkfs.erofs >/dev/null; then
	mkfs.erofs --quiet "$T/img.erofs" "$T/tree" >/dev/null 2>&1
	assert_eq erofs "$("$helper" probe "$T/img.erofs")" "probe: erofs"
fi
if command -v genisoimage >/dev/null; then
	genisoimage -quiet -o "$T/img.iso" "$T/tree" 2>/dev/null
	assert_eq iso9660 "$("$helper" probe "$T/img.iso")" "probe: iso9660"
fi
truncate -s 1M "$T/zeros"
rc=0
"$helper" probe "$T/zeros" 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "probe: no file system, exit 1"
grep -q "^pxeroot: $T/zeros: no known file system" "$T/err" || fail "probe message: $(cat "$T/err")"

# fetch: BusyBox httpd.
mkdir -p "$T/www"
head -c 5000000 /dev/urandom >"$T/www/image.sqfs"
sha=$(sha256sum <"$T/www/image.sqfs" | cut -d ' ' -f 1)
md5=$(md5sum <"$T/www/image.sqfs" | cut -d ' ' -f 1)
port=$(free_port)
start_server -P "$T/httpd.pid" -w "$port" \
	bash -c "echo \$\$ >'$T/httpd.pid'; exec busybox httpd -f -p 127.0.0.1:$port -h '$T/www'"
url=http://127.0.0.1:$port
"$helper" fetch "$url/image.sqfs" "$T/got" >"$T/out"
cmp -s "$T/got" "$T/www/image.sqfs" || fail "fetch: the file differs"
read -r bytes _secs got_sha got_md5 <"$T/out"
assert_eq 5000000 "$bytes" "fetch: size"
assert_eq "$sha" "$got_sha" "fetch: the SHA-256 computed on the way is sha256sum's"
assert_eq "$md5" "$got_md5" "fetch: the MD5 computed on the way is md5sum's"
"$helper" fetch --sha256 "$sha" --md5 "$md5" "$url/image.sqfs" "$T/got" >/dev/null ||
	fail "fetch: right checksums refused"
ok "fetch: right checksums accepted"
rc=0
"$helper" fetch --sha256 "$(echo "$sha" | tr 0-9a-f 1-9a-f0)" "$url/image.sqfs" "$T/got" 2>"$T/err" >/dev/null || rc=$?
assert_eq 3 "$rc" "fetch: a checksum mismatch exits 3"
grep -q "^pxeroot: checksum mismatch for $url/image.sqfs: sha256 $sha, expected " "$T/err" || fail "mismatch message: $(cat "$T/err")"
[ ! -e "$T/got" ] || fail "fetch: a refused file was left behind"
rc=0
"$helper" fetch "$url/missing" "$T/got" 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "fetch: 404 exits 1"
assert_eq "pxeroot: $url/missing: HTTP 404 Not Found" "$(cat "$T/err")" "fetch: 404 message"
rc=0
"$helper" fetch "http://127.0.0.1:$(free_port)/x" "$T/got" 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "fetch: nothing listening exits 1"
grep -q 'Connection refused' "$T/err" || fail "refused message: $(cat "$T/err")"
expect_exit 1 "$helper" fetch "https://127.0.0.1/x" "$T/got"

# fetch: redirects, chunked bodies, a stall.
pport=$(free_port)
cat >"$T/server.py" <<'PY'
import http.server, os, sys, time
data = open(sys.argv[2], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/chunked")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 70000):
                part = data[i:i + 70000]
                self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:1000])
            self.wfile.flush()
            time.sleep(30)
        self.close_connection = True
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
open(sys.argv[3], "w").write(str(os.getpid()))
srv.serve_forever()
PY
start_server -P "$T/py.pid" -w "$pport" python3 "$T/server.py" "$pport" "$T/www/image.sqfs" "$T/py.pid"
"$helper" fetch --sha256 "$sha" "http://127.0.0.1:$pport/moved" "$T/got" >/dev/null ||
	fail "fetch: redirect to a chunked body"
cmp -s "$T/got" "$T/www/image.sqfs" || fail "fetch: the chunked body differs"
ok "fetch: follows a redirect, decodes a chunked body"
rc=0
"$helper" fetch -t 2 "http://127.0.0.1:$pport/stall" "$T/got" 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "fetch: a stalled transfer fails"
assert_eq "pxeroot: http://127.0.0.1:$pport/stall: no data for 2 s" "$(cat "$T/err")" "fetch: the stall message"
