// SPDX-License-Identifier: GPL-2.0
/*
 * userctl monitor: print krelay events as they happen.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include <linux/krelay.h>

#include "lib/krelay_nl.h"
#include "parse.h"
#include "userctl.h"

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

/*
 * A backend event says the backend went down (hold-down after a failed
 * connect, or its health checks failed) or came back up.
 */
static int backend_event_down(const struct krelay_backend *b)
{
	return b->state == KRELAY_BACKEND_DOWN ||
	       (b->has_health && b->health == KRELAY_HEALTH_DOWN);
}

static void print_event_json(const struct krelay_event *ev, const char *ts)
{
	struct json_object *o = json_object_new_object();
	const char *name = event_names[ev->type];

	if (ev->type == KRELAY_EV_BACKEND)
		name = backend_event_down(&ev->backend) ?
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
			fmt_bytes(ev->conn.bytes_to_backend, uopts.human, x,
				  sizeof(x));
			fmt_bytes(ev->conn.bytes_to_client, uopts.human, y,
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
			printf("backend down rule %u: %s holddown %s failed %llu",
			       ev->rule_id, a, d,
			       (unsigned long long)ev->backend.failed);
		} else if (backend_event_down(&ev->backend)) {
			printf("backend down rule %u: %s", ev->rule_id, a);
		} else {
			printf("backend up rule %u: %s", ev->rule_id, a);
		}
		/* with active checks: their verdict and counters */
		if (ev->backend.has_health)
			printf(" health %s checks %llu/%llu",
			       backend_health_name(&ev->backend),
			       (unsigned long long)ev->backend.checks_ok,
			       (unsigned long long)ev->backend.checks_failed);
		putchar('\n');
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
	if (uopts.timestamp)
		timestamp(ts, sizeof(ts));
	if (uopts.json)
		print_event_json(ev, uopts.timestamp ? ts : NULL);
	else
		print_event_text(ev, uopts.timestamp ? ts : NULL);
	if (st->left && --st->left == 0)
		return 1;
	return 0;
}

int do_monitor(struct krelay_handle *h, const struct userctl_cmd *cmd)
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
