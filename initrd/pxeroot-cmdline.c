// SPDX-License-Identifier: GPL-2.0-or-later
#include "cmdline-main.h"
#include "log.h"

int main(int argc, char **argv)
{
	log_init(argv[0]);
	return cmdline_main(argc, argv);
}
