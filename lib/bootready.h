/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/*
 * Prepare an installed distribution tree for a shared read-only network root
 * (what mkbootready does, and what bootchroot re-applies after maintenance).
 * Each step plans actions (write, link, remove, mkdir) from the tree as it is;
 * an action whose result is already there is skipped, so a second run changes
 * nothing. Every path is resolved inside the tree, and every change is journaled
 * first (lib/journal.h), so undo restores the tree byte for byte.
 */
/*
 * bootchroot's /usr/sbin/policy-rc.d (Debian family): in the tree only while a
 * command runs there. One found later was left by a bootchroot that was
 * killed; mkbootready --check reports it and mkbootready removes it.
 */
#define BOOTCHROOT_POLICY_RC_D "/usr/sbin/policy-rc.d"
#define BOOTCHROOT_POLICY_RC_D_TEXT                                                       \
	"#!/bin/sh\n# Written by bootchroot while it runs: no daemon starts in a client " \
	"tree.\nexit 101\n"

struct keep;

struct bootready_opts {
	const char *profile; /* NULL: detect from os-release */
	const char *idmap_domain; /* NULL: the host's, by libnfsidmap */
	bool dry_run;
	/* bootchroot: what bootready_undo_keep() kept, to reuse (lib/keep.h) */
	struct keep *keep;
};

/*
 * Open SYSROOT for preparing: refuse the host's "/" unless force_host, and take
 * an exclusive lock on the tree (flock on its directory) so that no two tools
 * work on it at once. Returns the tree's fd (keep it open to keep the lock).
 */
int bootready_open(const char *sysroot, bool force_host, int *ret_rootfd);

/* Apply (or with dry_run, print) the plan; returns the number of changes. */
int bootready_prepare(int rootfd, const struct bootready_opts *o);

/* Print the readiness report; returns the number of steps not ready. */
int bootready_check(int rootfd, const struct bootready_opts *o);

/*
 * Restore the tree from its journal; returns the number of paths restored. A
 * keep directory a killed bootchroot left is removed too.
 */
int bootready_undo(int rootfd, bool dry_run);

/* bootchroot's undo: nothing left by an interrupted run is removed, and what
 * the preparation made is kept in keep (lib/keep.h) first when keep is set. */
int bootready_undo_keep(int rootfd, struct keep *keep);

struct profile;
/* The profile for the tree: name, or detected from its os-release. */
int bootready_profile(int rootfd, const char *name, struct profile **ret);

/*
 * The NFSv4 ID-mapping domain an earlier run was given (--idmap-domain), as
 * the tree's /etc/pxeroot/client.conf keeps it; -ENOENT when none was.
 */
int bootready_saved_domain(int rootfd, char **ret);

/* Whether the tree has a journal (it was prepared, at least in part). */
bool bootready_is_prepared(int rootfd);
