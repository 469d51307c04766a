// SPDX-License-Identifier: GPL-2.0
/*
 * kr-echo: epoll TCP server for krelay traffic tests.
 *
 * One process, non-blocking sockets, level-triggered epoll, ~40 bytes of
 * state per idle connection.  Modes:
 *   echo     echo every byte; on EOF flush, shutdown(SHUT_WR), close.
 *            A connection whose echo could not be fully written stops
 *            being read until the rest is flushed (memory per connection
 *            is bounded by one read, READ_CHUNK bytes).
 *   sink     read and discard, close on EOF.
 *   noread   never read; close only when the peer goes away.
 *   rst      accept, then close with SO_LINGER 0 (RST).
 *   source   send -b BYTES of the deterministic stream (--seed), then
 *            shutdown(SHUT_WR), discard input until EOF, close.
 *   corrupt  like echo, but flips byte number k*N-1 (k = 1, 2, ...) of
 *            each connection's stream (N = --corrupt-every).
 *   blackhole listen with backlog 0 and never accept: once one connection
 *            is queued, further SYNs go unanswered (connect timeouts).
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LISTENERS	16
#define READ_CHUNK	(64 * 1024)	/* bound of pending echo output */
#define SCRATCH		(256 * 1024)
#define MAX_EVENTS	512
#define READS_PER_EVENT	8

enum mode { M_ECHO, M_SINK, M_NOREAD, M_RST, M_SOURCE, M_CORRUPT, M_BLACKHOLE };
static const char *const mode_names[] = {
	"echo", "sink", "noread", "rst", "source", "corrupt", "blackhole",
};

/* Both structs start with `listener` so an epoll pointer tells its kind. */
struct listener {
	uint8_t listener;	/* 1 */
	int fd;
	struct kr_addr addr;
};

struct conn {
	uint8_t listener;	/* 0 */
	uint8_t eof;		/* read returned 0 */
	uint8_t draining;	/* source: all sent, reading until EOF */
	uint32_t events;	/* currently registered epoll events */
	int fd;
	uint32_t plen, poff;	/* pending output pbuf[poff..plen) */
	char *pbuf;
	uint64_t count;		/* bytes echoed / sent on this connection */
};

static enum mode mode = M_ECHO;
static uint64_t max_conns = UINT64_MAX;
static uint64_t source_bytes;
static uint64_t seed = 1;
static uint64_t corrupt_every = 1 << 20;

static int ep;
static struct listener listeners[MAX_LISTENERS];
static int nlisteners;
static int accepting = 1;	/* listeners registered for EPOLLIN */
static double accept_retry_at;	/* after EMFILE/ENFILE */

static uint64_t nconns, peak, total_conns, bytes_in, bytes_out;
static char scratch[SCRATCH];

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kr-echo [OPTIONS] ADDR:PORT [ADDR:PORT...]\n"
"TCP test server (epoll, one process).  ADDR is numeric: 127.0.0.1:7000,\n"
"[::1]:7000, 0.0.0.0:7000, [::]:7000 (IPv6 listeners are V6ONLY).\n"
"Port 0 picks a free port (shown in the 'listening on' line/ready file).\n"
"\n"
"  -m, --mode MODE          echo (default), sink, noread, rst, source, corrupt,\n"
"                           blackhole (backlog 0, never accepts)\n"
"  -n, --max-conns N        at most N concurrent connections (stop accepting)\n"
"  -b, --bytes BYTES        source: bytes to send per connection (K/M/G)\n"
"      --seed N             source: stream seed (default 1, as kr-xfer)\n"
"      --corrupt-every N    corrupt: flip one byte every N bytes (default 1M)\n"
"  -r, --ready-file FILE    after listening, write FILE (one ADDR:PORT a line)\n"
"  -h, --help\n"
"\n"
"Prints 'kr-echo: listening on ...' to stderr when ready; runs until SIGTERM\n"
"or SIGINT, then prints 'kr-echo: conns=N peak=N bytes_in=N bytes_out=N'\n"
"and exits 0.  Exit 1 on setup errors, 2 on usage errors.\n");
}

static void ep_ctl(int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(ep, op, fd, &ev) && op != EPOLL_CTL_DEL)
		kr_die("epoll_ctl(fd %d): %s", fd, strerror(errno));
}

static void set_accepting(int on)
{
	int i;

	if (on == accepting)
		return;
	accepting = on;
	for (i = 0; i < nlisteners; i++)
		ep_ctl(EPOLL_CTL_MOD, listeners[i].fd, on ? EPOLLIN : 0, &listeners[i]);
}

static void conn_close(struct conn *c)
{
	close(c->fd);	/* also removes it from the epoll set */
	free(c->pbuf);
	free(c);
	nconns--;
	if (nconns < max_conns && !accept_retry_at)
		set_accepting(1);
}

static void conn_events(struct conn *c, uint32_t events)
{
	if (c->events != events) {
		c->events = events;
		ep_ctl(EPOLL_CTL_MOD, c->fd, events, c);
	}
}

/* After EOF and with nothing pending: send our FIN and close. */
static void conn_finish(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	conn_close(c);
}

/* Returns bytes written (>= 0), or -1 after closing the connection. */
static ssize_t conn_send(struct conn *c, const void *p, size_t n)
{
	ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

	if (w < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		conn_close(c);
		return -1;
	}
	bytes_out += (uint64_t)w;
	return w;
}

static void corrupt(struct conn *c, char *p, size_t n)
{
	/* flip byte at stream offset o when (o + 1) % corrupt_every == 0 */
	uint64_t first = c->count, o;

	o = (first / corrupt_every + 1) * corrupt_every - 1;
	for (; o < first + n; o += corrupt_every)
		p[o - first] ^= 0x5a;
}

static void on_echo_readable(struct conn *c)
{
	int i;

	for (i = 0; i < READS_PER_EVENT && !c->plen; i++) {
		ssize_t n = read(c->fd, scratch, READ_CHUNK), w;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c);
			return;
		}
		if (n == 0) {
			c->eof = 1;
			break;
		}
		bytes_in += (uint64_t)n;
		if (mode == M_CORRUPT)
			corrupt(c, scratch, (size_t)n);
		c->count += (uint64_t)n;
		w = conn_send(c, scratch, (size_t)n);
		if (w < 0)
			return;
		if (w < n) {	/* keep the rest, stop reading until flushed */
			c->plen = (uint32_t)(n - w);
			c->poff = 0;
			c->pbuf = malloc(c->plen);
			if (!c->pbuf)
				kr_die("out of memory");
			memcpy(c->pbuf, scratch + w, c->plen);
		}
	}
	if (c->plen)
		conn_events(c, EPOLLOUT);
	else if (c->eof)
		conn_finish(c);
}

static void on_echo_writable(struct conn *c)
{
	ssize_t w = conn_send(c, c->pbuf + c->poff, c->plen - c->poff);

	if (w < 0)
		return;
	c->poff += (uint32_t)w;
	if (c->poff < c->plen)
		return;
	free(c->pbuf);
	c->pbuf = NULL;
	c->plen = c->poff = 0;
	if (c->eof)
		conn_finish(c);
	else
		conn_events(c, EPOLLIN);
}

/* Reads and discards; closes on EOF or error. */
static void on_discard_readable(struct conn *c)
{
	int i;

	for (i = 0; i < READS_PER_EVENT; i++) {
		ssize_t n = read(c->fd, scratch, SCRATCH);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		bytes_in += (uint64_t)n;
	}
}

static void on_source_writable(struct conn *c)
{
	uint64_t left = source_bytes - c->count;
	size_t n = left < SCRATCH ? (size_t)left : SCRATCH;
	ssize_t w;

	if (n) {
		kr_stream_fill(seed, c->count, scratch, n);
		w = conn_send(c, scratch, n);
		if (w < 0)
			return;
		c->count += (uint64_t)w;
	}
	if (c->count == source_bytes) {
		shutdown(c->fd, SHUT_WR);
		c->draining = 1;
		conn_events(c, EPOLLIN);
	}
}

static void on_conn(struct conn *c, uint32_t ev)
{
	switch (mode) {
	case M_ECHO:
	case M_CORRUPT:
		if (c->events & EPOLLOUT)
			on_echo_writable(c);
		else
			on_echo_readable(c);
		break;
	case M_SINK:
		on_discard_readable(c);
		break;
	case M_NOREAD:	/* only registered for peer close / errors */
		conn_close(c);
		break;
	case M_SOURCE:
		if (c->draining)
			on_discard_readable(c);
		else if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			on_source_writable(c);
		break;
	case M_RST:
	case M_BLACKHOLE:
		break;
	}
}

static void on_accept(struct listener *l)
{
	int i;

	for (i = 0; i < 256 && nconns < max_conns; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				static int warned;

				if (!warned++)
					kr_warn("accept: %s (at %llu connections); pausing accepts",
						strerror(errno), (unsigned long long)nconns);
				accept_retry_at = kr_now() + 0.1;
				set_accepting(0);
			}
			return;	/* EAGAIN, ECONNABORTED, ... */
		}
		total_conns++;
		if (mode == M_RST) {
			kr_linger0(fd);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c)
			kr_die("out of memory");
		c->fd = fd;
		switch (mode) {
		case M_SOURCE: c->events = EPOLLOUT; break;
		case M_NOREAD: c->events = EPOLLRDHUP; break;
		default: c->events = EPOLLIN; break;
		}
		ep_ctl(EPOLL_CTL_ADD, fd, c->events, c);
		if (++nconns > peak)
			peak = nconns;
	}
	if (nconns >= max_conns)
		set_accepting(0);
}

static void add_listener(const char *spec)
{
	struct listener *l = &listeners[nlisteners];
	int one = 1, fd;

	if (nlisteners == MAX_LISTENERS)
		kr_usage_error("too many listen addresses (max %d)", MAX_LISTENERS);
	kr_opt_addr("listen address", spec, &l->addr);
	fd = socket(kr_addr_family(&l->addr), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		kr_die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (kr_addr_family(&l->addr) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&l->addr.ss, l->addr.len))
		kr_die("bind %s: %s", spec, strerror(errno));
	if (listen(fd, mode == M_BLACKHOLE ? 0 : 65535))
		kr_die("listen %s: %s", spec, strerror(errno));
	l->addr.len = sizeof(l->addr.ss);
	getsockname(fd, (struct sockaddr *)&l->addr.ss, &l->addr.len);
	l->fd = fd;
	l->listener = 1;
	nlisteners++;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "max-conns", required_argument, NULL, 'n' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 'S' },
		{ "corrupt-every", required_argument, NULL, 'C' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ready_file = NULL;
	char line[MAX_LISTENERS * (KR_ADDRSTRLEN + 2)] = "", buf[KR_ADDRSTRLEN];
	struct epoll_event evs[MAX_EVENTS];
	int have_bytes = 0, opt, i;
	uint64_t nofile;

	kr_prog = "kr-echo";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":m:n:b:r:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			for (i = 0; i < (int)(sizeof(mode_names) / sizeof(mode_names[0])); i++)
				if (!strcmp(optarg, mode_names[i]))
					break;
			if (i == (int)(sizeof(mode_names) / sizeof(mode_names[0])))
				kr_usage_error("invalid mode '%s' for -m: expected echo, sink, "
					       "noread, rst, source, corrupt or blackhole", optarg);
			mode = (enum mode)i;
			break;
		case 'n': max_conns = kr_opt_u64("-n", optarg, 1, UINT64_MAX); break;
		case 'b': source_bytes = kr_opt_size("-b", optarg, 0, UINT64_MAX); have_bytes = 1; break;
		case 'S': seed = kr_opt_u64("--seed", optarg, 0, UINT64_MAX); break;
		case 'C': corrupt_every = kr_opt_u64("--corrupt-every", optarg, 1, 1ull << 40); break;
		case 'r': ready_file = optarg; break;
		case 'h': usage(stdout); return KR_EXIT_OK;
		default: kr_bad_option(opt, argv);
		}
	}
	if (optind == argc)
		kr_usage_error("missing listen address ADDR:PORT");
	if (mode == M_SOURCE && !have_bytes)
		kr_usage_error("-m source needs -b BYTES");
	if (have_bytes && mode != M_SOURCE)
		kr_usage_error("-b is only meaningful with -m source");

	kr_setup_signals();
	nofile = kr_raise_nofile();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		kr_die("epoll_create1: %s", strerror(errno));
	for (i = optind; i < argc; i++)
		add_listener(argv[i]);
	for (i = 0; i < nlisteners; i++) {
		if (mode != M_BLACKHOLE)
			ep_ctl(EPOLL_CTL_ADD, listeners[i].fd, EPOLLIN, &listeners[i]);
		strcat(line, kr_addr_str(&listeners[i].addr, buf));
		strcat(line, i + 1 < nlisteners ? " " : "");
	}
	fprintf(stderr, "kr-echo: listening on %s mode=%s nofile=%llu\n", line,
		mode_names[mode], (unsigned long long)nofile);
	if (ready_file) {
		char content[sizeof(line) + 1];

		snprintf(content, sizeof(content), "%s\n", line);
		for (i = 0; content[i]; i++)
			if (content[i] == ' ')
				content[i] = '\n';
		if (kr_write_file(ready_file, content))
			kr_die("cannot write ready file '%s': %s", ready_file, strerror(errno));
	}

	while (!kr_stop) {
		int timeout = accept_retry_at ? kr_ms_until(accept_retry_at) : -1;
		int n = epoll_wait(ep, evs, MAX_EVENTS, timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			kr_die("epoll_wait: %s", strerror(errno));
		}
		for (i = 0; i < n; i++) {
			struct listener *l = evs[i].data.ptr;

			if (l->listener)
				on_accept(l);
			else
				on_conn(evs[i].data.ptr, evs[i].events);
		}
		if (accept_retry_at && kr_now() >= accept_retry_at) {
			accept_retry_at = 0;
			if (nconns < max_conns)
				set_accepting(1);
		}
	}
	fprintf(stderr, "kr-echo: conns=%llu peak=%llu bytes_in=%llu bytes_out=%llu\n",
		(unsigned long long)total_conns, (unsigned long long)peak,
		(unsigned long long)bytes_in, (unsigned long long)bytes_out);
	return KR_EXIT_OK;
}
