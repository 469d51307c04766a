// SPDX-License-Identifier: GPL-2.0
/*
 * userctl parsing and formatting helpers (no netlink, no I/O).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <linux/krelay.h>

#include "parse.h"

int kw_match(const char *word, const struct keyword *tab, size_t n, int *id)
{
	size_t wlen, i;
	int found = 0, fid = 0;

	if (!word || !*word)
		return KW_UNKNOWN;
	for (i = 0; i < n; i++) {
		if (strcmp(word, tab[i].word) == 0) {
			*id = tab[i].id;
			return KW_OK;
		}
	}
	wlen = strlen(word);
	for (i = 0; i < n; i++) {
		if (strncmp(word, tab[i].word, wlen) != 0)
			continue;
		if (found && fid != tab[i].id)
			return KW_AMBIGUOUS;
		found = 1;
		fid = tab[i].id;
	}
	if (!found)
		return KW_UNKNOWN;
	*id = fid;
	return KW_OK;
}

void kw_list(const char *word, const struct keyword *tab, size_t n,
	     char *buf, size_t len)
{
	size_t i, j, used = 0;
	size_t wlen = word ? strlen(word) : 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		int r;

		if (word && strncmp(word, tab[i].word, wlen) != 0)
			continue;
		if (!word) {
			/* first word of each id only */
			for (j = 0; j < i; j++)
				if (tab[j].id == tab[i].id)
					break;
			if (j < i)
				continue;
		}
		r = snprintf(buf + used, len - used, "%s%s",
			     used ? ", " : "", tab[i].word);
		if (r < 0 || (size_t)r >= len - used)
			return;
		used += (size_t)r;
	}
}

int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned int)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_u32_range(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int ret = parse_u64(s, &v);

	if (ret)
		return ret;
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* A mark, as iproute2 takes it: decimal or 0x-prefixed hexadecimal. */
int parse_mark(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return parse_u32_range(s, 0, UINT32_MAX, out);
	p = s + 2;
	if (!*p || strlen(p) > 8)
		return -EINVAL;
	for (; *p; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return -EINVAL;
		v = v * 16 + (uint64_t)d;
	}
	*out = (uint32_t)v;
	return 0;
}

int parse_duration_ms(const char *s, uint32_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
		{ "",	1 },
		{ "ms",	1 },
		{ "s",	1000 },
		{ "m",	60 * 1000 },
		{ "h",	60 * 60 * 1000 },
		{ "d",	24 * 60 * 60 * 1000 },
	};
	char num[24];
	const char *p = s;
	uint64_t v;
	size_t i, nlen;
	int ret;

	if (!s)
		return -EINVAL;
	while (*p >= '0' && *p <= '9')
		p++;
	nlen = (size_t)(p - s);
	if (nlen == 0)
		return -EINVAL;
	if (nlen >= sizeof(num))
		return -ERANGE;
	memcpy(num, s, nlen);
	num[nlen] = '\0';
	ret = parse_u64(num, &v);
	if (ret)
		return ret;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit) != 0)
			continue;
		if (v > UINT32_MAX / units[i].mult)
			return -ERANGE;
		*ms = (uint32_t)(v * units[i].mult);
		return 0;
	}
	return -EINVAL;
}

static int parse_port(const char *s, uint16_t *port)
{
	uint32_t v;

	if (parse_u32_range(s, 1, 65535, &v))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int parse_endpoint(const char *s, struct krelay_endpoint *ep, char *err,
		   size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *colon, *port;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (!s || !*s) {
		snprintf(err, errlen,
			 "invalid endpoint \"\": expected ADDR:PORT");
		return -1;
	}

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close) {
			snprintf(err, errlen,
				 "invalid endpoint \"%s\": missing \"]\" after IPv6 address",
				 s);
			return -1;
		}
		if (close[1] != ':') {
			snprintf(err, errlen,
				 "invalid endpoint \"%s\": expected [IPV6]:PORT", s);
			return -1;
		}
		hlen = (size_t)(close - s - 1);
		port = close + 2;
		if (hlen == 0 || hlen >= sizeof(host)) {
			snprintf(err, errlen,
				 "invalid IPv6 address \"%.*s\" in \"%s\"",
				 (int)(hlen < sizeof(host) ? hlen : sizeof(host)),
				 s + 1, s);
			return -1;
		}
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &ep->addr.v6) != 1) {
			snprintf(err, errlen,
				 "invalid IPv6 address \"%s\" in \"%s\"", host, s);
			return -1;
		}
		ep->family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			snprintf(err, errlen,
				 "invalid endpoint \"%s\": expected ADDR:PORT (missing port)",
				 s);
			return -1;
		}
		if (strchr(s, ':') != colon) {
			snprintf(err, errlen,
				 "invalid endpoint \"%s\": IPv6 addresses need brackets, as in [ADDR]:PORT",
				 s);
			return -1;
		}
		hlen = (size_t)(colon - s);
		port = colon + 1;
		if (hlen >= sizeof(host)) {
			snprintf(err, errlen, "invalid address in \"%s\"", s);
			return -1;
		}
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		ep->family = AF_INET;
		if (hlen == 0 || strcmp(host, "*") == 0) {
			ep->addr.v4.s_addr = htonl(INADDR_ANY);
		} else if (inet_pton(AF_INET, host, &ep->addr.v4) != 1) {
			snprintf(err, errlen,
				 "invalid address \"%s\" in \"%s\": expected A.B.C.D, [IPV6] or *",
				 host, s);
			return -1;
		}
	}

	if (!*port) {
		snprintf(err, errlen, "missing port in \"%s\": expected ADDR:PORT",
			 s);
		return -1;
	}
	if (parse_port(port, &ep->port)) {
		snprintf(err, errlen,
			 "invalid port \"%s\" in \"%s\": must be 1-65535", port, s);
		return -1;
	}
	return 0;
}

void fmt_endpoint(const struct krelay_endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->family == AF_INET &&
	    inet_ntop(AF_INET, &ep->addr.v4, a, sizeof(a)))
		snprintf(buf, len, "%s:%u", a, (unsigned int)ep->port);
	else if (ep->family == AF_INET6 &&
		 inet_ntop(AF_INET6, &ep->addr.v6, a, sizeof(a)))
		snprintf(buf, len, "[%s]:%u", a, (unsigned int)ep->port);
	else
		snprintf(buf, len, "?");
}

void fmt_duration_ms(uint64_t ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0");
	else if (ms % (24 * 3600 * 1000ULL) == 0)
		snprintf(buf, len, "%llud", (unsigned long long)(ms / (24 * 3600 * 1000ULL)));
	else if (ms % (3600 * 1000ULL) == 0)
		snprintf(buf, len, "%lluh", (unsigned long long)(ms / (3600 * 1000ULL)));
	else if (ms % (60 * 1000ULL) == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(ms / (60 * 1000ULL)));
	else if (ms % 1000ULL == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000ULL));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

void fmt_age_ms(uint64_t ms, char *buf, size_t len)
{
	unsigned long long s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	else if (ms < 60 * 1000)
		snprintf(buf, len, "%llu.%llus", s,
			 (unsigned long long)(ms % 1000) / 100);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", s / 3600, (s % 3600) / 60);
	else
		snprintf(buf, len, "%llud%02lluh", s / 86400, (s % 86400) / 3600);
}

void fmt_bytes(uint64_t v, int human, char *buf, size_t len)
{
	static const char *const units[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	double d;
	size_t u;

	if (!human) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return;
	}
	if (v < 1024) {
		snprintf(buf, len, "%lluB", (unsigned long long)v);
		return;
	}
	d = (double)v / 1024.0;
	for (u = 0; d >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0]); u++)
		d /= 1024.0;
	snprintf(buf, len, "%.1f%s", d, units[u]);
}

int endpoint_equal(const struct krelay_endpoint *a,
		   const struct krelay_endpoint *b)
{
	if (a->family != b->family || a->port != b->port)
		return 0;
	if (a->family == AF_INET)
		return a->addr.v4.s_addr == b->addr.v4.s_addr;
	if (a->family == AF_INET6)
		return memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) == 0;
	return 1;
}

int parse_addr_port(const char *s, struct krelay_endpoint *ep, char *err,
		    size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *colon;

	memset(ep, 0, sizeof(*ep));
	if (!s || !*s) {
		snprintf(err, errlen, "invalid address \"\"");
		return -1;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close && close[1] == '\0') {
			size_t hlen = (size_t)(close - s - 1);

			if (hlen == 0 || hlen >= sizeof(host))
				goto bad;
			memcpy(host, s + 1, hlen);
			host[hlen] = '\0';
			if (inet_pton(AF_INET6, host, &ep->addr.v6) != 1)
				goto bad;
			ep->family = AF_INET6;
			return 0;
		}
		return parse_endpoint(s, ep, err, errlen);
	}
	colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':')) {
		/* bare IPv6, no port */
		if (strlen(s) >= sizeof(host) ||
		    inet_pton(AF_INET6, s, &ep->addr.v6) != 1)
			goto bad;
		ep->family = AF_INET6;
		return 0;
	}
	if (colon) {
		if (colon == s)
			goto bad;
		return parse_endpoint(s, ep, err, errlen);
	}
	if (inet_pton(AF_INET, s, &ep->addr.v4) != 1)
		goto bad;
	ep->family = AF_INET;
	return 0;
bad:
	memset(ep, 0, sizeof(*ep));
	snprintf(err, errlen,
		 "invalid address \"%s\": expected A.B.C.D or IPV6, optionally with :PORT ([IPV6]:PORT)",
		 s);
	return -1;
}

void fmt_addr_port(const struct krelay_endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->port) {
		fmt_endpoint(ep, buf, len);
		return;
	}
	if (ep->family == AF_INET &&
	    inet_ntop(AF_INET, &ep->addr.v4, a, sizeof(a)))
		snprintf(buf, len, "%s", a);
	else if (ep->family == AF_INET6 &&
		 inet_ntop(AF_INET6, &ep->addr.v6, a, sizeof(a)))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "none");
}

/* Zero the bits of @addr (@bytes long) beyond @plen; 1 if any was set. */
static int clear_host_bits(unsigned char *addr, size_t bytes, unsigned int plen)
{
	int had = 0;
	size_t i;

	for (i = 0; i < bytes; i++) {
		unsigned int lo = (unsigned int)i * 8;
		unsigned char keep;

		if (plen >= lo + 8)
			continue;
		keep = plen <= lo ? 0 : (unsigned char)(0xff << (8 - (plen - lo)));
		if (addr[i] & (unsigned char)~keep)
			had = 1;
		addr[i] &= keep;
	}
	return had;
}

int parse_prefix(const char *s, struct krelay_acl_entry *e, char *err,
		 size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *slash, *h = s;
	size_t hlen;
	unsigned int max;
	uint32_t plen;
	unsigned char *bytes;

	memset(e, 0, sizeof(*e));
	if (!s || !*s) {
		snprintf(err, errlen, "invalid prefix \"\": expected A.B.C.D[/N] or IPV6[/N]");
		return -1;
	}
	slash = strchr(s, '/');
	hlen = slash ? (size_t)(slash - s) : strlen(s);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, &e->addr.v4) == 1) {
		e->family = AF_INET;
		max = 32;
		bytes = (unsigned char *)&e->addr.v4;
	} else if (inet_pton(AF_INET6, host, &e->addr.v6) == 1) {
		e->family = AF_INET6;
		max = 128;
		bytes = (unsigned char *)&e->addr.v6;
	} else {
		goto bad;
	}
	plen = max;
	if (slash && parse_u32_range(slash + 1, 0, max, &plen)) {
		snprintf(err, errlen,
			 "invalid prefix length in \"%s\": must be 0-%u", s, max);
		memset(e, 0, sizeof(*e));
		return -1;
	}
	e->prefixlen = (uint8_t)plen;
	if (clear_host_bits(bytes, max / 8, plen)) {
		char ok[INET6_ADDRSTRLEN + 8];

		fmt_prefix(e, ok, sizeof(ok));
		snprintf(err, errlen,
			 "invalid prefix \"%s\": host bits set beyond /%u (did you mean %s?)",
			 s, plen, ok);
		memset(e, 0, sizeof(*e));
		return -1;
	}
	return 0;
bad:
	memset(e, 0, sizeof(*e));
	snprintf(err, errlen,
		 "invalid prefix \"%s\": expected A.B.C.D[/N] or IPV6[/N]", s);
	return -1;
}

void fmt_prefix(const struct krelay_acl_entry *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	unsigned int max = e->family == AF_INET ? 32 : 128;

	if (!inet_ntop(e->family == AF_INET ? AF_INET : AF_INET6,
		       e->family == AF_INET ? (const void *)&e->addr.v4 :
		       (const void *)&e->addr.v6, a, sizeof(a))) {
		snprintf(buf, len, "?");
		return;
	}
	if (e->prefixlen == max)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, (unsigned int)e->prefixlen);
}

const char *acl_action_name(uint8_t action)
{
	return action == KRELAY_ACL_DENY ? "deny" : "allow";
}

int acl_entry_equal(const struct krelay_acl_entry *a,
		    const struct krelay_acl_entry *b)
{
	if (a->family != b->family || a->prefixlen != b->prefixlen)
		return 0;
	if (a->family == AF_INET)
		return a->addr.v4.s_addr == b->addr.v4.s_addr;
	return memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) == 0;
}

static const struct keyword sched_words[] = {
	{ "rr",		KRELAY_SCHED_RR },
	{ "round-robin", KRELAY_SCHED_RR },
	{ "wrr",	KRELAY_SCHED_WRR },
	{ "weighted-round-robin", KRELAY_SCHED_WRR },
	{ "lc",		KRELAY_SCHED_LC },
	{ "least-connections", KRELAY_SCHED_LC },
};

int parse_sched(const char *s)
{
	int id;

	if (kw_match(s, sched_words, sizeof(sched_words) / sizeof(sched_words[0]),
		     &id) != KW_OK)
		return -1;
	return id;
}

const char *sched_name(uint8_t sched)
{
	switch (sched) {
	case KRELAY_SCHED_RR:	return "rr";
	case KRELAY_SCHED_WRR:	return "wrr";
	case KRELAY_SCHED_LC:	return "lc";
	default:		return "?";
	}
}

const char *mode_name(uint8_t mode)
{
	switch (mode) {
	case KRELAY_MODE_SPLICE:	return "splice";
	case KRELAY_MODE_COPY:		return "copy";
	default:			return "?";
	}
}

const char *proxy_name(uint8_t proxy)
{
	switch (proxy) {
	case KRELAY_PROXY_OFF:	return "off";
	case KRELAY_PROXY_V1:	return "v1";
	case KRELAY_PROXY_V2:	return "v2";
	default:		return "?";
	}
}

int parse_proxy(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "off") == 0)
		return KRELAY_PROXY_OFF;
	if (strcmp(s, "v1") == 0)
		return KRELAY_PROXY_V1;
	if (strcmp(s, "v2") == 0)
		return KRELAY_PROXY_V2;
	return -1;
}

int parse_onoff(const char *s)
{
	if (s && strcmp(s, "on") == 0)
		return 1;
	if (s && strcmp(s, "off") == 0)
		return 0;
	return -1;
}

void fmt_backends(const struct krelay_rule *r, int state, char *buf,
		  size_t len)
{
	size_t i, used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (i = 0; i < r->nbackends; i++) {
		const struct krelay_backend *b = &r->backends[i];
		char ep[64], w[16] = "";
		int n;

		fmt_endpoint(&b->addr, ep, sizeof(ep));
		if (b->weight && b->weight != 1)
			snprintf(w, sizeof(w), "*%u", b->weight);
		n = snprintf(buf + used, len - used, "%s%s%s%s", i ? "," : "",
			     ep, w, state && ((b->has_state &&
			     b->state == KRELAY_BACKEND_DOWN) ||
			     (b->has_health && b->health == KRELAY_HEALTH_DOWN)) ?
			     "!" : "");
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

void rule_fill_defaults(struct krelay_rule *r)
{
	size_t i;

	if (!(r->present & KRELAY_RULE_F_MODE))
		r->mode = KRELAY_MODE_SPLICE;
	if (!(r->present & KRELAY_RULE_F_SCHED))
		r->sched = KRELAY_SCHED_RR;
	if (!(r->present & KRELAY_RULE_F_HOLDDOWN))
		r->holddown_ms = UC_DEFAULT_HOLDDOWN;
	if (!(r->present & KRELAY_RULE_F_CONNECT_TIMEOUT))
		r->connect_timeout_ms = UC_DEFAULT_CONNECT_TIMEOUT;
	if (!(r->present & KRELAY_RULE_F_IDLE_TIMEOUT))
		r->idle_timeout_ms = UC_DEFAULT_IDLE_TIMEOUT;
	if (!(r->present & KRELAY_RULE_F_BACKLOG))
		r->backlog = UC_DEFAULT_BACKLOG;
	if (!(r->present & KRELAY_RULE_F_SOURCE))
		memset(&r->source, 0, sizeof(r->source));
	if (!(r->present & KRELAY_RULE_F_MARK))
		r->mark = 0;
	if (!(r->present & KRELAY_RULE_F_KEEPALIVE))
		r->keepalive_s = 0;
	if (!(r->present & KRELAY_RULE_F_MAXCONN))
		r->maxconn = 0;
	if (!(r->present & KRELAY_RULE_F_ACL))
		r->acl.n = 0;
	if (!(r->present & KRELAY_RULE_F_PROXY))
		r->proxy_protocol = KRELAY_PROXY_OFF;
	if (!(r->present & KRELAY_RULE_F_TRANSPARENT))
		r->transparent = 0;
	if (!(r->present & KRELAY_RULE_F_CHECK) || !r->check.enabled)
		memset(&r->check, 0, sizeof(r->check));
	if (r->check.enabled) {
		if (!r->check.interval_ms)
			r->check.interval_ms = KRELAY_CHECK_DEFAULT_INTERVAL_MS;
		if (!r->check.timeout_ms)
			r->check.timeout_ms = KRELAY_CHECK_DEFAULT_TIMEOUT_MS;
		if (!r->check.rise)
			r->check.rise = KRELAY_CHECK_DEFAULT_RISE;
		if (!r->check.fall)
			r->check.fall = KRELAY_CHECK_DEFAULT_FALL;
	}
	for (i = 0; i < r->nbackends; i++)
		if (!r->backends[i].weight)
			r->backends[i].weight = UC_DEFAULT_WEIGHT;
	r->present |= KRELAY_RULE_F_MODE | KRELAY_RULE_F_SCHED |
		KRELAY_RULE_F_HOLDDOWN | KRELAY_RULE_F_CONNECT_TIMEOUT |
		KRELAY_RULE_F_IDLE_TIMEOUT | KRELAY_RULE_F_BACKLOG |
		KRELAY_RULE_F_SOURCE | KRELAY_RULE_F_MARK |
		KRELAY_RULE_F_KEEPALIVE | KRELAY_RULE_F_MAXCONN |
		KRELAY_RULE_F_ACL | KRELAY_RULE_F_PROXY |
		KRELAY_RULE_F_TRANSPARENT | KRELAY_RULE_F_CHECK;
}

int rule_config_equal(const struct krelay_rule *a, const struct krelay_rule *b)
{
	size_t i;

	if (!endpoint_equal(&a->listen, &b->listen) ||
	    a->nbackends != b->nbackends || a->mode != b->mode ||
	    a->sched != b->sched || a->holddown_ms != b->holddown_ms ||
	    a->connect_timeout_ms != b->connect_timeout_ms ||
	    a->idle_timeout_ms != b->idle_timeout_ms ||
	    a->backlog != b->backlog || a->mark != b->mark ||
	    a->keepalive_s != b->keepalive_s || a->maxconn != b->maxconn ||
	    a->proxy_protocol != b->proxy_protocol ||
	    a->transparent != b->transparent ||
	    !endpoint_equal(&a->source, &b->source) || a->acl.n != b->acl.n ||
	    a->check.enabled != b->check.enabled ||
	    (a->check.enabled &&
	     (a->check.interval_ms != b->check.interval_ms ||
	      a->check.timeout_ms != b->check.timeout_ms ||
	      a->check.rise != b->check.rise || a->check.fall != b->check.fall)))
		return 0;
	for (i = 0; i < a->nbackends; i++)
		if (!endpoint_equal(&a->backends[i].addr, &b->backends[i].addr) ||
		    a->backends[i].weight != b->backends[i].weight ||
		    a->backends[i].maxconn != b->backends[i].maxconn)
			return 0;
	for (i = 0; i < a->acl.n; i++)
		if (a->acl.e[i].action != b->acl.e[i].action ||
		    !acl_entry_equal(&a->acl.e[i], &b->acl.e[i]))
			return 0;
	return 1;
}
