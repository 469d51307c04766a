// SPDX-License-Identifier: GPL-2.0
/*
 * userctl config files (rinetd.conf syntax): reader and writer.
 *
 * The reader stops at the first error and reports it as FILE:LINE:COLUMN
 * (columns count bytes from 1).  Only numeric addresses and ports are
 * accepted: resolving names would make "apply" depend on DNS.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <linux/krelay.h>

#include "config.h"
#include "parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Directives of rinetd that krelay has no use for. */
static const char *const ignored_directives[] = {
	"logfile", "pidlogfile", "logcommon", "buffersize", "dnsrefresh",
};

struct reader {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
	uc_warn_fn warn;
	void *warn_arg;
	struct uc_config *cfg;
	size_t cap;
	unsigned int *rule_lines;	/* line of each rule, for duplicates */
};

/* A token of a line: text (NUL-terminated copy) and its column. */
struct tok {
	char *s;
	unsigned int col;
};

#define MAX_TOKS 6

__attribute__((format(printf, 3, 4)))
static int error_at(struct reader *r, unsigned int col, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "%s:%u:%u: %s", r->name, r->line, col, msg);
	return -1;
}

/* A token for messages: at most 60 bytes, non-printable bytes as '?'. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len && i < 60; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* ------------------------------------------------------------------ */
/* addresses                                                           */

static int looks_like_name(const char *s)
{
	for (; *s; s++)
		if ((*s >= 'g' && *s <= 'z') || (*s >= 'G' && *s <= 'Z') ||
		    *s == '-' || *s == '_')
			return 1;
	return 0;
}

/* "0.0.0.0", "::", "[::1]" -> @ep (port set by the caller). */
static int read_addr(struct reader *r, const struct tok *t,
		     struct krelay_endpoint *ep)
{
	char buf[INET6_ADDRSTRLEN + 4], sh[64];
	const char *s = t->s;
	size_t n = strlen(s);

	memset(ep, 0, sizeof(*ep));
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n && n < sizeof(buf)) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET, buf, &ep->addr.v4) == 1) {
			ep->family = AF_INET;
			return 0;
		}
		if (inet_pton(AF_INET6, buf, &ep->addr.v6) == 1) {
			ep->family = AF_INET6;
			return 0;
		}
	}
	if (looks_like_name(t->s))
		return error_at(r, t->col,
				"invalid address \"%s\": only numeric IPv4/IPv6 addresses are supported, not host names",
				shown(t->s, sh, sizeof(sh)));
	return error_at(r, t->col,
			"invalid address \"%s\": expected A.B.C.D or an IPv6 address",
			shown(t->s, sh, sizeof(sh)));
}

static int read_port(struct reader *r, const struct tok *t, uint16_t *port)
{
	char sh[64];
	uint32_t v;
	const char *slash = strchr(t->s, '/');

	if (slash && strcmp(slash + 1, "udp") == 0)
		return error_at(r, t->col, "UDP forwarding (\"%s\") is not supported",
				shown(t->s, sh, sizeof(sh)));
	if (parse_u32_range(t->s, 1, 65535, &v))
		return error_at(r, t->col,
				"invalid port \"%s\": must be a number 1-65535%s",
				shown(t->s, sh, sizeof(sh)),
				looks_like_name(t->s) ?
				" (service names are not supported)" : "");
	*port = (uint16_t)v;
	return 0;
}

/*
 * An allow/deny pattern: rinetd's "192.168.*.*" / "10.*" / "*", a plain
 * address, or (krelay) a CIDR prefix "10.0.0.0/8", "fd00::/8".
 */
static int read_pattern(struct reader *r, const struct tok *t,
			struct krelay_acl_entry *e)
{
	char msg[256], sh[64];
	const char *s = t->s, *p;
	unsigned int parts = 0, fixed = 0, wild = 0;
	unsigned char oct[4] = { 0 };

	memset(e, 0, sizeof(*e));
	if (strchr(s, '/') || strchr(s, ':')) {
		if (strpbrk(s, "*?"))
			return error_at(r, t->col,
					"pattern \"%s\" cannot be expressed as a CIDR prefix (wildcards only in IPv4 patterns such as 10.1.*.*)",
					shown(s, sh, sizeof(sh)));
		if (parse_prefix(s, e, msg, sizeof(msg)))
			return error_at(r, t->col, "%s", msg);
		return 0;
	}
	for (p = s; ; ) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		unsigned int col = t->col + (unsigned int)(p - s);

		if (parts == 4)
			return error_at(r, col, "pattern \"%s\" has more than 4 parts",
					shown(s, sh, sizeof(sh)));
		if (n == 1 && p[0] == '*') {
			wild = 1;
		} else {
			unsigned int v = 0;
			size_t i;

			if (wild)
				return error_at(r, col,
						"pattern \"%s\" cannot be expressed as a CIDR prefix: only whole trailing parts may be \"*\"",
						shown(s, sh, sizeof(sh)));
			if (n == 0 || n > 3)
				goto bad;
			for (i = 0; i < n; i++) {
				if (p[i] == '*' || p[i] == '?')
					return error_at(r, col + (unsigned int)i,
							"pattern \"%s\" cannot be expressed as a CIDR prefix: \"%c\" inside a number (only whole trailing parts may be \"*\")",
							shown(s, sh, sizeof(sh)), p[i]);
				if (p[i] < '0' || p[i] > '9')
					goto bad;
				v = v * 10 + (unsigned int)(p[i] - '0');
			}
			if (v > 255)
				goto bad;
			oct[fixed++] = (unsigned char)v;
		}
		parts++;
		if (!dot)
			break;
		p = dot + 1;
	}
	if (!wild && parts != 4)
		goto bad;
	e->family = AF_INET;
	memcpy(&e->addr.v4, oct, 4);
	e->prefixlen = (uint8_t)(fixed * 8);
	return 0;
bad:
	return error_at(r, t->col,
			"invalid pattern \"%s\": expected A.B.C.D with trailing \"*\" parts (192.168.*.*), A.B.C.D/N or IPV6[/N]",
			shown(s, sh, sizeof(sh)));
}

/* ------------------------------------------------------------------ */
/* options                                                             */

static int read_time(struct reader *r, unsigned int col, const char *key,
		     const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	char sh[64];
	uint32_t ms;

	if (min == 0 && strcmp(v, "off") == 0) {
		*out = 0;
		return 0;
	}
	if (parse_duration_ms(v, &ms) || ms < min || ms > max)
		return error_at(r, col,
				"invalid %s \"%s\": must be %u-%u ms (NUMBER[ms|s|m|h|d])",
				key, shown(v, sh, sizeof(sh)), min, max);
	*out = ms;
	return 0;
}

static int add_backend(struct reader *r, struct krelay_rule *rule,
		       unsigned int col, const struct krelay_endpoint *ep,
		       uint32_t weight)
{
	char buf[64];
	size_t i;

	for (i = 0; i < rule->nbackends; i++)
		if (endpoint_equal(&rule->backends[i].addr, ep)) {
			fmt_endpoint(ep, buf, sizeof(buf));
			return error_at(r, col, "backend %s given twice", buf);
		}
	if (rule->nbackends >= KRELAY_MAX_BACKENDS)
		return error_at(r, col, "too many backends (at most %u)",
				KRELAY_MAX_BACKENDS);
	memset(&rule->backends[rule->nbackends], 0, sizeof(rule->backends[0]));
	rule->backends[rule->nbackends].addr = *ep;
	rule->backends[rule->nbackends].weight = weight;
	rule->nbackends++;
	return 0;
}

enum {
	K_TIMEOUT, K_IDLE, K_SRC, K_KEEPALIVE, K_WEIGHT, K_BACKEND, K_SCHED,
	K_HOLDDOWN, K_MODE, K_CONNECT, K_BACKLOG, K_MARK, K_MAXCONN,
	K_BACKEND_MAXCONN, K_PROXY, K_TRANSPARENT, K_CHECK,
};

static const struct keyword opt_keys[] = {
	{ "timeout",		K_TIMEOUT },
	{ "idle-timeout",	K_IDLE },
	{ "src",		K_SRC },
	{ "keepalive",		K_KEEPALIVE },
	{ "weight",		K_WEIGHT },
	{ "backend",		K_BACKEND },
	{ "sched",		K_SCHED },
	{ "holddown",		K_HOLDDOWN },
	{ "mode",		K_MODE },
	{ "connect-timeout",	K_CONNECT },
	{ "backlog",		K_BACKLOG },
	{ "mark",		K_MARK },
	{ "maxconn",		K_MAXCONN },
	{ "backend-maxconn",	K_BACKEND_MAXCONN },
	{ "proxy-protocol",	K_PROXY },
	{ "transparent",	K_TRANSPARENT },
	{ "check",		K_CHECK },
};

/*
 * check=on|off|INTERVAL[/TIMEOUT[/RISE[/FALL]]] (the defaults for what is
 * left out); off is the same as no check option.
 */
static int read_check(struct reader *r, struct krelay_rule *rule, char *v,
		      unsigned int vcol)
{
	static const char *const names[] = { "interval", "timeout", "rise", "fall" };
	struct krelay_check *c = &rule->check;
	uint32_t *vals[] = { &c->interval_ms, &c->timeout_ms, &c->rise, &c->fall };
	char *part = v, *slash, sh[64];
	unsigned int i;

	memset(c, 0, sizeof(*c));
	if (strcmp(v, "off") == 0)
		return 0;
	rule->present |= KRELAY_RULE_F_CHECK;
	c->enabled = 1;
	c->interval_ms = KRELAY_CHECK_DEFAULT_INTERVAL_MS;
	c->timeout_ms = KRELAY_CHECK_DEFAULT_TIMEOUT_MS;
	c->rise = KRELAY_CHECK_DEFAULT_RISE;
	c->fall = KRELAY_CHECK_DEFAULT_FALL;
	if (strcmp(v, "on") == 0)
		return 0;
	for (i = 0; part; i++) {
		unsigned int col = vcol + (unsigned int)(part - v);
		char what[32];
		int ret;

		if (i == ARRAY_SIZE(names))
			return error_at(r, col,
					"check: too many values (INTERVAL/TIMEOUT/RISE/FALL)");
		slash = strchr(part, '/');
		if (slash)
			*slash = '\0';
		snprintf(what, sizeof(what), "check %s", names[i]);
		if (i == 0)
			ret = read_time(r, col, what, part, UC_CHECK_INTERVAL_MIN,
					UC_CHECK_INTERVAL_MAX, vals[i]);
		else if (i == 1)
			ret = read_time(r, col, what, part, UC_CHECK_TIMEOUT_MIN,
					UC_CHECK_TIMEOUT_MAX, vals[i]);
		else if (parse_u32_range(part, 1, UC_CHECK_COUNT_MAX, vals[i]))
			ret = error_at(r, col, "invalid %s \"%s\": must be 1-%u",
				       what, shown(part, sh, sizeof(sh)),
				       UC_CHECK_COUNT_MAX);
		else
			ret = 0;
		if (ret)
			return ret;
		part = slash ? slash + 1 : NULL;
	}
	return 0;
}

static int read_option(struct reader *r, struct krelay_rule *rule,
		       char *opt, unsigned int col, unsigned int *seen)
{
	char msg[256], sh[64];
	char *eq = strchr(opt, '='), *v;
	unsigned int vcol;
	size_t i;
	int key = -1;
	uint32_t u;

	if (!eq)
		return error_at(r, col, "option \"%s\" has no value (expected KEY=VALUE)",
				shown(opt, sh, sizeof(sh)));
	*eq = '\0';
	v = eq + 1;
	vcol = col + (unsigned int)(v - opt);
	for (i = 0; i < ARRAY_SIZE(opt_keys); i++)
		if (strcmp(opt, opt_keys[i].word) == 0)
			key = opt_keys[i].id;
	if (key < 0)
		return error_at(r, col, "unknown option \"%s\"",
				shown(opt, sh, sizeof(sh)));
	if (key != K_BACKEND) {
		unsigned int bit = 1u << (key == K_IDLE ? K_TIMEOUT : key);

		if (*seen & bit)
			return error_at(r, col, "option \"%s\" given twice%s",
					opt, key == K_IDLE || key == K_TIMEOUT ?
					" (timeout and idle-timeout are the same)" : "");
		*seen |= bit;
	}
	if (!*v)
		return error_at(r, vcol, "option \"%s\" has an empty value", opt);

	switch (key) {
	case K_TIMEOUT:
		if (parse_u32_range(v, 0, UC_IDLE_TIMEOUT_MAX / 1000, &u))
			return error_at(r, vcol,
					"invalid timeout \"%s\": must be 0-%u seconds",
					shown(v, sh, sizeof(sh)),
					UC_IDLE_TIMEOUT_MAX / 1000);
		rule->idle_timeout_ms = u * 1000;
		rule->present |= KRELAY_RULE_F_IDLE_TIMEOUT;
		return 0;
	case K_IDLE:
		rule->present |= KRELAY_RULE_F_IDLE_TIMEOUT;
		return read_time(r, vcol, "idle-timeout", v, 0,
				 UC_IDLE_TIMEOUT_MAX, &rule->idle_timeout_ms);
	case K_SRC:
		if (parse_addr_port(v, &rule->source, msg, sizeof(msg)))
			return error_at(r, vcol, "%s", msg);
		rule->present |= KRELAY_RULE_F_SOURCE;
		return 0;
	case K_KEEPALIVE:
		rule->present |= KRELAY_RULE_F_KEEPALIVE;
		if (strcmp(v, "on") == 0) {
			rule->keepalive_s = UC_KEEPALIVE_ON_S;
			return 0;
		}
		if (strcmp(v, "off") == 0) {
			rule->keepalive_s = 0;
			return 0;
		}
		if (parse_u32_range(v, 0, UC_KEEPALIVE_MAX, &rule->keepalive_s))
			return error_at(r, vcol,
					"invalid keepalive \"%s\": on, off or 1-%u seconds",
					shown(v, sh, sizeof(sh)), UC_KEEPALIVE_MAX);
		return 0;
	case K_WEIGHT:
		if (parse_u32_range(v, UC_WEIGHT_MIN, UC_WEIGHT_MAX,
				    &rule->backends[0].weight))
			return error_at(r, vcol, "invalid weight \"%s\": must be %u-%u",
					shown(v, sh, sizeof(sh)), UC_WEIGHT_MIN,
					UC_WEIGHT_MAX);
		return 0;
	case K_BACKEND: {
		/* ADDR:PORT[/WEIGHT[/MAXCONN]] */
		struct krelay_endpoint ep;
		char *slash = strchr(v, '/'), *slash2 = NULL;
		uint32_t w = UC_DEFAULT_WEIGHT, m = 0;
		int ret;

		if (slash) {
			*slash = '\0';
			slash2 = strchr(slash + 1, '/');
			if (slash2)
				*slash2 = '\0';
			if (parse_u32_range(slash + 1, UC_WEIGHT_MIN, UC_WEIGHT_MAX,
					    &w))
				return error_at(r, vcol + (unsigned int)(slash + 1 - v),
						"invalid backend weight \"%s\": must be %u-%u",
						shown(slash + 1, sh, sizeof(sh)),
						UC_WEIGHT_MIN, UC_WEIGHT_MAX);
		}
		if (slash2 && parse_u32_range(slash2 + 1, 0, UC_MAXCONN_MAX, &m))
			return error_at(r, vcol + (unsigned int)(slash2 + 1 - v),
					"invalid backend maxconn \"%s\": must be 0-%u",
					shown(slash2 + 1, sh, sizeof(sh)),
					UC_MAXCONN_MAX);
		if (parse_endpoint(v, &ep, msg, sizeof(msg)))
			return error_at(r, vcol, "%s", msg);
		ret = add_backend(r, rule, vcol, &ep, w);
		if (!ret)
			rule->backends[rule->nbackends - 1].maxconn = m;
		return ret;
	}
	case K_MAXCONN:
		if (parse_u32_range(v, 0, UC_MAXCONN_MAX, &rule->maxconn))
			return error_at(r, vcol, "invalid maxconn \"%s\": must be 0-%u (0: no limit)",
					shown(v, sh, sizeof(sh)), UC_MAXCONN_MAX);
		rule->present |= KRELAY_RULE_F_MAXCONN;
		return 0;
	case K_BACKEND_MAXCONN:
		if (parse_u32_range(v, 0, UC_MAXCONN_MAX,
				    &rule->backends[0].maxconn))
			return error_at(r, vcol, "invalid backend-maxconn \"%s\": must be 0-%u (0: no limit)",
					shown(v, sh, sizeof(sh)), UC_MAXCONN_MAX);
		return 0;
	case K_SCHED: {
		int sc = parse_sched(v);

		if (sc < 0)
			return error_at(r, vcol, "invalid sched \"%s\": expected rr, wrr or lc",
					shown(v, sh, sizeof(sh)));
		rule->sched = (uint8_t)sc;
		rule->present |= KRELAY_RULE_F_SCHED;
		return 0;
	}
	case K_HOLDDOWN:
		rule->present |= KRELAY_RULE_F_HOLDDOWN;
		return read_time(r, vcol, "holddown", v, 0, UC_HOLDDOWN_MAX,
				 &rule->holddown_ms);
	case K_MODE:
		if (strcmp(v, "splice") == 0)
			rule->mode = KRELAY_MODE_SPLICE;
		else if (strcmp(v, "copy") == 0)
			rule->mode = KRELAY_MODE_COPY;
		else
			return error_at(r, vcol, "invalid mode \"%s\": expected splice or copy",
					shown(v, sh, sizeof(sh)));
		rule->present |= KRELAY_RULE_F_MODE;
		return 0;
	case K_CONNECT:
		rule->present |= KRELAY_RULE_F_CONNECT_TIMEOUT;
		return read_time(r, vcol, "connect-timeout", v,
				 UC_CONNECT_TIMEOUT_MIN, UC_CONNECT_TIMEOUT_MAX,
				 &rule->connect_timeout_ms);
	case K_BACKLOG:
		if (parse_u32_range(v, UC_BACKLOG_MIN, UC_BACKLOG_MAX,
				    &rule->backlog))
			return error_at(r, vcol, "invalid backlog \"%s\": must be %u-%u",
					shown(v, sh, sizeof(sh)), UC_BACKLOG_MIN,
					UC_BACKLOG_MAX);
		rule->present |= KRELAY_RULE_F_BACKLOG;
		return 0;
	case K_PROXY: {
		int pp = parse_proxy(v);

		if (pp < 0)
			return error_at(r, vcol, "invalid proxy-protocol \"%s\": expected v1, v2 or off",
					shown(v, sh, sizeof(sh)));
		rule->proxy_protocol = (uint8_t)pp;
		rule->present |= KRELAY_RULE_F_PROXY;
		return 0;
	}
	case K_TRANSPARENT: {
		int on = parse_onoff(v);

		if (on < 0)
			return error_at(r, vcol, "invalid transparent \"%s\": expected on or off",
					shown(v, sh, sizeof(sh)));
		rule->transparent = (uint8_t)on;
		rule->present |= KRELAY_RULE_F_TRANSPARENT;
		return 0;
	}
	case K_CHECK:
		return read_check(r, rule, v, vcol);
	default:	/* K_MARK */
		if (parse_mark(v, &rule->mark))
			return error_at(r, vcol, "invalid mark \"%s\": must be 0-%u",
					shown(v, sh, sizeof(sh)), UINT32_MAX);
		rule->present |= KRELAY_RULE_F_MARK;
		return 0;
	}
}

/* "[a=1, b=2]" starting at @block (column @col); ends at the last ']'. */
static int read_options(struct reader *r, struct krelay_rule *rule,
			char *block, unsigned int col)
{
	unsigned int seen = 0;
	char *end = strrchr(block, ']'), *p, *tail;

	if (!end)
		return error_at(r, col, "missing \"]\" after the options");
	for (tail = end + 1; *tail == ' ' || *tail == '\t'; tail++)
		;
	if (*tail && *tail != '#')
		return error_at(r, col + (unsigned int)(tail - block),
				"unexpected text after the options");
	*end = '\0';
	p = block + 1;
	for (;;) {
		char *comma = strchr(p, ','), *o, *oe;
		int ret;

		if (comma)
			*comma = '\0';
		for (o = p; *o == ' ' || *o == '\t'; o++)
			;
		for (oe = o + strlen(o); oe > o && (oe[-1] == ' ' || oe[-1] == '\t'); oe--)
			;
		*oe = '\0';
		if (!*o) {
			if (comma || p != block + 1)
				return error_at(r, col + (unsigned int)(o - block),
						"empty option");
		} else {
			ret = read_option(r, rule, o, col + (unsigned int)(o - block),
					  &seen);
			if (ret)
				return ret;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* lines                                                               */

static int add_acl(struct reader *r, struct krelay_acl *acl,
		   const struct krelay_acl_entry *e, unsigned int col)
{
	size_t i;

	for (i = 0; i < acl->n; i++)
		if (acl->e[i].action == e->action && acl_entry_equal(&acl->e[i], e))
			return 0;	/* harmless repetition */
	if (acl->n >= KRELAY_MAX_ACL)
		return error_at(r, col, "too many allow/deny entries (at most %u)",
				KRELAY_MAX_ACL);
	acl->e[acl->n++] = *e;
	return 0;
}

static int read_rule(struct reader *r, struct tok *t, size_t nt, char *rest,
		     unsigned int rest_col)
{
	struct uc_config *cfg = r->cfg;
	struct krelay_rule *rule;
	struct krelay_endpoint ep;
	char buf[64];
	size_t i;
	int ret;

	if (nt < 4)
		return error_at(r, t[nt - 1].col + (unsigned int)strlen(t[nt - 1].s),
				"expected \"bindaddress bindport connectaddress connectport [options]\"");
	if (cfg->nrules >= KRELAY_MAX_RULESET)
		return error_at(r, t[0].col, "too many rules (at most %u)",
				KRELAY_MAX_RULESET);
	if (cfg->nrules == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct krelay_rule *nr = realloc(cfg->rules, cap * sizeof(*nr));
		unsigned int *nl;

		if (!nr)
			return error_at(r, t[0].col, "out of memory");
		cfg->rules = nr;
		nl = realloc(r->rule_lines, cap * sizeof(*nl));
		if (!nl)
			return error_at(r, t[0].col, "out of memory");
		r->rule_lines = nl;
		r->cap = cap;
	}
	rule = &cfg->rules[cfg->nrules];
	memset(rule, 0, sizeof(*rule));

	if (read_addr(r, &t[0], &rule->listen) ||
	    read_port(r, &t[1], &rule->listen.port))
		return -1;
	rule->present |= KRELAY_RULE_F_LISTEN;
	if (read_addr(r, &t[2], &ep) || read_port(r, &t[3], &ep.port))
		return -1;
	if (add_backend(r, rule, t[2].col, &ep, UC_DEFAULT_WEIGHT))
		return -1;
	rule->present |= KRELAY_RULE_F_BACKEND;

	if (rest) {
		ret = read_options(r, rule, rest, rest_col);
		if (ret)
			return ret;
	}
	for (i = 0; i < cfg->nrules; i++)
		if (endpoint_equal(&cfg->rules[i].listen, &rule->listen)) {
			fmt_endpoint(&rule->listen, buf, sizeof(buf));
			return error_at(r, t[0].col,
					"duplicate rule for %s (first on line %u)",
					buf, r->rule_lines[i]);
		}
	rule_fill_defaults(rule);
	r->rule_lines[cfg->nrules] = r->line;
	cfg->nrules++;
	return 0;
}

/*
 * Split @line into at most MAX_TOKS whitespace-separated tokens; a token
 * starting with '#' ends the line.  For rule lines the text from the first
 * '[' after the fourth token on is returned in *@rest (with its column).
 */
static size_t split(char *line, struct tok *t, char **rest,
		    unsigned int *rest_col, char **extra, unsigned int *extra_col)
{
	char *p = line;
	size_t n = 0;

	*rest = NULL;
	*extra = NULL;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == 4 && *p == '[') {
			*rest = p;
			*rest_col = (unsigned int)(p - line) + 1;
			return n;
		}
		if (n == MAX_TOKS) {
			*extra = p;
			*extra_col = (unsigned int)(p - line) + 1;
			return n;
		}
		t[n].s = p;
		t[n].col = (unsigned int)(p - line) + 1;
		n++;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		else
			return n;
	}
}

static int read_line(struct reader *r, char *line)
{
	struct tok t[MAX_TOKS];
	char *rest, *extra, sh[64];
	unsigned int rest_col = 0, extra_col = 0;
	size_t nt, i;

	nt = split(line, t, &rest, &rest_col, &extra, &extra_col);
	if (!nt)
		return 0;

	for (i = 0; i < ARRAY_SIZE(ignored_directives); i++) {
		if (strcmp(t[0].s, ignored_directives[i]) == 0) {
			char msg[256];

			if (r->warn) {
				snprintf(msg, sizeof(msg),
					 "%s:%u: ignoring unsupported directive '%s'",
					 r->name, r->line, ignored_directives[i]);
				r->warn(msg, r->warn_arg);
			}
			return 0;
		}
	}
	if (strcmp(t[0].s, "allow") == 0 || strcmp(t[0].s, "deny") == 0) {
		struct krelay_acl_entry e;
		struct krelay_acl *acl;

		if (nt < 2)
			return error_at(r, t[0].col + (unsigned int)strlen(t[0].s),
					"%s: missing PATTERN", t[0].s);
		if (nt > 2 || extra)
			return error_at(r, nt > 2 ? t[2].col : extra_col,
					"%s: one PATTERN per line", t[0].s);
		if (read_pattern(r, &t[1], &e))
			return -1;
		e.action = t[0].s[0] == 'a' ? KRELAY_ACL_ALLOW : KRELAY_ACL_DENY;
		acl = r->cfg->nrules ? &r->cfg->rules[r->cfg->nrules - 1].acl :
			&r->cfg->global;
		return add_acl(r, acl, &e, t[1].col);
	}
	if (strcmp(t[0].s, "include") == 0)
		return error_at(r, t[0].col, "\"include\" is not supported");
	if (nt < 4 && looks_like_name(t[0].s) && !strchr(t[0].s, '.') &&
	    !strchr(t[0].s, ':'))
		return error_at(r, t[0].col, "unknown directive \"%s\"",
				shown(t[0].s, sh, sizeof(sh)));
	if (nt > 4 || extra)
		return error_at(r, nt > 4 ? t[4].col : extra_col,
				"unexpected \"%s\" (options go in brackets: [key=value,...])",
				shown(nt > 4 ? t[4].s : extra, sh, sizeof(sh)));
	return read_rule(r, t, nt, rest, rest_col);
}

int config_parse(const char *name, const char *text, size_t len,
		 struct uc_config *cfg, char *err, size_t errlen,
		 uc_warn_fn warn, void *warn_arg)
{
	struct reader r = {
		.name = name, .err = err, .errlen = errlen, .warn = warn,
		.warn_arg = warn_arg, .cfg = cfg,
	};
	size_t pos = 0;
	char *line = NULL;
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (errlen)
		err[0] = '\0';
	while (pos < len && !ret) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *nul = memchr(text + pos, '\0', n);

		r.line++;
		if (nul) {
			ret = error_at(&r, (unsigned int)(nul - (text + pos)) + 1,
				       "NUL byte in the file");
			break;
		}
		free(line);
		line = malloc(n + 1);
		if (!line) {
			ret = error_at(&r, 1, "out of memory");
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		ret = read_line(&r, line);
		pos += n + 1;
	}
	free(line);
	free(r.rule_lines);
	if (ret) {
		free(cfg->rules);
		memset(cfg, 0, sizeof(*cfg));
		return -1;
	}
	return 0;
}

void config_free(struct uc_config *cfg)
{
	free(cfg->rules);
	memset(cfg, 0, sizeof(*cfg));
}

/* ------------------------------------------------------------------ */
/* writer                                                              */

static void write_addr(FILE *f, const struct krelay_endpoint *ep)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(ep->family == AF_INET ? AF_INET : AF_INET6,
		       ep->family == AF_INET ? (const void *)&ep->addr.v4 :
		       (const void *)&ep->addr.v6, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	fputs(a, f);
}

static void write_pattern(FILE *f, const struct krelay_acl_entry *e)
{
	char buf[INET6_ADDRSTRLEN + 8];

	fputs(acl_action_name(e->action), f);
	fputc(' ', f);
	if (e->family == AF_INET && e->prefixlen % 8 == 0 && e->prefixlen < 32) {
		const unsigned char *o = (const unsigned char *)&e->addr.v4;
		unsigned int i;

		if (e->prefixlen == 0) {
			fputs("*\n", f);
			return;
		}
		for (i = 0; i < 4; i++)
			if (i < e->prefixlen / 8u)
				fprintf(f, "%s%u", i ? "." : "", o[i]);
			else
				fputs(".*", f);
		fputc('\n', f);
		return;
	}
	fmt_prefix(e, buf, sizeof(buf));
	fprintf(f, "%s\n", buf);
}

static void write_acl(FILE *f, const struct krelay_acl *acl)
{
	size_t i;

	for (i = 0; i < acl->n; i++)
		write_pattern(f, &acl->e[i]);
}

static void write_rule(FILE *f, const struct krelay_rule *in)
{
	struct krelay_rule r = *in;
	char buf[80];
	const char *sep = " [";
	size_t i;

	rule_fill_defaults(&r);
	write_addr(f, &r.listen);
	fprintf(f, " %u ", (unsigned int)r.listen.port);
	if (r.nbackends) {
		write_addr(f, &r.backends[0].addr);
		fprintf(f, " %u", (unsigned int)r.backends[0].addr.port);
	}
#define OPT(...) do { fputs(sep, f); fprintf(f, __VA_ARGS__); sep = ","; } while (0)
	if (r.idle_timeout_ms) {
		if (r.idle_timeout_ms % 1000 == 0)
			OPT("timeout=%u", r.idle_timeout_ms / 1000);
		else
			OPT("idle-timeout=%ums", r.idle_timeout_ms);
	}
	if (r.source.family) {
		fmt_addr_port(&r.source, buf, sizeof(buf));
		OPT("src=%s", buf);
	}
	if (r.keepalive_s)
		OPT("keepalive=%u", r.keepalive_s);
	if (r.nbackends && r.backends[0].weight != UC_DEFAULT_WEIGHT)
		OPT("weight=%u", r.backends[0].weight);
	if (r.nbackends && r.backends[0].maxconn)
		OPT("backend-maxconn=%u", r.backends[0].maxconn);
	for (i = 1; i < r.nbackends; i++) {
		fmt_endpoint(&r.backends[i].addr, buf, sizeof(buf));
		if (r.backends[i].maxconn)
			OPT("backend=%s/%u/%u", buf, r.backends[i].weight,
			    r.backends[i].maxconn);
		else if (r.backends[i].weight != UC_DEFAULT_WEIGHT)
			OPT("backend=%s/%u", buf, r.backends[i].weight);
		else
			OPT("backend=%s", buf);
	}
	if (r.maxconn)
		OPT("maxconn=%u", r.maxconn);
	if (r.sched != KRELAY_SCHED_RR)
		OPT("sched=%s", sched_name(r.sched));
	if (r.holddown_ms != UC_DEFAULT_HOLDDOWN) {
		fmt_duration_ms(r.holddown_ms, buf, sizeof(buf));
		OPT("holddown=%s", buf);
	}
	if (r.mode != KRELAY_MODE_SPLICE)
		OPT("mode=%s", mode_name(r.mode));
	if (r.connect_timeout_ms != UC_DEFAULT_CONNECT_TIMEOUT) {
		fmt_duration_ms(r.connect_timeout_ms, buf, sizeof(buf));
		OPT("connect-timeout=%s", buf);
	}
	if (r.backlog != UC_DEFAULT_BACKLOG)
		OPT("backlog=%u", r.backlog);
	if (r.mark)
		OPT("mark=%u", r.mark);
	if (r.proxy_protocol)
		OPT("proxy-protocol=%s", proxy_name(r.proxy_protocol));
	if (r.transparent)
		OPT("transparent=on");
	if (r.check.enabled) {
		char t[32];

		fmt_duration_ms(r.check.interval_ms, buf, sizeof(buf));
		fmt_duration_ms(r.check.timeout_ms, t, sizeof(t));
		OPT("check=%s/%s/%u/%u", buf, t, r.check.rise, r.check.fall);
	}
#undef OPT
	if (sep[0] == ',')
		fputc(']', f);
	fputc('\n', f);
	write_acl(f, &r.acl);
}

void config_write(FILE *f, const struct krelay_rule *rules, size_t n,
		  const struct krelay_acl *global)
{
	size_t i;

	fputs("# krelay rules (userctl export); \"userctl apply FILE\" restores them\n",
	      f);
	if (global && global->n) {
		fputs("# global access control\n", f);
		write_acl(f, global);
	}
	for (i = 0; i < n; i++)
		write_rule(f, &rules[i]);
}
