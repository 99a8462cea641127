// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: what the DHCP server sends that the client parses in C.
 * udhcpc's lease script only records the lease, quoted, for /init; the one
 * value a C parser reads is the root-path (option 17), applied as root=dhcp
 * does by `pxeroot-helper cmdline --root-path`. The input is the root-path,
 * optionally followed by a NUL and the kernel command line it meets (by
 * default "root=dhcp").
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-cmdline-common.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *root_path = fuzz_part(data, size, 0), *line = fuzz_part(data, size, 1);
	struct px_params cl = { 0 };
	struct px_config c;
	char *err = NULL;
	int r;

	px_config_init(&c);
	r = px_split(line ? line : "root=dhcp", &cl);
	if (r == 0)
		r = px_config_apply(&c, &cl, &err);
	if (r == 0) {
		r = px_config_root_path(&c, root_path, &err);
		if (r == -EINVAL && !err)
			abort();
		check_one_line(err);
	}
	if (r == 0)
		check_shell_output(&c);
	free(err);
	px_config_done(&c);
	px_params_done(&cl);
	free(root_path);
	free(line);
	return 0;
}
