/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * dm-verity with the on-disk format of veritysetup (cryptsetup): a 512-byte
 * superblock at the hash offset, then the hash tree from the next hash block.
 * Only hash type 1 with sha256 is taken: the root hash on the command line is
 * 64 hexadecimal digits.
 */
#define VERITY_SB_SIZE 512

struct verity_sb {
	uint32_t data_block_size, hash_block_size;
	uint64_t data_blocks;
	uint16_t salt_size;
	uint8_t salt[256];
};

/* Read a superblock; -EINVAL (why in *what) when it is not one we take. */
int verity_sb_parse(const uint8_t buf[VERITY_SB_SIZE], struct verity_sb *ret,
		    const char **what);

/*
 * The parameters of the kernel's "verity" target for data and hash both on
 * device MAJ:MIN, the superblock at hash_offset; -EINVAL (why in *what) when
 * the tree would not lie after the data.
 */
int verity_table(const struct verity_sb *sb, unsigned int major, unsigned int minor,
		 uint64_t hash_offset, const char *root_hash, char *buf, size_t len,
		 const char **what);
