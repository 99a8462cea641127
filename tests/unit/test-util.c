// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "io.h"
#include "util.h"

static void test_parse_size(void)
{
	uint64_t v;

	check_int(parse_size("0", &v), 0);
	check_int(v, 0);
	check_int(parse_size("4k", &v), 0);
	check_int(v, 4096);
	check_int(parse_size("32MiB", &v), 0);
	check_int(v, 32ull << 20);
	check_int(parse_size("2G", &v), 0);
	check_int(v, 2ull << 30);
	check_int(parse_size("", &v), -EINVAL);
	check_int(parse_size("-1", &v), -EINVAL);
	check_int(parse_size("12Q", &v), -EINVAL);
	check_int(parse_size("99999999999999999999", &v), -ERANGE);
	check_int(parse_size("17179869184T", &v), -ERANGE);
}

static void test_parse_uint(void)
{
	unsigned int v;

	check_int(parse_uint("10809", 1, 65535, &v), 0);
	check_int(v, 10809);
	check_int(parse_uint("0", 1, 65535, &v), -ERANGE);
	check_int(parse_uint("65536", 1, 65535, &v), -ERANGE);
	check_int(parse_uint("12a", 1, 65535, &v), -EINVAL);
	check_int(parse_uint(" 12", 1, 65535, &v), -EINVAL);
}

static void test_parse_bool(void)
{
	bool b;

	check_int(parse_bool("yes", &b), 0);
	check(b);
	check_int(parse_bool("Off", &b), 0);
	check(!b);
	check_int(parse_bool("maybe", &b), -EINVAL);
}

static void test_atomic_write(void)
{
	char dir[] = "/tmp/pxeroot-unit.XXXXXX";
	_cleanup_free_ char *got = NULL;
	size_t len;
	int dfd;
	struct stat st;

	check(mkdtemp(dir));
	dfd = open(dir, O_DIRECTORY | O_RDONLY);
	check(dfd >= 0);
	check_int(write_file_atomic_at(dfd, "f", "old", 3, 0644), 0);
	check_int(write_file_atomic_at(dfd, "f", "new content", 11, 0600), 0);
	check_int(read_file_at(dfd, "f", &got, &len), 0);
	check_str(got, "new content");
	check_int(len, 11);
	check_int(fstatat(dfd, "f", &st, 0), 0);
	check_int(st.st_mode & 0777, 0600);
	/* Nothing but the file itself is left behind. */
	check_int(unlinkat(dfd, "f", 0), 0);
	close(dfd);
	check_int(rmdir(dir), 0);
}

static void test_strstrip(void)
{
	char s[] = "  \tpath = /srv \n";

	check_str(strstrip(s), "path = /srv");
}

/* pread_full and pwrite_full leave the file position alone and loop to the end. */
static void test_pread_pwrite_full(void)
{
	char path[] = "/tmp/pxeroot-unit.XXXXXX", buf[8];
	int fd = mkstemp(path);

	check(fd >= 0);
	check_int(unlink(path), 0);
	check_int(pwrite_full(fd, "abcdefgh", 8, 4096), 0);
	check_int(lseek(fd, 0, SEEK_CUR), 0);
	check_int(pread_full(fd, buf, 8, 4096), 0);
	check(memcmp(buf, "abcdefgh", 8) == 0);
	check_int(pread_full(fd, buf, 4, 4100), 0);
	check(memcmp(buf, "efgh", 4) == 0);
	/* A hole reads as zeros; past the end is a short read. */
	check_int(pread_full(fd, buf, 2, 10), 0);
	check(buf[0] == 0 && buf[1] == 0);
	check_int(pread_full(fd, buf, 8, 4100), -EPIPE);
	check_int(pread_full(-1, buf, 1, 0), -EBADF);
	check_int(pwrite_full(-1, buf, 1, 0), -EBADF);
	close(fd);
}

static int count_fds(void)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	int n = 0;

	check(d);
	while (readdir(d))
		n++;
	return n;
}

/* The cleanup attributes close what they hold at the end of the scope, and keep
 * errno; TAKE_PTR hands a DIR on so that the attribute leaves it open. */
static void test_cleanup(void)
{
	int before = count_fds();
	DIR *kept = NULL;

	{
		_cleanup_closedir_ DIR *d = opendir("/");
		_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "r");
		_cleanup_close_ int fd = open("/", O_PATH);

		check(d && f && fd >= 0);
		check_int(count_fds(), before + 3);
		errno = ENOSPC;
	}
	check_int(errno, ENOSPC);
	check_int(count_fds(), before);
	{
		_cleanup_closedir_ DIR *d = opendir("/");
		_cleanup_closedir_ DIR *none = NULL;

		check(d);
		kept = TAKE_PTR(d);
		check(!none);
	}
	check_int(count_fds(), before + 1);
	closedir(kept);
	{
		_cleanup_pclose_ FILE *p = popen("true", "r");

		check(p);
	}
	check_int(count_fds(), before);
}

static void test_fd_reopen(void)
{
	char tmpl[] = "/tmp/test-util.XXXXXX", path[4096], moved[64];
	struct stat a, b;
	int fd, nfd;

	check(mkdtemp(tmpl) != NULL);
	fd = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
	check(fd >= 0);
	check_int(fd_get_path(fd, path, sizeof(path)), 0);
	check_str(path, tmpl);
	check_int(fd_get_path(fd, path, 4), -ENAMETOOLONG);
	/* Renamed: the kernel's path follows it, and so does the reopen. */
	snprintf(moved, sizeof(moved), "%s.moved", tmpl);
	check(rename(tmpl, moved) == 0);
	nfd = fd_reopen_dir(fd);
	check(nfd >= 0);
	check(fstat(fd, &a) == 0 && fstat(nfd, &b) == 0);
	check(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	close(nfd);
	/* Removed: no path leads to it any more. */
	check(rmdir(moved) == 0);
	check(fd_reopen_dir(fd) < 0);
	close(fd);
}

TAP_MAIN(TAP_CASE(test_parse_size), TAP_CASE(test_parse_uint), TAP_CASE(test_parse_bool),
	 TAP_CASE(test_atomic_write), TAP_CASE(test_strstrip),
	 TAP_CASE(test_pread_pwrite_full), TAP_CASE(test_cleanup),
	 TAP_CASE(test_fd_reopen))
