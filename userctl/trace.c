// SPDX-License-Identifier: GPL-2.0
/*
 * userctl trace: the latest report of the krelay_trace module, pulled out
 * of the kernel log and printed readably or as JSON.
 *
 *   userctl [-j [-p]] trace [show] [-f FILE] [-j] [-p]
 *   userctl trace raw [-f FILE]
 *   userctl trace help
 *
 * A report is a block of "krelay_trace: TAG seq=N key=value ..." lines
 * from "report seq=N" to "end seq=N lines=N" (grammar: kprobes/report.h).
 * Other kernel messages may sit between its lines; lines of other
 * krelay_trace messages (load, attach) carry no seq= and are ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include <json-c/json.h>

#include "trace.h"

#define TR_PREFIX	"krelay_trace: "
#define TR_MAX_KV	24
#define TR_KMSG_REC	8192

/* klogctl(2) actions (no libc names for them) */
#define TR_SYSLOG_READ_ALL	3
#define TR_SYSLOG_SIZE_BUFFER	10

struct tr_kv {
	const char *key;
	const char *val;
};

/* One report line, split in place: "TAG k=v k=v ...". */
struct tr_line {
	char *orig;		/* the line as logged, after the prefix */
	char *buf;		/* split copy that tag and kv point into */
	const char *tag;
	unsigned long seq;
	struct tr_kv kv[TR_MAX_KV];
	int nkv;
};

struct tr_report {
	unsigned long seq;
	struct tr_line *lines;
	size_t n, cap;
	unsigned long want;	/* lines= of the end line */
};

struct tr_reader {
	struct tr_report cur;	/* being collected */
	struct tr_report last;	/* latest one that ended */
	int have_cur, have_last;
	int oom;
};

/* ------------------------------------------------------------------ */
/* parsing                                                             */

static void tr_line_free(struct tr_line *l)
{
	free(l->orig);
	free(l->buf);
}

static void tr_report_free(struct tr_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		tr_line_free(&r->lines[i]);
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

static const char *tr_get(const struct tr_line *l, const char *key)
{
	int i;

	for (i = 0; i < l->nkv; i++)
		if (!strcmp(l->kv[i].key, key))
			return l->kv[i].val;
	return NULL;
}

/* Parse @msg (text after the prefix, up to but not including a newline).
 * Returns 0, or -1 if it is not a report line (no seq=) or memory ran out.
 */
static int tr_line_parse(const char *msg, size_t len, struct tr_line *l)
{
	char *p, *tok, *save = NULL;
	const char *seq;

	memset(l, 0, sizeof(*l));
	l->orig = strndup(msg, len);
	l->buf = strndup(msg, len);
	if (!l->orig || !l->buf)
		goto bad;
	p = l->buf;
	l->tag = strtok_r(p, " \t\r", &save);
	if (!l->tag)
		goto bad;
	while ((tok = strtok_r(NULL, " \t\r", &save))) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok || l->nkv == TR_MAX_KV)
			continue;
		*eq = '\0';
		l->kv[l->nkv].key = tok;
		l->kv[l->nkv].val = eq + 1;
		l->nkv++;
	}
	seq = tr_get(l, "seq");
	if (!seq || !*seq)
		goto bad;
	l->seq = strtoul(seq, NULL, 10);
	return 0;
bad:
	tr_line_free(l);
	return -1;
}

static int tr_report_add(struct tr_report *r, struct tr_line *l)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct tr_line *n = realloc(r->lines, cap * sizeof(*n));

		if (!n)
			return -1;
		r->lines = n;
		r->cap = cap;
	}
	r->lines[r->n++] = *l;
	return 0;
}

/* Feed one log line; @text is anything that contains the prefix. */
static void tr_feed(struct tr_reader *rd, const char *text, size_t len)
{
	const char *end = text + len, *p;
	struct tr_line l;
	const char *lines;

	p = memmem(text, len, TR_PREFIX, strlen(TR_PREFIX));
	if (!p)
		return;
	p += strlen(TR_PREFIX);
	if (tr_line_parse(p, end - p, &l))
		return;

	if (!strcmp(l.tag, "report")) {
		tr_report_free(&rd->cur);
		rd->cur.seq = l.seq;
		rd->have_cur = 1;
	} else if (!rd->have_cur || l.seq != rd->cur.seq) {
		tr_line_free(&l);
		return;
	}
	if (tr_report_add(&rd->cur, &l)) {
		tr_line_free(&l);
		rd->oom = 1;
		return;
	}
	if (strcmp(l.tag, "end"))
		return;
	lines = tr_get(&l, "lines");
	rd->cur.want = lines ? strtoul(lines, NULL, 10) : 0;
	tr_report_free(&rd->last);
	rd->last = rd->cur;
	rd->have_last = 1;
	memset(&rd->cur, 0, sizeof(rd->cur));
	rd->have_cur = 0;
}

/* Feed every newline-separated line of @buf. */
static void tr_feed_text(struct tr_reader *rd, const char *buf, size_t len)
{
	const char *end = buf + len;

	while (buf < end) {
		const char *nl = memchr(buf, '\n', end - buf);
		size_t n = nl ? (size_t)(nl - buf) : (size_t)(end - buf);

		tr_feed(rd, buf, n);
		buf += n + 1;
	}
}

/* ------------------------------------------------------------------ */
/* log sources                                                         */

/* /dev/kmsg: one record per read, "PRI,SEQ,TS,FLAGS;TEXT\n" followed by
 * " KEY=VALUE" continuation lines.  Non-blocking: stop at EAGAIN.
 */
static int tr_read_kmsg(struct tr_reader *rd)
{
	char *rec;
	int fd, err = 0;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rec = malloc(TR_KMSG_REC);
	if (!rec) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, rec, TR_KMSG_REC - 1);
		char *text, *nl;

		if (n < 0) {
			if (errno == EINTR || errno == EPIPE)
				continue;	/* EPIPE: records overwritten */
			if (errno != EAGAIN)
				err = -errno;
			break;
		}
		if (n == 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		nl = strchr(text, '\n');
		tr_feed(rd, text, nl ? (size_t)(nl - text) : strlen(text));
	}
	free(rec);
	close(fd);
	return err;
}

static int tr_read_klog(struct tr_reader *rd)
{
	int size, n;
	char *buf;

	size = klogctl(TR_SYSLOG_SIZE_BUFFER, NULL, 0);
	if (size < 0)
		return -errno;
	if (size == 0)
		return 0;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	n = klogctl(TR_SYSLOG_READ_ALL, buf, size);
	if (n < 0) {
		n = -errno;
		free(buf);
		return n;
	}
	tr_feed_text(rd, buf, n);
	free(buf);
	return 0;
}

static int tr_read_file(struct tr_reader *rd, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) >= 0)
		tr_feed_text(rd, line, n);
	if (ferror(f))
		err = -EIO;
	free(line);
	if (f != stdin)
		fclose(f);
	return err;
}

/* ------------------------------------------------------------------ */
/* text output                                                         */

static const struct tr_line *tr_find(const struct tr_report *r,
				     const char *tag)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->lines[i].tag, tag))
			return &r->lines[i];
	return NULL;
}

static const char *tr_str(const struct tr_line *l, const char *key)
{
	const char *v = l ? tr_get(l, key) : NULL;

	return v ? v : "?";
}

static unsigned long long tr_u64(const struct tr_line *l, const char *key)
{
	const char *v = l ? tr_get(l, key) : NULL;

	return v ? strtoull(v, NULL, 10) : 0;
}

static int tr_set(const char *v)
{
	return v && strcmp(v, "-") && strcmp(v, "0");
}

static void tr_print_filter(const struct tr_line *f)
{
	const char *pid = f ? tr_get(f, "pid") : NULL;
	const char *tgid = f ? tr_get(f, "tgid") : NULL;
	const char *comm = f ? tr_get(f, "comm") : NULL;
	const char *sep = "";

	fputs("filter:", stdout);
	if (!tr_set(pid) && !tr_set(tgid) && !tr_set(comm)) {
		puts(" none (all tasks)");
		return;
	}
	if (tr_set(pid)) {
		printf(" pid %s", pid);
		sep = ",";
	}
	if (tr_set(tgid)) {
		printf("%s tgid %s", sep, tgid);
		sep = ",";
	}
	if (tr_set(comm))
		printf("%s comm %s", sep, comm);
	puts(" (selects tasks: sends made in softirq or hardirq context are not counted)");
}

static void tr_print_hist(const struct tr_report *r)
{
	const struct tr_line *lat = tr_find(r, "lat");
	unsigned long long samples = tr_u64(lat, "samples");
	unsigned long long max = 0;
	size_t i;

	printf("\n%s latency: %llu samples", lat ? "tcp_sendmsg" : "?", samples);
	if (samples)
		printf(", average %llu ns", tr_u64(lat, "sum_ns") / samples);
	putchar('\n');
	for (i = 0; i < r->n; i++)
		if (!strcmp(r->lines[i].tag, "hist") &&
		    tr_u64(&r->lines[i], "count") > max)
			max = tr_u64(&r->lines[i], "count");
	if (!max)
		return;
	printf("%26s : %-10s distribution\n", "ns", "count");
	for (i = 0; i < r->n; i++) {
		const struct tr_line *h = &r->lines[i];
		unsigned long long c;
		char range[48];
		int stars;

		if (strcmp(h->tag, "hist"))
			continue;
		c = tr_u64(h, "count");
		stars = (int)(c * 40 / max);
		if (c && !stars)
			stars = 1;
		snprintf(range, sizeof(range), "%s -> %s", tr_str(h, "low"),
			 tr_str(h, "high"));
		printf("%26s : %-10llu |%-40.*s|\n", range, c, stars,
		       "****************************************");
	}
}

/* A "top" line of @kind; *other: the line of the tasks beyond the top. */
static int tr_is_top(const struct tr_line *t, const char *kind, int *other)
{
	const char *k = tr_get(t, "kind");
	const char *rank = tr_get(t, "rank");

	*other = rank && !strcmp(rank, "other");
	return !strcmp(t->tag, "top") && k && !strcmp(k, kind);
}

static const struct tr_line *tr_find_kind(const struct tr_report *r,
					  const char *tag, const char *kind)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const char *k = tr_get(&r->lines[i], "kind");

		if (!strcmp(r->lines[i].tag, tag) && k && !strcmp(k, kind))
			return &r->lines[i];
	}
	return NULL;
}

/*
 * Sum the counters a total line names in of=, e.g.
 * "tcp_locked.sendmsg+tcp.sendpage": TAG.NAME is NAME_calls and NAME_bytes
 * of the TAG line, or NAME itself (a count) if the line has no NAME_calls.
 * Returns 0, or -1 if a counter is missing.
 */
static int tr_of_sum(const struct tr_report *r, const char *of,
		     unsigned long long *count, unsigned long long *bytes)
{
	char buf[128], *part, *save = NULL;

	*count = *bytes = 0;
	if (!of || !strcmp(of, "-"))
		return -1;
	snprintf(buf, sizeof(buf), "%s", of);
	for (part = strtok_r(buf, "+", &save); part;
	     part = strtok_r(NULL, "+", &save)) {
		char *dot = strchr(part, '.'), key[64];
		const struct tr_line *l;

		if (!dot)
			return -1;
		*dot++ = '\0';
		l = tr_find(r, part);
		if (!l)
			return -1;
		snprintf(key, sizeof(key), "%s_calls", dot);
		if (tr_get(l, key)) {
			*count += tr_u64(l, key);
			snprintf(key, sizeof(key), "%s_bytes", dot);
			*bytes += tr_u64(l, key);
		} else if (tr_get(l, dot)) {
			*count += tr_u64(l, dot);
		} else {
			return -1;
		}
	}
	return 0;
}

/* "tcp_locked.sendmsg" as the function it counts, for readers. */
static const char *tr_of_name(const char *part)
{
	static const char *const names[][2] = {
		{ "tcp.sendmsg", "tcp_sendmsg" },
		{ "tcp.sendpage", "tcp_sendpage" },
		{ "tcp_locked.sendmsg", "tcp_sendmsg_locked" },
		{ "tcp_locked.sendpage", "do_tcp_sendpages" },
		{ "sched.switches", "context switches" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(part, names[i][0]))
			return names[i][1];
	return part;
}

static void tr_print_total(const struct tr_report *r, const char *kind)
{
	const struct tr_line *t = tr_find_kind(r, "total", kind);
	const char *of = t ? tr_get(t, "of") : NULL;
	unsigned long long count, bytes;
	char buf[128], *part, *save = NULL;
	const char *sep = "";
	int sends = !strcmp(kind, "sends");

	if (!of)
		return;
	printf("  %4s  %-8s %-16s %12s", "", "total", "", tr_str(t, "count"));
	if (sends)
		printf(" %16s", tr_str(t, "bytes"));
	fputs("  = ", stdout);
	snprintf(buf, sizeof(buf), "%s", of);
	for (part = strtok_r(buf, "+", &save); part;
	     part = strtok_r(NULL, "+", &save)) {
		printf("%s%s", sep, tr_of_name(part));
		sep = " + ";
	}
	putchar('\n');
	if (tr_of_sum(r, of, &count, &bytes))
		return;
	if (count != tr_u64(t, "count") || (sends && bytes != tr_u64(t, "bytes")))
		printf("  (the rows and those counters differ by %lld calls, %lld bytes: sends in flight while the report summed; exact in the unload report)\n",
		       (long long)(tr_u64(t, "count") - count),
		       (long long)(tr_u64(t, "bytes") - bytes));
}

static void tr_print_top(const struct tr_report *r, const char *kind)
{
	int sends = !strcmp(kind, "sends");
	int any = 0;
	size_t i;

	if (sends)
		puts("\ntop tasks by bytes sent ([softirq], [hardirq]: sends made in interrupt\n"
		     "context, e.g. krelay's receive fast path, credited to no task)");
	else
		puts("\ntop tasks by context switches (counted for the task switched out)");
	for (i = 0; i < r->n; i++) {
		const struct tr_line *t = &r->lines[i];
		int other;

		if (!tr_is_top(t, kind, &other))
			continue;
		if (!any) {
			if (sends)
				printf("  %4s  %-8s %-16s %12s %16s\n", "RANK",
				       "TGID", "COMM", "CALLS", "BYTES");
			else
				printf("  %4s  %-8s %-16s %12s\n", "RANK",
				       "TGID", "COMM", "SWITCHES");
			any = 1;
		}
		if (tr_get(t, "error")) {
			printf("  (not available: error %s)\n", tr_str(t, "error"));
			continue;
		}
		if (other)
			printf("  %4s  %-8s %-16s %12s", "", "other", "",
			       tr_str(t, "count"));
		else
			printf("  %4s  %-8s %-16s %12s", tr_str(t, "rank"),
			       tr_str(t, "tgid"), tr_str(t, "comm"),
			       tr_str(t, "count"));
		if (sends)
			printf(" %16s", tr_str(t, "bytes"));
		putchar('\n');
	}
	if (!any)
		puts("  (none)");
	tr_print_total(r, kind);
}

static void tr_print_probes(const struct tr_report *r)
{
	size_t i;

	printf("\nprobes\n  %-15s %-10s %-28s %-8s %-9s %s\n", "NAME", "TYPE",
	       "SYMBOL", "TASK", "STATUS", "NMISSED");
	for (i = 0; i < r->n; i++) {
		const struct tr_line *p = &r->lines[i];
		const char *err;

		if (strcmp(p->tag, "probe"))
			continue;
		err = tr_get(p, "error");
		printf("  %-15s %-10s %-28s %-8s %-9s %s", tr_str(p, "name"),
		       tr_str(p, "type"), tr_str(p, "symbol"), tr_str(p, "task"),
		       tr_str(p, "status"), tr_str(p, "nmissed"));
		if (err && strcmp(err, "0"))
			printf("  (error %s)", err);
		putchar('\n');
	}
}

/* The load-time check of the switch probe (kprobes/selftest.h). */
static void tr_print_check(const struct tr_line *c)
{
	const char *st = c ? tr_get(c, "status") : NULL;

	if (!st)
		return;
	if (!strcmp(st, "ok"))
		printf("  switch probe check: ok (%s of the loading task's %s switches counted)\n",
		       tr_str(c, "counted"), tr_str(c, "expected"));
	else if (!strcmp(st, "off"))
		puts("  switch probe check: off (no switch probe registered)");
	else
		printf("  WARNING: the switch probe check failed at load: it counted %s of the\n"
		       "  loading task's %s switches; context-switch counts are not to be trusted\n",
		       tr_str(c, "counted"), tr_str(c, "expected"));
}

static void tr_print_text(const struct tr_report *r)
{
	const struct tr_line *h = tr_find(r, "report");
	const struct tr_line *t = tr_find(r, "tcp");
	const struct tr_line *tl = tr_find(r, "tcp_locked");
	const struct tr_line *s = tr_find(r, "sched");
	unsigned long long ms = tr_u64(h, "elapsed_ms");

	printf("krelay_trace report %s (%s) after %llu.%03llu s", tr_str(h, "seq"),
	       tr_str(h, "reason"), ms / 1000, ms % 1000);
	if (tr_u64(h, "interval_ms"))
		printf(", every %s ms", tr_str(h, "interval_ms"));
	printf(", version %s\n", tr_str(h, "version"));
	tr_print_filter(tr_find(r, "filter"));

	printf("\n  %-18s %12s calls %16s bytes\n", "tcp_sendmsg",
	       tr_str(t, "sendmsg_calls"), tr_str(t, "sendmsg_bytes"));
	printf("  %-18s %12s calls %16s bytes\n", "tcp_sendpage",
	       tr_str(t, "sendpage_calls"), tr_str(t, "sendpage_bytes"));
	if (tl) {
		printf("  %-18s %12s calls %16s bytes  (every TCP send,\n",
		       "tcp_sendmsg_locked", tr_str(tl, "sendmsg_calls"),
		       tr_str(tl, "sendmsg_bytes"));
		printf("  %-18s %12s calls %16s bytes   in-kernel ones too)\n",
		       "do_tcp_sendpages", tr_str(tl, "sendpage_calls"),
		       tr_str(tl, "sendpage_bytes"));
	}
	printf("  %-18s %12s  (every switch, as /proc/stat ctxt counts them)\n",
	       "context switches", tr_str(s, "switches"));
	printf("  %-18s %12s  (%s ones: a task made runnable)\n", "wake-ups",
	       tr_str(s, "wakeups"), tr_str(s, "wakeups_counted"));
	tr_print_check(tr_find(r, "check"));

	tr_print_hist(r);
	tr_print_top(r, "sends");
	tr_print_top(r, "switches");
	tr_print_probes(r);
}

/* ------------------------------------------------------------------ */
/* JSON output                                                         */

/* "-" is null, integers are numbers, anything else a string. */
static struct json_object *tr_json_value(const char *v)
{
	const char *p = v;
	char *end;

	if (!strcmp(v, "-"))
		return NULL;
	if (*p == '-')
		p++;
	if (*p >= '0' && *p <= '9' && p[strspn(p, "0123456789")] == '\0') {
		errno = 0;
		if (*v == '-') {
			long long s = strtoll(v, &end, 10);

			if (!errno)
				return json_object_new_int64(s);
		} else {
			unsigned long long u = strtoull(v, &end, 10);

			if (!errno)
				return json_object_new_uint64(u);
		}
	}
	return json_object_new_string(v);
}

/* Fields of @l except those named in @skip (NULL-terminated) into @o. */
static struct json_object *tr_json_fields(struct json_object *o,
					  const struct tr_line *l,
					  const char *const *skip)
{
	int i;

	if (!o)
		o = json_object_new_object();
	if (!o || !l)
		return o;
	for (i = 0; i < l->nkv; i++) {
		const char *const *s;

		for (s = skip; s && *s; s++)
			if (!strcmp(*s, l->kv[i].key))
				break;
		if (s && *s)
			continue;
		json_object_object_add(o, l->kv[i].key,
				       tr_json_value(l->kv[i].val));
	}
	return o;
}

static struct json_object *tr_json_top(const struct tr_report *r,
				       const char *kind)
{
	static const char *const skip[] = { "seq", "kind", NULL };
	static const char *const skip_other[] = {
		"seq", "kind", "rank", "tgid", "comm", NULL
	};
	struct json_object *o = json_object_new_object();
	struct json_object *tasks = json_object_new_array();
	struct json_object *other = NULL;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct tr_line *t = &r->lines[i];
		int is_other;

		if (!tr_is_top(t, kind, &is_other))
			continue;
		if (is_other)
			other = tr_json_fields(NULL, t, skip_other);
		else
			json_object_array_add(tasks, tr_json_fields(NULL, t, skip));
	}
	json_object_object_add(o, "tasks", tasks);
	json_object_object_add(o, "other", other);
	json_object_object_add(o, "total",
			       tr_json_fields(NULL, tr_find_kind(r, "total", kind),
					      skip));
	return o;
}

static struct json_object *tr_json(const struct tr_report *r)
{
	static const char *const skip_seq[] = { "seq", NULL };
	static const char *const skip_hist[] = { "seq", "name", NULL };
	struct json_object *o, *lat, *hist, *top, *probes;
	size_t i;

	o = tr_json_fields(NULL, tr_find(r, "report"), NULL);
	json_object_object_add(o, "complete",
			       json_object_new_boolean(r->want == r->n));
	json_object_object_add(o, "filter",
			       tr_json_fields(NULL, tr_find(r, "filter"), skip_seq));
	json_object_object_add(o, "tcp",
			       tr_json_fields(NULL, tr_find(r, "tcp"), skip_seq));
	json_object_object_add(o, "tcp_locked",
			       tr_json_fields(NULL, tr_find(r, "tcp_locked"), skip_seq));
	json_object_object_add(o, "sched",
			       tr_json_fields(NULL, tr_find(r, "sched"), skip_seq));
	json_object_object_add(o, "check",
			       tr_json_fields(NULL, tr_find(r, "check"), skip_seq));

	lat = tr_json_fields(NULL, tr_find(r, "lat"), skip_seq);
	hist = json_object_new_array();
	probes = json_object_new_array();
	for (i = 0; i < r->n; i++) {
		const struct tr_line *l = &r->lines[i];

		if (!strcmp(l->tag, "hist"))
			json_object_array_add(hist, tr_json_fields(NULL, l, skip_hist));
		else if (!strcmp(l->tag, "probe"))
			json_object_array_add(probes, tr_json_fields(NULL, l, skip_seq));
	}
	json_object_object_add(lat, "hist", hist);
	json_object_object_add(o, "latency", lat);

	top = json_object_new_object();
	json_object_object_add(top, "sends", tr_json_top(r, "sends"));
	json_object_object_add(top, "switches", tr_json_top(r, "switches"));
	json_object_object_add(o, "top", top);
	json_object_object_add(o, "probes", probes);
	return o;
}

/* ------------------------------------------------------------------ */
/* command line                                                        */

static const char tr_usage[] =
"Usage: userctl [-j [-p]] trace [show] [-f FILE] [-j] [-p]\n"
"       userctl trace raw [-f FILE]\n"
"       userctl trace help\n"
"\n"
"Print the latest report of the krelay_trace kernel module, read from the\n"
"kernel log (/dev/kmsg, else klogctl; needs root or CAP_SYSLOG).\n"
"krelay_trace reports every interval_ms (module parameter) and on unload.\n"
"\n"
"  show       the latest report, readable (default)\n"
"  raw        the latest report's lines as logged\n"
"  -j         JSON (-p: indented)\n"
"  -f FILE    read a saved kernel log (dmesg output) instead; - is stdin\n";

/* Say why there is no report: not loaded, or loaded but not reported yet. */
static void tr_no_report(const char *file)
{
	char ms[32] = "";
	FILE *f;

	if (file) {
		fprintf(stderr, "userctl: trace: no krelay_trace report in %s\n", file);
		return;
	}
	f = fopen("/sys/module/krelay_trace/parameters/interval_ms", "r");
	if (!f) {
		fputs("userctl: trace: no krelay_trace report in the kernel log; is krelay_trace loaded?\n",
		      stderr);
		return;
	}
	if (!fgets(ms, sizeof(ms), f))
		ms[0] = '\0';
	fclose(f);
	ms[strcspn(ms, "\n")] = '\0';
	if (!strcmp(ms, "0"))
		fputs("userctl: trace: krelay_trace is loaded with interval_ms=0: it reports only when unloaded (rmmod krelay_trace)\n",
		      stderr);
	else
		fprintf(stderr, "userctl: trace: krelay_trace has not reported yet (it reports every %s ms)\n",
			ms[0] ? ms : "interval_ms");
}

/* True if @arg is a non-empty prefix of @word (iproute2 style). */
static int tr_is(const char *arg, const char *word)
{
	size_t n = strlen(arg);

	return n && n <= strlen(word) && !strncmp(arg, word, n);
}

enum tr_cmd { TR_SHOW, TR_RAW };

int trace_main(int argc, char **argv, const struct trace_opts *opts)
{
	struct trace_opts o = *opts;
	enum tr_cmd cmd = TR_SHOW;
	struct tr_reader rd;
	const char *file = NULL;
	int i = 1, err, ret = 0;
	size_t k;

	if (i < argc && argv[i][0] != '-') {
		if (tr_is(argv[i], "show")) {
			cmd = TR_SHOW;
		} else if (tr_is(argv[i], "raw")) {
			cmd = TR_RAW;
		} else if (tr_is(argv[i], "help")) {
			fputs(tr_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "userctl: trace: unknown command '%s' (try \"userctl trace help\")\n",
				argv[i]);
			return 2;
		}
		i++;
	}
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			o.json = 1;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			o.pretty = 1;
		} else if (!strcmp(a, "-jp") || !strcmp(a, "-pj")) {
			o.json = o.pretty = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(tr_usage, stdout);
			return 0;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
			if (++i == argc) {
				fprintf(stderr, "userctl: trace: %s needs a FILE\n", a);
				return 2;
			}
			file = argv[i];
		} else {
			fprintf(stderr, "userctl: trace: unknown argument '%s' (try \"userctl trace help\")\n",
				a);
			return 2;
		}
	}

	memset(&rd, 0, sizeof(rd));
	if (file) {
		err = tr_read_file(&rd, file);
		if (err) {
			fprintf(stderr, "userctl: trace: cannot read %s: %s\n",
				file, strerror(-err));
			ret = 1;
			goto out;
		}
	} else {
		err = tr_read_kmsg(&rd);
		if (err) {
			/* no /dev/kmsg, or not allowed: try syslog(2) */
			tr_report_free(&rd.cur);
			tr_report_free(&rd.last);
			memset(&rd, 0, sizeof(rd));
			err = tr_read_klog(&rd);
		}
		if (err) {
			fprintf(stderr, "userctl: trace: cannot read the kernel log: %s%s\n",
				strerror(-err),
				err == -EPERM || err == -EACCES ?
				" (needs root or CAP_SYSLOG)" : "");
			ret = 1;
			goto out;
		}
	}
	if (rd.oom) {
		fputs("userctl: trace: out of memory\n", stderr);
		ret = 1;
		goto out;
	}
	if (!rd.have_last) {
		tr_no_report(file);
		ret = 1;
		goto out;
	}
	if (tr_find(&rd.last, "check") &&
	    !strcmp(tr_str(tr_find(&rd.last, "check"), "status"), "failed"))
		fprintf(stderr, "userctl: trace: warning: the switch probe failed its load-time check; context-switch counts are not to be trusted\n");
	if (rd.last.want != rd.last.n)
		fprintf(stderr, "userctl: trace: warning: report %lu has %zu of its %lu lines (kernel log overrun?)\n",
			rd.last.seq, rd.last.n, rd.last.want);

	if (cmd == TR_RAW) {
		for (k = 0; k < rd.last.n; k++)
			printf(TR_PREFIX "%s\n", rd.last.lines[k].orig);
	} else if (o.json) {
		struct json_object *j = tr_json(&rd.last);
		int f = JSON_C_TO_STRING_NOSLASHESCAPE;

		f |= o.pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
				JSON_C_TO_STRING_PLAIN;
		puts(json_object_to_json_string_ext(j, f));
		json_object_put(j);
	} else {
		tr_print_text(&rd.last);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "userctl: trace: write error: %s\n", strerror(errno));
		ret = 1;
	}
out:
	tr_report_free(&rd.cur);
	tr_report_free(&rd.last);
	return ret;
}
