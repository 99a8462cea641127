/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "macro.h"

/*
 * A growable string: bytes appended at the end, always NUL-terminated once
 * anything was added. A zeroed struct strbuf is an empty one.
 */
struct strbuf {
	char *s;
	size_t len, cap;
};

/* Each returns 0 or -ENOMEM (the buffer keeps what it had). */
int strbuf_append(struct strbuf *b, const void *data, size_t n);
int strbuf_appends(struct strbuf *b, const char *s);
int strbuf_appendc(struct strbuf *b, char c);
int strbuf_appendf(struct strbuf *b, const char *fmt, ...) _printf_(2, 3);

/* The content so far ("" when empty); valid until the next append. */
const char *strbuf_str(const struct strbuf *b);
/* Hand the string on (malloc'ed, "" when empty) and empty b; NULL: no memory. */
char *strbuf_steal(struct strbuf *b);
void strbuf_done(struct strbuf *b);
#define _cleanup_strbuf_ _cleanup_(strbuf_done)
