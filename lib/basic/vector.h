/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Grow the array *ptr of elements of elem_size bytes, whose room is *cap
 * elements, to hold at least want. Room doubles, so appending one at a time
 * costs amortised O(1). 0 or -ENOMEM (the array is left as it was).
 */
int vector_reserve(void **ptr, size_t *cap, size_t want, size_t elem_size);

/*
 * A typed growable array:
 *
 *     DEFINE_VECTOR(int_vector, int);
 *     int_vector v = { 0 };
 *     r = int_vector_append(&v, 42);     // v.ptr[0] == 42, v.len == 1
 *     int_vector_reset(&v);
 *
 * NAME_reserve(v, n)   room for n more elements
 * NAME_append(v, x)    add x at the end
 * NAME_remove(v, i)    drop element i, the later ones move down
 * NAME_sort(v, cmp)    qsort with a comparison of two const TYPE *
 * NAME_reset(v)        free the array (not what its elements point to)
 */
#define DEFINE_VECTOR(name, type)                                                     \
	typedef struct {                                                              \
		type *ptr;                                                            \
		size_t len, cap;                                                      \
	} name;                                                                       \
	static inline __attribute__((unused)) int name##_reserve(name *v, size_t n)   \
	{                                                                             \
		if (n > SIZE_MAX - v->len)                                            \
			return -ENOMEM;                                               \
		return vector_reserve((void **)&v->ptr, &v->cap, v->len + n,          \
				      sizeof(type));                                  \
	}                                                                             \
	static inline __attribute__((unused)) int name##_append(name *v, type x)      \
	{                                                                             \
		int _r = name##_reserve(v, 1);                                        \
		if (_r < 0)                                                           \
			return _r;                                                    \
		v->ptr[v->len++] = x;                                                 \
		return 0;                                                             \
	}                                                                             \
	static inline __attribute__((unused)) void name##_remove(name *v, size_t i)   \
	{                                                                             \
		memmove(&v->ptr[i], &v->ptr[i + 1], (v->len - i - 1) * sizeof(type)); \
		v->len--;                                                             \
	}                                                                             \
	static inline __attribute__((unused)) void name##_sort(                       \
		name *v, int (*cmp)(type const *, type const *))                      \
	{                                                                             \
		if (v->len > 1)                                                       \
			qsort(v->ptr, v->len, sizeof(type),                           \
			      (int (*)(const void *, const void *))cmp);              \
	}                                                                             \
	static inline __attribute__((unused)) void name##_reset(name *v)              \
	{                                                                             \
		free(v->ptr);                                                         \
		v->ptr = NULL;                                                        \
		v->len = v->cap = 0;                                                  \
	}

#define vector_foreach(p, v) \
	for (__typeof__((v)->ptr) p = (v)->ptr; p && p < (v)->ptr + (v)->len; p++)
