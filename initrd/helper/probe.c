// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which file system does a device or image hold? BusyBox has no blkid, and
 * mount without -t only tries the file systems already loaded. The magic
 * numbers are read from the superblocks' documented offsets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "util.h"

#define EXT_SB 1024
#define EXT_MAGIC_OFF (EXT_SB + 56)
#define EXT_COMPAT_OFF (EXT_SB + 92)
#define EXT_INCOMPAT_OFF (EXT_SB + 96)
#define EXT_RO_COMPAT_OFF (EXT_SB + 100)
#define EXT3_COMPAT_JOURNAL 0x4
#define EXT4_INCOMPAT_MASK \
	(0x40 | 0x80 | 0x200 | 0x10000) /* extents, 64bit, flex_bg, inline */
#define EXT4_RO_COMPAT_MASK \
	(0x8 | 0x10 | 0x20 | 0x40) /* huge_file, gdt_csum, dir_nlink, extra_isize */

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

const char *probe_identify(const unsigned char *buf, size_t n)
{
	if (n >= 4 && memcmp(buf, "hsqs", 4) == 0)
		return "squashfs";
	if (n >= 1028 && le32(buf + 1024) == 0xe0f5e1e2)
		return "erofs";
	if (n >= 4 && memcmp(buf, "XFSB", 4) == 0)
		return "xfs";
	if (n >= EXT_RO_COMPAT_OFF + 4 && le16(buf + EXT_MAGIC_OFF) == 0xef53) {
		if ((le32(buf + EXT_INCOMPAT_OFF) & EXT4_INCOMPAT_MASK) ||
		    (le32(buf + EXT_RO_COMPAT_OFF) & EXT4_RO_COMPAT_MASK))
			return "ext4";
		if (le32(buf + EXT_COMPAT_OFF) & EXT3_COMPAT_JOURNAL)
			return "ext3";
		return "ext2";
	}
	if (n >= 0x10040 + 8 && memcmp(buf + 0x10040, "_BHRfS_M", 8) == 0)
		return "btrfs";
	if (n >= 0x8001 + 5 && memcmp(buf + 0x8001, "CD001", 5) == 0)
		return "iso9660";
	return NULL;
}

int probe_main(int argc, char **argv)
{
	static unsigned char buf[PROBE_BYTES];
	_cleanup_close_ int fd = -1;
	const char *type;
	ssize_t n;

	if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("Usage: pxeroot-helper probe DEVICE|IMAGE\n\n"
		       "Print the file system type (squashfs, erofs, ext2, ext3, ext4, xfs,\n"
		       "btrfs, iso9660) of a device or an image file.\n");
		return argc == 2 ? 0 : EXIT_USAGE;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_errno(-errno, "cannot open %s", argv[1]);
		return EXIT_FAILURE;
	}
	n = read_full_or_eof(fd, buf, sizeof(buf));
	if (n < 0) {
		log_errno(n, "cannot read %s", argv[1]);
		return EXIT_FAILURE;
	}
	type = probe_identify(buf, n);
	if (!type) {
		log_error(
			"%s: no known file system (squashfs, erofs, ext4, xfs, btrfs, iso9660)",
			argv[1]);
		return EXIT_FAILURE;
	}
	printf("%s\n", type);
	return 0;
}

/*
 * Does ROOT hold an executable INIT? Checked from inside ROOT, so that an
 * absolute link such as /sbin/init -> /lib/systemd/systemd resolves there.
 */
int check_init_main(int argc, char **argv)
{
	pid_t pid;
	int status;

	if (argc != 3) {
		printf("Usage: pxeroot-helper check-init ROOT INIT\n");
		return EXIT_USAGE;
	}
	pid = fork();
	if (pid < 0) {
		log_errno(-errno, "cannot fork");
		return EXIT_FAILURE;
	}
	if (pid == 0) {
		if (chroot(argv[1]) < 0 || chdir("/") < 0)
			_exit(errno);
		if (access(argv[2], X_OK) < 0)
			_exit(errno);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_FAILURE;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	log_errno(WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR,
		  "init %s is missing or not executable in the new root", argv[2]);
	return EXIT_FAILURE;
}
