// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fdlimit.c - how many probes may be in flight.  Every probe but ICMP's
 * holds one descriptor, so the open-file limit bounds them: the soft
 * limit is raised to the hard one (raising the hard one needs
 * CAP_SYS_RESOURCE, which hcd does not ask for), and the cap stays below
 * it by what the process needs besides (database, sockets, epoll, the
 * TLS library's files).  Probes beyond the cap wait in a queue: none
 * fails for want of a descriptor.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "hcd.h"

#define RESERVE_MIN 64

static void log_ports(uint64_t cap)
{
	unsigned int lo = 0, hi = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	if (!f)
		return;
	if (fscanf(f, "%u %u", &lo, &hi) == 2 && hi >= lo &&
	    cap > (uint64_t)(hi - lo + 1))
		/* Ports are per destination: only probes to one address
		 * compete for them. */
		xlb_log(XLB_LOG_INFO, "in-flight cap %llu is above the %u "
			"ephemeral ports; probes to one address share them",
			(unsigned long long)cap, hi - lo + 1);
	fclose(f);
}

uint64_t hcd_fd_cap(uint64_t want, unsigned int threads)
{
	struct rlimit rl;
	uint64_t limit, reserve, cap;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		xlb_log(XLB_LOG_WARN, "getrlimit: %s", strerror(errno));
		rl.rlim_cur = rl.rlim_max = 1024;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = { rl.rlim_max, rl.rlim_max };

		if (!setrlimit(RLIMIT_NOFILE, &up))
			rl.rlim_cur = rl.rlim_max;
		else
			xlb_log(XLB_LOG_WARN, "open-file limit stays %llu: %s",
				(unsigned long long)rl.rlim_cur,
				strerror(errno));
	}
	limit = rl.rlim_cur == RLIM_INFINITY ? 1048576 : rl.rlim_cur;
	reserve = RESERVE_MIN + 16ULL * threads + limit / 64;
	cap = limit > reserve * 2 ? limit - reserve : limit / 2;
	if (want && want <= cap) {
		cap = want;
		xlb_log(XLB_LOG_INFO, "in-flight cap %llu (asked; open-file "
			"limit %llu)", (unsigned long long)cap,
			(unsigned long long)limit);
	} else {
		if (want)
			xlb_log(XLB_LOG_WARN, "--max-inflight %llu is above what "
				"the open-file limit %llu allows",
				(unsigned long long)want,
				(unsigned long long)limit);
		xlb_log(XLB_LOG_INFO, "in-flight cap %llu (open-file limit %llu, "
			"%llu kept for the rest); further probes queue",
			(unsigned long long)cap, (unsigned long long)limit,
			(unsigned long long)(limit - cap));
	}
	log_ports(cap);
	return cap ? cap : 1;
}
