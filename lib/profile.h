/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "strv.h"

/*
 * A distribution profile (profiles/NAME.conf, format in pxeroot-profile(5)):
 * what mkbootready does to a tree of that family and how bootchroot keeps its
 * daemons from starting. Every list is a NULL-terminated array of strings.
 */
enum init_system {
	INIT_SYSTEMD,
	INIT_OPENRC,
	INIT_SYSVINIT,
	_INIT_MAX,
};

/* "systemd", "openrc", "sysvinit" */
const char *init_name(enum init_system i);

struct profile {
	char *name;
	char **match; /* os-release ID / ID_LIKE values */
	/* The first init of the profile's list, until mkbootready finds the
	 * tree's own among them (lib/bootready.c). */
	enum init_system init;
	unsigned inits; /* every init the profile handles: 1 << INIT_... */
	char *package_db;
	char **package_cache;
	char **lease; /* DHCP lease keepers, in order of preference */
	char **network; /* network tools kept off the boot interface */
	char **mask; /* units (systemd) or services (OpenRC) not started on clients */
	char **remove; /* paths (last component may be a glob) removed */
	char **empty; /* files emptied */
	char **tmpfs; /* PATH:MODE mounted tmpfs on clients */
	char **ssh_units; /* units that need the host keys */
	char *offline; /* policy-rc.d | systemd | openrc */
	char *unit_dir; /* where the distribution keeps its units */
};

void profile_free(struct profile *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct profile *, profile_free);

/* Parse a profile from text; name is the file it came from (for messages). */
int profile_parse(const char *text, const char *name, struct profile **ret);
/* Load profiles/<name>.conf from dir. */
int profile_load(const char *dir, const char *name, struct profile **ret);

/*
 * Choose the profile for a tree from its os-release ID and ID_LIKE: the first
 * profile in dir whose match list holds ID, else one that holds a word of
 * ID_LIKE (in the order ID_LIKE lists them). *ret_name is the profile's name.
 */
int profile_detect(const char *dir, const char *id, const char *id_like, char **ret_name);

/* The directory of profiles: $PXEROOT_PROFILES, the build tree, or DATADIR. */
int profile_dir(char **ret);
/* pxeroot's data directory (profiles/, client/): $PXEROOT_DATADIR, the build
 * tree next to the running program, or the compiled-in DATADIR. */
int data_dir(char **ret);

/* os-release of a tree (etc/os-release, else usr/lib/os-release), resolved inside it. */
struct os_release {
	char *id;
	char *id_like;
	char *pretty_name;
};
int os_release_read(int rootfd, struct os_release *ret);
void os_release_done(struct os_release *o);
