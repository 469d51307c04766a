// SPDX-License-Identifier: GPL-2.0
/*
 * krelay_trace: counts TCP sends (tcp_sendmsg, tcp_sendpage and the locked
 * functions below them) with kprobes, context switches and wake-ups with
 * the sched_switch and sched_wakeup tracepoints, times tcp_sendmsg with a
 * kretprobe, and reports to the kernel log every interval_ms, on request
 * (writing to the report parameter) and on unload.
 *
 * Module init and exit only; see probes.c for what is probed and why,
 * stats.h for the per-CPU counters and report.h for the report format.
 */
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "filter.h"
#include "probes.h"
#include "report.h"
#include "selftest.h"
#include "stats.h"

static char *sched_symbol;
module_param(sched_symbol, charp, 0444);
MODULE_PARM_DESC(sched_symbol,
		 "context-switch tracepoint (default: sched_switch; empty: off)");

static char *sendmsg_symbol;
module_param(sendmsg_symbol, charp, 0444);
MODULE_PARM_DESC(sendmsg_symbol,
		 "TCP sendmsg probe point (default: tcp_sendmsg; empty: off)");

static char *sendpage_symbol;
module_param(sendpage_symbol, charp, 0444);
MODULE_PARM_DESC(sendpage_symbol,
		 "TCP sendpage probe point (default: tcp_sendpage, absent since 6.5; empty: off)");

static char *sendmsg_locked_symbol;
module_param(sendmsg_locked_symbol, charp, 0444);
MODULE_PARM_DESC(sendmsg_locked_symbol,
		 "locked TCP sendmsg probe point, reached by every send (default: tcp_sendmsg_locked; empty: off)");

static char *sendpage_locked_symbol;
module_param(sendpage_locked_symbol, charp, 0444);
MODULE_PARM_DESC(sendpage_locked_symbol,
		 "locked TCP page-send probe point (default: do_tcp_sendpages, absent since 6.5; empty: off)");

static char *wakeup_symbol;
module_param(wakeup_symbol, charp, 0444);
MODULE_PARM_DESC(wakeup_symbol,
		 "wake-up tracepoint, counting successful wake-ups (default: sched_wakeup; empty: off)");

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "count only this thread id (0: all; filters select tasks: sends in interrupt context are then not counted)");

static int tgid;
module_param(tgid, int, 0444);
MODULE_PARM_DESC(tgid, "count only this process id (0: all)");

static char *comm;
module_param(comm, charp, 0444);
MODULE_PARM_DESC(comm, "count only tasks with this name (exact, at most 15 characters)");

static unsigned int interval_ms;
module_param(interval_ms, uint, 0444);
MODULE_PARM_DESC(interval_ms,
		 "report every this many ms (0: only on unload; else >= 100)");

static unsigned int top_n = 10;
module_param(top_n, uint, 0444);
MODULE_PARM_DESC(top_n, "tasks listed per top table (0..64, default 10)");

static int maxactive = 64;
module_param(maxactive, int, 0444);
MODULE_PARM_DESC(maxactive,
		 "tcp_sendmsg calls timed at once (1..4096, default 64)");

/* Writing anything to /sys/module/krelay_trace/parameters/report prints a
 * report now (reason=request), e.g. to close a measurement window.
 */
static int kt_param_report_set(const char *val, const struct kernel_param *kp)
{
	return kt_report_request();
}

static const struct kernel_param_ops kt_param_report_ops = {
	.set = kt_param_report_set,
};

module_param_cb(report, &kt_param_report_ops, NULL, 0200);
MODULE_PARM_DESC(report, "write anything: print a report now");

static int __init kt_init(void)
{
	const struct kt_probe_params pp = {
		.sendmsg = sendmsg_symbol,
		.sendpage = sendpage_symbol,
		.sendmsg_locked = sendmsg_locked_symbol,
		.sendpage_locked = sendpage_locked_symbol,
		.sched = sched_symbol,
		.wakeup = wakeup_symbol,
		.maxactive = maxactive,
	};
	int err, n;

	if (interval_ms && interval_ms < 100) {
		pr_err("interval_ms must be 0 or at least 100 (got %u)\n",
		       interval_ms);
		return -EINVAL;
	}
	if (top_n > KT_TOP_MAX) {
		pr_err("top_n must be at most %u (got %u)\n", KT_TOP_MAX, top_n);
		return -EINVAL;
	}
	err = kt_filter_init(pid, tgid, comm);
	if (err)
		return err;
	err = kt_stats_init();
	if (err)
		return err;

	kt_report_init(interval_ms, top_n);
	n = kt_probes_register(&pp);
	if (n <= 0) {
		if (!n) {
			pr_err("no probe could be registered on this kernel (see the attach lines above); refusing to load\n");
			n = -ENODEV;
		}
		kt_stats_exit();
		return n;
	}
	kt_selftest_run(kt_probes_sched_ok());
	kt_report_start();
	pr_info("loaded version=%s probes=%d/%u interval_ms=%u top_n=%u\n",
		KRELAY_TRACE_VERSION, n, kt_probes_count(), interval_ms, top_n);
	return 0;
}

static void __exit kt_exit(void)
{
	kt_report_stop();
	kt_probes_unregister();
	kt_report("unload");
	kt_stats_exit();
	pr_info("unloaded\n");
}

module_init(kt_init);
module_exit(kt_exit);

MODULE_DESCRIPTION("krelay tracer: counters of TCP sends, context switches and wake-ups");
MODULE_AUTHOR("krelay developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KRELAY_TRACE_VERSION);
