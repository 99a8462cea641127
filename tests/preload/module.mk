# SPDX-License-Identifier: GPL-2.0-or-later
# tests/preload/: libraries the tests preload into the programs (LD_PRELOAD)
# to wrap libc calls, as kmod's testsuite does; built for the tests only and
# never installed. slowfs.so slows the calls that change a tree down
# (SLOWFS_DELAY_MS) for the crash tests. Built without the sanitizers: the
# sanitizer runtime must come first in a program's library list.
PRELOAD_LIBS := $(patsubst tests/preload/%.c,$(O)/tests/%.so,$(wildcard tests/preload/*.c))

$(O)/tests/%.so: tests/preload/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CPPFLAGS) -std=gnu11 $(WARNFLAGS) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

unit-tests: $(PRELOAD_LIBS)
