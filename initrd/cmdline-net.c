// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The network: ip= in the kernel's and dracut's forms, SystemRescueCd's
 * ethx=/ethN=/dodhcp/nodhcp, bootdev= and pxelinux's BOOTIF=, resolved into
 * one mode (dhcp, static, off) and the keys that go with it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline-internal.h"
#include "util.h"

static bool is_autoconf_word(const char *s)
{
	static const char *const w[] = { "off",		"none",	 "on",	  "any",
					 "dhcp",	"bootp", "rarp",  "both",
					 "single-dhcp", "dhcp6", "auto6", "either6",
					 "link6",	"ibft" };

	for (size_t i = 0; i < ARRAY_SIZE(w); i++)
		if (strcmp(s, w[i]) == 0)
			return true;
	return false;
}

/* off, none, dhcp... to the mode; the rest are refused with a reason. */
static int autoconf_mode(const char *s, const char **mode, const char *param,
			 char **ret_err)
{
	if (!*s) {
		*mode = NULL;
		return 0;
	}
	if (strcmp(s, "off") == 0 || strcmp(s, "none") == 0)
		*mode = "off";
	else if (strcmp(s, "on") == 0 || strcmp(s, "any") == 0 ||
		 strcmp(s, "dhcp") == 0 || strcmp(s, "bootp") == 0 ||
		 strcmp(s, "both") == 0 || strcmp(s, "single-dhcp") == 0)
		*mode = "dhcp";
	else if (strcmp(s, "rarp") == 0)
		return px_fail(ret_err, "%s: RARP is not supported (use dhcp)", param);
	else if (strcmp(s, "auto6") == 0)
		*mode = "auto6";
	else if (strcmp(s, "dhcp6") == 0)
		*mode = "dhcp6";
	else if (strcmp(s, "either6") == 0)
		return px_fail(ret_err,
			       "%s: either6 is not supported (use dhcp6 or auto6)",
			       param);
	else if (strcmp(s, "link6") == 0)
		return px_fail(ret_err,
			       "%s: link-local IPv6 only is not supported (use auto6)",
			       param);
	else if (strcmp(s, "ibft") == 0)
		return px_fail(ret_err, "%s: iBFT is not supported", param);
	else
		return px_fail(ret_err, "%s: unknown autoconfiguration '%s'", param, s);
	return 0;
}

/*
 * What follows AUTOCONF in ip=: dracut's [MTU][:MAC] (the MAC's own colons
 * spread it over six fields), or the kernel's DNS0:DNS1:NTP0 (dracut reads
 * the first two as DNS servers too).
 */
static int ip_tail(struct px_config *c, char **t, size_t n, bool dns_allowed,
		   const char *param, char **ret_err)
{
	_cleanup_free_ char *mac = NULL;
	char buf[18];
	int r = 0;

	if (n == 0)
		return 0;
	if (n > 1) {
		size_t len = 0;

		for (size_t i = 1; i < n; i++)
			len += strlen(t[i]) + 1;
		mac = malloc(len + 1);
		if (!mac)
			return -ENOMEM;
		mac[0] = '\0';
		for (size_t i = 1; i < n; i++) {
			strcat(mac, t[i]);
			if (i + 1 < n)
				strcat(mac, ":");
		}
	}
	if ((!*t[0] || all_digits(t[0])) &&
	    (n == 1 ? all_digits(t[0]) : parse_mac(mac, false, buf) == 0)) {
		if (*t[0])
			r = px_uint_value(c, PX_IP_MTU, param, t[0], 68, 65535, ret_err);
		if (r == 0 && n > 1)
			r = px_set(c, PX_IP_MAC, buf);
		return r;
	}
	if (!dns_allowed)
		return px_fail(ret_err,
			       "%s: expected [MTU][:MAC] after the autoconfiguration",
			       param);
	if (n > 3)
		return px_fail(ret_err, "%s: too many fields", param);
	for (size_t i = 0; i < n; i++) {
		if (!*t[i])
			continue;
		if (!is_ipv4(t[i]))
			return px_fail(ret_err, "%s: '%s' is not an IPv4 address", param,
				       t[i]);
		r = i < 2 ? px_append(c, PX_IP_DNS, t[i], ' ')
			  : px_set(c, PX_IP_NTP, t[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * ip= in all its forms:
 *   dhcp | on | any | off | ...
 *   IFACE:dhcp[:MTU[:MAC]]                                          (dracut)
 *   CLIENT:PEER:GW:NETMASK:HOST:IFACE:AUTOCONF[:DNS0[:DNS1[:NTP0]]] (kernel)
 *   ...:AUTOCONF[:MTU[:MAC]]                                        (dracut)
 */
static int parse_ip(struct px_config *c, const char *param, const char **mode,
		    char **ret_err)
{
	const char *v = param + 3;
	_cleanup_free_ char *copy = strdup(v);
	char *f[16] = { 0 };
	bool v6[16] = { false }; /* the field was an IPv6 address in brackets */
	size_t nf = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	/* ip=ADDRESS alone is the first field of the long form, not a keyword. */
	if (!strchr(v, ':') && !is_ipv4(v))
		return autoconf_mode(v, mode, param, ret_err);
	/* Split at ':', except inside dracut's [IPv6] brackets. */
	for (char *p = copy;;) {
		char *colon;

		if (nf == ARRAY_SIZE(f))
			return px_fail(ret_err, "%s: too many fields", param);
		if (*p == '[') {
			char *close = strchr(p, ']');

			if (!close || (close[1] != ':' && close[1] != '\0'))
				return px_fail(ret_err,
					       "%s: unterminated '[' in an address",
					       param);
			*close = '\0';
			v6[nf] = true;
			if (!is_ipv6(p + 1))
				return px_fail(ret_err, "%s: '%s' is not an IPv6 address",
					       param, p + 1);
			f[nf++] = p + 1;
			if (!close[1])
				break;
			p = close + 2;
			continue;
		}
		colon = strchr(p, ':');
		f[nf++] = p;
		if (!colon)
			break;
		*colon = '\0';
		p = colon + 1;
	}
	for (size_t i = 3; i < nf; i++)
		if (v6[i])
			return px_fail(
				ret_err,
				"%s: an IPv6 address in brackets only goes in the client, peer or gateway field",
				param);
	if (nf >= 2 && !v6[0] && !is_ipv4(f[0]) && is_autoconf_word(f[1])) {
		/* IFACE:AUTOCONF[:MTU[:MAC]] */
		if (!is_ifname(f[0]))
			return px_fail(ret_err, "%s: invalid interface name '%s'", param,
				       f[0]);
		r = autoconf_mode(f[1], mode, param, ret_err);
		r = r ?: px_set(c, PX_IP_DEV, f[0]);
		return r ?: ip_tail(c, f + 2, nf - 2, false, param, ret_err);
	}
	if (*f[0] && !v6[0] && !is_ipv4(f[0]))
		return px_fail(ret_err, "%s: '%s' is not an IPv4 address", param, f[0]);
	if (nf > 1 && *f[1]) {
		/* dracut allows PEER/PREFIX for point-to-point links; the prefix is
		 * unused. */
		char *slash = strchr(f[1], '/');
		if (slash)
			*slash = '\0';
		if (!v6[1] && !is_ipv4(f[1]))
			return px_fail(ret_err, "%s: '%s' is not an IPv4 address", param,
				       f[1]);
		r = px_set(c, PX_IP_PEER, f[1]);
	}
	if (nf > 2 && *f[2]) {
		if (!v6[2] && !is_ipv4(f[2]))
			return px_fail(ret_err, "%s: '%s' is not an IPv4 address", param,
				       f[2]);
		if (*f[0] && v6[0] != v6[2])
			return px_fail(
				ret_err,
				"%s: the address and the gateway are not of one family",
				param);
		r = r ?: px_set(c, PX_IP_GW, f[2]);
	}
	if (*f[0] && v6[0]) {
		/* dracut: [ADDRESS]::[GATEWAY]:PREFIX, a prefix length, not a mask. */
		unsigned int prefix = 64;
		char buf[8];

		if (nf > 3 && *f[3] && parse_uint(f[3], 1, 128, &prefix) < 0)
			return px_fail(ret_err, "%s: '%s' is not an IPv6 prefix length",
				       param, f[3]);
		r = r ?: px_set(c, PX_IP_ADDR, f[0]);
		snprintf(buf, sizeof(buf), "%u", prefix);
		r = r ?: px_set(c, PX_IP_PREFIX, buf);
	} else if (*f[0]) {
		unsigned int prefix;
		char buf[8];

		if (nf > 3 && *f[3]) {
			if (netmask_to_prefix(f[3], &prefix) < 0)
				return px_fail(ret_err, "%s: '%s' is not a netmask",
					       param, f[3]);
		} else {
			prefix = classful_prefix(f[0]);
		}
		snprintf(buf, sizeof(buf), "%u", prefix);
		r = r ?: px_set(c, PX_IP_ADDR, f[0]);
		r = r ?: px_set(c, PX_IP_PREFIX, buf);
	} else if (nf > 3 && *f[3]) {
		return px_fail(ret_err, "%s: a netmask without an address", param);
	}
	if (r < 0)
		return r;
	if (nf > 4 && *f[4]) {
		if (strlen(f[4]) > 64 || !is_hostname(f[4]))
			return px_fail(ret_err, "%s: '%s' is not a host name", param,
				       f[4]);
		r = px_set(c, PX_IP_HOSTNAME, f[4]);
		if (r < 0)
			return r;
	}
	if (nf > 5 && *f[5]) {
		if (!is_ifname(f[5]))
			return px_fail(ret_err, "%s: invalid interface name '%s'", param,
				       f[5]);
		r = px_set(c, PX_IP_DEV, f[5]);
		if (r < 0)
			return r;
	}
	r = autoconf_mode(nf > 6 ? f[6] : "", mode, param, ret_err);
	if (r < 0)
		return r;
	if (v6[0] && *mode && strcmp(*mode, "dhcp") == 0)
		return px_fail(ret_err,
			       "%s: DHCP cannot ask for an IPv6 address (use none)",
			       param);
	if (*mode && (strcmp(*mode, "auto6") == 0 || strcmp(*mode, "dhcp6") == 0) &&
	    (*f[0] || *f[2]))
		return px_fail(
			ret_err,
			"%s: %s takes its address and gateway from the %s, not ip=",
			param, *mode,
			strcmp(*mode, "auto6") == 0 ? "router"
						    : "DHCPv6 server and the router");
	/* No autoconfiguration named: static with an address, else DHCP (the kernel's
	 * rule). */
	if (!*mode || (strcmp(*mode, "off") == 0 && *f[0]))
		*mode = *f[0] ? "static" : "dhcp";
	return nf > 7 ? ip_tail(c, f + 7, nf - 7, true, param, ret_err) : 0;
}

/* ethx=IP[/PREFIX] and ethN=IP[/PREFIX] (SystemRescueCd). */
static int parse_eth(struct px_config *c, const char *param, char **ret_err)
{
	size_t nl = name_len(param);
	const char *v = param + nl + 1;
	_cleanup_free_ char *ip = strdup(v);
	char *slash;
	char buf[8];
	int r;

	if (!ip)
		return -ENOMEM;
	slash = strchr(ip, '/');
	if (slash)
		*slash++ = '\0';
	if (!is_ipv4(ip))
		return px_fail(ret_err, "%s: '%s' is not an IPv4 address", param, ip);
	if (slash) {
		unsigned int prefix;
		if (netmask_to_prefix(slash, &prefix) < 0)
			return px_fail(ret_err,
				       "%s: '%s' is not a prefix length or netmask",
				       param, slash);
		snprintf(buf, sizeof(buf), "%u", prefix);
	} else {
		snprintf(buf, sizeof(buf), "%u", classful_prefix(ip));
	}
	r = px_set(c, PX_IP_ADDR, ip);
	r = r ?: px_set(c, PX_IP_PREFIX, buf);
	if (r == 0 && !name_is(param, nl, "ethx"))
		r = px_setn(c, PX_IP_DEV, param, nl);
	return r;
}

/* One ip= or ethN= read on its own: its mode and the keys it sets. */
struct net_entry {
	const char *param;
	const char *mode;
	struct px_config c;
};

static const char *entry_dev(const struct net_entry *e)
{
	return px_config_get(&e->c, PX_IP_DEV);
}

static bool entry_has_extras(const struct net_entry *e)
{
	static const enum px_key extras[] = { PX_IP_GW,	 PX_IP_PEER, PX_IP_HOSTNAME,
					      PX_IP_DNS, PX_IP_NTP,  PX_IP_MTU,
					      PX_IP_MAC };

	for (size_t i = 0; i < ARRAY_SIZE(extras); i++)
		if (*px_config_get(&e->c, extras[i]))
			return true;
	/* DHCP asking for an address keeps it in IP_ADDR. */
	return strcmp(e->mode, "dhcp") == 0 && *px_config_get(&e->c, PX_IP_ADDR);
}

/* The keys an entry set, copied into the configuration. */
static int entry_commit(struct px_config *c, const struct net_entry *e)
{
	static const enum px_key keys[] = { PX_IP_ADDR, PX_IP_PREFIX,	PX_IP_PEER,
					    PX_IP_GW,	PX_IP_HOSTNAME, PX_IP_DEV,
					    PX_IP_DNS,	PX_IP_NTP,	PX_IP_MTU,
					    PX_IP_MAC };
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(keys); i++) {
		const char *v = e->c.v[keys[i]];

		if (!v)
			continue;
		/* gateway= and nameserver= given apart add to what ip= says. */
		if (keys[i] == PX_IP_DNS)
			r = px_append(c, PX_IP_DNS, v, ' ');
		else if (keys[i] == PX_IP_GW && *px_config_get(c, PX_IP_GW) && !*v)
			continue;
		else
			r = px_set(c, keys[i], v);
	}
	r = r ?: px_set(c, PX_IP, e->mode);
	return r ?: px_set(c, PX_IP_PARAM, e->param);
}

int resolve_net(struct px_config *c, struct pending *pd, char **ret_err)
{
	struct net_entry e[2 * MAX_NET_ARGS + 1] = { 0 };
	size_t n = 0, n_dev = 0, prim = SIZE_MAX;
	const char *mode = NULL, *mode_param = NULL;
	const char *devless = NULL; /* the last ip= that names no interface */
	char *why = NULL;
	int r = 0;

	/* Every ip= and ethN= on its own, in command line order. */
	/* Every ip= and ethN= on its own (the two are refused together below). */
	for (size_t i = 0; i < pd->n_ip + pd->n_ethn; i++, n++) {
		px_config_init(&e[n].c);
		if (i < pd->n_ip) {
			e[n].param = pd->ip[i];
			r = parse_ip(&e[n].c, e[n].param, &e[n].mode, ret_err);
		} else {
			e[n].param = pd->ethn[i - pd->n_ip];
			e[n].mode = "static";
			r = parse_eth(&e[n].c, e[n].param, ret_err);
		}
		if (r < 0) {
			n++;
			goto out;
		}
	}
	if (pd->n_ip && (pd->n_ethn || pd->ethx)) {
		r = px_fail(ret_err, "conflicting network parameters: %s and %s",
			    pd->ip[0], pd->n_ethn ? pd->ethn[0] : pd->ethx);
		goto out;
	}
	if (pd->ethx && pd->n_ethn) {
		r = px_fail(ret_err, "conflicting network parameters: %s and %s",
			    pd->ethx, pd->ethn[0]);
		goto out;
	}
	if (pd->ethx) {
		px_config_init(&e[n].c);
		e[n].param = pd->ethx;
		e[n].mode = "static";
		r = parse_eth(&e[n].c, pd->ethx, ret_err);
		n++;
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!*entry_dev(&e[i])) {
			devless = e[i].param;
			continue;
		}
		n_dev++;
		for (size_t k = 0; k < i; k++)
			if (strcmp(entry_dev(&e[k]), entry_dev(&e[i])) == 0) {
				r = px_fail(
					ret_err,
					"conflicting network parameters: %s and %s (both configure %s)",
					e[k].param, e[i].param, entry_dev(&e[i]));
				goto out;
			}
	}
	/* ip=dhcp (every interface, the kernel's rule: the last counts) next to
	 * ip=eth1:dhcp cannot both hold. */
	if (devless && n_dev) {
		const char *first_dev = NULL;

		for (size_t i = 0; !first_dev && i < n; i++)
			if (*entry_dev(&e[i]))
				first_dev = e[i].param;
		r = px_fail(
			ret_err,
			"conflicting network parameters: %s and %s (name the interface in each ip=)",
			devless, first_dev);
		goto out;
	}

	/* The boot interface: bootdev= names it, else the first configured. */
	if (devless) {
		for (size_t i = 0; i < n; i++)
			if (e[i].param == devless)
				prim = i;
	} else if (n_dev && pd->bootdev) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(entry_dev(&e[i]), pd->bootdev) == 0)
				prim = i;
		if (prim == SIZE_MAX) {
			r = px_fail(ret_err, "bootdev=%s: no ip= or ethN= configures %s",
				    pd->bootdev, pd->bootdev);
			goto out;
		}
	} else if (n_dev) {
		prim = 0;
	}
	if (prim != SIZE_MAX) {
		r = entry_commit(c, &e[prim]);
		if (r < 0)
			goto out;
		mode = e[prim].mode;
		mode_param = e[prim].param;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *item = NULL;
		int k;

		/* ip= without an interface: only the last counts (the kernel's rule). */
		if (i == prim || !*entry_dev(&e[i]))
			continue;
		if (entry_has_extras(&e[i])) {
			r = px_fail(
				ret_err,
				"%s: only the boot interface (%s) takes a gateway, server, host name, DNS, NTP, MTU or MAC; bootdev= names it",
				e[i].param, entry_dev(&e[prim]));
			goto out;
		}
		if (strcmp(e[i].mode, "auto6") == 0 || strcmp(e[i].mode, "dhcp6") == 0) {
			r = px_fail(ret_err, "%s: only the boot interface takes %s",
				    e[i].param, e[i].mode);
			goto out;
		}
		if (strcmp(e[i].mode, "off") == 0)
			k = asprintf(&item, "%s:off", entry_dev(&e[i]));
		else if (strcmp(e[i].mode, "dhcp") == 0)
			k = asprintf(&item, "%s:dhcp", entry_dev(&e[i]));
		else
			k = asprintf(&item, "%s:static:%s/%s", entry_dev(&e[i]),
				     px_config_get(&e[i].c, PX_IP_ADDR),
				     px_config_get(&e[i].c, PX_IP_PREFIX));
		if (k < 0) {
			r = -ENOMEM;
			goto out;
		}
		r = px_append(c, PX_IP_MORE, item, ' ');
		if (r < 0)
			goto out;
	}

	if (pd->dodhcp) {
		if (mode && strcmp(mode, "dhcp") != 0) {
			r = px_fail(ret_err,
				    "conflicting network parameters: %s and dodhcp",
				    mode_param);
			goto out;
		}
		mode = "dhcp";
		if (!mode_param)
			mode_param = "dodhcp";
	}
	if (pd->nodhcp) {
		if (mode && strcmp(mode, "dhcp") == 0) {
			r = px_fail(ret_err,
				    "conflicting network parameters: %s and nodhcp",
				    mode_param);
			goto out;
		}
		if (!mode) {
			r = px_fail(
				ret_err,
				"nodhcp: no address given (add ethx=IP/PREFIX or ip=)");
			goto out;
		}
	}
	if (mode) {
		r = px_set(c, PX_IP, mode);
		r = r ?: px_set(c, PX_IP_PARAM, mode_param);
		if (r < 0)
			goto out;
	}
	if (pd->bootdev && !*px_config_get(c, PX_IP_DEV)) {
		r = px_set(c, PX_IP_DEV, pd->bootdev);
		if (r < 0)
			goto out;
	}
	/* Why this interface, for pxeroot-cmdline and /run/pxeroot/net.env. */
	if (pd->bootdev)
		r = asprintf(&why, "bootdev=%s", pd->bootdev);
	else if (n_dev > 1)
		r = asprintf(&why, "the first of %zu configured interfaces (%s)", n_dev,
			     mode_param);
	else if (*px_config_get(c, PX_IP_DEV))
		r = asprintf(&why, "%s", mode_param);
	else
		r = asprintf(&why, "the first with a link");
	if (r < 0) {
		r = -ENOMEM;
		goto out;
	}
	r = px_set(c, PX_IP_WHY, why);
	free(why);
	if (r < 0)
		goto out;
	if (pd->bootif && !pd->bootif_off) {
		char mac[18];
		const char *v = pd->bootif + strlen("BOOTIF=");

		r = parse_mac(v, true, mac);
		if (r == -EPROTONOSUPPORT) {
			r = px_fail(ret_err,
				    "%s: only Ethernet (hardware type 01) is supported",
				    pd->bootif);
			goto out;
		}
		if (r < 0) {
			r = px_fail(ret_err, "%s: expected 01-aa-bb-cc-dd-ee-ff",
				    pd->bootif);
			goto out;
		}
		r = px_set(c, PX_BOOTIF, mac);
		r = r
			    ?: px_set(c, PX_IP_WHY,
				      "BOOTIF (the interface the firmware booted from)");
	}
out:
	for (size_t i = 0; i < n; i++)
		px_config_done(&e[i].c);
	return r;
}

/* ---- network parameters read as they come (the table in cmdline.c) ---- */

static int dns_value(struct px_config *c, const char *param, const char *v,
		     char **ret_err)
{
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;
	int r;

	if (!v || !*v)
		return px_fail(ret_err, "%s: expected an address", param);
	copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	for (char *a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(a);

		/* dracut writes IPv6 servers in brackets: nameserver=[fd00::53]. */
		if (n > 2 && a[0] == '[' && a[n - 1] == ']') {
			a[n - 1] = '\0';
			a++;
			if (!is_ipv6(a))
				return px_fail(ret_err, "%s: '%s' is not an IPv6 address",
					       param, a);
		}
		if (!is_ipv4(a) && !is_ipv6(a))
			return px_fail(ret_err, "%s: '%s' is not an IP address", param,
				       a);
		r = px_append(c, PX_IP_DNS, a, ' ');
		if (r < 0)
			return r;
	}
	return 0;
}

int h_rd_bootif(struct px_config *c, struct pending *pd, const struct param *a,
		const struct param_def *d, char **ret_err)
{
	bool b;
	int r = px_bool_value(a->p, a->v, &b, ret_err);

	if (r < 0)
		return r;
	pd->bootif_off = !b;
	return 0;
}

int h_bootdev(struct px_config *c, struct pending *pd, const struct param *a,
	      const struct param_def *d, char **ret_err)
{
	int r = px_need_value(a, ret_err);

	if (r < 0)
		return r;
	if (!is_ifname(a->v))
		return px_fail(ret_err, "%s: invalid interface name", a->p);
	pd->bootdev = a->v;
	return 0;
}

int h_gateway(struct px_config *c, struct pending *pd, const struct param *a,
	      const struct param_def *d, char **ret_err)
{
	if (!a->v || !is_ipv4(a->v))
		return px_fail(ret_err, "%s: expected an IPv4 address", a->p);
	return px_set(c, PX_IP_GW, a->v);
}

int h_dns(struct px_config *c, struct pending *pd, const struct param *a,
	  const struct param_def *d, char **ret_err)
{
	return dns_value(c, a->p, a->v, ret_err);
}

/* ip= and ethN= may each name an interface: all are kept for resolve_net. */
int h_net_arg(struct px_config *c, struct pending *pd, const struct param *a,
	      const struct param_def *d, char **ret_err)
{
	bool eth = d->key != PX_IP;
	const char **list = eth ? pd->ethn : pd->ip;
	size_t *n = eth ? &pd->n_ethn : &pd->n_ip;
	int r = px_need_value(a, ret_err);

	if (r < 0)
		return r;
	if (*n == MAX_NET_ARGS)
		return px_fail(ret_err, "%s: more than %d %s parameters", a->p,
			       MAX_NET_ARGS, eth ? "ethN=" : "ip=");
	list[(*n)++] = a->p;
	return 0;
}
