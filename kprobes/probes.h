/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probes of krelay_trace: what they attach to and how they count
 * (kprobes on the TCP send functions, tracepoints for the scheduler).
 */
#ifndef KRELAY_TRACE_PROBES_H
#define KRELAY_TRACE_PROBES_H

#include <linux/types.h>

/* Symbol overrides from module parameters; NULL means "use the defaults",
 * an empty string disables the probe.
 */
struct kt_probe_params {
	const char *sendmsg;	/* tcp_sendmsg kprobe and kretprobe */
	const char *sendpage;	/* tcp_sendpage kprobe */
	const char *sendmsg_locked;	/* tcp_sendmsg_locked kprobe */
	const char *sendpage_locked;	/* do_tcp_sendpages kprobe */
	const char *sched;	/* context-switch tracepoint */
	const char *wakeup;	/* wake-up tracepoint */
	int maxactive;		/* concurrent tcp_sendmsg calls timed */
};

enum kt_probe_status {
	KT_PROBE_OK,		/* registered */
	KT_PROBE_SKIPPED,	/* no such symbol on this kernel */
	KT_PROBE_FAILED,	/* symbol exists, registration refused */
	KT_PROBE_DISABLED,	/* turned off by an empty symbol parameter */
};

struct kt_probe_info {
	const char *name;	/* stable name: sendmsg, sendmsg_lat, ... */
	const char *type;	/* "kprobe", "kretprobe" or "tracepoint" */
	const char *symbol;	/* registered symbol, else first one tried */
	const char *task;	/* whose task is counted: current, prev, woken */
	enum kt_probe_status status;
	int err;		/* 0 or the last registration error */
	unsigned long nmissed;	/* hits not counted (nesting, maxactive);
				 * always 0 for tracepoints
				 */
};

/* Returns the number of probes registered, or a negative errno. */
int kt_probes_register(const struct kt_probe_params *params);
void kt_probes_unregister(void);
unsigned int kt_probes_count(void);
void kt_probe_get_info(unsigned int i, struct kt_probe_info *info);
const char *kt_probe_status_name(enum kt_probe_status status);
void kt_probes_sends_source(char *buf, size_t len);
bool kt_probes_sched_ok(void);

#endif /* KRELAY_TRACE_PROBES_H */
