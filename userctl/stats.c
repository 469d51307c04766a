// SPDX-License-Identifier: GPL-2.0
/*
 * userctl stats: the netns totals and every rule's counters.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <linux/krelay.h>

#include "lib/krelay_nl.h"
#include "parse.h"
#include "userctl.h"

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

struct json_object *json_stats(const struct krelay_stats *s)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stat_descs); i++)
		json_add_u64(o, stat_descs[i].name, stat_val(s, i));
	return o;
}

static void print_stats_block(const struct krelay_stats *s)
{
	char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stat_descs); i++) {
		fmt_bytes(stat_val(s, i), stat_descs[i].bytes && uopts.human,
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

int do_stats(struct krelay_handle *h, const struct userctl_cmd *cmd)
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
		if (uopts.json) {
			struct json_object *o = json_rule(&r);

			json_print(o);
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

	if (uopts.json) {
		struct json_object *o = json_object_new_object();
		struct json_object *a = json_object_new_array();

		json_add_u64(o, "rule_count", t.rule_count);
		json_object_object_add(o, "totals", json_stats(&t.stats));
		for (i = 0; i < v.n; i++)
			json_object_array_add(a, json_rule(&rules[i]));
		json_object_object_add(o, "rules", a);
		json_print(o);
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
