// SPDX-License-Identifier: GPL-2.0
/* Shared helpers for the krelay traffic test tools; see common.h. */
#define _GNU_SOURCE
#include "common.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

const char *kr_prog = "kr";
volatile sig_atomic_t kr_stop;

/* ---- messages ---------------------------------------------------------- */

static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", kr_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void kr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void kr_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(KR_EXIT_FAIL);
}

void kr_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", kr_prog);
	exit(KR_EXIT_USAGE);
}

void kr_bad_option(int opt, char *const argv[])
{
	const char *arg = argv[optind - 1];

	if (opt == ':')
		kr_usage_error("option '%s' requires a value", arg);
	if (optopt && strncmp(arg, "--", 2))
		kr_usage_error("unknown option '-%c'", optopt);
	kr_usage_error("unknown option '%s'", arg);
}

/* ---- numbers ----------------------------------------------------------- */

/* Parses leading decimal digits; *end points past them.  0 on success. */
static int parse_digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t x = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	*end = s;
	return 0;
}

int kr_parse_u64(const char *s, uint64_t *v)
{
	const char *end;

	if (parse_digits(s, v, &end) || *end)
		return -1;
	return 0;
}

int kr_parse_size(const char *s, uint64_t *v)
{
	const char *end;
	uint64_t x;
	unsigned shift = 0;

	if (parse_digits(s, &x, &end))
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -1;
	}
	if (*end || (shift && x > (UINT64_MAX >> shift)))
		return -1;
	*v = x << shift;
	return 0;
}

int kr_parse_secs(const char *s, double *v)
{
	char *end;
	double x;

	if (!*s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	errno = 0;
	x = strtod(s, &end);
	if (errno || *end || !isfinite(x) || x < 0)
		return -1;
	*v = x;
	return 0;
}

static void check_range(const char *opt, const char *val, uint64_t x,
			uint64_t min, uint64_t max)
{
	if (x < min || x > max)
		kr_usage_error("value '%s' for %s out of range (%llu..%llu)", val,
			       opt, (unsigned long long)min, (unsigned long long)max);
}

uint64_t kr_opt_u64(const char *opt, const char *val, uint64_t min, uint64_t max)
{
	uint64_t x;

	if (kr_parse_u64(val, &x))
		kr_usage_error("invalid value '%s' for %s: expected a decimal integer",
			       val, opt);
	check_range(opt, val, x, min, max);
	return x;
}

uint64_t kr_opt_size(const char *opt, const char *val, uint64_t min, uint64_t max)
{
	uint64_t x;

	if (kr_parse_size(val, &x))
		kr_usage_error("invalid size '%s' for %s: expected N, NK, NM or NG",
			       val, opt);
	check_range(opt, val, x, min, max);
	return x;
}

double kr_opt_secs(const char *opt, const char *val)
{
	double x;

	if (kr_parse_secs(val, &x))
		kr_usage_error("invalid value '%s' for %s: expected seconds (e.g. 2 or 0.5)",
			       val, opt);
	return x;
}

/* ---- addresses --------------------------------------------------------- */

int kr_parse_ip(const char *s, struct kr_addr *a)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		a->len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		a->len = sizeof(*s6);
		return 0;
	}
	return -1;
}

int kr_parse_addr(const char *s, struct kr_addr *a)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;
	size_t hlen;
	uint64_t p;
	int want_v6 = 0;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -1;
		hlen = (size_t)(rb - s - 1);
		s++;
		port = rb + 2;
		want_v6 = 1;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon)
			return -1;
		hlen = (size_t)(colon - s);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (kr_parse_u64(port, &p) || p > 65535)
		return -1;
	if (kr_parse_ip(host, a))
		return -1;
	if (a->ss.ss_family == AF_INET6) {
		if (!want_v6)	/* "::1:80" is ambiguous; require brackets */
			return -1;
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)p);
	} else {
		if (want_v6)
			return -1;
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)p);
	}
	return 0;
}

void kr_opt_addr(const char *opt, const char *val, struct kr_addr *a)
{
	if (kr_parse_addr(val, a))
		kr_usage_error("invalid address '%s' for %s: expected IPV4:PORT or [IPV6]:PORT "
			       "(numeric)", val, opt);
}

const char *kr_addr_str(const struct kr_addr *a, char *buf)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&a->ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, KR_ADDRSTRLEN, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)&a->ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, KR_ADDRSTRLEN, "%s:%u", ip, ntohs(s4->sin_port));
	}
	return buf;
}

int kr_addr_family(const struct kr_addr *a)
{
	return a->ss.ss_family;
}

void kr_addr_add(struct kr_addr *a, uint32_t k)
{
	if (a->ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
		uint32_t w;

		memcpy(&w, &s6->sin6_addr.s6_addr[12], 4);
		w = htonl(ntohl(w) + k);
		memcpy(&s6->sin6_addr.s6_addr[12], &w, 4);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;

		s4->sin_addr.s_addr = htonl(ntohl(s4->sin_addr.s_addr) + k);
	}
}

/* ---- system ------------------------------------------------------------ */

static uint64_t read_nr_open(void)
{
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	unsigned long long v = 0;

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

uint64_t kr_raise_nofile(void)
{
	const uint64_t want = 1100000;
	struct rlimit rl;

	if (geteuid() == 0) {
		uint64_t nr = read_nr_open();

		if (nr && nr < want) {
			FILE *f = fopen("/proc/sys/fs/nr_open", "w");

			if (f) {
				fprintf(f, "%llu\n", (unsigned long long)want);
				fclose(f);	/* failure ignored */
			}
			nr = read_nr_open();
		}
		rl.rlim_cur = rl.rlim_max = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) && nr) {
			rl.rlim_cur = rl.rlim_max = nr;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			uint64_t nr = read_nr_open();

			if (nr) {	/* hard limit "unlimited": use fs.nr_open */
				rl.rlim_cur = nr;
				(void)setrlimit(RLIMIT_NOFILE, &rl);
			}
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	return rl.rlim_cur;
}

int kr_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int kr_sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

void kr_linger0(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

uint64_t kr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double kr_now(void)
{
	return (double)kr_now_ns() / 1e9;
}

int kr_ms_until(double deadline)
{
	double ms = (deadline - kr_now()) * 1000.0;

	if (ms <= 0)
		return 0;
	if (ms > INT_MAX - 1)
		return INT_MAX - 1;
	return (int)ms + 1;
}

static void on_signal(int sig)
{
	(void)sig;
	kr_stop = 1;
}

void kr_setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: epoll_wait gets EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int kr_write_file(const char *path, const char *content)
{
	char tmp[PATH_MAX];
	size_t len = strlen(content);
	int fd, ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ok = write(fd, content, len) == (ssize_t)len;
	if (close(fd))
		ok = 0;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- pseudo-random numbers --------------------------------------------- */

#define GOLDEN 0x9e3779b97f4a7c15ull

uint64_t kr_mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void kr_rng_seed(struct kr_rng *r, uint64_t seed)
{
	r->s = kr_mix64(seed);
}

uint64_t kr_rng_next(struct kr_rng *r)	/* splitmix64 */
{
	r->s += GOLDEN;
	return kr_mix64(r->s);
}

uint64_t kr_rng_range(struct kr_rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t span = hi - lo + 1;

	if (span == 0)
		return kr_rng_next(r);
	return lo + kr_rng_next(r) % span;
}

uint64_t kr_rng_logrange(struct kr_rng *r, uint64_t lo, uint64_t hi)
{
	double a, b, u, v;
	uint64_t x;

	if (lo >= hi)
		return lo;
	a = log((double)lo + 1.0);
	b = log((double)hi + 2.0);
	u = (double)(kr_rng_next(r) >> 11) * 0x1p-53;
	v = exp(a + u * (b - a)) - 1.0;
	x = v >= (double)hi ? hi : (uint64_t)v;
	return x < lo ? lo : x;
}

void kr_stream_fill(uint64_t seed, uint64_t off, void *buf, size_t n)
{
	uint64_t base = kr_mix64(seed ^ 0x6b72656c61790000ull);
	uint64_t k = off >> 3;
	unsigned sh = (unsigned)(off & 7);
	uint8_t *p = buf;

	while (n) {
		uint64_t w = kr_mix64(base + (k + 1) * GOLDEN);

		if (sh == 0 && n >= 8) {
			w = htole64(w);
			memcpy(p, &w, 8);
			p += 8;
			n -= 8;
		} else {
			for (; sh < 8 && n; sh++, n--)
				*p++ = (uint8_t)(w >> (8 * sh));
			sh = 0;
		}
		k++;
	}
}

size_t kr_stream_cmp(uint64_t seed, uint64_t off, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint8_t tmp[4096];
	size_t done = 0;

	while (done < n) {
		size_t m = n - done < sizeof(tmp) ? n - done : sizeof(tmp);

		kr_stream_fill(seed, off + done, tmp, m);
		if (memcmp(tmp, p + done, m)) {
			size_t i = 0;

			while (tmp[i] == p[done + i])
				i++;
			return done + i;
		}
		done += m;
	}
	return n;
}

/* ---- SHA-256 (FIPS 180-4) ---------------------------------------------- */

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) +
		     K256[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

void kr_sha256_init(struct kr_sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->blen = 0;
}

void kr_sha256_update(struct kr_sha256 *c, const void *data, size_t n)
{
	const uint8_t *p = data;

	c->len += n;
	if (c->blen) {
		size_t m = 64 - c->blen < n ? 64 - c->blen : n;

		memcpy(c->buf + c->blen, p, m);
		c->blen += m;
		p += m;
		n -= m;
		if (c->blen < 64)
			return;
		sha256_block(c->h, c->buf);
		c->blen = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(c->h, p);
	memcpy(c->buf, p, n);
	c->blen = n;
}

void kr_sha256_final(struct kr_sha256 *c, uint8_t out[32])
{
	uint64_t bits = c->len * 8;
	int i;

	c->buf[c->blen++] = 0x80;
	if (c->blen > 56) {
		memset(c->buf + c->blen, 0, 64 - c->blen);
		sha256_block(c->h, c->buf);
		c->blen = 0;
	}
	memset(c->buf + c->blen, 0, 56 - c->blen);
	for (i = 0; i < 8; i++)
		c->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_block(c->h, c->buf);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
}

void kr_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}
