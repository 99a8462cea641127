// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The initramfs's DHCPv6 messages (initrd/helper/dhcp6-msg.c): what a SOLICIT
 * and a REQUEST hold, and what is read from answers, well-formed or not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../../initrd/helper/dhcp6-msg.h"
#include "tap.h"
#include "unaligned.h"

static const struct dhcp6_ident id = {
	.duid = { 0, 3, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
	.iaid = 0x00123456,
	.xid = { 0xab, 0xcd, 0xef },
	.arch = -1,
};

/* A message under construction. */
struct msg {
	uint8_t b[1024];
	size_t n;
};

static void msg_start(struct msg *m, int type, const uint8_t xid[3])
{
	m->b[0] = type;
	memcpy(m->b + 1, xid, 3);
	m->n = 4;
}

static void msg_opt(struct msg *m, uint16_t code, const void *data, uint16_t len)
{
	unaligned_write_be16(m->b + m->n, code);
	unaligned_write_be16(m->b + m->n + 2, len);
	memcpy(m->b + m->n + 4, data, len);
	m->n += 4 + len;
}

/* IA_NA for iaid with one IAADDR (valid lifetime vl) and a status, or none. */
static size_t ia_na(uint8_t *out, uint32_t iaid, const char *addr, uint32_t vl,
		    int status)
{
	uint8_t *p = out + 12;

	memset(out, 0, 12);
	unaligned_write_be32(out, iaid);
	if (addr) {
		unaligned_write_be16(p, OPT_IAADDR);
		unaligned_write_be16(p + 2, 24);
		inet_pton(AF_INET6, addr, p + 4);
		unaligned_write_be32(p + 20, vl / 2);
		unaligned_write_be32(p + 24, vl);
		p += 28;
	}
	if (status >= 0) {
		unaligned_write_be16(p, OPT_STATUS_CODE);
		unaligned_write_be16(p + 2, 2);
		unaligned_write_be16(p + 4, status);
		p += 6;
	}
	return p - out;
}

/* A well-formed ADVERTISE for id from a server with DUID "SRV". */
static void advertise(struct msg *m)
{
	uint8_t ia[64], dns[32];
	static const uint8_t names[] = "\3lan\7example\0\5other\7example\0";
	static const uint8_t params[] = "\0\026nfs4:[fd00::1]:/v6root\0\6second";
	size_t n = ia_na(ia, id.iaid, "fd00::123", 3600, 0);

	msg_start(m, MSG_ADVERTISE, id.xid);
	msg_opt(m, OPT_CLIENTID, id.duid, sizeof(id.duid));
	msg_opt(m, OPT_SERVERID, "SRV", 3);
	msg_opt(m, OPT_IA_NA, ia, n);
	inet_pton(AF_INET6, "fd00::53", dns);
	inet_pton(AF_INET6, "fd00::54", dns + 16);
	msg_opt(m, OPT_DNS_SERVERS, dns, sizeof(dns));
	msg_opt(m, OPT_DOMAIN_LIST, names, sizeof(names) - 1);
	msg_opt(m, OPT_BOOTFILE_URL, "http://[fd00::1]/root.sqfs", 26);
	msg_opt(m, OPT_BOOTFILE_PARAM, params, sizeof(params) - 1);
}

/* Find option code at the top level of a built message; its length or -1. */
static int find_opt(const uint8_t *b, size_t n, uint16_t code, const uint8_t **v)
{
	for (size_t i = 4; i + 4 <= n;) {
		uint16_t c = unaligned_read_be16(b + i),
			 len = unaligned_read_be16(b + i + 2);

		if (c == code) {
			*v = b + i + 4;
			return len;
		}
		i += 4 + len;
	}
	return -1;
}

static void test_solicit(void)
{
	uint8_t b[DHCP6_MSG_MAX];
	const uint8_t *v;
	struct dhcp6_ident a = id;
	size_t n = dhcp6_build(&id, MSG_SOLICIT, NULL, 150, b);

	check(n > 4 && n <= DHCP6_MSG_MAX);
	check_int(b[0], MSG_SOLICIT);
	check(memcmp(b + 1, id.xid, 3) == 0);
	check_int(find_opt(b, n, OPT_CLIENTID, &v), 10);
	check(memcmp(v, id.duid, 10) == 0);
	check_int(find_opt(b, n, OPT_ELAPSED_TIME, &v), 2);
	check_int(unaligned_read_be16(v), 150);
	check_int(find_opt(b, n, OPT_ORO, &v), 8);
	check_int(unaligned_read_be16(v), OPT_DNS_SERVERS);
	check_int(unaligned_read_be16(v + 6), OPT_BOOTFILE_PARAM);
	check_int(find_opt(b, n, OPT_IA_NA, &v), 12);
	check_int(unaligned_read_be32(v), id.iaid);
	check_int(find_opt(b, n, OPT_SERVERID, &v), -1);
	check_int(find_opt(b, n, OPT_CLIENT_ARCH, &v), -1);

	a.arch = 7;
	n = dhcp6_build(&a, MSG_SOLICIT, NULL, 0x12345, b);
	check_int(find_opt(b, n, OPT_CLIENT_ARCH, &v), 2);
	check_int(unaligned_read_be16(v), 7);
	check_int(find_opt(b, n, OPT_ELAPSED_TIME, &v), 2);
	check_int(unaligned_read_be16(v), 0xffff);
}

static void test_request(void)
{
	struct msg m;
	struct dhcp6_lease l = { 0 };
	uint8_t b[DHCP6_MSG_MAX];
	const uint8_t *v;
	char a[INET6_ADDRSTRLEN];
	size_t n;

	advertise(&m);
	check_int(dhcp6_parse(&id, m.b, m.n, &l), 0);
	n = dhcp6_build(&id, MSG_REQUEST, &l, 0, b);
	check_int(b[0], MSG_REQUEST);
	check_int(find_opt(b, n, OPT_SERVERID, &v), 3);
	check(memcmp(v, "SRV", 3) == 0);
	/* IA_NA: IAID, T1, T2, then IAADDR with the advertised address. */
	check_int(find_opt(b, n, OPT_IA_NA, &v), 12 + 28);
	check_int(unaligned_read_be16(v + 12), OPT_IAADDR);
	inet_ntop(AF_INET6, v + 16, a, sizeof(a));
	check_str(a, "fd00::123");
	dhcp6_lease_done(&l);
}

static void test_advertise(void)
{
	struct msg m;
	struct dhcp6_lease l = { 0 };
	char a[INET6_ADDRSTRLEN];

	advertise(&m);
	check_int(dhcp6_parse(&id, m.b, m.n, &l), 0);
	check(l.has_addr);
	inet_ntop(AF_INET6, &l.addr, a, sizeof(a));
	check_str(a, "fd00::123");
	check_int(l.valid, 3600);
	check_int(l.preferred, 1800);
	check_int(l.status, 0);
	check_int(l.server_id_len, 3);
	check_str(strbuf_str(&l.dns), "fd00::53 fd00::54");
	check_str(strbuf_str(&l.search), "lan.example other.example");
	check_str(strbuf_str(&l.boot_url), "http://[fd00::1]/root.sqfs");
	check_str(strbuf_str(&l.params), "nfs4:[fd00::1]:/v6root second");
	dhcp6_lease_done(&l);
}

static void test_not_ours(void)
{
	struct msg m;
	struct dhcp6_lease l = { 0 };
	uint8_t ia[64], other[10];
	static const uint8_t xid2[3] = { 1, 2, 3 };

	/* Another transaction. */
	advertise(&m);
	m.b[3] ^= 1;
	check_int(dhcp6_parse(&id, m.b, m.n, &l), -EBADMSG);
	dhcp6_lease_done(&l);
	/* Another client's DUID. */
	memcpy(other, id.duid, sizeof(other));
	other[9] ^= 1;
	memset(&l, 0, sizeof(l));
	msg_start(&m, MSG_ADVERTISE, id.xid);
	msg_opt(&m, OPT_CLIENTID, other, sizeof(other));
	msg_opt(&m, OPT_SERVERID, "SRV", 3);
	msg_opt(&m, OPT_IA_NA, ia, ia_na(ia, id.iaid, "fd00::9", 60, -1));
	check_int(dhcp6_parse(&id, m.b, m.n, &l), -EBADMSG);
	dhcp6_lease_done(&l);
	/* No server identifier. */
	memset(&l, 0, sizeof(l));
	msg_start(&m, MSG_ADVERTISE, id.xid);
	msg_opt(&m, OPT_CLIENTID, id.duid, sizeof(id.duid));
	check_int(dhcp6_parse(&id, m.b, m.n, &l), -EBADMSG);
	dhcp6_lease_done(&l);
	/* Too short for a header. */
	memset(&l, 0, sizeof(l));
	msg_start(&m, MSG_ADVERTISE, xid2);
	check_int(dhcp6_parse(&id, m.b, 3, &l), -EBADMSG);
}

static void test_no_address(void)
{
	struct msg m;
	struct dhcp6_lease l = { 0 };
	uint8_t ia[64];

	/* NoAddrsAvail (2) inside IA_NA, as dnsmasq sends it. */
	msg_start(&m, MSG_ADVERTISE, id.xid);
	msg_opt(&m, OPT_CLIENTID, id.duid, sizeof(id.duid));
	msg_opt(&m, OPT_SERVERID, "SRV", 3);
	msg_opt(&m, OPT_IA_NA, ia, ia_na(ia, id.iaid, NULL, 0, 2));
	check_int(dhcp6_parse(&id, m.b, m.n, &l), 0);
	check(!l.has_addr);
	check_int(l.status, 2);
	dhcp6_lease_done(&l);

	/* A valid lifetime of 0 withdraws the address; another IAID is not ours. */
	memset(&l, 0, sizeof(l));
	msg_start(&m, MSG_REPLY, id.xid);
	msg_opt(&m, OPT_CLIENTID, id.duid, sizeof(id.duid));
	msg_opt(&m, OPT_SERVERID, "SRV", 3);
	msg_opt(&m, OPT_IA_NA, ia, ia_na(ia, id.iaid, "fd00::1", 0, -1));
	msg_opt(&m, OPT_IA_NA, ia, ia_na(ia, id.iaid + 1, "fd00::2", 60, -1));
	check_int(dhcp6_parse(&id, m.b, m.n, &l), 0);
	check(!l.has_addr);
	dhcp6_lease_done(&l);
}

static void test_malformed(void)
{
	struct msg m;
	struct dhcp6_lease l = { 0 };
	static const uint8_t bad_names[] = "\3lan\77example";
	static const uint8_t bad_params[] = "\0\5ok\0\0\0\200x";
	uint8_t big[200];

	/* An option longer than the message. */
	advertise(&m);
	unaligned_write_be16(m.b + m.n, 99);
	unaligned_write_be16(m.b + m.n + 2, 0x7fff);
	m.n += 4;
	check_int(dhcp6_parse(&id, m.b, m.n, &l), -EBADMSG);
	dhcp6_lease_done(&l);

	/* A label past its option, a parameter longer than the option: dropped. */
	memset(&l, 0, sizeof(l));
	msg_start(&m, MSG_REPLY, id.xid);
	msg_opt(&m, OPT_CLIENTID, id.duid, sizeof(id.duid));
	msg_opt(&m, OPT_SERVERID, "SRV", 3);
	msg_opt(&m, OPT_DOMAIN_LIST, bad_names, sizeof(bad_names) - 1);
	msg_opt(&m, OPT_BOOTFILE_PARAM, bad_params, 4);
	check_int(dhcp6_parse(&id, m.b, m.n, &l), 0);
	check_str(strbuf_str(&l.search), "");
	check_str(strbuf_str(&l.params), "");
	dhcp6_lease_done(&l);

	/* A server identifier too long for the buffer. */
	memset(&l, 0, sizeof(l));
	msg_start(&m, MSG_REPLY, id.xid);
	msg_opt(&m, OPT_CLIENTID, id.duid, sizeof(id.duid));
	memset(big, 'x', sizeof(big));
	msg_opt(&m, OPT_SERVERID, big, sizeof(big));
	check_int(dhcp6_parse(&id, m.b, m.n, &l), -EBADMSG);
	dhcp6_lease_done(&l);
}

TAP_MAIN(TAP_CASE(test_solicit), TAP_CASE(test_request), TAP_CASE(test_advertise),
	 TAP_CASE(test_not_ours), TAP_CASE(test_no_address), TAP_CASE(test_malformed))
