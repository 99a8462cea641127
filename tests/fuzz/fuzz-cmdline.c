// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the kernel command line parser as the initramfs runs it.
 * The input is the real command line, optionally after a NUL the baked-in
 * defaults: split, merged, applied, then written in the shell form /init
 * evaluates (checked to read back exactly) and the text form.
 */
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
	char *line = fuzz_part(data, size, 0), *dline = fuzz_part(data, size, 1);
	struct px_params cl = { 0 }, dl = { 0 }, eff = { 0 };
	struct px_config c;
	char *err = NULL;
	int r;

	px_config_init(&c);
	r = px_split(line, &cl);
	if (r == 0 && dline)
		r = px_split(dline, &dl);
	if (r == 0)
		r = px_merge(&dl, &cl, &eff);
	if (r == 0) {
		r = px_config_apply(&c, &eff, &err);
		/* A refusal says why, in one line. */
		if (r == -EINVAL && !err)
			abort();
		check_one_line(err);
	}
	if (r == 0)
		check_shell_output(&c);
	free(err);
	px_config_done(&c);
	px_params_done(&cl);
	px_params_done(&dl);
	px_params_done(&eff);
	free(line);
	free(dline);
	return 0;
}
