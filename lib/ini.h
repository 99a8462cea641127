/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The INI reader shared by nbdexport.conf and pxebootsrv.conf: "[section]"
 * headers, "key = value" lines, blank lines and lines starting with '#' or ';'.
 * Written here rather than taken from libinih because every error, the reader's
 * and the caller's alike, must name FILE:LINE, and libinih's Debian build
 * reports only the number of the first bad line, without a reason.
 */

enum ini_flags {
	/* " # text" or " ; text" after a value is a comment (a '#' inside a
	 * word, as in a URL fragment, is kept). */
	INI_INLINE_COMMENTS = 1 << 0,
};

/*
 * Called once per section header (key and value NULL; section is the text
 * between the brackets, stripped) and once per "key = value" line (section
 * NULL before the first header). Returns 0 to go on, or a negative errno
 * (after logging "FILE:LINE: ..." itself) to stop the parse.
 */
typedef int (*ini_fn)(void *userdata, const char *section, const char *key,
		      const char *value, unsigned int line);

/*
 * Parse text; path is only for messages. Malformed lines are logged as
 * "PATH:LINE: bad section header '...'" or "PATH:LINE: expected 'key =
 * value', got '...'" and return -EINVAL; a callback's error is returned as is.
 */
int ini_parse(const char *path, const char *text, unsigned int flags, ini_fn fn,
	      void *userdata);
