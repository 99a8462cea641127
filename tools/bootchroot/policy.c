// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Debian's way to keep the scripts of packages from starting daemons in a
 * tree that is not running: /usr/sbin/policy-rc.d, which invoke-rc.d asks
 * first. bootchroot puts its own there while a command runs in the tree
 * (profiles with offline = policy-rc.d) and takes it away after.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "bootchroot.h"
#include "bootready.h"
#include "macro.h"
#include "rootdir.h"

#define POLICY_RC_D BOOTCHROOT_POLICY_RC_D
#define POLICY_RC_D_TEXT BOOTCHROOT_POLICY_RC_D_TEXT

/* Debian's invoke-rc.d asks policy-rc.d first; 101 means "do not start". */
int policy_install(int rootfd, bool *installed)
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

void policy_remove(int rootfd)
{
	_cleanup_free_ char *cur = NULL;

	if (root_read_file(rootfd, POLICY_RC_D, &cur, NULL) == 0 &&
	    strcmp(cur, POLICY_RC_D_TEXT) == 0)
		root_unlink(rootfd, POLICY_RC_D, 0);
}
