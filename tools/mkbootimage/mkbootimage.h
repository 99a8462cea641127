/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "log.h"

#define log_oom() log_errno(-ENOMEM, "out of memory")

/* What the command line asked for; see mkbootimage(8). */
struct build_opts {
	const char *sysroot;
	const char *kver; /* NULL: the newest in SYSROOT */
	const char *output;
	const char *skeleton;
	const char *busybox;
	const char *cmdline;
	const char *uki; /* --uki FILE: also a unified kernel image */
	const char *uki_stub; /* --uki-stub */
	const char *uki_kernel; /* --uki-kernel, default SYSROOT/boot/vmlinuz-KVER */
	const char *sign_key, *sign_cert; /* --sign-key, --sign-cert */
	const char *drivers; /* "generic", "host", "usb", "none", or names, comma
				separated */
	char **modules; /* --modules, split (a strv) */
	size_t n_modules;
	char **add; /* --add paths inside SYSROOT (a strv) */
	size_t n_add;
	enum compression compress;
	int level;
	bool strip_modules; /* --strip-modules */
	bool list;
	bool dry_run;
	bool progress;
	const char *argv0; /* to find the skeleton next to the executable */
};

int build_image(const struct build_opts *opts);
