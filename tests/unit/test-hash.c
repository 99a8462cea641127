// SPDX-License-Identifier: GPL-2.0-or-later
/* SHA-256 and MD5 against the published test vectors (FIPS 180-4 examples,
 * RFC 1321 appendix A.5), fed whole, byte by byte and through a pipe. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "tap.h"

static const char *sha256_hex(const void *data, size_t len, size_t step)
{
	static char hex[65];
	struct sha256_ctx c;
	uint8_t md[32];
	const uint8_t *p = data;

	sha256_init(&c);
	for (size_t off = 0; off < len; off += step)
		sha256_update(&c, p + off, len - off < step ? len - off : step);
	sha256_final(&c, md);
	hex_string(md, sizeof(md), hex);
	return hex;
}

static const char *md5_hex(const char *s)
{
	static char hex[33];
	struct md5_ctx c;
	uint8_t md[16];

	md5_init(&c);
	md5_update(&c, s, strlen(s));
	md5_final(&c, md);
	hex_string(md, sizeof(md), hex);
	return hex;
}

static void test_sha256_vectors(void)
{
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	check_str(sha256_hex("", 0, 1),
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_str(sha256_hex("abc", 3, 3),
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_str(sha256_hex(two, strlen(two), strlen(two)),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* The same message in pieces that straddle the 64-byte blocks. */
	check_str(sha256_hex(two, strlen(two), 1),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_str(sha256_hex(two, strlen(two), 7),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_million(void)
{
	size_t len = 1000000;
	char *a = malloc(len);

	check(a != NULL);
	memset(a, 'a', len);
	check_str(sha256_hex(a, len, 4096),
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

static void test_sha256_fd(void)
{
	int p[2];
	char hex[65];

	check_int(pipe(p), 0);
	check_int(write(p[1], "abc", 3), 3);
	close(p[1]);
	check_int(sha256_fd(p[0], hex), 0);
	check_str(hex,
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	close(p[0]);
	check_int(sha256_fd(-1, hex), -EBADF);
}

static void test_md5_vectors(void)
{
	check_str(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
	check_str(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
	check_str(md5_hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
	check_str(
		md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
		"57edf4a22be3c955ac49da2e2107b67a");
}

TAP_MAIN(TAP_CASE(test_sha256_vectors), TAP_CASE(test_sha256_million),
	 TAP_CASE(test_sha256_fd), TAP_CASE(test_md5_vectors))
