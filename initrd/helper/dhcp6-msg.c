// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DHCPv6 messages for pxeroot-helper dhcp6 (dhcp6-msg.h). Hand-written with
 * the client (dhcp6.c says why); everything read is bounds-checked against
 * the message's length, since it comes from the network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dhcp6-msg.h"
#include "unaligned.h"

void dhcp6_lease_done(struct dhcp6_lease *l)
{
	strbuf_done(&l->dns);
	strbuf_done(&l->search);
	strbuf_done(&l->boot_url);
	strbuf_done(&l->params);
}

static void put_opt(uint8_t **p, uint16_t code, const void *data, uint16_t len)
{
	unaligned_write_be16(*p, code);
	unaligned_write_be16(*p + 2, len);
	if (len)
		memcpy(*p + 4, data, len);
	*p += 4 + len;
}

/* A SOLICIT, or a REQUEST for the advertised address when l is given. */
size_t dhcp6_build(const struct dhcp6_ident *c, int type, const struct dhcp6_lease *l,
		   unsigned int elapsed_cs, uint8_t *buf)
{
	uint8_t *p = buf + 4, ia[12 + 4 + 24], *q, elapsed[2];
	static const uint8_t oro[] = { 0, OPT_DNS_SERVERS,  0, OPT_DOMAIN_LIST,
				       0, OPT_BOOTFILE_URL, 0, OPT_BOOTFILE_PARAM };

	buf[0] = type;
	memcpy(buf + 1, c->xid, 3);
	put_opt(&p, OPT_CLIENTID, c->duid, sizeof(c->duid));
	if (l)
		put_opt(&p, OPT_SERVERID, l->server_id, l->server_id_len);
	unaligned_write_be16(elapsed, elapsed_cs > 0xffff ? 0xffff : elapsed_cs);
	put_opt(&p, OPT_ELAPSED_TIME, elapsed, sizeof(elapsed));
	put_opt(&p, OPT_ORO, oro, sizeof(oro));
	if (c->arch >= 0) {
		uint8_t arch[2];

		unaligned_write_be16(arch, c->arch);
		put_opt(&p, OPT_CLIENT_ARCH, arch, sizeof(arch));
	}
	/* IA_NA: IAID, T1 and T2 left to the server, the address asked for. */
	memset(ia, 0, sizeof(ia));
	unaligned_write_be32(ia, c->iaid);
	q = ia + 12;
	if (l && l->has_addr) {
		uint8_t a[24] = { 0 };

		memcpy(a, &l->addr, 16);
		put_opt(&q, OPT_IAADDR, a, sizeof(a));
	}
	put_opt(&p, OPT_IA_NA, ia, q - ia);
	return p - buf;
}

/* A DNS-encoded name list (RFC 1035 labels) to "a.example b.example". */
static int append_names(struct strbuf *out, const uint8_t *p, size_t n)
{
	size_t i = 0;
	bool first_label = true;
	int r;

	while (i < n) {
		uint8_t len = p[i++];

		if (len == 0) {
			first_label = true;
			continue;
		}
		if (len > 63 || i + len > n)
			return -EBADMSG;
		if (first_label && out->len)
			strbuf_appendc(out, ' ');
		else if (!first_label)
			strbuf_appendc(out, '.');
		r = strbuf_append(out, p + i, len);
		if (r < 0)
			return r;
		i += len;
		first_label = false;
	}
	return 0;
}

static void parse_ia_na(const uint8_t *p, size_t n, const struct dhcp6_ident *c,
			struct dhcp6_lease *l)
{
	if (n < 12 || unaligned_read_be32(p) != c->iaid)
		return;
	for (size_t i = 12; i + 4 <= n;) {
		uint16_t code = unaligned_read_be16(p + i),
			 len = unaligned_read_be16(p + i + 2);
		const uint8_t *v = p + i + 4;

		if (i + 4 + len > n)
			break;
		if (code == OPT_STATUS_CODE && len >= 2 && unaligned_read_be16(v) != 0 &&
		    !l->status)
			l->status = unaligned_read_be16(v);
		if (code == OPT_IAADDR && len >= 24 && !l->has_addr) {
			uint32_t valid = unaligned_read_be32(v + 20);

			/* A valid lifetime of 0 withdraws the address. */
			if (valid) {
				memcpy(&l->addr, v, 16);
				l->preferred = unaligned_read_be32(v + 16);
				l->valid = valid;
				l->has_addr = true;
			}
		}
		i += 4 + len;
	}
}

/* RFC 5970: each parameter is a 16-bit length and that many bytes. */
static void parse_params(const uint8_t *v, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i + 2 <= n;) {
		uint16_t len = unaligned_read_be16(v + i);

		if (i + 2 + len > n)
			break;
		if (out->len)
			strbuf_appendc(out, ' ');
		strbuf_append(out, v + i + 2, len);
		i += 2 + len;
	}
}

/* Returns 0 when the message is for this exchange and usable, else negative. */
int dhcp6_parse(const struct dhcp6_ident *c, const uint8_t *buf, size_t n,
		struct dhcp6_lease *l)
{
	bool ours = false;

	if (n < 4 || memcmp(buf + 1, c->xid, 3) != 0)
		return -EBADMSG;
	for (size_t i = 4; i + 4 <= n;) {
		uint16_t code = unaligned_read_be16(buf + i),
			 len = unaligned_read_be16(buf + i + 2);
		const uint8_t *v = buf + i + 4;
		char a[INET6_ADDRSTRLEN];

		if (i + 4 + len > n)
			return -EBADMSG;
		switch (code) {
		case OPT_CLIENTID:
			ours = len == sizeof(c->duid) && memcmp(v, c->duid, len) == 0;
			break;
		case OPT_SERVERID:
			if (len > sizeof(l->server_id))
				return -EBADMSG;
			memcpy(l->server_id, v, len);
			l->server_id_len = len;
			break;
		case OPT_PREFERENCE:
			if (len == 1)
				l->preference = v[0];
			break;
		case OPT_STATUS_CODE:
			if (len >= 2 && unaligned_read_be16(v) != 0 && !l->status)
				l->status = unaligned_read_be16(v);
			break;
		case OPT_IA_NA:
			parse_ia_na(v, len, c, l);
			break;
		case OPT_DNS_SERVERS:
			for (size_t k = 0; k + 16 <= len; k += 16) {
				inet_ntop(AF_INET6, v + k, a, sizeof(a));
				if (l->dns.len)
					strbuf_appendc(&l->dns, ' ');
				strbuf_appends(&l->dns, a);
			}
			break;
		case OPT_DOMAIN_LIST:
			/* A malformed list is dropped whole, not half read. */
			if (append_names(&l->search, v, len) < 0)
				strbuf_done(&l->search);
			break;
		case OPT_BOOTFILE_URL:
			strbuf_done(&l->boot_url);
			strbuf_append(&l->boot_url, v, len);
			break;
		case OPT_BOOTFILE_PARAM:
			parse_params(v, len, &l->params);
			break;
		}
		i += 4 + len;
	}
	if (!ours || !l->server_id_len)
		return -EBADMSG;
	return 0;
}
