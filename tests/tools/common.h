/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the krelay traffic test tools: messages and option
 * parsing, numeric socket addresses, RLIMIT_NOFILE, time, signals,
 * a deterministic pseudo-random byte stream and SHA-256.
 */
#ifndef KR_COMMON_H
#define KR_COMMON_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Exit codes shared by all tools. */
#define KR_EXIT_OK	0
#define KR_EXIT_FAIL	1
#define KR_EXIT_USAGE	2

/* ---- messages ---------------------------------------------------------- */

extern const char *kr_prog;	/* tool name, set first thing in main() */

void kr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kr_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));	/* exit 1 */
void kr_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));	/* exit 2 */

/*
 * For getopt_long() run with opterr = 0 and an optstring starting with
 * ':': reports the unknown option or missing argument, exits 2.
 */
void kr_bad_option(int opt, char *const argv[]) __attribute__((noreturn));

/* ---- numbers and option values ----------------------------------------- */

int kr_parse_u64(const char *s, uint64_t *v);	/* decimal, 0 on success */
int kr_parse_size(const char *s, uint64_t *v);	/* N[K|M|G], binary units */
int kr_parse_secs(const char *s, double *v);	/* non-negative decimal */

/* The kr_opt_* variants exit 2 naming the option and value on error. */
uint64_t kr_opt_u64(const char *opt, const char *val, uint64_t min, uint64_t max);
uint64_t kr_opt_size(const char *opt, const char *val, uint64_t min, uint64_t max);
double kr_opt_secs(const char *opt, const char *val);

/* ---- addresses --------------------------------------------------------- */

struct kr_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

#define KR_ADDRSTRLEN 64

/* "1.2.3.4:port" or "[v6addr]:port"; numeric only.  0 on success. */
int kr_parse_addr(const char *s, struct kr_addr *a);
/* Bare numeric IPv4 or IPv6 address, port 0.  0 on success. */
int kr_parse_ip(const char *s, struct kr_addr *a);
void kr_opt_addr(const char *opt, const char *val, struct kr_addr *a);
/* Formats as "1.2.3.4:port" / "[::1]:port" into buf (KR_ADDRSTRLEN). */
const char *kr_addr_str(const struct kr_addr *a, char *buf);
int kr_addr_family(const struct kr_addr *a);
/* Adds k to the address (IPv4: whole address, IPv6: low 32 bits). */
void kr_addr_add(struct kr_addr *a, uint32_t k);

/* ---- system ------------------------------------------------------------ */

/* Raises RLIMIT_NOFILE as far as possible (as root also fs.nr_open). */
uint64_t kr_raise_nofile(void);
int kr_set_nonblock(int fd);
int kr_sock_error(int fd);		/* pending SO_ERROR (errno value) */
void kr_linger0(int fd);		/* SO_LINGER {1,0}: close sends RST */
double kr_now(void);			/* CLOCK_MONOTONIC, seconds */
uint64_t kr_now_ns(void);
/* epoll_wait timeout in ms until `deadline` (kr_now() based), >= 0. */
int kr_ms_until(double deadline);
/* SIGINT/SIGTERM set kr_stop (no SA_RESTART); SIGPIPE ignored. */
extern volatile sig_atomic_t kr_stop;
void kr_setup_signals(void);
/* Writes content to path atomically (path.tmp + rename).  0 on success. */
int kr_write_file(const char *path, const char *content);

/* ---- pseudo-random numbers --------------------------------------------- */

uint64_t kr_mix64(uint64_t x);		/* splitmix64 finalizer */

struct kr_rng {
	uint64_t s;
};

void kr_rng_seed(struct kr_rng *r, uint64_t seed);
uint64_t kr_rng_next(struct kr_rng *r);
uint64_t kr_rng_range(struct kr_rng *r, uint64_t lo, uint64_t hi);	/* uniform, inclusive */
uint64_t kr_rng_logrange(struct kr_rng *r, uint64_t lo, uint64_t hi);	/* log-uniform, inclusive */

/*
 * Deterministic byte stream: byte `off` of stream `seed` depends only on
 * (seed, off), so sender and checker need no shared state.
 */
void kr_stream_fill(uint64_t seed, uint64_t off, void *buf, size_t n);
/* Index of the first byte of buf differing from the stream, or n. */
size_t kr_stream_cmp(uint64_t seed, uint64_t off, const void *buf, size_t n);

/* ---- SHA-256 ----------------------------------------------------------- */

struct kr_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	uint8_t buf[64];
	size_t blen;
};

void kr_sha256_init(struct kr_sha256 *c);
void kr_sha256_update(struct kr_sha256 *c, const void *data, size_t n);
void kr_sha256_final(struct kr_sha256 *c, uint8_t out[32]);
void kr_hex(const uint8_t *p, size_t n, char *out);	/* out: 2n+1 bytes */

#endif
