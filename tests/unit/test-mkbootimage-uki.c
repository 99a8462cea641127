// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "uki.h"
#include "unaligned.h"
#include "util.h"

/* A PE32+ header with two sections, as objcopy and EFI stubs lay it out. */
static void make_pe(uint8_t *d, size_t size)
{
	memset(d, 0, size);
	d[0] = 'M';
	d[1] = 'Z';
	unaligned_write_le32(d + 0x3c, 0x80);
	memcpy(d + 0x80, "PE\0\0", 4);
	d[0x84 + 2] = 2; /* two sections */
	d[0x84 + 16] = 240; /* optional header size */
	d[0x98] = 0x0b; /* PE32+ */
	d[0x99] = 0x02;
	unaligned_write_le32(d + 0x98 + 56, 0x3000); /* SizeOfImage */
	/* .text at 0x1000 (0x800 bytes), .data at 0x5000 (0x123 bytes) */
	unaligned_write_le32(d + 0x188 + 8, 0x800);
	unaligned_write_le32(d + 0x188 + 12, 0x1000);
	unaligned_write_le32(d + 0x188 + 40 + 8, 0x123);
	unaligned_write_le32(d + 0x188 + 40 + 12, 0x5000);
}

static void test_end_past_every_section(void)
{
	static uint8_t d[1024];
	uint64_t end;

	make_pe(d, sizeof(d));
	check_int(uki_pe_end(d, sizeof(d), &end), 0);
	check_int(end, 0x6000);
	/* SizeOfImage beyond the sections wins. */
	unaligned_write_le32(d + 0x98 + 56, 0x9001);
	check_int(uki_pe_end(d, sizeof(d), &end), 0);
	check_int(end, 0xa000);
}

static void test_not_pe_refused(void)
{
	static uint8_t d[1024];
	uint64_t end;

	make_pe(d, sizeof(d));
	d[0x98] = 0x0b, d[0x99] = 0x01; /* PE32, not PE32+ */
	check_int(uki_pe_end(d, sizeof(d), &end), -EINVAL);
	make_pe(d, sizeof(d));
	unaligned_write_le32(d + 0x3c, 1020); /* header past the end */
	check_int(uki_pe_end(d, sizeof(d), &end), -EINVAL);
	make_pe(d, sizeof(d));
	d[0x84 + 2] = 200; /* more sections than the file holds */
	check_int(uki_pe_end(d, sizeof(d), &end), -EINVAL);
	check_int(uki_pe_end("MZ", 2, &end), -EINVAL);
}

/* The checksum as the tools that built systemd's stub computed it. */
static void test_checksum_matches_the_stubs(void)
{
	char *data = NULL;
	size_t size;
	uint32_t want, ts;
	size_t coff;
	int fd = open(UKI_DEFAULT_STUB, O_RDONLY);

	if (fd < 0)
		tap_skip("%s is missing (systemd-boot-efi)", UKI_DEFAULT_STUB);
	check_int(read_fd_all(fd, &data, &size), 0);
	close(fd);
	coff = unaligned_read_le32(data + 0x3c) + 4;
	ts = unaligned_read_le32(data + coff + 4);
	want = unaligned_read_le32(data + coff + 20 + 64);
	check(want != 0);
	check_int(uki_pe_finish(data, size, ts), 0);
	check_int(unaligned_read_le32(data + coff + 20 + 64), want);
	check_int(uki_pe_finish(data, size, 12345), 0);
	check_int(unaligned_read_le32(data + coff + 4), 12345);
	check(unaligned_read_le32(data + coff + 20 + 64) != want);
	free(data);
}

TAP_MAIN(TAP_CASE(test_end_past_every_section), TAP_CASE(test_not_pe_refused),
	 TAP_CASE(test_checksum_matches_the_stubs))
