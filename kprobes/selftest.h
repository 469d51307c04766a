/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The load-time check of the context-switch probe.
 *
 * While the module loads, the loading task (insmod) sleeps a few dozen
 * times; the sched_switch probe counts the switches out of it, and the
 * kernel's own per-task counts (nvcsw + nivcsw, what /proc/<pid>/status
 * shows) say how many there were.  Both are read together with preemption
 * off, so they must agree exactly; a probe that misses switches or reads
 * the wrong task fails the check, which is logged as a warning and
 * reported on every report's check line.
 */
#ifndef KRELAY_TRACE_SELFTEST_H
#define KRELAY_TRACE_SELFTEST_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/sched.h>
#include <linux/types.h>

enum kt_check_status {
	KT_CHECK_OFF,		/* no switch probe registered */
	KT_CHECK_OK,		/* counted == expected */
	KT_CHECK_FAILED,	/* they differ */
};

struct kt_check {
	enum kt_check_status status;
	u64 expected;		/* switches of the loading task (kernel's count) */
	u64 counted;		/* those the probe saw */
};

extern struct task_struct *kt_selftest_task;
extern atomic64_t kt_selftest_switches;

/* Module init, after the probes are registered (sleeps). */
void kt_selftest_run(bool sched_probe);
void kt_selftest_get(struct kt_check *c);
const char *kt_check_status_name(enum kt_check_status s);

/* From the sched_switch probe: count @prev if it is the task under test. */
static inline void kt_selftest_switch(const struct task_struct *prev)
{
	if (unlikely(prev == READ_ONCE(kt_selftest_task)))
		atomic64_inc(&kt_selftest_switches);
}

#endif /* KRELAY_TRACE_SELFTEST_H */
