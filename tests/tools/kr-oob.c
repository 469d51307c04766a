// SPDX-License-Identifier: GPL-2.0
/*
 * kr-oob: a TCP client that sends urgent (out-of-band) data.
 *
 *   kr-oob [-t SECS] HOST:PORT
 *
 * Sends "hello", then one byte "X" with MSG_OOB, then "world", shuts its
 * write side down and reads until EOF.  Prints what it read (with a
 * newline) and exits 0 on EOF, 3 when no EOF came within SECS (default 10;
 * what was read so far is printed), 1 on errors.  Behind an echo server
 * that does not ask for urgent data inline, a direct connection reads
 * "helloworld": the urgent byte is not part of the stream.
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void send_all(int fd, const char *s, int flags)
{
	size_t n = strlen(s);

	if (send(fd, s, n, flags | MSG_NOSIGNAL) != (ssize_t)n)
		kr_die("send: %s", strerror(errno));
	usleep(50000);	/* separate segments */
}

int main(int argc, char **argv)
{
	struct kr_addr a;
	double secs = 10, deadline;
	char buf[256];
	size_t got = 0;
	int fd, opt, eof = 0;

	kr_prog = "kr-oob";
	while ((opt = getopt(argc, argv, "t:")) != -1) {
		switch (opt) {
		case 't':
			secs = kr_opt_secs("-t", optarg);
			break;
		default:
			kr_bad_option(opt, argv);
		}
	}
	if (optind != argc - 1)
		kr_usage_error("usage: kr-oob [-t SECS] HOST:PORT");
	kr_opt_addr("HOST:PORT", argv[optind], &a);

	fd = socket(kr_addr_family(&a), SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a.ss, a.len))
		kr_die("connect %s: %s", argv[optind], strerror(errno));
	send_all(fd, "hello", 0);
	send_all(fd, "X", MSG_OOB);
	send_all(fd, "world", 0);
	if (shutdown(fd, SHUT_WR))
		kr_die("shutdown: %s", strerror(errno));

	deadline = kr_now() + secs;
	while (got < sizeof(buf) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = kr_ms_until(deadline);
		ssize_t n;

		if (ms <= 0 || poll(&p, 1, ms) <= 0)
			break;
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			kr_die("read: %s", strerror(errno));
		if (n == 0) {
			eof = 1;
			break;
		}
		if (n > 0)
			got += n;
	}
	buf[got] = 0;
	printf("%s\n", buf);
	close(fd);
	return eof ? 0 : 3;
}
