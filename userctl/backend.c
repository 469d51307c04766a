// SPDX-License-Identifier: GPL-2.0
/*
 * userctl backend: list, add, del, set the backends of a rule.
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

const char *backend_state_name(const struct krelay_backend *b)
{
	if (!b->has_state)
		return "-";
	return b->state == KRELAY_BACKEND_DOWN ? "down" : "up";
}

/* Health of active checks: "up", "down", or "-" without checks. */
const char *backend_health_name(const struct krelay_backend *b)
{
	if (!b->has_health)
		return "-";
	return b->health == KRELAY_HEALTH_DOWN ? "down" : "up";
}

struct json_object *json_backend(const struct krelay_backend *b)
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
		if (b->has_health)
			json_add_str(o, "health", backend_health_name(b));
		json_add_u64(o, "checks_ok", b->checks_ok);
		json_add_u64(o, "checks_failed", b->checks_failed);
	}
	json_object_object_add(o, "drain", json_object_new_boolean(b->drain));
	if (b->drain) {
		json_add_u64(o, "drain_timeout_ms", b->drain_timeout_ms);
		if (b->has_state)
			json_add_u64(o, "drain_left_ms", b->drain_left_ms);
	}
	json_add_u64(o, "maxconn", b->maxconn);
	return o;
}

struct backend_row {
	uint32_t rule_id;
	struct krelay_endpoint listen;
	struct krelay_backend b;
};

enum {
	BC_RULE, BC_LISTEN, BC_BACKEND, BC_WEIGHT, BC_MAXCONN, BC_STATE,
	BC_DOWN, BC_CONNS, BC_FAILED, BC_ACTIVE, BC_TO_BACKEND, BC_TO_CLIENT,
	BC_HEALTH, BC_CHECKS, BC_DRAIN,
};

static const struct column backend_cols[] = {
	[BC_RULE]	= { "RULE", 1 },
	[BC_LISTEN]	= { "LISTEN", 0 },
	[BC_BACKEND]	= { "BACKEND", 0 },
	[BC_WEIGHT]	= { "WEIGHT", 1 },
	[BC_MAXCONN]	= { "MAXCONN", 1 },
	[BC_STATE]	= { "STATE", 0 },
	[BC_DOWN]	= { "HOLDDOWN_LEFT", 1 },
	[BC_CONNS]	= { "CONNS", 1 },
	[BC_FAILED]	= { "FAILED", 1 },
	[BC_ACTIVE]	= { "ACTIVE", 1 },
	[BC_TO_BACKEND]	= { "TO_BACKEND", 1 },
	[BC_TO_CLIENT]	= { "TO_CLIENT", 1 },
	[BC_HEALTH]	= { "HEALTH", 0 },
	[BC_CHECKS]	= { "CHECKS_OK/FAILED", 1 },
	[BC_DRAIN]	= { "DRAIN", 0 },
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
	case BC_MAXCONN:
		if (b->maxconn)
			snprintf(buf, len, "%u", b->maxconn);
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
		fmt_bytes(b->bytes_to_backend, uopts.human, buf, len);
		break;
	case BC_TO_CLIENT:
		fmt_bytes(b->bytes_to_client, uopts.human, buf, len);
		break;
	case BC_HEALTH:
		snprintf(buf, len, "%s", backend_health_name(b));
		break;
	case BC_CHECKS:
		if (b->has_health || b->checks_ok || b->checks_failed)
			snprintf(buf, len, "%llu/%llu",
				 (unsigned long long)b->checks_ok,
				 (unsigned long long)b->checks_failed);
		break;
	case BC_DRAIN:
		/* "draining", or the time left before the rest is reset */
		if (b->drain && b->drain_timeout_ms) {
			char t[24];

			fmt_age_ms(b->drain_left_ms, t, sizeof(t));
			snprintf(buf, len, "draining,%s", t);
		} else if (b->drain) {
			snprintf(buf, len, "draining");
		}
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
	struct vec v = { 0 };
	struct vec rows = { .size = sizeof(struct backend_row) };
	const struct krelay_rule *rules;
	size_t i;
	int ret;

	if (select_rules(h, cmd, "backend list", &v))
		return 1;
	rules = v.data;
	for (i = 0, ret = 0; i < v.n && !ret; i++)
		ret = push_backends(&rows, &rules[i]);
	vec_free(&v);
	if (ret) {
		vec_free(&rows);
		return runtime_error("backend list: %s", strerror(-ret));
	}

	if (uopts.json) {
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
		c->backends[c->nbackends].maxconn = r->backends[i].maxconn;
		/* a drain goes on (and keeps its start) */
		c->backends[c->nbackends].drain = r->backends[i].drain;
		c->backends[c->nbackends].drain_timeout_ms =
			r->backends[i].drain_timeout_ms;
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
		struct krelay_backend *b = &c->backends[at];

		if (cmd->backend.drain) {
			/* a new timeout counts from the start of the drain */
			b->drain = 1;
			b->drain_timeout_ms = cmd->backend.drain_timeout_ms;
		} else if (cmd->undrain || cmd->backend.weight) {
			b->drain = 0;
			b->drain_timeout_ms = 0;
		}
		if (cmd->backend.weight)
			b->weight = cmd->backend.weight;
		if (cmd->backend_has_maxconn)
			b->maxconn = cmd->backend.maxconn;
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

int do_backend(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	if (cmd->command == UC_CMD_LIST)
		return do_backend_list(h, cmd);
	return do_backend_change(h, cmd);
}
