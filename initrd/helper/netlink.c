// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink.h"
#include "util.h"

#define ALIGN4(x) (((x) + 3u) & ~3u)

static struct nlmsghdr *hdr(struct nlmsg *m)
{
	return (struct nlmsghdr *)m->buf;
}

void genl_msg_init(struct nlmsg *m, uint16_t family, uint8_t cmd, uint8_t version)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	hdr(m)->nlmsg_type = family;
	hdr(m)->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = version;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

int nla_put(struct nlmsg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a;
	size_t total = NLA_HDRLEN + len;

	if (m->len + ALIGN4(total) > sizeof(m->buf))
		return -EMSGSIZE;
	a = (struct nlattr *)(m->buf + m->len);
	a->nla_type = type;
	a->nla_len = total;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + total, 0, ALIGN4(total) - total);
	m->len += ALIGN4(total);
	return 0;
}

int nla_put_u32(struct nlmsg *m, uint16_t type, uint32_t v)
{
	return nla_put(m, type, &v, sizeof(v));
}

int nla_put_u64(struct nlmsg *m, uint16_t type, uint64_t v)
{
	return nla_put(m, type, &v, sizeof(v));
}

int nla_put_str(struct nlmsg *m, uint16_t type, const char *s)
{
	return nla_put(m, type, s, strlen(s) + 1);
}

size_t nla_nest_start(struct nlmsg *m, uint16_t type)
{
	size_t start = m->len;

	if (nla_put(m, type | NLA_F_NESTED, NULL, 0) < 0)
		return (size_t)-1;
	return start;
}

void nla_nest_end(struct nlmsg *m, size_t start)
{
	if (start == (size_t)-1)
		return;
	((struct nlattr *)(m->buf + start))->nla_len = m->len - start;
}

void nla_parse(const void *buf, size_t len, struct nla_view *tb, size_t max)
{
	const char *p = buf;

	memset(tb, 0, max * sizeof(*tb));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		uint16_t type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		if (type < max) {
			tb[type].data = p + NLA_HDRLEN;
			tb[type].len = a->nla_len - NLA_HDRLEN;
		}
		if (ALIGN4(a->nla_len) >= len)
			break;
		len -= ALIGN4(a->nla_len);
		p += ALIGN4(a->nla_len);
	}
}

uint32_t nla_u32(const struct nla_view *a)
{
	uint32_t v = 0;

	if (a->data && a->len >= sizeof(v))
		memcpy(&v, a->data, sizeof(v));
	return v;
}

int genl_open(uint32_t group)
{
	_cleanup_close_ int fd =
		socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (group && setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
				sizeof(group)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* Walk the messages in buf; returns 1 when the request is complete. */
static int walk(char *buf, size_t n, uint32_t seq,
		void (*on_reply)(uint8_t, const void *, size_t, void *), void *ud,
		int *err)
{
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
	     h = NLMSG_NEXT(h, n)) {
		if (seq && h->nlmsg_seq != seq)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			*err = e->error;
			return 1;
		}
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN && on_reply) {
			const struct genlmsghdr *g = NLMSG_DATA(h);
			on_reply(g->cmd, (const char *)g + GENL_HDRLEN,
				 h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, ud);
		}
	}
	return 0;
}

int genl_call(int fd, struct nlmsg *m,
	      void (*on_reply)(uint8_t cmd, const void *attrs, size_t len, void *ud),
	      void *ud)
{
	static uint32_t seq = 1;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[16384];
	int err = 0;

	hdr(m)->nlmsg_len = m->len;
	hdr(m)->nlmsg_seq = ++seq;
	if (sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (walk(buf, n, seq, on_reply, ud, &err))
			return err;
	}
}

struct family_query {
	const char *group;
	uint16_t id;
	uint32_t group_id;
};

static void on_family(uint8_t cmd, const void *attrs, size_t len, void *ud)
{
	struct family_query *q = ud;
	struct nla_view tb[CTRL_ATTR_MAX + 1];

	nla_parse(attrs, len, tb, CTRL_ATTR_MAX + 1);
	if (tb[CTRL_ATTR_FAMILY_ID].data && tb[CTRL_ATTR_FAMILY_ID].len >= 2)
		memcpy(&q->id, tb[CTRL_ATTR_FAMILY_ID].data, 2);
	if (q->group && tb[CTRL_ATTR_MCAST_GROUPS].data) {
		const char *p = tb[CTRL_ATTR_MCAST_GROUPS].data;
		size_t left = tb[CTRL_ATTR_MCAST_GROUPS].len;

		/* A list of nested entries, each with a name and an id. */
		while (left >= NLA_HDRLEN) {
			const struct nlattr *a = (const struct nlattr *)p;
			struct nla_view g[CTRL_ATTR_MCAST_GRP_MAX + 1];

			if (a->nla_len < NLA_HDRLEN || a->nla_len > left)
				break;
			nla_parse(p + NLA_HDRLEN, a->nla_len - NLA_HDRLEN, g,
				  CTRL_ATTR_MCAST_GRP_MAX + 1);
			if (g[CTRL_ATTR_MCAST_GRP_NAME].data &&
			    strncmp(g[CTRL_ATTR_MCAST_GRP_NAME].data, q->group,
				    g[CTRL_ATTR_MCAST_GRP_NAME].len) == 0)
				q->group_id = nla_u32(&g[CTRL_ATTR_MCAST_GRP_ID]);
			if (ALIGN4(a->nla_len) >= left)
				break;
			left -= ALIGN4(a->nla_len);
			p += ALIGN4(a->nla_len);
		}
	}
	(void)cmd;
}

int genl_resolve(int fd, const char *family, uint16_t *ret_id, const char *mcast_group,
		 uint32_t *ret_group)
{
	struct nlmsg m;
	struct family_query q = { .group = mcast_group };
	int r;

	genl_msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	r = nla_put_str(&m, CTRL_ATTR_FAMILY_NAME, family);
	if (r < 0)
		return r;
	r = genl_call(fd, &m, on_family, &q);
	if (r < 0)
		return r;
	if (!q.id)
		return -ENOENT;
	*ret_id = q.id;
	if (mcast_group) {
		if (!q.group_id)
			return -ENOENT;
		*ret_group = q.group_id;
	}
	return 0;
}

int genl_recv_event(int fd,
		    void (*on_msg)(uint8_t cmd, const void *attrs, size_t len, void *ud),
		    void *ud)
{
	char buf[8192];
	int err = 0;
	ssize_t n;

	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	walk(buf, n, 0, on_msg, ud, &err);
	return err;
}
