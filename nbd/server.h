/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "config.h"
#include "export.h"
#include "listen.h"

struct tls_server;

struct server_opts {
	struct config *cfg; /* settings that may change at reload are copied */
	struct export_table *exports;
	struct listener *listeners;
	size_t n_listeners;
	struct tls_server *tls;
	/* SIGHUP: fill a fresh configuration (file and command line); negative: keep the
	 * old. */
	int (*reload)(struct config *fresh);
};

/* Serve until SIGTERM or SIGINT. The caller has blocked those signals and SIGHUP. */
int server_run(struct server_opts *o);
