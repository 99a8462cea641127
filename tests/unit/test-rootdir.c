// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootdir.h"
#include "tap.h"
#include "util.h"

/* A tree whose links all try to leave it: /etc/passwd, ../../, and a dir link. */
static char *hostile_tree(void)
{
	static char dir[] = "/tmp/pxeroot-rootdir.XXXXXX";
	char p[256];

	check(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/etc", dir);
	check(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/etc/passwd", dir);
	check(write_file_atomic_at(AT_FDCWD, p, "tree\n", 5, 0644) == 0);
	snprintf(p, sizeof(p), "%s/abs", dir);
	check(symlink("/etc/passwd", p) == 0);
	snprintf(p, sizeof(p), "%s/etc/up", dir);
	check(symlink("../../../../../etc/passwd", p) == 0);
	snprintf(p, sizeof(p), "%s/tmpdir", dir);
	check(symlink("/tmp", p) == 0);
	return dir;
}

static void remove_tree(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	check(system(cmd) == 0);
}

static void test_absolute_link_stays_inside(void)
{
	char *dir = hostile_tree();
	int root = root_open_tree(dir);
	_cleanup_free_ char *a = NULL, *b = NULL;

	check(root >= 0);
	check_int(root_read_file(root, "/abs", &a, NULL), 0);
	check_str(a, "tree\n");
	check_int(root_read_file(root, "etc/up", &b, NULL), 0);
	check_str(b, "tree\n");
	remove_tree(dir);
}

static void test_write_through_dir_link_stays_inside(void)
{
	char *dir = hostile_tree();
	int root = root_open_tree(dir);
	char p[256];
	struct stat st;

	check(root >= 0);
	/* /tmpdir -> /tmp means the tree's /tmp, which does not exist yet. */
	check_int(root_write_file_atomic(root, "/tmpdir/x", "y", 1, 0644), -ENOENT);
	check_int(root_mkdir_p(root, "/tmp/sub", 0755), 0);
	check_int(root_write_file_atomic(root, "/tmpdir/sub/x", "y", 1, 0644), 0);
	snprintf(p, sizeof(p), "%s/tmp/sub/x", dir);
	check_int(stat(p, &st), 0);
	check_int(stat("/tmp/sub/x", &st) < 0 && errno == ENOENT, 1);
	remove_tree(dir);
}

static void test_stat_and_readlink(void)
{
	char *dir = hostile_tree();
	int root = root_open_tree(dir);
	_cleanup_free_ char *target = NULL;
	struct stat st;

	check_int(root_stat(root, "/abs", false, &st), 0);
	check(S_ISLNK(st.st_mode));
	check_int(root_stat(root, "/abs", true, &st), 0);
	check(S_ISREG(st.st_mode));
	check_int(st.st_size, 5);
	check_int(root_readlink(root, "/abs", &target), 0);
	check_str(target, "/etc/passwd");
	check_int(root_readlink(root, "/etc/passwd", &target), -EINVAL);
	check_int(root_stat(root, "/nope", false, &st), -ENOENT);
	check_int(root_stat(root, "/", false, &st), 0);
	check(S_ISDIR(st.st_mode));
	remove_tree(dir);
}

static void test_mkdir_p_refuses_file(void)
{
	char *dir = hostile_tree();
	int root = root_open_tree(dir);

	check_int(root_mkdir_p(root, "/etc/passwd/x", 0755), -ENOTDIR);
	check_int(root_mkdir_p(root, "a/b/c/", 0755), 0);
	check_int(root_mkdir_p(root, "a/b/c", 0755), 0);
	remove_tree(dir);
}

/* What an open gave: the inode and type it reached, or its error. */
static void opened(int fd, char *out, size_t size)
{
	struct stat st;

	if (fd < 0) {
		snprintf(out, size, "error %d", fd);
		return;
	}
	check(fstat(fd, &st) == 0);
	snprintf(out, size, "ino %llu type %o", (unsigned long long)st.st_ino,
		 (unsigned)(st.st_mode & S_IFMT));
	close(fd);
}

/* The by-hand walk (no openat2) reaches exactly what openat2 reaches. */
static void test_walk_matches_openat2(void)
{
	static const struct {
		const char *path;
		int flags;
	} cases[] = {
		{ "/abs", O_RDONLY },
		{ "/abs", O_PATH | O_NOFOLLOW },
		{ "/abs", O_RDONLY | O_NOFOLLOW },
		{ "etc/up", O_RDONLY },
		{ "../../../etc/passwd", O_RDONLY },
		{ "/etc/../../../etc/./passwd", O_RDONLY },
		{ "etc/passwd/x", O_RDONLY },
		{ "etc/passwd/", O_RDONLY },
		{ "etc//", O_PATH },
		{ "tmpdir/x", O_RDONLY },
		{ "tmpdir", O_PATH },
		{ "loop1", O_RDONLY },
		{ "", O_PATH | O_DIRECTORY },
		{ "/..", O_PATH | O_DIRECTORY },
		{ "d/up/etc/passwd", O_RDONLY },
		{ "d/self/self/self/etc", O_PATH | O_DIRECTORY },
		{ "nope/x", O_RDONLY },
	};
	char *dir = hostile_tree();
	int root = root_open_tree(dir);
	char p[256], a[64], b[64];

	snprintf(p, sizeof(p), "%s/loop1", dir);
	check(symlink("loop2", p) == 0);
	snprintf(p, sizeof(p), "%s/loop2", dir);
	check(symlink("/loop1", p) == 0);
	check_int(root_mkdir_p(root, "/d", 0755), 0);
	snprintf(p, sizeof(p), "%s/d/up", dir);
	check(symlink("../..", p) == 0);
	snprintf(p, sizeof(p), "%s/d/self", dir);
	check(symlink(".", p) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		opened(root_open(root, cases[i].path, cases[i].flags, 0), a, sizeof(a));
		opened(root_open_walk(root, cases[i].path, cases[i].flags, 0), b,
		       sizeof(b));
		if (strcmp(a, b) != 0)
			fprintf(stderr, "# %s: openat2 %s, walk %s\n", cases[i].path, a,
				b);
		check_str(b, a);
	}
	/* Creation follows a link to a name that does not exist yet, inside. */
	check_int(root_mkdir_p(root, "/tmp", 0755), 0);
	opened(root_open_walk(root, "tmpdir/new", O_WRONLY | O_CREAT, 0644), a,
	       sizeof(a));
	snprintf(p, sizeof(p), "%s/tmp/new", dir);
	check(access(p, F_OK) == 0);
	remove_tree(dir);
}

TAP_MAIN(TAP_CASE(test_absolute_link_stays_inside), TAP_CASE(test_walk_matches_openat2),
	 TAP_CASE(test_write_through_dir_link_stays_inside),
	 TAP_CASE(test_stat_and_readlink), TAP_CASE(test_mkdir_p_refuses_file))
