// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

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

TAP_MAIN(TAP_CASE(test_absolute_link_stays_inside),
	 TAP_CASE(test_write_through_dir_link_stays_inside),
	 TAP_CASE(test_stat_and_readlink), TAP_CASE(test_mkdir_p_refuses_file))
