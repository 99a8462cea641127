// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "tap.h"

static void test_append(void)
{
	_cleanup_strbuf_ struct strbuf b = { 0 };

	check_str(strbuf_str(&b), "");
	check_int(strbuf_appends(&b, "abc"), 0);
	check_int(strbuf_appendc(&b, ':'), 0);
	check_int(strbuf_append(&b, "xyz", 2), 0);
	check_int(strbuf_appendf(&b, " %d-%s", 42, "end"), 0);
	check_str(strbuf_str(&b), "abc:xy 42-end");
	check_int(b.len, 13);
	check(b.cap > b.len);
}

/* One empty buffer appended to another: s is NULL, the length 0. */
static void test_append_empty(void)
{
	_cleanup_strbuf_ struct strbuf a = { 0 }, b = { 0 };

	check_int(strbuf_append(&a, b.s, b.len), 0);
	check_str(strbuf_str(&a), "");
	check_int(a.len, 0);
}

/* Past the first allocation: content and length survive every growth. */
static void test_growth(void)
{
	_cleanup_strbuf_ struct strbuf b = { 0 };

	for (int i = 0; i < 10000; i++)
		check_int(strbuf_appendf(&b, "%04d", i), 0);
	check_int(b.len, 40000);
	check_int(strlen(b.s), 40000);
	check(memcmp(b.s, "000000010002", 12) == 0);
	check(memcmp(b.s + 39996, "9999", 4) == 0);
}

static void test_steal(void)
{
	struct strbuf b = { 0 };
	_cleanup_free_ char *empty = strbuf_steal(&b), *s = NULL;

	check_str(empty, "");
	check_int(strbuf_appends(&b, "line\n"), 0);
	s = strbuf_steal(&b);
	check_str(s, "line\n");
	check(b.s == NULL && b.len == 0 && b.cap == 0);
	strbuf_done(&b);
}

TAP_MAIN(TAP_CASE(test_append), TAP_CASE(test_append_empty), TAP_CASE(test_growth),
	 TAP_CASE(test_steal))
