/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

/* The subcommands of pxeroot-helper, each a main(). */
int dhcp6_main(int argc, char **argv);
int nfs_mount_main(int argc, char **argv);
int nbd_connect_main(int argc, char **argv);
int probe_main(int argc, char **argv);
int check_init_main(int argc, char **argv);
int fetch_main(int argc, char **argv);
int verity_open_main(int argc, char **argv);
int verity_status_main(int argc, char **argv);

/*
 * The file system type for mount -t, or NULL, from the first bytes of a device
 * or image (PROBE_BYTES are enough) (probe.c).
 */
#define PROBE_BYTES 0x10048
const char *probe_identify(const unsigned char *buf, size_t n);

/* Shared by the subcommands (net.c). */
struct endpoint {
	struct sockaddr_storage addr;
	socklen_t len;
	char host[64]; /* numeric, without brackets */
};

/* Resolve a host name or address and a port (numeric) to one endpoint. */
int endpoint_resolve(const char *host, unsigned int port, struct endpoint *ret);
void endpoint_set_port(struct endpoint *e, unsigned int port);
/* TCP connect with a time limit in milliseconds; returns the socket. */
int tcp_connect(const struct endpoint *e, int timeout_ms);
/* The local address the kernel would use to reach e (no packet is sent). */
int local_address_for(const struct endpoint *e, char *buf, size_t len);
/* "host" or "[v6]" for messages and mount sources. */
const char *endpoint_host_text(const struct endpoint *e, char *buf, size_t len);
