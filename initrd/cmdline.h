/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * The one parser for every kernel command line grammar the initramfs accepts:
 * the kernel's nfsroot/ip=, dracut's root=/netroot=/rd.*, SystemRescueCd's
 * netboot=/nbdboot=/nfsboot=/dodhcp/ethx=, pxelinux's BOOTIF= and pxeroot's own
 * rd.pxeroot.* options. It reads them into one normalised form: a fixed set of
 * keys (PX_ROOT, PX_SERVER, ...), each with a string value. /init evaluates the
 * shell form; pxeroot-cmdline prints the readable form for administrators.
 *
 * doc/kernel-cmdline.7.scd documents every parameter and every key.
 */

enum px_key {
	/* The root: what and where. */
	PX_ROOT, /* dhcp | nfs | nbd | url */
	PX_ROOT_PARAM, /* the parameter that named it, for messages */
	PX_SERVER,
	PX_PORT,
	PX_PATH, /* NFS directory */
	PX_IMAGE, /* an image file inside the NFS directory */
	PX_EXPORT, /* NBD export name */
	PX_URL,
	PX_NFS_VERS, /* auto | 3 | 4 | 4.0 | 4.1 | 4.2 */
	PX_NFS_OPTS,
	PX_FSTYPE,
	PX_FLAGS,
	PX_ROOT_RW, /* 1: the NFS directory mounted read-write, no overlay */
	PX_SHA256,
	PX_MD5,
	PX_CHECKSUM_URL,
	PX_VERIFY,
	PX_VERITY, /* dm-verity root hash of the image (sha256, hex) */
	PX_VERITY_OFFSET, /* where its hash tree starts in the image, bytes */
	/* The network. */
	PX_IP, /* dhcp | static | off */
	PX_IP_PARAM,
	PX_IP_ADDR,
	PX_IP_PREFIX,
	PX_IP_PEER,
	PX_IP_GW,
	PX_IP_HOSTNAME,
	PX_IP_DEV,
	PX_IP_DNS,
	PX_IP_NTP,
	PX_IP_MTU,
	PX_IP_MAC,
	PX_IP_WHY, /* why PX_IP_DEV is the boot interface */
	PX_IP_MORE, /* other interfaces: DEV:dhcp or DEV:static:ADDR/PREFIX, spaced */
	PX_PEERDNS, /* 0: DNS servers and domain from DHCP are not used */
	PX_IFNAME, /* NAME=MAC, spaced: interfaces renamed before use */
	PX_VLAN, /* NAME:PHYS:ID, spaced */
	PX_BOND, /* NAME:SLAVE,SLAVE:OPT=V,OPT=V:MTU, spaced */
	PX_BRIDGE, /* NAME:PORT,PORT, spaced */
	PX_BOOTIF,
	PX_DHCP_TRIES,
	PX_DHCP_TIMEOUT,
	PX_LINK_TIMEOUT,
	PX_IPV6_TIMEOUT,
	/* Behaviour. */
	PX_RETRY,
	PX_OVERLAY, /* overlay | tmpfs | none */
	PX_OVERLAY_SIZE,
	PX_INIT,
	PX_ON_FAIL, /* shell | reboot | poweroff | halt */
	PX_FAIL_TIMEOUT,
	PX_BREAK,
	PX_DEBUG,
	PX_QUIET,
	PX_NBD_TIMEOUT,
	PX_NBD_DEAD_TIMEOUT,
	PX_NBD_RECONNECT,
	PX_NBD_LOST, /* wait | fail: the generation attached is no longer served */
	PX_MODULES,
	PX_BLACKLIST,
	_PX_KEY_MAX,
};

struct px_config {
	char *v[_PX_KEY_MAX];
	char **warnings; /* a strv */
	size_t n_warnings;
	char *image_override; /* rd.pxeroot.image= or ltsp.image= */
	char *image_param; /* the parameter that named it, for messages */
};

/* A list of parameters ("name=value" or "name"), as the kernel splits them. */
struct px_params {
	char **p; /* a strv */
	size_t n;
};

void px_params_done(struct px_params *l);

/*
 * Split a command line the way the kernel does: on white space, double quotes
 * group (and are removed), "--" ends the parameters (the rest belongs to init).
 */
int px_split(const char *line, struct px_params *ret);

/*
 * The effective parameters: the baked-in defaults, minus every parameter the
 * real command line gives again, then the real command line. Parameters that
 * name the root (root=, netroot=, nfsroot=, netboot=, nbdboot=, nfsboot=) count
 * as one, and so do those that configure the address (ip=, dodhcp, nodhcp,
 * ethx=, ethN=): the real command line replaces the whole group.
 */
int px_merge(const struct px_params *defaults, const struct px_params *cmdline,
	     struct px_params *ret);

void px_config_init(struct px_config *c);
void px_config_done(struct px_config *c);

/*
 * Read the parameters into c. On a malformed or conflicting value returns
 * -EINVAL and sets *ret_err to a one-line message that names the parameter.
 */
int px_config_apply(struct px_config *c, const struct px_params *l, char **ret_err);

/*
 * Read a DHCP root-path (option 17) into the root keys of c, as root=dhcp
 * does once the lease is known: nfs:, nfs4:, nbd:, [server:]/path[,opts],
 * or a URL.
 */
int px_config_root_path(struct px_config *c, const char *root_path, char **ret_err);

const char *px_config_get(const struct px_config *c, enum px_key k);
const char *px_key_name(enum px_key k);
bool px_key_is_root(enum px_key k);

/* KEY='value' lines, every key, PX_ prefixed; only_root: the root keys. */
int px_config_write_shell(const struct px_config *c, FILE *f, bool only_root);
/* The same content, for people. */
int px_config_write_text(const struct px_config *c, FILE *f);
