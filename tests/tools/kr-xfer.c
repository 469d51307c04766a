// SPDX-License-Identifier: GPL-2.0
/*
 * kr-xfer: integrity client for krelay traffic tests.
 *
 * Runs N transfers, P at a time, in one epoll loop.  Payload bytes come
 * from a per-transfer deterministic stream (common.c), so nothing is kept
 * in memory: each received byte is compared with the stream (the first
 * difference fails the transfer and is reported) and, unless --no-digest,
 * both directions are also hashed incrementally (SHA-256) and the digests
 * compared.  Under QEMU TCG the two SHA-256 passes are ~3/4 of the
 * client's CPU time; --no-digest keeps the byte-for-byte check only.
 *
 *   echo      send a payload (log-uniform size in [min,max], written in
 *             log-uniform chunks in [wmin,wmax]), shutdown(SHUT_WR), read
 *             the echo concurrently; at EOF: length, every byte and the
 *             SHA-256 digests must match.
 *   upload    send the payload, shutdown(SHUT_WR), expect EOF (sink).
 *   download  shutdown(SHUT_WR) at once, read -b BYTES of the stream
 *             (--seed) from 'kr-echo -m source', byte-exact.
 *   --rst-after B  (echo/upload) after sending B bytes, abort the
 *             connection with RST (SO_LINGER 0); counts as success.
 *   both      send a payload like upload while reading -b BYTES of the
 *             stream (--seed) from 'kr-echo -m source', byte-exact, then
 *             shutdown(SHUT_WR) and EOF; prints how much of the payload
 *             had been sent when the download was complete ("download
 *             complete at upload offset N of M": whether one direction
 *             moved while the other was busy).
 *   fill      write up to --max bytes without ever reading; succeeds when
 *             writing stalls for --stall seconds (bounded buffering),
 *             fails if everything could be written.
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define RBUF		(256 * 1024)
#define MAX_WCHUNK	(16u << 20)
#define MAX_EVENTS	256
#define IO_PER_EVENT	4
#define NO_MISMATCH	UINT64_MAX
#define TIMER_TICK	0.01	/* pause / stall check granularity, seconds */
#define MAX_FAIL_LINES	100	/* then only counted */

enum xmode { X_ECHO, X_UPLOAD, X_DOWNLOAD, X_FILL, X_BOTH };
static const char *const xmode_names[] = { "echo", "upload", "download", "fill", "both" };

enum { S_FREE, S_CONNECTING, S_RUNNING };

struct xfer {
	int state;
	int fd;
	uint64_t idx;
	unsigned int lport;	/* local port, for matching with ss output */
	uint32_t events;	/* registered events */
	uint8_t registered;	/* fd is in the epoll set */
	uint8_t wdone;		/* shutdown(SHUT_WR) done */
	uint8_t paused;		/* --pause-read in progress */
	uint8_t reof;		/* both: the download ended, the upload goes on */
	uint64_t size, sent, recvd;
	uint64_t mismatch;	/* offset of first wrong byte received */
	uint64_t pseed;		/* payload stream seed */
	uint64_t dlseed, dl_at;	/* both: download stream, upload offset at its end */
	struct kr_rng rng;	/* chunk sizes */
	double pause_end, last_progress;
	struct kr_sha256 hs, hr;
};

/* options */
static struct kr_addr target;
static enum xmode mode = X_ECHO;
static uint64_t ntransfers = 1, parallel = 1;
static uint64_t min_size = 1, max_size = 1 << 20;
static uint64_t wmin = 1, wmax = 64 << 10;
static uint64_t seed = 1, dl_bytes, rst_after = UINT64_MAX;
static double timeout_s = 300, pause_s, stall_s = 2;
static int quiet, digest = 1;

/* state */
static int ep;
static struct xfer *xf;
static uint32_t *freelist;
static uint64_t nfree, active, npaused, next_idx;
static uint64_t n_ok, n_failed, n_unshown, total_sent, total_recvd;
static uint8_t *wbuf, rbuf[RBUF];

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kr-xfer -c ADDR:PORT [OPTIONS]\n"
"TCP integrity client.  ADDR is numeric: 127.0.0.1:7000 or [::1]:7000.\n"
"\n"
"  -c, --connect ADDR:PORT  server (kr-echo, possibly through the relay)\n"
"      --mode MODE          echo (default; kr-echo -m echo), upload (-m sink),\n"
"                           download (-m source), fill (-m noread),\n"
"                           both (-m source: upload while downloading)\n"
"  -n, --transfers N        transfers to run (default 1)\n"
"  -j, --parallel N         concurrent transfers (default 1)\n"
"      --min BYTES          smallest payload (default 1)\n"
"      --max BYTES          largest payload (default 1M); sizes are\n"
"                           log-uniform in [min,max]; fill: bytes to try\n"
"      --wmin BYTES         smallest write() (default 1)\n"
"      --wmax BYTES         largest write() (default 64K, at most 16M)\n"
"  -b, --bytes BYTES        download, both: expected bytes per connection\n"
"      --seed N             sizes/payload seed; download: stream seed (default 1)\n"
"      --timeout SEC        overall deadline (default 300); unfinished\n"
"                           transfers count as failed\n"
"      --pause-read SEC     echo/download: do not read for SEC seconds after\n"
"                           connecting (keep writing), then read and verify;\n"
"                           prints how much was written meanwhile\n"
"      --read-delay-ms MS   same as --pause-read MS/1000\n"
"      --stall SEC          fill: no write progress for SEC = stalled (default 2)\n"
"      --rst-after BYTES    echo/upload: after sending BYTES, abort with RST\n"
"                           (SO_LINGER 0) and count the transfer as ok\n"
"      --no-digest          echo: compare every byte with the stream only, no\n"
"                           SHA-256 digests of both directions (~4x less CPU)\n"
"  -q, --quiet              no start line, no per-transfer pause/fill lines\n"
"  -h, --help\n"
"\n"
"BYTES take K, M, G suffixes (binary).  Output (stdout):\n"
"  kr-xfer: FAIL transfer=I size=N sent=N received=N: REASON\n"
"  kr-xfer: pause transfer=I size=N written=N unread=N seconds=F: wrote N bytes\n"
"           while not reading for F s\n"
"  kr-xfer: rst transfer=I sent=N\n"
"  kr-xfer: fill transfer=I written=N\n"
"  kr-xfer: transfer=I download complete at upload offset N of N  (both)\n"
"  kr-xfer: transfers=N ok=N failed=N bytes_sent=N bytes_received=N seconds=F\n"
"Exit 0 iff every transfer succeeded, 1 otherwise, 2 on usage errors.\n");
}

static void set_events(struct xfer *x, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)(x - xf) };
	int op;

	if (x->registered && x->events == events)
		return;
	if (!events)	/* nothing wanted: leave the set, so HUP cannot spin */
		op = EPOLL_CTL_DEL;
	else
		op = x->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (op == EPOLL_CTL_DEL && !x->registered)
		return;
	if (epoll_ctl(ep, op, x->fd, &ev))
		kr_die("epoll_ctl: %s", strerror(errno));
	x->registered = events != 0;
	x->events = events;
}

static void update_events(struct xfer *x)
{
	uint32_t ev = 0;

	if (x->state == S_CONNECTING)
		ev = EPOLLOUT;
	else {
		if (!x->wdone && mode != X_DOWNLOAD)
			ev |= EPOLLOUT;
		if (!x->paused && mode != X_FILL && !x->reof)
			ev |= EPOLLIN;
	}
	set_events(x, ev);
}

static void finish(struct xfer *x, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finish(struct xfer *x, int ok, const char *fmt, ...)
{
	if (ok) {
		n_ok++;
	} else {
		va_list ap;

		if (++n_failed > MAX_FAIL_LINES) {
			n_unshown++;
			goto done;
		}
		printf("kr-xfer: FAIL transfer=%llu port=%u size=%llu sent=%llu received=%llu: ",
		       (unsigned long long)x->idx, x->lport, (unsigned long long)x->size,
		       (unsigned long long)x->sent, (unsigned long long)x->recvd);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
done:
	if (x->fd >= 0) {
		if (mode == X_FILL || !ok)
			kr_linger0(x->fd);
		close(x->fd);
	}
	if (x->paused)
		npaused--;
	x->state = S_FREE;
	x->fd = -1;
	active--;
	freelist[nfree++] = (uint32_t)(x - xf);
}

static void on_connected(struct xfer *x)
{
	x->state = S_RUNNING;
	x->last_progress = kr_now();
	if (pause_s > 0 && (mode == X_ECHO || mode == X_DOWNLOAD)) {
		x->paused = 1;
		x->pause_end = x->last_progress + pause_s;
		npaused++;
	}
	if (mode == X_DOWNLOAD) {
		if (shutdown(x->fd, SHUT_WR)) {
			finish(x, 0, "shutdown: %s", strerror(errno));
			return;
		}
		x->wdone = 1;
	}
	update_events(x);
}

/* The port connect() bound @fd to (0 if none): failures name it. */
static unsigned int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int saved = errno;
	unsigned int port = 0;

	if (!getsockname(fd, (struct sockaddr *)&ss, &len)) {
		if (ss.ss_family == AF_INET)
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	errno = saved;
	return port;
}

static void start(struct xfer *x, uint64_t idx)
{
	uint64_t xseed = kr_mix64(seed + kr_mix64(idx + 1));
	int rc;

	memset(x, 0, sizeof(*x));
	x->idx = idx;
	x->fd = -1;
	x->mismatch = NO_MISMATCH;
	active++;
	kr_rng_seed(&x->rng, xseed ^ 1);
	switch (mode) {
	case X_DOWNLOAD:
		x->size = dl_bytes;
		x->pseed = seed;
		break;
	case X_FILL:
		x->size = max_size;
		x->pseed = xseed;
		break;
	default:
		x->size = kr_rng_logrange(&x->rng, min_size, max_size);
		x->pseed = xseed;
		x->dlseed = seed;
	}
	kr_sha256_init(&x->hs);
	kr_sha256_init(&x->hr);

	x->fd = socket(kr_addr_family(&target), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		finish(x, 0, "socket: %s", strerror(errno));
		return;
	}
	rc = connect(x->fd, (struct sockaddr *)&target.ss, target.len);
	x->lport = local_port(x->fd);
	if (rc == 0) {
		on_connected(x);
		return;
	}
	if (errno != EINPROGRESS) {
		finish(x, 0, "connect: %s", strerror(errno));
		return;
	}
	x->state = S_CONNECTING;
	update_events(x);
}

/* EOF from the server: judge the transfer. */
static void complete(struct xfer *x)
{
	uint8_t ds[32], dr[32];
	char hs[65], hr[65];

	switch (mode) {
	case X_ECHO:
		if (!x->wdone) {
			finish(x, 0, "EOF from server before the payload was sent");
			return;
		}
		if (x->recvd != x->size) {
			finish(x, 0, "length mismatch: received %llu, sent %llu",
			       (unsigned long long)x->recvd, (unsigned long long)x->size);
			return;
		}
		if (digest) {
			kr_sha256_final(&x->hs, ds);
			kr_sha256_final(&x->hr, dr);
			if (memcmp(ds, dr, 32)) {
				kr_hex(ds, 32, hs);
				kr_hex(dr, 32, hr);
				finish(x, 0, "SHA-256 mismatch: sent %.16s... received %.16s..., "
				       "first wrong byte at offset %llu", hs, hr,
				       (unsigned long long)x->mismatch);
				return;
			}
		}
		if (x->mismatch != NO_MISMATCH) {
			finish(x, 0, "data mismatch: first wrong byte at offset %llu",
			       (unsigned long long)x->mismatch);
			return;
		}
		break;
	case X_DOWNLOAD:
		if (x->recvd != x->size) {
			finish(x, 0, "length mismatch: received %llu, expected %llu",
			       (unsigned long long)x->recvd, (unsigned long long)x->size);
			return;
		}
		if (x->mismatch != NO_MISMATCH) {
			finish(x, 0, "data mismatch: first wrong byte at offset %llu",
			       (unsigned long long)x->mismatch);
			return;
		}
		break;
	case X_UPLOAD:
		if (!x->wdone) {
			finish(x, 0, "EOF from server before the payload was sent");
			return;
		}
		if (x->recvd) {
			finish(x, 0, "server sent %llu unexpected bytes",
			       (unsigned long long)x->recvd);
			return;
		}
		break;
	case X_BOTH:
		if (!x->wdone) {
			finish(x, 0, "EOF from server before the payload was sent");
			return;
		}
		if (x->recvd != dl_bytes) {
			finish(x, 0, "length mismatch: received %llu, expected %llu",
			       (unsigned long long)x->recvd, (unsigned long long)dl_bytes);
			return;
		}
		if (x->mismatch != NO_MISMATCH) {
			finish(x, 0, "data mismatch: first wrong byte at offset %llu",
			       (unsigned long long)x->mismatch);
			return;
		}
		printf("kr-xfer: transfer=%llu download complete at upload offset %llu of %llu\n",
		       (unsigned long long)x->idx, (unsigned long long)x->dl_at,
		       (unsigned long long)x->size);
		break;
	case X_FILL:
		break;
	}
	finish(x, 1, NULL);
}

/* Returns 1 if the transfer finished. */
static int do_read(struct xfer *x)
{
	int i;

	for (i = 0; i < IO_PER_EVENT; i++) {
		ssize_t n = read(x->fd, rbuf, RBUF);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			finish(x, 0, "read: %s", strerror(errno));
			return 1;
		}
		if (n == 0) {
			if (mode == X_BOTH && !x->wdone) {
				x->reof = 1;	/* judged once the upload is done */
				return 0;
			}
			complete(x);
			return 1;
		}
		total_recvd += (uint64_t)n;
		if (mode == X_ECHO || mode == X_DOWNLOAD) {
			if (x->recvd + (uint64_t)n > x->size) {
				x->recvd += (uint64_t)n;
				finish(x, 0, "received more bytes than %s",
				       mode == X_ECHO ? "sent" : "expected");
				return 1;
			}
			if (x->mismatch == NO_MISMATCH) {
				size_t k = kr_stream_cmp(x->pseed, x->recvd, rbuf, (size_t)n);

				if (k < (size_t)n)
					x->mismatch = x->recvd + k;
			}
			if (mode == X_ECHO && digest)
				kr_sha256_update(&x->hr, rbuf, (size_t)n);
		} else if (mode == X_BOTH) {
			if (x->recvd + (uint64_t)n > dl_bytes) {
				x->recvd += (uint64_t)n;
				finish(x, 0, "received more bytes than expected");
				return 1;
			}
			if (x->mismatch == NO_MISMATCH) {
				size_t k = kr_stream_cmp(x->dlseed, x->recvd, rbuf, (size_t)n);

				if (k < (size_t)n)
					x->mismatch = x->recvd + k;
			}
			if (x->recvd + (uint64_t)n == dl_bytes)
				x->dl_at = x->sent;
		}
		x->recvd += (uint64_t)n;
	}
	return 0;
}

/* Returns 1 if the transfer finished. */
static int do_write(struct xfer *x)
{
	int i;

	for (i = 0; i < IO_PER_EVENT && x->sent < x->size; i++) {
		uint64_t left = x->size - x->sent;
		size_t n = (size_t)kr_rng_logrange(&x->rng, wmin, wmax);
		ssize_t w;

		if (n > left)
			n = (size_t)left;
		if (rst_after - x->sent < n)
			n = (size_t)(rst_after - x->sent);
		if (!n)
			break;
		kr_stream_fill(x->pseed, x->sent, wbuf, n);
		w = send(x->fd, wbuf, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			finish(x, 0, "write: %s", strerror(errno));
			return 1;
		}
		if (mode == X_ECHO && digest)
			kr_sha256_update(&x->hs, wbuf, (size_t)w);
		x->sent += (uint64_t)w;
		total_sent += (uint64_t)w;
		x->last_progress = kr_now();
		if ((size_t)w < n)
			break;
	}
	if (x->sent == rst_after && x->sent < x->size) {
		if (!quiet)
			printf("kr-xfer: rst transfer=%llu sent=%llu\n",
			       (unsigned long long)x->idx, (unsigned long long)x->sent);
		kr_linger0(x->fd);
		finish(x, 1, NULL);
		return 1;
	}
	if (x->sent == x->size && !x->wdone) {
		if (mode == X_FILL) {
			finish(x, 0, "wrote all %llu bytes without stalling: "
			       "no backpressure (raise --max?)", (unsigned long long)x->size);
			return 1;
		}
		if (shutdown(x->fd, SHUT_WR)) {
			finish(x, 0, "shutdown: %s", strerror(errno));
			return 1;
		}
		x->wdone = 1;
		if (x->reof) {
			complete(x);
			return 1;
		}
	}
	return 0;
}

static void on_event(struct xfer *x, uint32_t ev)
{
	if (x->state == S_FREE)	/* finished earlier in this batch */
		return;
	if (x->state == S_CONNECTING) {
		int err = kr_sock_error(x->fd);

		if (err)
			finish(x, 0, "connect: %s", strerror(err));
		else if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			on_connected(x);
		return;
	}
	if ((x->events & EPOLLIN) && (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) && do_read(x))
		return;
	if ((x->events & EPOLLOUT) && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && do_write(x))
		return;
	if (mode == X_FILL && (ev & (EPOLLERR | EPOLLHUP))) {
		int err = kr_sock_error(x->fd);

		finish(x, 0, "connection closed by peer while filling%s%s",
		       err ? ": " : "", err ? strerror(err) : "");
		return;
	}
	update_events(x);
}

static void check_timers(double now)
{
	uint64_t i;

	for (i = 0; i < parallel; i++) {
		struct xfer *x = &xf[i];

		if (x->state != S_RUNNING)
			continue;
		if (x->paused && now >= x->pause_end) {
			int unread = 0;

			ioctl(x->fd, FIONREAD, &unread);
			if (!quiet)
				printf("kr-xfer: pause transfer=%llu size=%llu written=%llu "
				       "unread=%d seconds=%.3f: wrote %llu bytes while not "
				       "reading for %.3f s\n", (unsigned long long)x->idx,
				       (unsigned long long)x->size,
				       (unsigned long long)x->sent, unread, pause_s,
				       (unsigned long long)x->sent, pause_s);
			x->paused = 0;
			npaused--;
			update_events(x);
		} else if (mode == X_FILL && now - x->last_progress >= stall_s) {
			if (!quiet)
				printf("kr-xfer: fill transfer=%llu written=%llu\n",
				       (unsigned long long)x->idx, (unsigned long long)x->sent);
			finish(x, 1, NULL);
		}
	}
}

static void fail_active(const char *why)
{
	uint64_t i;

	for (i = 0; i < parallel; i++)
		if (xf[i].state != S_FREE)
			finish(&xf[i], 0, "%s", why);
}

static void parse_args(int argc, char **argv)
{
	enum { O_MIN = 256, O_MAX, O_WMIN, O_WMAX, O_SEED, O_TIMEOUT, O_MODE,
	       O_PAUSE, O_DELAY, O_STALL, O_RST_AFTER, O_NO_DIGEST };
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "transfers", required_argument, NULL, 'n' },
		{ "parallel", required_argument, NULL, 'j' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "min", required_argument, NULL, O_MIN },
		{ "max", required_argument, NULL, O_MAX },
		{ "wmin", required_argument, NULL, O_WMIN },
		{ "wmax", required_argument, NULL, O_WMAX },
		{ "seed", required_argument, NULL, O_SEED },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "mode", required_argument, NULL, O_MODE },
		{ "pause-read", required_argument, NULL, O_PAUSE },
		{ "read-delay-ms", required_argument, NULL, O_DELAY },
		{ "stall", required_argument, NULL, O_STALL },
		{ "rst-after", required_argument, NULL, O_RST_AFTER },
		{ "no-digest", no_argument, NULL, O_NO_DIGEST },
		{ NULL, 0, NULL, 0 },
	};
	int opt, have_target = 0, have_bytes = 0;
	unsigned i;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:n:j:b:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': kr_opt_addr("-c", optarg, &target); have_target = 1; break;
		case 'n': ntransfers = kr_opt_u64("-n", optarg, 1, UINT32_MAX); break;
		case 'j': parallel = kr_opt_u64("-j", optarg, 1, 1000000); break;
		case 'b': dl_bytes = kr_opt_size("-b", optarg, 0, UINT64_MAX / 2); have_bytes = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); exit(KR_EXIT_OK);
		case O_MIN: min_size = kr_opt_size("--min", optarg, 0, UINT64_MAX / 2); break;
		case O_MAX: max_size = kr_opt_size("--max", optarg, 0, UINT64_MAX / 2); break;
		case O_WMIN: wmin = kr_opt_size("--wmin", optarg, 1, MAX_WCHUNK); break;
		case O_WMAX: wmax = kr_opt_size("--wmax", optarg, 1, MAX_WCHUNK); break;
		case O_SEED: seed = kr_opt_u64("--seed", optarg, 0, UINT64_MAX); break;
		case O_TIMEOUT: timeout_s = kr_opt_secs("--timeout", optarg); break;
		case O_PAUSE: pause_s = kr_opt_secs("--pause-read", optarg); break;
		case O_DELAY: pause_s = (double)kr_opt_u64("--read-delay-ms", optarg, 0,
							    UINT32_MAX) / 1000.0; break;
		case O_STALL: stall_s = kr_opt_secs("--stall", optarg); break;
		case O_NO_DIGEST: digest = 0; break;
		case O_RST_AFTER: rst_after = kr_opt_size("--rst-after", optarg, 0, UINT64_MAX / 2); break;
		case O_MODE:
			for (i = 0; i < sizeof(xmode_names) / sizeof(xmode_names[0]); i++)
				if (!strcmp(optarg, xmode_names[i]))
					break;
			if (i == sizeof(xmode_names) / sizeof(xmode_names[0]))
				kr_usage_error("invalid mode '%s' for --mode: expected echo, "
					       "upload, download, fill or both", optarg);
			mode = (enum xmode)i;
			break;
		default: kr_bad_option(opt, argv);
		}
	}
	if (optind < argc)
		kr_usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_target)
		kr_usage_error("missing -c ADDR:PORT");
	if (min_size > max_size)
		kr_usage_error("--min (%llu) is larger than --max (%llu)",
			       (unsigned long long)min_size, (unsigned long long)max_size);
	if (wmin > wmax)
		kr_usage_error("--wmin (%llu) is larger than --wmax (%llu)",
			       (unsigned long long)wmin, (unsigned long long)wmax);
	if ((mode == X_DOWNLOAD || mode == X_BOTH) && !have_bytes)
		kr_usage_error("--mode %s needs -b BYTES", xmode_names[mode]);
	if (mode != X_DOWNLOAD && mode != X_BOTH && have_bytes)
		kr_usage_error("-b is only meaningful with --mode download or both");
	if (pause_s > 0 && mode != X_ECHO && mode != X_DOWNLOAD)
		kr_usage_error("--pause-read works with --mode echo or download");
	if (rst_after != UINT64_MAX && mode != X_ECHO && mode != X_UPLOAD)
		kr_usage_error("--rst-after works with --mode echo or upload");
	if (timeout_s <= 0)
		kr_usage_error("--timeout must be positive");
	if (parallel > ntransfers)
		parallel = ntransfers;
}

int main(int argc, char **argv)
{
	struct epoll_event evs[MAX_EVENTS];
	char abuf[KR_ADDRSTRLEN];
	double t0, deadline, next_tick;
	uint64_t i;
	int interrupted = 0;

	kr_prog = "kr-xfer";
	parse_args(argc, argv);
	kr_setup_signals();
	kr_raise_nofile();
	xf = calloc(parallel, sizeof(*xf));
	freelist = calloc(parallel, sizeof(*freelist));
	wbuf = malloc(wmax);
	if (!xf || !freelist || !wbuf)
		kr_die("out of memory");
	for (i = parallel; i-- > 0;)
		freelist[nfree++] = (uint32_t)i;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		kr_die("epoll_create1: %s", strerror(errno));
	if (!quiet) {
		printf("kr-xfer: mode=%s target=%s transfers=%llu parallel=%llu seed=%llu\n",
		       xmode_names[mode], kr_addr_str(&target, abuf),
		       (unsigned long long)ntransfers, (unsigned long long)parallel,
		       (unsigned long long)seed);
		fflush(stdout);
	}

	t0 = kr_now();
	deadline = t0 + timeout_s;
	next_tick = t0 + TIMER_TICK;
	for (;;) {
		int n, timeout, k;
		double now;

		while (nfree && next_idx < ntransfers)
			start(&xf[freelist[--nfree]], next_idx++);
		if (!active)
			break;
		timeout = kr_ms_until(deadline);
		if ((npaused || mode == X_FILL) && timeout > 10)
			timeout = 10;
		n = epoll_wait(ep, evs, MAX_EVENTS, timeout);
		if (n < 0 && errno != EINTR)
			kr_die("epoll_wait: %s", strerror(errno));
		if (kr_stop) {
			interrupted = 1;
			fail_active("interrupted");
			break;
		}
		for (k = 0; k < n; k++)
			on_event(&xf[evs[k].data.u32], evs[k].events);
		now = kr_now();
		if (now >= deadline) {
			char why[80];

			snprintf(why, sizeof(why), "timeout (overall deadline %gs)", timeout_s);
			fail_active(why);
			break;
		}
		if ((npaused || mode == X_FILL) && now >= next_tick) {
			check_timers(now);
			next_tick = now + TIMER_TICK;
		}
	}
	if (n_unshown)
		printf("kr-xfer: FAIL %llu more failed transfers not shown\n",
		       (unsigned long long)n_unshown);
	if (next_idx < ntransfers) {
		printf("kr-xfer: FAIL %llu transfers not started (%s)\n",
		       (unsigned long long)(ntransfers - next_idx),
		       interrupted ? "interrupted" : "deadline");
		n_failed += ntransfers - next_idx;
	}
	printf("kr-xfer: transfers=%llu ok=%llu failed=%llu bytes_sent=%llu "
	       "bytes_received=%llu seconds=%.3f\n", (unsigned long long)ntransfers,
	       (unsigned long long)n_ok, (unsigned long long)n_failed,
	       (unsigned long long)total_sent, (unsigned long long)total_recvd,
	       kr_now() - t0);
	return n_failed ? KR_EXIT_FAIL : KR_EXIT_OK;
}
