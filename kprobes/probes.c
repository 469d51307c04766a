// SPDX-License-Identifier: GPL-2.0
/*
 * Probe definitions, handlers and registration.
 *
 * Every probe has a list of candidate symbols tried in order; a symbol the
 * running kernel lacks is reported and skipped (tcp_sendpage is gone since
 * 6.5, finish_task_switch is often only finish_task_switch.isra.0).  Kernel
 * differences are handled here, at registration time, not with #ifdefs.
 *
 * TCP sends are counted at two levels: the socket call (tcp_sendmsg,
 * tcp_sendpage: what a process asks of its socket) and the locked core that
 * every send reaches once (tcp_sendmsg_locked, do_tcp_sendpages), where
 * in-kernel senders such as krelay show up too; they bypass the former.
 *
 * Context switches are counted for the task switched OUT, which is what
 * /proc/<pid>/status counts in voluntary_ctxt_switches and
 * nonvoluntary_ctxt_switches: __schedule() bumps prev->nvcsw or
 * prev->nivcsw exactly when prev != next, and every such switch ends in
 * one finish_task_switch(prev) call (from context_switch(), or from
 * schedule_tail() when next is a new task).  psi_task_switch(prev, next,
 * sleep) is called at the same point but only while PSI is enabled, so it
 * is the last fallback.  The handler reads prev from the first argument.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "filter.h"
#include "probes.h"
#include "stats.h"

/* Task whose context switches a sched probe counts: prev (first argument)
 * for the known switch points, current for any other symbol given by the
 * user (e.g. "schedule", which counts calls, not switches).
 */
static bool kt_sched_arg_prev __read_mostly;

/* Which level feeds the per-task sends table: the locked one when its
 * probe is registered (it sees every send once), else the socket call.
 * The locked probes register first, so a send is never counted twice.
 */
static bool kt_top_msg_locked __read_mostly;
static bool kt_top_page_locked __read_mostly;

static int kt_sendmsg_pre(struct kprobe *kp, struct pt_regs *regs)
{
	/* tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size) */
	u64 size = regs_get_kernel_argument(regs, 2);

	if (!kt_filter_match(current))
		return 0;
	this_cpu_inc(kt_pcpu->sendmsg_calls);
	this_cpu_add(kt_pcpu->sendmsg_bytes, size);
	if (!kt_top_msg_locked)
		kt_top_add(KT_TOP_SENDS, current, size);
	return 0;
}

static int kt_sendpage_pre(struct kprobe *kp, struct pt_regs *regs)
{
	/* tcp_sendpage(sk, page, int offset, size_t size, int flags) */
	u64 size = regs_get_kernel_argument(regs, 3);

	if (!kt_filter_match(current))
		return 0;
	this_cpu_inc(kt_pcpu->sendpage_calls);
	this_cpu_add(kt_pcpu->sendpage_bytes, size);
	if (!kt_top_page_locked)
		kt_top_add(KT_TOP_SENDS, current, size);
	return 0;
}

static int kt_sendmsg_locked_pre(struct kprobe *kp, struct pt_regs *regs)
{
	/* tcp_sendmsg_locked(struct sock *sk, struct msghdr *msg, size_t size) */
	u64 size = regs_get_kernel_argument(regs, 2);

	if (!kt_filter_match(current))
		return 0;
	this_cpu_inc(kt_pcpu->locked_sendmsg_calls);
	this_cpu_add(kt_pcpu->locked_sendmsg_bytes, size);
	if (kt_top_msg_locked)
		kt_top_add(KT_TOP_SENDS, current, size);
	return 0;
}

static int kt_sendpage_locked_pre(struct kprobe *kp, struct pt_regs *regs)
{
	/* do_tcp_sendpages(sk, page, int offset, size_t size, int flags) */
	u64 size = regs_get_kernel_argument(regs, 3);

	if (!kt_filter_match(current))
		return 0;
	this_cpu_inc(kt_pcpu->locked_sendpage_calls);
	this_cpu_add(kt_pcpu->locked_sendpage_bytes, size);
	if (kt_top_page_locked)
		kt_top_add(KT_TOP_SENDS, current, size);
	return 0;
}

static int kt_sched_pre(struct kprobe *kp, struct pt_regs *regs)
{
	const struct task_struct *prev = current;

	if (kt_sched_arg_prev)
		prev = (const struct task_struct *)regs_get_kernel_argument(regs, 0);
	if (!prev || !kt_filter_match(prev))
		return 0;
	this_cpu_inc(kt_pcpu->switches);
	kt_top_add(KT_TOP_SWITCHES, prev, 0);
	return 0;
}

static int kt_wakeup_pre(struct kprobe *kp, struct pt_regs *regs)
{
	/* try_to_wake_up(struct task_struct *p, unsigned int state, int flags) */
	const struct task_struct *p;

	p = (const struct task_struct *)regs_get_kernel_argument(regs, 0);
	if (!p || !kt_filter_match(p))
		return 0;
	this_cpu_inc(kt_pcpu->wakeups);
	return 0;
}

/* tcp_sendmsg latency: entry time in the instance data, delta on return.
 * A non-zero return from the entry handler drops the instance, so calls by
 * filtered-out tasks cost no return handler.  tcp_sendmsg may sleep and
 * return on another CPU: the clock must be global, and NMI-safe because
 * kprobe handlers may run in any context.
 */
static int kt_lat_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	u64 *start = (u64 *)ri->data;

	if (!kt_filter_match(current))
		return 1;
	*start = ktime_get_mono_fast_ns();
	return 0;
}

static int kt_lat_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	u64 start = *(u64 *)ri->data;
	u64 now = ktime_get_mono_fast_ns();

	kt_lat_add(now > start ? now - start : 0);
	return 0;
}

static const char *const kt_sendmsg_syms[] = { "tcp_sendmsg", NULL };
static const char *const kt_sendpage_syms[] = { "tcp_sendpage", NULL };
static const char *const kt_sendmsg_locked_syms[] = {
	"tcp_sendmsg_locked", NULL
};

static const char *const kt_sendpage_locked_syms[] = {
	"do_tcp_sendpages", NULL
};

static const char *const kt_sched_syms[] = {
	"finish_task_switch",
	"finish_task_switch.isra.0",
	"psi_task_switch",
	NULL
};

static const char *const kt_wakeup_syms[] = { "try_to_wake_up", NULL };

struct kt_probe {
	const char *name;
	const char *const *defaults;
	const char *task;
	kprobe_pre_handler_t pre;		/* kprobe ... */
	kretprobe_handler_t entry;		/* ... or kretprobe */
	kretprobe_handler_t ret;

	/* state */
	const char *override;
	const char *symbol;
	enum kt_probe_status status;
	int err;
	bool registered;
	struct kprobe kp;
	struct kretprobe rp;
};

enum {
	KT_P_SENDMSG,
	KT_P_SENDMSG_LAT,
	KT_P_SENDPAGE,
	KT_P_SCHED,
	KT_P_WAKEUP,
	KT_P_SENDMSG_LOCKED,
	KT_P_SENDPAGE_LOCKED,
	KT_P_NR
};

/* Registration order: the locked send probes before the socket-call ones
 * (see kt_top_msg_locked).
 */
static const unsigned int kt_probe_order[KT_P_NR] = {
	KT_P_SENDMSG_LOCKED, KT_P_SENDPAGE_LOCKED, KT_P_SENDMSG,
	KT_P_SENDMSG_LAT, KT_P_SENDPAGE, KT_P_SCHED, KT_P_WAKEUP,
};

static struct kt_probe kt_probes[KT_P_NR] = {
	[KT_P_SENDMSG] = {
		.name = "sendmsg", .defaults = kt_sendmsg_syms,
		.task = "current", .pre = kt_sendmsg_pre,
	},
	[KT_P_SENDMSG_LAT] = {
		.name = "sendmsg_lat", .defaults = kt_sendmsg_syms,
		.task = "current", .entry = kt_lat_entry, .ret = kt_lat_return,
	},
	[KT_P_SENDPAGE] = {
		.name = "sendpage", .defaults = kt_sendpage_syms,
		.task = "current", .pre = kt_sendpage_pre,
	},
	[KT_P_SCHED] = {
		.name = "sched", .defaults = kt_sched_syms,
		.task = "prev", .pre = kt_sched_pre,
	},
	[KT_P_WAKEUP] = {
		.name = "wakeup", .defaults = kt_wakeup_syms,
		.task = "woken", .pre = kt_wakeup_pre,
	},
	[KT_P_SENDMSG_LOCKED] = {
		.name = "sendmsg_locked", .defaults = kt_sendmsg_locked_syms,
		.task = "current", .pre = kt_sendmsg_locked_pre,
	},
	[KT_P_SENDPAGE_LOCKED] = {
		.name = "sendpage_locked", .defaults = kt_sendpage_locked_syms,
		.task = "current", .pre = kt_sendpage_locked_pre,
	},
};

static int kt_maxactive;

static bool kt_is_ret(const struct kt_probe *p)
{
	return p->ret;
}

/* Switch points whose first argument is the task switched out. */
static bool kt_sched_symbol_has_prev(const char *sym)
{
	static const char fts[] = "finish_task_switch";
	size_t n = sizeof(fts) - 1;

	if (!strncmp(sym, fts, n) && (sym[n] == '\0' || sym[n] == '.'))
		return true;
	return !strcmp(sym, "psi_task_switch");
}

static int kt_probe_try(struct kt_probe *p, const char *sym)
{
	if (kt_is_ret(p)) {
		memset(&p->rp, 0, sizeof(p->rp));
		p->rp.kp.symbol_name = sym;
		p->rp.entry_handler = p->entry;
		p->rp.handler = p->ret;
		p->rp.data_size = sizeof(u64);
		p->rp.maxactive = kt_maxactive;
		return register_kretprobe(&p->rp);
	}
	memset(&p->kp, 0, sizeof(p->kp));
	p->kp.symbol_name = sym;
	p->kp.pre_handler = p->pre;
	return register_kprobe(&p->kp);
}

static void kt_probe_register(struct kt_probe *p)
{
	const char *const *cand = p->defaults;
	const char *one[2] = { p->override, NULL };

	p->registered = false;
	p->err = 0;
	if (p->override) {
		if (!p->override[0]) {
			p->status = KT_PROBE_DISABLED;
			p->symbol = "-";
			pr_info("attach %s: disabled by an empty symbol parameter\n",
				p->name);
			return;
		}
		cand = one;
	}
	p->symbol = cand[0];

	for (; *cand; cand++) {
		if (p == &kt_probes[KT_P_SCHED])
			kt_sched_arg_prev = kt_sched_symbol_has_prev(*cand);
		p->err = kt_probe_try(p, *cand);
		if (!p->err) {
			p->symbol = *cand;
			p->status = KT_PROBE_OK;
			p->registered = true;
			if (p == &kt_probes[KT_P_SCHED] && !kt_sched_arg_prev)
				p->task = "current";
			if (p == &kt_probes[KT_P_SENDMSG_LOCKED])
				kt_top_msg_locked = true;
			if (p == &kt_probes[KT_P_SENDPAGE_LOCKED])
				kt_top_page_locked = true;
			pr_info("attach %s: %s on %s\n", p->name,
				kt_is_ret(p) ? "kretprobe" : "kprobe", *cand);
			return;
		}
		if (p->err != -ENOENT)
			pr_info("attach %s: %s: error %d\n", p->name, *cand, p->err);
	}
	/* Report the first candidate when they all failed. */
	if (p->err == -ENOENT) {
		p->status = KT_PROBE_SKIPPED;
		pr_info("attach %s: no symbol %s%s on this kernel, skipped\n",
			p->name, p->symbol,
			!p->override && p->defaults[1] ? " (nor its fallbacks)" : "");
	} else {
		p->status = KT_PROBE_FAILED;
		pr_info("attach %s: could not probe %s (error %d), skipped\n",
			p->name, p->symbol, p->err);
	}
}

int kt_probes_register(const struct kt_probe_params *params)
{
	unsigned int i, n = 0;

	if (params->maxactive < 1 || params->maxactive > 4096) {
		pr_err("maxactive must be 1..4096 (got %d)\n", params->maxactive);
		return -EINVAL;
	}
	kt_maxactive = params->maxactive;
	kt_probes[KT_P_SENDMSG].override = params->sendmsg;
	kt_probes[KT_P_SENDMSG_LAT].override = params->sendmsg;
	kt_probes[KT_P_SENDPAGE].override = params->sendpage;
	kt_probes[KT_P_SCHED].override = params->sched;
	kt_probes[KT_P_WAKEUP].override = params->wakeup;
	kt_probes[KT_P_SENDMSG_LOCKED].override = params->sendmsg_locked;
	kt_probes[KT_P_SENDPAGE_LOCKED].override = params->sendpage_locked;
	kt_top_msg_locked = false;
	kt_top_page_locked = false;

	for (i = 0; i < KT_P_NR; i++) {
		struct kt_probe *p = &kt_probes[kt_probe_order[i]];

		kt_probe_register(p);
		n += p->registered;
	}
	return n;
}

void kt_probes_unregister(void)
{
	struct kretprobe *rps[KT_P_NR];
	struct kprobe *kps[KT_P_NR];
	unsigned int i, nk = 0, nr = 0;

	for (i = 0; i < KT_P_NR; i++) {
		struct kt_probe *p = &kt_probes[i];

		if (!p->registered)
			continue;
		if (kt_is_ret(p))
			rps[nr++] = &p->rp;
		else
			kps[nk++] = &p->kp;
		p->registered = false;
	}
	/* One RCU grace period per batch rather than per probe. */
	if (nk)
		unregister_kprobes(kps, nk);
	if (nr)
		unregister_kretprobes(rps, nr);
}

unsigned int kt_probes_count(void)
{
	return KT_P_NR;
}

void kt_probe_get_info(unsigned int i, struct kt_probe_info *info)
{
	const struct kt_probe *p = &kt_probes[i];

	info->name = p->name;
	info->type = kt_is_ret(p) ? "kretprobe" : "kprobe";
	info->symbol = p->symbol;
	info->task = p->task;
	info->status = p->status;
	info->err = p->err;
	info->nmissed = 0;
	if (p->status != KT_PROBE_OK)
		return;
	if (kt_is_ret(p))
		info->nmissed = READ_ONCE(p->rp.kp.nmissed) +
				READ_ONCE(p->rp.nmissed);
	else
		info->nmissed = READ_ONCE(p->kp.nmissed);
}

const char *kt_probe_status_name(enum kt_probe_status status)
{
	switch (status) {
	case KT_PROBE_OK:
		return "ok";
	case KT_PROBE_SKIPPED:
		return "skipped";
	case KT_PROBE_FAILED:
		return "failed";
	case KT_PROBE_DISABLED:
		return "disabled";
	}
	return "unknown";
}
