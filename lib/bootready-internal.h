/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Between the engine of lib/bootready.c (plan, compare, journal, apply) and the
 * steps of lib/bootready-steps.c. A step only looks at the tree and plans
 * actions in the context; the engine decides which of them are still to do and
 * does them, journaled first (lib/bootready-action.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "bootready.h"
#include "vector.h"

/* The client's settings from mkbootready, read by pxeroot-client-setup. */
#define CLIENT_CONF "/etc/pxeroot/client.conf"

struct journal;
struct keep;
struct profile;

enum act_kind {
	ACT_WRITE,
	ACT_LINK,
	ACT_REMOVE,
	ACT_MKDIR,
};

struct action {
	enum act_kind kind;
	char *path;
	char *data; /* file content or link target */
	size_t len;
	mode_t mode; /* 0: keep the file's mode (0644 for a new file) */
};

DEFINE_VECTOR(action_vector, struct action);

struct ctx {
	int rootfd;
	struct profile *p;
	const struct bootready_opts *o;
	char *datadir; /* where the client/ files come from */
	char *domain;
	bool domain_kept; /* given by --idmap-domain, now or to an earlier run */
	char *keeper; /* the lease keeper chosen for this tree */
	char *init_path; /* /sbin/init's target in the tree, NULL when it has none */
	bool inittab; /* /sbin/init is SysV init, which reads /etc/inittab */
	action_vector acts; /* the plan of the step being run */
};

/* ---- lib/bootready-action.c: the plan and how it is carried out ---- */

/* Plan an action: a copy of path and of len bytes of data (may be NULL). */
int plan_add(struct ctx *c, enum act_kind kind, const char *path, const char *data,
	     size_t len, mode_t mode);
/* Forget the plan (before the next step). */
void plan_clear(struct ctx *c);

static inline int plan_write(struct ctx *c, const char *path, const char *text,
			     mode_t mode)
{
	return plan_add(c, ACT_WRITE, path, text, strlen(text), mode);
}

static inline int plan_link(struct ctx *c, const char *path, const char *target)
{
	return plan_add(c, ACT_LINK, path, target, strlen(target), 0);
}

static inline int plan_remove(struct ctx *c, const char *path)
{
	return plan_add(c, ACT_REMOVE, path, NULL, 0, 0);
}

/* Whether something is at path in the tree (a dangling link counts). */
bool tree_has(int rootfd, const char *path);
/* Whether the action's result is in the tree already. */
bool action_satisfied(int rootfd, const struct action *a);
/* Print "step: write /path" and the like. */
void action_describe(const char *step, const struct action *a);
/*
 * Carry the action out, every path journaled before it changes; a directory
 * bootchroot kept (k, may be NULL) is reused.
 */
int action_apply(struct journal *j, struct keep *k, int rootfd, const struct action *a);

/* ---- lib/bootready-steps.c: what a tree needs ---- */

struct step {
	const char *name;
	int (*plan)(struct ctx *c);
};

/* In the order they run; the last, "mask", ends the plan. */
extern const struct step bootready_steps[];
extern const size_t bootready_nsteps;

/* Whether a lease keeper or network tool of the profile is installed in the tree. */
bool tool_installed(struct ctx *c, const char *tool);

/*
 * Whether the package database is in the tree and not under a tmpfs (with
 * report, a warning says why not): 0, -ENOENT or -EINVAL.
 */
int check_package_db(struct ctx *c, bool report);

/* ---- lib/bootready-openrc.c ---- */

/* OpenRC leaves the init scripts SysV init never stops running (rc_nostop). */
int step_openrc_nostop(struct ctx *c);
