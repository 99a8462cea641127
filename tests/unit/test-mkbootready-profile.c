// SPDX-License-Identifier: GPL-2.0-or-later
/* Profiles: parsing, errors, and which profile each distribution's os-release picks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "profile.h"
#include "rootdir.h"
#include "tap.h"
#include "util.h"

static const char *profiles(void)
{
	const char *src = getenv("PXEROOT_SRC");
	static char dir[4096];

	snprintf(dir, sizeof(dir), "%s/data/profiles", src ? src : "..");
	return dir;
}

static char *detect(const char *id, const char *like)
{
	char *name = NULL;
	int r = profile_detect(profiles(), id, like, &name);

	return r == 0 ? name : NULL;
}

static void test_detect_families(void)
{
	static const char *const cases[][3] = {
		{ "debian", NULL, "debian" },
		{ "ubuntu", "debian", "debian" },
		{ "linuxmint", "ubuntu debian", "debian" },
		{ "fedora", NULL, "fedora" },
		{ "rhel", "fedora", "fedora" },
		{ "centos", "rhel fedora", "fedora" },
		{ "rocky", "rhel centos fedora", "fedora" },
		{ "almalinux", "rhel centos fedora", "fedora" },
		{ "opensuse-tumbleweed", "opensuse suse", "opensuse" },
		{ "opensuse-leap", "suse opensuse", "opensuse" },
		{ "sles", NULL, "opensuse" },
		{ "arch", NULL, "arch" },
		{ "manjaro", "arch", "arch" },
		{ "endeavouros", "arch", "arch" },
		{ "alpine", NULL, "alpine" },
		/* An unknown ID falls back on ID_LIKE. */
		{ "somethingnew", "ubuntu", "debian" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = detect(cases[i][0], cases[i][1]);

		if (!got || strcmp(got, cases[i][2]) != 0) {
			fprintf(stderr, "ID=%s ID_LIKE=%s: got %s, want %s\n",
				cases[i][0], cases[i][1] ? cases[i][1] : "",
				got ? got : "(none)", cases[i][2]);
			exit(1);
		}
	}
	check(detect("plan9", NULL) == NULL);
	check(detect("plan9", "inferno") == NULL);
}

static void test_shipped_profiles_parse(void)
{
	static const char *const names[] = { "debian", "fedora", "opensuse", "arch",
					     "alpine" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		_cleanup_(profile_freep) struct profile *p = NULL;

		check_int(profile_load(profiles(), names[i], &p), 0);
		check_str(p->name, names[i]);
		check(p->package_db && p->package_db[0] == '/');
		check(strv_length(p->lease) >= 1);
		check(strv_length(p->tmpfs) >= 2);
		check(p->init ==
		      (strcmp(names[i], "alpine") == 0 ? INIT_OPENRC : INIT_SYSTEMD));
	}
}

static void test_parse_lists_and_errors(void)
{
	_cleanup_(profile_freep) struct profile *p = NULL;
	struct profile *bad = NULL;

	log_set_level(0);
	check_int(
		profile_parse("# c\nname = x\nmask = a b\n\nmask=c\ntmpfs = /tmp:1777\n",
			      "t", &p),
		0);
	check_int(strv_length(p->mask), 3);
	check_str(p->mask[2], "c");
	check_str(p->offline, "systemd");
	check_int(profile_parse("name = x\nbogus = 1\n", "t", &bad), -EINVAL);
	check_int(profile_parse("mask = a\n", "t", &bad), -EINVAL);
	check_int(profile_parse("name = x\nlease = carrier-pigeon\n", "t", &bad),
		  -EINVAL);
	check_int(profile_parse("name = x\ntmpfs = /tmp\n", "t", &bad), -EINVAL);
	check_int(profile_parse("name = x\ninit = upstart\n", "t", &bad), -EINVAL);
	check_int(profile_parse("name = x\nno equals sign\n", "t", &bad), -EINVAL);
	check_int(profile_load(profiles(), "../etc/passwd", &bad), -EINVAL);
}

static char *mktree(void)
{
	static char dir[] = "/tmp/pxeroot-journal.XXXXXX";

	check(mkdtemp(dir));
	return dir;
}

static void rmtree(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	check(system(cmd) == 0);
}

static void test_os_release(void)
{
	char *dir = mktree(), p[300];
	int root;
	struct os_release o;

	snprintf(p, sizeof(p), "%s/usr/lib", dir);
	check_int(root_mkdir_p(root = root_open_tree(dir), "/usr/lib", 0755), 0);
	snprintf(p, sizeof(p), "%s/usr/lib/os-release", dir);
	check_int(write_file_atomic_at(AT_FDCWD, p,
				       "NAME=\"Rocky Linux\"\nID=\"rocky\"\n"
				       "ID_LIKE=\"rhel centos fedora\"\n",
				       58, 0644),
		  0);
	/* No etc/os-release: the usr/lib one is read. */
	check_int(os_release_read(root, &o), 0);
	check_str(o.id, "rocky");
	check_str(o.id_like, "rhel centos fedora");
	os_release_done(&o);
	rmtree(dir);
}

/* The journal restores a file, a link, an absence and a directory. */
static void test_journal_roundtrip(void)
{
	char *dir = mktree(), p[300];
	int root = root_open_tree(dir);
	struct journal *j = NULL;
	struct root_meta meta = { .mode = 0600, .uid = -1, .gid = -1 };
	_cleanup_free_ char *a = NULL, *l = NULL;
	struct stat st;

	check(root >= 0);
	check_int(root_mkdir_p(root, "/etc", 0755), 0);
	check_int(root_replace(root, "/etc/a", "orig\n", 5, NULL, &meta), 0);
	check_int(root_replace(root, "/etc/l", NULL, 0, "/target", NULL), 0);
	check_int(journal_open(root, true, &j), 0);
	check_int(journal_record(j, "/etc/a"), 0);
	check_int(journal_record(j, "/etc/a"), 0); /* once only */
	check_int(journal_record(j, "/etc/l"), 0);
	check_int(journal_record(j, "/etc/new"), 0);
	check_int(journal_record(j, "/etc/newdir"), 0);
	check_int(journal_count(j), 4);
	meta.mode = 0644;
	check_int(root_replace(root, "/etc/a", "changed\n", 8, NULL, &meta), 0);
	check_int(root_replace(root, "/etc/l", NULL, 0, "/elsewhere", NULL), 0);
	check_int(root_replace(root, "/etc/new", "x", 1, NULL, NULL), 0);
	check_int(root_mkdir_p(root, "/etc/newdir", 0755), 0);
	/* A temporary file of an interrupted change. */
	snprintf(p, sizeof(p), "%s/etc/.a.pxeroot-new", dir);
	check_int(write_file_atomic_at(AT_FDCWD, p, "junk", 4, 0644), 0);
	journal_free(j);

	check_int(journal_open(root, false, &j), 0);
	check_int(journal_count(j), 4);
	check_int(journal_recover(j), 0);
	check_int(journal_undo(j, NULL, NULL), 0);
	journal_free(j);
	check_int(root_read_file(root, "/etc/a", &a, NULL), 0);
	check_str(a, "orig\n");
	check_int(root_stat(root, "/etc/a", false, &st), 0);
	check_int(st.st_mode & 07777, 0600);
	check_int(root_readlink(root, "/etc/l", &l), 0);
	check_str(l, "/target");
	check_int(root_stat(root, "/etc/new", false, &st), -ENOENT);
	check_int(root_stat(root, "/etc/newdir", false, &st), -ENOENT);
	check_int(root_stat(root, "/etc/.a.pxeroot-new", false, &st), -ENOENT);
	check_int(root_stat(root, "/var/lib/pxeroot", false, &st), -ENOENT);
	rmtree(dir);
}

TAP_MAIN(TAP_CASE(test_detect_families), TAP_CASE(test_shipped_profiles_parse),
	 TAP_CASE(test_parse_lists_and_errors), TAP_CASE(test_os_release),
	 TAP_CASE(test_journal_roundtrip))
