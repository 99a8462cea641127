/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the parts of the command line parser share (cmdline.h is the
 * interface):
 *   cmdline.c        the keys, the configuration, the table of parameters
 *   cmdline-lex.c    splitting a command line, merging it over defaults
 *   cmdline-check.c  value checks (addresses, names, sizes, MACs)
 *   cmdline-root.c   the root grammars (NFS, NBD, URLs, SystemRescueCd)
 *   cmdline-net.c    the network (ip=, ethx=, ethN=, dodhcp, BOOTIF=)
 *   cmdline-text.c   the shell and the readable output
 *   cmdline-links.c  interfaces built from others (vlan=, bond=, bridge=) and
 *                    renamed (ifname=)
 */
#include <stdbool.h>
#include <stddef.h>

#include "cmdline.h"
#include "macro.h"

#define NBD_DEFAULT_PORT "10809"

/* What PX_ROOT says; ROOT_NONE only before a grammar has named one. */
enum root_kind {
	ROOT_NONE,
	ROOT_DHCP,
	ROOT_NFS,
	ROOT_NBD,
	ROOT_URL,
};
const char *root_kind_name(enum root_kind k);
enum root_kind root_kind_from_name(const char *s);

/* Setting keys: 0 or -ENOMEM. px_append adds to a list value (sep between,
 * duplicates skipped). */
int px_set(struct px_config *c, enum px_key k, const char *v);
int px_setn(struct px_config *c, enum px_key k, const char *v, size_t n);
int px_append(struct px_config *c, enum px_key k, const char *v, char sep);
int px_uint_value(struct px_config *c, enum px_key k, const char *param, const char *v,
		  unsigned int min, unsigned int max, char **ret_err);
int px_warn(struct px_config *c, const char *fmt, ...) _printf_(2, 3);
/* Set *ret_err to the message (when ret_err is not NULL); returns -EINVAL. */
int px_fail(char **ret_err, const char *fmt, ...) _printf_(2, 3);

/* cmdline-lex.c: a parameter's name is what comes before its first '='. */
size_t name_len(const char *param);
bool name_is(const char *name, size_t len, const char *want);
bool is_eth_n(const char *name, size_t len);

/* cmdline-check.c */
bool is_ipv4(const char *s);
bool is_ipv6(const char *s);
bool is_hostname(const char *s);
bool is_ifname(const char *s);
bool is_hex(const char *s, size_t len);
bool is_word(const char *s);
bool is_text(const char *s);
bool is_url(const char *v);
bool all_digits(const char *s);
int check_port(const char *s);
char *lower_dup(const char *s);
int parse_mac(const char *s, bool allow_hwtype, char out[18]);
bool is_tmpfs_size(const char *s);
int netmask_to_prefix(const char *s, unsigned int *ret);
unsigned int classful_prefix(const char *ip);
/* The file system types the initramfs can mount a root image as. */
bool is_root_fstype(const char *s);
extern const char root_fstypes_text[];

/*
 * The last value of each root or network parameter, resolved once the whole
 * command line is read. A parameter that may name the root: its value, the
 * whole parameter, and where it was on the command line (to name conflicts in
 * that order).
 */
struct root_arg {
	const char *v, *p;
	size_t i;
};

#define MAX_NET_ARGS 16

struct pending {
	struct root_arg root, netroot, nfsroot, netboot, nbdboot, nfsboot, nbdroot;
	/* Every ip= and ethN=, in command line order (each may name an interface). */
	const char *ip[MAX_NET_ARGS], *ethn[MAX_NET_ARGS];
	size_t n_ip, n_ethn;
	const char *ethx, *bootif, *bootdev;
	const char *rw; /* the last of ro and rw, when it is rw */
	const char *overlay; /* an explicit rd.pxeroot.overlay= */
	bool dodhcp, nodhcp, bootif_off;
	int shell; /* -1 unset */
	const char *emergency;
	const char *fail_action;
	const char *root_fstype, *root_flags;
};

/*
 * The parameters, one row each: a name and what reads its value. A handler
 * sets keys at once, or notes the parameter in struct pending when its
 * meaning depends on others (the root and network groups, the failure
 * action), which resolve_root, resolve_net and resolve_fail settle once the
 * whole command line is read. To add a parameter: a row here, a key in
 * cmdline.h if it needs one, a line in px_config_write_text and in
 * kernel-cmdline(7).
 */
struct param {
	const char *p; /* the whole parameter, "name=value" */
	const char *v; /* the value, NULL without '=' */
	size_t idx; /* its place on the command line */
};

struct param_def;
typedef int (*param_fn)(struct px_config *c, struct pending *pd, const struct param *a,
			const struct param_def *d, char **ret_err);

struct param_def {
	const char *name;
	param_fn fn;
	enum px_key key;
	unsigned int min, max; /* a number's range; a checksum's length in min */
	const char *const *choices; /* NULL-terminated */
	size_t slot; /* offset of a struct root_arg or const char * in struct pending */
};

/* A boolean parameter's value into *ret: none (the bare name) is true. */
int px_bool_value(const char *param, const char *v, bool *ret, char **ret_err);
/* "PARAM: missing value" when a has none. */
int px_need_value(const struct param *a, char **ret_err);

/* Handlers of the parameter table that live with their subject: network
 * parameters in cmdline-net.c, LTSP's image in cmdline-root.c. */
int h_rd_bootif(struct px_config *c, struct pending *pd, const struct param *a,
		const struct param_def *d, char **ret_err);
int h_bootdev(struct px_config *c, struct pending *pd, const struct param *a,
	      const struct param_def *d, char **ret_err);
int h_gateway(struct px_config *c, struct pending *pd, const struct param *a,
	      const struct param_def *d, char **ret_err);
int h_dns(struct px_config *c, struct pending *pd, const struct param *a,
	  const struct param_def *d, char **ret_err);
int h_net_arg(struct px_config *c, struct pending *pd, const struct param *a,
	      const struct param_def *d, char **ret_err);
int h_ltsp_image(struct px_config *c, struct pending *pd, const struct param *a,
		 const struct param_def *d, char **ret_err);

/* cmdline-links.c: interfaces built from others (vlan=, bond=, bridge=) and
 * renamed ones (ifname=) */
int h_vlan(struct px_config *c, struct pending *pd, const struct param *a,
	   const struct param_def *d, char **ret_err);
int h_bond(struct px_config *c, struct pending *pd, const struct param *a,
	   const struct param_def *d, char **ret_err);
int h_bridge(struct px_config *c, struct pending *pd, const struct param *a,
	     const struct param_def *d, char **ret_err);
int h_ifname(struct px_config *c, struct pending *pd, const struct param *a,
	     const struct param_def *d, char **ret_err);
int resolve_links(struct px_config *c, char **ret_err);

/* cmdline-root.c, cmdline-net.c */
int resolve_root(struct px_config *c, struct pending *pd, char **ret_err);
int resolve_net(struct px_config *c, struct pending *pd, char **ret_err);
int check_root_rw(struct px_config *c, char **ret_err);
/* rd.pxeroot.verity= needs its offset, and an image (NBD or HTTP), not NFS. */
int check_verity(struct px_config *c, char **ret_err);
