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
	{ "overlimit",		offsetof(struct krelay_stats, overlimit), 0 },
	{ "failovers",		offsetof(struct krelay_stats, failovers), 0 },
	{ "fast_passes",	offsetof(struct krelay_stats, fast_passes), 0 },
	{ "work_runs",		offsetof(struct krelay_stats, work_runs), 0 },
	{ "nomem_retries",	offsetof(struct krelay_stats, nomem_retries), 0 },
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

/* The netns totals: a rule's counters, and the netns' own. */
static struct json_object *json_totals(const struct krelay_stats *s)
{
	struct json_object *o = json_stats(s);

	json_add_u64(o, "events_dropped", s->events_dropped);
	return o;
}

static void print_stats_block(const struct krelay_stats *s, int netns)
{
	char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stat_descs); i++) {
		fmt_bytes(stat_val(s, i), stat_descs[i].bytes && uopts.human,
			  buf, sizeof(buf));
		printf("  %-18s %s\n", stat_descs[i].name, buf);
	}
	if (netns)
		printf("  %-18s %llu\n", "events_dropped",
		       (unsigned long long)s->events_dropped);
}

static void print_rule_stats(const struct krelay_rule *r)
{
	char l[64], b[CELL_MAX];

	fmt_endpoint(&r->listen, l, sizeof(l));
	fmt_backends(r, 1, b, sizeof(b));
	printf("rule %u: %s -> %s\n", r->id, l, b);
	print_stats_block(&r->stats, 0);
}

/* ------------------------------------------------------------------ */
/* Prometheus text exposition format (-o prometheus)                    */

/*
 * Families of the counters of struct krelay_stats.  Rows with the same name
 * are one family whose samples differ in their "outcome" label.  Each
 * family exists for the netns ("krelay_" NAME, no labels) and per rule
 * ("krelay_rule_" NAME, labels rule and listen).
 */
static const struct prom_desc {
	const char *name;
	const char *type;
	const char *help;
	const char *outcome;
	size_t off;
} prom_descs[] = {
	{ "connections_accepted_total", "counter", "Connections accepted.",
	  NULL, offsetof(struct krelay_stats, accepted) },
	{ "connections_active", "gauge", "Connections open now.",
	  NULL, offsetof(struct krelay_stats, active) },
	{ "connections_ended_total", "counter",
	  "Connections that ended, by how: closed (FIN both ways), reset (RST or socket error), failed (no backend could be connected), idle_timeout, aborted (rule delete, conn kill, unload), denied (by an ACL), overlimit (every usable backend at its maxconn).",
	  "closed", offsetof(struct krelay_stats, closed) },
	{ "connections_ended_total", NULL, NULL,
	  "reset", offsetof(struct krelay_stats, reset) },
	{ "connections_ended_total", NULL, NULL,
	  "failed", offsetof(struct krelay_stats, failed) },
	{ "connections_ended_total", NULL, NULL,
	  "idle_timeout", offsetof(struct krelay_stats, idle_timeout) },
	{ "connections_ended_total", NULL, NULL,
	  "aborted", offsetof(struct krelay_stats, aborted) },
	{ "connections_ended_total", NULL, NULL,
	  "denied", offsetof(struct krelay_stats, denied) },
	{ "connections_ended_total", NULL, NULL,
	  "overlimit", offsetof(struct krelay_stats, overlimit) },
	{ "connect_failures_total", "counter",
	  "Failed connections (outcome=\"failed\") whose last backend connect timed out or was refused.",
	  "timeout", offsetof(struct krelay_stats, connect_timeout) },
	{ "connect_failures_total", NULL, NULL,
	  "refused", offsetof(struct krelay_stats, connect_refused) },
	{ "failovers_total", "counter",
	  "Backend connect failures followed by a try of another backend.",
	  NULL, offsetof(struct krelay_stats, failovers) },
	{ "fast_passes_total", "counter",
	  "Data passed on straight from the receive softirq.",
	  NULL, offsetof(struct krelay_stats, fast_passes) },
	{ "work_runs_total", "counter", "Runs of connections' work items.",
	  NULL, offsetof(struct krelay_stats, work_runs) },
	{ "nomem_retries_total", "counter",
	  "Passes of connections put off for want of memory, retried after a back-off.",
	  NULL, offsetof(struct krelay_stats, nomem_retries) },
	{ "to_backend_bytes_total", "counter",
	  "Payload bytes relayed from clients to backends.",
	  NULL, offsetof(struct krelay_stats, bytes_to_backend) },
	{ "to_client_bytes_total", "counter",
	  "Payload bytes relayed from backends to clients.",
	  NULL, offsetof(struct krelay_stats, bytes_to_client) },
	{ "zerocopy_bytes_total", "counter",
	  "Payload bytes (both ways) moved by page reference.",
	  NULL, offsetof(struct krelay_stats, bytes_zerocopy) },
	{ "copied_bytes_total", "counter",
	  "Payload bytes (both ways) moved by copying.",
	  NULL, offsetof(struct krelay_stats, bytes_copied) },
};

enum {
	PB_UP, PB_HOLDDOWN, PB_WEIGHT, PB_CONNS, PB_FAILED, PB_ACTIVE,
	PB_TO_BACKEND, PB_TO_CLIENT,
};

/* Families of the backends (labels rule, listen, backend). */
static const struct prom_bdesc {
	const char *name;
	const char *type;
	const char *help;
} prom_bdescs[] = {
	[PB_UP]		= { "krelay_backend_up", "gauge",
			    "1 if the backend is up, 0 while in hold-down after a failed connect." },
	[PB_HOLDDOWN]	= { "krelay_backend_holddown_seconds", "gauge",
			    "Hold-down time left (0 when up)." },
	[PB_WEIGHT]	= { "krelay_backend_weight", "gauge",
			    "Scheduling weight." },
	[PB_CONNS]	= { "krelay_backend_connections_total", "counter",
			    "Connections established to the backend." },
	[PB_FAILED]	= { "krelay_backend_connect_failures_total", "counter",
			    "Connects to the backend refused or timed out." },
	[PB_ACTIVE]	= { "krelay_backend_connections_active", "gauge",
			    "Connections to the backend open now." },
	[PB_TO_BACKEND]	= { "krelay_backend_to_backend_bytes_total", "counter",
			    "Payload bytes relayed to the backend." },
	[PB_TO_CLIENT]	= { "krelay_backend_to_client_bytes_total", "counter",
			    "Payload bytes relayed from the backend to clients." },
};

static uint64_t prom_val(const struct krelay_stats *s, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)s + prom_descs[i].off, sizeof(v));
	return v;
}

/* A label value, escaped as the format wants (\\, \", \n). */
static void prom_label(const char *name, const char *v, int first)
{
	printf("%s%s=\"", first ? "" : ",", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			printf("\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", stdout);
		else
			putchar(*v);
	}
	putchar('"');
}

static void prom_rule_labels(const struct krelay_rule *r)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%u", r->id);
	prom_label("rule", buf, 1);
	fmt_endpoint(&r->listen, buf, sizeof(buf));
	prom_label("listen", buf, 0);
}

/* One sample of prom_descs[i]: @r NULL for the netns totals. */
static void prom_sample(size_t i, const struct krelay_rule *r,
			const struct krelay_stats *s)
{
	const struct prom_desc *d = &prom_descs[i];

	printf("krelay_%s%s", r ? "rule_" : "", d->name);
	if (r || d->outcome) {
		putchar('{');
		if (r)
			prom_rule_labels(r);
		if (d->outcome)
			prom_label("outcome", d->outcome, !r);
		putchar('}');
	}
	printf(" %llu\n", (unsigned long long)prom_val(s, i));
}

/* Families of the counters: the netns (@t, may be NULL) or the rules. */
static void prom_stats(const struct krelay_totals *t,
		       const struct krelay_rule *rules, size_t n)
{
	size_t i, j, k;

	for (i = 0; i < ARRAY_SIZE(prom_descs); i = j) {
		for (j = i + 1; j < ARRAY_SIZE(prom_descs) &&
		     !strcmp(prom_descs[j].name, prom_descs[i].name); j++)
			;
		printf("# HELP krelay_%s%s %s%s\n", t ? "" : "rule_",
		       prom_descs[i].name, prom_descs[i].help,
		       t ? "" : " Per rule.");
		printf("# TYPE krelay_%s%s %s\n", t ? "" : "rule_",
		       prom_descs[i].name, prom_descs[i].type);
		if (t) {
			for (k = i; k < j; k++)
				prom_sample(k, NULL, &t->stats);
			continue;
		}
		for (k = 0; k < n; k++) {
			size_t m;

			for (m = i; m < j; m++)
				prom_sample(m, &rules[k], &rules[k].stats);
		}
	}
}

static void prom_backends(const struct krelay_rule *rules, size_t n)
{
	size_t f, k, i;

	for (f = 0; f < ARRAY_SIZE(prom_bdescs); f++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", prom_bdescs[f].name,
		       prom_bdescs[f].help, prom_bdescs[f].name,
		       prom_bdescs[f].type);
		for (k = 0; k < n; k++) {
			for (i = 0; i < rules[k].nbackends; i++) {
				const struct krelay_backend *b =
					&rules[k].backends[i];
				int down = b->state == KRELAY_BACKEND_DOWN;
				char addr[64];

				if (!b->has_state)
					continue;
				printf("%s{", prom_bdescs[f].name);
				prom_rule_labels(&rules[k]);
				fmt_endpoint(&b->addr, addr, sizeof(addr));
				prom_label("backend", addr, 0);
				fputs("} ", stdout);
				switch (f) {
				case PB_UP:
					printf("%d\n", !down);
					break;
				case PB_HOLDDOWN:
					printf("%u.%03u\n",
					       down ? b->down_ms / 1000 : 0,
					       down ? b->down_ms % 1000 : 0);
					break;
				case PB_WEIGHT:
					printf("%u\n", b->weight ? b->weight : 1);
					break;
				default:
					printf("%llu\n", (unsigned long long)
					       (f == PB_CONNS ? b->conns :
						f == PB_FAILED ? b->failed :
						f == PB_ACTIVE ? b->active :
						f == PB_TO_BACKEND ?
						b->bytes_to_backend :
						b->bytes_to_client));
					break;
				}
			}
		}
	}
}

/*
 * The whole exposition: the netns (@t; NULL when one rule was asked for),
 * then the rules and their backends.
 */
static void print_prometheus(const struct krelay_totals *t,
			     const struct krelay_rule *rules, size_t n)
{
	if (t) {
		puts("# HELP krelay_rules Rules in the network namespace.");
		puts("# TYPE krelay_rules gauge");
		printf("krelay_rules %u\n", t->rule_count);
		puts("# HELP krelay_events_dropped_total Monitor events lost for want of memory (netns).");
		puts("# TYPE krelay_events_dropped_total counter");
		printf("krelay_events_dropped_total %llu\n",
		       (unsigned long long)t->stats.events_dropped);
		prom_stats(t, NULL, 0);
	}
	prom_stats(NULL, rules, n);
	prom_backends(rules, n);
}

int do_stats(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	struct vec v = { 0 };
	struct krelay_totals t;
	const struct krelay_rule *rules;
	size_t i;
	int ret;

	if (!cmd->has_ref) {
		ret = krelay_stats_get(h, &t);
		if (ret)
			return kernel_error(h, "stats", NULL,
					    KRELAY_CMD_STATS_GET, ret);
	}
	if (select_rules(h, cmd, "stats", &v))
		return 1;
	rules = v.data;
	if (cmd->has_ref) {
		if (uopts.prometheus)
			print_prometheus(NULL, rules, 1);
		else if (uopts.json)
			json_print(json_rule(rules));
		else
			print_rule_stats(rules);
		vec_free(&v);
		return 0;
	}
	if (!t.has_rule_count)
		t.rule_count = (uint32_t)v.n;

	if (uopts.prometheus) {
		print_prometheus(&t, rules, v.n);
	} else if (uopts.json) {
		struct json_object *o = json_object_new_object();
		struct json_object *a = json_object_new_array();

		json_add_u64(o, "rule_count", t.rule_count);
		json_object_object_add(o, "totals", json_totals(&t.stats));
		for (i = 0; i < v.n; i++)
			json_object_array_add(a, json_rule(&rules[i]));
		json_object_object_add(o, "rules", a);
		json_print(o);
	} else {
		printf("total: %u rule%s\n", t.rule_count,
		       t.rule_count == 1 ? "" : "s");
		print_stats_block(&t.stats, 1);
		for (i = 0; i < v.n; i++)
			print_rule_stats(&rules[i]);
	}
	vec_free(&v);
	return 0;
}
