// SPDX-License-Identifier: GPL-2.0
/*
 * userctl conn: list, count, kill the relayed connections.
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

void state_str(uint8_t state, char *buf, size_t len)
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
		fmt_bytes(c->bytes_to_backend, uopts.human, buf, len);
		break;
	case CC_TO_CLIENT:
		fmt_bytes(c->bytes_to_client, uopts.human, buf, len);
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

struct json_object *json_conn(const struct krelay_conn *c)
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

/* Where a dump goes: counted, and stored unless only counted. */
struct conn_sink {
	struct vec v;
	uint64_t n;
	int store;
};

static int sink_conn(const struct krelay_conn *c, void *arg)
{
	struct conn_sink *s = arg;

	s->n++;
	return s->store ? vec_push(&s->v, c) : 0;
}

/*
 * The connections of the rule the command names (all without one) into
 * @s; retries interrupted dumps.  0, or 1 with the error reported for @ctx.
 */
static int dump_conns(struct krelay_handle *h, const struct userctl_cmd *cmd,
		      const char *ctx, struct conn_sink *s)
{
	uint32_t rule_id = 0;
	int tries = 0, ret;

	if (cmd->has_ref && cmd->ref.id) {
		rule_id = cmd->ref.id;
	} else if (cmd->has_ref) {
		struct krelay_rule r;

		if (get_named_rule(h, cmd, ctx, &r))
			return 1;
		rule_id = r.id;
	}
	do {
		vec_free(&s->v);
		s->v.size = sizeof(struct krelay_conn);
		s->n = 0;
		ret = krelay_conn_dump(h, rule_id, sink_conn, s);
	} while (ret == -EINTR && ++tries < DUMP_RETRIES);
	if (ret == -EINTR) {
		fprintf(stderr,
			"userctl: warning: connections changed during the dump; the list may be inconsistent\n");
		ret = 0;
	}
	if (ret) {
		vec_free(&s->v);
		return kernel_error(h, ctx, NULL, KRELAY_CMD_CONN_GET, ret);
	}
	return 0;
}

static int do_conn_list(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	struct conn_sink s = { .store = 1 };
	const struct krelay_conn *conns;
	size_t i;

	if (dump_conns(h, cmd, "conn list", &s))
		return 1;
	if (s.v.n)
		qsort(s.v.data, s.v.n, s.v.size, conn_cmp);
	conns = s.v.data;

	if (uopts.json) {
		/* Streamed: 100k objects at once would cost a lot of memory. */
		putchar('[');
		for (i = 0; i < s.v.n; i++)
			json_print_element(json_conn(&conns[i]), i == 0);
		if (uopts.pretty && s.v.n)
			putchar('\n');
		puts("]");
	} else {
		print_table(conn_cols, ARRAY_SIZE(conn_cols), conns, s.v.n,
			    sizeof(*conns), conn_cell);
	}
	vec_free(&s.v);
	return 0;
}

static int do_conn_count(struct krelay_handle *h,
			 const struct userctl_cmd *cmd)
{
	struct conn_sink s = { .store = 0 };

	if (dump_conns(h, cmd, "conn count", &s))
		return 1;
	if (uopts.json) {
		struct json_object *o = json_object_new_object();

		json_add_u64(o, "count", s.n);
		json_print(o);
	} else {
		printf("%llu\n", (unsigned long long)s.n);
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

int do_conn(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	switch (cmd->command) {
	case UC_CMD_COUNT:
		return do_conn_count(h, cmd);
	case UC_CMD_KILL:
		return do_conn_kill(h, cmd);
	default:
		return do_conn_list(h, cmd);
	}
}
