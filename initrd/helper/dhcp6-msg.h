/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * DHCPv6 messages (RFC 8415) as the initramfs's client builds and reads them:
 * no sockets here, so that a unit test can feed it any bytes.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum {
	MSG_SOLICIT = 1,
	MSG_ADVERTISE = 2,
	MSG_REQUEST = 3,
	MSG_REPLY = 7,
};

enum {
	OPT_CLIENTID = 1,
	OPT_SERVERID = 2,
	OPT_IA_NA = 3,
	OPT_IAADDR = 5,
	OPT_ORO = 6,
	OPT_PREFERENCE = 7,
	OPT_ELAPSED_TIME = 8,
	OPT_STATUS_CODE = 13,
	OPT_DNS_SERVERS = 23,
	OPT_DOMAIN_LIST = 24,
	OPT_BOOTFILE_URL = 59,
	OPT_BOOTFILE_PARAM = 60,
	OPT_CLIENT_ARCH = 61,
};

/* What an ADVERTISE or a REPLY holds that the client uses. */
struct dhcp6_lease {
	uint8_t server_id[130];
	size_t server_id_len;
	int preference;
	struct in6_addr addr;
	bool has_addr;
	uint32_t preferred, valid;
	int status; /* the first failing status code, 0 when none */
	char from[INET6_ADDRSTRLEN]; /* the server's (link-local) address */
	struct strbuf dns, search, boot_url, params;
};

/* Who asks: the same in every message of one exchange. */
struct dhcp6_ident {
	uint8_t duid[10]; /* DUID-LL: type 3, hardware type 1, the MAC */
	uint32_t iaid;
	uint8_t xid[3];
	int arch; /* option 61's value, -1 to send none */
};

/* The buffer dhcp6_build needs at most. */
#define DHCP6_MSG_MAX 512

void dhcp6_lease_done(struct dhcp6_lease *l);
/* A SOLICIT (l NULL), or a REQUEST for l's server and address; its length. */
size_t dhcp6_build(const struct dhcp6_ident *id, int type, const struct dhcp6_lease *l,
		   unsigned int elapsed_cs, uint8_t *buf);
/*
 * Read an answer into l (zeroed by the caller; dhcp6_lease_done frees it
 * whatever the result): 0 when it is for this exchange (its transaction and
 * DUID) and names a server, -EBADMSG otherwise.
 */
int dhcp6_parse(const struct dhcp6_ident *id, const uint8_t *buf, size_t n,
		struct dhcp6_lease *l);
