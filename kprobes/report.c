// SPDX-License-Identifier: GPL-2.0
/*
 * Summing the per-CPU counters and printing reports to the kernel log.
 * Runs in process context only (the periodic delayed work, a write to the
 * report parameter, module exit), never in a probe; kt_report_lock keeps
 * the lines of two reports from mixing.
 */
#include <linux/compiler.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "filter.h"
#include "probes.h"
#include "report.h"
#include "selftest.h"
#include "stats.h"

static unsigned int kt_interval_ms;
static unsigned int kt_top_n;
static unsigned int kt_seq;
static u64 kt_start_ns;
static bool kt_running;		/* requests accepted (under kt_report_lock) */
static DEFINE_MUTEX(kt_report_lock);

static void kt_report_work(struct work_struct *work);
static DECLARE_DELAYED_WORK(kt_work, kt_report_work);

struct kt_totals {
	u64 sendmsg_calls;
	u64 sendmsg_bytes;
	u64 sendpage_calls;
	u64 sendpage_bytes;
	u64 locked_sendmsg_calls;
	u64 locked_sendmsg_bytes;
	u64 locked_sendpage_calls;
	u64 locked_sendpage_bytes;
	u64 switches;
	u64 wakeups;
	u64 lat_samples;
	u64 lat_sum_ns;
	u64 lat_hist[KT_HIST_BUCKETS];
};

/* One task of a merged per-task table. */
struct kt_entry {
	u32 key;			/* tgid + 1, 0 = free */
	bool shown;
	char comm[TASK_COMM_LEN];
	u64 count;
	u64 bytes;
};

#define kt_line(lines, fmt, ...) \
	do { \
		pr_info(fmt "\n", ##__VA_ARGS__); \
		(*(lines))++; \
	} while (0)

static void kt_sum(struct kt_totals *t)
{
	unsigned int cpu, b;

	memset(t, 0, sizeof(*t));
	for_each_possible_cpu(cpu) {
		const struct kt_cpu *c = per_cpu_ptr(kt_pcpu, cpu);

		t->sendmsg_calls += READ_ONCE(c->sendmsg_calls);
		t->sendmsg_bytes += READ_ONCE(c->sendmsg_bytes);
		t->sendpage_calls += READ_ONCE(c->sendpage_calls);
		t->sendpage_bytes += READ_ONCE(c->sendpage_bytes);
		t->locked_sendmsg_calls += READ_ONCE(c->locked_sendmsg_calls);
		t->locked_sendmsg_bytes += READ_ONCE(c->locked_sendmsg_bytes);
		t->locked_sendpage_calls += READ_ONCE(c->locked_sendpage_calls);
		t->locked_sendpage_bytes += READ_ONCE(c->locked_sendpage_bytes);
		t->switches += READ_ONCE(c->switches);
		t->wakeups += READ_ONCE(c->wakeups);
		t->lat_samples += READ_ONCE(c->lat_samples);
		t->lat_sum_ns += READ_ONCE(c->lat_sum_ns);
		for (b = 0; b < KT_HIST_BUCKETS; b++)
			t->lat_hist[b] += READ_ONCE(c->lat_hist[b]);
	}
}

/* Task names go into key=value lines: no blanks, no '=', never empty. */
static void kt_sanitize(char *dst, const char *src)
{
	unsigned int i;

	for (i = 0; i < TASK_COMM_LEN - 1 && src[i]; i++)
		dst[i] = (src[i] > ' ' && src[i] <= '~' && src[i] != '=') ?
			 src[i] : '_';
	if (!i)
		dst[i++] = '-';
	dst[i] = '\0';
}

static void kt_report_hist(unsigned int seq, const struct kt_totals *t,
			   unsigned int *lines)
{
	int lo = -1, hi = -1, b;

	kt_line(lines, "lat seq=%u name=tcp_sendmsg_ns samples=%llu sum_ns=%llu",
		seq, t->lat_samples, t->lat_sum_ns);
	for (b = 0; b < KT_HIST_BUCKETS; b++) {
		if (!t->lat_hist[b])
			continue;
		if (lo < 0)
			lo = b;
		hi = b;
	}
	if (lo < 0)
		return;
	for (b = lo; b <= hi; b++) {
		u64 low = b ? 1ULL << b : 0;
		u64 high = b < 63 ? (2ULL << b) - 1 : U64_MAX;

		kt_line(lines,
			"hist seq=%u name=tcp_sendmsg_ns bucket=%d low=%llu high=%llu count=%llu",
			seq, b, low, high, t->lat_hist[b]);
	}
}

static struct kt_entry *kt_entry_find(struct kt_entry *tab, unsigned int cap,
				      u32 key)
{
	unsigned int i = hash_32(key, ilog2(cap));

	/* cap is at least twice the number of keys: a free slot exists. */
	while (tab[i].key && tab[i].key != key)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* Keys of the interrupt-context rows: above any tgid + 1 (tgids are
 * below PID_MAX_LIMIT, 2^22).
 */
#define KT_KEY_CTX(ctx)		(U32_MAX - (u32)(ctx))
#define KT_KEY_IS_CTX(key)	((key) > U32_MAX - KT_CTX_NR)

static const char *const kt_ctx_row[KT_CTX_NR] = {
	[KT_CTX_SOFTIRQ] = "[softirq]",
	[KT_CTX_HARDIRQ] = "[hardirq]",
};

static u64 kt_metric(enum kt_top_kind kind, const struct kt_entry *e)
{
	return kind == KT_TOP_SENDS ? e->bytes : e->count;
}

static void kt_report_top(unsigned int seq, enum kt_top_kind kind,
			  unsigned int *lines)
{
	const char *name = kind == KT_TOP_SENDS ? "sends" : "switches";
	unsigned int cap, cpu, i, rank;
	u64 other_count = 0, other_bytes = 0;
	u64 total_count = 0, total_bytes = 0;
	struct kt_entry *tab, *best;
	char comm[TASK_COMM_LEN];
	char of[64];
	int ctx;

	cap = roundup_pow_of_two(2 * (num_possible_cpus() * KT_TOP_SLOTS +
				      KT_CTX_NR));
	tab = kvcalloc(cap, sizeof(*tab), GFP_KERNEL);
	if (!tab) {
		kt_line(lines, "top seq=%u kind=%s error=%d", seq, name, -ENOMEM);
		return;
	}

	for_each_possible_cpu(cpu) {
		const struct kt_top *top = &per_cpu_ptr(kt_pcpu, cpu)->top[kind];

		other_count += READ_ONCE(top->other_count);
		other_bytes += READ_ONCE(top->other_bytes);
		for (ctx = KT_CTX_SOFTIRQ; ctx < KT_CTX_NR; ctx++) {
			u64 n = READ_ONCE(top->ctx_count[ctx]);
			struct kt_entry *e;

			if (!n)
				continue;
			e = kt_entry_find(tab, cap, KT_KEY_CTX(ctx));
			if (!e->key) {
				e->key = KT_KEY_CTX(ctx);
				strscpy(e->comm, kt_ctx_row[ctx], sizeof(e->comm));
			}
			e->count += n;
			e->bytes += READ_ONCE(top->ctx_bytes[ctx]);
		}
		for (i = 0; i < KT_TOP_SLOTS; i++) {
			const struct kt_slot *s = &top->slot[i];
			struct kt_entry *e;
			u32 key;

			/* Pairs with the release in kt_top_add(): the name
			 * of a slot is complete once its key is seen.
			 */
			key = smp_load_acquire(&s->key);
			if (!key)
				continue;
			e = kt_entry_find(tab, cap, key);
			if (!e->key) {
				e->key = key;
				memcpy(e->comm, s->comm, sizeof(e->comm));
				e->comm[sizeof(e->comm) - 1] = '\0';
			}
			e->count += READ_ONCE(s->count);
			e->bytes += READ_ONCE(s->bytes);
		}
	}

	for (rank = 1; rank <= kt_top_n; rank++) {
		best = NULL;
		for (i = 0; i < cap; i++) {
			struct kt_entry *e = &tab[i];

			if (!e->key || e->shown || !e->count)
				continue;
			if (!best || kt_metric(kind, e) > kt_metric(kind, best))
				best = e;
		}
		if (!best)
			break;
		best->shown = true;
		total_count += best->count;
		total_bytes += best->bytes;
		if (KT_KEY_IS_CTX(best->key)) {
			kt_line(lines,
				"top seq=%u kind=%s rank=%u tgid=- comm=%s count=%llu bytes=%llu",
				seq, name, rank, best->comm, best->count,
				best->bytes);
			continue;
		}
		kt_sanitize(comm, best->comm);
		kt_line(lines, "top seq=%u kind=%s rank=%u tgid=%u comm=%s count=%llu bytes=%llu",
			seq, name, rank, best->key - 1, comm, best->count,
			best->bytes);
	}
	for (i = 0; i < cap; i++) {
		if (tab[i].key && !tab[i].shown) {
			other_count += tab[i].count;
			other_bytes += tab[i].bytes;
		}
	}
	if (other_count)
		kt_line(lines, "top seq=%u kind=%s rank=other tgid=- comm=- count=%llu bytes=%llu",
			seq, name, other_count, other_bytes);
	total_count += other_count;
	total_bytes += other_bytes;
	if (kind == KT_TOP_SENDS)
		kt_probes_sends_source(of, sizeof(of));
	else
		strscpy(of, "sched.switches", sizeof(of));
	kt_line(lines, "total seq=%u kind=%s count=%llu bytes=%llu of=%s",
		seq, name, total_count, total_bytes, of);
	kvfree(tab);
}

static void kt_report_probes(unsigned int seq, unsigned int *lines)
{
	struct kt_probe_info pi;
	unsigned int i;

	for (i = 0; i < kt_probes_count(); i++) {
		kt_probe_get_info(i, &pi);
		kt_line(lines,
			"probe seq=%u name=%s type=%s symbol=%.64s task=%s status=%s registered=%d error=%d nmissed=%lu",
			seq, pi.name, pi.type, pi.symbol, pi.task,
			kt_probe_status_name(pi.status),
			pi.status == KT_PROBE_OK, pi.err, pi.nmissed);
	}
}

static void kt_report_check(unsigned int seq, unsigned int *lines)
{
	struct kt_check c;

	kt_selftest_get(&c);
	kt_line(lines, "check seq=%u name=switches status=%s expected=%llu counted=%llu",
		seq, kt_check_status_name(c.status), c.expected, c.counted);
}

/* Called with kt_report_lock held. */
static void __kt_report(const char *reason)
{
	unsigned int seq = ++kt_seq, lines = 0;
	struct kt_totals *t;
	char comm[TASK_COMM_LEN];
	u64 elapsed_ms;

	elapsed_ms = div_u64(ktime_get_ns() - kt_start_ns, NSEC_PER_MSEC);
	t = kmalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		pr_info("report seq=%u reason=%s error=%d\n", seq, reason, -ENOMEM);
		return;
	}
	kt_sum(t);
	kt_sanitize(comm, kt_filter.comm);

	kt_line(&lines, "report seq=%u reason=%s elapsed_ms=%llu interval_ms=%u version=%s",
		seq, reason, elapsed_ms, kt_interval_ms, KRELAY_TRACE_VERSION);
	kt_line(&lines, "filter seq=%u pid=%d tgid=%d comm=%s context=%s",
		seq, kt_filter.pid, kt_filter.tgid, comm,
		kt_filter.active ? "task" : "all");
	kt_line(&lines,
		"tcp seq=%u sendmsg_calls=%llu sendmsg_bytes=%llu sendpage_calls=%llu sendpage_bytes=%llu",
		seq, t->sendmsg_calls, t->sendmsg_bytes, t->sendpage_calls,
		t->sendpage_bytes);
	kt_line(&lines,
		"tcp_locked seq=%u sendmsg_calls=%llu sendmsg_bytes=%llu sendpage_calls=%llu sendpage_bytes=%llu",
		seq, t->locked_sendmsg_calls, t->locked_sendmsg_bytes,
		t->locked_sendpage_calls, t->locked_sendpage_bytes);
	kt_line(&lines, "sched seq=%u switches=%llu wakeups=%llu wakeups_counted=successful",
		seq, t->switches, t->wakeups);
	kt_report_check(seq, &lines);
	kt_report_hist(seq, t, &lines);
	kt_report_top(seq, KT_TOP_SENDS, &lines);
	kt_report_top(seq, KT_TOP_SWITCHES, &lines);
	kt_report_probes(seq, &lines);
	pr_info("end seq=%u lines=%u\n", seq, lines + 1);
	kfree(t);
}

void kt_report(const char *reason)
{
	mutex_lock(&kt_report_lock);
	__kt_report(reason);
	mutex_unlock(&kt_report_lock);
}

int kt_report_request(void)
{
	int err = -EAGAIN;	/* still loading, or unloading */

	mutex_lock(&kt_report_lock);
	if (kt_running) {
		__kt_report("request");
		err = 0;
	}
	mutex_unlock(&kt_report_lock);
	return err;
}

static void kt_report_work(struct work_struct *work)
{
	kt_report("interval");
	schedule_delayed_work(&kt_work, msecs_to_jiffies(kt_interval_ms));
}

void kt_report_init(unsigned int interval_ms, unsigned int top_n)
{
	kt_interval_ms = interval_ms;
	kt_top_n = top_n;
	kt_seq = 0;
	kt_start_ns = ktime_get_ns();
}

void kt_report_start(void)
{
	mutex_lock(&kt_report_lock);
	kt_running = true;
	mutex_unlock(&kt_report_lock);
	if (kt_interval_ms)
		schedule_delayed_work(&kt_work, msecs_to_jiffies(kt_interval_ms));
}

void kt_report_stop(void)
{
	mutex_lock(&kt_report_lock);
	kt_running = false;
	mutex_unlock(&kt_report_lock);
	cancel_delayed_work_sync(&kt_work);
}
