/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "config.h"

struct options {
	const char *config;
	const char *root; /* --root: a prefix for install, SystemRescueCd's /tftpboot */
	bool dry_run;
	bool probe; /* check: send one DHCP DISCOVER */
};

int cmd_render(const struct options *o, const char *dir);
/* Every problem on its own line; 1 when there was one. */
int cmd_check(const struct options *o);
int cmd_run(const struct options *o);
int cmd_install(const struct options *o);
