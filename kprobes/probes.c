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
 * A send is credited to the task that makes it (current) in task context
 * only.  krelay forwards from sk_data_ready, i.e. while serving a softirq,
 * and current is then whatever task the softirq interrupted: such sends,
 * and any made in a hard interrupt or NMI, are counted in rows of their
 * own ([softirq], [hardirq]) of the sends table.  The pid/tgid/comm
 * filters select tasks, so with a filter set, interrupt-context sends are
 * not counted at all.
 *
 * Scheduler events come from tracepoints, whose arguments are an ABI of
 * the kernel (TP_PROTO), not from kprobes on functions whose argument
 * layout the compiler may change (finish_task_switch is usually only
 * finish_task_switch.isra.0, a clone with parameters dropped or
 * reordered).  The tracepoints are not exported to modules, so they are
 * looked up by name with for_each_kernel_tracepoint():
 *  - sched_switch fires in __schedule() exactly when prev != next, next to
 *    the rq->nr_switches increment that /proc/stat's ctxt sums and the
 *    prev->nvcsw/nivcsw one of /proc/<pid>/status: one count per switch,
 *    credited to prev, the task switched out;
 *  - sched_wakeup fires once per successful wake-up, when try_to_wake_up()
 *    makes the task runnable (the cases where it returns 1, minus wake-ups
 *    of a PREEMPT_RT/freezer saved state that change no run state);
 *    wake_up_new_task() has its own tracepoint and is not counted.
 *    Credited to the woken task.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>

#include "filter.h"
#include "probes.h"
#include "selftest.h"
#include "stats.h"

/* Which level feeds the per-task sends table: the locked one when its
 * probe is registered (it sees every send once), else the socket call.
 * The locked probes register first, so a send is never counted twice.
 */
static bool kt_top_msg_locked __read_mostly;
static bool kt_top_page_locked __read_mostly;

/* Whether a send made now is counted, and in which context (see above). */
static bool kt_send_counted(enum kt_ctx *ctx)
{
	*ctx = kt_ctx_now();
	if (*ctx == KT_CTX_TASK)
		return kt_filter_match(current);
	return !kt_filter.active;
}

static void kt_send_top(enum kt_ctx ctx, u64 size)
{
	if (ctx == KT_CTX_TASK)
		kt_top_add(KT_TOP_SENDS, current, size);
	else
		kt_top_add_ctx(KT_TOP_SENDS, ctx, size);
}

static int kt_sendmsg_pre(struct kprobe *kp, struct pt_regs *regs)
{
	/* tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size) */
	u64 size = regs_get_kernel_argument(regs, 2);
	enum kt_ctx ctx;

	if (!kt_send_counted(&ctx))
		return 0;
	this_cpu_inc(kt_pcpu->sendmsg_calls);
	this_cpu_add(kt_pcpu->sendmsg_bytes, size);
	if (!kt_top_msg_locked)
		kt_send_top(ctx, size);
	return 0;
}

static int kt_sendpage_pre(struct kprobe *kp, struct pt_regs *regs)
{
	/* tcp_sendpage(sk, page, int offset, size_t size, int flags) */
	u64 size = regs_get_kernel_argument(regs, 3);
	enum kt_ctx ctx;

	if (!kt_send_counted(&ctx))
		return 0;
	this_cpu_inc(kt_pcpu->sendpage_calls);
	this_cpu_add(kt_pcpu->sendpage_bytes, size);
	if (!kt_top_page_locked)
		kt_send_top(ctx, size);
	return 0;
}

static int kt_sendmsg_locked_pre(struct kprobe *kp, struct pt_regs *regs)
{
	/* tcp_sendmsg_locked(struct sock *sk, struct msghdr *msg, size_t size) */
	u64 size = regs_get_kernel_argument(regs, 2);
	enum kt_ctx ctx;

	if (!kt_send_counted(&ctx))
		return 0;
	this_cpu_inc(kt_pcpu->locked_sendmsg_calls);
	this_cpu_add(kt_pcpu->locked_sendmsg_bytes, size);
	if (kt_top_msg_locked)
		kt_send_top(ctx, size);
	return 0;
}

static int kt_sendpage_locked_pre(struct kprobe *kp, struct pt_regs *regs)
{
	/* do_tcp_sendpages(sk, page, int offset, size_t size, int flags) */
	u64 size = regs_get_kernel_argument(regs, 3);
	enum kt_ctx ctx;

	if (!kt_send_counted(&ctx))
		return 0;
	this_cpu_inc(kt_pcpu->locked_sendpage_calls);
	this_cpu_add(kt_pcpu->locked_sendpage_bytes, size);
	if (kt_top_page_locked)
		kt_send_top(ctx, size);
	return 0;
}

/* sched_switch: called by __schedule() with the runqueue locked and
 * interrupts off, once per switch (prev != next).
 */
static void kt_sched_switch(void *data, KT_SCHED_SWITCH_ARGS)
{
	kt_selftest_switch(prev);
	if (!kt_filter_match(prev))
		return;
	this_cpu_inc(kt_pcpu->switches);
	kt_top_add(KT_TOP_SWITCHES, prev, 0);
}

/* sched_wakeup: @p has just been made runnable (on any CPU, from any
 * context; p->pi_lock or its runqueue lock held).
 */
static void kt_sched_wakeup(void *data, struct task_struct *p)
{
	if (!kt_filter_match(p))
		return;
	this_cpu_inc(kt_pcpu->wakeups);
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

static const char *const kt_sched_syms[] = { "sched_switch", NULL };
static const char *const kt_wakeup_syms[] = { "sched_wakeup", NULL };

enum kt_probe_type { KT_KPROBE, KT_KRETPROBE, KT_TRACEPOINT };

struct kt_probe {
	const char *name;
	const char *const *defaults;
	const char *task;
	enum kt_probe_type type;
	kprobe_pre_handler_t pre;		/* kprobe ... */
	kretprobe_handler_t entry;		/* ... or kretprobe ... */
	kretprobe_handler_t ret;
	void *tp_probe;				/* ... or tracepoint */

	/* state */
	const char *override;
	const char *symbol;
	enum kt_probe_status status;
	int err;
	bool registered;
	struct kprobe kp;
	struct kretprobe rp;
	struct tracepoint *tp;
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
		.task = "current", .type = KT_KPROBE, .pre = kt_sendmsg_pre,
	},
	[KT_P_SENDMSG_LAT] = {
		.name = "sendmsg_lat", .defaults = kt_sendmsg_syms,
		.task = "current", .type = KT_KRETPROBE,
		.entry = kt_lat_entry, .ret = kt_lat_return,
	},
	[KT_P_SENDPAGE] = {
		.name = "sendpage", .defaults = kt_sendpage_syms,
		.task = "current", .type = KT_KPROBE, .pre = kt_sendpage_pre,
	},
	[KT_P_SCHED] = {
		.name = "sched", .defaults = kt_sched_syms,
		.task = "prev", .type = KT_TRACEPOINT,
		.tp_probe = kt_sched_switch,
	},
	[KT_P_WAKEUP] = {
		.name = "wakeup", .defaults = kt_wakeup_syms,
		.task = "woken", .type = KT_TRACEPOINT,
		.tp_probe = kt_sched_wakeup,
	},
	[KT_P_SENDMSG_LOCKED] = {
		.name = "sendmsg_locked", .defaults = kt_sendmsg_locked_syms,
		.task = "current", .type = KT_KPROBE,
		.pre = kt_sendmsg_locked_pre,
	},
	[KT_P_SENDPAGE_LOCKED] = {
		.name = "sendpage_locked", .defaults = kt_sendpage_locked_syms,
		.task = "current", .type = KT_KPROBE,
		.pre = kt_sendpage_locked_pre,
	},
};

static int kt_maxactive;

static const char *kt_type_name(const struct kt_probe *p)
{
	switch (p->type) {
	case KT_KPROBE:
		return "kprobe";
	case KT_KRETPROBE:
		return "kretprobe";
	case KT_TRACEPOINT:
		return "tracepoint";
	}
	return "unknown";
}

struct kt_tp_lookup {
	const char *name;
	struct tracepoint *tp;
};

static void kt_tp_match(struct tracepoint *tp, void *priv)
{
	struct kt_tp_lookup *l = priv;

	if (!l->tp && !strcmp(tp->name, l->name))
		l->tp = tp;
}

static int kt_probe_try(struct kt_probe *p, const char *sym)
{
	struct kt_tp_lookup l = { .name = sym };

	switch (p->type) {
	case KT_KRETPROBE:
		memset(&p->rp, 0, sizeof(p->rp));
		p->rp.kp.symbol_name = sym;
		p->rp.entry_handler = p->entry;
		p->rp.handler = p->ret;
		p->rp.data_size = sizeof(u64);
		p->rp.maxactive = kt_maxactive;
		return register_kretprobe(&p->rp);
	case KT_TRACEPOINT:
		/* kernel tracepoints only: module ones may go away */
		for_each_kernel_tracepoint(kt_tp_match, &l);
		if (!l.tp)
			return -ENOENT;
		p->tp = l.tp;
		return tracepoint_probe_register(p->tp, p->tp_probe, NULL);
	case KT_KPROBE:
		break;
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
		p->err = kt_probe_try(p, *cand);
		if (!p->err) {
			p->symbol = *cand;
			p->status = KT_PROBE_OK;
			p->registered = true;
			if (p == &kt_probes[KT_P_SENDMSG_LOCKED])
				kt_top_msg_locked = true;
			if (p == &kt_probes[KT_P_SENDPAGE_LOCKED])
				kt_top_page_locked = true;
			pr_info("attach %s: %s on %s\n", p->name,
				kt_type_name(p), *cand);
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
	unsigned int i, nk = 0, nr = 0, nt = 0;

	for (i = 0; i < KT_P_NR; i++) {
		struct kt_probe *p = &kt_probes[i];

		if (!p->registered)
			continue;
		switch (p->type) {
		case KT_KRETPROBE:
			rps[nr++] = &p->rp;
			break;
		case KT_KPROBE:
			kps[nk++] = &p->kp;
			break;
		case KT_TRACEPOINT:
			/* fails only for a probe that is not registered */
			WARN_ON_ONCE(tracepoint_probe_unregister(p->tp,
								 p->tp_probe,
								 NULL));
			nt++;
			break;
		}
		p->registered = false;
	}
	/* One RCU grace period per batch rather than per probe. */
	if (nk)
		unregister_kprobes(kps, nk);
	if (nr)
		unregister_kretprobes(rps, nr);
	/* No CPU may still run a tracepoint probe when the module goes. */
	if (nt)
		tracepoint_synchronize_unregister();
}

/* Which report counters the sends table's rows add up to, e.g.
 * "tcp_locked.sendmsg+tcp_locked.sendpage" ("-": none).
 */
void kt_probes_sends_source(char *buf, size_t len)
{
	const char *msg = NULL, *page = NULL;

	if (kt_top_msg_locked)
		msg = "tcp_locked.sendmsg";
	else if (kt_probes[KT_P_SENDMSG].registered)
		msg = "tcp.sendmsg";
	if (kt_top_page_locked)
		page = "tcp_locked.sendpage";
	else if (kt_probes[KT_P_SENDPAGE].registered)
		page = "tcp.sendpage";
	if (msg && page)
		scnprintf(buf, len, "%s+%s", msg, page);
	else
		strscpy(buf, msg ? msg : page ? page : "-", len);
}

bool kt_probes_sched_ok(void)
{
	return kt_probes[KT_P_SCHED].registered;
}

unsigned int kt_probes_count(void)
{
	return KT_P_NR;
}

void kt_probe_get_info(unsigned int i, struct kt_probe_info *info)
{
	const struct kt_probe *p = &kt_probes[i];

	info->name = p->name;
	info->type = kt_type_name(p);
	info->symbol = p->symbol;
	info->task = p->task;
	info->status = p->status;
	info->err = p->err;
	info->nmissed = 0;
	if (p->status != KT_PROBE_OK)
		return;
	/* tracepoint probes are called every time: nothing missed */
	if (p->type == KT_KRETPROBE)
		info->nmissed = READ_ONCE(p->rp.kp.nmissed) +
				READ_ONCE(p->rp.nmissed);
	else if (p->type == KT_KPROBE)
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
