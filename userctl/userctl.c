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
#include <sys/socket.h>

#include <json-c/json.h>

#include <linux/krelay.h>

#include "lib/krelay_nl.h"
#include "cmdline.h"
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

#define CELL_MAX 80

/* Two passes over the rows: widths first, then the text; nothing stored. */
static void print_table(const struct column *cols, size_t ncols,
			const void *rows, size_t nrows, size_t stride,
			cell_fn cell)
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
	}
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

static struct json_object *json_rule(const struct krelay_rule *r)
{
	struct json_object *o = json_object_new_object();
	char buf[64];

	json_add_u64(o, "id", r->id);
	if (r->present & KRELAY_RULE_F_LISTEN) {
		fmt_endpoint(&r->listen, buf, sizeof(buf));
		json_add_str(o, "listen", buf);
	}
	if (r->present & KRELAY_RULE_F_BACKEND) {
		fmt_endpoint(&r->backend, buf, sizeof(buf));
		json_add_str(o, "backend", buf);
	}
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
	if (r->present & KRELAY_RULE_F_STATS)
		json_object_object_add(o, "stats", json_stats(&r->stats));
	return o;
}

enum {
	RC_ID, RC_LISTEN, RC_BACKEND, RC_MODE, RC_CONNECT, RC_IDLE, RC_BACKLOG,
	RC_ACCEPTED, RC_ACTIVE, RC_FAILED, RC_BYTES_IN, RC_BYTES_OUT,
};

static const struct column rule_cols[] = {
	[RC_ID]		= { "ID", 1 },
	[RC_LISTEN]	= { "LISTEN", 0 },
	[RC_BACKEND]	= { "BACKEND", 0 },
	[RC_MODE]	= { "MODE", 0 },
	[RC_CONNECT]	= { "CONNECT_TIMEOUT", 1 },
	[RC_IDLE]	= { "IDLE_TIMEOUT", 1 },
	[RC_BACKLOG]	= { "BACKLOG", 1 },
	[RC_ACCEPTED]	= { "ACCEPTED", 1 },
	[RC_ACTIVE]	= { "ACTIVE", 1 },
	[RC_FAILED]	= { "FAILED", 1 },
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
		fmt_endpoint(&r->backend, buf, len);
		break;
	case RC_MODE:
		if (r->present & KRELAY_RULE_F_MODE)
			mode_str(r->mode, buf, len);
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
	print_table(rule_cols, opts.stats ? ARRAY_SIZE(rule_cols) : RC_BACKLOG + 1,
		    rules, n, sizeof(*rules), rule_cell);
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
		print_table(rule_cols, RC_BACKLOG + 1, &out, 1, sizeof(out),
			    rule_cell);
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

static int do_rule_list(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	struct vec v = { .size = sizeof(struct krelay_rule) };
	int ret;

	if (cmd->has_ref) {
		struct krelay_rule r;
		char rule[64];

		ref_str(&cmd->ref, rule, sizeof(rule));
		ret = krelay_rule_get(h, &cmd->ref, &r);
		if (ret)
			return kernel_error(h, "rule list", rule,
					    KRELAY_CMD_RULE_GET, ret);
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
	char l[64], b[64];

	fmt_endpoint(&r->listen, l, sizeof(l));
	fmt_endpoint(&r->backend, b, sizeof(b));
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
		char rule[64];

		ref_str(&cmd->ref, rule, sizeof(rule));
		ret = krelay_rule_get(h, &cmd->ref, &r);
		if (ret)
			return kernel_error(h, "stats", rule,
					    KRELAY_CMD_RULE_GET, ret);
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
