// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "ini.h"
#include "log.h"
#include "util.h"

static void strip_inline_comment(char *v)
{
	for (char *p = v; *p; p++) {
		if ((*p == '#' || *p == ';') && p > v && isspace((unsigned char)p[-1])) {
			*p = '\0';
			strstrip(v);
			return;
		}
	}
}

int ini_parse(const char *path, const char *text, unsigned int flags, ini_fn fn,
	      void *userdata)
{
	_cleanup_free_ char *copy = strdup(text);
	_cleanup_free_ char *section = NULL;
	unsigned int lineno = 0;
	char *line, *next;
	int r;

	if (!copy)
		return -ENOMEM;
	for (line = copy; line; line = next) {
		char *s, *eq, *k, *v;

		next = line_split(line);
		lineno++;
		s = strstrip(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (end && (flags & INI_INLINE_COMMENTS)) {
				char *rest = end + 1 + strspn(end + 1, " \t");

				if (!*rest || *rest == '#' || *rest == ';')
					end[1] = '\0';
			}
			if (!end || end[1] != '\0' || end == s + 1) {
				log_error("%s:%u: bad section header '%s'", path, lineno,
					  s);
				return -EINVAL;
			}
			*end = '\0';
			free(section);
			section = strdup(strstrip(s + 1));
			if (!section)
				return -ENOMEM;
			r = fn(userdata, section, NULL, NULL, lineno);
			if (r < 0)
				return r;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			log_error("%s:%u: expected 'key = value', got '%s'", path, lineno,
				  s);
			return -EINVAL;
		}
		*eq = '\0';
		k = strstrip(s);
		v = strstrip(eq + 1);
		if (flags & INI_INLINE_COMMENTS)
			strip_inline_comment(v);
		r = fn(userdata, section, k, v, lineno);
		if (r < 0)
			return r;
	}
	return 0;
}
