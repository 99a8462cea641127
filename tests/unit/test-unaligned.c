// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "unaligned.h"

/* Network order at odd addresses, whatever the host's order. */
static void test_read(void)
{
	static const uint8_t b[] = { 0xff, 0x01, 0x02, 0x03, 0x04,
				     0x05, 0x06, 0x07, 0x08, 0x09 };

	check_int(unaligned_read_be16(b + 1), 0x0102);
	check_int(unaligned_read_be32(b + 1), 0x01020304);
	check(unaligned_read_be64(b + 1) == 0x0102030405060708ull);
	check_int(unaligned_read_be16(b), 0xff01);
	check_int(unaligned_read_be32(b), 0xff010203u);
}

static void test_write(void)
{
	uint8_t b[12];

	memset(b, 0xaa, sizeof(b));
	unaligned_write_be16(b + 1, 0x1234);
	check(b[0] == 0xaa && b[1] == 0x12 && b[2] == 0x34 && b[3] == 0xaa);
	unaligned_write_be32(b + 3, 0xdeadbeef);
	check(b[3] == 0xde && b[4] == 0xad && b[5] == 0xbe && b[6] == 0xef);
	unaligned_write_be64(b + 1, 0x8000000000000001ull);
	check(b[1] == 0x80 && b[2] == 0 && b[8] == 1 && b[9] == 0xaa);
	check(unaligned_read_be64(b + 1) == 0x8000000000000001ull);
	for (uint32_t v = 1; v; v <<= 1) {
		unaligned_write_be32(b + 5, v);
		check_int(unaligned_read_be32(b + 5), v);
	}
}

TAP_MAIN(TAP_CASE(test_read), TAP_CASE(test_write))
