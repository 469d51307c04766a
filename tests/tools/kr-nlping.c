// SPDX-License-Identifier: GPL-2.0
/*
 * kr-nlping: keep asking the generic netlink controller (nlctrl, a family
 * that runs under the global genl_mutex) for the "krelay" family, one
 * request at a time, and report the longest wait for a reply.
 *
 *   kr-nlping [-t SECS] [-s STOPFILE]
 *
 * Any answer counts, an error too (the family may be gone).
 * Runs until STOPFILE exists or SECS (default 60) have passed, then prints
 * "replies=N max_gap_ms=M" (M: the longest time between two consecutive
 * replies, or from the start to the first).  Exits 1 on errors.  While
 * another family's handler holds genl_mutex, the controller cannot answer:
 * the gap shows for how long.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

struct req {
	struct nlmsghdr n;
	struct genlmsghdr g;
	struct nlattr a;
	char name[8];
};

int main(int argc, char **argv)
{
	const char *stop = NULL;
	double secs = 60, end, last, gap = 0;
	unsigned long replies = 0;
	struct req r;
	char buf[8192];
	int fd, opt;

	kr_prog = "kr-nlping";
	while ((opt = getopt(argc, argv, "t:s:")) != -1) {
		switch (opt) {
		case 't':
			secs = kr_opt_secs("-t", optarg);
			break;
		case 's':
			stop = optarg;
			break;
		default:
			kr_bad_option(opt, argv);
		}
	}
	if (optind != argc)
		kr_usage_error("usage: kr-nlping [-t SECS] [-s STOPFILE]");

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0)
		kr_die("socket: %s", strerror(errno));
	memset(&r, 0, sizeof(r));
	r.n.nlmsg_len = sizeof(r);
	r.n.nlmsg_type = GENL_ID_CTRL;
	r.n.nlmsg_flags = NLM_F_REQUEST;
	r.g.cmd = CTRL_CMD_GETFAMILY;
	r.g.version = 1;
	r.a.nla_type = CTRL_ATTR_FAMILY_NAME;
	r.a.nla_len = NLA_HDRLEN + sizeof("krelay");
	memcpy(r.name, "krelay", sizeof("krelay"));

	last = kr_now();
	end = last + secs;
	while (kr_now() < end && !(stop && access(stop, F_OK) == 0)) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		double now;
		ssize_t n;

		r.n.nlmsg_seq++;
		if (send(fd, &r, sizeof(r), 0) < 0)
			kr_die("send: %s", strerror(errno));
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < (ssize_t)sizeof(*h))
			kr_die("recv: %s", n < 0 ? strerror(errno) : "short reply");
		/* an error (no such family) is an answer from nlctrl too */
		now = kr_now();
		if (now - last > gap)
			gap = now - last;
		last = now;
		replies++;
	}
	printf("replies=%lu max_gap_ms=%.0f\n", replies, gap * 1000);
	return 0;
}
