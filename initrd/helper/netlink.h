/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * A small generic-netlink client: enough to resolve a family, send a command
 * with (nested) attributes, read the reply, and listen to a multicast group.
 * Static and dependency-free on purpose: it runs in the initramfs.
 */
struct nlmsg {
	size_t len;
	union {
		char buf[8192];
		uint64_t align_;
	};
};

void genl_msg_init(struct nlmsg *m, uint16_t family, uint8_t cmd, uint8_t version);
int nla_put(struct nlmsg *m, uint16_t type, const void *data, size_t len);
int nla_put_u32(struct nlmsg *m, uint16_t type, uint32_t v);
int nla_put_u64(struct nlmsg *m, uint16_t type, uint64_t v);
int nla_put_str(struct nlmsg *m, uint16_t type, const char *s);
/* Start a nested attribute; returns its offset for nla_nest_end(). */
size_t nla_nest_start(struct nlmsg *m, uint16_t type);
void nla_nest_end(struct nlmsg *m, size_t start);

/* Attributes: a flat table indexed by type, from a buffer of nlattrs. */
struct nla_view {
	const void *data;
	uint16_t len;
};
void nla_parse(const void *buf, size_t len, struct nla_view *tb, size_t max);
uint32_t nla_u32(const struct nla_view *a);

int genl_open(uint32_t groups_to_join_id);
/*
 * Send m and read the answer. on_reply, when set, sees each reply message's
 * genl payload (attributes); returns 0 or the kernel's negative errno.
 */
int genl_call(int fd, struct nlmsg *m,
	      void (*on_reply)(uint8_t cmd, const void *attrs, size_t len, void *ud),
	      void *ud);
/* The id of a family and, when mcast_group is set, of one of its groups. */
int genl_resolve(int fd, const char *family, uint16_t *ret_id, const char *mcast_group,
		 uint32_t *ret_group);
/* Wait for one multicast message; its genl cmd and attributes go to on_msg. */
int genl_recv_event(int fd,
		    void (*on_msg)(uint8_t cmd, const void *attrs, size_t len, void *ud),
		    void *ud);
