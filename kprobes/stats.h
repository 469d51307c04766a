/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU counters of krelay_trace.
 *
 * Probe handlers only ever touch the counters of the CPU they run on, with
 * preemption disabled.  The kprobe core never nests one kprobe handler
 * inside another on the same CPU (a kprobe hit while a handler runs, e.g.
 * a softirq send interrupting a task's send handler, is counted in that
 * probe's nmissed instead).  The tracepoint probes can interrupt a kprobe
 * handler (sched_wakeup from a hard interrupt), but they touch only
 * scalar counters and the switches table, which no kprobe handler touches;
 * the sched_switch probe runs with interrupts off.  So each per-task table
 * has one writer at a time per CPU and needs neither locks nor atomics;
 * scalar counters use this_cpu_*(), which are interrupt-safe single
 * instructions on x86.  Readers sum all CPUs at report time with
 * READ_ONCE(); counters are cumulative since load and never reset, so a
 * report never races with a reset.
 */
#ifndef KRELAY_TRACE_STATS_H
#define KRELAY_TRACE_STATS_H

#include <linux/bitops.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/types.h>

/* log2 latency buckets: bucket 0 holds 0..1 ns, bucket b >= 1 holds
 * [2^b, 2^(b+1) - 1] ns.
 */
#define KT_HIST_BUCKETS		64

/* Per-CPU, per-kind table of tasks (by tgid): open addressing, linear
 * probing over at most KT_TOP_PROBES slots; a task that finds no slot is
 * counted in "other".
 */
#define KT_TOP_BITS		6
#define KT_TOP_SLOTS		BIT(KT_TOP_BITS)
#define KT_TOP_PROBES		8
#define KT_TOP_MAX		64U	/* upper bound of top_n */

/* Who an event is credited to: a task, or no task at all because it ran in
 * interrupt context (serving a softirq; a hard interrupt or an NMI).
 */
enum kt_ctx {
	KT_CTX_TASK,
	KT_CTX_SOFTIRQ,
	KT_CTX_HARDIRQ,
	KT_CTX_NR
};

enum kt_top_kind {
	KT_TOP_SENDS,		/* TCP send calls and bytes */
	KT_TOP_SWITCHES,	/* context switches out of the task */
	KT_TOP_KINDS
};

struct kt_slot {
	u32 key;			/* tgid + 1; 0 marks a free slot */
	char comm[TASK_COMM_LEN];	/* name of the latest thread seen */
	u64 count;
	u64 bytes;
};

struct kt_top {
	struct kt_slot slot[KT_TOP_SLOTS];
	u64 other_count;
	u64 other_bytes;
	/* rows of the interrupt contexts ([KT_CTX_TASK] unused): never in a
	 * slot, so never lost to "other"
	 */
	u64 ctx_count[KT_CTX_NR];
	u64 ctx_bytes[KT_CTX_NR];
};

struct kt_cpu {
	u64 sendmsg_calls;
	u64 sendmsg_bytes;
	u64 sendpage_calls;
	u64 sendpage_bytes;
	u64 locked_sendmsg_calls;	/* tcp_sendmsg_locked */
	u64 locked_sendmsg_bytes;
	u64 locked_sendpage_calls;	/* do_tcp_sendpages */
	u64 locked_sendpage_bytes;
	u64 switches;			/* sched_switch, prev counted */
	u64 wakeups;			/* sched_wakeup: made runnable */
	u64 lat_samples;
	u64 lat_sum_ns;
	u64 lat_hist[KT_HIST_BUCKETS];
	struct kt_top top[KT_TOP_KINDS];
};

extern struct kt_cpu __percpu *kt_pcpu;

int kt_stats_init(void);
void kt_stats_exit(void);

/* Probe context only (preemption disabled). */
void kt_top_add(enum kt_top_kind kind, const struct task_struct *t, u64 bytes);
void kt_top_add_ctx(enum kt_top_kind kind, enum kt_ctx ctx, u64 bytes);

/* The context the current CPU runs in.  in_task() rather than
 * in_interrupt(): a task that merely disabled bottom halves still sends
 * on its own behalf.
 */
static inline enum kt_ctx kt_ctx_now(void)
{
	if (in_task())
		return KT_CTX_TASK;
	return in_serving_softirq() && !in_hardirq() && !in_nmi() ?
	       KT_CTX_SOFTIRQ : KT_CTX_HARDIRQ;
}

static inline unsigned int kt_hist_bucket(u64 ns)
{
	return ns < 2 ? 0 : fls64(ns) - 1;
}

static inline void kt_lat_add(u64 ns)
{
	this_cpu_inc(kt_pcpu->lat_samples);
	this_cpu_add(kt_pcpu->lat_sum_ns, ns);
	this_cpu_inc(kt_pcpu->lat_hist[kt_hist_bucket(ns)]);
}

#endif /* KRELAY_TRACE_STATS_H */
