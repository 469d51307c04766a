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
};

static const struct keyword objects[] = {
	{ "rule",	UC_OBJ_RULE },
	{ "conn",	UC_OBJ_CONN },
	{ "connection",	UC_OBJ_CONN },
	{ "stats",	UC_OBJ_STATS },
	{ "statistics",	UC_OBJ_STATS },
	{ "trace",	UC_OBJ_TRACE },
	{ "help",	UC_OBJ_HELP },
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
	{ "mode",		W_MODE },
	{ "connect-timeout",	W_CONNECT_TIMEOUT },
	{ "idle-timeout",	W_IDLE_TIMEOUT },
	{ "backlog",		W_BACKLOG },
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
       O_VERSION = 'V', O_HELP = '?' };

static const struct keyword long_opts[] = {
	{ "json",		O_JSON },
	{ "pretty",		O_PRETTY },
	{ "stats",		O_STATS },
	{ "statistics",		O_STATS },
	{ "human",		O_HUMAN },
	{ "human-readable",	O_HUMAN },
	{ "version",		O_VERSION },
	{ "help",		O_HELP },
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

/* Keywords of rule add / rule set. */
static int parse_rule_opts(struct args *a, struct userctl_cmd *cmd,
			   const char *ctx, int is_set)
{
	struct krelay_rule *r = &cmd->rule;
	const char *w;

	while ((w = next(a))) {
		const char *v;
		unsigned int flag;
		int id, ret;

		ret = match(a, "keyword", w, add_words, ARRAY_SIZE(add_words), &id);
		if (ret)
			return ret;
		if (id == W_HELP)
			return want_help(cmd);

		switch (id) {
		case W_TO:
			flag = KRELAY_RULE_F_BACKEND;
			break;
		case W_MODE:
			flag = KRELAY_RULE_F_MODE;
			break;
		case W_CONNECT_TIMEOUT:
			flag = KRELAY_RULE_F_CONNECT_TIMEOUT;
			break;
		case W_IDLE_TIMEOUT:
			flag = KRELAY_RULE_F_IDLE_TIMEOUT;
			break;
		default:
			flag = KRELAY_RULE_F_BACKLOG;
			if (is_set)
				return fail(a, "%s: backlog cannot be changed on a live rule (delete and add it again)",
					    ctx);
			break;
		}
		if (r->present & flag)
			return fail(a, "%s: \"%s\" given twice", ctx, w);
		v = next(a);
		if (!v)
			return fail(a, "%s: missing value after \"%s\"", ctx, w);
		r->present |= flag;

		switch (id) {
		case W_TO:
			if (parse_endpoint(v, &r->backend, a->err, a->errlen))
				return UC_USAGE_ERROR;
			break;
		case W_MODE: {
			int m;

			if (kw_match(v, modes, ARRAY_SIZE(modes), &m) != KW_OK)
				return fail(a, "invalid mode \"%s\": expected splice or copy",
					    v);
			r->mode = (uint8_t)m;
			break;
		}
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
		default:
			if (parse_u32_range(v, UC_BACKLOG_MIN, UC_BACKLOG_MAX,
					    &r->backlog))
				return fail(a, "invalid backlog \"%s\": must be %u-%u",
					    v, UC_BACKLOG_MIN, UC_BACKLOG_MAX);
			break;
		}
	}
	return 0;
}

static int parse_rule(struct args *a, struct userctl_cmd *cmd)
{
	const char *w = next(a);
	int id, ret;

	if (!w) {
		cmd->command = UC_CMD_LIST;
		return 0;
	}
	ret = match(a, "command", w, rule_cmds, ARRAY_SIZE(rule_cmds), &id);
	if (ret)
		return ret;
	if (id == W_HELP)
		return want_help(cmd);
	cmd->command = (enum uc_command)id;

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
	case UC_CMD_DEL:
		ret = parse_ref(a, cmd, "rule del");
		if (ret || cmd->action == UC_ACT_HELP)
			return ret;
		return no_more(a, "rule del");
	case UC_CMD_SET:
		ret = parse_ref(a, cmd, "rule set");
		if (ret || cmd->action == UC_ACT_HELP)
			return ret;
		ret = parse_rule_opts(a, cmd, "rule set", 1);
		if (ret || cmd->action == UC_ACT_HELP)
			return ret;
		if (!cmd->rule.present)
			return fail(a, "rule set: nothing to change (give to, mode, connect-timeout or idle-timeout)");
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
	const char *w = next(a);
	int id, ret;

	if (!w) {
		cmd->command = UC_CMD_LIST;
		return 0;
	}
	ret = match(a, "command", w, conn_cmds, ARRAY_SIZE(conn_cmds), &id);
	if (ret)
		return ret;
	if (id == W_HELP)
		return want_help(cmd);
	cmd->command = (enum uc_command)id;

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
			int ret = kw_match(arg + 2, long_opts,
					   ARRAY_SIZE(long_opts), &id);

			if (ret == KW_AMBIGUOUS)
				return fail(a, "ambiguous option \"%s\"", arg);
			if (ret != KW_OK)
				return fail(a, "unknown option \"%s\"", arg);
			switch (id) {
			case O_JSON:	cmd->opts.json = 1; break;
			case O_PRETTY:	cmd->opts.pretty = cmd->opts.json = 1; break;
			case O_STATS:	cmd->opts.stats = 1; break;
			case O_HUMAN:	cmd->opts.human = 1; break;
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
			case 'V': cmd->action = UC_ACT_VERSION; return 0;
			default:
				return fail(a, "unknown option \"-%c\"", *arg);
			}
		}
	}
	return 0;
}

int cmdline_parse(int argc, char **argv, struct userctl_cmd *cmd, char *err,
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
		return fail(&a, "missing OBJECT (rule, conn, stats, trace or help)");
	}
	ret = match(&a, "object", w, objects, ARRAY_SIZE(objects), &id);
	if (ret)
		return ret;
	cmd->object = (enum uc_object)id;

	/* No argument of ours looks like an option: say where options go. */
	if (cmd->object != UC_OBJ_TRACE) {
		int j;

		for (j = a.i; j < argc; j++) {
			const char *o = argv[j];

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
	default:
		/* trace: everything from the "trace" word on is its own. */
		cmd->command = UC_CMD_RUN;
		cmd->trace_argc = argc - (a.i - 1);
		cmd->trace_argv = argv + (a.i - 1);
		return 0;
	}
}

/* ------------------------------------------------------------------ */

static const char usage_main[] =
"Usage: userctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
"       userctl help [OBJECT]\n"
"where  OBJECT := { rule | conn | stats | trace | help }\n"
"       OPTIONS := { -j[son] | -p[retty] | -s[tats] | -h[uman] | -V[ersion] |\n"
"                    --help }\n"
"Words may be abbreviated to any unambiguous prefix (\"userctl r l\").\n";

static const char usage_rule[] =
"Usage: userctl rule add LISTEN to BACKEND [ mode MODE ] [ connect-timeout TIME ]\n"
"                        [ idle-timeout TIME ] [ backlog N ]\n"
"       userctl rule del RULE\n"
"       userctl rule set RULE [ to BACKEND ] [ mode MODE ] [ connect-timeout TIME ]\n"
"                        [ idle-timeout TIME ]\n"
"       userctl rule { list | show } [ RULE ]\n"
"where  RULE := { LISTEN | id N }\n"
"       LISTEN, BACKEND := { A.B.C.D:PORT | [IPV6]:PORT | *:PORT | :PORT }\n"
"       MODE := { splice | copy }\n"
"       TIME := NUMBER[ms|s|m|h|d]  (milliseconds without unit; idle-timeout: 0 or off\n"
"               disables; connect-timeout 1ms-10m, idle-timeout up to 1d)\n"
"       backlog 1-65535\n";

static const char usage_conn[] =
"Usage: userctl conn { list | show } [ rule RULE ]\n"
"       userctl conn count [ rule RULE ]\n"
"       userctl conn kill ID\n"
"where  RULE := { LISTEN | id N }\n";

static const char usage_stats[] =
"Usage: userctl stats [ RULE ]\n"
"where  RULE := { LISTEN | id N }\n"
"Without RULE: the network namespace's totals, then every rule's counters.\n";

static const char usage_trace[] =
"Usage: userctl trace ...   (see \"userctl trace help\")\n";

void cmdline_usage(FILE *f, enum uc_object object)
{
	switch (object) {
	case UC_OBJ_RULE:
		fputs(usage_rule, f);
		break;
	case UC_OBJ_CONN:
		fputs(usage_conn, f);
		break;
	case UC_OBJ_STATS:
		fputs(usage_stats, f);
		break;
	case UC_OBJ_TRACE:
		fputs(usage_trace, f);
		break;
	default:
		fputs(usage_main, f);
		break;
	}
}
