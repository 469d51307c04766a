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
	fmt_endpoint(&r->backend, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:5201");

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
	bad("rule add 127.0.0.1:9000 to 127.0.0.1:80 to 1.1.1.1:1",
	    "\"to\" given twice");
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
	bad("rule set id 1 backlog 5", "backlog cannot be changed");
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
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_rule_add),
		cmocka_unit_test(test_rule_ref_cmds),
		cmocka_unit_test(test_conn_stats),
		cmocka_unit_test(test_trace),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
