/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include "macro.h"

/*
 * One logging front end for every pxeroot program. Messages go to stderr as
 * "prog: message" (lower case, no full stop), or to syslog once a daemon has
 * detached. Levels follow syslog's numbering.
 */
enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

void log_init(const char *argv0);
const char *log_prog(void);
void log_set_level(int level);
int log_get_level(void);
void log_adjust_level(int delta);
void log_use_syslog(bool on);
void log_set_timestamps(bool on);
/*
 * Until called again with NULL, the calling thread's error messages are not
 * written: the first is kept in buf (a daemon that rejects a whole reload
 * says why in one line).
 */
void log_capture_errors(char *buf, size_t len);

void log_msg(int level, const char *fmt, ...) _printf_(2, 3);
/* Log "message: strerror(-r)" and return r, so callers can `return log_errno(r, ...)`. */
int log_errno_msg(int level, int r, const char *fmt, ...) _printf_(3, 4);

#define log_error(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                              \
	do {                                                        \
		if (_unlikely_(log_get_level() >= LOG_LEVEL_DEBUG)) \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);      \
	} while (0)

#define log_errno(r, ...) log_errno_msg(LOG_LEVEL_ERR, (r), __VA_ARGS__)
#define log_warn_errno(r, ...) log_errno_msg(LOG_LEVEL_WARNING, (r), __VA_ARGS__)
#define log_info_errno(r, ...) log_errno_msg(LOG_LEVEL_INFO, (r), __VA_ARGS__)
#define log_debug_errno(r, ...) log_errno_msg(LOG_LEVEL_DEBUG, (r), __VA_ARGS__)
