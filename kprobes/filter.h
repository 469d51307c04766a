/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which tasks krelay_trace counts: module parameters pid, tgid and comm,
 * checked in probe context (no locks, no allocation).
 */
#ifndef KRELAY_TRACE_FILTER_H
#define KRELAY_TRACE_FILTER_H

#include <linux/sched.h>
#include <linux/string.h>
#include <linux/types.h>

struct kt_filter {
	pid_t pid;			/* 0: any thread */
	pid_t tgid;			/* 0: any process */
	char comm[TASK_COMM_LEN];	/* "": any name */
	bool active;			/* at least one of the above is set */
};

extern struct kt_filter kt_filter;

int kt_filter_init(int pid, int tgid, const char *comm);

/* True if @t is counted.  Reads @t's fields without locks: @t may be a task
 * other than current (the task switched out, the task being woken), but it
 * is pinned by the scheduler for the duration of the probed call.
 */
static inline bool kt_filter_match(const struct task_struct *t)
{
	if (!kt_filter.active)
		return true;
	if (kt_filter.pid && t->pid != kt_filter.pid)
		return false;
	if (kt_filter.tgid && t->tgid != kt_filter.tgid)
		return false;
	if (kt_filter.comm[0] &&
	    strncmp(t->comm, kt_filter.comm, TASK_COMM_LEN) != 0)
		return false;
	return true;
}

#endif /* KRELAY_TRACE_FILTER_H */
