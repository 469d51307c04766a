// SPDX-License-Identifier: GPL-2.0
/*
 * userctl command line grammar (iproute2 style):
 *
 *	userctl [OPTIONS] OBJECT COMMAND [ARGS]
 *
 * Objects, commands and keywords may be abbreviated to any unambiguous
 * prefix; the word "help" anywhere a keyword may appear prints the object's
 * usage.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/krelay.h>

#include "cmdline.h"
#include "parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Word ids local to this file. */
enum {
	W_HELP = 100,
	W_ID,
	W_TO,
	W_MODE,
	W_CONNECT_TIMEOUT,
	W_IDLE_TIMEOUT,
	W_BACKLOG,
	W_RULE,
	W_WEIGHT,
	W_SCHED,
	W_HOLDDOWN,
	W_SRC,
	W_MARK,
	W_KEEPALIVE,
	W_MAXCONN,
	W_PROXY,
	W_TRANSPARENT,
	W_ALLOW,
	W_DENY,
	W_ACL,
	W_FLUSH,
	W_COUNT,
	W_ALL,
	W_DRY_RUN,
	W_CHECK,
	W_INTERVAL,
	W_TIMEOUT,
	W_RISE,
	W_FALL,
	W_OFF,
	W_ON,
	W_DRAIN,
	W_UNDRAIN,
};

static const struct keyword objects[] = {
	{ "rule",	UC_OBJ_RULE },
	{ "conn",	UC_OBJ_CONN },
	{ "connection",	UC_OBJ_CONN },
	{ "stats",	UC_OBJ_STATS },
	{ "statistics",	UC_OBJ_STATS },
	{ "trace",	UC_OBJ_TRACE },
	{ "help",	UC_OBJ_HELP },
	{ "backend",	UC_OBJ_BACKEND },
	{ "acl",	UC_OBJ_ACL },
	{ "monitor",	UC_OBJ_MONITOR },
	{ "apply",	UC_OBJ_APPLY },
	{ "export",	UC_OBJ_EXPORT },
};

static const struct keyword backend_cmds[] = {
	{ "add",	UC_CMD_ADD },
	{ "del",	UC_CMD_DEL },
	{ "delete",	UC_CMD_DEL },
	{ "set",	UC_CMD_SET },
	{ "list",	UC_CMD_LIST },
	{ "show",	UC_CMD_LIST },
	{ "ls",		UC_CMD_LIST },
	{ "help",	W_HELP },
};

static const struct keyword acl_cmds[] = {
	{ "add",	UC_CMD_ADD },
	{ "del",	UC_CMD_DEL },
	{ "delete",	UC_CMD_DEL },
	{ "flush",	UC_CMD_FLUSH },
	{ "list",	UC_CMD_LIST },
	{ "show",	UC_CMD_LIST },
	{ "ls",		UC_CMD_LIST },
	{ "help",	W_HELP },
};

static const struct keyword acl_actions[] = {
	{ "allow",	KRELAY_ACL_ALLOW },
	{ "deny",	KRELAY_ACL_DENY },
};

static const struct keyword backend_opt_words[] = {
	{ "weight",	W_WEIGHT },
	{ "maxconn",	W_MAXCONN },
	{ "help",	W_HELP },
};

static const struct keyword backend_set_words[] = {
	{ "weight",	W_WEIGHT },
	{ "maxconn",	W_MAXCONN },
	{ "drain",	W_DRAIN },
	{ "undrain",	W_UNDRAIN },
	{ "help",	W_HELP },
};

static const struct keyword check_words[] = {
	{ "interval",	W_INTERVAL },
	{ "timeout",	W_TIMEOUT },
	{ "rise",	W_RISE },
	{ "fall",	W_FALL },
	{ "off",	W_OFF },
	{ "on",		W_ON },
};

static const struct keyword monitor_words[] = {
	{ "rule",	UC_MON_RULE },
	{ "conn",	UC_MON_CONN },
	{ "connection",	UC_MON_CONN },
	{ "backend",	UC_MON_BACKEND },
	{ "all",	W_ALL },
	{ "count",	W_COUNT },
	{ "help",	W_HELP },
};

static const struct keyword apply_words[] = {
	{ "dry-run",	W_DRY_RUN },
	{ "--dry-run",	W_DRY_RUN },
	{ "-n",		W_DRY_RUN },
	{ "help",	W_HELP },
};

static const struct keyword flush_word[] = {
	{ "flush",	W_FLUSH },
};

static const struct keyword rule_cmds[] = {
	{ "add",	UC_CMD_ADD },
	{ "del",	UC_CMD_DEL },
	{ "delete",	UC_CMD_DEL },
	{ "set",	UC_CMD_SET },
	{ "list",	UC_CMD_LIST },
	{ "show",	UC_CMD_LIST },
	{ "ls",		UC_CMD_LIST },
	{ "help",	W_HELP },
};

static const struct keyword conn_cmds[] = {
	{ "list",	UC_CMD_LIST },
	{ "show",	UC_CMD_LIST },
	{ "ls",		UC_CMD_LIST },
	{ "count",	UC_CMD_COUNT },
	{ "kill",	UC_CMD_KILL },
	{ "help",	W_HELP },
};

static const struct keyword stats_words[] = {
	{ "show",	UC_CMD_SHOW },
	{ "list",	UC_CMD_SHOW },
	{ "id",		W_ID },
	{ "help",	W_HELP },
};

static const struct keyword id_word[] = {
	{ "id",		W_ID },
	{ "help",	W_HELP },
};

static const struct keyword add_words[] = {
	{ "to",			W_TO },
	{ "t",			W_TO },		/* as before "transparent" existed */
	{ "weight",		W_WEIGHT },
	{ "sched",		W_SCHED },
	{ "scheduler",		W_SCHED },
	{ "holddown",		W_HOLDDOWN },
	{ "mode",		W_MODE },
	{ "m",			W_MODE },	/* as before "mark" existed */
	{ "connect-timeout",	W_CONNECT_TIMEOUT },
	{ "c",			W_CONNECT_TIMEOUT },	/* as before "check" existed */
	{ "idle-timeout",	W_IDLE_TIMEOUT },
	{ "backlog",		W_BACKLOG },
	{ "src",		W_SRC },
	{ "source",		W_SRC },
	{ "mark",		W_MARK },
	{ "keepalive",		W_KEEPALIVE },
	{ "maxconn",		W_MAXCONN },
	{ "proxy-protocol",	W_PROXY },
	{ "transparent",	W_TRANSPARENT },
	{ "check",		W_CHECK },
	{ "allow",		W_ALLOW },
	{ "deny",		W_DENY },
	{ "acl",		W_ACL },
	{ "help",		W_HELP },
};

static const struct keyword conn_list_words[] = {
	{ "rule",	W_RULE },
	{ "help",	W_HELP },
};

static const struct keyword modes[] = {
	{ "splice",	KRELAY_MODE_SPLICE },
	{ "copy",	KRELAY_MODE_COPY },
};

enum { O_JSON = 'j', O_PRETTY = 'p', O_STATS = 's', O_HUMAN = 'h',
       O_VERSION = 'V', O_HELP = '?', O_TIMESTAMP = 't', O_OUTPUT = 'o' };

static const struct keyword long_opts[] = {
	{ "json",		O_JSON },
	{ "pretty",		O_PRETTY },
	{ "stats",		O_STATS },
	{ "statistics",		O_STATS },
	{ "human",		O_HUMAN },
	{ "human-readable",	O_HUMAN },
	{ "version",		O_VERSION },
	{ "help",		O_HELP },
	{ "timestamp",		O_TIMESTAMP },
	{ "output",		O_OUTPUT },
};

enum { F_TEXT, F_JSON, F_PROMETHEUS };

static const struct keyword formats[] = {
	{ "text",		F_TEXT },
	{ "json",		F_JSON },
	{ "prometheus",		F_PROMETHEUS },
};

/* ------------------------------------------------------------------ */

struct args {
	int argc;
	char **argv;
	int i;
	char *err;
	size_t errlen;
};

static const char *peek(const struct args *a)
{
	return a->i < a->argc ? a->argv[a->i] : NULL;
}

static const char *next(struct args *a)
{
	return a->i < a->argc ? a->argv[a->i++] : NULL;
}

/* Messages quote user input: keep them one printable line. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

__attribute__((format(printf, 2, 3)))
static int fail(struct args *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, a->errlen, fmt, ap);
	va_end(ap);
	return UC_USAGE_ERROR;
}

/* Match a word; on failure write a message naming it. */
static int match(struct args *a, const char *what, const char *word,
		 const struct keyword *tab, size_t n, int *id)
{
	char list[256];
	int ret = kw_match(word, tab, n, id);

	if (ret == KW_OK)
		return 0;
	if (ret == KW_AMBIGUOUS) {
		kw_list(word, tab, n, list, sizeof(list));
		return fail(a, "ambiguous %s \"%s\": could be %s", what, word,
			    list);
	}
	kw_list(NULL, tab, n, list, sizeof(list));
	return fail(a, "unknown %s \"%s\" (expected %s)", what, word, list);
}

static int is_help(const char *w)
{
	return w && strcmp(w, "help") == 0;
}

static int want_help(struct userctl_cmd *cmd)
{
	cmd->action = UC_ACT_HELP;
	return 0;
}

static int no_more(struct args *a, const char *ctx)
{
	const char *w = peek(a);

	if (!w)
		return 0;
	return fail(a, "%s: unexpected argument \"%s\"", ctx, w);
}

/* (LISTEN | id N) */
static int parse_ref(struct args *a, struct userctl_cmd *cmd, const char *ctx)
{
	const char *w = next(a);
	int id;

	if (!w)
		return fail(a, "%s: missing rule (LISTEN or id N)", ctx);
	if (kw_match(w, id_word, ARRAY_SIZE(id_word), &id) == KW_OK) {
		const char *v;

		if (id == W_HELP)
			return want_help(cmd);
		v = next(a);
		if (!v)
			return fail(a, "%s: missing rule id after \"%s\"", ctx, w);
		if (parse_u32_range(v, 1, UINT32_MAX, &cmd->ref.id))
			return fail(a, "invalid rule id \"%s\": must be 1-%u", v,
				    UINT32_MAX);
	} else if (parse_endpoint(w, &cmd->ref.listen, a->err, a->errlen)) {
		return UC_USAGE_ERROR;
	}
	cmd->has_ref = 1;
	return 0;
}

static int parse_timeout(struct args *a, const char *kw, const char *v,
			 uint32_t min, uint32_t max, uint32_t *out)
{
	char lo[24], hi[24];
	uint32_t ms;

	if (min == 0 && strcmp(v, "off") == 0) {
		*out = 0;
		return 0;
	}
	fmt_duration_ms(min, lo, sizeof(lo));
	fmt_duration_ms(max, hi, sizeof(hi));
	if (parse_duration_ms(v, &ms) || ms < min || ms > max)
		return fail(a, "invalid %s \"%s\": must be %s-%s (milliseconds, or with unit ms, s, m, h)%s",
			    kw, v, lo, hi, min == 0 ? ", or off" : "");
	*out = ms;
	return 0;
}

static int parse_weight(struct args *a, const char *v, uint32_t *w)
{
	if (parse_u32_range(v, UC_WEIGHT_MIN, UC_WEIGHT_MAX, w))
		return fail(a, "invalid weight \"%s\": must be %u-%u", v,
			    UC_WEIGHT_MIN, UC_WEIGHT_MAX);
	return 0;
}

/* maxconn N: 0 or "off" for no limit */
static int parse_maxconn(struct args *a, const char *v, uint32_t *n)
{
	if (strcmp(v, "off") == 0) {
		*n = 0;
		return 0;
	}
	if (parse_u32_range(v, 0, UC_MAXCONN_MAX, n))
		return fail(a, "invalid maxconn \"%s\": must be 0-%u (0 or off: no limit)",
			    v, UC_MAXCONN_MAX);
	return 0;
}

static int parse_keepalive(struct args *a, const char *v, uint32_t *s)
{
	uint32_t ms;

	if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0) {
		*s = 0;
		return 0;
	}
	/* A bare number is seconds here: that is the unit on the wire. */
	if (parse_u32_range(v, 1, UC_KEEPALIVE_MAX, s) == 0)
		return 0;
	if (parse_duration_ms(v, &ms) || ms % 1000 || ms / 1000 < 1 ||
	    ms / 1000 > UC_KEEPALIVE_MAX)
		return fail(a, "invalid keepalive \"%s\": must be 1-%u seconds (NUMBER[s|m|h], whole seconds) or off",
			    v, UC_KEEPALIVE_MAX);
	*s = ms / 1000;
	return 0;
}

/*
 * "check { on | off | [ interval TIME ] [ timeout TIME ] [ rise N ]
 * [ fall N ] }" of rule add / rule set, "check" already read.  What is
 * not given is 0: the kernel's default (rule add) or current value (rule
 * set); "on" alone asks for the defaults.
 */
static int parse_check(struct args *a, struct krelay_check *c, const char *ctx,
		       int is_set)
{
	unsigned int seen = 0;
	const char *w, *v;
	int id;

	memset(c, 0, sizeof(*c));
	while ((w = peek(a))) {
		if (kw_match(w, check_words, ARRAY_SIZE(check_words), &id) != KW_OK)
			break;
		next(a);
		if (id == W_OFF || id == W_ON) {
			if (seen)
				return fail(a, "%s: \"check %s\" takes no other check keyword",
					    ctx, w);
			if (id == W_OFF && !is_set)
				return fail(a, "%s: \"check off\" only makes sense for rule set",
					    ctx);
			if (id == W_ON) {
				c->enabled = 1;
				c->interval_ms = KRELAY_CHECK_DEFAULT_INTERVAL_MS;
			}
			return 0;
		}
		if (seen & (1u << (id - W_INTERVAL)))
			return fail(a, "%s: \"check %s\" given twice", ctx, w);
		seen |= 1u << (id - W_INTERVAL);
		v = next(a);
		if (!v)
			return fail(a, "%s: missing value after \"check %s\"", ctx, w);
		switch (id) {
		case W_INTERVAL:
			if (parse_timeout(a, "check interval", v,
					  UC_CHECK_INTERVAL_MIN,
					  UC_CHECK_INTERVAL_MAX, &c->interval_ms))
				return UC_USAGE_ERROR;
			break;
		case W_TIMEOUT:
			if (parse_timeout(a, "check timeout", v,
					  UC_CHECK_TIMEOUT_MIN,
					  UC_CHECK_TIMEOUT_MAX, &c->timeout_ms))
				return UC_USAGE_ERROR;
			break;
		default:
			if (parse_u32_range(v, 1, UC_CHECK_COUNT_MAX,
					    id == W_RISE ? &c->rise : &c->fall))
				return fail(a, "invalid check %s \"%s\": must be 1-%u",
					    id == W_RISE ? "rise" : "fall", v,
					    UC_CHECK_COUNT_MAX);
			break;
		}
	}
	if (!seen)
		return fail(a, "%s: \"check\" needs on, off, or some of interval, timeout, rise, fall",
			    ctx);
	c->enabled = 1;
	return 0;
}

/* An ACL entry of rule add / rule set, appended to @acl. */
static int add_acl_entry(struct args *a, struct krelay_acl *acl, int action,
			 const char *v, const char *ctx)
{
	struct krelay_acl_entry e;
	size_t i;

	if (parse_prefix(v, &e, a->err, a->errlen))
		return UC_USAGE_ERROR;
	e.action = (uint8_t)action;
	for (i = 0; i < acl->n; i++)
		if (acl->e[i].action == e.action &&
		    acl_entry_equal(&acl->e[i], &e))
			return fail(a, "%s: \"%s %s\" given twice", ctx,
				    acl_action_name(e.action), v);
	if (acl->n >= KRELAY_MAX_ACL)
		return fail(a, "%s: too many allow/deny entries (at most %u)",
			    ctx, KRELAY_MAX_ACL);
	acl->e[acl->n++] = e;
	return 0;
}

/* Keywords of rule add / rule set. */
static int parse_rule_opts(struct args *a, struct userctl_cmd *cmd,
			   const char *ctx, int is_set)
{
	struct krelay_rule *r = &cmd->rule;
	int weight_ok = 0, acl_flush = 0, acl_entries = 0;
	const char *w;

	while ((w = next(a))) {
		struct krelay_backend *b;
		const char *v;
		unsigned int flag = 0;
		int id, ret;
		size_t i;

		ret = match(a, "keyword", w, add_words, ARRAY_SIZE(add_words), &id);
		if (ret)
			return ret;
		if (id == W_HELP)
			return want_help(cmd);
		if (id == W_CHECK) {
			if (r->present & KRELAY_RULE_F_CHECK)
				return fail(a, "%s: \"check\" given twice", ctx);
			r->present |= KRELAY_RULE_F_CHECK;
			ret = parse_check(a, &r->check, ctx, is_set);
			if (ret)
				return ret;
			weight_ok = 0;
			continue;
		}

		switch (id) {
		case W_MODE:		flag = KRELAY_RULE_F_MODE; break;
		case W_CONNECT_TIMEOUT:	flag = KRELAY_RULE_F_CONNECT_TIMEOUT; break;
		case W_IDLE_TIMEOUT:	flag = KRELAY_RULE_F_IDLE_TIMEOUT; break;
		case W_BACKLOG:		flag = KRELAY_RULE_F_BACKLOG; break;
		case W_SCHED:		flag = KRELAY_RULE_F_SCHED; break;
		case W_HOLDDOWN:	flag = KRELAY_RULE_F_HOLDDOWN; break;
		case W_SRC:		flag = KRELAY_RULE_F_SOURCE; break;
		case W_MARK:		flag = KRELAY_RULE_F_MARK; break;
		case W_KEEPALIVE:	flag = KRELAY_RULE_F_KEEPALIVE; break;
		case W_MAXCONN:		flag = KRELAY_RULE_F_MAXCONN; break;
		case W_PROXY:		flag = KRELAY_RULE_F_PROXY; break;
		case W_TRANSPARENT:	flag = KRELAY_RULE_F_TRANSPARENT; break;
		default:		break;
		}
		if (flag && (r->present & flag))
			return fail(a, "%s: \"%s\" given twice", ctx, w);
		v = next(a);
		if (!v)
			return fail(a, "%s: missing value after \"%s\"", ctx, w);
		r->present |= flag;

		switch (id) {
		case W_TO:
			if (r->nbackends >= KRELAY_MAX_BACKENDS)
				return fail(a, "%s: too many backends (at most %u)",
					    ctx, KRELAY_MAX_BACKENDS);
			b = &r->backends[r->nbackends];
			memset(b, 0, sizeof(*b));
			if (parse_endpoint(v, &b->addr, a->err, a->errlen))
				return UC_USAGE_ERROR;
			for (i = 0; i < r->nbackends; i++)
				if (endpoint_equal(&r->backends[i].addr, &b->addr))
					return fail(a, "%s: backend \"%s\" given twice",
						    ctx, v);
			r->nbackends++;
			r->present |= KRELAY_RULE_F_BACKEND;
			weight_ok = 1;
			continue;	/* keep weight_ok */
		case W_WEIGHT:
			if (!weight_ok)
				return fail(a, "%s: \"weight\" must follow \"to BACKEND\"",
					    ctx);
			ret = parse_weight(a, v,
					   &r->backends[r->nbackends - 1].weight);
			if (ret)
				return ret;
			break;
		case W_MODE: {
			int m;

			if (kw_match(v, modes, ARRAY_SIZE(modes), &m) != KW_OK)
				return fail(a, "invalid mode \"%s\": expected splice or copy",
					    v);
			r->mode = (uint8_t)m;
			break;
		}
		case W_SCHED: {
			int sc = parse_sched(v);

			if (sc < 0)
				return fail(a, "invalid sched \"%s\": expected rr, wrr or lc",
					    v);
			r->sched = (uint8_t)sc;
			break;
		}
		case W_HOLDDOWN:
			ret = parse_timeout(a, "holddown", v, 0, UC_HOLDDOWN_MAX,
					    &r->holddown_ms);
			if (ret)
				return ret;
			break;
		case W_CONNECT_TIMEOUT:
			ret = parse_timeout(a, "connect-timeout", v,
					    UC_CONNECT_TIMEOUT_MIN,
					    UC_CONNECT_TIMEOUT_MAX,
					    &r->connect_timeout_ms);
			if (ret)
				return ret;
			break;
		case W_IDLE_TIMEOUT:
			ret = parse_timeout(a, "idle-timeout", v, 0,
					    UC_IDLE_TIMEOUT_MAX,
					    &r->idle_timeout_ms);
			if (ret)
				return ret;
			break;
		case W_BACKLOG:
			if (parse_u32_range(v, UC_BACKLOG_MIN, UC_BACKLOG_MAX,
					    &r->backlog))
				return fail(a, "invalid backlog \"%s\": must be %u-%u",
					    v, UC_BACKLOG_MIN, UC_BACKLOG_MAX);
			break;
		case W_SRC:
			if (strcmp(v, "none") == 0) {
				if (!is_set)
					return fail(a, "%s: \"src none\" only makes sense for rule set",
						    ctx);
				memset(&r->source, 0, sizeof(r->source));
				break;
			}
			if (parse_addr_port(v, &r->source, a->err, a->errlen))
				return UC_USAGE_ERROR;
			break;
		case W_MARK:
			if (parse_mark(v, &r->mark))
				return fail(a, "invalid mark \"%s\": must be 0-%u or 0x0-0xffffffff (0: none)",
					    v, UINT32_MAX);
			break;
		case W_KEEPALIVE:
			ret = parse_keepalive(a, v, &r->keepalive_s);
			if (ret)
				return ret;
			break;
		case W_MAXCONN:
			ret = parse_maxconn(a, v, &r->maxconn);
			if (ret)
				return ret;
			break;
		case W_PROXY: {
			int pp = parse_proxy(v);

			if (pp < 0)
				return fail(a, "invalid proxy-protocol \"%s\": expected v1, v2 or off",
					    v);
			r->proxy_protocol = (uint8_t)pp;
			break;
		}
		case W_TRANSPARENT: {
			int on = parse_onoff(v);

			if (on < 0)
				return fail(a, "invalid transparent \"%s\": expected on or off",
					    v);
			r->transparent = (uint8_t)on;
			break;
		}
		case W_ALLOW:
		case W_DENY:
			if (acl_flush)
				return fail(a, "%s: \"acl flush\" and \"%s\" exclude each other",
					    ctx, w);
			ret = add_acl_entry(a, &r->acl, id == W_ALLOW ?
					    KRELAY_ACL_ALLOW : KRELAY_ACL_DENY,
					    v, ctx);
			if (ret)
				return ret;
			r->present |= KRELAY_RULE_F_ACL;
			acl_entries = 1;
			break;
		default: {	/* W_ACL */
			int f;

			if (!is_set)
				return fail(a, "%s: \"acl flush\" only makes sense for rule set",
					    ctx);
			if (kw_match(v, flush_word, ARRAY_SIZE(flush_word), &f) != KW_OK)
				return fail(a, "%s: unknown \"acl %s\" (expected acl flush)",
					    ctx, v);
			if (acl_entries || acl_flush)
				return fail(a, "%s: \"acl flush\" and allow/deny exclude each other",
					    ctx);
			acl_flush = 1;
			r->acl.n = 0;
			r->present |= KRELAY_RULE_F_ACL;
			break;
		}
		}
		weight_ok = 0;
	}
	return 0;
}

/*
 * The command word of an object whose default command is "list": sets
 * cmd->command (and *id); *done when parsing is over (error, help, or a
 * bare "OBJECT" meaning list), then the return value is the result.
 */
static int parse_list_object_cmd(struct args *a, struct userctl_cmd *cmd,
				 const struct keyword *cmds, size_t n, int *id,
				 bool *done)
{
	const char *w = next(a);
	int ret;

	*done = true;
	if (!w) {
		cmd->command = UC_CMD_LIST;
		return 0;
	}
	ret = match(a, "command", w, cmds, n, id);
	if (ret)
		return ret;
	if (*id == W_HELP)
		return want_help(cmd);
	cmd->command = (enum uc_command)*id;
	*done = false;
	return 0;
}

static int parse_rule(struct args *a, struct userctl_cmd *cmd)
{
	const char *w;
	bool done;
	int id, ret;

	ret = parse_list_object_cmd(a, cmd, rule_cmds, ARRAY_SIZE(rule_cmds),
				    &id, &done);
	if (done)
		return ret;

	switch (cmd->command) {
	case UC_CMD_ADD:
		w = next(a);
		if (!w)
			return fail(a, "rule add: missing LISTEN address");
		if (is_help(w))
			return want_help(cmd);
		if (parse_endpoint(w, &cmd->rule.listen, a->err, a->errlen))
			return UC_USAGE_ERROR;
		cmd->rule.present |= KRELAY_RULE_F_LISTEN;
		ret = parse_rule_opts(a, cmd, "rule add", 0);
		if (ret || cmd->action == UC_ACT_HELP)
			return ret;
		if (!(cmd->rule.present & KRELAY_RULE_F_BACKEND))
			return fail(a, "rule add: missing \"to BACKEND\"");
		return 0;
	case UC_CMD_DEL: {
		const char *w;

		ret = parse_ref(a, cmd, "rule del");
		if (ret || cmd->action == UC_ACT_HELP)
			return ret;
		w = peek(a);
		if (w && (strcmp(w, "--drain") == 0 || strcmp(w, "drain") == 0)) {
			next(a);
			w = next(a);
			if (!w)
				return fail(a, "rule del: missing TIME after \"--drain\"");
			if (parse_timeout(a, "drain timeout", w, 0,
					  UC_DRAIN_TIMEOUT_MAX, &cmd->rule_drain_ms))
				return UC_USAGE_ERROR;
			cmd->rule_drain = 1;
		}
		return no_more(a, "rule del");
	}
	case UC_CMD_SET:
		ret = parse_ref(a, cmd, "rule set");
		if (ret || cmd->action == UC_ACT_HELP)
			return ret;
		ret = parse_rule_opts(a, cmd, "rule set", 1);
		if (ret || cmd->action == UC_ACT_HELP)
			return ret;
		if (!cmd->rule.present)
			return fail(a, "rule set: nothing to change (see \"userctl rule help\")");
		return 0;
	default:
		if (!peek(a))
			return 0;
		ret = parse_ref(a, cmd, "rule list");
		if (ret || cmd->action == UC_ACT_HELP)
			return ret;
		return no_more(a, "rule list");
	}
}

static int parse_conn(struct args *a, struct userctl_cmd *cmd)
{
	const char *w;
	bool done;
	int id, ret;

	ret = parse_list_object_cmd(a, cmd, conn_cmds, ARRAY_SIZE(conn_cmds),
				    &id, &done);
	if (done)
		return ret;

	if (cmd->command == UC_CMD_KILL) {
		w = next(a);
		if (!w)
			return fail(a, "conn kill: missing connection ID");
		if (is_help(w))
			return want_help(cmd);
		if (parse_u64(w, &cmd->conn_id))
			return fail(a, "invalid connection id \"%s\": must be a number",
				    w);
		return no_more(a, "conn kill");
	}

	/* list / count [rule (LISTEN | id N)] */
	w = next(a);
	if (!w)
		return 0;
	ret = match(a, "keyword", w, conn_list_words,
		    ARRAY_SIZE(conn_list_words), &id);
	if (ret)
		return ret;
	if (id == W_HELP)
		return want_help(cmd);
	ret = parse_ref(a, cmd, cmd->command == UC_CMD_COUNT ? "conn count" :
			"conn list");
	if (ret || cmd->action == UC_ACT_HELP)
		return ret;
	return no_more(a, cmd->command == UC_CMD_COUNT ? "conn count" :
		       "conn list");
}

static int parse_stats(struct args *a, struct userctl_cmd *cmd)
{
	const char *w = peek(a);
	int id, ret;

	cmd->command = UC_CMD_SHOW;
	if (!w)
		return 0;
	/* An optional "show"; "id" and addresses go to parse_ref(). */
	if (kw_match(w, stats_words, ARRAY_SIZE(stats_words), &id) == KW_OK) {
		if (id == W_HELP)
			return want_help(cmd);
		if (id == UC_CMD_SHOW)
			a->i++;
	}
	if (!peek(a))
		return 0;
	ret = parse_ref(a, cmd, "stats");
	if (ret || cmd->action == UC_ACT_HELP)
		return ret;
	return no_more(a, "stats");
}


static int parse_backend(struct args *a, struct userctl_cmd *cmd)
{
	const char *w, *ctx;
	bool done;
	int id, ret;

	ret = parse_list_object_cmd(a, cmd, backend_cmds,
				    ARRAY_SIZE(backend_cmds), &id, &done);
	if (done)
		return ret;
	ctx = id == UC_CMD_ADD ? "backend add" : id == UC_CMD_DEL ?
		"backend del" : id == UC_CMD_SET ? "backend set" : "backend list";

	if (cmd->command == UC_CMD_LIST) {
		if (!peek(a))
			return 0;
		ret = parse_ref(a, cmd, ctx);
		if (ret || cmd->action == UC_ACT_HELP)
			return ret;
		return no_more(a, ctx);
	}

	ret = parse_ref(a, cmd, ctx);
	if (ret || cmd->action == UC_ACT_HELP)
		return ret;
	w = next(a);
	if (!w)
		return fail(a, "%s: missing BACKEND", ctx);
	if (is_help(w))
		return want_help(cmd);
	if (parse_endpoint(w, &cmd->backend.addr, a->err, a->errlen))
		return UC_USAGE_ERROR;

	w = next(a);
	if (cmd->command == UC_CMD_DEL || (!w && cmd->command == UC_CMD_ADD)) {
		if (w)
			a->i--;
		return no_more(a, ctx);
	}
	if (!w)
		return fail(a, "%s: missing \"weight W\", \"maxconn N\", \"drain\" or \"undrain\"",
			    ctx);
	for (; w; w = next(a)) {
		const char *kw = w;

		if (cmd->command == UC_CMD_SET)
			ret = match(a, "keyword", w, backend_set_words,
				    ARRAY_SIZE(backend_set_words), &id);
		else
			ret = match(a, "keyword", w, backend_opt_words,
				    ARRAY_SIZE(backend_opt_words), &id);
		if (ret)
			return ret;
		if (id == W_HELP)
			return want_help(cmd);
		if (id == W_DRAIN || id == W_UNDRAIN) {
			if (cmd->backend.drain || cmd->undrain)
				return fail(a, "%s: drain and undrain given twice or together",
					    ctx);
			if (id == W_UNDRAIN) {
				cmd->undrain = 1;
				continue;
			}
			cmd->backend.drain = 1;
			/* drain [ timeout TIME ] */
			w = peek(a);
			if (!w || strncmp(w, "timeout", strlen(w)) != 0)
				continue;
			next(a);
			w = next(a);
			if (!w)
				return fail(a, "%s: missing value after \"timeout\"", ctx);
			ret = parse_timeout(a, "drain timeout", w, 0,
					    UC_DRAIN_TIMEOUT_MAX,
					    &cmd->backend.drain_timeout_ms);
			if (ret)
				return ret;
			continue;
		}
		if ((id == W_WEIGHT && cmd->backend.weight) ||
		    (id == W_MAXCONN && cmd->backend_has_maxconn))
			return fail(a, "%s: \"%s\" given twice", ctx, kw);
		w = next(a);
		if (!w)
			return fail(a, "%s: missing value after \"%s\"", ctx, kw);
		if (id == W_MAXCONN) {
			ret = parse_maxconn(a, w, &cmd->backend.maxconn);
			cmd->backend_has_maxconn = 1;
		} else if (cmd->command == UC_CMD_SET && strcmp(w, "0") == 0) {
			/* backend set: weight 0 is drain */
			if (cmd->backend.drain || cmd->undrain)
				return fail(a, "%s: drain and undrain given twice or together",
					    ctx);
			cmd->backend.drain = 1;
			ret = 0;
		} else {
			ret = parse_weight(a, w, &cmd->backend.weight);
		}
		if (ret)
			return ret;
	}
	if (cmd->backend.drain && cmd->backend.weight)
		return fail(a, "%s: drain and a weight exclude each other (a weight ends a drain)",
			    ctx);
	return 0;
}

static int parse_acl(struct args *a, struct userctl_cmd *cmd)
{
	const char *w, *ctx;
	bool done;
	int id, ret;

	ret = parse_list_object_cmd(a, cmd, acl_cmds, ARRAY_SIZE(acl_cmds),
				    &id, &done);
	if (done)
		return ret;
	if (id == UC_CMD_LIST)
		return no_more(a, "acl list");
	if (id == UC_CMD_FLUSH)
		return no_more(a, "acl flush");

	ctx = id == UC_CMD_ADD ? "acl add" : "acl del";
	w = next(a);
	if (!w)
		return fail(a, "%s: missing allow or deny", ctx);
	if (is_help(w))
		return want_help(cmd);
	if (kw_match(w, acl_actions, ARRAY_SIZE(acl_actions), &id) != KW_OK)
		return fail(a, "%s: expected allow or deny, not \"%s\"", ctx, w);
	w = next(a);
	if (!w)
		return fail(a, "%s: missing PREFIX", ctx);
	if (parse_prefix(w, &cmd->acl_entry, a->err, a->errlen))
		return UC_USAGE_ERROR;
	cmd->acl_entry.action = (uint8_t)id;
	return no_more(a, ctx);
}

static int parse_monitor(struct args *a, struct userctl_cmd *cmd)
{
	const char *w;
	int id, ret;

	cmd->command = UC_CMD_SHOW;
	while ((w = next(a))) {
		ret = match(a, "event kind", w, monitor_words,
			    ARRAY_SIZE(monitor_words), &id);
		if (ret)
			return ret;
		if (id == W_HELP)
			return want_help(cmd);
		if (id == W_ALL) {
			cmd->monitor_mask |= UC_MON_RULE | UC_MON_CONN |
				UC_MON_BACKEND;
		} else if (id == W_COUNT) {
			w = next(a);
			if (!w)
				return fail(a, "monitor: missing value after \"count\"");
			if (parse_u64(w, &cmd->monitor_count) ||
			    !cmd->monitor_count)
				return fail(a, "invalid count \"%s\": must be a number of events, at least 1",
					    w);
		} else {
			cmd->monitor_mask |= (unsigned int)id;
		}
	}
	return 0;
}

static int parse_apply(struct args *a, struct userctl_cmd *cmd)
{
	const char *w;
	int id;

	cmd->command = UC_CMD_RUN;
	/* Exact words only: FILE may be called anything. */
	while ((w = next(a))) {
		size_t i;

		for (i = 0, id = 0; i < ARRAY_SIZE(apply_words); i++)
			if (strcmp(w, apply_words[i].word) == 0)
				id = apply_words[i].id;
		if (id == W_HELP && !cmd->file)
			return want_help(cmd);
		if (id == W_DRY_RUN) {
			cmd->dry_run = 1;
			continue;
		}
		if (w[0] == '-' && w[1])
			return fail(a, "apply: unknown option \"%s\"", w);
		if (cmd->file)
			return fail(a, "apply: unexpected argument \"%s\" (one FILE)",
				    w);
		cmd->file = w;
	}
	if (!cmd->file)
		return fail(a, "apply: missing FILE (rinetd.conf syntax, \"-\" for stdin)");
	return 0;
}

/* -o FORMAT: the last one given counts (-j and -p still add JSON). */
static int set_output(struct args *a, struct userctl_cmd *cmd,
		      const char *opt, const char *fmt)
{
	int id;

	if (!fmt)
		return fail(a, "option \"%s\" needs a FORMAT (text, json or prometheus)",
			    opt);
	if (match(a, "output format", fmt, formats, ARRAY_SIZE(formats), &id))
		return UC_USAGE_ERROR;
	cmd->opts.prometheus = id == F_PROMETHEUS;
	if (id == F_TEXT)
		cmd->opts.json = cmd->opts.pretty = 0;
	if (id == F_JSON)
		cmd->opts.json = 1;
	return 0;
}

static int parse_options(struct args *a, struct userctl_cmd *cmd)
{
	while (a->i < a->argc) {
		const char *arg = a->argv[a->i];
		int id;

		if (arg[0] != '-' || arg[1] == '\0')
			break;
		a->i++;
		if (strcmp(arg, "--") == 0)
			break;

		if (arg[1] == '-') {
			const char *eq = strchr(arg, '=');
			char name[32];
			int ret;

			snprintf(name, sizeof(name), "%.*s",
				 (int)(eq ? eq - arg - 2 : (ptrdiff_t)strlen(arg + 2)),
				 arg + 2);
			ret = kw_match(name, long_opts, ARRAY_SIZE(long_opts), &id);
			if (ret == KW_AMBIGUOUS)
				return fail(a, "ambiguous option \"%s\"", arg);
			if (ret != KW_OK || (eq && id != O_OUTPUT))
				return fail(a, "unknown option \"%s\"", arg);
			switch (id) {
			case O_JSON:	cmd->opts.json = 1; break;
			case O_PRETTY:	cmd->opts.pretty = cmd->opts.json = 1; break;
			case O_STATS:	cmd->opts.stats = 1; break;
			case O_HUMAN:	cmd->opts.human = 1; break;
			case O_TIMESTAMP: cmd->opts.timestamp = 1; break;
			case O_OUTPUT:
				if (set_output(a, cmd, "--output",
					       eq ? eq + 1 : next(a)))
					return UC_USAGE_ERROR;
				break;
			case O_VERSION:	cmd->action = UC_ACT_VERSION; return 0;
			default:	cmd->action = UC_ACT_HELP; return 0;
			}
			continue;
		}

		for (arg++; *arg; arg++) {
			switch (*arg) {
			case 'j': cmd->opts.json = 1; break;
			case 'p': cmd->opts.pretty = cmd->opts.json = 1; break;
			case 's': cmd->opts.stats = 1; break;
			case 'h': cmd->opts.human = 1; break;
			case 't': cmd->opts.timestamp = 1; break;
			case 'o':
				/* "-o FORMAT" or "-oFORMAT": the rest is its */
				if (set_output(a, cmd, "-o",
					       arg[1] ? arg + 1 : next(a)))
					return UC_USAGE_ERROR;
				arg += strlen(arg) - 1;
				break;
			case 'V': cmd->action = UC_ACT_VERSION; return 0;
			default:
				return fail(a, "unknown option \"-%c\"", *arg);
			}
		}
	}
	return 0;
}

static int parse_all(int argc, char **argv, struct userctl_cmd *cmd, char *err,
		     size_t errlen)
{
	struct args a = {
		.argc = argc, .argv = argv, .i = 1, .err = err, .errlen = errlen,
	};
	const char *w;
	int id, ret;

	memset(cmd, 0, sizeof(*cmd));
	if (errlen)
		err[0] = '\0';

	ret = parse_options(&a, cmd);
	if (ret || cmd->action != UC_ACT_RUN)
		return ret;

	w = next(&a);
	if (!w) {
		cmd->no_object = 1;
		return fail(&a, "missing OBJECT (rule, backend, acl, conn, stats, monitor, apply, export, trace or help)");
	}
	ret = match(&a, "object", w, objects, ARRAY_SIZE(objects), &id);
	if (ret)
		return ret;
	cmd->object = (enum uc_object)id;

	if (cmd->opts.prometheus && cmd->object != UC_OBJ_STATS &&
	    cmd->object != UC_OBJ_HELP)
		return fail(&a, "output format prometheus is only for stats");
	if (cmd->opts.prometheus && cmd->opts.json)
		return fail(&a, "-o prometheus and -j/-p exclude each other");

	/* No argument of ours looks like an option: say where options go. */
	if (cmd->object != UC_OBJ_TRACE && cmd->object != UC_OBJ_APPLY) {
		int j;

		for (j = a.i; j < argc; j++) {
			const char *o = argv[j];

			/* rule del RULE --drain TIME */
			if (cmd->object == UC_OBJ_RULE && j >= a.i + 2 &&
			    strcmp(o, "--drain") == 0)
				continue;
			if (o[0] == '-' && (o[1] == '-' ||
			    (o[1] >= 'a' && o[1] <= 'z') ||
			    (o[1] >= 'A' && o[1] <= 'Z')))
				return fail(&a, "option \"%s\" must come before the object (userctl [OPTIONS] OBJECT ...)",
					    o);
		}
	}

	switch (cmd->object) {
	case UC_OBJ_HELP:
		cmd->action = UC_ACT_HELP;
		cmd->object = UC_OBJ_NONE;
		w = next(&a);
		if (!w)
			return 0;
		ret = match(&a, "object", w, objects, ARRAY_SIZE(objects), &id);
		if (ret)
			return ret;
		cmd->object = id == UC_OBJ_HELP ? UC_OBJ_NONE :
			(enum uc_object)id;
		return no_more(&a, "help");
	case UC_OBJ_RULE:
		return parse_rule(&a, cmd);
	case UC_OBJ_CONN:
		return parse_conn(&a, cmd);
	case UC_OBJ_STATS:
		return parse_stats(&a, cmd);
	case UC_OBJ_BACKEND:
		return parse_backend(&a, cmd);
	case UC_OBJ_ACL:
		return parse_acl(&a, cmd);
	case UC_OBJ_MONITOR:
		return parse_monitor(&a, cmd);
	case UC_OBJ_APPLY:
		return parse_apply(&a, cmd);
	case UC_OBJ_EXPORT:
		cmd->command = UC_CMD_RUN;
		w = peek(&a);
		if (is_help(w))
			return want_help(cmd);
		return no_more(&a, "export");
	default:
		/* trace: everything from the "trace" word on is its own. */
		cmd->command = UC_CMD_RUN;
		cmd->trace_argc = argc - (a.i - 1);
		cmd->trace_argv = argv + (a.i - 1);
		return 0;
	}
}

int cmdline_parse(int argc, char **argv, struct userctl_cmd *cmd, char *err,
		  size_t errlen)
{
	int ret = parse_all(argc, argv, cmd, err, errlen);

	if (ret && errlen)
		sanitize(err);
	return ret;
}

/* ------------------------------------------------------------------ */

static const char usage_main[] =
"Usage: userctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
"       userctl help [OBJECT]\n"
"where  OBJECT := { rule | backend | acl | conn | stats | monitor | apply |\n"
"                   export | trace | help }\n"
"       OPTIONS := { -j[son] | -p[retty] | -s[tats] | -h[uman] | -t[imestamp] |\n"
"                    -o[utput] { text | json | prometheus } | -V[ersion] | --help }\n"
"Words may be abbreviated to any unambiguous prefix (\"userctl r l\").\n"
"Exit status: 0 success, 1 runtime error, 2 usage error.\n";

static const char usage_rule[] =
"Usage: userctl rule add LISTEN to BACKEND [ weight W ] [ to BACKEND [ weight W ] ]...\n"
"                        [ OPTION ]... [ allow PREFIX ]... [ deny PREFIX ]...\n"
"       userctl rule del RULE [ --drain TIME ]\n"
"       userctl rule set RULE [ to BACKEND [ weight W ] ]... [ OPTION ]...\n"
"                        [ src none ] [ allow PREFIX ]... [ deny PREFIX ]... [ acl flush ]\n"
"       userctl rule { list | show } [ RULE ]\n"
"where  RULE := { LISTEN | id N }\n"
"       LISTEN, BACKEND := { A.B.C.D:PORT | [IPV6]:PORT | *:PORT | :PORT }\n"
"       OPTION := { sched { rr | wrr | lc } | holddown TIME | mode { splice | copy } |\n"
"                   connect-timeout TIME | idle-timeout TIME | backlog N |\n"
"                   src ADDR[:PORT] | mark N | keepalive { SECONDS | TIME | off } |\n"
"                   maxconn { N | off } |\n"
"                   proxy-protocol { v1 | v2 | off } | transparent { on | off } |\n"
"                   check CHECK }\n"
"       CHECK := { on | off | [ interval TIME ] [ timeout TIME ] [ rise N ] [ fall N ] }\n"
"                (TCP connect checks; defaults interval 2s timeout 1s rise 2 fall 3;\n"
"                 interval 100ms-1h, timeout 10ms-10m, rise and fall 1-100; off: rule set)\n"
"       TIME := NUMBER[ms|s|m|h|d]  (milliseconds without unit; idle-timeout and\n"
"               holddown: 0 or off disables; connect-timeout 1ms-10m, idle-timeout\n"
"               up to 1d, holddown up to 1h; keepalive 1-32767 s)\n"
"       PREFIX := { A.B.C.D[/N] | IPV6[/N] }  (host bits must be zero)\n"
"       weight 1-10000 (default 1), backlog 1-65535, mark 0-4294967295 or hex 0x0-0xffffffff (0: none)\n"
"       maxconn 0-16777216 (0, the default: no limit; at the limit clients wait in the backlog)\n"
"rule set changes everything it names in one transaction; \"to\" replaces the\n"
"backend list, allow/deny replace the rule's ACL, \"acl flush\" clears it.\n"
"rule del --drain stops accepting at once (a new rule may take the address),\n"
"lets the connections end and resets those left after TIME (up to 1d; 0 or\n"
"off: never); the rule is listed as draining until then.\n";

static const char usage_backend[] =
"Usage: userctl backend add RULE BACKEND [ weight W ] [ maxconn N ]\n"
"       userctl backend del RULE BACKEND\n"
"       userctl backend set RULE BACKEND { weight W | maxconn N | drain [ timeout TIME ] |\n"
"                                          undrain }...\n"
"       userctl backend { list | show } [ RULE ]\n"
"where  RULE := { LISTEN | id N }\n"
"       BACKEND := { A.B.C.D:PORT | [IPV6]:PORT }, weight 1-10000,\n"
"       maxconn 0-16777216 (0 or off, the default: no limit; all backends full: reset)\n"
"       drain: no new connections; those left are reset after TIME (up to 1d;\n"
"       default, 0 or off: never); weight 0 is drain; weight W or undrain end it\n";

static const char usage_acl[] =
"Usage: userctl acl { list | show }\n"
"       userctl acl { add | del } { allow | deny } PREFIX\n"
"       userctl acl flush\n"
"where  PREFIX := { A.B.C.D[/N] | IPV6[/N] }\n"
"The netns-wide ACL, checked with every rule's own ACL (see userctl(8)).\n";

static const char usage_monitor[] =
"Usage: userctl [ -j ] [ -t ] monitor [ { rule | conn | backend | all } ]... [ count N ]\n"
"Prints krelay events as they happen (with -j one JSON object per line) until\n"
"interrupted, or until N events were printed.\n";

static const char usage_apply[] =
"Usage: userctl apply FILE [ --dry-run ]\n"
"       userctl export\n"
"FILE is in rinetd.conf syntax (\"-\": stdin); apply makes the kernel's rules\n"
"and global ACL match it in one transaction, export writes them back.\n"
"See userctl(8) for the file format and the krelay-specific [options].\n";

static const char usage_conn[] =
"Usage: userctl conn { list | show } [ rule RULE ]\n"
"       userctl conn count [ rule RULE ]\n"
"       userctl conn kill ID\n"
"where  RULE := { LISTEN | id N }\n";

static const char usage_stats[] =
"Usage: userctl stats [ RULE ]\n"
"where  RULE := { LISTEN | id N }\n"
"Without RULE: the network namespace's totals, then every rule's counters.\n"
"userctl -o prometheus stats [ RULE ]: the same (and every backend's) in the\n"
"Prometheus text format, for node_exporter's textfile collector.\n";

static const char usage_trace[] =
"Usage: userctl trace ...   (see \"userctl trace help\")\n";

static const char *const usages[] = {
	[UC_OBJ_RULE]		= usage_rule,
	[UC_OBJ_CONN]		= usage_conn,
	[UC_OBJ_STATS]		= usage_stats,
	[UC_OBJ_TRACE]		= usage_trace,
	[UC_OBJ_BACKEND]	= usage_backend,
	[UC_OBJ_ACL]		= usage_acl,
	[UC_OBJ_MONITOR]	= usage_monitor,
	[UC_OBJ_APPLY]		= usage_apply,
	[UC_OBJ_EXPORT]		= usage_apply,
};

void cmdline_usage(FILE *f, enum uc_object object)
{
	if ((size_t)object < ARRAY_SIZE(usages) && usages[object])
		fputs(usages[object], f);
	else
		fputs(usage_main, f);
}
