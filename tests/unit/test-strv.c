// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "tap.h"

static void test_extend(void)
{
	_cleanup_strv_free_ char **l = NULL;
	size_t n = 0;

	check_int(strv_length(l), 0);
	check(!strv_contains(l, "a"));
	check_int(strv_extend(&l, "b"), 0);
	check_int(strv_extend(&l, "a"), 0);
	check_int(strv_extendn(&l, "cdef", 1), 0);
	check_int(strv_consume(&l, strdup("d")), 0);
	check_int(strv_length(l), 4);
	check(l[4] == NULL);
	check_str(l[0], "b");
	check_str(l[2], "c");
	check(strv_contains(l, "d"));
	check(!strv_contains(l, "e"));
	check_int(strv_extend_uniq(&l, "a"), 0);
	check_int(strv_extend_uniq(&l, "e"), 1);
	check_int(strv_length(l), 5);
	strv_foreach(s, l)
		n++;
	check_int(n, 5);
	/* A failed strdup reaches strv_consume as NULL: no memory, nothing added. */
	check_int(strv_consume(&l, NULL), -ENOMEM);
	check_int(strv_length(l), 5);
}

static void test_sort_join(void)
{
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_free_ char *empty = NULL, *one = NULL, *all = NULL;

	empty = strv_join(l, ", ");
	check_str(empty, "");
	check_int(strv_extend(&l, "pear"), 0);
	one = strv_join(l, ", ");
	check_str(one, "pear");
	check_int(strv_extend(&l, "apple"), 0);
	check_int(strv_extend(&l, "fig"), 0);
	strv_sort(l);
	all = strv_join(l, ", ");
	check_str(all, "apple, fig, pear");
}

TAP_MAIN(TAP_CASE(test_extend), TAP_CASE(test_sort_join))
