// SPDX-License-Identifier: GPL-2.0-or-later
/* Generation identities from file names, and the status table's text. */
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "identity.h"
#include "status.h"
#include "tap.h"

static void test_names(void)
{
	char id[IDENTITY_LEN + 1];
	size_t stem, ext;

	check(identity_from_name("debian-0123456789abcdef.sqfs", id, &stem, &ext));
	check_str(id, "0123456789abcdef");
	check_int(stem, 6);
	check_int(ext, 23);
	check(identity_from_name("a-b-fedcba9876543210", id, &stem, &ext));
	check_int(stem, 3);
	check_int(ext, 20);
	/* Upper case, too short, no stem, no dash: plain images. */
	check(!identity_from_name("debian-0123456789ABCDEF.sqfs", id, NULL, NULL));
	check(!identity_from_name("debian-0123456789abcde.sqfs", id, NULL, NULL));
	check(!identity_from_name("-0123456789abcdef.sqfs", id, NULL, NULL));
	check(!identity_from_name("debian_0123456789abcdef.sqfs", id, NULL, NULL));
	check(!identity_from_name("sysrcd.dat", id, NULL, NULL));
	check(identity_valid("0123456789abcdef", 16));
	check(!identity_valid("0123456789abcdeg", 16));
	check(!identity_valid("../../etc/passwd", 16));
}

static void test_split(void)
{
	const char *id;
	size_t len;

	check(export_split_generation("debian@0123456789abcdef", &len, &id));
	check_int(len, 6);
	check_str(id, "0123456789abcdef");
	check(export_split_generation("a@b@0123456789abcdef", &len, &id));
	check_int(len, 3);
	check(!export_split_generation("debian", &len, &id));
	check(!export_split_generation("@0123456789abcdef", &len, &id));
	check(!export_split_generation("debian@0123", &len, &id));
}

static struct export *fake(const char *name, const char *canonical, const char *real)
{
	struct export *e = calloc(1, sizeof(*e));

	atomic_init(&e->refs, 1);
	e->fd = -1;
	e->name = strdup(name);
	e->canonical = strdup(canonical);
	e->path = strdup(real);
	e->real = strdup(real);
	return e;
}

static int changes;
static void count(void *data)
{
	changes++;
}

static void test_format(void)
{
	struct export *cur = fake("debian", "debian@1111111111111111",
				  "/srv/x/debian-1111111111111111.sqfs");
	struct export *old = fake("debian", "debian@2222222222222222",
				  "/srv/a b\\c\td\ne/debian-2222222222222222.sqfs");
	struct status s;
	struct status_attach *a, *b;
	char *text = NULL, want[1024];
	size_t len;

	status_init(&s, count, NULL);
	a = status_attach(&s, "10.0.0.5:41234", old);
	check(a != NULL);
	check_int(changes, 1);
	b = status_attach(&s, "10.0.0.6:5000", old);
	/* A burst wakes the writer once. */
	check_int(changes, 1);
	a->since = 1765090000;
	b->since = 1765090001;
	check_int(status_format(&s, 42, &cur, 1, &text, &len), 0);
	check(!atomic_load(&s.dirty));
	snprintf(
		want, sizeof(want),
		"# nbdexport status\n"
		"pid 42\n"
		"export debian debian@1111111111111111 /srv/x/debian-1111111111111111.sqfs\n"
		"export debian debian@2222222222222222 "
		"/srv/a\\040b\\134c\\011d\\012e/debian-2222222222222222.sqfs\n"
		"client 10.0.0.6:5000 debian@2222222222222222 "
		"/srv/a\\040b\\134c\\011d\\012e/debian-2222222222222222.sqfs 1765090001\n"
		"client 10.0.0.5:41234 debian@2222222222222222 "
		"/srv/a\\040b\\134c\\011d\\012e/debian-2222222222222222.sqfs 1765090000\n");
	check_str(text, want);
	check_int(len, strlen(want));
	free(text);
	status_detach(&s, a);
	check_int(changes, 2);
	status_detach(&s, b);
	check_int(status_format(&s, 42, &cur, 1, &text, &len), 0);
	check_str(text, "# nbdexport status\npid 42\n"
			"export debian debian@1111111111111111 "
			"/srv/x/debian-1111111111111111.sqfs\n");
	free(text);
	status_fini(&s);
	export_unref(cur);
	export_unref(old);
}

TAP_MAIN(TAP_CASE(test_names), TAP_CASE(test_split), TAP_CASE(test_format))
