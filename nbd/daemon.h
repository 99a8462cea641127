/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "config.h"

/* Switch to user (its groups too) for good; logged, 0 or a negative errno. */
int drop_privileges(const char *user);

/* Detach from the terminal; the child writes one byte on *notify once serving. */
int daemonize(int *notify);

/* stdin and stdout (and stderr unless keep_stderr) onto /dev/null. */
void detach_stdio(bool keep_stderr);

/* 0 when a syslog daemon listens on /dev/log, else a negative errno. */
int syslog_probe(void);

/* Make the status file's directory, owned by c->user; failures are not fatal. */
void status_dir(const struct config *c);

/* The soft limit of open files up to the hard one. */
void raise_fd_limit(void);
