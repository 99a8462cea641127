/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

struct chroot_opts {
	const char *sysroot;
	char **argv; /* the command; NULL: /bin/sh */
	bool policy_rc_d; /* Debian's way to keep package scripts from starting daemons */
};

/*
 * Run argv inside the tree (rootfd, the locked SYSROOT) in private mount and PID
 * namespaces with /proc, /sys, /dev, /dev/pts, /run, /tmp and the host's
 * resolv.conf. When the command ends, for whatever reason, every process it
 * left dies with the namespace's init, and the mounts go with the namespace.
 * Returns the command's exit status (128+N for a signal), or a negative errno.
 */
int chroot_run(int rootfd, const struct chroot_opts *o);

/*
 * Debian's policy-rc.d (policy.c): put bootchroot's in the tree unless one is
 * there (*installed: whether the tree now has ours), and take ours away.
 */
int policy_install(int rootfd, bool *installed);
void policy_remove(int rootfd);

/* What one maintenance of a tree does (maintain.c). */
struct maintain_opts {
	const char *sysroot;
	char **argv; /* the command; NULL: /bin/sh */
	const char *image; /* publish a squashfs here (DIR/NAME.sqfs) */
	const char *comp; /* its compression (image_parse_compression()) */
	const char *copy_to; /* maintain a copy, named this when all went well */
	const char *initramfs_cmd; /* run when a kernel changed */
	const char *profile, *idmap_domain; /* for the preparation */
	bool verity; /* append the image's dm-verity hash tree (lib/verity.h) */
	bool rollback; /* only point image back at the previous generation */
	bool prepare; /* undo and redo mkbootready's preparation */
	bool in_place; /* undo in the tree itself, not in a staging overlay */
};

/*
 * Lock the tree, undo its preparation, run the command inside, prepare it
 * again, publish; returns the exit status (the command's when it failed).
 */
int bootchroot_maintain(const struct maintain_opts *o);

/* Run argv and wait: 0 when it exits 0, else an error said and -EIO. */
int run_wait(char *const argv[]);

/*
 * Copy the tree src to a temporary directory next to dest (which must not
 * exist), for maintenance out of the way of the clients that run from src;
 * *ret_tmp is its path. tree_copy_commit() names it dest; tree_copy_abortp()
 * (a cleanup function) removes it unless it was committed.
 */
int tree_copy(const char *src, const char *dest, char **ret_tmp);
int tree_copy_commit(char **tmp, const char *dest);
void tree_copy_abortp(char **tmp);

/* A fingerprint of the tree's kernels (/boot/vmlinuz*, /lib/modules/<version>). */
int kernel_state(int rootfd, char **ret);

/*
 * With verity, the generation carries its dm-verity hash tree after the file
 * system, and DIR/NAME-<id>.sqfs.verity holds the kernel parameters that name
 * its root hash (rd.pxeroot.verity=, rd.pxeroot.verity.hashoffset=).
 *
 * Publish a squashfs of SYSROOT (compressed with comp, a mksquashfs -comp
 * name) as a new generation next to out (out is DIR/NAME.sqfs):
 * DIR/NAME-<sha256 prefix>.sqfs, then out, a symlink, is switched to it with
 * rename(2), so a server that opens out per connection serves the new image to
 * new clients while running clients keep theirs.
 */
int image_publish(const char *sysroot, const char *out, const char *comp, bool verity);
/*
 * The compression of --compression, ALG or ALG:LEVEL (mksquashfs names); NULL,
 * with an error said, when it is not one. zstd alone is zstd:3.
 */
const char *image_parse_compression(const char *arg);
/* Switch out back to the generation published before the one it names. */
int image_rollback(const char *out);

/* DIR and NAME of DIR/NAME.sqfs. */
int image_split_out(const char *out, char **ret_dir, char **ret_name);
/* Open DIR and lock it (flock) against another publish, rollback or prune. */
int image_open_dir(const char *dir);
/* Both: DIR and NAME of out (DIR/NAME.sqfs), and DIR open and locked. */
int image_open_out(const char *out, char **ret_dir, char **ret_name);
/* The generations of NAME, oldest first, one a line, in DIR/.NAME.generations. */
int image_read_history(int dfd, const char *name, char **ret);

#define NBDEXPORT_STATUS "/run/nbdexport/status"

struct prune_opts {
	unsigned keep; /* the newest generations kept besides the current one */
	bool force; /* prune generations clients read, or when that is unknown */
	bool dry_run;
	char **status_files; /* nbdexport status files; NULL: NBDEXPORT_STATUS */
};

/*
 * Remove the generations of out (DIR/NAME.sqfs) but the current one and the
 * o->keep newest, from DIR and from its history, after saying which go and
 * which clients (from nbdexport's status files) still read each. Refuses
 * (-EBUSY) when a client reads one, or when that cannot be known, unless
 * o->force. Returns the number of generations removed.
 */
int image_prune(const char *out, const struct prune_opts *o);
