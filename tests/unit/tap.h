/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A small TAP producer for unit tests. Each case runs in a forked child, so a
 * crash or an exit in one case is reported as that case's failure and the
 * others still run. Checks print the failing expression to stderr and end the
 * child with status 1.
 *
 * tap_skip("why") in a case reports it as "ok N - name # SKIP why"; in a
 * before_all hook it skips the whole binary ("1..0 # SKIP why"). tests/run
 * counts both as skipped (failed under PXEROOT_STRICT=1). Hooks (struct
 * tap_hooks, tap_run_with): before_all and after_all run once in the parent,
 * before_each in each case's child before the case.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct tap_case {
	const char *name;
	void (*fn)(void);
};

#define TAP_CASE(fn)    \
	{               \
#fn, fn \
	}

#define check(expr)                                                                      \
	do {                                                                             \
		if (!(expr)) {                                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#expr);                                                  \
			exit(1);                                                         \
		}                                                                        \
	} while (0)

#define check_int(a, b)                                                              \
	do {                                                                         \
		long long _a = (long long)(a), _b = (long long)(b);                  \
		if (_a != _b) {                                                      \
			fprintf(stderr, "%s:%d: %s == %s: %lld != %lld\n", __FILE__, \
				__LINE__, #a, #b, _a, _b);                           \
			exit(1);                                                     \
		}                                                                    \
	} while (0)

#define check_str(a, b)                                                                  \
	do {                                                                             \
		const char *_a = (a), *_b = (b);                                         \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                 \
			fprintf(stderr, "%s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, \
				__LINE__, #a, #b, _a ? _a : "(null)",                    \
				_b ? _b : "(null)");                                     \
			exit(1);                                                         \
		}                                                                        \
	} while (0)

struct tap_hooks {
	void (*before_all)(void);
	void (*before_each)(void);
	void (*after_all)(void);
};

#define TAP_SKIP_STATUS 77

/* Where a skipping child leaves its reason for the parent (shared memory). */
static char *tap_reason_;
static int tap_in_case_;
static const char *tap_skip_all_;

/* Skip the running case, or, in before_all, every case. Does not return in a case. */
__attribute__((format(printf, 1, 2), unused)) static void tap_skip(const char *fmt, ...)
{
	static char all[256];
	va_list ap;

	va_start(ap, fmt);
	if (tap_in_case_) {
		if (tap_reason_)
			vsnprintf(tap_reason_, 256, fmt, ap);
		va_end(ap);
		fflush(NULL);
		_exit(TAP_SKIP_STATUS);
	}
	vsnprintf(all, sizeof(all), fmt, ap);
	va_end(ap);
	tap_skip_all_ = all;
}

static inline int tap_run_with(const struct tap_case *cases, size_t n,
			       const struct tap_hooks *hooks)
{
	int failed = 0;

	if (hooks && hooks->before_all)
		hooks->before_all();
	if (tap_skip_all_) {
		printf("1..0 # SKIP %s\n", tap_skip_all_);
		return 0;
	}
	tap_reason_ = mmap(NULL, 256, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			   -1, 0);
	if (tap_reason_ == MAP_FAILED)
		tap_reason_ = NULL;
	printf("1..%zu\n", n);
	fflush(stdout);
	for (size_t i = 0; i < n; i++) {
		int status = 0;
		pid_t pid;

		if (tap_reason_)
			tap_reason_[0] = '\0';
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			tap_in_case_ = 1;
			if (hooks && hooks->before_each)
				hooks->before_each();
			cases[i].fn();
			fflush(NULL);
			_exit(0);
		}
		while (waitpid(pid, &status, 0) < 0)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %zu - %s\n", i + 1, cases[i].name);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == TAP_SKIP_STATUS) {
			printf("ok %zu - %s # SKIP %s\n", i + 1, cases[i].name,
			       tap_reason_ && tap_reason_[0] ? tap_reason_
							     : "no reason given");
		} else {
			failed++;
			if (WIFSIGNALED(status))
				printf("not ok %zu - %s # killed by signal %d\n", i + 1,
				       cases[i].name, WTERMSIG(status));
			else
				printf("not ok %zu - %s\n", i + 1, cases[i].name);
		}
		fflush(stdout);
	}
	if (hooks && hooks->after_all)
		hooks->after_all();
	return failed ? 1 : 0;
}

static inline int tap_run(const struct tap_case *cases, size_t n)
{
	return tap_run_with(cases, n, NULL);
}

#define TAP_MAIN(...)                                                    \
	int main(void)                                                   \
	{                                                                \
		static const struct tap_case cases[] = { __VA_ARGS__ };  \
		return tap_run(cases, sizeof(cases) / sizeof(cases[0])); \
	}
