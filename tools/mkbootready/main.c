// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkbootready: prepare an installed distribution tree for a shared read-only
 * network root. This file only parses options; the work is in lib/bootready.c,
 * which bootchroot shares.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bootready.h"
#include "cli.h"
#include "log.h"
#include "util.h"

static void usage(void)
{
	printf("Usage: %s [OPTIONS] SYSROOT\n"
	       "\n"
	       "Prepare the distribution tree SYSROOT for a shared read-only network root.\n"
	       "\n"
	       "Options:\n"
	       "  -p, --profile NAME       use profiles/NAME.conf (default: from os-release)\n"
	       "      --idmap-domain NAME  NFSv4 ID-mapping domain (default: this host's)\n"
	       "  -n, --dry-run            print the plan, change nothing\n"
	       "  -c, --check              report readiness; exit 0 only when ready\n"
	       "  -u, --undo               restore the tree from its journal\n"
	       "      --force-host         allow SYSROOT to be the running system's /\n",
	       log_prog());
	usage_common_options(27);
}

enum {
	OPT_IDMAP = 0x100,
	OPT_FORCE_HOST,
};

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "idmap-domain", required_argument, NULL, OPT_IDMAP },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "check", no_argument, NULL, 'c' },
		{ "undo", no_argument, NULL, 'u' },
		{ "force-host", no_argument, NULL, OPT_FORCE_HOST },
		CLI_COMMON_LONGOPTS,
		{}
	};
	struct bootready_opts o = { 0 };
	bool check = false, undo = false, force_host = false;
	int c, r, rootfd;

	log_init(argv[0]);
	/* Reports and errors interleave in the order they happen. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "p:ncu" CLI_COMMON_SHORTOPTS, options,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			o.profile = optarg;
			break;
		case OPT_IDMAP:
			o.idmap_domain = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'c':
			check = true;
			break;
		case 'u':
			undo = true;
			break;
		case OPT_FORCE_HOST:
			force_host = true;
			break;
			CLI_COMMON_CASES(usage);
		}
	}
	if (optind + 1 != argc) {
		log_error(optind >= argc ? "no SYSROOT given" : "too many arguments");
		errtryhelp();
	}
	if (check && undo) {
		log_error("--check and --undo exclude each other");
		errtryhelp();
	}

	r = bootready_open(argv[optind], force_host, &rootfd);
	if (r < 0)
		return EXIT_FAILURE;
	if (undo) {
		r = bootready_undo(rootfd, o.dry_run);
		if (r < 0)
			return EXIT_FAILURE;
		if (log_get_level() >= LOG_LEVEL_NOTICE)
			printf("%s %d path%s\n", o.dry_run ? "would restore" : "restored",
			       r, r == 1 ? "" : "s");
		return EXIT_SUCCESS;
	}
	if (check) {
		r = bootready_check(rootfd, &o);
		if (r < 0)
			return EXIT_FAILURE;
		if (log_get_level() >= LOG_LEVEL_NOTICE)
			printf(r ? "not ready: %d step%s to do\n" : "ready\n", r,
			       r == 1 ? "" : "s");
		return r ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	r = bootready_prepare(rootfd, &o);
	if (r < 0)
		return EXIT_FAILURE;
	if (log_get_level() >= LOG_LEVEL_NOTICE) {
		if (o.dry_run)
			printf("%d change%s planned\n", r, r == 1 ? "" : "s");
		else if (r)
			printf("%d change%s made\n", r, r == 1 ? "" : "s");
		else
			printf("nothing to change: the tree is ready\n");
	}
	return EXIT_SUCCESS;
}
