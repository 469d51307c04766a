/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krelay_trace reports: the kernel-log format and the periodic work.
 *
 * A report is a block of lines, each "krelay_trace: TAG seq=N key=value...",
 * in this order (values never contain spaces or '='; "-" stands for none):
 *
 *   report seq=N reason=interval|request|unload elapsed_ms=N interval_ms=N version=V
 *   filter seq=N pid=N tgid=N comm=NAME context=all|task
 *   tcp    seq=N sendmsg_calls=N sendmsg_bytes=N sendpage_calls=N sendpage_bytes=N
 *   tcp_locked seq=N sendmsg_calls=N sendmsg_bytes=N sendpage_calls=N sendpage_bytes=N
 *   sched  seq=N switches=N wakeups=N wakeups_counted=successful
 *   check  seq=N name=switches status=ok|failed|off expected=N counted=N
 *   lat    seq=N name=tcp_sendmsg_ns samples=N sum_ns=N
 *   hist   seq=N name=tcp_sendmsg_ns bucket=B low=N high=N count=N   (0+ lines)
 *   top    seq=N kind=sends|switches rank=R tgid=N comm=NAME count=N bytes=N
 *   top    seq=N kind=sends rank=R tgid=- comm=[softirq]|[hardirq] count=N bytes=N
 *   top    seq=N kind=sends|switches rank=other tgid=- comm=- count=N bytes=N
 *   total  seq=N kind=sends|switches count=N bytes=N of=COUNTERS
 *   probe  seq=N name=P type=kprobe|kretprobe|tracepoint symbol=S
 *          task=current|prev|woken status=ok|skipped|failed|disabled
 *          registered=0|1 error=E nmissed=N  (one line in the log; wrapped here)
 *   end    seq=N lines=N
 *
 * tcp counts the socket-call level (tcp_sendmsg, tcp_sendpage: what
 * processes send through the socket API); tcp_locked counts the level below
 * (tcp_sendmsg_locked, do_tcp_sendpages), which every TCP send passes once,
 * in-kernel senders such as krelay (kernel_sendmsg_locked,
 * skb_send_sock_locked) included.  Bytes are the sizes asked for.
 *
 * Sends made in task context are credited to the task; those made in
 * softirq (krelay's receive fast path) or hard interrupt/NMI context get
 * the rows [softirq] and [hardirq] instead, ranked with the tasks.  A
 * pid/tgid/comm filter selects tasks (context=task): with one set, sends
 * in interrupt context are not counted at all; switches and wake-ups are
 * filtered by the task switched out and the task woken.
 *
 * switches counts every context switch (sched_switch tracepoint, once per
 * switch, credited to the task switched out: what /proc/stat's ctxt and
 * /proc/<pid>/status count); wakeups counts successful wake-ups
 * (sched_wakeup: a task made runnable; calls of try_to_wake_up() that
 * find the task awake are not counted).  check is the load-time test of
 * the switch probe (selftest.h): status=failed means switch counts are
 * not to be trusted.
 *
 * total sums every row of a table (ranked, [softirq]/[hardirq] and
 * other): for sends it equals the sum of the counters named in of= (calls
 * and bytes; e.g. of=tcp_locked.sendmsg+tcp_locked.sendpage is
 * tcp_locked's sendmsg_calls + sendpage_calls and sendmsg_bytes +
 * sendpage_bytes), for switches sched's switches.  Exactly so in the
 * unload report; an interval or request report may differ by the sends in
 * flight while it sums the CPUs.
 *
 * Counters are cumulative since the module was loaded.  hist lines cover
 * the buckets from the lowest to the highest non-empty one.  top lines are
 * ranked by bytes (sends; count is calls) or count (switches; bytes is 0);
 * probe lines come one per probe in a fixed order.  "other" sums the tasks past
 * top_n plus those that did not fit the per-CPU tables, and is printed
 * only when non-zero.  The sends table counts at the tcp_locked level when
 * the sendmsg_locked probe is registered (sendpage_locked likewise for page
 * sends), else at the tcp level, so that no send is counted twice.
 *
 * lines counts every line of the report, including the report and end
 * lines, so a reader can tell a complete report.
 */
#ifndef KRELAY_TRACE_REPORT_H
#define KRELAY_TRACE_REPORT_H

void kt_report_init(unsigned int interval_ms, unsigned int top_n);
void kt_report_start(void);
void kt_report_stop(void);
void kt_report(const char *reason);
/* A report now (reason=request); -EAGAIN while loading or unloading. */
int kt_report_request(void);

#endif /* KRELAY_TRACE_REPORT_H */
