// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel command line: interfaces built from others (vlan=, bond=,
 * bridge=) and interfaces renamed (ifname=), in dracut's grammar; the
 * initramfs builds them (scripts/net.sh build_links).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline-internal.h"
#include "util.h"

/* "a,b,c": each an interface name; NULL for an empty or invalid list. */
static bool ifname_list(const char *v)
{
	if (!*v || v[strlen(v) - 1] == ',')
		return false;
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, ",");
		char name[16];

		if (n == 0 || n >= sizeof(name))
			return false;
		memcpy(name, p, n);
		name[n] = '\0';
		if (!is_ifname(name) || strchr(name, '='))
			return false;
		p += n + (p[n] == ',');
	}
	return true;
}

static bool valid_new_ifname(const char *s)
{
	return is_ifname(s) && !strchr(s, '=') && !strchr(s, ',') && strcmp(s, "lo");
}

/*
 * vlan=NAME:PHYS. dracut takes the VLAN id from the name: vlan0005, vlan5,
 * eth0.0005 or eth0.5.
 */
int h_vlan(struct px_config *c, struct pending *pd, const struct param *a,
	   const struct param_def *d, char **ret_err)
{
	_cleanup_free_ char *copy = NULL, *item = NULL;
	const char *id;
	char *phys;
	unsigned int n;
	int r = px_need_value(a, ret_err);

	if (r < 0)
		return r;
	copy = strdup(a->v);
	if (!copy)
		return -ENOMEM;
	phys = strchr(copy, ':');
	if (!phys)
		return px_fail(ret_err, "%s: expected vlan=NAME:PHYSICAL-INTERFACE",
			       a->p);
	*phys++ = '\0';
	if (!valid_new_ifname(copy) || !is_ifname(phys) || strchr(phys, ','))
		return px_fail(ret_err, "%s: invalid interface name", a->p);
	if (startswith(copy, "vlan"))
		id = copy + 4;
	else if (strrchr(copy, '.'))
		id = strrchr(copy, '.') + 1;
	else
		id = "";
	if (!all_digits(id) || parse_uint(id, 1, 4094, &n) < 0)
		return px_fail(
			ret_err,
			"%s: the name must give the VLAN id (1 to 4094): vlan5, vlan0005, %s.5",
			a->p, phys);
	if (asprintf(&item, "%s:%s:%u", copy, phys, n) < 0)
		return -ENOMEM;
	return px_append(c, PX_VLAN, item, ' ');
}

/* Bonding options the kernel's bonding driver takes (its sysfs files). */
static bool is_bond_option(const char *name, size_t n)
{
	static const char *const opts[] = {
		"mode",
		"miimon",
		"updelay",
		"downdelay",
		"primary",
		"primary_reselect",
		"lacp_rate",
		"xmit_hash_policy",
		"arp_interval",
		"arp_ip_target",
		"arp_validate",
		"arp_all_targets",
		"fail_over_mac",
		"ad_select",
		"min_links",
		"num_grat_arp",
		"num_unsol_na",
		"use_carrier",
		"all_slaves_active",
		"resend_igmp",
		"packets_per_slave",
		"tlb_dynamic_lb",
		"lp_interval",
		"peer_notif_delay",
		"ad_actor_sys_prio",
		"ad_user_port_key",
		"ad_actor_system",
	};

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (name_is(name, n, opts[i]))
			return true;
	return false;
}

/*
 * bond=NAME[:SLAVES[:OPTIONS[:MTU]]]; a bare bond is bond0 over eth0 and eth1
 * in round-robin mode (dracut's default). Options are comma separated; dracut
 * also accepts arp_ip_target's addresses joined with ';'.
 */
int h_bond(struct px_config *c, struct pending *pd, const struct param *a,
	   const struct param_def *d, char **ret_err)
{
	_cleanup_free_ char *copy = strdup(a->v ? a->v : "bond0:eth0,eth1");
	_cleanup_free_ char *item = NULL;
	char *f[4] = { 0 };
	size_t nf = 0;
	unsigned int mtu;

	if (!copy)
		return -ENOMEM;
	for (char *p = copy; p && nf < 4; nf++) {
		f[nf] = p;
		p = strchr(p, ':');
		if (p)
			*p++ = '\0';
		if (nf == 3 && p)
			return px_fail(ret_err, "%s: too many fields", a->p);
	}
	if (!valid_new_ifname(f[0]))
		return px_fail(ret_err, "%s: invalid bond name", a->p);
	if (!f[1] || !*f[1])
		f[1] = "eth0,eth1";
	if (!ifname_list(f[1]))
		return px_fail(ret_err, "%s: invalid list of interfaces '%s'", a->p,
			       f[1]);
	if (!f[2] || !*f[2])
		f[2] = "mode=balance-rr";
	for (const char *p = f[2]; *p;) {
		size_t n = strcspn(p, ","), k = strcspn(p, "=");

		if (k >= n || !is_bond_option(p, k) || k + 1 == n)
			return px_fail(ret_err, "%s: unknown bonding option '%.*s'", a->p,
				       (int)n, p);
		for (size_t i = k + 1; i < n; i++)
			if (!isalnum((unsigned char)p[i]) && !strchr("._-;", p[i]))
				return px_fail(ret_err,
					       "%s: invalid bonding option '%.*s'", a->p,
					       (int)n, p);
		p += n + (p[n] == ',');
	}
	if (f[3] && *f[3] && parse_uint(f[3], 68, 65535, &mtu) < 0)
		return px_fail(ret_err, "%s: the MTU must be a number from 68 to 65535",
			       a->p);
	if (asprintf(&item, "%s:%s:%s:%s", f[0], f[1], f[2], f[3] ? f[3] : "") < 0)
		return -ENOMEM;
	return px_append(c, PX_BOND, item, ' ');
}

/* bridge=NAME:PORTS; a bare bridge is br0 over eth0 (dracut's default). */
int h_bridge(struct px_config *c, struct pending *pd, const struct param *a,
	     const struct param_def *d, char **ret_err)
{
	_cleanup_free_ char *copy = strdup(a->v ? a->v : "br0:eth0");
	char *ports;

	if (!copy)
		return -ENOMEM;
	ports = strchr(copy, ':');
	if (!ports)
		return px_fail(ret_err,
			       "%s: expected bridge=NAME:INTERFACE[,INTERFACE...]", a->p);
	*ports++ = '\0';
	if (!valid_new_ifname(copy))
		return px_fail(ret_err, "%s: invalid bridge name", a->p);
	if (!ifname_list(ports))
		return px_fail(ret_err, "%s: invalid list of interfaces '%s'", a->p,
			       ports);
	ports[-1] = ':';
	return px_append(c, PX_BRIDGE, copy, ' ');
}

/* ifname=NAME:MAC: the interface with that MAC is renamed NAME. */
int h_ifname(struct px_config *c, struct pending *pd, const struct param *a,
	     const struct param_def *d, char **ret_err)
{
	_cleanup_free_ char *item = NULL;
	const char *colon = a->v ? strchr(a->v, ':') : NULL;
	char name[16], mac[18];

	if (!colon || colon == a->v || (size_t)(colon - a->v) >= sizeof(name))
		return px_fail(ret_err, "%s: expected ifname=NAME:MAC", a->p);
	memcpy(name, a->v, colon - a->v);
	name[colon - a->v] = '\0';
	if (!valid_new_ifname(name))
		return px_fail(ret_err, "%s: invalid interface name", a->p);
	if (parse_mac(colon + 1, false, mac) < 0)
		return px_fail(ret_err, "%s: expected a MAC such as 52:54:00:12:34:56",
			       a->p);
	if (asprintf(&item, "%s=%s", name, mac) < 0)
		return -ENOMEM;
	return px_append(c, PX_IFNAME, item, ' ');
}

/* Interfaces built from others need a name to configure. */
int resolve_links(struct px_config *c, char **ret_err)
{
	static const enum px_key kinds[] = { PX_VLAN, PX_BOND, PX_BRIDGE };

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (*px_config_get(c, kinds[i]) && !*px_config_get(c, PX_IP_DEV) &&
		    !*px_config_get(c, PX_BOOTIF))
			return px_fail(
				ret_err,
				"%s: name the interface the root is reached through (ip=NAME:dhcp or bootdev=NAME)",
				i == 0	 ? "vlan="
				: i == 1 ? "bond"
					 : "bridge");
	return 0;
}
