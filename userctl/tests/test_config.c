// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of userctl/config.c: the rinetd.conf reader (good files,
 * malformed ones with their FILE:LINE:COLUMN, ignored directives) and the
 * writer (export | apply round trip).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <linux/krelay.h>

#include "config.h"
#include "parse.h"

struct warnings {
	int n;
	char last[256];
};

static void collect(const char *msg, void *arg)
{
	struct warnings *w = arg;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

static void good(const char *text, struct uc_config *cfg, struct warnings *w)
{
	char err[512] = "";

	memset(w, 0, sizeof(*w));
	if (config_parse("t.conf", text, strlen(text), cfg, err, sizeof(err),
			 collect, w))
		fail_msg("rejected: %s\n--\n%s", err, text);
}

/* @text must fail with exactly @want ("t.conf:L:C: ...") as a prefix. */
static void bad_len(const char *text, size_t len, const char *want)
{
	struct uc_config cfg;
	char err[512] = "";

	if (!config_parse("t.conf", text, len, &cfg, err, sizeof(err),
			  NULL, NULL))
		fail_msg("accepted: %s", text);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error for \"%s\" is \"%s\", want \"%s...\"", text, err,
			 want);
	assert_int_equal(cfg.nrules, 0);
	assert_null(cfg.rules);
	config_free(&cfg);
}

static void bad(const char *text, const char *want)
{
	bad_len(text, strlen(text), want);
}

static char *export(const struct uc_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	config_write(f, cfg->rules, cfg->nrules, &cfg->global);
	fclose(f);
	return buf;
}

static void test_good(void **state)
{
	struct uc_config cfg;
	struct warnings w;
	const struct krelay_rule *r;
	char buf[128];

	(void)state;
	good("# rinetd.conf\n"
	     "logfile /var/log/rinetd.log\n"
	     "\n"
	     "allow 192.168.*.*\n"
	     "deny 192.168.7.*\n"
	     "0.0.0.0 8080 10.0.0.1 80 [timeout=60,src=10.0.0.9,keepalive=on]\n"
	     "allow 10.*\n"
	     "   deny 10.1.2.3   # trailing comment\n"
	     "::\t9090\t[::1]\t90\r\n"
	     "127.0.0.1 7000 127.0.0.1 7001 [ backend=127.0.0.1:7002/3 , weight=2,sched=wrr,holddown=5s,mode=copy,connect-timeout=2s,backlog=256,mark=7,idle-timeout=1500ms ]\n"
	     "pidlogfile /run/rinetd.pid",
	     &cfg, &w);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.last,
			    "t.conf:11: ignoring unsupported directive 'pidlogfile'");
	assert_int_equal(cfg.nrules, 3);
	assert_int_equal(cfg.global.n, 2);
	assert_int_equal(cfg.global.e[0].action, KRELAY_ACL_ALLOW);
	fmt_prefix(&cfg.global.e[0], buf, sizeof(buf));
	assert_string_equal(buf, "192.168.0.0/16");
	fmt_prefix(&cfg.global.e[1], buf, sizeof(buf));
	assert_string_equal(buf, "192.168.7.0/24");
	assert_int_equal(cfg.global.e[1].action, KRELAY_ACL_DENY);

	r = &cfg.rules[0];
	fmt_endpoint(&r->listen, buf, sizeof(buf));
	assert_string_equal(buf, "0.0.0.0:8080");
	assert_int_equal(r->nbackends, 1);
	assert_int_equal(r->backends[0].weight, 1);
	assert_int_equal(r->idle_timeout_ms, 60000);
	fmt_addr_port(&r->source, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.9");
	assert_int_equal(r->keepalive_s, UC_KEEPALIVE_ON_S);
	assert_int_equal(r->acl.n, 2);
	fmt_prefix(&r->acl.e[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.0/8");
	fmt_prefix(&r->acl.e[1], buf, sizeof(buf));
	assert_string_equal(buf, "10.1.2.3");
	/* defaults filled in */
	assert_int_equal(r->connect_timeout_ms, 5000);
	assert_int_equal(r->backlog, 128);
	assert_int_equal(r->holddown_ms, 10000);
	assert_int_equal(r->sched, KRELAY_SCHED_RR);

	r = &cfg.rules[1];
	fmt_endpoint(&r->listen, buf, sizeof(buf));
	assert_string_equal(buf, "[::]:9090");
	fmt_endpoint(&r->backends[0].addr, buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:90");
	assert_int_equal(r->acl.n, 0);

	r = &cfg.rules[2];
	fmt_backends(r, 0, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:7001*2,127.0.0.1:7002*3");
	assert_int_equal(r->sched, KRELAY_SCHED_WRR);
	assert_int_equal(r->holddown_ms, 5000);
	assert_int_equal(r->mode, KRELAY_MODE_COPY);
	assert_int_equal(r->connect_timeout_ms, 2000);
	assert_int_equal(r->backlog, 256);
	assert_int_equal(r->mark, 7);
	assert_int_equal(r->idle_timeout_ms, 1500);
	assert_int_equal(r->proxy_protocol, KRELAY_PROXY_OFF);
	assert_int_equal(r->transparent, 0);
	config_free(&cfg);

	/* issue 21: PROXY protocol and transparency, read and written */
	good("0.0.0.0 80 10.0.0.1 80 [proxy-protocol=v2,transparent=on]\n"
	     ":: 81 ::1 81 [proxy-protocol=v1]\n", &cfg, &w);
	assert_int_equal(cfg.nrules, 2);
	assert_int_equal(cfg.rules[0].proxy_protocol, KRELAY_PROXY_V2);
	assert_int_equal(cfg.rules[0].transparent, 1);
	assert_int_equal(cfg.rules[1].proxy_protocol, KRELAY_PROXY_V1);
	assert_int_equal(cfg.rules[1].transparent, 0);
	{
		char *t = export(&cfg);

		assert_non_null(strstr(t, "0.0.0.0 80 10.0.0.1 80 [proxy-protocol=v2,transparent=on]\n"));
		assert_non_null(strstr(t, ":: 81 ::1 81 [proxy-protocol=v1]\n"));
		free(t);
	}
	config_free(&cfg);

	/* maxconn of the rule and of its backends */
	good("1.2.3.4 1 5.6.7.8 2 [maxconn=100,backend-maxconn=5,backend=5.6.7.9:2/1/7,backend=5.6.7.10:2/3]\n",
	     &cfg, &w);
	r = &cfg.rules[0];
	assert_true(r->present & KRELAY_RULE_F_MAXCONN);
	assert_int_equal(r->maxconn, 100);
	assert_int_equal(r->nbackends, 3);
	assert_int_equal(r->backends[0].maxconn, 5);
	assert_int_equal(r->backends[1].weight, 1);
	assert_int_equal(r->backends[1].maxconn, 7);
	assert_int_equal(r->backends[2].weight, 3);
	assert_int_equal(r->backends[2].maxconn, 0);
	config_free(&cfg);

	/* empty and comment-only files: no rules, no ACL */
	good("", &cfg, &w);
	assert_int_equal(cfg.nrules, 0);
	config_free(&cfg);
	good("# nothing\n\n   \n", &cfg, &w);
	assert_int_equal(cfg.nrules, 0);
	config_free(&cfg);
	/* "*" is everybody; a plain address is /32 */
	good("allow *\ndeny 1.2.3.4\n", &cfg, &w);
	assert_int_equal(cfg.global.e[0].prefixlen, 0);
	assert_int_equal(cfg.global.e[1].prefixlen, 32);
	config_free(&cfg);
}

static void test_bad(void **state)
{
	(void)state;
	bad("0.0.0.0 80 10.0.0.1\n", "t.conf:1:20: expected \"bindaddress");
	bad("# c\n0.0.0.0 80 example.com 80\n",
	    "t.conf:2:12: invalid address \"example.com\": only numeric");
	bad("1.2.3 80 1.1.1.1 80\n", "t.conf:1:1: invalid address \"1.2.3\"");
	bad("0.0.0.0 http 1.1.1.1 80\n",
	    "t.conf:1:9: invalid port \"http\": must be a number 1-65535 (service names");
	bad("0.0.0.0 80 1.1.1.1 0\n", "t.conf:1:20: invalid port \"0\"");
	bad("0.0.0.0 80 1.1.1.1 65536\n", "t.conf:1:20: invalid port");
	bad("0.0.0.0 53/udp 1.1.1.1 53\n", "t.conf:1:9: UDP forwarding");
	bad("0.0.0.0 80 1.1.1.1 80 extra\n", "t.conf:1:23: unexpected \"extra\"");
	bad("0.0.0.0 80 1.1.1.1 80 [timeout=60\n", "t.conf:1:23: missing \"]\"");
	bad("0.0.0.0 80 1.1.1.1 80 [timeout=60] x\n",
	    "t.conf:1:36: unexpected text after the options");
	bad("0.0.0.0 80 1.1.1.1 80 [frob=1]\n", "t.conf:1:24: unknown option \"frob\"");
	bad("0.0.0.0 80 1.1.1.1 80 [timeout]\n", "t.conf:1:24: option \"timeout\" has no value");
	bad("0.0.0.0 80 1.1.1.1 80 [timeout=x]\n", "t.conf:1:32: invalid timeout \"x\"");
	bad("0.0.0.0 80 1.1.1.1 80 [timeout=1,idle-timeout=2s]\n",
	    "t.conf:1:34: option \"idle-timeout\" given twice");
	bad("0.0.0.0 80 1.1.1.1 80 [mode=fast]\n", "t.conf:1:29: invalid mode \"fast\"");
	bad("0.0.0.0 80 1.1.1.1 80 [sched=x]\n", "t.conf:1:30: invalid sched");
	bad("0.0.0.0 80 1.1.1.1 80 [weight=0]\n", "t.conf:1:31: invalid weight \"0\"");
	bad("0.0.0.0 80 1.1.1.1 80 [backend=1.1.1.1:80]\n",
	    "t.conf:1:32: backend 1.1.1.1:80 given twice");
	bad("0.0.0.0 80 1.1.1.1 80 [backend=1.1.1.2:80/0]\n",
	    "t.conf:1:43: invalid backend weight \"0\"");
	bad("0.0.0.0 80 1.1.1.1 80 [backend=nowhere]\n", "t.conf:1:32: invalid endpoint");
	bad("0.0.0.0 80 1.1.1.1 80 [maxconn=16777217]\n", "t.conf:1:32: invalid maxconn \"16777217\"");
	bad("0.0.0.0 80 1.1.1.1 80 [backend-maxconn=x]\n", "t.conf:1:40: invalid backend-maxconn \"x\"");
	bad("0.0.0.0 80 1.1.1.1 80 [backend=1.1.1.2:80/1/-1]\n", "t.conf:1:45: invalid backend maxconn \"-1\"");
	bad("0.0.0.0 80 1.1.1.1 80 [keepalive=maybe]\n", "t.conf:1:34: invalid keepalive");
	bad("0.0.0.0 80 1.1.1.1 80 [holddown=2h]\n", "t.conf:1:33: invalid holddown");
	bad("0.0.0.0 80 1.1.1.1 80 [connect-timeout=0]\n", "t.conf:1:40: invalid connect-timeout");
	bad("0.0.0.0 80 1.1.1.1 80 [backlog=0]\n", "t.conf:1:32: invalid backlog");
	bad("0.0.0.0 80 1.1.1.1 80 [mark=-1]\n", "t.conf:1:29: invalid mark");
	bad("0.0.0.0 80 1.1.1.1 80 [proxy-protocol=v3]\n",
	    "t.conf:1:39: invalid proxy-protocol \"v3\": expected v1, v2 or off");
	bad("0.0.0.0 80 1.1.1.1 80 [transparent=yes]\n",
	    "t.conf:1:36: invalid transparent \"yes\": expected on or off");
	bad("0.0.0.0 80 1.1.1.1 80 [transparent=on,transparent=off]\n",
	    "t.conf:1:39: option \"transparent\" given twice");
	bad("0.0.0.0 80 1.1.1.1 80 [src=host]\n", "t.conf:1:28: invalid address \"host\"");
	bad("0.0.0.0 80 1.1.1.1 80 [a=1,,b=2]\n", "t.conf:1:24: unknown option \"a\"");
	bad("0.0.0.0 80 1.1.1.1 80 [timeout=1,,mark=2]\n", "t.conf:1:34: empty option");
	bad("0.0.0.0 80 1.1.1.1 80\n0.0.0.0 80 2.2.2.2 80\n",
	    "t.conf:2:1: duplicate rule for 0.0.0.0:80 (first on line 1)");
	bad("allow 10.0.0.?\n",
	    "t.conf:1:14: pattern \"10.0.0.?\" cannot be expressed as a CIDR prefix");
	bad("deny 192.168.1*\n", "t.conf:1:15: pattern \"192.168.1*\" cannot be expressed");
	bad("allow 10.*.0.1\n", "t.conf:1:12: pattern \"10.*.0.1\" cannot be expressed");
	bad("allow 10.0.0.1/8\n", "t.conf:1:7: invalid prefix \"10.0.0.1/8\": host bits set");
	bad("allow fd00::*\n", "t.conf:1:7: pattern \"fd00::*\" cannot be expressed");
	bad("allow 10.0.0\n", "t.conf:1:7: invalid pattern \"10.0.0\"");
	bad("allow 300.0.0.0\n", "t.conf:1:7: invalid pattern");
	bad("allow 1.2.3.4.5\n", "t.conf:1:15: pattern \"1.2.3.4.5\" has more than 4 parts");
	bad("allow\n", "t.conf:1:6: allow: missing PATTERN");
	bad("deny 1.1.1.1 2.2.2.2\n", "t.conf:1:14: deny: one PATTERN per line");
	bad("frobnicate on\n", "t.conf:1:1: unknown directive \"frobnicate\"");
	bad("include other.conf\n", "t.conf:1:1: \"include\" is not supported");
	bad_len("0.0.0.0 80 1.1.1.1 80\nx\0y\n", 26, "t.conf:2:2: NUL byte");
	bad("0.0.0.0 80 1.1.1.1 80 [check=50ms]\n",
	    "t.conf:1:30: invalid check interval \"50ms\"");
	bad("0.0.0.0 80 1.1.1.1 80 [check=2s/5]\n",
	    "t.conf:1:33: invalid check timeout \"5\"");
	bad("0.0.0.0 80 1.1.1.1 80 [check=2s/1s/0]\n",
	    "t.conf:1:36: invalid check rise \"0\"");
	bad("0.0.0.0 80 1.1.1.1 80 [check=2s/1s/2/101]\n",
	    "t.conf:1:38: invalid check fall \"101\"");
	bad("0.0.0.0 80 1.1.1.1 80 [check=2s/1s/2/3/4]\n",
	    "t.conf:1:40: check: too many values");
	bad("0.0.0.0 80 1.1.1.1 80 [check=on,check=off]\n",
	    "t.conf:1:33: option \"check\" given twice");
}

static void test_check(void **state)
{
	struct uc_config cfg;
	struct warnings w;
	const struct krelay_check *c;

	(void)state;
	good("0.0.0.0 80 1.1.1.1 80 [check=on]\n"
	     "0.0.0.0 81 1.1.1.1 80 [check=500ms/100ms/1/2]\n"
	     "0.0.0.0 82 1.1.1.1 80 [check=5s]\n"
	     "0.0.0.0 83 1.1.1.1 80 [check=off]\n", &cfg, &w);
	assert_int_equal(cfg.nrules, 4);
	c = &cfg.rules[0].check;
	assert_true(cfg.rules[0].present & KRELAY_RULE_F_CHECK);
	assert_int_equal(c->enabled, 1);
	assert_int_equal(c->interval_ms, 2000);
	assert_int_equal(c->timeout_ms, 1000);
	assert_int_equal(c->rise, 2);
	assert_int_equal(c->fall, 3);
	c = &cfg.rules[1].check;
	assert_int_equal(c->interval_ms, 500);
	assert_int_equal(c->timeout_ms, 100);
	assert_int_equal(c->rise, 1);
	assert_int_equal(c->fall, 2);
	c = &cfg.rules[2].check;
	assert_int_equal(c->interval_ms, 5000);
	assert_int_equal(c->timeout_ms, 1000);
	assert_int_equal(cfg.rules[3].check.enabled, 0);
	config_free(&cfg);
}

/* Every rule set the writer produces reads back identically. */
static void test_round_trip(void **state)
{
	static const char *const files[] = {
		"allow 192.168.*.*\ndeny 10.1.2.3\n"
		"0.0.0.0 8080 10.0.0.1 80 [timeout=60,src=10.0.0.9,keepalive=on]\n"
		"allow 10.0.0.0/8\ndeny fd00::/8\nallow 10.1.128.0/17\nallow *\n"
		":: 9090 ::1 90 [backend=10.0.0.2:80/3,weight=2,sched=wrr,holddown=0,mode=copy,connect-timeout=2s,backlog=256,mark=7,idle-timeout=1500ms,src=[::1]:4000]\n"
		"0.0.0.0 9091 10.0.0.1 80 [check=500ms/100ms/1/5]\n"
		"0.0.0.0 9092 10.0.0.1 80 [check=on]\n",
		"1.2.3.4 1 5.6.7.8 2\n",
		"1.2.3.4 1 5.6.7.8 2 [maxconn=100,backend-maxconn=5,backend=5.6.7.9:2/1/7,backend=5.6.7.10:2/3]\n",
		"0.0.0.0 80 10.0.0.1 80 [proxy-protocol=v1,transparent=on]\n"
		":: 81 ::1 81 [proxy-protocol=v2,transparent=off]\n"
		"0.0.0.0 82 10.0.0.1 82 [proxy-protocol=off]\n",
		"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct uc_config a, b;
		struct warnings w;
		char *ta, *tb;
		size_t j;

		good(files[i], &a, &w);
		ta = export(&a);
		good(ta, &b, &w);
		tb = export(&b);
		assert_string_equal(ta, tb);
		assert_int_equal(a.nrules, b.nrules);
		for (j = 0; j < a.nrules; j++)
			assert_true(rule_config_equal(&a.rules[j], &b.rules[j]));
		assert_int_equal(a.global.n, b.global.n);
		free(ta);
		free(tb);
		config_free(&a);
		config_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
