/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "macro.h"
#include "util.h"

/*
 * The command-line vocabulary every pxeroot program shares: the same four
 * options mean the same everywhere, and their help lines are printed from
 * here so that no program words them its own way.
 *
 *   -h, --help     the usage on stdout, exit 0
 *   -V, --version  "PROG (pxeroot) VERSION" on stdout, exit 0
 *   -v, --verbose  say more; once more for debug messages
 *   -q, --quiet    errors only
 *
 * A usage error is one line naming the problem (log_error), then errtryhelp()
 * (util.h): "Try 'PROG --help' for more information." on stderr, exit 2.
 *
 * In a program:
 *
 *     static const struct option options[] = {
 *             { "output", required_argument, NULL, 'o' },
 *             CLI_COMMON_LONGOPTS,
 *             {}
 *     };
 *     while ((c = getopt_long(argc, argv, "o:" CLI_COMMON_SHORTOPTS, options,
 *                             NULL)) != -1) {
 *             switch (c) {
 *             case 'o': ...; break;
 *             CLI_COMMON_CASES(usage);
 *             }
 *     }
 *
 * and usage() ends its option list with usage_common_options(COLUMN), COLUMN
 * being where its own options' descriptions start.
 */
#define CLI_COMMON_SHORTOPTS "vqhV"

/* clang-format off */
#define CLI_COMMON_LONGOPTS                        \
	{ "verbose", no_argument, NULL, 'v' },     \
	{ "quiet", no_argument, NULL, 'q' },       \
	{ "help", no_argument, NULL, 'h' },        \
	{ "version", no_argument, NULL, 'V' }
/* clang-format on */

/* What -v and -q do to the log level. */
#define CLI_VERBOSE() log_adjust_level(1)
#define CLI_QUIET() log_set_level(LOG_LEVEL_ERR)

/*
 * The switch cases for the four (usage_fn prints the help), and the default:
 * an unknown option or a missing argument, which getopt has already named.
 */
#define CLI_COMMON_CASES(usage_fn)  \
	case 'v':                   \
		CLI_VERBOSE();      \
		break;              \
	case 'q':                   \
		CLI_QUIET();        \
		break;              \
	case 'h':                   \
		usage_fn();         \
		exit(EXIT_SUCCESS); \
	case 'V':                   \
		print_version();    \
	default:                    \
		errtryhelp()

/* The help lines of the four: the option, then its description. */
#define USAGE_OPT_VERBOSE "-v, --verbose", "say more (repeat for debug)"
#define USAGE_OPT_QUIET "-q, --quiet", "print errors only"
#define USAGE_OPT_HELP "-h, --help", "show this help and exit"
#define USAGE_OPT_VERSION "-V, --version", "show the version and exit"

/* One help line: two spaces, the option padded to column col, its description. */
static inline void usage_line(int col, const char *opt, const char *desc)
{
	printf("  %-*s%s\n", col - 2, opt, desc);
}

/* The -q, -h and -V lines, descriptions starting at column col. */
static inline void usage_common_options_but_verbose(int col)
{
	usage_line(col, USAGE_OPT_QUIET);
	usage_line(col, USAGE_OPT_HELP);
	usage_line(col, USAGE_OPT_VERSION);
}

/* The four common lines, descriptions starting at column col. */
static inline void usage_common_options(int col)
{
	usage_line(col, USAGE_OPT_VERBOSE);
	usage_common_options_but_verbose(col);
}
