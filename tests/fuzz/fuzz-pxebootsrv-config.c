// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: pxebootsrv's configuration parser (lib/ini and the keys of
 * pxebootsrv.conf) and the reader of SystemRescueCd's PXEBOOTSRV_* shell
 * variables. The first byte picks the reader, the rest is the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
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
	struct pbs_config c;
	char *text;

	if (size < 1)
		return 0;
	text = strndup((const char *)data + 1, size - 1);
	if (!text)
		abort();
	config_init(&c);
	if (data[0] & 1)
		(void)config_parse_srcd(&c, "fuzz", text, "/nonexistent");
	else
		(void)config_parse(&c, "fuzz.conf", text);
	(void)config_is_srcd(text);
	for (size_t i = 0; i < c.n_entries; i++)
		if (config_entry(&c, c.entries[i].name) == NULL)
			abort();
	config_free(&c);
	free(text);
	return 0;
}
