/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A small TAP producer for unit tests. Each case runs in a forked child, so a
 * crash or an exit in one case is reported as that case's failure and the
 * others still run. Checks print the failing expression to stderr and end the
 * child with status 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static inline int tap_run(const struct tap_case *cases, size_t n)
{
	int failed = 0;

	printf("1..%zu\n", n);
	fflush(stdout);
	for (size_t i = 0; i < n; i++) {
		int status = 0;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			cases[i].fn();
			fflush(NULL);
			_exit(0);
		}
		while (waitpid(pid, &status, 0) < 0)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %zu - %s\n", i + 1, cases[i].name);
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
	return failed ? 1 : 0;
}

#define TAP_MAIN(...)                                                    \
	int main(void)                                                   \
	{                                                                \
		static const struct tap_case cases[] = { __VA_ARGS__ };  \
		return tap_run(cases, sizeof(cases) / sizeof(cases[0])); \
	}
