// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Map an image through dm-verity before it is mounted, with the kernel's
 * device-mapper ioctls (DM_DEV_CREATE, DM_TABLE_LOAD with a "verity" target,
 * DM_DEV_SUSPEND to resume). veritysetup would do the same, but with
 * libcryptsetup, libdevmapper and their libraries it adds megabytes to the
 * initramfs (doc/initramfs.md has the sums); the table needs only what the
 * superblock veritysetup wrote says, and the root hash from the command line.
 *
 * The image is a block device (NBD) or a file (downloaded into RAM): a file
 * is put on a read-only loop device first. The data and the hash tree are on
 * the same device, the tree at the hash offset. A block whose hash does not
 * match fails its read with EIO, and the kernel logs it; nothing here retries.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hash.h"
#include "helper.h"
#include "io.h"
#include "log.h"
#include "util.h"
#include "dm-verity.h"

#define DM_CONTROL "/dev/mapper/control"
#define DEFAULT_NAME "pxeroot-root"

static uint32_t le32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

int verity_sb_parse(const uint8_t buf[VERITY_SB_SIZE], struct verity_sb *ret,
		    const char **what)
{
	uint64_t blocks;
	uint16_t salt;

	if (memcmp(buf, "verity\0\0", 8) != 0)
		return *what = "no dm-verity superblock there", -EINVAL;
	if (le32_at(buf + 8) != 1)
		return *what = "unknown superblock version", -EINVAL;
	if (le32_at(buf + 12) != 1)
		return *what = "hash type is not 1 (the normal one)", -EINVAL;
	if (strncmp((const char *)buf + 32, "sha256", 32) != 0)
		return *what = "hash algorithm is not sha256", -EINVAL;
	ret->data_block_size = le32_at(buf + 64);
	ret->hash_block_size = le32_at(buf + 68);
	memcpy(&blocks, buf + 72, 8);
	ret->data_blocks = le64toh(blocks);
	memcpy(&salt, buf + 80, 2);
	ret->salt_size = le16toh(salt);
	/* The kernel takes powers of two from 512 bytes to a page. */
	for (int i = 0; i < 2; i++) {
		uint32_t bs = i ? ret->hash_block_size : ret->data_block_size;

		if (bs < 512 || bs > 4096 || (bs & (bs - 1)))
			return *what = "block size is not 512, 1024, 2048 or 4096",
			       -EINVAL;
	}
	if (ret->data_blocks == 0 || ret->data_blocks > (UINT64_MAX >> 13))
		return *what = "bad number of data blocks", -EINVAL;
	if (ret->salt_size > sizeof(ret->salt))
		return *what = "salt longer than 256 bytes", -EINVAL;
	memcpy(ret->salt, buf + 88, ret->salt_size);
	return 0;
}

int verity_table(const struct verity_sb *sb, unsigned int major, unsigned int minor,
		 uint64_t hash_offset, const char *root_hash, char *buf, size_t len,
		 const char **what)
{
	char salt[2 * sizeof(sb->salt) + 1] = "-";
	uint64_t data_bytes = sb->data_blocks * sb->data_block_size, hash_start;
	int n;

	if (hash_offset % sb->hash_block_size)
		return *what = "hash offset is not a multiple of the hash block size",
		       -EINVAL;
	if (data_bytes > hash_offset)
		return *what = "the data would run into the hash tree", -EINVAL;
	/* The tree starts at the first hash block after the superblock. */
	hash_start = (hash_offset + VERITY_SB_SIZE + sb->hash_block_size - 1) /
		     sb->hash_block_size;
	if (sb->salt_size)
		hex_string(sb->salt, sb->salt_size, salt);
	n = snprintf(buf, len, "1 %u:%u %u:%u %u %u %llu %llu sha256 %s %s", major, minor,
		     major, minor, sb->data_block_size, sb->hash_block_size,
		     (unsigned long long)sb->data_blocks, (unsigned long long)hash_start,
		     root_hash, salt);
	if (n < 0 || (size_t)n >= len)
		return *what = "table too long", -EINVAL;
	return 0;
}

/* ---- the kernel side ---- */

struct dm_msg {
	struct dm_ioctl io;
	uint8_t data[4096];
};

static void dm_init(struct dm_msg *m, const char *name, uint32_t flags)
{
	memset(m, 0, sizeof(*m));
	m->io.version[0] = DM_VERSION_MAJOR;
	m->io.version[1] = 0;
	m->io.version[2] = 0;
	m->io.data_size = sizeof(*m);
	m->io.data_start = sizeof(m->io);
	m->io.flags = flags;
	snprintf(m->io.name, sizeof(m->io.name), "%s", name);
}

static int dm_call(int ctl, unsigned long req, struct dm_msg *m)
{
	return ioctl(ctl, req, m) < 0 ? -errno : 0;
}

static int dm_remove(int ctl, const char *name)
{
	struct dm_msg m;

	dm_init(&m, name, 0);
	return dm_call(ctl, DM_DEV_REMOVE, &m);
}

static int dm_open_control(void)
{
	int ctl = open(DM_CONTROL, O_RDWR | O_CLOEXEC);

	if (ctl < 0)
		return log_errno(-errno,
				 "cannot open %s (is dm-verity in the initramfs? "
				 "mkbootimage --modules dm-verity)",
				 DM_CONTROL);
	return ctl;
}

/* Create NAME with one read-only verity target of sectors, and start it. */
static int dm_create_verity(const char *name, uint64_t sectors, const char *params,
			    dev_t *ret)
{
	_cleanup_close_ int ctl = dm_open_control();
	struct dm_target_spec *spec;
	struct dm_msg m;
	int r;

	if (ctl < 0)
		return ctl;
	dm_init(&m, name, 0);
	r = dm_call(ctl, DM_DEV_CREATE, &m);
	if (r < 0)
		return log_errno(r, "cannot create device-mapper device %s", name);

	dm_init(&m, name, DM_READONLY_FLAG);
	m.io.target_count = 1;
	spec = (struct dm_target_spec *)m.data;
	spec->sector_start = 0;
	spec->length = sectors;
	snprintf(spec->target_type, sizeof(spec->target_type), "verity");
	if (strlen(params) + 1 > sizeof(m.data) - sizeof(*spec)) {
		dm_remove(ctl, name);
		return log_errno(-E2BIG, "verity table too long");
	}
	strcpy((char *)(spec + 1), params);
	r = dm_call(ctl, DM_TABLE_LOAD, &m);
	if (r < 0) {
		dm_remove(ctl, name);
		return log_errno(r,
				 "the kernel refused the verity table for %s (see dmesg)",
				 name);
	}
	dm_init(&m, name, 0); /* no DM_SUSPEND_FLAG: resume, with the table loaded */
	r = dm_call(ctl, DM_DEV_SUSPEND, &m);
	if (r < 0) {
		dm_remove(ctl, name);
		return log_errno(r, "cannot start device-mapper device %s", name);
	}
	*ret = (dev_t)m.io.dev; /* the kernel's encoding is glibc's makedev() */
	return 0;
}

/* "V" (every block read so far matched) or "C" (one did not), or -errno. */
static int dm_verity_status(const char *name, char *ret)
{
	_cleanup_close_ int ctl = dm_open_control();
	struct dm_target_spec *spec;
	struct dm_msg m;
	int r;

	if (ctl < 0)
		return ctl;
	dm_init(&m, name, 0);
	r = dm_call(ctl, DM_TABLE_STATUS, &m);
	if (r < 0)
		return log_errno(r, "no device-mapper device %s", name);
	if (m.io.target_count != 1 || m.io.data_start + sizeof(*spec) >= m.io.data_size)
		return log_errno(-EPROTO, "%s has no verity target", name);
	spec = (struct dm_target_spec *)((uint8_t *)&m + m.io.data_start);
	if (strcmp(spec->target_type, "verity") != 0)
		return log_errno(-EPROTO, "%s is not a verity device", name);
	*ret = *(const char *)(spec + 1);
	return 0;
}

/* A read-only loop device for a file, detached when its last user closes it. */
static int loop_attach(int fd, char *dev, size_t devlen)
{
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	struct loop_config cfg = {
		.fd = fd,
		.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR,
	};
	int n, lfd;

	if (ctl < 0)
		return log_errno(-errno, "cannot open /dev/loop-control");
	for (int tries = 0; tries < 8; tries++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			return log_errno(-errno, "no free loop device");
		snprintf(dev, devlen, "/dev/loop%d", n);
		lfd = open(dev, O_RDONLY | O_CLOEXEC);
		if (lfd < 0)
			return log_errno(-errno, "cannot open %s", dev);
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
			return lfd;
		close(lfd);
		/* Taken by someone else between the two calls: the next one. */
		if (errno != EBUSY)
			return log_errno(-errno, "cannot attach %s", dev);
	}
	return log_errno(-EBUSY, "no free loop device");
}

static void usage(void)
{
	printf("Usage: pxeroot-helper verity-open [-n NAME] DEVICE|IMAGE ROOTHASH HASHOFFSET\n"
	       "       pxeroot-helper verity-status [NAME]\n"
	       "\n"
	       "verity-open maps DEVICE (or IMAGE, through a read-only loop device) through\n"
	       "dm-verity, its hash tree at byte HASHOFFSET (veritysetup's format), checked\n"
	       "against ROOTHASH (sha256), and prints the verified device. verity-status\n"
	       "exits 0 while every block read matched, 3 once one did not.\n"
	       "NAME is the device-mapper name (default " DEFAULT_NAME ").\n");
}

int verity_open_main(int argc, char **argv)
{
	const char *name = DEFAULT_NAME, *src, *root_hash, *what = NULL;
	_cleanup_close_ int fd = -1, loopfd = -1;
	uint8_t sbuf[VERITY_SB_SIZE];
	char loopdev[32], params[1024];
	struct verity_sb sb;
	uint64_t offset;
	struct stat st;
	dev_t dm;
	int r, a = 1;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		name = argv[2];
		a = 3;
	}
	if (argc - a != 3 || strlen(name) >= DM_NAME_LEN) {
		usage();
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : EXIT_USAGE;
	}
	src = argv[a];
	root_hash = argv[a + 1];
	if (strlen(root_hash) != 64 ||
	    strspn(root_hash, "0123456789abcdefABCDEF") != 64) {
		log_error("root hash '%s' is not 64 hexadecimal digits (sha256)",
			  root_hash);
		return EXIT_USAGE;
	}
	if (parse_u64(argv[a + 2], &offset) < 0) {
		log_error("invalid hash offset '%s'", argv[a + 2]);
		return EXIT_USAGE;
	}
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		log_errno(-errno, "cannot open %s", src);
		return EXIT_FAILURE;
	}
	r = pread_full(fd, sbuf, sizeof(sbuf), offset);
	if (r < 0) {
		log_errno(r == -EPIPE ? -EINVAL : r,
			  "cannot read the dm-verity superblock of %s at byte %llu", src,
			  (unsigned long long)offset);
		return EXIT_FAILURE;
	}
	r = verity_sb_parse(sbuf, &sb, &what);
	if (r == 0 && S_ISREG(st.st_mode)) {
		loopfd = loop_attach(fd, loopdev, sizeof(loopdev));
		if (loopfd < 0)
			return EXIT_FAILURE;
		if (fstat(loopfd, &st) < 0) {
			log_errno(-errno, "cannot stat %s", loopdev);
			return EXIT_FAILURE;
		}
	} else if (r == 0 && !S_ISBLK(st.st_mode)) {
		log_error("%s is neither a block device nor a file", src);
		return EXIT_FAILURE;
	}
	if (r == 0)
		r = verity_table(&sb, major(st.st_rdev), minor(st.st_rdev), offset,
				 root_hash, params, sizeof(params), &what);
	if (r < 0) {
		log_error("%s at byte %llu: %s", src, (unsigned long long)offset, what);
		return EXIT_FAILURE;
	}
	r = dm_create_verity(name, sb.data_blocks * (sb.data_block_size / 512), params,
			     &dm);
	if (r < 0)
		return EXIT_FAILURE;
	printf("/dev/dm-%u\n", minor(dm));
	return 0;
}

int verity_status_main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : DEFAULT_NAME;
	char st;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--help") == 0)) {
		usage();
		return argc == 2 ? 0 : EXIT_USAGE;
	}
	if (dm_verity_status(name, &st) < 0)
		return EXIT_FAILURE;
	if (st == 'C') {
		printf("corrupted\n");
		return 3;
	}
	printf("verified\n");
	return 0;
}
