// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dm-verity superblock reader and the table it gives the kernel, on
 * superblocks laid out as veritysetup writes them.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "dm-verity.h"

static void make_sb(uint8_t *b, uint32_t dbs, uint32_t hbs, uint64_t blocks,
		    uint16_t salt)
{
	uint32_t v32;
	uint64_t v64;
	uint16_t v16;

	memset(b, 0, VERITY_SB_SIZE);
	memcpy(b, "verity\0\0", 8);
	v32 = htole32(1);
	memcpy(b + 8, &v32, 4); /* version */
	memcpy(b + 12, &v32, 4); /* hash type */
	memcpy(b + 32, "sha256", 6);
	v32 = htole32(dbs);
	memcpy(b + 64, &v32, 4);
	v32 = htole32(hbs);
	memcpy(b + 68, &v32, 4);
	v64 = htole64(blocks);
	memcpy(b + 72, &v64, 8);
	v16 = htole16(salt);
	memcpy(b + 80, &v16, 2);
	for (int i = 0; i < salt; i++)
		b[88 + i] = 0xa0 + i;
}

#define ROOT "ef167cf9a15e0a773f8f88bc3ad0d252a9dd08d119b9a2dad67e22fb6e50f5b9"

static void test_table(void)
{
	uint8_t b[VERITY_SB_SIZE];
	struct verity_sb sb;
	const char *what = NULL;
	char t[1024];

	make_sb(b, 4096, 4096, 74, 4);
	check_int(verity_sb_parse(b, &sb, &what), 0);
	check_int(sb.data_blocks, 74);
	check_int(sb.salt_size, 4);
	/* The tree begins at the hash block after the superblock. */
	check_int(verity_table(&sb, 43, 0, 303104, ROOT, t, sizeof(t), &what), 0);
	check_str(t, "1 43:0 43:0 4096 4096 74 75 sha256 " ROOT " a0a1a2a3");
	/* No salt is "-"; 512-byte hash blocks: the superblock fills one. */
	make_sb(b, 4096, 512, 74, 0);
	check_int(verity_sb_parse(b, &sb, &what), 0);
	check_int(verity_table(&sb, 7, 3, 303104, ROOT, t, sizeof(t), &what), 0);
	check_str(t, "1 7:3 7:3 4096 512 74 593 sha256 " ROOT " -");
}

static void expect_bad_sb(uint8_t *b, const char *why)
{
	struct verity_sb sb;
	const char *what = NULL;

	check_int(verity_sb_parse(b, &sb, &what), -EINVAL);
	check_str(what, why);
}

static void test_bad_superblocks(void)
{
	uint8_t b[VERITY_SB_SIZE];

	make_sb(b, 4096, 4096, 74, 0);
	b[0] = 'V';
	expect_bad_sb(b, "no dm-verity superblock there");
	make_sb(b, 4096, 4096, 74, 0);
	memcpy(b + 32, "md5\0\0\0", 6);
	expect_bad_sb(b, "hash algorithm is not sha256");
	make_sb(b, 4096, 4096, 74, 0);
	b[12] = 0; /* Chrome OS's hash type */
	expect_bad_sb(b, "hash type is not 1 (the normal one)");
	make_sb(b, 3000, 4096, 74, 0);
	expect_bad_sb(b, "block size is not 512, 1024, 2048 or 4096");
	make_sb(b, 4096, 8192, 74, 0);
	expect_bad_sb(b, "block size is not 512, 1024, 2048 or 4096");
	make_sb(b, 4096, 4096, 0, 0);
	expect_bad_sb(b, "bad number of data blocks");
	make_sb(b, 4096, 4096, 74, 0);
	b[80] = 0x01;
	b[81] = 0x01; /* 257 bytes of salt */
	expect_bad_sb(b, "salt longer than 256 bytes");
}

static void test_bad_layout(void)
{
	uint8_t b[VERITY_SB_SIZE];
	struct verity_sb sb;
	const char *what = NULL;
	char t[1024];

	make_sb(b, 4096, 4096, 74, 0);
	check_int(verity_sb_parse(b, &sb, &what), 0);
	/* 74 data blocks end at 303104: a tree before that would overlap them. */
	check_int(verity_table(&sb, 43, 0, 299008, ROOT, t, sizeof(t), &what), -EINVAL);
	check_str(what, "the data would run into the hash tree");
	check_int(verity_table(&sb, 43, 0, 303105, ROOT, t, sizeof(t), &what), -EINVAL);
	check_str(what, "hash offset is not a multiple of the hash block size");
}

TAP_MAIN(TAP_CASE(test_table), TAP_CASE(test_bad_superblocks), TAP_CASE(test_bad_layout))
