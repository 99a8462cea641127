// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One maintenance of a client tree, in order: lock it (a copy of it with
 * --copy-to), recover what an interrupted run left, stage the work beside the
 * tree (lib/stage.h) or undo the preparation in place keeping what it made
 * (lib/keep.h), run the command inside (chroot.c) with daemons kept from
 * starting (policy.c), prepare the tree again (lib/bootready.c, shared with
 * mkbootready), merge, name the copy, run the initramfs command when a kernel
 * changed, publish an image (image.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootchroot.h"
#include "bootready.h"
#include "keep.h"
#include "log.h"
#include "profile.h"
#include "stage.h"
#include "util.h"

/* CMD "$1" with $1 the tree, by the shell: CMD may be a command line. */
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

int bootchroot_maintain(const struct maintain_opts *o)
{
	struct bootready_opts bo = { .profile = o->profile,
				     .idmap_domain = o->idmap_domain };
	struct chroot_opts co = { .sysroot = o->sysroot, .argv = o->argv };
	const char *image = o->image, *initramfs_cmd = o->initramfs_cmd, *comp = o->comp,
		   *copy_to = o->copy_to;
	bool rollback = o->rollback, prepare = o->prepare, in_place = o->in_place;
	_cleanup_(tree_copy_abortp) char *copy_tmp = NULL;
	const char *src_tree = NULL;
	bool was_prepared, policy = false;
	_cleanup_free_ char *kbefore = NULL, *kafter = NULL, *saved_domain = NULL;
	_cleanup_(profile_freep) struct profile *profile = NULL;
	_cleanup_(keep_freep) struct keep *keep = NULL;
	_cleanup_(stage_freep) struct stage *stage = NULL;
	int r, rootfd, workfd, status;

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
			return log_errno(r, "cannot write %s", BOOTCHROOT_POLICY_RC_D),
			       EXIT_FAILURE;
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
	if (image && status == 0 && image_publish(co.sysroot, image, comp, o->verity) < 0)
		return EXIT_FAILURE;
	if (image && status)
		log_error("not publishing %s: the command failed", image);
	return status ? (status > 255 ? 1 : status) : EXIT_SUCCESS;
}
