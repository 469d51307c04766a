// SPDX-License-Identifier: GPL-2.0
/*
 * kr-rst: peers that end a connection with an RST after data, for testing
 * that a relay still delivers what was sent before the RST.
 *
 *   kr-rst reply -l ADDR:PORT -b BYTES [--seed N]
 *       Server, one connection: wait for the request (any bytes), never
 *       read it, send BYTES of the stream, wait until the peer has
 *       acknowledged all of it, then close: the unread request makes the
 *       kernel reset the connection (a server answering, then closing with
 *       an unread request body).  If sending or the acknowledgements take
 *       longer than --timeout, it closes (resets) all the same, with
 *       whatever was sent.
 *   kr-rst get -c ADDR:PORT -b BYTES [--seed N] [--pause SEC] [--rcvbuf B]
 *       Client for "reply": send a 4 KiB request, do not read for SEC
 *       seconds (default 0), then read to the end.  Ok iff exactly BYTES
 *       of the stream arrived, byte for byte.
 *   kr-rst put -c ADDR:PORT -b BYTES [--seed N]
 *       Client: send BYTES of the stream, wait until the peer acknowledged
 *       all of it, then reset the connection (SO_LINGER 0).
 *   kr-rst take -l ADDR:PORT -b BYTES [--seed N] [--pause SEC] [--rcvbuf B]
 *       Server for "put", one connection: do not read for SEC seconds, then
 *       read to the end.  Ok iff exactly BYTES of the stream arrived.
 *
 * --rcvbuf sets SO_RECVBUF (before connect or listen), so that a peer
 * that does not read leaves most of the data in the relay.  get and take
 * print "kr-rst: received=N expected=N end=reset|eof|error|timeout" (end:
 * how the stream ended) and a line naming the first wrong byte if any.
 * Exit 0 iff ok (reply and put: everything sent and acknowledged), 1
 * otherwise, 2 on usage errors.  Each role gives up after --timeout SEC
 * (default 60).
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK	(64 * 1024)

static uint64_t seed = 1, bytes;
static double pause_s, timeout_s = 60;
static int rcvbuf;

static void set_rcvbuf(int fd)
{
	if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf)))
		kr_die("SO_RCVBUF: %s", strerror(errno));
}

static int accept_one(const struct kr_addr *a)
{
	int one = 1, lfd, fd;

	lfd = socket(kr_addr_family(a), SOCK_STREAM, 0);
	if (lfd < 0)
		kr_die("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_rcvbuf(lfd);
	if (bind(lfd, (const struct sockaddr *)&a->ss, a->len) ||
	    listen(lfd, 1))
		kr_die("listen: %s", strerror(errno));
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		kr_die("accept: %s", strerror(errno));
	close(lfd);
	return fd;
}

static int connect_to(const struct kr_addr *a)
{
	int fd = socket(kr_addr_family(a), SOCK_STREAM, 0);

	if (fd < 0)
		kr_die("socket: %s", strerror(errno));
	set_rcvbuf(fd);
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len))
		kr_die("connect: %s", strerror(errno));
	return fd;
}

/* Send the stream; 0 if all of it was sent before @deadline. */
static int send_stream(int fd, double deadline)
{
	static char buf[CHUNK];
	uint64_t off = 0;

	while (off < bytes) {
		size_t n = bytes - off < CHUNK ? bytes - off : CHUNK;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int ms = kr_ms_until(deadline);
		ssize_t w;

		if (ms <= 0 || poll(&p, 1, ms) <= 0) {
			kr_warn("sent %llu of %llu bytes in %.0f s",
				(unsigned long long)off,
				(unsigned long long)bytes, timeout_s);
			return 1;
		}
		kr_stream_fill(seed, off, buf, n);
		w = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			kr_die("send at offset %llu: %s",
			       (unsigned long long)off, strerror(errno));
		off += w;
	}
	return 0;
}

/* Wait until the peer acknowledged everything we sent; 0 if it did. */
static int wait_acked(int fd, double deadline)
{
	int outq = -1;

	while (kr_now() < deadline) {
		if (ioctl(fd, SIOCOUTQ, &outq))
			kr_die("SIOCOUTQ: %s", strerror(errno));
		if (!outq)
			return 0;
		usleep(10000);
	}
	kr_warn("%d bytes still unacknowledged after %.0f s", outq, timeout_s);
	return 1;
}

/* Read to the end; returns the exit status. */
static int read_stream(int fd)
{
	static char buf[CHUNK];
	double deadline = kr_now() + timeout_s;
	uint64_t got = 0, bad = UINT64_MAX;
	const char *end = "timeout";
	int err = 0;

	if (pause_s > 0)
		usleep((useconds_t)(pause_s * 1e6));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = kr_ms_until(deadline);
		ssize_t n;

		if (ms <= 0 || poll(&p, 1, ms) <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			end = err == ECONNRESET ? "reset" : "error";
			break;
		}
		if (n == 0) {
			end = "eof";
			break;
		}
		if (bad == UINT64_MAX) {
			size_t i = kr_stream_cmp(seed, got, buf, n);

			if (i < (size_t)n)
				bad = got + i;
		}
		got += n;
	}
	printf("kr-rst: received=%llu expected=%llu end=%s\n",
	       (unsigned long long)got, (unsigned long long)bytes, end);
	if (err && err != ECONNRESET)
		printf("kr-rst: read: %s\n", strerror(err));
	if (bad != UINT64_MAX)
		printf("kr-rst: first wrong byte at offset %llu\n",
		       (unsigned long long)bad);
	fflush(stdout);
	return got == bytes && bad == UINT64_MAX ? 0 : 1;
}

static void usage(void)
{
	kr_usage_error("usage: kr-rst reply|take -l ADDR:PORT -b BYTES | get|put -c ADDR:PORT -b BYTES [--seed N] [--pause SEC] [--rcvbuf B] [--timeout SEC]");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "pause", required_argument, NULL, 'p' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kr_addr a;
	const char *role, *addr = NULL;
	char req[4096];
	double deadline;
	int opt, fd, ret;

	kr_prog = "kr-rst";
	if (argc < 2)
		usage();
	role = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, ":l:c:b:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
		case 'c':
			addr = optarg;
			break;
		case 'b':
			bytes = kr_opt_size("-b", optarg, 1, 1ULL << 34);
			break;
		case 's':
			seed = kr_opt_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case 'p':
			pause_s = kr_opt_secs("--pause", optarg);
			break;
		case 'r':
			rcvbuf = kr_opt_size("--rcvbuf", optarg, 1, 1 << 30);
			break;
		case 't':
			timeout_s = kr_opt_secs("--timeout", optarg);
			break;
		case 'h':
			usage();
			break;
		default:
			kr_bad_option(opt, argv);
		}
	}
	if (optind != argc || !addr || !bytes)
		usage();
	kr_opt_addr(strcmp(role, "reply") && strcmp(role, "take") ?
		    "-c" : "-l", addr, &a);

	if (!strcmp(role, "reply")) {
		struct pollfd p;

		fd = accept_one(&a);
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, (int)(timeout_s * 1000)) != 1)
			kr_die("no request");
		deadline = kr_now() + timeout_s;
		ret = send_stream(fd, deadline) || wait_acked(fd, deadline);
		close(fd);	/* unread request: RST */
		return ret;
	}
	if (!strcmp(role, "get")) {
		fd = connect_to(&a);
		memset(req, 'r', sizeof(req));
		if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
			kr_die("send request: %s", strerror(errno));
		ret = read_stream(fd);
		close(fd);
		return ret;
	}
	if (!strcmp(role, "put")) {
		fd = connect_to(&a);
		deadline = kr_now() + timeout_s;
		ret = send_stream(fd, deadline) || wait_acked(fd, deadline);
		kr_linger0(fd);
		close(fd);
		return ret;
	}
	if (!strcmp(role, "take")) {
		fd = accept_one(&a);
		ret = read_stream(fd);
		close(fd);
		return ret;
	}
	usage();
	return 2;
}
