/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "render.h"

/*
 * Each check logs one line per problem and returns how many it found (or a
 * negative errno when it could not look).
 */
int check_files(const struct render *r);
int check_ports(const struct pbs_config *c);
/* The servers run needs: dnsmasq, lighttpd, nbdexport, as the configuration asks. */
int check_programs(const struct pbs_config *c);
int check_edits(const struct render *r, const char *root);
int check_checksums(const struct pbs_config *c);
/* The interface with this host's address has the subnet's prefix. */
int check_subnet(const struct pbs_config *c);
int check_dhcp(const struct pbs_config *c);

/* The interface that carries address, or NULL. */
char *interface_of(const char *address);
