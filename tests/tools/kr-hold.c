// SPDX-License-Identifier: GPL-2.0
/*
 * kr-hold: open and hold many concurrent TCP connections (scale tests).
 *
 * Non-blocking connects (at most --inflight outstanding), one epoll set,
 * 8 bytes of state per connection.  Source addresses are spread over
 * SRC_BASE .. SRC_BASE+NUM-1 with IP_BIND_ADDRESS_NO_PORT, so the port
 * is chosen at connect() time per 4-tuple and ~28k ports are available
 * per source address.
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

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define PING_LEN	16
#define MAX_EVENTS	1024

enum {
	C_IDLE,		/* not started yet */
	C_CONNECTING,
	C_PINGING,	/* ping sent, echo incomplete */
	C_UP,		/* established (and pinged when --ping) */
	C_FAILED,	/* connect or ping failed */
	C_DROPPED,	/* established, then closed by the peer */
};

struct hconn {
	int fd;
	uint8_t state;
	uint8_t rlen;	/* ping bytes echoed so far */
};

static struct kr_addr target, src_base;
static uint64_t nconns, nsrc = 1, inflight_max = 1000;
static double hold_s, timeout_s = 120;
static int have_src, do_ping, quiet;
static const char *ready_file;

static int ep;
static struct hconn *hc;
static uint64_t started, inflight, pending;	/* pending: not yet decided */
static uint64_t n_est, n_failed, n_ping_ok, n_dropped;
static int warned_errno;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kr-hold -c ADDR:PORT -n CONNS [OPTIONS]\n"
"Open CONNS concurrent TCP connections, hold them, close them.\n"
"\n"
"  -c, --connect ADDR:PORT  server (127.0.0.1:7000 or [::1]:7000)\n"
"  -n, --conns N            connections to open\n"
"  -s, --src ADDR           bind source addresses starting at ADDR\n"
"                           (e.g. 127.0.0.2; same family as -c)\n"
"  -S, --nsrc N             use N source addresses ADDR, ADDR+1, ... (default 1)\n"
"      --hold SEC           hold the connections SEC seconds (default 0);\n"
"                           SIGTERM/SIGINT ends the hold early\n"
"  -r, --ready-file FILE    when every connection is up or has failed, write\n"
"                           FILE containing the number established (with\n"
"                           --ping: established and echoed)\n"
"      --ping               send a %d-byte ping on each connection, verify echo\n"
"      --inflight N         at most N connects outstanding (default 1000)\n"
"      --timeout SEC        deadline for connecting (and pings), default 120\n"
"  -q, --quiet              no progress lines on stderr\n"
"  -h, --help\n"
"\n"
"Output (stdout):\n"
"  kr-hold: up established=N failed=N ping_ok=N seconds=F\n"
"  kr-hold: target=N established=N failed=N ping_ok=N dropped=N\n"
"dropped = established connections the peer closed during the run.\n"
"Exit 0 iff all N were established (and all pings ok) and none dropped;\n"
"1 otherwise; 2 on usage errors.\n", PING_LEN);
}

static void ping_bytes(uint64_t i, char out[PING_LEN + 1])
{
	snprintf(out, PING_LEN + 1, "krhold %08llx\n", (unsigned long long)(i & 0xffffffff));
}

static void note_errno(const char *what, int err)
{
	if (warned_errno != err) {	/* one line per distinct error */
		warned_errno = err;
		kr_warn("%s: %s", what, strerror(err));
	}
}

static void set_events(uint64_t i, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = i };

	if (epoll_ctl(ep, op, hc[i].fd, &ev))
		kr_die("epoll_ctl: %s", strerror(errno));
}

/*
 * Ends connection i: a failed connect (counted in n_failed), a failed ping
 * (established, but not ping_ok) or a drop (established and up, then
 * closed by the peer; counted in n_dropped).
 */
static void conn_end(uint64_t i)
{
	struct hconn *c = &hc[i];

	switch (c->state) {
	case C_CONNECTING:
		inflight--;
		pending--;
		n_failed++;
		break;
	case C_PINGING:
		pending--;
		break;
	case C_UP:
		n_dropped++;
		break;
	}
	c->state = c->state == C_UP ? C_DROPPED : C_FAILED;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void conn_up(uint64_t i)
{
	struct hconn *c = &hc[i];

	if (c->state == C_PINGING)
		n_ping_ok++;
	c->state = C_UP;
	pending--;
	/* from now on only watch for the peer going away */
	set_events(i, EPOLL_CTL_MOD, EPOLLRDHUP);
}

static void open_one(uint64_t i)
{
	struct hconn *c = &hc[i];
	int fd;

	c->state = C_CONNECTING;
	c->fd = -1;
	pending++;
	inflight++;
	fd = socket(kr_addr_family(&target), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		note_errno("socket", errno);
		conn_end(i);
		return;
	}
	c->fd = fd;
	if (have_src) {
		struct kr_addr a = src_base;
		int one = 1;

		kr_addr_add(&a, (uint32_t)(i % nsrc));
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a.ss, a.len)) {
			note_errno("bind", errno);
			conn_end(i);
			return;
		}
	}
	if (connect(fd, (struct sockaddr *)&target.ss, target.len) && errno != EINPROGRESS) {
		note_errno("connect", errno);
		conn_end(i);
		return;
	}
	set_events(i, EPOLL_CTL_ADD, EPOLLOUT);
}

static void on_connected(uint64_t i)
{
	struct hconn *c = &hc[i];
	char ping[PING_LEN + 1];

	inflight--;
	n_est++;
	if (!do_ping) {
		conn_up(i);
		return;
	}
	ping_bytes(i, ping);
	if (send(c->fd, ping, PING_LEN, MSG_NOSIGNAL) != PING_LEN) {
		note_errno("ping send", errno);
		conn_end(i);
		return;
	}
	c->state = C_PINGING;
	set_events(i, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP);
}

static void on_ping_reply(uint64_t i)
{
	struct hconn *c = &hc[i];
	char ping[PING_LEN + 1], buf[PING_LEN];
	ssize_t n = read(c->fd, buf, PING_LEN - c->rlen);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		note_errno("ping read", n == 0 ? ECONNRESET : errno);
		conn_end(i);
		return;
	}
	ping_bytes(i, ping);
	if (memcmp(buf, ping + c->rlen, (size_t)n)) {
		kr_warn("connection %llu: wrong ping echo", (unsigned long long)i);
		conn_end(i);
		return;
	}
	c->rlen = (uint8_t)(c->rlen + n);
	if (c->rlen == PING_LEN)
		conn_up(i);
}

static void on_event(uint64_t i, uint32_t ev)
{
	struct hconn *c = &hc[i];
	int err;

	switch (c->state) {
	case C_CONNECTING:
		err = kr_sock_error(c->fd);
		if (err) {
			note_errno("connect", err);
			conn_end(i);
		} else if (ev & (EPOLLOUT | EPOLLHUP)) {
			on_connected(i);
		}
		break;
	case C_PINGING:
		on_ping_reply(i);
		break;
	case C_UP:	/* EPOLLRDHUP, HUP or ERR: the peer went away */
		conn_end(i);
		break;
	}
}

static void write_ready(void)
{
	char buf[32];

	if (!ready_file)
		return;
	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)(do_ping ? n_ping_ok : n_est));
	if (kr_write_file(ready_file, buf))
		kr_warn("cannot write ready file '%s': %s", ready_file, strerror(errno));
}

static void parse_args(int argc, char **argv)
{
	enum { O_HOLD = 256, O_PING, O_INFLIGHT, O_TIMEOUT };
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "conns", required_argument, NULL, 'n' },
		{ "src", required_argument, NULL, 's' },
		{ "nsrc", required_argument, NULL, 'S' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "hold", required_argument, NULL, O_HOLD },
		{ "ping", no_argument, NULL, O_PING },
		{ "inflight", required_argument, NULL, O_INFLIGHT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ NULL, 0, NULL, 0 },
	};
	int opt, have_target = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:n:s:S:r:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': kr_opt_addr("-c", optarg, &target); have_target = 1; break;
		case 'n': nconns = kr_opt_u64("-n", optarg, 1, 10000000); break;
		case 's':
			if (kr_parse_ip(optarg, &src_base))
				kr_usage_error("invalid address '%s' for -s: expected a numeric "
					       "IPv4 or IPv6 address", optarg);
			have_src = 1;
			break;
		case 'S': nsrc = kr_opt_u64("-S", optarg, 1, 1 << 24); break;
		case 'r': ready_file = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); exit(KR_EXIT_OK);
		case O_HOLD: hold_s = kr_opt_secs("--hold", optarg); break;
		case O_PING: do_ping = 1; break;
		case O_INFLIGHT: inflight_max = kr_opt_u64("--inflight", optarg, 1, 10000000); break;
		case O_TIMEOUT: timeout_s = kr_opt_secs("--timeout", optarg); break;
		default: kr_bad_option(opt, argv);
		}
	}
	if (optind < argc)
		kr_usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_target)
		kr_usage_error("missing -c ADDR:PORT");
	if (!nconns)
		kr_usage_error("missing -n CONNS");
	if (have_src && kr_addr_family(&src_base) != kr_addr_family(&target))
		kr_usage_error("-s address family differs from -c");
	if (nsrc > 1 && !have_src)
		kr_usage_error("-S needs -s SRC_ADDR_BASE");
}

/* One epoll round; returns after events or timeout_ms. */
static void poll_once(int timeout_ms)
{
	static struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(ep, evs, MAX_EVENTS, timeout_ms), k;

	if (n < 0 && errno != EINTR)
		kr_die("epoll_wait: %s", strerror(errno));
	for (k = 0; k < n; k++)
		on_event(evs[k].data.u64, evs[k].events);
}

int main(int argc, char **argv)
{
	double t0, deadline, next_progress, hold_end, t_up;
	uint64_t nofile, i;
	int ok;

	kr_prog = "kr-hold";
	parse_args(argc, argv);
	kr_setup_signals();
	nofile = kr_raise_nofile();
	if (nofile < nconns + 5)
		kr_warn("RLIMIT_NOFILE is %llu, too low for %llu connections",
			(unsigned long long)nofile, (unsigned long long)nconns);
	hc = calloc(nconns, sizeof(*hc));
	if (!hc)
		kr_die("out of memory");
	for (i = 0; i < nconns; i++)
		hc[i].fd = -1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		kr_die("epoll_create1: %s", strerror(errno));

	/* connect phase */
	t0 = kr_now();
	deadline = t0 + timeout_s;
	next_progress = t0 + 1;
	while (!kr_stop && (started < nconns || pending)) {
		double now;

		while (started < nconns && inflight < inflight_max)
			open_one(started++);
		poll_once(kr_ms_until(deadline < next_progress ? deadline : next_progress));
		now = kr_now();
		if (now >= deadline)
			break;
		if (now >= next_progress) {
			if (!quiet)
				kr_warn("progress established=%llu failed=%llu inflight=%llu",
					(unsigned long long)n_est, (unsigned long long)n_failed,
					(unsigned long long)inflight);
			next_progress = now + 1;
		}
	}
	if (started < nconns || pending) {	/* deadline or signal */
		uint64_t unpinged = 0;

		for (i = 0; i < nconns; i++) {
			unpinged += hc[i].state == C_PINGING;
			if (hc[i].state == C_CONNECTING || hc[i].state == C_PINGING)
				conn_end(i);
		}
		n_failed += nconns - started;
		kr_warn("%s: %llu connections not established, %llu pings unanswered",
			kr_stop ? "interrupted" : "timeout",
			(unsigned long long)(nconns - n_est), (unsigned long long)unpinged);
	}
	t_up = kr_now() - t0;
	printf("kr-hold: up established=%llu failed=%llu ping_ok=%llu seconds=%.3f\n",
	       (unsigned long long)n_est, (unsigned long long)n_failed,
	       (unsigned long long)n_ping_ok, t_up);
	fflush(stdout);
	write_ready();

	/* hold phase: watch for drops */
	hold_end = kr_now() + hold_s;
	while (!kr_stop && kr_now() < hold_end)
		poll_once(kr_ms_until(hold_end));

	for (i = 0; i < nconns; i++)
		if (hc[i].fd >= 0)
			close(hc[i].fd);
	printf("kr-hold: target=%llu established=%llu failed=%llu ping_ok=%llu dropped=%llu\n",
	       (unsigned long long)nconns, (unsigned long long)n_est,
	       (unsigned long long)n_failed, (unsigned long long)n_ping_ok,
	       (unsigned long long)n_dropped);
	ok = n_est == nconns && n_dropped == 0 && (!do_ping || n_ping_ok == nconns);
	return ok ? KR_EXIT_OK : KR_EXIT_FAIL;
}
