// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "config.h"
#include "log.h"
#include "render.h"
#include "tap.h"
#include "util.h"

static const char *const base = "[server]\naddress = 10.0.0.1\n[dhcp]\nmode = off\n";

static int parse(struct pbs_config *c, const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s%s", base, extra);
	config_init(c);
	return config_parse(c, "t.conf", text);
}

static void test_entries_and_hosts(void)
{
	struct pbs_config c;

	check_int(parse(&c,
			"[entry a]\nkind = localboot\n[entry b]  # two\nkind = pxeroot\n"
			"kernel = /k\ninitrd = /i\nroot = nfs\ntree = /t # the tree\n"
			"[host 52-54-00-AB-cd-01]\ndefault = b\n"),
		  0);
	check_int(c.n_entries, 2);
	check_str(c.default_entry, "a");
	check_str(c.entries[1].tree, "/t");
	check_str(c.entries[1].label, "b");
	check_int(c.entries[1].root, ROOT_NFS);
	check_str(c.hosts[0].mac, "52:54:00:ab:cd:01");
	check(!config_needs_nbd(&c));
	config_free(&c);
}

static void test_errors_counted(void)
{
	struct pbs_config c;

	log_set_level(0);
	/* Each problem is counted and reading goes on. */
	check_int(parse(&c, "[entry a]\nkind = nope\nlabel = a\"b\n[host zz]\n[menu]\n"
			    "default = x\n[entry a]\n"),
		  -EINVAL);
	check_int(c.errors, 6);
	config_free(&c);
	check_int(parse(&c, "[entry k]\nkind = pxeroot\nkernel = /k\n"), -EINVAL);
	check_int(c.errors, 1); /* needs 'initrd' */
	config_free(&c);
	check_int(parse(&c, "[entry k]\nkind = pxeroot\nkernel = relative\n"), -EINVAL);
	config_free(&c);
}

static void test_subnet(void)
{
	static const char *const entry = "[entry a]\nkind = localboot\n";
	struct pbs_config c;
	char text[1024];

	log_set_level(0);
	/* Without subnet: the address and the netmask (default /24) make it. */
	check_int(parse(&c, entry), 0);
	check_str(c.subnet, "10.0.0.0/24");
	check_str(c.network, "10.0.0.0");
	config_free(&c);
	check_int(parse(&c, "[host 52:54:00:00:00:01]\naddress = 10.0.200.9\n"
			    "[entry a]\nkind = localboot\n"),
		  -EINVAL); /* 10.0.200.9 is outside 10.0.0.0/24 */
	check_int(c.errors, 1);
	config_free(&c);

	/* subnet sets the netmask, the network, and what lies inside. */
	config_init(&c);
	snprintf(text, sizeof(text),
		 "[server]\naddress = 10.0.0.1\nsubnet = 10.0.0.0/16\n"
		 "[dhcp]\nrange = 10.0.1.1 10.0.4.254\nrouter = 10.0.255.254\n"
		 "[host 52:54:00:00:00:01]\naddress = 10.0.200.9\n%s",
		 entry);
	check_int(config_parse(&c, "t.conf", text), 0);
	check_str(c.netmask, "255.255.0.0");
	check_str(c.network, "10.0.0.0");
	check_str(c.subnet, "10.0.0.0/16");
	config_free(&c);

	/* Syntax: no prefix, a prefix out of range, not an address. */
	static const char *const bad[][2] = {
		{ "subnet = 10.0.0.0\n", "" },
		{ "subnet = 10.0.0.0/33\n", "" },
		{ "subnet = 10.0.0.0/0\n", "" },
		{ "subnet = 10.0.0/8\n", "" },
		{ "subnet = 10.0.0.0/8x\n", "" },
		/* host bits, the address outside, a netmask that disagrees */
		{ "subnet = 10.0.0.1/24\n", "" },
		{ "subnet = 10.1.0.0/16\n", "" },
		{ "subnet = 10.0.0.0/24\n", "netmask = 255.255.0.0\n" },
		/* a range, a router outside; a range backwards */
		{ "subnet = 10.0.0.0/24\n", "range = 10.0.0.10 10.0.1.10\n" },
		{ "subnet = 10.0.0.0/24\n", "router = 10.0.1.1\n" },
		{ "", "range = 10.0.0.20 10.0.0.10\n" },
		/* a netmask that is not ones then zeros */
		{ "", "netmask = 255.0.255.0\n" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		config_init(&c);
		snprintf(text, sizeof(text),
			 "[server]\naddress = 10.0.0.1\n%s[dhcp]\nmode = off\n%s%s",
			 bad[i][0], bad[i][1], entry);
		int r = config_parse(&c, "t.conf", text);

		/* Exactly one problem each. */
		if (r != -EINVAL || c.errors != 1) {
			fprintf(stderr, "%s%s: returned %d with %u errors\n", bad[i][0],
				bad[i][1], r, c.errors);
			exit(1);
		}
		config_free(&c);
	}
}

static void test_srcd(void)
{
	struct pbs_config c;
	const char *text =
		"# comment\n----- CONFIGURATION -----\n"
		"PXEBOOTSRV_DODHCPD=\"no\"\nPXEBOOTSRV_PROXYDHCP='yes'\n"
		"PXEBOOTSRV_LOCALIP=\"10.1.2.3\"\n"
		"PXEBOOTSRV_TFTPSEVER=\"$PXEBOOTSRV_LOCALIP\" # same host\n"
		"PXEBOOTSRV_HTTPSERVER=\"http://${PXEBOOTSRV_LOCALIP}:8080/x/sysrcd.dat\"\n";

	check(config_is_srcd(text));
	check(!config_is_srcd(base));
	config_init(&c);
	check_int(config_parse_srcd(&c, "s", text, "/r"), 0);
	check_int(c.mode, DHCP_PROXY);
	check_str(c.address, "10.1.2.3");
	check(c.next_server == NULL);
	check_str(c.boot_dir, "/r/tftpboot");
	check_str(c.entries[0].url, "http://10.1.2.3:8080/x/sysrcd.dat");
	check_str(c.entries[0].checksum, "/r/tftpboot/sysrcd.md5");
	config_free(&c);

	log_set_level(0);
	config_init(&c);
	check_int(config_parse_srcd(&c, "s",
				    "PXEBOOTSRV_LOCALIP=1.2.3.4\nPXEBOOTSRV_BOGUS=1\n"
				    "PXEBOOTSRV_DODHCPD=maybe\n",
				    NULL),
		  -EINVAL);
	/* The unknown variable, "maybe", and no DHCPRANGE for the DHCP server. */
	check_int(c.errors, 3);
	config_free(&c);
}

static void test_header_hash(void)
{
	struct render r = { 0 };
	struct pbs_config c;
	char edited[4096];

	config_init(&c);
	c.address = "10.0.0.1";
	r.c = &c;
	check_int(gen_add(&r, "x", strdup("#!ipxe\necho hi\n"), 15), 0);
	check(startswith(r.files[0].text, "#!ipxe\n" GEN_HEADER));
	check_int(gen_verify(r.files[0].text), 1);
	snprintf(edited, sizeof(edited), "%s#\n", r.files[0].text);
	check_int(gen_verify(edited), 0);
	check_int(gen_verify("plain\n"), -ENODATA);
	free(r.files[0].path);
	free(r.files[0].text);
	free(r.files);
}

int main(void)
{
	static const struct tap_case cases[] = {
		TAP_CASE(test_entries_and_hosts),
		TAP_CASE(test_errors_counted),
		TAP_CASE(test_subnet),
		TAP_CASE(test_srcd),
		TAP_CASE(test_header_hash),
	};

	log_init("test-pxebootsrv-config");
	return tap_run(cases, ARRAY_SIZE(cases));
}
