// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the initramfs's NBD client handshake reading a server's
 * greeting and option replies (old style, newstyle with NBD_OPT_GO and its
 * NBD_INFO replies, errors with messages, NBD_OPT_EXPORT_NAME), given on a
 * socket pair whose other end then closes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "nbd-client.h"

/* What one socket pair's buffer surely holds without blocking the writer. */
#define FUZZ_MAX_INPUT 65536

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const exports[] = { "", "root", "root@0123456789abcdef" };
	struct export_info info;
	char why[300];
	int sv[2], r;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	shutdown(sv[1], SHUT_WR);
	r = nbd_client_handshake(sv[0], exports[data[0] % 3], &info, why, sizeof(why));
	if (strnlen(why, sizeof(why)) == sizeof(why))
		abort();
	if (r == 0 && (strnlen(info.name, sizeof(info.name)) == sizeof(info.name) ||
		       strnlen(info.description, sizeof(info.description)) ==
			       sizeof(info.description)))
		abort();
	close(sv[0]);
	close(sv[1]);
	return 0;
}
