/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <netinet/in.h>
#include <stddef.h>

struct dhcp_answer {
	struct in_addr server; /* option 54, else the sender */
	struct in_addr offered; /* yiaddr */
};

/*
 * Broadcast one DHCPDISCOVER (no PXE vendor class, so only servers that give
 * addresses answer) on ifname and collect the offers for timeout_ms, one per
 * server. Returns how many were stored in ret (at most max), or -errno.
 */
int dhcp_probe(const char *ifname, unsigned int timeout_ms, struct dhcp_answer *ret,
	       size_t max);
