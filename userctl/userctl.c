// SPDX-License-Identifier: GPL-2.0
/*
 * userctl - control tool of krelay, the in-kernel TCP relay.
 *
 * This file runs what cmdline.c parsed and prints the results, as aligned
 * tables or as JSON (json-c).  Talking to the kernel is lib/krelay_nl.c's job.
 *
 * Exit codes: 0 success, 1 runtime error (the kernel refused, the module is
 * not loaded, ...), 2 usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include <linux/krelay.h>

#include "lib/krelay_nl.h"
#include "cmdline.h"
#include "config.h"
#include "parse.h"
#include "trace.h"

#ifndef USERCTL_VERSION
#define USERCTL_VERSION "unknown"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* How often a dump flagged "interrupted" is repeated before we settle. */
#define DUMP_RETRIES 3

static struct uc_opts opts;

/* ------------------------------------------------------------------ */
/* errors                                                              */

__attribute__((format(printf, 1, 2)))
static int runtime_error(const char *fmt, ...)
{
	va_list ap;

	fputs("userctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void ref_str(const struct krelay_rule_ref *ref, char *buf, size_t len)
{
	if (ref->id)
		snprintf(buf, len, "id %u", ref->id);
	else
		fmt_endpoint(&ref->listen, buf, len);
}

/*
 * Report a failed request: "userctl: CTX[ RULE]: MESSAGE (strerror)".  The
 * rule is named unless the kernel's message already does.
 */
static int kernel_error(struct krelay_handle *h, const char *ctx,
			const char *rule, int cmd, int err)
{
	const char *msg = krelay_ext_msg(h);
	const char *attr = krelay_ext_attr(h);
	const char *sentence = krelay_strerror(cmd, err);
	char what[160];

	if (err == -EINTR)
		err = -EAGAIN;
	if (rule && *rule && !(msg && strstr(msg, rule)))
		snprintf(what, sizeof(what), "%s %s", ctx, rule);
	else
		snprintf(what, sizeof(what), "%s", ctx);

	if (msg)
		return runtime_error("%s: %s (%s)", what, msg, strerror(-err));
	if (attr)
		return runtime_error("%s: invalid %s (%s)", what, attr,
				     strerror(-err));
	if (sentence)
		return runtime_error("%s: %s (%s)", what, sentence,
				     strerror(-err));
	return runtime_error("%s: %s", what, strerror(-err));
}

/* ------------------------------------------------------------------ */
/* growable arrays                                                     */

struct vec {
	void *data;
	size_t n, cap, size;
};

static int vec_push(struct vec *v, const void *item)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		void *d = realloc(v->data, cap * v->size);

		if (!d)
			return -ENOMEM;
		v->data = d;
		v->cap = cap;
	}
	memcpy((char *)v->data + v->n * v->size, item, v->size);
	v->n++;
	return 0;
}

static void vec_free(struct vec *v)
{
	free(v->data);
	v->data = NULL;
	v->n = v->cap = 0;
}

/* ------------------------------------------------------------------ */
/* tables                                                              */

struct column {
	const char *title;
	int right;		/* right-aligned (numbers) */
};

typedef void (*cell_fn)(const void *row, size_t col, char *buf, size_t len);
/* An optional line printed under a row (empty: none). */
typedef void (*extra_fn)(const void *row, char *buf, size_t len);

#define CELL_MAX 4096

/* Two passes over the rows: widths first, then the text; nothing stored. */
static void print_table_x(const struct column *cols, size_t ncols,
			  const void *rows, size_t nrows, size_t stride,
			  cell_fn cell, extra_fn extra)
{
	size_t width[32] = { 0 };
	char buf[CELL_MAX];
	size_t r, c;

	if (!nrows || ncols > ARRAY_SIZE(width))
		return;
	for (c = 0; c < ncols; c++)
		width[c] = strlen(cols[c].title);
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			size_t l;

			cell((const char *)rows + r * stride, c, buf, sizeof(buf));
			l = strlen(buf);
			if (l > width[c])
				width[c] = l;
		}
	}

	for (r = 0; r <= nrows; r++) {
		for (c = 0; c < ncols; c++) {
			const char *text = buf;
			int w = (int)width[c];
			int last = c + 1 == ncols;

			if (r == 0)
				text = cols[c].title;
			else
				cell((const char *)rows + (r - 1) * stride, c, buf,
				     sizeof(buf));
			if (c)
				fputs("  ", stdout);
			if (cols[c].right)
				printf("%*s", w, text);
			else if (last)
				fputs(text, stdout);
			else
				printf("%-*s", w, text);
		}
		putchar('\n');
		if (r && extra) {
			extra((const char *)rows + (r - 1) * stride, buf,
			      sizeof(buf));
			if (buf[0])
				printf("    %s\n", buf);
		}
	}
}

static void print_table(const struct column *cols, size_t ncols,
			const void *rows, size_t nrows, size_t stride,
			cell_fn cell)
{
	print_table_x(cols, ncols, rows, nrows, stride, cell, NULL);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

static int json_flags(void)
{
	int f = JSON_C_TO_STRING_NOSLASHESCAPE;

	if (opts.pretty)
		f |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
	else
		f |= JSON_C_TO_STRING_PLAIN;
	return f;
}

static void json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, json_flags()));
}

/* Print @o as an element of a streamed array (see conn list). */
static void json_print_element(struct json_object *o, int first)
{
	const char *s = json_object_to_json_string_ext(o, json_flags());

	if (!first)
		putchar(',');
	if (!opts.pretty) {
		fputs(s, stdout);
		return;
	}
	fputs("\n  ", stdout);
	/* JSON text has no raw newlines inside strings: indent every line. */
	for (; *s; s++) {
		putchar(*s);
		if (*s == '\n')
			fputs("  ", stdout);
	}
}

static void json_add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void json_add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* ------------------------------------------------------------------ */
/* names                                                               */

static const struct stat_desc {
	const char *name;
	size_t off;
	int bytes;
} stat_descs[] = {
	{ "accepted",		offsetof(struct krelay_stats, accepted), 0 },
	{ "active",		offsetof(struct krelay_stats, active), 0 },
	{ "failed",		offsetof(struct krelay_stats, failed), 0 },
	{ "closed",		offsetof(struct krelay_stats, closed), 0 },
	{ "reset",		offsetof(struct krelay_stats, reset), 0 },
	{ "connect_timeout",	offsetof(struct krelay_stats, connect_timeout), 0 },
	{ "connect_refused",	offsetof(struct krelay_stats, connect_refused), 0 },
	{ "idle_timeout",	offsetof(struct krelay_stats, idle_timeout), 0 },
	{ "aborted",		offsetof(struct krelay_stats, aborted), 0 },
	{ "denied",		offsetof(struct krelay_stats, denied), 0 },
	{ "failovers",		offsetof(struct krelay_stats, failovers), 0 },
	{ "fast_passes",	offsetof(struct krelay_stats, fast_passes), 0 },
	{ "work_runs",		offsetof(struct krelay_stats, work_runs), 0 },
	{ "bytes_to_backend",	offsetof(struct krelay_stats, bytes_to_backend), 1 },
	{ "bytes_to_client",	offsetof(struct krelay_stats, bytes_to_client), 1 },
	{ "bytes_zerocopy",	offsetof(struct krelay_stats, bytes_zerocopy), 1 },
	{ "bytes_copied",	offsetof(struct krelay_stats, bytes_copied), 1 },
};

static uint64_t stat_val(const struct krelay_stats *s, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)s + stat_descs[i].off, sizeof(v));
	return v;
}

static void mode_str(uint8_t mode, char *buf, size_t len)
{
	if (mode == KRELAY_MODE_SPLICE)
		snprintf(buf, len, "splice");
	else if (mode == KRELAY_MODE_COPY)
		snprintf(buf, len, "copy");
	else
		snprintf(buf, len, "mode%u", (unsigned int)mode);
}

static void state_str(uint8_t state, char *buf, size_t len)
{
	static const char *const names[] = {
		[KRELAY_CONN_CONNECTING]	= "connecting",
		[KRELAY_CONN_ESTABLISHED]	= "established",
		[KRELAY_CONN_HALF_CLOSED]	= "half-closed",
		[KRELAY_CONN_CLOSING]		= "closing",
	};

	if (state < ARRAY_SIZE(names) && names[state])
		snprintf(buf, len, "%s", names[state]);
	else
		snprintf(buf, len, "state%u", (unsigned int)state);
}

/* ------------------------------------------------------------------ */
/* rules                                                               */

static struct json_object *json_stats(const struct krelay_stats *s)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stat_descs); i++)
		json_add_u64(o, stat_descs[i].name, stat_val(s, i));
	return o;
}

static const char *backend_state_name(const struct krelay_backend *b)
{
	if (!b->has_state)
		return "-";
	return b->state == KRELAY_BACKEND_DOWN ? "down" : "up";
}

static struct json_object *json_backend(const struct krelay_backend *b)
{
	struct json_object *o = json_object_new_object();
	char buf[64];

	fmt_endpoint(&b->addr, buf, sizeof(buf));
	json_add_str(o, "address", buf);
	json_add_u64(o, "weight", b->weight ? b->weight : 1);
	if (b->has_state) {
		json_add_str(o, "state", backend_state_name(b));
		json_add_u64(o, "down_ms", b->down_ms);
		json_add_u64(o, "conns", b->conns);
		json_add_u64(o, "failed", b->failed);
		json_add_u64(o, "active", b->active);
		json_add_u64(o, "bytes_to_backend", b->bytes_to_backend);
		json_add_u64(o, "bytes_to_client", b->bytes_to_client);
	}
	return o;
}

static struct json_object *json_acl(const struct krelay_acl *acl)
{
	struct json_object *a = json_object_new_array();
	char buf[64];
	size_t i;

	for (i = 0; i < acl->n; i++) {
		struct json_object *o = json_object_new_object();

		json_add_str(o, "action", acl_action_name(acl->e[i].action));
		fmt_prefix(&acl->e[i], buf, sizeof(buf));
		json_add_str(o, "prefix", buf);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *json_rule(const struct krelay_rule *r)
{
	struct json_object *o = json_object_new_object();
	char buf[64];
	size_t i;

	json_add_u64(o, "id", r->id);
	if (r->present & KRELAY_RULE_F_LISTEN) {
		fmt_endpoint(&r->listen, buf, sizeof(buf));
		json_add_str(o, "listen", buf);
	}
	if (r->present & KRELAY_RULE_F_BACKEND) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < r->nbackends; i++)
			json_object_array_add(a, json_backend(&r->backends[i]));
		json_object_object_add(o, "backends", a);
	}
	if (r->present & KRELAY_RULE_F_SCHED)
		json_add_str(o, "sched", sched_name(r->sched));
	if (r->present & KRELAY_RULE_F_HOLDDOWN)
		json_add_u64(o, "holddown_ms", r->holddown_ms);
	if (r->present & KRELAY_RULE_F_MODE) {
		mode_str(r->mode, buf, sizeof(buf));
		json_add_str(o, "mode", buf);
	}
	if (r->present & KRELAY_RULE_F_CONNECT_TIMEOUT)
		json_add_u64(o, "connect_timeout_ms", r->connect_timeout_ms);
	if (r->present & KRELAY_RULE_F_IDLE_TIMEOUT)
		json_add_u64(o, "idle_timeout_ms", r->idle_timeout_ms);
	if (r->present & KRELAY_RULE_F_BACKLOG)
		json_add_u64(o, "backlog", r->backlog);
	if ((r->present & KRELAY_RULE_F_SOURCE) && r->source.family) {
		fmt_addr_port(&r->source, buf, sizeof(buf));
		json_add_str(o, "src", buf);
	}
	if (r->present & KRELAY_RULE_F_MARK)
		json_add_u64(o, "mark", r->mark);
	if (r->present & KRELAY_RULE_F_KEEPALIVE)
		json_add_u64(o, "keepalive_s", r->keepalive_s);
	if (r->present & KRELAY_RULE_F_ACL)
		json_object_object_add(o, "acl", json_acl(&r->acl));
	if (r->present & KRELAY_RULE_F_STATS)
		json_object_object_add(o, "stats", json_stats(&r->stats));
	return o;
}

/* Options of a rule that have no column, in "rule add" syntax. */
static void rule_extra(const void *row, char *buf, size_t len)
{
	const struct krelay_rule *r = row;
	char v[64];
	size_t used = 0, i;

#define ADD(...) do { \
		int n_ = snprintf(buf + used, len - used, __VA_ARGS__); \
		if (n_ < 0 || (size_t)n_ >= len - used) \
			return; \
		used += (size_t)n_; \
	} while (0)
	buf[0] = '\0';
	if ((r->present & KRELAY_RULE_F_HOLDDOWN) &&
	    r->holddown_ms != UC_DEFAULT_HOLDDOWN) {
		fmt_duration_ms(r->holddown_ms, v, sizeof(v));
		ADD("%sholddown %s", used ? " " : "", v);
	}
	if ((r->present & KRELAY_RULE_F_SOURCE) && r->source.family) {
		fmt_addr_port(&r->source, v, sizeof(v));
		ADD("%ssrc %s", used ? " " : "", v);
	}
	if ((r->present & KRELAY_RULE_F_MARK) && r->mark)
		ADD("%smark %u", used ? " " : "", r->mark);
	if ((r->present & KRELAY_RULE_F_KEEPALIVE) && r->keepalive_s)
		ADD("%skeepalive %u", used ? " " : "", r->keepalive_s);
	if (r->present & KRELAY_RULE_F_ACL) {
		for (i = 0; i < r->acl.n; i++) {
			fmt_prefix(&r->acl.e[i], v, sizeof(v));
			ADD("%s%s %s", used ? " " : "",
			    acl_action_name(r->acl.e[i].action), v);
		}
	}
#undef ADD
}

enum {
	RC_ID, RC_LISTEN, RC_BACKEND, RC_MODE, RC_SCHED, RC_CONNECT, RC_IDLE,
	RC_BACKLOG, RC_ACCEPTED, RC_ACTIVE, RC_FAILED, RC_DENIED, RC_BYTES_IN,
	RC_BYTES_OUT,
};

static const struct column rule_cols[] = {
	[RC_ID]		= { "ID", 1 },
	[RC_LISTEN]	= { "LISTEN", 0 },
	[RC_BACKEND]	= { "BACKENDS", 0 },
	[RC_MODE]	= { "MODE", 0 },
	[RC_SCHED]	= { "SCHED", 0 },
	[RC_CONNECT]	= { "CONNECT_TIMEOUT", 1 },
	[RC_IDLE]	= { "IDLE_TIMEOUT", 1 },
	[RC_BACKLOG]	= { "BACKLOG", 1 },
	[RC_ACCEPTED]	= { "ACCEPTED", 1 },
	[RC_ACTIVE]	= { "ACTIVE", 1 },
	[RC_FAILED]	= { "FAILED", 1 },
	[RC_DENIED]	= { "DENIED", 1 },
	[RC_BYTES_IN]	= { "BYTES_IN", 1 },
	[RC_BYTES_OUT]	= { "BYTES_OUT", 1 },
};

static void rule_cell(const void *row, size_t col, char *buf, size_t len)
{
	const struct krelay_rule *r = row;

	buf[0] = '\0';
	switch (col) {
	case RC_ID:
		snprintf(buf, len, "%u", r->id);
		break;
	case RC_LISTEN:
		fmt_endpoint(&r->listen, buf, len);
		break;
	case RC_BACKEND:
		fmt_backends(r, 1, buf, len);
		break;
	case RC_MODE:
		if (r->present & KRELAY_RULE_F_MODE)
			mode_str(r->mode, buf, len);
		break;
	case RC_SCHED:
		if (r->present & KRELAY_RULE_F_SCHED)
			snprintf(buf, len, "%s", sched_name(r->sched));
		break;
	case RC_CONNECT:
		if (r->present & KRELAY_RULE_F_CONNECT_TIMEOUT)
			fmt_duration_ms(r->connect_timeout_ms, buf, len);
		break;
	case RC_IDLE:
		if (!(r->present & KRELAY_RULE_F_IDLE_TIMEOUT))
			break;
		if (r->idle_timeout_ms)
			fmt_duration_ms(r->idle_timeout_ms, buf, len);
		else
			snprintf(buf, len, "off");
		break;
	case RC_BACKLOG:
		if (r->present & KRELAY_RULE_F_BACKLOG)
			snprintf(buf, len, "%u", r->backlog);
		break;
	case RC_ACCEPTED:
		fmt_bytes(r->stats.accepted, 0, buf, len);
		break;
	case RC_ACTIVE:
		fmt_bytes(r->stats.active, 0, buf, len);
		break;
	case RC_FAILED:
		fmt_bytes(r->stats.failed, 0, buf, len);
		break;
	case RC_DENIED:
		fmt_bytes(r->stats.denied, 0, buf, len);
		break;
	case RC_BYTES_IN:
		fmt_bytes(r->stats.bytes_to_backend, opts.human, buf, len);
		break;
	case RC_BYTES_OUT:
		fmt_bytes(r->stats.bytes_to_client, opts.human, buf, len);
		break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void print_rules(const struct krelay_rule *rules, size_t n)
{
	size_t i;

	if (opts.json) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < n; i++)
			json_object_array_add(a, json_rule(&rules[i]));
		json_print(a);
		json_object_put(a);
		return;
	}
	print_table_x(rule_cols, opts.stats ? ARRAY_SIZE(rule_cols) :
		      RC_BACKLOG + 1, rules, n, sizeof(*rules), rule_cell,
		      rule_extra);
}

static int rule_cmp(const void *a, const void *b)
{
	const struct krelay_rule *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int collect_rule(const struct krelay_rule *r, void *arg)
{
	return vec_push(arg, r);
}

/* Every rule of the netns, sorted by id.  Retries interrupted dumps. */
static int get_rules(struct krelay_handle *h, struct vec *v)
{
	int tries = 0, ret;

	do {
		vec_free(v);
		v->size = sizeof(struct krelay_rule);
		ret = krelay_rule_dump(h, collect_rule, v);
	} while (ret == -EINTR && ++tries < DUMP_RETRIES);
	if (ret == -EINTR)
		ret = 0;	/* settle for the last, best-effort view */
	if (!ret && v->n)
		qsort(v->data, v->n, v->size, rule_cmp);
	return ret;
}

static int do_rule_add(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	struct krelay_rule out;
	char listen[64];
	int ret;

	fmt_endpoint(&cmd->rule.listen, listen, sizeof(listen));
	ret = krelay_rule_add(h, &cmd->rule, &out);
	if (ret)
		return kernel_error(h, "rule add", listen, KRELAY_CMD_RULE_NEW,
				    ret);
	if (opts.json) {
		struct json_object *o = json_rule(&out);

		json_print(o);
		json_object_put(o);
	} else {
		print_table_x(rule_cols, RC_BACKLOG + 1, &out, 1, sizeof(out),
			      rule_cell, rule_extra);
	}
	return 0;
}

static int do_rule_del(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	char rule[64];
	int ret;

	ref_str(&cmd->ref, rule, sizeof(rule));
	ret = krelay_rule_del(h, &cmd->ref);
	if (ret)
		return kernel_error(h, "rule del", rule, KRELAY_CMD_RULE_DEL,
				    ret);
	return 0;
}

static int do_rule_set(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	char rule[64];
	int ret;

	ref_str(&cmd->ref, rule, sizeof(rule));
	ret = krelay_rule_set(h, &cmd->ref, &cmd->rule);
	if (ret)
		return kernel_error(h, "rule set", rule, KRELAY_CMD_RULE_SET,
				    ret);
	return 0;
}

/* The rule cmd->ref names, or the kernel's error reported for @ctx. */
static int get_named_rule(struct krelay_handle *h,
			  const struct userctl_cmd *cmd, const char *ctx,
			  struct krelay_rule *r)
{
	char rule[64];
	int ret;

	ret = krelay_rule_get(h, &cmd->ref, r);
	if (!ret)
		return 0;
	ref_str(&cmd->ref, rule, sizeof(rule));
	return kernel_error(h, ctx, rule, KRELAY_CMD_RULE_GET, ret);
}

static int do_rule_list(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	struct vec v = { .size = sizeof(struct krelay_rule) };
	int ret;

	if (cmd->has_ref) {
		struct krelay_rule r;

		ret = get_named_rule(h, cmd, "rule list", &r);
		if (ret)
			return ret;
		print_rules(&r, 1);
		return 0;
	}

	ret = get_rules(h, &v);
	if (ret) {
		vec_free(&v);
		return kernel_error(h, "rule list", NULL, KRELAY_CMD_RULE_GET,
				    ret);
	}
	print_rules(v.data, v.n);
	vec_free(&v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* stats                                                               */

static void print_stats_block(const struct krelay_stats *s)
{
	char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stat_descs); i++) {
		fmt_bytes(stat_val(s, i), stat_descs[i].bytes && opts.human,
			  buf, sizeof(buf));
		printf("  %-18s %s\n", stat_descs[i].name, buf);
	}
}

static void print_rule_stats(const struct krelay_rule *r)
{
	char l[64], b[CELL_MAX];

	fmt_endpoint(&r->listen, l, sizeof(l));
	fmt_backends(r, 1, b, sizeof(b));
	printf("rule %u: %s -> %s\n", r->id, l, b);
	print_stats_block(&r->stats);
}

static int do_stats(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	struct vec v = { .size = sizeof(struct krelay_rule) };
	struct krelay_totals t;
	const struct krelay_rule *rules;
	size_t i;
	int ret;

	if (cmd->has_ref) {
		struct krelay_rule r;

		ret = get_named_rule(h, cmd, "stats", &r);
		if (ret)
			return ret;
		if (opts.json) {
			struct json_object *o = json_rule(&r);

			json_print(o);
			json_object_put(o);
		} else {
			print_rule_stats(&r);
		}
		return 0;
	}

	ret = krelay_stats_get(h, &t);
	if (ret)
		return kernel_error(h, "stats", NULL, KRELAY_CMD_STATS_GET, ret);
	ret = get_rules(h, &v);
	if (ret) {
		vec_free(&v);
		return kernel_error(h, "stats", NULL, KRELAY_CMD_RULE_GET, ret);
	}
	rules = v.data;
	if (!t.has_rule_count)
		t.rule_count = (uint32_t)v.n;

	if (opts.json) {
		struct json_object *o = json_object_new_object();
		struct json_object *a = json_object_new_array();

		json_add_u64(o, "rule_count", t.rule_count);
		json_object_object_add(o, "totals", json_stats(&t.stats));
		for (i = 0; i < v.n; i++)
			json_object_array_add(a, json_rule(&rules[i]));
		json_object_object_add(o, "rules", a);
		json_print(o);
		json_object_put(o);
	} else {
		printf("total: %u rule%s\n", t.rule_count,
		       t.rule_count == 1 ? "" : "s");
		print_stats_block(&t.stats);
		for (i = 0; i < v.n; i++)
			print_rule_stats(&rules[i]);
	}
	vec_free(&v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* connections                                                         */

enum {
	CC_ID, CC_RULE, CC_CLIENT, CC_BACKEND, CC_STATE, CC_TO_BACKEND,
	CC_TO_CLIENT, CC_AGE, CC_IDLE,
};

static const struct column conn_cols[] = {
	[CC_ID]		= { "ID", 1 },
	[CC_RULE]	= { "RULE", 1 },
	[CC_CLIENT]	= { "CLIENT", 0 },
	[CC_BACKEND]	= { "BACKEND", 0 },
	[CC_STATE]	= { "STATE", 0 },
	[CC_TO_BACKEND]	= { "TO_BACKEND", 1 },
	[CC_TO_CLIENT]	= { "TO_CLIENT", 1 },
	[CC_AGE]	= { "AGE", 1 },
	[CC_IDLE]	= { "IDLE", 1 },
};

static void conn_cell(const void *row, size_t col, char *buf, size_t len)
{
	const struct krelay_conn *c = row;

	buf[0] = '\0';
	switch (col) {
	case CC_ID:
		snprintf(buf, len, "%llu", (unsigned long long)c->id);
		break;
	case CC_RULE:
		snprintf(buf, len, "%u", c->rule_id);
		break;
	case CC_CLIENT:
		if (c->has_client)
			fmt_endpoint(&c->client, buf, len);
		break;
	case CC_BACKEND:
		if (c->has_backend)
			fmt_endpoint(&c->backend, buf, len);
		break;
	case CC_STATE:
		state_str(c->state, buf, len);
		break;
	case CC_TO_BACKEND:
		fmt_bytes(c->bytes_to_backend, opts.human, buf, len);
		break;
	case CC_TO_CLIENT:
		fmt_bytes(c->bytes_to_client, opts.human, buf, len);
		break;
	case CC_AGE:
		fmt_age_ms(c->age_ms, buf, len);
		break;
	case CC_IDLE:
		fmt_age_ms(c->idle_ms, buf, len);
		break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static struct json_object *json_conn(const struct krelay_conn *c)
{
	struct json_object *o = json_object_new_object();
	char buf[64];

	json_add_u64(o, "id", c->id);
	json_add_u64(o, "rule_id", c->rule_id);
	if (c->has_client) {
		fmt_endpoint(&c->client, buf, sizeof(buf));
		json_add_str(o, "client", buf);
	}
	if (c->has_backend) {
		fmt_endpoint(&c->backend, buf, sizeof(buf));
		json_add_str(o, "backend", buf);
	}
	state_str(c->state, buf, sizeof(buf));
	json_add_str(o, "state", buf);
	json_add_u64(o, "bytes_to_backend", c->bytes_to_backend);
	json_add_u64(o, "bytes_to_client", c->bytes_to_client);
	json_add_u64(o, "age_ms", c->age_ms);
	json_add_u64(o, "idle_ms", c->idle_ms);
	return o;
}

static int conn_cmp(const void *a, const void *b)
{
	const struct krelay_conn *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int collect_conn(const struct krelay_conn *c, void *arg)
{
	return vec_push(arg, c);
}

static int count_conn(const struct krelay_conn *c, void *arg)
{
	(void)c;
	++*(uint64_t *)arg;
	return 0;
}

/* The rule id the command names, 0 for none; looks a listen address up. */
static int resolve_rule(struct krelay_handle *h, const struct userctl_cmd *cmd,
			const char *ctx, uint32_t *id)
{
	struct krelay_rule r;
	char rule[64];
	int ret;

	*id = 0;
	if (!cmd->has_ref)
		return 0;
	if (cmd->ref.id) {
		*id = cmd->ref.id;
		return 0;
	}
	ret = krelay_rule_get(h, &cmd->ref, &r);
	if (ret) {
		ref_str(&cmd->ref, rule, sizeof(rule));
		return kernel_error(h, ctx, rule, KRELAY_CMD_RULE_GET, ret);
	}
	*id = r.id;
	return 0;
}

static void warn_interrupted(void)
{
	fprintf(stderr,
		"userctl: warning: connections changed during the dump; the list may be inconsistent\n");
}

static int do_conn_list(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	struct vec v = { .size = sizeof(struct krelay_conn) };
	const struct krelay_conn *conns;
	uint32_t rule_id;
	int tries = 0, ret;
	size_t i;

	if (resolve_rule(h, cmd, "conn list", &rule_id))
		return 1;
	do {
		vec_free(&v);
		v.size = sizeof(struct krelay_conn);
		ret = krelay_conn_dump(h, rule_id, collect_conn, &v);
	} while (ret == -EINTR && ++tries < DUMP_RETRIES);
	if (ret == -EINTR) {
		warn_interrupted();
		ret = 0;
	}
	if (ret) {
		vec_free(&v);
		return kernel_error(h, "conn list", NULL, KRELAY_CMD_CONN_GET,
				    ret);
	}
	if (v.n)
		qsort(v.data, v.n, v.size, conn_cmp);
	conns = v.data;

	if (opts.json) {
		/* Streamed: 100k objects at once would cost a lot of memory. */
		putchar('[');
		for (i = 0; i < v.n; i++) {
			struct json_object *o = json_conn(&conns[i]);

			json_print_element(o, i == 0);
			json_object_put(o);
		}
		if (opts.pretty && v.n)
			putchar('\n');
		puts("]");
	} else {
		print_table(conn_cols, ARRAY_SIZE(conn_cols), conns, v.n,
			    sizeof(*conns), conn_cell);
	}
	vec_free(&v);
	return 0;
}

static int do_conn_count(struct krelay_handle *h,
			 const struct userctl_cmd *cmd)
{
	uint32_t rule_id;
	uint64_t n;
	int tries = 0, ret;

	if (resolve_rule(h, cmd, "conn count", &rule_id))
		return 1;
	do {
		n = 0;
		ret = krelay_conn_dump(h, rule_id, count_conn, &n);
	} while (ret == -EINTR && ++tries < DUMP_RETRIES);
	if (ret == -EINTR) {
		warn_interrupted();
		ret = 0;
	}
	if (ret)
		return kernel_error(h, "conn count", NULL, KRELAY_CMD_CONN_GET,
				    ret);
	if (opts.json) {
		struct json_object *o = json_object_new_object();

		json_add_u64(o, "count", n);
		json_print(o);
		json_object_put(o);
	} else {
		printf("%llu\n", (unsigned long long)n);
	}
	return 0;
}

static int do_conn_kill(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	char what[32];
	int ret;

	snprintf(what, sizeof(what), "%llu", (unsigned long long)cmd->conn_id);
	ret = krelay_conn_kill(h, cmd->conn_id);
	if (ret)
		return kernel_error(h, "conn kill", what, KRELAY_CMD_CONN_DEL,
				    ret);
	return 0;
}

/* ------------------------------------------------------------------ */
/* backends                                                            */

struct backend_row {
	uint32_t rule_id;
	struct krelay_endpoint listen;
	struct krelay_backend b;
};

enum {
	BC_RULE, BC_LISTEN, BC_BACKEND, BC_WEIGHT, BC_STATE, BC_DOWN, BC_CONNS,
	BC_FAILED, BC_ACTIVE, BC_TO_BACKEND, BC_TO_CLIENT,
};

static const struct column backend_cols[] = {
	[BC_RULE]	= { "RULE", 1 },
	[BC_LISTEN]	= { "LISTEN", 0 },
	[BC_BACKEND]	= { "BACKEND", 0 },
	[BC_WEIGHT]	= { "WEIGHT", 1 },
	[BC_STATE]	= { "STATE", 0 },
	[BC_DOWN]	= { "HOLDDOWN_LEFT", 1 },
	[BC_CONNS]	= { "CONNS", 1 },
	[BC_FAILED]	= { "FAILED", 1 },
	[BC_ACTIVE]	= { "ACTIVE", 1 },
	[BC_TO_BACKEND]	= { "TO_BACKEND", 1 },
	[BC_TO_CLIENT]	= { "TO_CLIENT", 1 },
};

static void backend_cell(const void *row, size_t col, char *buf, size_t len)
{
	const struct backend_row *br = row;
	const struct krelay_backend *b = &br->b;

	buf[0] = '\0';
	switch (col) {
	case BC_RULE:
		snprintf(buf, len, "%u", br->rule_id);
		break;
	case BC_LISTEN:
		fmt_endpoint(&br->listen, buf, len);
		break;
	case BC_BACKEND:
		fmt_endpoint(&b->addr, buf, len);
		break;
	case BC_WEIGHT:
		snprintf(buf, len, "%u", b->weight);
		break;
	case BC_STATE:
		snprintf(buf, len, "%s", backend_state_name(b));
		break;
	case BC_DOWN:
		if (b->has_state && b->state == KRELAY_BACKEND_DOWN)
			fmt_age_ms(b->down_ms, buf, len);
		break;
	case BC_CONNS:
		snprintf(buf, len, "%llu", (unsigned long long)b->conns);
		break;
	case BC_FAILED:
		snprintf(buf, len, "%llu", (unsigned long long)b->failed);
		break;
	case BC_ACTIVE:
		snprintf(buf, len, "%llu", (unsigned long long)b->active);
		break;
	case BC_TO_BACKEND:
		fmt_bytes(b->bytes_to_backend, opts.human, buf, len);
		break;
	case BC_TO_CLIENT:
		fmt_bytes(b->bytes_to_client, opts.human, buf, len);
		break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static int push_backends(struct vec *rows, const struct krelay_rule *r)
{
	size_t i;

	for (i = 0; i < r->nbackends; i++) {
		struct backend_row br = {
			.rule_id = r->id, .listen = r->listen, .b = r->backends[i],
		};

		if (vec_push(rows, &br))
			return -ENOMEM;
	}
	return 0;
}

static int do_backend_list(struct krelay_handle *h,
			   const struct userctl_cmd *cmd)
{
	struct vec v = { .size = sizeof(struct krelay_rule) };
	struct vec rows = { .size = sizeof(struct backend_row) };
	const struct krelay_rule *rules;
	size_t i;
	int ret;

	if (cmd->has_ref) {
		struct krelay_rule r;

		ret = get_named_rule(h, cmd, "backend list", &r);
		if (ret)
			return ret;
		ret = push_backends(&rows, &r);
	} else {
		ret = get_rules(h, &v);
		if (ret) {
			vec_free(&v);
			return kernel_error(h, "backend list", NULL,
					    KRELAY_CMD_RULE_GET, ret);
		}
		rules = v.data;
		for (i = 0; i < v.n && !ret; i++)
			ret = push_backends(&rows, &rules[i]);
		vec_free(&v);
	}
	if (ret) {
		vec_free(&rows);
		return runtime_error("backend list: %s", strerror(-ret));
	}

	if (opts.json) {
		struct json_object *a = json_object_new_array();
		const struct backend_row *br = rows.data;
		char buf[64];

		for (i = 0; i < rows.n; i++) {
			struct json_object *o = json_backend(&br[i].b);

			json_add_u64(o, "rule_id", br[i].rule_id);
			fmt_endpoint(&br[i].listen, buf, sizeof(buf));
			json_add_str(o, "listen", buf);
			json_object_array_add(a, o);
		}
		json_print(a);
		json_object_put(a);
	} else {
		print_table(backend_cols, ARRAY_SIZE(backend_cols), rows.data,
			    rows.n, rows.size, backend_cell);
	}
	vec_free(&rows);
	return 0;
}

/* backend add / del / set: read the rule, change its list, RULE_SET it. */
static int do_backend_change(struct krelay_handle *h,
			     const struct userctl_cmd *cmd)
{
	const char *ctx = cmd->command == UC_CMD_ADD ? "backend add" :
		cmd->command == UC_CMD_DEL ? "backend del" : "backend set";
	struct krelay_rule *r, *c;
	struct krelay_rule_ref ref = { 0 };
	char rule[64], be[64];
	size_t i, at;
	int ret;

	ref_str(&cmd->ref, rule, sizeof(rule));
	fmt_endpoint(&cmd->backend.addr, be, sizeof(be));
	r = calloc(2, sizeof(*r));
	if (!r)
		return runtime_error("%s: out of memory", ctx);
	c = r + 1;
	ret = krelay_rule_get(h, &cmd->ref, r);
	if (ret) {
		free(r);
		return kernel_error(h, ctx, rule, KRELAY_CMD_RULE_GET, ret);
	}
	for (at = 0; at < r->nbackends; at++)
		if (endpoint_equal(&r->backends[at].addr, &cmd->backend.addr))
			break;

	c->present = KRELAY_RULE_F_BACKEND;
	for (i = 0; i < r->nbackends; i++) {
		if (cmd->command == UC_CMD_DEL && i == at)
			continue;
		c->backends[c->nbackends].addr = r->backends[i].addr;
		c->backends[c->nbackends].weight = r->backends[i].weight;
		c->nbackends++;
	}
	ret = 0;
	if (cmd->command == UC_CMD_ADD) {
		if (at < r->nbackends)
			ret = runtime_error("%s: rule %s already has backend %s",
					    ctx, rule, be);
		else if (c->nbackends >= KRELAY_MAX_BACKENDS)
			ret = runtime_error("%s: rule %s has the maximum of %u backends",
					    ctx, rule, KRELAY_MAX_BACKENDS);
		else
			c->backends[c->nbackends++] = cmd->backend;
	} else if (at == r->nbackends) {
		ret = runtime_error("%s: rule %s has no backend %s", ctx, rule,
				    be);
	} else if (cmd->command == UC_CMD_DEL && !c->nbackends) {
		ret = runtime_error("%s: %s is the last backend of rule %s (delete the rule instead)",
				    ctx, be, rule);
	} else if (cmd->command == UC_CMD_SET) {
		c->backends[at].weight = cmd->backend.weight;
	}
	if (!ret) {
		ref.id = r->id;
		ret = krelay_rule_set(h, &ref, c);
		if (ret)
			ret = kernel_error(h, ctx, rule, KRELAY_CMD_RULE_SET, ret);
	}
	free(r);
	return ret;
}

/* ------------------------------------------------------------------ */
/* global ACL                                                          */

static void print_acl(const struct krelay_acl *acl)
{
	char buf[64];
	size_t i;

	if (opts.json) {
		struct json_object *a = json_acl(acl);

		json_print(a);
		json_object_put(a);
		return;
	}
	for (i = 0; i < acl->n; i++) {
		fmt_prefix(&acl->e[i], buf, sizeof(buf));
		printf("%-5s  %s\n", acl_action_name(acl->e[i].action), buf);
	}
}

static int do_acl(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	const char *ctx = cmd->command == UC_CMD_ADD ? "acl add" :
		cmd->command == UC_CMD_DEL ? "acl del" :
		cmd->command == UC_CMD_FLUSH ? "acl flush" : "acl list";
	const struct krelay_acl_entry *want = &cmd->acl_entry;
	struct krelay_acl *acl;
	char buf[64];
	size_t i;
	int ret;

	acl = calloc(1, sizeof(*acl));
	if (!acl)
		return runtime_error("%s: out of memory", ctx);
	if (cmd->command != UC_CMD_FLUSH) {
		ret = krelay_acl_get(h, acl);
		if (ret) {
			free(acl);
			return kernel_error(h, ctx, NULL, KRELAY_CMD_ACL_GET, ret);
		}
	}
	if (cmd->command == UC_CMD_LIST) {
		print_acl(acl);
		free(acl);
		return 0;
	}
	fmt_prefix(want, buf, sizeof(buf));
	for (i = 0; i < acl->n; i++)
		if (acl->e[i].action == want->action &&
		    acl_entry_equal(&acl->e[i], want))
			break;
	ret = 0;
	if (cmd->command == UC_CMD_ADD) {
		if (i < acl->n)
			ret = runtime_error("%s: \"%s %s\" is already in the global ACL",
					    ctx, acl_action_name(want->action), buf);
		else if (acl->n >= KRELAY_MAX_ACL)
			ret = runtime_error("%s: the global ACL is full (%u entries)",
					    ctx, KRELAY_MAX_ACL);
		else
			acl->e[acl->n++] = *want;
	} else if (cmd->command == UC_CMD_DEL) {
		if (i == acl->n)
			ret = runtime_error("%s: \"%s %s\" is not in the global ACL",
					    ctx, acl_action_name(want->action), buf);
		else
			memmove(&acl->e[i], &acl->e[i + 1],
				(acl->n - i - 1) * sizeof(acl->e[0]));
		if (!ret)
			acl->n--;
	}
	if (!ret) {
		ret = krelay_acl_set(h, acl);
		if (ret)
			ret = kernel_error(h, ctx, NULL, KRELAY_CMD_ACL_SET, ret);
	}
	free(acl);
	return ret;
}

/* ------------------------------------------------------------------ */
/* monitor                                                             */

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

struct monitor_state {
	unsigned int mask;
	uint64_t left;		/* 0: unlimited */
};

static void timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	if (!strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm))
		sec[0] = '\0';
	snprintf(buf, len, "%s.%03d", sec, (int)(ts.tv_nsec / 1000000) % 1000);
}

static const char *const event_names[] = {
	[KRELAY_EV_RULE_NEW]	= "rule_new",
	[KRELAY_EV_RULE_SET]	= "rule_set",
	[KRELAY_EV_RULE_DEL]	= "rule_del",
	[KRELAY_EV_CONN_OPEN]	= "conn_open",
	[KRELAY_EV_CONN_CLOSE]	= "conn_close",
	[KRELAY_EV_BACKEND]	= "backend",
};

static void print_event_json(const struct krelay_event *ev, const char *ts)
{
	struct json_object *o = json_object_new_object();
	const char *name = event_names[ev->type];

	if (ev->type == KRELAY_EV_BACKEND)
		name = ev->backend.state == KRELAY_BACKEND_DOWN ?
			"backend_down" : "backend_up";
	json_add_str(o, "event", name);
	if (ts)
		json_add_str(o, "timestamp", ts);
	switch (ev->type) {
	case KRELAY_EV_RULE_NEW:
	case KRELAY_EV_RULE_SET:
	case KRELAY_EV_RULE_DEL:
		json_object_object_add(o, "rule", json_rule(&ev->rule));
		break;
	case KRELAY_EV_CONN_OPEN:
	case KRELAY_EV_CONN_CLOSE:
		json_object_object_add(o, "conn", json_conn(&ev->conn));
		if (ev->type == KRELAY_EV_CONN_CLOSE)
			json_add_u64(o, "duration_ms", ev->conn.age_ms);
		break;
	case KRELAY_EV_BACKEND:
		json_add_u64(o, "rule_id", ev->rule_id);
		json_object_object_add(o, "backend", json_backend(&ev->backend));
		break;
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_event_text(const struct krelay_event *ev, const char *ts)
{
	char a[64], b[CELL_MAX], x[32], y[32], d[32];

	if (ts)
		printf("[%s] ", ts);
	switch (ev->type) {
	case KRELAY_EV_RULE_NEW:
	case KRELAY_EV_RULE_SET:
	case KRELAY_EV_RULE_DEL:
		fmt_endpoint(&ev->rule.listen, a, sizeof(a));
		fmt_backends(&ev->rule, 0, b, sizeof(b));
		printf("rule %s %u: %s -> %s",
		       ev->type == KRELAY_EV_RULE_NEW ? "added" :
		       ev->type == KRELAY_EV_RULE_SET ? "changed" : "deleted",
		       ev->rule.id, a, b);
		if (ev->rule.present & KRELAY_RULE_F_MODE)
			printf(" mode %s", mode_name(ev->rule.mode));
		if (ev->rule.present & KRELAY_RULE_F_SCHED)
			printf(" sched %s", sched_name(ev->rule.sched));
		rule_extra(&ev->rule, b, sizeof(b));
		if (b[0])
			printf(" %s", b);
		if (ev->type == KRELAY_EV_RULE_DEL)
			printf(" accepted %llu",
			       (unsigned long long)ev->rule.stats.accepted);
		putchar('\n');
		break;
	case KRELAY_EV_CONN_OPEN:
	case KRELAY_EV_CONN_CLOSE:
		if (ev->conn.has_client)
			fmt_endpoint(&ev->conn.client, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "?");
		if (ev->conn.has_backend)
			fmt_endpoint(&ev->conn.backend, b, sizeof(b));
		else
			snprintf(b, sizeof(b), "-");
		printf("conn %s %llu rule %u: %s -> %s",
		       ev->type == KRELAY_EV_CONN_OPEN ? "opened" : "closed",
		       (unsigned long long)ev->conn.id, ev->conn.rule_id, a, b);
		if (ev->type == KRELAY_EV_CONN_CLOSE) {
			fmt_bytes(ev->conn.bytes_to_backend, opts.human, x,
				  sizeof(x));
			fmt_bytes(ev->conn.bytes_to_client, opts.human, y,
				  sizeof(y));
			fmt_age_ms(ev->conn.age_ms, d, sizeof(d));
			printf(" to_backend %s to_client %s duration %s", x, y,
			       d);
		}
		putchar('\n');
		break;
	case KRELAY_EV_BACKEND:
		fmt_endpoint(&ev->backend.addr, a, sizeof(a));
		if (ev->backend.state == KRELAY_BACKEND_DOWN) {
			fmt_age_ms(ev->backend.down_ms, d, sizeof(d));
			printf("backend down rule %u: %s holddown %s failed %llu\n",
			       ev->rule_id, a, d,
			       (unsigned long long)ev->backend.failed);
		} else {
			printf("backend up rule %u: %s\n", ev->rule_id, a);
		}
		break;
	}
}

static int on_event(const struct krelay_event *ev, void *arg)
{
	struct monitor_state *st = arg;
	unsigned int kind;
	char ts[64];

	switch (ev->type) {
	case KRELAY_EV_RULE_NEW:
	case KRELAY_EV_RULE_SET:
	case KRELAY_EV_RULE_DEL:
		kind = UC_MON_RULE;
		break;
	case KRELAY_EV_CONN_OPEN:
	case KRELAY_EV_CONN_CLOSE:
		kind = UC_MON_CONN;
		break;
	default:
		kind = UC_MON_BACKEND;
		break;
	}
	if (st->mask && !(st->mask & kind))
		return 0;
	if (opts.timestamp)
		timestamp(ts, sizeof(ts));
	if (opts.json)
		print_event_json(ev, opts.timestamp ? ts : NULL);
	else
		print_event_text(ev, opts.timestamp ? ts : NULL);
	if (st->left && --st->left == 0)
		return 1;
	return 0;
}

static int do_monitor(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	struct monitor_state st = {
		.mask = cmd->monitor_mask, .left = cmd->monitor_count,
	};
	struct sigaction sa;
	struct pollfd pfd;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	ret = krelay_monitor_start(h);
	if (ret)
		return runtime_error("monitor: cannot join the \"%s\" multicast group: %s",
				     KRELAY_MCGRP_EVENTS, strerror(-ret));
	pfd.fd = krelay_monitor_fd(h);
	pfd.events = POLLIN;
	while (!stop_signal) {
		ret = poll(&pfd, 1, -1);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			return runtime_error("monitor: poll: %s", strerror(errno));
		}
		ret = krelay_monitor_read(h, on_event, &st);
		if (ret == 1)
			break;
		if (ret == -ENOBUFS) {
			fprintf(stderr, "userctl: monitor: events were lost (receive buffer overflow)\n");
			continue;
		}
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return runtime_error("monitor: %s", strerror(-ret));
		if (ferror(stdout))
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* apply / export                                                      */

static void warn_stderr(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

#define CONFIG_MAX_BYTES (64u << 20)

/* Read all of @path ("-": stdin) into a malloc'ed buffer. */
static int read_file(const char *path, char **out, size_t *len)
{
	int use_stdin = strcmp(path, "-") == 0;
	FILE *f = use_stdin ? stdin : fopen(path, "r");
	size_t cap = 65536, n = 0;
	char *buf;
	int err = 0;

	*out = NULL;
	*len = 0;
	if (!f)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		char *nb;

		n += got;
		if (got == 0) {
			if (ferror(f))
				err = -EIO;
			break;
		}
		if (n < cap)
			continue;
		if (cap >= CONFIG_MAX_BYTES) {
			err = -EFBIG;
			break;
		}
		cap *= 2;
		nb = realloc(buf, cap);
		if (!nb)
			free(buf);
		buf = nb;
	}
	if (!use_stdin)
		fclose(f);
	if (!buf)
		return -ENOMEM;
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

static const struct krelay_rule *find_rule(const struct krelay_rule *rules,
					   size_t n,
					   const struct krelay_endpoint *listen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (endpoint_equal(&rules[i].listen, listen))
			return &rules[i];
	return NULL;
}

static int acl_equal(const struct krelay_acl *a, const struct krelay_acl *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->e[i].action != b->e[i].action ||
		    !acl_entry_equal(&a->e[i], &b->e[i]))
			return 0;
	return 1;
}

static int do_apply(const struct userctl_cmd *cmd)
{
	const char *name = strcmp(cmd->file, "-") == 0 ? "<stdin>" : cmd->file;
	struct vec v = { .size = sizeof(struct krelay_rule) };
	struct krelay_acl *cur_acl = NULL;
	struct krelay_handle *h = NULL;
	struct uc_config cfg;
	unsigned int added = 0, changed = 0, deleted = 0, same = 0;
	const struct krelay_rule *cur;
	char err[512], l[64];
	size_t len, i;
	char *text;
	int ret, acl_changed;

	ret = read_file(cmd->file, &text, &len);
	if (ret)
		return runtime_error("apply: cannot read %s: %s", name,
				     strerror(-ret));
	ret = config_parse(name, text, len, &cfg, err, sizeof(err),
			   warn_stderr, NULL);
	free(text);
	if (ret) {
		fprintf(stderr, "%s\n", err);
		config_free(&cfg);
		return UC_USAGE_ERROR;
	}

	ret = krelay_open(&h);
	if (ret) {
		config_free(&cfg);
		if (ret == -ENOENT)
			return runtime_error("krelay module not loaded (generic netlink family \"%s\" not found)",
					     KRELAY_GENL_NAME);
		return runtime_error("cannot talk to generic netlink: %s",
				     strerror(-ret));
	}
	cur_acl = calloc(1, sizeof(*cur_acl));
	if (!cur_acl) {
		ret = runtime_error("apply: out of memory");
		goto out;
	}
	ret = get_rules(h, &v);
	if (!ret)
		ret = krelay_acl_get(h, cur_acl);
	if (ret) {
		ret = kernel_error(h, "apply", NULL, KRELAY_CMD_RULE_GET, ret);
		goto out;
	}
	cur = v.data;
	for (i = 0; i < v.n; i++)
		rule_fill_defaults((struct krelay_rule *)&cur[i]);

	for (i = 0; i < cfg.nrules; i++) {
		const struct krelay_rule *c = find_rule(cur, v.n,
							&cfg.rules[i].listen);
		const char *what;

		if (!c) {
			added++;
			what = "add";
		} else if (!rule_config_equal(c, &cfg.rules[i])) {
			changed++;
			what = "change";
		} else {
			same++;
			what = "keep";
		}
		if (cmd->dry_run && !opts.json) {
			fmt_endpoint(&cfg.rules[i].listen, l, sizeof(l));
			printf("%-6s %s\n", what, l);
		}
	}
	for (i = 0; i < v.n; i++) {
		if (find_rule(cfg.rules, cfg.nrules, &cur[i].listen))
			continue;
		deleted++;
		if (cmd->dry_run && !opts.json) {
			fmt_endpoint(&cur[i].listen, l, sizeof(l));
			printf("%-6s %s\n", "delete", l);
		}
	}
	acl_changed = !acl_equal(cur_acl, &cfg.global);

	if (!cmd->dry_run) {
		ret = krelay_ruleset_set(h, cfg.rules, cfg.nrules, &cfg.global);
		if (ret) {
			ret = kernel_error(h, "apply", name,
					   KRELAY_CMD_RULESET_SET, ret);
			goto out;
		}
	}
	if (opts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "dry_run",
				       json_object_new_boolean(cmd->dry_run));
		json_add_u64(o, "rules", cfg.nrules);
		json_add_u64(o, "added", added);
		json_add_u64(o, "changed", changed);
		json_add_u64(o, "deleted", deleted);
		json_add_u64(o, "unchanged", same);
		json_object_object_add(o, "global_acl_changed",
				       json_object_new_boolean(acl_changed));
		json_print(o);
		json_object_put(o);
	} else {
		printf("%s%s: %zu rule%s: %u added, %u changed, %u deleted, %u unchanged; global ACL %s\n",
		       cmd->dry_run ? "dry run: " : "", name, cfg.nrules,
		       cfg.nrules == 1 ? "" : "s", added, changed, deleted, same,
		       acl_changed ? "changed" : "unchanged");
	}
	ret = 0;
out:
	free(cur_acl);
	vec_free(&v);
	config_free(&cfg);
	krelay_close(h);
	return ret;
}

static int do_export(struct krelay_handle *h)
{
	struct vec v = { .size = sizeof(struct krelay_rule) };
	struct krelay_acl *acl = calloc(1, sizeof(*acl));
	int ret;

	if (!acl)
		return runtime_error("export: out of memory");
	ret = get_rules(h, &v);
	if (ret) {
		ret = kernel_error(h, "export", NULL, KRELAY_CMD_RULE_GET, ret);
		goto out;
	}
	ret = krelay_acl_get(h, acl);
	if (ret) {
		ret = kernel_error(h, "export", NULL, KRELAY_CMD_ACL_GET, ret);
		goto out;
	}
	config_write(stdout, v.data, v.n, acl);
out:
	free(acl);
	vec_free(&v);
	return ret;
}

/* ------------------------------------------------------------------ */

static int run(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	switch (cmd->object) {
	case UC_OBJ_RULE:
		switch (cmd->command) {
		case UC_CMD_ADD:
			return do_rule_add(h, cmd);
		case UC_CMD_DEL:
			return do_rule_del(h, cmd);
		case UC_CMD_SET:
			return do_rule_set(h, cmd);
		default:
			return do_rule_list(h, cmd);
		}
	case UC_OBJ_CONN:
		switch (cmd->command) {
		case UC_CMD_COUNT:
			return do_conn_count(h, cmd);
		case UC_CMD_KILL:
			return do_conn_kill(h, cmd);
		default:
			return do_conn_list(h, cmd);
		}
	case UC_OBJ_BACKEND:
		if (cmd->command == UC_CMD_LIST)
			return do_backend_list(h, cmd);
		return do_backend_change(h, cmd);
	case UC_OBJ_ACL:
		return do_acl(h, cmd);
	case UC_OBJ_MONITOR:
		return do_monitor(h, cmd);
	case UC_OBJ_EXPORT:
		return do_export(h);
	default:
		return do_stats(h, cmd);
	}
}

int main(int argc, char **argv)
{
	struct userctl_cmd cmd;
	struct krelay_handle *h;
	char err[512];
	int ret;

	ret = cmdline_parse(argc, argv, &cmd, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "userctl: %s\n", err);
		/* One line per error; the full usage only when nothing was said. */
		if (cmd.no_object)
			cmdline_usage(stderr, UC_OBJ_NONE);
		return UC_USAGE_ERROR;
	}
	opts = cmd.opts;

	switch (cmd.action) {
	case UC_ACT_HELP:
		cmdline_usage(stdout, cmd.object);
		return 0;
	case UC_ACT_VERSION:
		printf("userctl %s (krelay netlink ABI version %d)\n",
		       USERCTL_VERSION, KRELAY_GENL_VERSION);
		return 0;
	default:
		break;
	}

	if (cmd.object == UC_OBJ_TRACE) {
		struct trace_opts t = { .json = opts.json, .pretty = opts.pretty };

		return trace_main(cmd.trace_argc, cmd.trace_argv, &t);
	}
	if (cmd.object == UC_OBJ_APPLY) {
		ret = do_apply(&cmd);
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "userctl: write error: %s\n",
				strerror(errno));
			return 1;
		}
		return ret;
	}

	ret = krelay_open(&h);
	if (ret == -ENOENT)
		return runtime_error("krelay module not loaded (generic netlink family \"%s\" not found)",
				     KRELAY_GENL_NAME);
	if (ret)
		return runtime_error("cannot talk to generic netlink: %s",
				     strerror(-ret));

	ret = run(h, &cmd);
	krelay_close(h);

	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "userctl: write error: %s\n", strerror(errno));
		return 1;
	}
	return ret;
}
