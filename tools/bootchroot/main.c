// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bootchroot: maintain a client tree. This file parses options; maintain.c
 * runs the parts in order, prune.c removes old image generations.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootchroot.h"
#include "cli.h"
#include "log.h"
#include "util.h"

static void usage(void)
{
	printf("Usage: %s [OPTIONS] SYSROOT [-- COMMAND [ARGS...]]\n"
	       "       %s --image OUT.sqfs --prune [--keep N] [--force] [--dry-run]\n"
	       "\n"
	       "Run COMMAND (default: a shell) inside the client tree SYSROOT to maintain it,\n"
	       "then prepare it again for clients and optionally publish an image of it.\n"
	       "\n"
	       "Options:\n"
	       "  -i, --image OUT.sqfs       publish a squashfs of the tree as a new generation\n"
	       "      --copy-to NEW          maintain a copy of SYSROOT, made at NEW when the\n"
	       "                             command succeeds; SYSROOT is left as it is\n"
	       "      --verity               append the image's dm-verity hash tree and write\n"
	       "                             its kernel parameters to GENERATION.verity\n"
	       "  -C, --compression ALG[:N]  the image's compression and level (default\n"
	       "                             zstd:3; gzip, xz, lz4, lzo, lzma)\n"
	       "      --rollback             point OUT.sqfs back at the previous generation\n"
	       "      --prune                remove the generations of OUT.sqfs but the current\n"
	       "                             one, unless a client still reads them\n"
	       "      --keep N               with --prune: keep the N newest too\n"
	       "      --status-file FILE     with --prune: nbdexport's status file (default\n"
	       "                             " NBDEXPORT_STATUS "; repeatable)\n"
	       "      --force                with --prune: prune what clients still read\n"
	       "  -n, --dry-run              with --prune: print the plan only\n"
	       "      --initramfs-cmd CMD    run CMD (with SYSROOT as $1) when a kernel changed\n"
	       "  -p, --profile NAME         profile for mkbootready (default: from os-release)\n"
	       "      --idmap-domain NAME    NFSv4 ID-mapping domain (default: this host's)\n"
	       "      --no-prepare           neither undo nor redo mkbootready's preparation\n"
	       "      --in-place             undo the preparation in SYSROOT itself, not in\n"
	       "                             a staging overlay (clients see the undone tree)\n",
	       log_prog(), log_prog());
	usage_common_options(29);
}

enum {
	OPT_ROLLBACK = 0x100,
	OPT_INITRAMFS_CMD,
	OPT_IDMAP,
	OPT_NO_PREPARE,
	OPT_IN_PLACE,
	OPT_PRUNE,
	OPT_KEEP,
	OPT_STATUS_FILE,
	OPT_FORCE,
	OPT_COPY_TO,
	OPT_VERITY,
};

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "compression", required_argument, NULL, 'C' },
		{ "rollback", no_argument, NULL, OPT_ROLLBACK },
		{ "initramfs-cmd", required_argument, NULL, OPT_INITRAMFS_CMD },
		{ "profile", required_argument, NULL, 'p' },
		{ "idmap-domain", required_argument, NULL, OPT_IDMAP },
		{ "no-prepare", no_argument, NULL, OPT_NO_PREPARE },
		{ "in-place", no_argument, NULL, OPT_IN_PLACE },
		{ "prune", no_argument, NULL, OPT_PRUNE },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "status-file", required_argument, NULL, OPT_STATUS_FILE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "copy-to", required_argument, NULL, OPT_COPY_TO },
		{ "verity", no_argument, NULL, OPT_VERITY },
		{ "dry-run", no_argument, NULL, 'n' },
		CLI_COMMON_LONGOPTS,
		{}
	};
	struct maintain_opts mo = { .comp = "zstd:3", .prepare = true };
	bool prune = false, prune_opt = false;
	struct prune_opts po = { 0 };
	char *status_files[16] = { 0 };
	size_t nstatus = 0;
	int c, r;

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "+i:C:p:n" CLI_COMMON_SHORTOPTS, options,
				NULL)) != -1) {
		switch (c) {
		case 'i':
			mo.image = optarg;
			break;
		case 'C':
			mo.comp = image_parse_compression(optarg);
			if (!mo.comp)
				errtryhelp();
			break;
		case OPT_ROLLBACK:
			mo.rollback = true;
			break;
		case OPT_INITRAMFS_CMD:
			mo.initramfs_cmd = optarg;
			break;
		case 'p':
			mo.profile = optarg;
			break;
		case OPT_IDMAP:
			mo.idmap_domain = optarg;
			break;
		case OPT_NO_PREPARE:
			mo.prepare = false;
			break;
		case OPT_IN_PLACE:
			mo.in_place = true;
			break;
		case OPT_PRUNE:
			prune = true;
			break;
		case OPT_KEEP:
			if (parse_uint(optarg, 0, 1000000, &po.keep) < 0) {
				log_error("invalid --keep '%s'", optarg);
				errtryhelp();
			}
			prune_opt = true;
			break;
		case OPT_STATUS_FILE:
			if (nstatus + 1 >= ARRAY_SIZE(status_files)) {
				log_error("too many --status-file");
				errtryhelp();
			}
			status_files[nstatus++] = optarg;
			prune_opt = true;
			break;
		case OPT_COPY_TO:
			mo.copy_to = optarg;
			break;
		case OPT_VERITY:
			mo.verity = true;
			break;
		case OPT_FORCE:
			po.force = true;
			prune_opt = true;
			break;
		case 'n':
			po.dry_run = true;
			prune_opt = true;
			break;
			CLI_COMMON_CASES(usage);
		}
	}
	if (prune_opt && !prune) {
		log_error("--keep, --status-file, --force and --dry-run go with --prune");
		errtryhelp();
	}
	if (prune) {
		/* Only the image directory: no tree, no command. */
		if (!mo.image || mo.rollback || optind < argc) {
			log_error(
				"--prune needs --image and neither SYSROOT nor a command");
			errtryhelp();
		}
		po.status_files = nstatus ? status_files : NULL;
		r = image_prune(mo.image, &po);
		return r == -EBUSY || r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	if (optind >= argc) {
		log_error("no SYSROOT given");
		errtryhelp();
	}
	mo.sysroot = argv[optind++];
	/* getopt stops at SYSROOT ("+"), so the "--" after it is still there. */
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind < argc)
		mo.argv = argv + optind;
	if (mo.rollback && (!mo.image || mo.argv)) {
		log_error("--rollback needs --image and no command");
		errtryhelp();
	}
	if (mo.verity && (!mo.image || mo.rollback)) {
		log_error("--verity goes with --image, not with --rollback");
		errtryhelp();
	}
	if (mo.copy_to && (mo.rollback || !mo.prepare)) {
		log_error("--copy-to goes with neither --rollback nor --no-prepare");
		errtryhelp();
	}

	return bootchroot_maintain(&mo);
}
