// SPDX-License-Identifier: GPL-2.0
/*
 * kr-rr: request/response benchmark client (against kr-echo -m echo).
 *
 *   conn-rate  each of P workers loops: connect, send REQ bytes, read the
 *              echo, close.  Reports completed connections per second and
 *              the connect-to-echo time percentiles.
 *   latency    P persistent connections ping-pong REQ bytes.  Reports
 *              requests per second and round-trip time percentiles.
 *
 * Every echo is compared with the request; a wrong echo is an error.
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS	256
#define RBUF		(64 * 1024)

enum rmode { R_CONN_RATE, R_LATENCY };
enum { W_IDLE, W_CONNECTING, W_ACTIVE, W_DEAD };

struct worker {
	int fd;
	int state;
	uint32_t events;
	uint64_t sent, recvd;
	uint64_t t_start;	/* ns, start of the timed operation */
};

static struct kr_addr target;
static enum rmode mode = R_LATENCY;
static double duration = 5;
static uint64_t req_bytes = 64, parallel = 1;
static int json, linger0;

static int ep;
static struct worker *wk;
static uint32_t *restart;	/* workers to (re)connect, conn-rate */
static uint64_t nrestart;
static uint8_t *req, rbuf[RBUF];
static uint32_t *samples;	/* ns, capped at UINT32_MAX */
static uint64_t nsamples, cap_samples, errors;
static int warned_errno;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kr-rr -c ADDR:PORT --mode conn-rate|latency [OPTIONS]\n"
"Request/response benchmark against 'kr-echo -m echo' (directly or relayed).\n"
"\n"
"  -c, --connect ADDR:PORT  server (127.0.0.1:7000 or [::1]:7000)\n"
"      --mode MODE          conn-rate: connect, send, read echo, close, repeat\n"
"                           latency: persistent connections, ping-pong (default)\n"
"  -d, --duration SEC       run time (default 5)\n"
"  -s, --size BYTES         request size (default 64, K/M suffixes, max 1M)\n"
"  -P, --parallel N         concurrent workers/connections (default 1)\n"
"      --linger0            conn-rate: close with RST (no TIME_WAIT)\n"
"  -J, --json               JSON object instead of key=value\n"
"  -h, --help\n"
"\n"
"Output, one line on stdout:\n"
"  mode=conn-rate target=A parallel=N req_bytes=N seconds=F count=N errors=N\n"
"    conn_per_sec=F p50_us=F p99_us=F p999_us=F min_us=F max_us=F mean_us=F\n"
"  mode=latency ... count=N errors=N req_per_sec=F p50_us=F ... (same keys)\n"
"Exit 0 iff no errors and count > 0; 1 otherwise; 2 on usage errors.\n");
}

static void note_error(const char *what, int err)
{
	errors++;
	if (warned_errno != err) {
		warned_errno = err;
		kr_warn("%s: %s", what, strerror(err));
	}
}

static void add_sample(uint64_t ns)
{
	if (nsamples == cap_samples) {
		cap_samples = cap_samples ? cap_samples * 2 : 65536;
		samples = realloc(samples, cap_samples * sizeof(*samples));
		if (!samples)
			kr_die("out of memory");
	}
	samples[nsamples++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static void set_events(struct worker *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)(w - wk) };

	if (w->events == events)
		return;
	if (epoll_ctl(ep, w->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd, &ev))
		kr_die("epoll_ctl: %s", strerror(errno));
	w->events = events;
}

static void w_close(struct worker *w, int state)
{
	if (w->fd >= 0) {
		if (linger0)
			kr_linger0(w->fd);
		close(w->fd);
	}
	w->fd = -1;
	w->events = 0;
	w->state = state;
	if (state == W_IDLE)
		restart[nrestart++] = (uint32_t)(w - wk);
}

/* An error: conn-rate reconnects, latency retires the connection. */
static void w_error(struct worker *w, const char *what, int err)
{
	note_error(what, err);
	w_close(w, mode == R_CONN_RATE ? W_IDLE : W_DEAD);
}

static void w_connect(struct worker *w)
{
	w->t_start = kr_now_ns();
	w->sent = w->recvd = 0;
	w->events = 0;
	w->fd = socket(kr_addr_family(&target), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->fd < 0) {
		w_error(w, "socket", errno);
		return;
	}
	if (connect(w->fd, (struct sockaddr *)&target.ss, target.len) && errno != EINPROGRESS) {
		w_error(w, "connect", errno);
		return;
	}
	w->state = W_CONNECTING;
	set_events(w, EPOLLOUT);
}

/* Sends what is left of the request; returns -1 after an error. */
static int w_send(struct worker *w)
{
	while (w->sent < req_bytes) {
		ssize_t n = send(w->fd, req + w->sent, req_bytes - w->sent, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN)
				break;
			if (errno == EINTR)
				continue;
			w_error(w, "send", errno);
			return -1;
		}
		w->sent += (uint64_t)n;
	}
	set_events(w, w->sent < req_bytes ? EPOLLIN | EPOLLOUT : EPOLLIN);
	return 0;
}

static void w_begin_request(struct worker *w)
{
	w->sent = w->recvd = 0;
	if (mode == R_LATENCY)
		w->t_start = kr_now_ns();
	w_send(w);
}

static void w_readable(struct worker *w, int running)
{
	ssize_t n = read(w->fd, rbuf, RBUF);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			w_error(w, "read", errno);
		return;
	}
	if (n == 0) {
		w_error(w, "read", ECONNRESET);	/* EOF before the full echo */
		return;
	}
	if (w->recvd + (uint64_t)n > w->sent ||
	    memcmp(rbuf, req + w->recvd, (size_t)n)) {
		note_error("echo", EBADMSG);
		w_close(w, mode == R_CONN_RATE ? W_IDLE : W_DEAD);
		return;
	}
	w->recvd += (uint64_t)n;
	if (w->recvd < req_bytes)
		return;
	add_sample(kr_now_ns() - w->t_start);
	if (mode == R_CONN_RATE)
		w_close(w, W_IDLE);	/* main loop reconnects while running */
	else if (running)
		w_begin_request(w);
	else
		w_close(w, W_DEAD);
}

static void on_event(struct worker *w, uint32_t ev, int running)
{
	int err;

	switch (w->state) {
	case W_CONNECTING:
		err = kr_sock_error(w->fd);
		if (err) {
			w_error(w, "connect", err);
			return;
		}
		if (!(ev & (EPOLLOUT | EPOLLHUP)))
			return;
		w->state = W_ACTIVE;
		if (mode == R_CONN_RATE)
			w_send(w);
		else
			set_events(w, EPOLLIN);	/* idle until the run starts */
		break;
	case W_ACTIVE:
		if ((ev & EPOLLOUT) && w_send(w))
			return;
		if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
			w_readable(w, running);
		break;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(double p)	/* nearest-rank percentile */
{
	uint64_t k;

	if (!nsamples)
		return 0;
	k = (uint64_t)(p * (double)nsamples + 0.999999999);
	if (k < 1)
		k = 1;
	if (k > nsamples)
		k = nsamples;
	return samples[k - 1] / 1000.0;
}

/* key=value or JSON output */
static int nkeys;

static void out_key(const char *k)
{
	if (json)
		printf("%s\"%s\":", nkeys ? "," : "{", k);
	else
		printf("%s%s=", nkeys ? " " : "", k);
	nkeys++;
}

static void out_str(const char *k, const char *v)
{
	out_key(k);
	printf(json ? "\"%s\"" : "%s", v);
}

static void out_u64(const char *k, uint64_t v)
{
	out_key(k);
	printf("%llu", (unsigned long long)v);
}

static void out_f(const char *k, double v)
{
	out_key(k);
	printf("%.3f", v);
}

static void report(double secs)
{
	char abuf[KR_ADDRSTRLEN];
	double sum = 0;
	uint64_t i;

	qsort(samples, nsamples, sizeof(*samples), cmp_u32);
	for (i = 0; i < nsamples; i++)
		sum += samples[i];
	out_str("mode", mode == R_CONN_RATE ? "conn-rate" : "latency");
	out_str("target", kr_addr_str(&target, abuf));
	out_u64("parallel", parallel);
	out_u64("req_bytes", req_bytes);
	out_f("seconds", secs);
	out_u64("count", nsamples);
	out_u64("errors", errors);
	out_f(mode == R_CONN_RATE ? "conn_per_sec" : "req_per_sec",
	      secs > 0 ? (double)nsamples / secs : 0);
	out_f("p50_us", pct_us(0.50));
	out_f("p99_us", pct_us(0.99));
	out_f("p999_us", pct_us(0.999));
	out_f("min_us", nsamples ? samples[0] / 1000.0 : 0);
	out_f("max_us", nsamples ? samples[nsamples - 1] / 1000.0 : 0);
	out_f("mean_us", nsamples ? sum / (double)nsamples / 1000.0 : 0);
	printf(json ? "}\n" : "\n");
}

static void parse_args(int argc, char **argv)
{
	enum { O_MODE = 256, O_LINGER0 };
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "parallel", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "mode", required_argument, NULL, O_MODE },
		{ "linger0", no_argument, NULL, O_LINGER0 },
		{ NULL, 0, NULL, 0 },
	};
	int opt, have_target = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:d:s:P:Jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': kr_opt_addr("-c", optarg, &target); have_target = 1; break;
		case 'd': duration = kr_opt_secs("-d", optarg); break;
		case 's': req_bytes = kr_opt_size("-s", optarg, 1, 1 << 20); break;
		case 'P': parallel = kr_opt_u64("-P", optarg, 1, 100000); break;
		case 'J': json = 1; break;
		case 'h': usage(stdout); exit(KR_EXIT_OK);
		case O_LINGER0: linger0 = 1; break;
		case O_MODE:
			if (!strcmp(optarg, "conn-rate"))
				mode = R_CONN_RATE;
			else if (!strcmp(optarg, "latency"))
				mode = R_LATENCY;
			else
				kr_usage_error("invalid mode '%s' for --mode: expected "
					       "conn-rate or latency", optarg);
			break;
		default: kr_bad_option(opt, argv);
		}
	}
	if (optind < argc)
		kr_usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_target)
		kr_usage_error("missing -c ADDR:PORT");
	if (duration <= 0)
		kr_usage_error("-d must be positive");
}

static void poll_once(int timeout_ms, int running)
{
	static struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(ep, evs, MAX_EVENTS, timeout_ms), k;

	if (n < 0 && errno != EINTR)
		kr_die("epoll_wait: %s", strerror(errno));
	for (k = 0; k < n; k++)
		on_event(&wk[evs[k].data.u32], evs[k].events, running);
}

int main(int argc, char **argv)
{
	double t0, end, secs;
	uint64_t i, live;

	kr_prog = "kr-rr";
	parse_args(argc, argv);
	kr_setup_signals();
	kr_raise_nofile();
	wk = calloc(parallel, sizeof(*wk));
	restart = calloc(parallel, sizeof(*restart));
	req = malloc(req_bytes);
	if (!wk || !restart || !req)
		kr_die("out of memory");
	kr_stream_fill(0x7272, 0, req, req_bytes);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		kr_die("epoll_create1: %s", strerror(errno));
	for (i = 0; i < parallel; i++)
		wk[i].fd = -1;

	if (mode == R_LATENCY) {	/* connect first, untimed (10 s limit) */
		double limit = kr_now() + 10;

		for (i = 0; i < parallel; i++)
			w_connect(&wk[i]);
		for (;;) {
			for (i = live = 0; i < parallel; i++)
				live += wk[i].state == W_CONNECTING;
			if (!live || kr_stop || kr_now() >= limit)
				break;
			poll_once(kr_ms_until(limit), 0);
		}
		for (i = live = 0; i < parallel; i++) {
			if (wk[i].state == W_CONNECTING)
				w_error(&wk[i], "connect", ETIMEDOUT);
			live += wk[i].state == W_ACTIVE;
		}
		if (!live)
			kr_die("no connection to %s could be established",
			       kr_addr_str(&target, (char[KR_ADDRSTRLEN]){ 0 }));
	}

	t0 = kr_now();
	end = t0 + duration;
	if (mode == R_LATENCY) {
		for (i = 0; i < parallel; i++)
			if (wk[i].state == W_ACTIVE)
				w_begin_request(&wk[i]);
	} else {
		for (i = 0; i < parallel; i++)
			restart[nrestart++] = (uint32_t)i;
	}
	while (!kr_stop && kr_now() < end) {
		for (i = 0; nrestart && i < parallel; i++)
			w_connect(&wk[restart[--nrestart]]);
		/* left-over restarts come from connects failing at once: retry in 1 ms */
		poll_once(nrestart ? 1 : kr_ms_until(end), 1);
		if (mode == R_LATENCY) {
			for (i = live = 0; i < parallel; i++)
				live += wk[i].state == W_ACTIVE;
			if (!live)
				break;
		}
	}
	secs = kr_now() - t0;
	for (i = 0; i < parallel; i++)
		if (wk[i].fd >= 0)
			close(wk[i].fd);
	report(secs);
	return errors || !nsamples ? KR_EXIT_FAIL : KR_EXIT_OK;
}
