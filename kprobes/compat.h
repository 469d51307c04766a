/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krelay_trace: every difference between the supported kernels lives here.
 *
 * kprobes/Kbuild greps the target kernel's headers and defines KT_HAVE_*
 * for each feature; this header (force-included into every object) maps
 * the feature flags onto one API.  Logic files never test kernel versions.
 */
#ifndef KRELAY_TRACE_COMPAT_H
#define KRELAY_TRACE_COMPAT_H

#include <linux/types.h>

struct task_struct;

/*
 * The sched_switch tracepoint's probe parameters (preempt, prev, next and
 * more), after the probe's private data pointer.  5.18 added prev's state
 * (as read by __schedule()) at the end; the tracepoint's callers pass
 * arguments by position, so the probe must match the kernel's TP_PROTO
 * exactly.
 */
#ifdef KT_HAVE_SCHED_SWITCH_PREV_STATE
#define KT_SCHED_SWITCH_ARGS						\
	bool preempt, struct task_struct *prev, struct task_struct *next,	\
	unsigned int prev_state
#else
#define KT_SCHED_SWITCH_ARGS						\
	bool preempt, struct task_struct *prev, struct task_struct *next
#endif

#endif /* KRELAY_TRACE_COMPAT_H */
