// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>

#include "ini.h"
#include "log.h"
#include "tap.h"

static char seen[1024];

static int record(void *userdata, const char *section, const char *key, const char *value,
		  unsigned int line)
{
	size_t n = strlen(seen);

	snprintf(seen + n, sizeof(seen) - n, "%u[%s]%s=%s|", line,
		 section ? section : "-", key ? key : "", value ? value : "");
	return key && strcmp(key, "stop") == 0 ? -EBADMSG : 0;
}

static void test_lines(void)
{
	seen[0] = '\0';
	check_int(ini_parse("f", "# c\n\na = 1\n[ s x ]\n ; c\nk =  v w \n", 0, record,
			    NULL),
		  0);
	check_str(seen, "3[-]a=1|4[s x]=|6[s x]k=v w|");
}

static void test_inline_comments(void)
{
	seen[0] = '\0';
	check_int(ini_parse("f", "[s] # c\nu = http://h/#x # c\nv = a ; b\n",
			    INI_INLINE_COMMENTS, record, NULL),
		  0);
	check_str(seen, "1[s]=|2[s]u=http://h/#x|3[s]v=a|");
	seen[0] = '\0';
	check_int(ini_parse("f", "v = a # b\n", 0, record, NULL), 0);
	check_str(seen, "1[-]v=a # b|");
}

static void test_errors(void)
{
	log_set_level(0);
	seen[0] = '\0';
	check_int(ini_parse("f", "[s\n", 0, record, NULL), -EINVAL);
	check_int(ini_parse("f", "[]\n", 0, record, NULL), -EINVAL);
	check_int(ini_parse("f", "[s] x\n", 0, record, NULL), -EINVAL);
	check_int(ini_parse("f", "novalue\n", 0, record, NULL), -EINVAL);
	check_int(ini_parse("f", "a = 1\nstop = 1\nb = 2\n", 0, record, NULL), -EBADMSG);
	check_str(seen, "1[-]a=1|2[-]stop=1|");
}

int main(void)
{
	static const struct tap_case cases[] = {
		TAP_CASE(test_lines),
		TAP_CASE(test_inline_comments),
		TAP_CASE(test_errors),
	};

	log_init("test-ini");
	return tap_run(cases, ARRAY_SIZE(cases));
}
