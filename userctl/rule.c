// SPDX-License-Identifier: GPL-2.0
/*
 * userctl rule: add, del, set, list (and the rule printers other objects use).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <linux/krelay.h>

#include "lib/krelay_nl.h"
#include "parse.h"
#include "userctl.h"

void mode_str(uint8_t mode, char *buf, size_t len)
{
	if (mode == KRELAY_MODE_SPLICE)
		snprintf(buf, len, "splice");
	else if (mode == KRELAY_MODE_COPY)
		snprintf(buf, len, "copy");
	else
		snprintf(buf, len, "mode%u", (unsigned int)mode);
}

struct json_object *json_rule(const struct krelay_rule *r)
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
	if (r->present & KRELAY_RULE_F_MAXCONN)
		json_add_u64(o, "maxconn", r->maxconn);
	if (r->present & KRELAY_RULE_F_PROXY)
		json_add_str(o, "proxy_protocol", proxy_name(r->proxy_protocol));
	if (r->present & KRELAY_RULE_F_TRANSPARENT)
		json_object_object_add(o, "transparent",
				       json_object_new_boolean(r->transparent));
	if ((r->present & KRELAY_RULE_F_CHECK) && r->check.enabled) {
		struct json_object *c = json_object_new_object();

		json_add_u64(c, "interval_ms", r->check.interval_ms);
		json_add_u64(c, "timeout_ms", r->check.timeout_ms);
		json_add_u64(c, "rise", r->check.rise);
		json_add_u64(c, "fall", r->check.fall);
		json_object_object_add(o, "check", c);
	}
	if (r->present & KRELAY_RULE_F_ACL)
		json_object_object_add(o, "acl", json_acl(&r->acl));
	if (r->draining) {
		json_object_object_add(o, "draining",
				       json_object_new_boolean(1));
		if (r->has_drain_left)
			json_add_u64(o, "drain_left_ms", r->drain_left_ms);
	}
	if (r->present & KRELAY_RULE_F_STATS)
		json_object_object_add(o, "stats", json_stats(&r->stats));
	return o;
}

void rule_extra(const void *row, char *buf, size_t len)
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
	if (r->draining) {
		ADD("draining");
		if (r->has_drain_left) {
			fmt_age_ms(r->drain_left_ms, v, sizeof(v));
			ADD(" (reset in %s)", v);
		}
	}
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
	if ((r->present & KRELAY_RULE_F_MAXCONN) && r->maxconn)
		ADD("%smaxconn %u", used ? " " : "", r->maxconn);
	if ((r->present & KRELAY_RULE_F_PROXY) && r->proxy_protocol)
		ADD("%sproxy-protocol %s", used ? " " : "",
		    proxy_name(r->proxy_protocol));
	if ((r->present & KRELAY_RULE_F_TRANSPARENT) && r->transparent)
		ADD("%stransparent on", used ? " " : "");
	if ((r->present & KRELAY_RULE_F_CHECK) && r->check.enabled) {
		char t[32];

		fmt_duration_ms(r->check.interval_ms, v, sizeof(v));
		fmt_duration_ms(r->check.timeout_ms, t, sizeof(t));
		ADD("%scheck interval %s timeout %s rise %u fall %u",
		    used ? " " : "", v, t, r->check.rise, r->check.fall);
	}
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
		fmt_bytes(r->stats.bytes_to_backend, uopts.human, buf, len);
		break;
	case RC_BYTES_OUT:
		fmt_bytes(r->stats.bytes_to_client, uopts.human, buf, len);
		break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void print_rules(const struct krelay_rule *rules, size_t n)
{
	size_t i;

	if (uopts.json) {
		struct json_object *a = json_object_new_array();

		for (i = 0; i < n; i++)
			json_object_array_add(a, json_rule(&rules[i]));
		json_print(a);
		return;
	}
	print_table_x(rule_cols, uopts.stats ? ARRAY_SIZE(rule_cols) :
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

/* Retries interrupted dumps. */
int get_rules(struct krelay_handle *h, struct vec *v)
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
	if (uopts.json) {
		struct json_object *o = json_rule(&out);

		json_print(o);
	} else {
		print_table_x(rule_cols, RC_BACKLOG + 1, &out, 1, sizeof(out),
			      rule_cell, rule_extra);
	}
	return 0;
}

/* rule del / rule set: the kernel does it all. */
static int do_rule_change(struct krelay_handle *h,
			  const struct userctl_cmd *cmd)
{
	int del = cmd->command == UC_CMD_DEL;
	char rule[64];
	int ret;

	ref_str(&cmd->ref, rule, sizeof(rule));
	if (del && cmd->rule_drain)
		ret = krelay_rule_del_drain(h, &cmd->ref, cmd->rule_drain_ms);
	else if (del)
		ret = krelay_rule_del(h, &cmd->ref);
	else
		ret = krelay_rule_set(h, &cmd->ref, &cmd->rule);
	if (ret)
		return kernel_error(h, del ? "rule del" : "rule set", rule,
				    del ? KRELAY_CMD_RULE_DEL :
				    KRELAY_CMD_RULE_SET, ret);
	return 0;
}

int get_named_rule(struct krelay_handle *h, const struct userctl_cmd *cmd,
		   const char *ctx, struct krelay_rule *r)
{
	char rule[64];
	int ret;

	ret = krelay_rule_get(h, &cmd->ref, r);
	if (!ret)
		return 0;
	ref_str(&cmd->ref, rule, sizeof(rule));
	return kernel_error(h, ctx, rule, KRELAY_CMD_RULE_GET, ret);
}

int select_rules(struct krelay_handle *h, const struct userctl_cmd *cmd,
		 const char *ctx, struct vec *v)
{
	int ret;

	v->size = sizeof(struct krelay_rule);
	if (cmd->has_ref) {
		struct krelay_rule r;

		if (get_named_rule(h, cmd, ctx, &r))
			return 1;
		if (vec_push(v, &r))
			return runtime_error("%s: out of memory", ctx);
		return 0;
	}
	ret = get_rules(h, v);
	if (ret) {
		vec_free(v);
		return kernel_error(h, ctx, NULL, KRELAY_CMD_RULE_GET, ret);
	}
	return 0;
}

static int do_rule_list(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	struct vec v = { 0 };

	if (select_rules(h, cmd, "rule list", &v))
		return 1;
	print_rules(v.data, v.n);
	vec_free(&v);
	return 0;
}

int do_rule(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	switch (cmd->command) {
	case UC_CMD_ADD:
		return do_rule_add(h, cmd);
	case UC_CMD_DEL:
	case UC_CMD_SET:
		return do_rule_change(h, cmd);
	default:
		return do_rule_list(h, cmd);
	}
}
