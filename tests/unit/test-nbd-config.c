// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "config.h"
#include "listen.h"
#include "log.h"
#include "tap.h"

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	s->sin_family = AF_INET;
	check(inet_pton(AF_INET, a, &s->sin_addr) == 1);
	return ss;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	s->sin6_family = AF_INET6;
	check(inet_pton(AF_INET6, a, &s->sin6_addr) == 1);
	return ss;
}

#define SA(x) ((struct sockaddr *)&(x))

static void test_cidr(void)
{
	struct cidr c;

	check_int(cidr_parse("10.1.2.3/8", &c), 0);
	check_int(c.family, AF_INET);
	check_int(c.prefix, 8);
	check_int(c.addr[0], 10);
	check_int(c.addr[1], 0); /* host bits cleared */
	check_int(cidr_parse("fd00::1/64", &c), 0);
	check_int(c.family, AF_INET6);
	check_int(c.prefix, 64);
	check_int(cidr_parse("::1", &c), 0);
	check_int(c.prefix, 128);
	check_int(cidr_parse("10.0.0.0/33", &c), -EINVAL);
	check_int(cidr_parse("::/129", &c), -EINVAL);
	check_int(cidr_parse("10.0.0.0/", &c), -EINVAL);
	check_int(cidr_parse("10.0.0.0/-1", &c), -EINVAL);
	check_int(cidr_parse("example.com", &c), -EINVAL);
	check_int(cidr_parse("", &c), -EINVAL);
}

static void test_acl(void)
{
	struct acl a = { 0 };
	struct sockaddr_storage s;
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	s = v4("192.0.2.1");
	check(acl_allows(&a, SA(s))); /* empty: everyone */
	check_int(acl_add_list(&a, "10.0.0.0/8, 192.168.1.0/25 fd00::/8"), 0);
	check_int(a.n, 3);
	s = v4("10.255.0.1");
	check(acl_allows(&a, SA(s)));
	s = v4("11.0.0.1");
	check(!acl_allows(&a, SA(s)));
	s = v4("192.168.1.127");
	check(acl_allows(&a, SA(s)));
	s = v4("192.168.1.128");
	check(!acl_allows(&a, SA(s)));
	s = v6("fd12::5");
	check(acl_allows(&a, SA(s)));
	s = v6("fe80::1");
	check(!acl_allows(&a, SA(s)));
	/* IPv4 clients of a dual-stack socket. */
	s = v6("::ffff:10.1.1.1");
	check(acl_allows(&a, SA(s)));
	s = v6("::ffff:11.1.1.1");
	check(!acl_allows(&a, SA(s)));
	check(acl_allows(&a, (struct sockaddr *)&un));
	check_int(acl_add_list(&a, "10.0.0.0/8 bogus"), -EINVAL);
	acl_free(&a);
	check_int(acl_add(&a, "0.0.0.0/0"), 0);
	s = v4("203.0.113.9");
	check(acl_allows(&a, SA(s)));
	s = v6("2001:db8::1");
	check(!acl_allows(&a, SA(s)));
	acl_free(&a);
}

static void test_parse_good(void)
{
	struct config c;
	const char *text = "# comment\n"
			   "[global]\n"
			   "listen = 127.0.0.1:10900, [::1]:10900\n"
			   "allow = 10.0.0.0/8\n"
			   "max-clients = 12\n"
			   "  handshake-timeout=3  \n"
			   "tls = require\n"
			   "tls-psk = /etc/keys\n"
			   "cow-dir = /var/cow\n"
			   "default = second\n"
			   "\n"
			   "; another comment\n"
			   "[first]\n"
			   "path = /srv/a.sqfs\n"
			   "description = the first one\n"
			   "[second]\n"
			   "path = /srv/b.sqfs\n"
			   "name = b\n"
			   "allow = 10.1.0.0/16\n"
			   "cow = keep\n";

	config_init(&c);
	check_int(config_parse(&c, "t.conf", text), 0);
	check_int(c.n_listen, 2);
	check_str(c.listen[1], "[::1]:10900");
	check_int(c.allow.n, 1);
	check_int(c.max_clients, 12);
	check_int(c.handshake_timeout, 3);
	check_int(c.tls, TLS_REQUIRE);
	check_int(c.tls_verify_peer, -1); /* unset: verify when there is a CA */
	check_str(c.cow_dir, "/var/cow");
	check_int(c.n_exports, 2);
	check_str(c.exports[0].name, "first");
	check_str(c.exports[0].description, "the first one");
	check(c.exports[0].readonly);
	check_int(c.exports[0].cow, COW_OFF);
	check_str(c.exports[1].name, "b");
	check_int(c.exports[1].cow, COW_KEEP);
	check_int(c.exports[1].allow.n, 1);
	/* default names an export by its name, not its section */
	check_int(config_check(&c), -EINVAL);
	free(c.default_export);
	c.default_export = strdup("b");
	check_int(config_check(&c), 0);
	config_free(&c);
}

static void test_tls_verify_peer(void)
{
	struct config c;

	config_init(&c);
	check_int(config_parse(&c, "t.conf", "[global]\ntls-verify-peer = no\n"), 0);
	check_int(c.tls_verify_peer, 0);
	config_free(&c);
	config_init(&c);
	check_int(config_parse(&c, "t.conf", "[global]\ntls-verify-peer = yes\n"), 0);
	check_int(c.tls_verify_peer, 1);
	config_free(&c);
}

static void expect_bad(const char *text)
{
	struct config c;

	config_init(&c);
	if (config_parse(&c, "bad.conf", text) == 0) {
		fprintf(stderr, "accepted: %s\n", text);
		exit(1);
	}
	config_free(&c);
}

static void test_parse_bad(void)
{
	log_set_level(0); /* the errors are expected */
	expect_bad("[global\n");
	expect_bad("[]\n");
	expect_bad("path = /x\n");
	expect_bad("[global]\nport = 70000\n");
	expect_bad("[global]\nbogus = 1\n");
	expect_bad("[global]\nmax-clients = 0\n");
	expect_bad("[global]\ntls = sometimes\n");
	expect_bad("[global]\ntls-verify-peer = perhaps\n");
	expect_bad("[global]\nallow = 10.0.0.0/40\n");
	expect_bad("[x]\nreadonly = maybe\n");
	expect_bad("[x]\npath = /a\ncow = perhaps\n");
	expect_bad("[x]\n"); /* no path */
	expect_bad("[x]\npath = /a\n[x]\npath = /b\n");
	expect_bad("[x]\npath = /a\njust words\n");
	expect_bad("[x]\npth = /a\n");
}

static void test_check(void)
{
	struct config c;

	log_set_level(0);
	config_init(&c);
	check_int(config_check(&c), -EINVAL); /* nothing to serve */
	check_int(config_parse(&c, "t", "[a]\npath=/x\ncow=yes\n"), 0);
	check_int(config_check(&c), -EINVAL); /* cow without a directory */
	c.cow_dir = strdup("/tmp");
	check_int(config_check(&c), 0);
	c.exports[0].readonly = false;
	check_int(config_check(&c), -EINVAL); /* cow and read-write */
	config_free(&c);

	config_init(&c);
	check_int(config_add_image(&c, "/srv/a.sqfs"), 0);
	check_int(config_add_image(&c, "/srv/b.img=a.sqfs"), 0);
	check_int(config_check(&c), -EINVAL); /* two exports named a.sqfs */
	config_free(&c);
}

static void test_image_arg(void)
{
	struct config c;

	config_init(&c);
	check_int(config_add_image(&c, "dir/sysrcd.dat"), 0);
	check_str(c.exports[0].name, "sysrcd.dat");
	check_str(c.exports[0].path, "dir/sysrcd.dat");
	check_int(config_add_image(&c, "/srv/root.sqfs=debian"), 0);
	check_str(c.exports[1].name, "debian");
	check_str(c.exports[1].path, "/srv/root.sqfs");
	check_int(config_add_image(&c, "x="), -EINVAL);
	check_int(config_add_image(&c, "=name"), -EINVAL);
	config_free(&c);
}

static void test_host_port(void)
{
	char host[64];
	const char *port;

	check_int(split_host_port("127.0.0.1", host, sizeof(host), &port), 0);
	check_str(host, "127.0.0.1");
	check(port == NULL);
	check_int(split_host_port("127.0.0.1:10900", host, sizeof(host), &port), 0);
	check_str(port, "10900");
	check_int(split_host_port("[::1]:99", host, sizeof(host), &port), 0);
	check_str(host, "::1");
	check_str(port, "99");
	check_int(split_host_port("fd00::1", host, sizeof(host), &port), 0);
	check_str(host, "fd00::1");
	check(port == NULL);
	check_int(split_host_port("[::1", host, sizeof(host), &port), -EINVAL);
	check_int(split_host_port("host:", host, sizeof(host), &port), -EINVAL);
	check_int(split_host_port(":80", host, sizeof(host), &port), -EINVAL);
}

TAP_MAIN(TAP_CASE(test_cidr), TAP_CASE(test_acl), TAP_CASE(test_parse_good),
	 TAP_CASE(test_tls_verify_peer), TAP_CASE(test_parse_bad), TAP_CASE(test_check),
	 TAP_CASE(test_image_arg), TAP_CASE(test_host_port))
