// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * slowfs.so: preloaded (LD_PRELOAD) into mkbootready or bootchroot by the
 * crash tests, never built into a program. Each call that changes a directory
 * (rename, unlink, mkdir, symlink, link) sleeps SLOWFS_DELAY_MS milliseconds
 * after it succeeds, so a run takes long enough for a test to kill it between
 * (and, by timing, during) its changes. Without SLOWFS_DELAY_MS the calls are
 * passed through untouched.
 *
 * LD_PRELOAD is taken out of the environment at load time: the commands a
 * program runs (in a client tree, where the library does not exist) start
 * without it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long delay_ms;

__attribute__((constructor)) static void slowfs_init(void)
{
	const char *s = getenv("SLOWFS_DELAY_MS");

	delay_ms = s ? strtol(s, NULL, 10) : 0;
	if (delay_ms < 0)
		delay_ms = 0;
	unsetenv("LD_PRELOAD");
}

/* Sleep after a call that succeeded; errno stays what the call left. */
static int after(int r)
{
	int saved = errno;
	struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };

	if (r == 0 && delay_ms)
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	errno = saved;
	return r;
}

/* The libc function that name would have called. */
static void *next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f) {
		fprintf(stderr, "slowfs: no %s in libc\n", name);
		abort();
	}
	return f;
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	int (*f)(int, const char *, int, const char *) = next("renameat");

	return after(f(olddirfd, oldpath, newdirfd, newpath));
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	      unsigned int flags)
{
	int (*f)(int, const char *, int, const char *, unsigned int) = next("renameat2");

	return after(f(olddirfd, oldpath, newdirfd, newpath, flags));
}

int unlinkat(int dirfd, const char *path, int flags)
{
	int (*f)(int, const char *, int) = next("unlinkat");

	return after(f(dirfd, path, flags));
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
	int (*f)(int, const char *, mode_t) = next("mkdirat");

	return after(f(dirfd, path, mode));
}

int symlinkat(const char *target, int dirfd, const char *path)
{
	int (*f)(const char *, int, const char *) = next("symlinkat");

	return after(f(target, dirfd, path));
}

int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	   int flags)
{
	int (*f)(int, const char *, int, const char *, int) = next("linkat");

	return after(f(olddirfd, oldpath, newdirfd, newpath, flags));
}
