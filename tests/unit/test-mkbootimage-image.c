// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkbootimage's image model (paths, parents, conflicts, listing) and the
 * decompression of modules as the standard xz, zstd and gzip tools write them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "image.h"
#include "tap.h"
#include "util.h"

static struct image *new_image(void)
{
	struct image *img;

	check_int(image_new(AT_FDCWD, &img), 0);
	return img;
}

static void test_parents_are_added(void)
{
	struct image *img = new_image();
	const struct img_entry *e;

	check_int(image_add_data(img, "/a/b/c.txt", strdup("x"), 1, 0600), 0);
	e = image_get(img, "a");
	check(e && S_ISDIR(e->mode) && (e->mode & 07777) == 0755);
	e = image_get(img, "a/b");
	check(e && S_ISDIR(e->mode));
	e = image_get(img, "a/b/c.txt");
	check(e && S_ISREG(e->mode) && (e->mode & 07777) == 0644);
	check_int(image_count(img), 3);
	image_free(img);
}

static void test_conflicts(void)
{
	struct image *img = new_image();

	check_int(image_add_symlink(img, "bin/sh", "busybox"), 0);
	/* The first one wins. */
	check_int(image_add_symlink(img, "bin/sh", "other"), -EEXIST);
	check_str(image_get(img, "bin/sh")->from, "busybox");
	/* Nothing goes below a link or a file. */
	check_int(image_add_symlink(img, "sbin", "bin"), 0);
	check_int(image_add_symlink(img, "sbin/modprobe", "x"), -ENOTDIR);
	check_int(image_add_data(img, "bin/sh/x", strdup("x"), 1, 0644), -ENOTDIR);
	/* A directory over a directory is fine, over anything else not. */
	check_int(image_add_dir(img, "bin"), 0);
	check_int(image_add_dir(img, "sbin"), -EEXIST);
	image_free(img);
}

static void test_invalid_paths(void)
{
	struct image *img = new_image();

	check_int(image_add_dir(img, ""), -EINVAL);
	check_int(image_add_dir(img, "/"), -EINVAL);
	check_int(image_add_dir(img, "a/../b"), -EINVAL);
	check_int(image_add_dir(img, "./a"), -EINVAL);
	check_int(image_add_dir(img, "a//b"), -EINVAL);
	check_int(image_add_dir(img, "a/b/"), -EINVAL);
	check_int(image_count(img), 0);
	image_free(img);
}

static void test_modes_and_list(void)
{
	struct image *img = new_image();
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	check_int(image_add_data(img, "z", strdup("12345"), 5, 0700), 0);
	check_int(image_add_data(img, "a", strdup(""), 0, 0600), 0);
	check_int(image_add_chardev(img, "dev/console", 5, 1, 0600), 0);
	check_int(image_add_symlink(img, "bin-x", "z"), 0);
	f = open_memstream(&buf, &len);
	check(f);
	check_int(image_list(img, f), 0);
	fclose(f);
	/* Sorted by path bytes: "bin-x" < "dev" < "dev/console" < "z". */
	check_str(buf, "-rw-r--r--          0 /a\n"
		       "lrwxrwxrwx          1 /bin-x -> z\n"
		       "drwxr-xr-x          0 /dev\n"
		       "crw-------    5,    1 /dev/console\n"
		       "-rwxr-xr-x          5 /z\n");
	free(buf);
	image_free(img);
}

static void roundtrip(const char *tool)
{
	char dir[] = "/tmp/pxeroot-decomp.XXXXXX", cmd[512], path[128];
	char *orig = NULL, *packed = NULL;
	size_t olen, plen, outlen;
	void *out = NULL;

	check(mkdtemp(dir));
	/* A real module-sized input: this test program. */
	snprintf(cmd, sizeof(cmd), "cp /proc/%d/exe %s/in && %s -c %s/in > %s/in.c",
		 getpid(), dir, tool, dir, dir);
	check(system(cmd) == 0);
	snprintf(path, sizeof(path), "%s/in", dir);
	check_int(read_file_at(AT_FDCWD, path, &orig, &olen), 0);
	snprintf(path, sizeof(path), "%s/in.c", dir);
	check_int(read_file_at(AT_FDCWD, path, &packed, &plen), 0);
	check(plen < olen);
	check_int(decompress_buffer(packed, plen, &out, &outlen), 0);
	check_int(outlen, olen);
	check(memcmp(out, orig, olen) == 0);
	/* A corrupted stream is an error, not garbage. */
	packed[plen / 2] ^= 0x55;
	packed[plen / 2 + 1] ^= 0x55;
	free(out);
	out = NULL;
	check(decompress_buffer(packed, plen, &out, &outlen) < 0 || outlen != olen ||
	      memcmp(out, orig, olen) != 0);
	free(out);
	free(orig);
	free(packed);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	check(system(cmd) == 0);
}

static void test_decompress_xz(void)
{
	roundtrip("xz --check=crc32");
}

static void test_decompress_zstd(void)
{
	roundtrip("zstd -q");
}

static void test_decompress_gzip(void)
{
	roundtrip("gzip");
}

static void test_compression_names(void)
{
	enum compression c;

	check_int(compression_from_name("zstd", &c), 0);
	check_int(c, COMPRESS_ZSTD);
	check_str(compression_name(COMPRESS_LZ4), "lz4");
	check_int(compression_from_name("bzip2", &c), -EINVAL);
	check_int(compress_default_level(COMPRESS_ZSTD), 9);
}

static void test_compression_parse(void)
{
	enum compression c;
	int level = -1;

	check_int(compression_parse("xz", &c, &level), 0);
	check_int(c, COMPRESS_XZ);
	check_int(level, -1); /* no level given: left alone */
	check_int(compression_parse("zstd:19", &c, &level), 0);
	check_int(c, COMPRESS_ZSTD);
	check_int(level, 19);
	check_int(compression_parse("zstd:20", &c, &level), -EINVAL);
	check_int(compression_parse("lz4:12", &c, &level), 0);
	check_int(level, 12);
	check_int(compression_parse("gzip:10", &c, &level), -EINVAL);
	check_int(compression_parse("none:1", &c, &level), -EINVAL);
	check_int(compression_parse("bzip2:3", &c, &level), -EINVAL);
}

TAP_MAIN(TAP_CASE(test_parents_are_added), TAP_CASE(test_conflicts),
	 TAP_CASE(test_invalid_paths), TAP_CASE(test_modes_and_list),
	 TAP_CASE(test_decompress_xz), TAP_CASE(test_decompress_zstd),
	 TAP_CASE(test_decompress_gzip), TAP_CASE(test_compression_names),
	 TAP_CASE(test_compression_parse))
