/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"

struct busybox {
	char *path; /* the binary: a host path, or a path inside SYSROOT */
	bool in_root; /* path is inside SYSROOT */
	char **applets; /* a strv */
	size_t n_applets;
	uint16_t machine;
};

/*
 * Pick the BusyBox to use: explicit (a host path: refused unless static and for
 * machine), else SYSROOT's static one, else the host's. machine: the kernel's
 * (EM_*), 0 to accept any.
 */
int busybox_find(int rootfd, const char *sysroot, const char *explicit_path,
		 uint16_t machine, struct busybox *ret);
void busybox_done(struct busybox *bb);

/*
 * The applet names as BusyBox keeps them: a sorted run of NUL-terminated names
 * that starts with "[" and "[[". Found by reading the binary, not running it.
 */
int busybox_applets_from_image(const void *data, size_t size, char ***ret, size_t *ret_n);

/* /bin/busybox and a link in /bin for each applet the image does not have yet. */
int busybox_install(const struct busybox *bb, struct image *img);
