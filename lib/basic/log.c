// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char *prog = "pxeroot";
static int max_level = LOG_LEVEL_NOTICE;
static bool to_syslog;
static bool timestamps;
static __thread char *capture_buf;
static __thread size_t capture_len;

void log_init(const char *argv0)
{
	const char *slash;

	if (!argv0 || !*argv0)
		return;
	slash = strrchr(argv0, '/');
	prog = slash ? slash + 1 : argv0;
}

const char *log_prog(void)
{
	return prog;
}

void log_set_level(int level)
{
	max_level = level;
}

int log_get_level(void)
{
	return max_level;
}

void log_adjust_level(int delta)
{
	max_level += delta;
	if (max_level < LOG_LEVEL_ERR)
		max_level = LOG_LEVEL_ERR;
	if (max_level > LOG_LEVEL_DEBUG)
		max_level = LOG_LEVEL_DEBUG;
}

void log_use_syslog(bool on)
{
	if (on && !to_syslog)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && to_syslog)
		closelog();
	to_syslog = on;
}

void log_set_timestamps(bool on)
{
	timestamps = on;
}

void log_capture_errors(char *buf, size_t len)
{
	capture_buf = len ? buf : NULL;
	capture_len = len;
	if (capture_buf)
		capture_buf[0] = '\0';
}

static void log_write(int level, const char *msg)
{
	if (capture_buf && level <= LOG_LEVEL_ERR) {
		if (!capture_buf[0])
			snprintf(capture_buf, capture_len, "%s", msg);
		return;
	}
	if (level > max_level)
		return;
	if (to_syslog) {
		syslog(level, "%s", msg);
		return;
	}
	if (timestamps) {
		struct timespec ts;
		struct tm tm;
		char buf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s: %s\n", buf, ts.tv_nsec / 1000000, prog,
			msg);
	} else {
		fprintf(stderr, "%s: %s\n", prog, msg);
	}
}

void log_msg(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int saved = errno;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_write(level, buf);
	errno = saved;
}

int log_errno_msg(int level, int r, const char *fmt, ...)
{
	char buf[1024];
	size_t n;
	va_list ap;
	int saved = errno;

	if (level > max_level)
		return r;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	if (r < 0 && n < sizeof(buf) - 2)
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(-r));
	log_write(level, buf);
	errno = saved;
	return r;
}
