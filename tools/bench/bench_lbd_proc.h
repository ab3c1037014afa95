/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bench_lbd_proc.h - the real lbd as a background process for the
 * control-plane benchmarks (bench_lbd, bench_health): started on a
 * database with its log in a file, followed through that log, stopped
 * with its pins removed.  Each benchmark is a single file, so the helpers
 * are static inline.  They return 0 or a negative errno with xlb_errmsg()
 * set.
 */
#ifndef XLB_BENCH_LBD_PROC_H
#define XLB_BENCH_LBD_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "xlb_errmsg.h"
#include "xlb_loader.h"

struct bench_lbd {
	pid_t pid;
	char pin[96];
	char log[160];    /* lbd's stdout and stderr */
	char rundir[160]; /* lbd's sockets */
};

/* 1 when the log at path holds needle at or after offset from: the line
 * into line (if given), the offset after it into *next (if given). */
static inline int bench_log_find(const char *path, long from,
				 const char *needle, char *line, size_t len,
				 long *next)
{
	char buf[1024];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return 0;
	if (!fseek(f, from, SEEK_SET))
		while (!found && fgets(buf, sizeof(buf), f))
			found = strstr(buf, needle) != NULL;
	if (found && line)
		snprintf(line, len, "%s", buf);
	if (found && next)
		*next = ftell(f);
	fclose(f);
	return found;
}

/* Runs `lbd --db db --no-attach [-v]` and waits until it follows the
 * database; *stop set (a signal) gives up with -EINTR. */
static inline int bench_lbd_start(struct bench_lbd *p, const char *lbd_path,
				  const char *db, int verbose,
				  const volatile sig_atomic_t *stop)
{
	double end = bench_now_us() + 60e6;
	pid_t pid;

	if (mkdir(p->rundir, 0700) && errno != EEXIST)
		return xlb_errmsg_set(-errno, "%s: %s", p->rundir,
				      strerror(errno));
	pid = fork();
	if (pid < 0)
		return xlb_errmsg_set(-errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		/* Should the benchmark die, lbd goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(lbd_path, "lbd", "--db", db, "--pin-dir", p->pin,
		      "--rundir", p->rundir, "--no-attach",
		      verbose ? "-v" : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	p->pid = pid;
	while (!bench_log_find(p->log, 0, "following", NULL, 0, NULL)) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			p->pid = 0;
			return xlb_errmsg_set(-EIO, "lbd exited (%s)", p->log);
		}
		if (*stop) /* bench_lbd_stop() ends it */
			return xlb_errmsg_set(-EINTR, "interrupted");
		if (bench_now_us() > end)
			return xlb_errmsg_set(-ETIMEDOUT, "lbd did not start"
					      " in 60 s (%s)", p->log);
		usleep(5000);
	}
	return 0;
}

/* SIGTERM, then SIGKILL after 10 s; the pins removed. */
static inline int bench_lbd_stop(struct bench_lbd *p)
{
	int err = 0;

	if (p->pid > 0) {
		double end = bench_now_us() + 10e6;

		kill(p->pid, SIGTERM);
		while (waitpid(p->pid, NULL, WNOHANG) == 0) {
			if (bench_now_us() > end) {
				kill(p->pid, SIGKILL);
				waitpid(p->pid, NULL, 0);
				break;
			}
			usleep(2000);
		}
		p->pid = 0;
	}
	if (p->pin[0] && xlb_dp_unpin(p->pin))
		err = xlb_errmsg_set(-EIO, "removing the pins %s", p->pin);
	p->pin[0] = '\0';
	return err;
}

#endif /* XLB_BENCH_LBD_PROC_H */
