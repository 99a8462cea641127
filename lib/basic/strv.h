/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/*
 * A string vector: a NULL-terminated array of malloc'ed strings, itself
 * malloc'ed. NULL is the empty vector, so a variable starts as NULL and
 * grows with strv_extend().
 */
size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
void strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Append s and own it (s is freed when the vector cannot grow); 0 or -ENOMEM. */
int strv_consume(char ***l, char *s);
/* Append a copy of s. */
int strv_extend(char ***l, const char *s);
/* Append a copy of the first n bytes of s. */
int strv_extendn(char ***l, const char *s, size_t n);
/* Append a copy of s unless the vector holds it already; 1 added, 0 present. */
int strv_extend_uniq(char ***l, const char *s);
/* Sort in strcmp() order. */
void strv_sort(char **l);
/* The strings joined with sep between them; "" for an empty vector. */
char *strv_join(char *const *l, const char *sep);

#define strv_foreach(s, l) for (char *const *s = (l); s && *s; s++)
