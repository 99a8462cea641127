// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vector.h"

DEFINE_VECTOR(int_vector, int)

struct pair {
	const char *name;
	int n;
};
DEFINE_VECTOR(pair_vector, struct pair)

static int cmp_int(const int *a, const int *b)
{
	return *a < *b ? -1 : *a > *b;
}

static void test_append_remove(void)
{
	int_vector v = { 0 };
	size_t n = 0;

	for (int i = 0; i < 1000; i++)
		check_int(int_vector_append(&v, 999 - i), 0);
	check_int(v.len, 1000);
	check(v.cap >= 1000);
	check_int(v.ptr[0], 999);
	int_vector_sort(&v, cmp_int);
	for (size_t i = 0; i < v.len; i++)
		check_int(v.ptr[i], i);
	int_vector_remove(&v, 0);
	int_vector_remove(&v, 500);
	check_int(v.len, 998);
	check_int(v.ptr[0], 1);
	check_int(v.ptr[499], 500);
	check_int(v.ptr[500], 502);
	vector_foreach(p, &v)
		n++;
	check_int(n, 998);
	int_vector_reset(&v);
	check(v.ptr == NULL && v.len == 0 && v.cap == 0);
	n = 0;
	vector_foreach(p, &v)
		n++;
	check_int(n, 0);
}

static void test_struct_elements(void)
{
	pair_vector v = { 0 };

	check_int(pair_vector_append(&v, (struct pair){ "a", 1 }), 0);
	check_int(pair_vector_append(&v, (struct pair){ "b", 2 }), 0);
	check_str(v.ptr[1].name, "b");
	check_int(v.ptr[1].n, 2);
	/* reserve makes room without adding. */
	check_int(pair_vector_reserve(&v, 100), 0);
	check(v.cap >= 102);
	check_int(v.len, 2);
	pair_vector_reset(&v);
}

/* A size that cannot be allocated is -ENOMEM, and the vector stays usable. */
static void test_overflow(void)
{
	int_vector v = { 0 };

	check_int(int_vector_append(&v, 7), 0);
	check_int(int_vector_reserve(&v, SIZE_MAX), -ENOMEM);
	check_int(int_vector_reserve(&v, SIZE_MAX / 2), -ENOMEM);
	check_int(v.len, 1);
	check_int(v.ptr[0], 7);
	int_vector_reset(&v);
}

TAP_MAIN(TAP_CASE(test_append_remove), TAP_CASE(test_struct_elements),
	 TAP_CASE(test_overflow))
