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
