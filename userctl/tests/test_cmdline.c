// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of userctl/cmdline.c: options, objects, commands, keywords,
 * abbreviations and usage errors, without any netlink.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <linux/krelay.h>

#include "cmdline.h"
#include "parse.h"

#define MAX_ARGS 32

/* Split @line on spaces into argv (argv[0] = "userctl") and parse it. */
static int parse_line(const char *line, struct userctl_cmd *cmd, char *err,
		      size_t errlen)
{
	static char buf[512];
	static char *argv[MAX_ARGS];
	int argc = 0;
	char *p, *save = NULL;

	snprintf(buf, sizeof(buf), "userctl %s", line);
	for (p = strtok_r(buf, " ", &save); p && argc < MAX_ARGS - 1;
	     p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	argv[argc] = NULL;
	return cmdline_parse(argc, argv, cmd, err, errlen);
}

static void ok(const char *line, struct userctl_cmd *cmd)
{
	char err[512] = "";

	if (parse_line(line, cmd, err, sizeof(err)) != 0)
		fail_msg("\"%s\" rejected: %s", line, err);
}

/* @line must be a usage error whose message contains @needle. */
static void bad(const char *line, const char *needle)
{
	struct userctl_cmd cmd;
	char err[512] = "";
	int ret = parse_line(line, &cmd, err, sizeof(err));

	if (ret != UC_USAGE_ERROR)
		fail_msg("\"%s\" returned %d, want usage error", line, ret);
	if (!strstr(err, needle))
		fail_msg("error for \"%s\" is \"%s\", lacks \"%s\"", line, err,
			 needle);
	if (strchr(err, '\n'))
		fail_msg("error for \"%s\" is not one line", line);
}

static void test_options(void **state)
{
	struct userctl_cmd c;

	(void)state;
	ok("-j rule list", &c);
	assert_true(c.opts.json && !c.opts.pretty && !c.opts.stats);
	ok("-p rule list", &c);
	assert_true(c.opts.json && c.opts.pretty);	/* -p implies -j */
	ok("-s -h rule list", &c);
	assert_true(c.opts.stats && c.opts.human && !c.opts.json);
	ok("-jsh rule list", &c);
	assert_true(c.opts.json && c.opts.stats && c.opts.human);
	ok("--json --stats --human rule list", &c);
	assert_true(c.opts.json && c.opts.stats && c.opts.human);
	ok("--pretty stats", &c);
	assert_true(c.opts.json && c.opts.pretty);
	ok("--js rule", &c);		/* long options abbreviate too */
	assert_true(c.opts.json);
	ok("-V", &c);
	assert_int_equal(c.action, UC_ACT_VERSION);
	ok("--version", &c);
	assert_int_equal(c.action, UC_ACT_VERSION);
	ok("--help", &c);
	assert_int_equal(c.action, UC_ACT_HELP);
	assert_int_equal(c.object, UC_OBJ_NONE);

	bad("-x rule list", "unknown option \"-x\"");
	bad("--frob rule list", "unknown option \"--frob\"");
	bad("--h rule list", "ambiguous option \"--h\"");
	bad("", "missing OBJECT");
	bad("rule list -j", "option \"-j\" must come before the object");
	bad("conn list --json", "\"--json\" must come before");
	bad("conn kill -5", "invalid connection id \"-5\"");
	bad("-j", "missing OBJECT");
}

static void test_output_format(void **state)
{
	struct userctl_cmd c;

	(void)state;
	ok("-o prometheus stats", &c);
	assert_true(c.opts.prometheus && !c.opts.json);
	assert_int_equal(c.object, UC_OBJ_STATS);
	ok("-oprometheus stats id 3", &c);
	assert_true(c.opts.prometheus && c.has_ref && c.ref.id == 3);
	ok("--output prometheus stats", &c);
	assert_true(c.opts.prometheus);
	ok("--output=prom stats", &c);		/* formats abbreviate */
	assert_true(c.opts.prometheus);
	ok("--out p -s stats", &c);		/* and so does --output */
	assert_true(c.opts.prometheus && c.opts.stats);
	ok("-o json rule list", &c);
	assert_true(c.opts.json && !c.opts.prometheus);
	ok("-p -o text rule list", &c);		/* the last one counts */
	assert_true(!c.opts.json && !c.opts.pretty);
	ok("-o prometheus -o text stats", &c);
	assert_true(!c.opts.prometheus && !c.opts.json);
	ok("-o prometheus help stats", &c);
	assert_int_equal(c.action, UC_ACT_HELP);

	bad("-o", "option \"-o\" needs a FORMAT");
	bad("--output", "option \"--output\" needs a FORMAT");
	bad("-o xml stats", "unknown output format \"xml\"");
	bad("--output= stats", "unknown output format \"\"");
	bad("-o prometheus rule list", "prometheus is only for stats");
	bad("-o prometheus conn count", "prometheus is only for stats");
	bad("-j -o prometheus stats", "exclude each other");
	bad("-o prometheus -p stats", "exclude each other");
	bad("--json=1 stats", "unknown option \"--json=1\"");
	bad("stats -o prometheus", "\"-o\" must come before the object");
}

static void test_objects(void **state)
{
	struct userctl_cmd c;

	(void)state;
	ok("r l", &c);
	assert_int_equal(c.object, UC_OBJ_RULE);
	assert_int_equal(c.command, UC_CMD_LIST);
	assert_false(c.has_ref);
	ok("rule", &c);			/* default command: list */
	assert_int_equal(c.command, UC_CMD_LIST);
	ok("rule show", &c);
	assert_int_equal(c.command, UC_CMD_LIST);
	ok("ru ls", &c);
	assert_int_equal(c.command, UC_CMD_LIST);
	ok("c l", &c);
	assert_int_equal(c.object, UC_OBJ_CONN);
	assert_int_equal(c.command, UC_CMD_LIST);
	ok("conn", &c);
	assert_int_equal(c.command, UC_CMD_LIST);
	ok("connection count", &c);
	assert_int_equal(c.command, UC_CMD_COUNT);
	ok("s", &c);
	assert_int_equal(c.object, UC_OBJ_STATS);
	ok("statistics", &c);
	assert_int_equal(c.object, UC_OBJ_STATS);

	bad("frob", "unknown object \"frob\"");
	bad("rule frobnicate", "unknown command \"frobnicate\"");
	bad("rule s", "ambiguous command \"s\"");
	bad("rule s", "set, show");
	bad("conn frob", "\"frob\"");
	bad("RULE list", "\"RULE\"");
}

static void test_help(void **state)
{
	struct userctl_cmd c;

	(void)state;
	ok("help", &c);
	assert_int_equal(c.action, UC_ACT_HELP);
	assert_int_equal(c.object, UC_OBJ_NONE);
	ok("help rule", &c);
	assert_int_equal(c.action, UC_ACT_HELP);
	assert_int_equal(c.object, UC_OBJ_RULE);
	ok("help c", &c);
	assert_int_equal(c.object, UC_OBJ_CONN);
	ok("rule help", &c);
	assert_int_equal(c.action, UC_ACT_HELP);
	assert_int_equal(c.object, UC_OBJ_RULE);
	ok("rule add help", &c);
	assert_int_equal(c.action, UC_ACT_HELP);
	ok("rule add 1.2.3.4:80 to 5.6.7.8:90 help", &c);
	assert_int_equal(c.action, UC_ACT_HELP);
	ok("conn help", &c);
	assert_int_equal(c.object, UC_OBJ_CONN);
	assert_int_equal(c.action, UC_ACT_HELP);
	ok("stats help", &c);
	assert_int_equal(c.object, UC_OBJ_STATS);
	assert_int_equal(c.action, UC_ACT_HELP);
	bad("help frob", "unknown object \"frob\"");
	bad("help rule extra", "unexpected argument \"extra\"");
}

static void test_rule_add(void **state)
{
	struct userctl_cmd c;
	struct krelay_rule *r = &c.rule;
	char buf[64];

	(void)state;
	ok("rule add 0.0.0.0:9000 to 127.0.0.1:5201", &c);
	assert_int_equal(c.object, UC_OBJ_RULE);
	assert_int_equal(c.command, UC_CMD_ADD);
	assert_int_equal(r->present, KRELAY_RULE_F_LISTEN | KRELAY_RULE_F_BACKEND);
	fmt_endpoint(&r->listen, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0:9000");
	assert_int_equal(r->nbackends, 1);
	fmt_endpoint(&r->backends[0].addr, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:5201");
	assert_int_equal(r->backends[0].weight, 0);	/* not sent */

	ok("rule add [::]:9000 to [::1]:80 mode copy connect-timeout 2s idle-timeout 1m backlog 512",
	   &c);
	assert_int_equal(r->present,
			 KRELAY_RULE_F_LISTEN | KRELAY_RULE_F_BACKEND |
			 KRELAY_RULE_F_MODE | KRELAY_RULE_F_CONNECT_TIMEOUT |
			 KRELAY_RULE_F_IDLE_TIMEOUT | KRELAY_RULE_F_BACKLOG);
	assert_int_equal(r->listen.family, AF_INET6);
	assert_int_equal(r->mode, KRELAY_MODE_COPY);
	assert_int_equal(r->connect_timeout_ms, 2000);
	assert_int_equal(r->idle_timeout_ms, 60000);
	assert_int_equal(r->backlog, 512);

	/* abbreviations of command, keywords and mode; keyword order free */
	ok("r a *:9000 b 16 t 10.0.0.1:80 m s c 250 i off", &c);
	assert_int_equal(r->mode, KRELAY_MODE_SPLICE);
	assert_int_equal(r->backlog, 16);
	assert_int_equal(r->connect_timeout_ms, 250);
	assert_int_equal(r->idle_timeout_ms, 0);
	assert_true(r->present & KRELAY_RULE_F_IDLE_TIMEOUT);
	ok("rule add :9000 to 1.1.1.1:1 mode c", &c);
	assert_int_equal(r->mode, KRELAY_MODE_COPY);

	/* limits from the ABI header */
	ok("rule add :1 to 1.1.1.1:1 connect-timeout 600000", &c);
	ok("rule add :1 to 1.1.1.1:1 idle-timeout 86400000 backlog 65535", &c);
	bad("rule add :1 to 1.1.1.1:1 connect-timeout 600001",
	    "invalid connect-timeout \"600001\"");
	bad("rule add :1 to 1.1.1.1:1 connect-timeout 0", "connect-timeout");
	bad("rule add :1 to 1.1.1.1:1 connect-timeout off", "connect-timeout");
	bad("rule add :1 to 1.1.1.1:1 idle-timeout 2d", "idle-timeout \"2d\"");
	bad("rule add :1 to 1.1.1.1:1 backlog 0", "invalid backlog \"0\"");
	bad("rule add :1 to 1.1.1.1:1 backlog 65536", "invalid backlog");
	bad("rule add :1 to 1.1.1.1:1 backlog many", "\"many\"");

	/* errors */
	bad("rule add", "missing LISTEN");
	bad("rule add 127.0.0.1:9000", "missing \"to BACKEND\"");
	bad("rule add 127.0.0.1:9000 to", "missing value after \"to\"");
	bad("rule add 1.2.3:9000 to 127.0.0.1:80", "\"1.2.3:9000\"");
	bad("rule add 127.0.0.1:9000 to nowhere:80", "\"nowhere:80\"");
	bad("rule add 127.0.0.1:70000 to 127.0.0.1:80",
	    "invalid port \"70000\" in \"127.0.0.1:70000\": must be 1-65535");
	bad("rule add 127.0.0.1:0 to 127.0.0.1:80", "port");
	bad("rule add 127.0.0.1:9000 to 127.0.0.1:80 mode zerocopy",
	    "invalid mode \"zerocopy\"");
	bad("rule add 127.0.0.1:9000 to 127.0.0.1:80 frob 1",
	    "unknown keyword \"frob\"");
	bad("rule add 127.0.0.1:9000 to 127.0.0.1:80 to 127.0.0.1:80",
	    "backend \"127.0.0.1:80\" given twice");
	bad("rule add 127.0.0.1:9000 127.0.0.1:80", "unknown keyword \"127.0.0.1:80\"");
}

static void test_rule_ref_cmds(void **state)
{
	struct userctl_cmd c;
	char buf[64];

	(void)state;
	ok("rule del 0.0.0.0:9000", &c);
	assert_int_equal(c.command, UC_CMD_DEL);
	assert_true(c.has_ref);
	assert_int_equal(c.ref.id, 0);
	fmt_endpoint(&c.ref.listen, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0:9000");

	ok("rule delete id 7", &c);
	assert_int_equal(c.command, UC_CMD_DEL);
	assert_int_equal(c.ref.id, 7);
	ok("r d i 4294967295", &c);
	assert_int_equal(c.ref.id, 4294967295u);

	ok("rule list id 3", &c);
	assert_int_equal(c.command, UC_CMD_LIST);
	assert_int_equal(c.ref.id, 3);
	ok("rule show [::1]:80", &c);
	assert_int_equal(c.ref.listen.family, AF_INET6);

	ok("rule set id 2 to 10.0.0.2:80 mode copy", &c);
	assert_int_equal(c.command, UC_CMD_SET);
	assert_int_equal(c.ref.id, 2);
	assert_int_equal(c.rule.present, KRELAY_RULE_F_BACKEND | KRELAY_RULE_F_MODE);
	ok("rule set *:9000 idle-timeout 30s", &c);
	assert_int_equal(c.rule.idle_timeout_ms, 30000);
	assert_int_equal(c.rule.present, KRELAY_RULE_F_IDLE_TIMEOUT);

	bad("rule del", "missing rule");
	bad("rule del id", "missing rule id");
	bad("rule del id 0", "invalid rule id \"0\"");
	bad("rule del id -1", "invalid rule id \"-1\"");
	bad("rule del id 4294967296", "invalid rule id");
	bad("rule del id x", "\"x\"");
	bad("rule del garbage", "invalid endpoint \"garbage\"");
	bad("rule del 0.0.0.0:9000 extra", "unexpected argument \"extra\"");
	bad("rule list id 1 2", "unexpected argument \"2\"");
	bad("rule set id 1", "nothing to change");
	ok("rule set id 1 backlog 5", &c);
	assert_int_equal(c.rule.present, KRELAY_RULE_F_BACKLOG);
	bad("rule set id 1 mode", "missing value after \"mode\"");
}

static void test_conn_stats(void **state)
{
	struct userctl_cmd c;

	(void)state;
	ok("conn list", &c);
	assert_false(c.has_ref);
	ok("conn list rule id 5", &c);
	assert_true(c.has_ref);
	assert_int_equal(c.ref.id, 5);
	ok("c co r 0.0.0.0:9000", &c);
	assert_int_equal(c.command, UC_CMD_COUNT);
	assert_true(c.has_ref);
	assert_int_equal(c.ref.listen.port, 9000);
	ok("conn kill 18446744073709551615", &c);
	assert_int_equal(c.command, UC_CMD_KILL);
	assert_true(c.conn_id == UINT64_MAX);

	ok("conn c", &c);
	assert_int_equal(c.command, UC_CMD_COUNT);
	bad("conn kill", "missing connection ID");
	bad("conn kill abc", "invalid connection id \"abc\"");
	bad("conn kill 1 2", "unexpected argument \"2\"");
	bad("conn list frob", "unknown keyword \"frob\"");
	bad("conn list rule", "missing rule");

	ok("stats", &c);
	assert_int_equal(c.object, UC_OBJ_STATS);
	assert_false(c.has_ref);
	ok("stats id 4", &c);
	assert_int_equal(c.ref.id, 4);
	ok("stats show *:80", &c);
	assert_int_equal(c.ref.listen.port, 80);
	ok("stats 1.2.3.4:5", &c);
	assert_true(c.has_ref);
	bad("stats garbage", "\"garbage\"");
	bad("stats id 1 more", "unexpected argument \"more\"");
}

static void test_rule_features(void **state)
{
	struct userctl_cmd c;
	struct krelay_rule *r = &c.rule;
	char buf[128];

	(void)state;
	ok("rule add :9000 to 10.0.0.1:80 weight 2 to 10.0.0.2:80 to [::1]:81 weight 10000 sched wrr holddown 5s src 10.0.0.9 mark 7 keepalive 30 allow 10.0.0.0/8 deny 10.1.0.0/16 allow fd00::/8",
	   &c);
	assert_int_equal(r->nbackends, 3);
	assert_int_equal(r->backends[0].weight, 2);
	assert_int_equal(r->backends[1].weight, 0);
	assert_int_equal(r->backends[2].weight, 10000);
	assert_int_equal(r->backends[2].addr.family, AF_INET6);
	fmt_backends(r, 0, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1:80*2,10.0.0.2:80,[::1]:81*10000");
	assert_int_equal(r->sched, KRELAY_SCHED_WRR);
	assert_int_equal(r->holddown_ms, 5000);
	assert_int_equal(r->source.family, AF_INET);
	assert_int_equal(r->source.port, 0);
	assert_int_equal(r->mark, 7);
	assert_int_equal(r->keepalive_s, 30);
	assert_int_equal(r->acl.n, 3);
	assert_int_equal(r->acl.e[0].action, KRELAY_ACL_ALLOW);
	assert_int_equal(r->acl.e[1].action, KRELAY_ACL_DENY);
	assert_int_equal(r->acl.e[1].prefixlen, 16);
	fmt_prefix(&r->acl.e[2], buf, sizeof(buf));
	assert_string_equal(buf, "fd00::/8");
	assert_true(r->present & KRELAY_RULE_F_ACL);
	assert_true(r->present & KRELAY_RULE_F_SOURCE);
	assert_true(r->present & KRELAY_RULE_F_MARK);

	ok("rule add :1 to 1.1.1.1:1 sched lc keepalive 2m holddown off src [::1]:4000 allow 1.2.3.4",
	   &c);
	assert_int_equal(r->sched, KRELAY_SCHED_LC);
	assert_int_equal(r->keepalive_s, 120);
	assert_int_equal(r->holddown_ms, 0);
	assert_true(r->present & KRELAY_RULE_F_HOLDDOWN);
	assert_int_equal(r->source.family, AF_INET6);
	assert_int_equal(r->source.port, 4000);
	assert_int_equal(r->acl.e[0].prefixlen, 32);
	ok("rule add :1 to 1.1.1.1:1 keepalive off mark 0 sched r", &c);
	assert_int_equal(r->keepalive_s, 0);
	assert_true(r->present & KRELAY_RULE_F_KEEPALIVE);
	assert_int_equal(r->sched, KRELAY_SCHED_RR);

	/* active health checks */
	ok("rule add :1 to 1.1.1.1:1 check interval 2s rise 2 fall 3 timeout 1s", &c);
	r = &c.rule;
	assert_true(r->present & KRELAY_RULE_F_CHECK);
	assert_int_equal(r->check.enabled, 1);
	assert_int_equal(r->check.interval_ms, 2000);
	assert_int_equal(r->check.timeout_ms, 1000);
	assert_int_equal(r->check.rise, 2);
	assert_int_equal(r->check.fall, 3);
	ok("rule add :1 to 1.1.1.1:1 check on mode copy", &c);
	assert_int_equal(r->check.enabled, 1);
	assert_int_equal(r->check.interval_ms, KRELAY_CHECK_DEFAULT_INTERVAL_MS);
	assert_int_equal(r->mode, KRELAY_MODE_COPY);
	ok("rule add :1 to 1.1.1.1:1 check fall 5 c 250", &c);
	assert_int_equal(r->check.enabled, 1);
	assert_int_equal(r->check.interval_ms, 0);	/* the kernel's */
	assert_int_equal(r->check.fall, 5);
	assert_int_equal(r->connect_timeout_ms, 250);
	ok("rule set :1 check off", &c);
	assert_true(r->present & KRELAY_RULE_F_CHECK);
	assert_int_equal(r->check.enabled, 0);
	ok("rule set :1 check rise 1", &c);
	assert_int_equal(r->check.enabled, 1);
	assert_int_equal(r->check.rise, 1);
	bad("rule add :1 to 1.1.1.1:1 check off", "\"check off\" only makes sense for rule set");
	bad("rule add :1 to 1.1.1.1:1 check", "\"check\" needs on, off");
	bad("rule add :1 to 1.1.1.1:1 check mode copy", "\"check\" needs on, off");
	bad("rule add :1 to 1.1.1.1:1 check interval 50ms", "invalid check interval \"50ms\"");
	bad("rule add :1 to 1.1.1.1:1 check interval 2h", "invalid check interval \"2h\"");
	bad("rule add :1 to 1.1.1.1:1 check timeout 5", "invalid check timeout \"5\"");
	bad("rule add :1 to 1.1.1.1:1 check rise 0", "invalid check rise \"0\"");
	bad("rule add :1 to 1.1.1.1:1 check fall 101", "invalid check fall \"101\"");
	bad("rule add :1 to 1.1.1.1:1 check rise 2 rise 3", "\"check rise\" given twice");
	bad("rule add :1 to 1.1.1.1:1 check rise", "missing value after \"check rise\"");
	bad("rule add :1 to 1.1.1.1:1 check on fall 2", "unknown keyword \"fall\"");
	bad("rule add :1 to 1.1.1.1:1 check rise 2 on", "\"check on\" takes no other check keyword");
	bad("rule add :1 to 1.1.1.1:1 check on check on", "\"check\" given twice");

	/* bad values name themselves */
	ok("rule add :9000 to 10.0.0.1:80 maxconn 500", &c);
	assert_true(c.rule.present & KRELAY_RULE_F_MAXCONN);
	assert_int_equal(c.rule.maxconn, 500);
	ok("rule set :9000 maxconn off", &c);
	assert_int_equal(c.rule.present, KRELAY_RULE_F_MAXCONN);
	assert_int_equal(c.rule.maxconn, 0);
	bad("rule add :1 to 1.1.1.1:1 maxconn 16777217", "invalid maxconn \"16777217\": must be 0-16777216");
	bad("rule add :1 to 1.1.1.1:1 maxconn 1 maxconn 2", "\"maxconn\" given twice");
	bad("rule add :1 to 1.1.1.1:1 maxconn many", "invalid maxconn \"many\"");
	bad("rule add :1 to 1.1.1.1:1 ma 1", "ambiguous keyword \"ma\"");
	bad("rule add :1 to 1.1.1.1:1 weight 0", "invalid weight \"0\"");
	bad("rule add :1 to 1.1.1.1:1 weight 10001", "invalid weight \"10001\"");
	bad("rule add :1 weight 2 to 1.1.1.1:1", "\"weight\" must follow \"to BACKEND\"");
	bad("rule add :1 to 1.1.1.1:1 weight 2 weight 3", "must follow");
	bad("rule add :1 to 1.1.1.1:1 mode copy weight 2", "must follow");
	bad("rule add :1 to 1.1.1.1:1 sched fastest", "invalid sched \"fastest\"");
	bad("rule add :1 to 1.1.1.1:1 sched rr sched lc", "\"sched\" given twice");
	bad("rule add :1 to 1.1.1.1:1 holddown 2h", "invalid holddown \"2h\"");
	bad("rule add :1 to 1.1.1.1:1 holddown soon", "holddown");
	bad("rule add :1 to 1.1.1.1:1 src nowhere", "invalid address \"nowhere\"");
	bad("rule add :1 to 1.1.1.1:1 src none", "only makes sense for rule set");
	bad("rule add :1 to 1.1.1.1:1 mark -1", "invalid mark \"-1\"");
	bad("rule add :1 to 1.1.1.1:1 mark 4294967296", "invalid mark");
	bad("rule add :1 to 1.1.1.1:1 keepalive 32768", "invalid keepalive \"32768\"");
	bad("rule add :1 to 1.1.1.1:1 keepalive 1500ms", "whole seconds");
	bad("rule add :1 to 1.1.1.1:1 keepalive 10h", "invalid keepalive");
	bad("rule add :1 to 1.1.1.1:1 allow 10.0.0.1/8",
	    "invalid prefix \"10.0.0.1/8\": host bits set beyond /8 (did you mean 10.0.0.0/8?)");
	bad("rule add :1 to 1.1.1.1:1 deny fd00::1/64", "host bits set");
	bad("rule add :1 to 1.1.1.1:1 allow 10.0.0.0/33", "prefix length");
	bad("rule add :1 to 1.1.1.1:1 allow 10.0.0.*", "invalid prefix \"10.0.0.*\"");
	bad("rule add :1 to 1.1.1.1:1 allow 1.2.3.4 allow 1.2.3.4", "given twice");
	bad("rule add :1 to 1.1.1.1:1 acl flush", "only makes sense for rule set");
	bad("rule add :1 to 1.1.1.1:1 m", "missing value after \"m\"");
	bad("rule add :1 to 1.1.1.1:1 a 1", "ambiguous keyword \"a\"");
	bad("rule add :1 to 1.1.1.1:1 s rr", "ambiguous keyword \"s\"");

	/* rule set: atomic, everything optional */
	ok("rule set id 3 to 10.0.0.5:80 weight 4 to 10.0.0.6:80 sched lc src none acl flush mark 9",
	   &c);
	assert_int_equal(c.rule.present,
			 KRELAY_RULE_F_BACKEND | KRELAY_RULE_F_SCHED |
			 KRELAY_RULE_F_SOURCE | KRELAY_RULE_F_ACL |
			 KRELAY_RULE_F_MARK);
	assert_int_equal(c.rule.nbackends, 2);
	assert_int_equal(c.rule.source.family, 0);
	assert_int_equal(c.rule.acl.n, 0);
	ok("rule set *:9000 deny 10.0.0.0/8", &c);
	assert_int_equal(c.rule.present, KRELAY_RULE_F_ACL);
	assert_int_equal(c.rule.acl.n, 1);
	bad("rule set id 3 allow 1.2.3.4 acl flush", "exclude each other");
	bad("rule set id 3 acl flush deny 1.2.3.4", "exclude each other");
	bad("rule set id 3 acl frob", "acl frob");
}

/* issue 21: PROXY protocol and transparency */
static void test_proxy_transparent(void **state)
{
	struct userctl_cmd c;
	struct krelay_rule *r = &c.rule;

	(void)state;
	ok("rule add :9000 to 10.0.0.1:80 proxy-protocol v1", &c);
	assert_int_equal(r->proxy_protocol, KRELAY_PROXY_V1);
	assert_true(r->present & KRELAY_RULE_F_PROXY);
	assert_false(r->present & KRELAY_RULE_F_TRANSPARENT);
	ok("rule add [::]:9000 to [::1]:80 proxy-protocol v2 transparent on", &c);
	assert_int_equal(r->proxy_protocol, KRELAY_PROXY_V2);
	assert_int_equal(r->transparent, 1);
	assert_true(r->present & KRELAY_RULE_F_TRANSPARENT);
	ok("rule set :9000 proxy-protocol off transparent off", &c);
	assert_int_equal(r->proxy_protocol, KRELAY_PROXY_OFF);
	assert_int_equal(r->transparent, 0);
	assert_true(r->present & KRELAY_RULE_F_PROXY);
	assert_true(r->present & KRELAY_RULE_F_TRANSPARENT);
	/* abbreviations: "prox", "tr"; a bare "t" still means "to" */
	ok("r a :1 t 1.1.1.1:1 prox v2 tr on", &c);
	assert_int_equal(r->nbackends, 1);
	assert_int_equal(r->proxy_protocol, KRELAY_PROXY_V2);
	assert_int_equal(r->transparent, 1);

	bad("rule add :1 to 1.1.1.1:1 proxy-protocol v3",
	    "invalid proxy-protocol \"v3\": expected v1, v2 or off");
	bad("rule add :1 to 1.1.1.1:1 proxy-protocol v", "invalid proxy-protocol \"v\"");
	bad("rule add :1 to 1.1.1.1:1 proxy-protocol on", "invalid proxy-protocol \"on\"");
	bad("rule add :1 to 1.1.1.1:1 proxy-protocol", "missing value after \"proxy-protocol\"");
	bad("rule add :1 to 1.1.1.1:1 proxy-protocol v1 proxy-protocol v2",
	    "\"proxy-protocol\" given twice");
	bad("rule add :1 to 1.1.1.1:1 transparent yes",
	    "invalid transparent \"yes\": expected on or off");
	bad("rule add :1 to 1.1.1.1:1 transparent 1", "invalid transparent \"1\"");
	bad("rule add :1 to 1.1.1.1:1 transparent on transparent off",
	    "\"transparent\" given twice");
}

static void test_backend_acl(void **state)
{
	struct userctl_cmd c;
	char buf[64];

	(void)state;
	ok("backend add id 2 10.0.0.3:80 weight 5", &c);
	assert_int_equal(c.object, UC_OBJ_BACKEND);
	assert_int_equal(c.command, UC_CMD_ADD);
	assert_int_equal(c.ref.id, 2);
	assert_int_equal(c.backend.weight, 5);
	fmt_endpoint(&c.backend.addr, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.3:80");
	ok("b a 0.0.0.0:9000 [::1]:80", &c);
	assert_int_equal(c.backend.weight, 0);
	assert_int_equal(c.backend.addr.family, AF_INET6);
	ok("backend del *:9000 10.0.0.3:80", &c);
	assert_int_equal(c.command, UC_CMD_DEL);
	ok("backend set id 1 10.0.0.3:80 weight 1", &c);
	assert_int_equal(c.command, UC_CMD_SET);
	assert_int_equal(c.backend.weight, 1);
	ok("backend list", &c);
	assert_int_equal(c.command, UC_CMD_LIST);
	assert_false(c.has_ref);
	ok("backend", &c);
	assert_int_equal(c.command, UC_CMD_LIST);
	ok("backend show id 4", &c);
	assert_int_equal(c.ref.id, 4);
	ok("backend add id 2 10.0.0.3:80 weight 5 maxconn 100", &c);
	assert_int_equal(c.backend.weight, 5);
	assert_int_equal(c.backend.maxconn, 100);
	assert_true(c.backend_has_maxconn);
	ok("backend add id 2 10.0.0.3:80 maxconn 16777216", &c);
	assert_int_equal(c.backend.weight, 0);
	assert_int_equal(c.backend.maxconn, 16777216);
	ok("backend set id 1 10.0.0.3:80 maxconn off", &c);
	assert_int_equal(c.backend.weight, 0);	/* not given: kept */
	assert_int_equal(c.backend.maxconn, 0);
	assert_true(c.backend_has_maxconn);
	ok("backend set id 1 10.0.0.3:80 weight 3", &c);
	assert_false(c.backend_has_maxconn);	/* not given: kept */
	ok("backend set id 1 10.0.0.3:80 m 7 w 2", &c);
	assert_int_equal(c.backend.maxconn, 7);
	assert_int_equal(c.backend.weight, 2);
	bad("backend set id 1 10.0.0.3:80 maxconn 16777217", "invalid maxconn \"16777217\"");
	bad("backend set id 1 10.0.0.3:80 maxconn -1", "invalid maxconn \"-1\"");
	bad("backend set id 1 10.0.0.3:80 maxconn", "missing value after \"maxconn\"");
	bad("backend set id 1 10.0.0.3:80 maxconn 1 maxconn 2", "\"maxconn\" given twice");
	bad("backend add id 1 10.0.0.3:80 weight 1 weight 2", "\"weight\" given twice");
	bad("backend set id 1 10.0.0.3:80", "missing \"weight W\", \"maxconn N\", \"drain\" or \"undrain\"");
	bad("backend add id 1 10.0.0.3:80 weight 0", "invalid weight \"0\"");
	bad("backend add id 1 10.0.0.3:80 drain", "unknown keyword \"drain\"");

	/* rule del --drain TIME */
	ok("rule del 127.0.0.1:80 --drain 30s", &c);
	assert_int_equal(c.rule_drain, 1);
	assert_int_equal(c.rule_drain_ms, 30000);
	ok("rule del id 3 drain off", &c);
	assert_int_equal(c.rule_drain, 1);
	assert_int_equal(c.rule_drain_ms, 0);
	ok("rule del id 3", &c);
	assert_int_equal(c.rule_drain, 0);
	bad("rule del id 3 --drain", "missing TIME after \"--drain\"");
	bad("rule del id 3 --drain 2d", "invalid drain timeout \"2d\"");
	bad("rule del id 3 --drain 1s extra", "unexpected argument \"extra\"");

	/* drain: weight 0, drain [ timeout T ], undrain */
	ok("backend set id 1 10.0.0.3:80 weight 0", &c);
	assert_int_equal(c.backend.drain, 1);
	assert_int_equal(c.backend.weight, 0);
	assert_int_equal(c.backend.drain_timeout_ms, 0);
	ok("backend set id 1 10.0.0.3:80 drain", &c);
	assert_int_equal(c.backend.drain, 1);
	assert_int_equal(c.backend.drain_timeout_ms, 0);
	ok("backend set id 1 10.0.0.3:80 drain timeout 30s", &c);
	assert_int_equal(c.backend.drain, 1);
	assert_int_equal(c.backend.drain_timeout_ms, 30000);
	ok("backend set id 1 10.0.0.3:80 drain timeout off", &c);
	assert_int_equal(c.backend.drain_timeout_ms, 0);
	ok("backend set id 1 10.0.0.3:80 undrain", &c);
	assert_int_equal(c.undrain, 1);
	assert_int_equal(c.backend.drain, 0);
	ok("backend set id 1 10.0.0.3:80 weight 5", &c);
	assert_int_equal(c.backend.drain, 0);
	assert_int_equal(c.backend.weight, 5);
	bad("backend set id 1 10.0.0.3:80 drain timeout", "missing value after \"timeout\"");
	bad("backend set id 1 10.0.0.3:80 drain timeout 2d", "invalid drain timeout \"2d\"");
	bad("backend set id 1 10.0.0.3:80 drain soon", "\"soon\"");
	bad("backend set id 1 10.0.0.3:80 undrain now", "unknown keyword \"now\"");
	ok("backend set id 1 10.0.0.3:80 drain timeout 5s maxconn 3", &c);
	assert_int_equal(c.backend.drain, 1);
	assert_int_equal(c.backend.drain_timeout_ms, 5000);
	assert_int_equal(c.backend.maxconn, 3);
	ok("backend set id 1 10.0.0.3:80 maxconn 4", &c);
	assert_int_equal(c.backend.drain, 0);	/* not given: kept */
	assert_int_equal(c.undrain, 0);
	bad("backend set id 1 10.0.0.3:80 drain undrain", "drain and undrain given twice or together");
	bad("backend set id 1 10.0.0.3:80 drain weight 2", "drain and a weight exclude each other");
	bad("backend del id 1 10.0.0.3:80 weight 2", "unexpected argument \"weight\"");
	bad("backend add id 1", "missing BACKEND");
	bad("backend add id 1 nowhere", "\"nowhere\"");
	bad("backend add id 1 1.1.1.1:1 frob 2", "unknown keyword \"frob\"");
	bad("backend frob", "unknown command \"frob\"");

	ok("acl", &c);
	assert_int_equal(c.object, UC_OBJ_ACL);
	assert_int_equal(c.command, UC_CMD_LIST);
	ok("acl add deny 10.9.0.0/16", &c);
	assert_int_equal(c.command, UC_CMD_ADD);
	assert_int_equal(c.acl_entry.action, KRELAY_ACL_DENY);
	assert_int_equal(c.acl_entry.prefixlen, 16);
	ok("acl del a ::1", &c);
	assert_int_equal(c.command, UC_CMD_DEL);
	assert_int_equal(c.acl_entry.action, KRELAY_ACL_ALLOW);
	assert_int_equal(c.acl_entry.prefixlen, 128);
	ok("acl flush", &c);
	assert_int_equal(c.command, UC_CMD_FLUSH);
	bad("acl add permit 1.2.3.4", "expected allow or deny, not \"permit\"");
	bad("acl add allow", "missing PREFIX");
	bad("acl add allow 10.0.0.1/24", "host bits set");
	bad("acl flush now", "unexpected argument \"now\"");
	bad("a l", "ambiguous object \"a\"");
}

static void test_monitor_apply(void **state)
{
	struct userctl_cmd c;

	(void)state;
	ok("monitor", &c);
	assert_int_equal(c.object, UC_OBJ_MONITOR);
	assert_int_equal(c.monitor_mask, 0);
	assert_true(c.monitor_count == 0);
	ok("-j -t monitor conn backend count 3", &c);
	assert_true(c.opts.json && c.opts.timestamp);
	assert_int_equal(c.monitor_mask, UC_MON_CONN | UC_MON_BACKEND);
	assert_true(c.monitor_count == 3);
	ok("m r", &c);
	assert_int_equal(c.monitor_mask, UC_MON_RULE);
	ok("monitor all", &c);
	assert_int_equal(c.monitor_mask, UC_MON_RULE | UC_MON_CONN | UC_MON_BACKEND);
	bad("monitor count 0", "invalid count \"0\"");
	bad("monitor count", "missing value after \"count\"");
	bad("monitor frob", "unknown event kind \"frob\"");

	ok("apply /etc/rinetd.conf", &c);
	assert_int_equal(c.object, UC_OBJ_APPLY);
	assert_string_equal(c.file, "/etc/rinetd.conf");
	assert_false(c.dry_run);
	ok("ap x.conf --dry-run", &c);
	assert_true(c.dry_run);
	ok("apply -n -", &c);
	assert_true(c.dry_run);
	assert_string_equal(c.file, "-");
	ok("apply help", &c);
	assert_int_equal(c.action, UC_ACT_HELP);
	bad("apply", "missing FILE");
	bad("apply a b", "unexpected argument \"b\"");
	bad("apply a --force", "unknown option \"--force\"");
	ok("export", &c);
	assert_int_equal(c.object, UC_OBJ_EXPORT);
	bad("export x", "unexpected argument \"x\"");
}

static void test_trace(void **state)
{
	struct userctl_cmd c;

	(void)state;
	ok("-j trace report -x --foo", &c);
	assert_int_equal(c.object, UC_OBJ_TRACE);
	assert_true(c.opts.json);
	assert_int_equal(c.trace_argc, 4);
	assert_string_equal(c.trace_argv[0], "trace");
	assert_string_equal(c.trace_argv[1], "report");
	assert_string_equal(c.trace_argv[3], "--foo");
	ok("t", &c);
	assert_int_equal(c.object, UC_OBJ_TRACE);
	assert_int_equal(c.trace_argc, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_output_format),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_rule_add),
		cmocka_unit_test(test_rule_ref_cmds),
		cmocka_unit_test(test_conn_stats),
		cmocka_unit_test(test_rule_features),
		cmocka_unit_test(test_proxy_transparent),
		cmocka_unit_test(test_backend_acl),
		cmocka_unit_test(test_monitor_apply),
		cmocka_unit_test(test_trace),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
