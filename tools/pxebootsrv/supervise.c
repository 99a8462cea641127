// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "supervise.h"
#include "util.h"

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int child_start(struct child *ch)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return log_errno(-errno, "cannot start %s", ch->name);
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return log_errno(r, "cannot start %s", ch->name);
	}
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDONLY);

		/* Stop with the supervisor, even when it is killed outright. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null >= 0)
			dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execvp(ch->argv[0], ch->argv);
		fprintf(stderr, "cannot run %s: %s\n", ch->argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	if (ch->out >= 0)
		close(ch->out);
	ch->out = p[0];
	fcntl(ch->out, F_SETFL, O_NONBLOCK);
	ch->len = 0;
	ch->pid = pid;
	ch->restart_at = 0;
	ch->started_at = now_ms();
	log_info("started %s (pid %d)", ch->name, (int)pid);
	return 0;
}

static void emit(const struct child *ch, const char *line, size_t n)
{
	char prefix[64];
	int p = snprintf(prefix, sizeof(prefix), "%s: ", ch->name);

	if (n && line[n - 1] == '\r')
		n--;
	/* nbdexport names itself already. */
	if (n >= (size_t)p && memcmp(line, prefix, p) == 0) {
		line += p;
		n -= p;
	}
	write_full(2, prefix, p);
	write_full(2, line, n);
	write_full(2, "\n", 1);
}

void child_read(struct child *ch)
{
	for (;;) {
		ssize_t n = read(ch->out, ch->buf + ch->len, sizeof(ch->buf) - ch->len);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; /* EAGAIN: all read for now */
		if (n == 0) {
			if (ch->len)
				emit(ch, ch->buf, ch->len);
			ch->len = 0;
			close(ch->out);
			ch->out = -1;
			return;
		}
		ch->len += n;
		while ((nl = memchr(ch->buf, '\n', ch->len))) {
			size_t l = nl - ch->buf;

			emit(ch, ch->buf, l);
			memmove(ch->buf, nl + 1, ch->len - l - 1);
			ch->len -= l + 1;
		}
		/* A line longer than the buffer is cut, not lost. */
		if (ch->len == sizeof(ch->buf)) {
			emit(ch, ch->buf, ch->len);
			ch->len = 0;
		}
	}
}

void child_stop(struct child *ch, unsigned int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	int status;

	ch->restart_at = 0;
	if (ch->pid <= 0)
		return;
	kill(ch->pid, SIGTERM);
	while (waitpid(ch->pid, &status, WNOHANG) == 0) {
		if (now_ms() >= end) {
			log_warn("%s did not stop in %u ms: killing it", ch->name,
				 timeout_ms);
			kill(ch->pid, SIGKILL);
			waitpid(ch->pid, &status, 0);
			break;
		}
		if (ch->out >= 0)
			child_read(ch);
		usleep(20000);
	}
	if (ch->out >= 0)
		child_read(ch);
	ch->pid = 0;
}

void child_exited(struct child *ch, int status)
{
	if (ch->out >= 0)
		child_read(ch);
	ch->pid = 0;
	if (now_ms() - ch->started_at >= 60000)
		ch->backoff = 1;
	if (WIFSIGNALED(status))
		log_error("%s was killed by signal %d; restarting it in %u s", ch->name,
			  WTERMSIG(status), ch->backoff);
	else
		log_error("%s exited with status %d; restarting it in %u s", ch->name,
			  WEXITSTATUS(status), ch->backoff);
	ch->restart_at = now_ms() + ch->backoff * 1000ull;
	ch->backoff = MIN(ch->backoff * 2, 60u);
}
