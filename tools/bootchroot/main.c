// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bootchroot: maintain a client tree. This file parses options and runs the
 * parts in order: lock, undo the preparation, run the command inside, prepare
 * again (lib/bootready.c, shared with mkbootready), publish an image.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootchroot.h"
#include "bootready.h"
#include "keep.h"
#include "stage.h"
#include "log.h"
#include "profile.h"
#include "rootdir.h"
#include "util.h"

#define POLICY_RC_D BOOTCHROOT_POLICY_RC_D
#define POLICY_RC_D_TEXT BOOTCHROOT_POLICY_RC_D_TEXT

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
	       "                             a staging overlay (clients see the undone tree)\n"
	       "  -v, --verbose              say more\n"
	       "  -q, --quiet                print errors only\n"
	       "  -h, --help                 show this help and exit\n"
	       "  -V, --version              show the version and exit\n",
	       log_prog(), log_prog());
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
};

/* Debian's invoke-rc.d asks policy-rc.d first; 101 means "do not start". */
static int policy_install(int rootfd, bool *installed)
{
	struct stat st;
	struct root_meta meta = { .mode = 0755, .uid = -1, .gid = -1 };
	_cleanup_free_ char *cur = NULL;

	*installed = false;
	if (root_stat(rootfd, POLICY_RC_D, false, &st) == 0) {
		/* Ours, left by a bootchroot that was killed: reuse it. */
		if (root_read_file(rootfd, POLICY_RC_D, &cur, NULL) == 0 &&
		    strcmp(cur, POLICY_RC_D_TEXT) == 0)
			*installed = true;
		return 0;
	}
	if (root_stat(rootfd, "/usr/sbin", true, &st) < 0)
		return 0;
	*installed = true;
	return root_replace(rootfd, POLICY_RC_D, POLICY_RC_D_TEXT,
			    strlen(POLICY_RC_D_TEXT), NULL, &meta);
}

static void policy_remove(int rootfd)
{
	_cleanup_free_ char *cur = NULL;

	if (root_read_file(rootfd, POLICY_RC_D, &cur, NULL) == 0 &&
	    strcmp(cur, POLICY_RC_D_TEXT) == 0)
		root_unlink(rootfd, POLICY_RC_D, 0);
}

static int run_initramfs_cmd(const char *cmd, const char *sysroot)
{
	_cleanup_free_ char *line = NULL;
	int r;

	if (asprintf(&line, "%s \"$1\"", cmd) < 0)
		return -ENOMEM;
	{
		pid_t pid = fork();
		int status;

		if (pid < 0)
			return -errno;
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", line, "sh", sysroot, (char *)NULL);
			_exit(127);
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return -errno;
		r = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
	}
	return r;
}

/*
 * ALG or ALG:LEVEL, a mksquashfs -comp name and its -Xcompression-level (gzip,
 * lzo and zstd have levels). zstd alone means level 3: its own default, as fast
 * to build as lz4 and smaller than gzip (mksquashfs's default, 15, is ten times
 * slower).
 */
static const char *parse_compression(const char *arg)
{
	static const char *const algs[] = { "gzip", "xz", "lz4", "lzo", "lzma", "zstd" };
	size_t len = strcspn(arg, ":");
	const char *level = arg[len] ? arg + len + 1 : NULL;
	char *end;

	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		if (strlen(algs[i]) != len || strncmp(arg, algs[i], len) != 0)
			continue;
		if (!level)
			return strcmp(algs[i], "zstd") == 0 ? "zstd:3" : arg;
		if (strcmp(algs[i], "gzip") && strcmp(algs[i], "lzo") &&
		    strcmp(algs[i], "zstd")) {
			log_error("%s has no compression level", algs[i]);
			return NULL;
		}
		errno = 0;
		long n = strtol(level, &end, 10);
		if (errno || *end || end == level || n < 1 ||
		    n > (strcmp(algs[i], "zstd") == 0 ? 22 : 9)) {
			log_error("invalid compression level '%s' for %s", level,
				  algs[i]);
			return NULL;
		}
		return arg;
	}
	log_error("unknown compression '%.*s'", (int)len, arg);
	return NULL;
}

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
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct bootready_opts bo = { 0 };
	struct chroot_opts co = { 0 };
	const char *image = NULL, *initramfs_cmd = NULL, *comp = "zstd:3",
		   *copy_to = NULL;
	_cleanup_(tree_copy_abortp) char *copy_tmp = NULL;
	const char *src_tree = NULL;
	bool rollback = false, prepare = true, was_prepared, policy = false,
	     prune = false;
	bool prune_opt = false, in_place = false;
	struct prune_opts po = { 0 };
	char *status_files[16] = { 0 };
	size_t nstatus = 0;
	_cleanup_free_ char *kbefore = NULL, *kafter = NULL, *saved_domain = NULL;
	_cleanup_(profile_freep) struct profile *profile = NULL;
	_cleanup_(keep_freep) struct keep *keep = NULL;
	_cleanup_(stage_freep) struct stage *stage = NULL;
	int c, r, rootfd, workfd, status;

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "+i:C:p:nvqhV", options, NULL)) != -1) {
		switch (c) {
		case 'i':
			image = optarg;
			break;
		case 'C':
			comp = parse_compression(optarg);
			if (!comp)
				errtryhelp();
			break;
		case OPT_ROLLBACK:
			rollback = true;
			break;
		case OPT_INITRAMFS_CMD:
			initramfs_cmd = optarg;
			break;
		case 'p':
			bo.profile = optarg;
			break;
		case OPT_IDMAP:
			bo.idmap_domain = optarg;
			break;
		case OPT_NO_PREPARE:
			prepare = false;
			break;
		case OPT_IN_PLACE:
			in_place = true;
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
			copy_to = optarg;
			break;
		case OPT_FORCE:
			po.force = true;
			prune_opt = true;
			break;
		case 'n':
			po.dry_run = true;
			prune_opt = true;
			break;
		case 'v':
			log_adjust_level(1);
			break;
		case 'q':
			log_set_level(LOG_LEVEL_ERR);
			break;
		case 'h':
			usage();
			return EXIT_SUCCESS;
		case 'V':
			print_version();
		default:
			errtryhelp();
		}
	}
	if (prune_opt && !prune) {
		log_error("--keep, --status-file, --force and --dry-run go with --prune");
		errtryhelp();
	}
	if (prune) {
		/* Only the image directory: no tree, no command. */
		if (!image || rollback || optind < argc) {
			log_error(
				"--prune needs --image and neither SYSROOT nor a command");
			errtryhelp();
		}
		po.status_files = nstatus ? status_files : NULL;
		r = image_prune(image, &po);
		return r == -EBUSY || r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	if (optind >= argc) {
		log_error("no SYSROOT given");
		errtryhelp();
	}
	co.sysroot = argv[optind++];
	/* getopt stops at SYSROOT ("+"), so the "--" after it is still there. */
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind < argc)
		co.argv = argv + optind;
	if (rollback && (!image || co.argv)) {
		log_error("--rollback needs --image and no command");
		errtryhelp();
	}
	if (copy_to && (rollback || !prepare)) {
		log_error("--copy-to goes with neither --rollback nor --no-prepare");
		errtryhelp();
	}

	if (copy_to) {
		int srcfd;

		/* The tree stays locked (and unchanged) while it is copied. */
		r = bootready_open(co.sysroot, false, &srcfd);
		if (r < 0)
			return EXIT_FAILURE;
		r = tree_copy(co.sysroot, copy_to, &copy_tmp);
		close(srcfd);
		if (r < 0)
			return EXIT_FAILURE;
		src_tree = co.sysroot;
		co.sysroot = copy_tmp;
	}
	r = bootready_open(co.sysroot, false, &rootfd);
	if (r < 0)
		return EXIT_FAILURE;
	if (rollback)
		return image_rollback(image) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

	r = bootready_profile(rootfd, bo.profile, &profile);
	if (r < 0)
		return EXIT_FAILURE;
	was_prepared = bootready_is_prepared(rootfd);
	/* The undo takes client.conf away: the domain it kept is read first. */
	if (prepare && !bo.idmap_domain &&
	    bootready_saved_domain(rootfd, &saved_domain) == 0)
		bo.idmap_domain = saved_domain;
	/* What a killed bootchroot left beside the tree: finished or dropped. */
	r = stage_recover(rootfd, false);
	if (r < 0)
		return log_errno(r,
				 "cannot recover what an interrupted bootchroot left "
				 "beside %s",
				 co.sysroot),
		       EXIT_FAILURE;
	if (r == 2)
		log_notice("finished merging the changes of an interrupted bootchroot "
			   "into %s",
			   co.sysroot);
	else if (r == 1)
		log_notice("dropped the staged changes of a bootchroot interrupted "
			   "before its merge: %s is as it was",
			   co.sysroot);
	workfd = rootfd;
	if (prepare && was_prepared && !copy_to && !in_place) {
		/* Clients running from the tree see only the result (lib/stage.h). */
		r = stage_open(rootfd, &stage, &workfd);
		if (r < 0) {
			log_notice("cannot stage the maintenance of %s (%s): undoing its "
				   "preparation in place",
				   co.sysroot, strerror(-r));
			workfd = rootfd;
		}
	}
	if (prepare && was_prepared) {
		/* Package tools see the tree as its distribution made it. */
		int lvl = log_get_level();

		/* In place, what the preparation made stays alive, for NFS clients
		 * that hold handles to it, and comes back where nothing changed. */
		if (!stage) {
			r = keep_open(rootfd, &keep);
			if (r < 0)
				return log_errno(r, "cannot make %s in %s", KEEP_DIR,
						 co.sysroot),
				       EXIT_FAILURE;
		}
		log_set_level(LOG_LEVEL_WARNING);
		r = bootready_undo_keep(workfd, keep);
		log_set_level(lvl);
		if (r < 0)
			return EXIT_FAILURE;
		log_info("undid the preparation (%d paths)", r);
	}
	r = kernel_state(workfd, &kbefore);
	if (r < 0)
		return log_errno(r, "cannot list the tree's kernels"), EXIT_FAILURE;
	if (strcmp(profile->offline, "policy-rc.d") == 0) {
		r = policy_install(workfd, &policy);
		if (r < 0)
			return log_errno(r, "cannot write %s", POLICY_RC_D), EXIT_FAILURE;
		co.policy_rc_d = policy;
	}

	status = chroot_run(workfd, &co);
	if (policy)
		policy_remove(workfd);
	if (status < 0) {
		log_errno(status, "cannot run the command in %s", co.sysroot);
		status = 1;
	} else if (status) {
		log_error("the command exited with status %d", status);
	}

	if (stage && status) {
		/* A staged failure is dropped whole: the tree never saw it. */
		log_error("nothing of the failed command is kept: %s is as it was",
			  co.sysroot);
		return status > 255 ? 1 : status;
	}
	if (copy_to && status) {
		/* Nothing half done under the new name: the copy goes. */
		log_error("not making %s: the command failed", copy_to);
		return status > 255 ? 1 : status;
	}
	if (prepare) {
		int lvl = log_get_level();

		if (lvl < LOG_LEVEL_INFO)
			log_set_level(MIN(lvl, LOG_LEVEL_WARNING));
		bo.keep = keep;
		/* What the command leaves at the restored paths stays alive a
		 * while too, for readers that looked it up meanwhile. */
		if (keep && (r = keep_retire(keep)) < 0)
			log_warn_errno(r,
				       "cannot keep the replaced files in %s: NFS "
				       "clients may see stale handles",
				       RETIRED_DIR);
		r = bootready_prepare(workfd, &bo);
		log_set_level(lvl);
		if (r < 0) {
			log_error("cannot prepare %s again: run mkbootready on it",
				  co.sysroot);
			return EXIT_FAILURE;
		}
		log_info("prepared the tree again (%d changes)", r);
		if (keep) {
			r = keep_finish(keep);
			if (r < 0)
				return log_errno(
					       r,
					       "cannot put the unchanged files back in %s",
					       co.sysroot),
				       EXIT_FAILURE;
			log_info("%d prepared paths unchanged, with the same inode", r);
		}
	}
	if (stage) {
		r = stage_commit(stage);
		if (r < 0) {
			log_error("the merge into %s stopped: bootchroot or mkbootready "
				  "on it finishes it",
				  co.sysroot);
			/* The stage directory stays, marked, for that. */
			stage_keep(stage);
			return EXIT_FAILURE;
		}
		log_info("merged the command's changes: %d objects in the tree", r);
	}
	if (copy_to) {
		r = tree_copy_commit(&copy_tmp, copy_to);
		if (r < 0)
			return EXIT_FAILURE;
		co.sysroot = copy_to;
		if (log_get_level() >= LOG_LEVEL_NOTICE)
			printf("made %s, a maintained copy of %s\n", copy_to, src_tree);
	}
	r = kernel_state(rootfd, &kafter);
	if (r < 0)
		return EXIT_FAILURE;
	if (strcmp(kbefore, kafter) != 0) {
		if (initramfs_cmd) {
			log_notice("a kernel changed: running %s", initramfs_cmd);
			if (run_initramfs_cmd(initramfs_cmd, co.sysroot) < 0) {
				log_error("%s failed", initramfs_cmd);
				return EXIT_FAILURE;
			}
		} else {
			log_notice("a kernel changed: build its initramfs (mkbootimage)");
		}
	}
	if (image && status == 0 && image_publish(co.sysroot, image, comp) < 0)
		return EXIT_FAILURE;
	if (image && status)
		log_error("not publishing %s: the command failed", image);
	return status ? (status > 255 ? 1 : status) : EXIT_SUCCESS;
}
