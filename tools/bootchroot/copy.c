// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bootchroot --copy-to: maintain a copy of the tree, so that clients running
 * from the tree (over NFS) see no change at all; the copy is exported anew for
 * the clients that boot next. cp(1) makes the copy: it keeps owners, modes,
 * times, extended attributes and hard links, shares blocks where the file
 * system can (reflink), and is the tool an administrator would use.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootchroot.h"
#include "log.h"
#include "util.h"

int tree_copy(const char *src, const char *dest, char **ret_tmp)
{
	_cleanup_free_ char *a = strdup(dest), *b = strdup(dest), *tmp = NULL;
	struct stat st;
	int r;

	if (!a || !b)
		return -ENOMEM;
	if (lstat(dest, &st) == 0) {
		log_error("%s exists: --copy-to makes a new tree", dest);
		return -EEXIST;
	}
	if (asprintf(&tmp, "%s/.%s.bootchroot-new", dirname(a), basename(b)) < 0)
		return -ENOMEM;
	/* A fixed name, so that a copy a killed bootchroot left is found, but not
	 * removed: it might be something else. */
	if (lstat(tmp, &st) == 0) {
		log_error(
			"%s exists (left by an interrupted bootchroot?): remove it first",
			tmp);
		return -EEXIST;
	}
	{
		char *argv[] = { "cp", "-a", "--reflink=auto", "--one-file-system",
				 "-T", "--", (char *)src,      tmp,
				 NULL };

		log_info("copying %s to %s", src, tmp);
		r = run_wait(argv);
	}
	if (r < 0) {
		tree_copy_abortp(&tmp);
		return log_errno(r, "cannot copy %s to %s", src, dest);
	}
	*ret_tmp = TAKE_PTR(tmp);
	return 0;
}

int tree_copy_commit(char **tmp, const char *dest)
{
	if (renameat2(AT_FDCWD, *tmp, AT_FDCWD, dest, RENAME_NOREPLACE) < 0)
		return log_errno(-errno, "cannot rename %s to %s", *tmp, dest);
	free(*tmp);
	*tmp = NULL;
	return 0;
}

void tree_copy_abortp(char **tmp)
{
	char *argv[] = { "rm", "-rf", "--one-file-system", "--", NULL, NULL };

	if (!*tmp)
		return;
	argv[4] = *tmp;
	run_wait(argv);
	free(*tmp);
	*tmp = NULL;
}
