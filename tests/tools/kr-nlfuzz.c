// SPDX-License-Identifier: GPL-2.0
/*
 * kr-nlfuzz: generic netlink fuzzer for the krelay family, plus two probes
 * used by the security tests.
 *
 *   fuzz (default)  send N random or mutated messages to the family: random
 *                   commands (0, valid, > KRELAY_CMD_MAX), flags, genl
 *                   version/reserved bytes, attribute trees built from the
 *                   uapi enums (random types, lengths, nesting), mutations of
 *                   a corpus of well-formed messages (bit flips, truncation,
 *                   length lies, duplicated attributes, extra nesting,
 *                   trailing bytes, several messages in one datagram) and
 *                   dumps abandoned midway.  Replies are drained without
 *                   blocking and counted by errno; a summary goes to stdout.
 *   --probe         send a fixed list of malformed messages, print one line
 *                   per probe: "probe NAME errno=E msg=EXTACK".
 *   --dump-hex      dump rules, connections and stats; print every reply
 *                   message as "hex CMD BYTES" (for pointer-leak checks).
 *
 * Safety: every RULE_NEW listen port the kernel could parse is forced into
 * the --ports range before sending, every message goes to the krelay family
 * only (the nlmsg type of every message packed in a datagram is rewritten),
 * and rules that exist when the fuzzer starts are never named by id.
 *
 * Attribute numbers come from include/uapi/linux/krelay.h (*_MAX names), so
 * new attributes and commands are fuzzed as soon as they are in the header.
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <linux/genetlink.h>
#include <linux/krelay.h>
#include <linux/netlink.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define MSG_MAX		8192
#define RECV_MAX	(256 * 1024)
#define MAX_PROTECT	256
#define MAX_KNOWN	64

static struct kr_rng rng;
static uint16_t family;
static uint32_t seq_next = 1;
static uint16_t port_lo = 20000, port_hi = 20999;
static uint32_t protect[MAX_PROTECT];
static unsigned int nprotect;
static uint32_t known_rule[MAX_KNOWN];	/* ids of rules we created */
static unsigned int nknown;
/* Admin requests the kernel will execute, by seq: a success counts once. */
static struct { uint32_t seq; uint8_t admin; } sent_tab[65536];
static uint8_t rbuf[RECV_MAX];
static int verbose;

/* ---- outcome counters -------------------------------------------------- */

static uint64_t n_sent, n_dgram, n_send_err[256], n_err[256], n_ack_ok, n_data, n_done,
	n_trunc, n_overrun, n_dump_start, n_dump_abandon, n_admin_ok,
	n_packed, n_mutated, n_random, n_valid;

static int is_admin_cmd(unsigned int cmd)
{
	return cmd == KRELAY_CMD_RULE_NEW || cmd == KRELAY_CMD_RULE_DEL ||
	       cmd == KRELAY_CMD_RULE_SET || cmd == KRELAY_CMD_CONN_DEL;
}

static uint64_t rnd(uint64_t lo, uint64_t hi) { return kr_rng_range(&rng, lo, hi); }
static int chance(unsigned int pct) { return rnd(0, 99) < pct; }

/* ---- message building -------------------------------------------------- */

struct msg {
	uint8_t b[MSG_MAX];
	size_t len;
	int fixed_len;		/* nlmsg_len was set deliberately: keep it */
};

static struct nlmsghdr *nlh(struct msg *m) { return (struct nlmsghdr *)m->b; }

static void msg_init(struct msg *m, uint8_t cmd, uint16_t flags)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	nlh(m)->nlmsg_type = family;
	nlh(m)->nlmsg_flags = NLM_F_REQUEST | flags;
	g = (struct genlmsghdr *)(m->b + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = KRELAY_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Appends an attribute; returns its offset (for nests) or -1 if full. */
static long put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a;
	size_t off = m->len;

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > MSG_MAX)
		return -1;
	a = (struct nlattr *)(m->b + off);
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy(m->b + off + NLA_HDRLEN, data, len);
	memset(m->b + off + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	m->len = off + NLA_HDRLEN + NLA_ALIGN(len);
	return (long)off;
}

static void put_u8(struct msg *m, uint16_t t, uint8_t v) { put(m, t, &v, 1); }
static void put_u16(struct msg *m, uint16_t t, uint16_t v) { put(m, t, &v, 2); }
static void put_u32(struct msg *m, uint16_t t, uint32_t v) { put(m, t, &v, 4); }
static void put_u64(struct msg *m, uint16_t t, uint64_t v) { put(m, t, &v, 8); }

static long nest_start(struct msg *m, uint16_t type)
{
	return put(m, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct msg *m, long off)
{
	if (off >= 0)
		((struct nlattr *)(m->b + off))->nla_len = (uint16_t)(m->len - (size_t)off);
}

static void msg_finish(struct msg *m)
{
	if (!m->fixed_len)
		nlh(m)->nlmsg_len = (uint32_t)m->len;
}

static uint16_t rand_port(void) { return htons((uint16_t)rnd(port_lo, port_hi)); }

/* A valid endpoint nest: 127.0.0.1, 0.0.0.0 or ::1, port in range. */
static void put_addr(struct msg *m, uint16_t type, uint16_t port_be)
{
	long n = nest_start(m, type);
	unsigned int k = (unsigned int)rnd(0, 2);

	if (k == 2) {
		uint8_t v6[16] = { [15] = 1 };

		put(m, KRELAY_ADDR_A_IPV6, v6, sizeof(v6));
	} else {
		uint32_t v4 = k ? htonl(0x7f000001) : 0;

		put(m, KRELAY_ADDR_A_IPV4, &v4, 4);
	}
	put(m, KRELAY_ADDR_A_PORT | (chance(10) ? NLA_F_NET_BYTEORDER : 0),
	    &port_be, 2);
	nest_end(m, n);
}

/*
 * A backend list: one to three entries, each an address nest and sometimes
 * a weight, as KRELAY_A_BACKENDS carries them.
 */
static void put_backends(struct msg *m, uint16_t port_be)
{
	long list = nest_start(m, KRELAY_A_BACKENDS);
	int i, n = (int)rnd(1, 3);

	for (i = 0; i < n; i++) {
		long e = nest_start(m, (uint16_t)(i + 1));
		uint16_t p = i ? (uint16_t)htons((uint16_t)(ntohs(port_be) + i)) : port_be;

		put_addr(m, KRELAY_BACKEND_A_ADDR, p);
		if (chance(30))
			put_u32(m, KRELAY_BACKEND_A_WEIGHT, (uint32_t)rnd(0, 10001));
		nest_end(m, e);
	}
	nest_end(m, list);
}

static uint32_t pick_rule_id(void)
{
	if (nknown && chance(60))
		return known_rule[rnd(0, nknown - 1)];
	return (uint32_t)rnd(1, 64);
}

static void put_rule_name(struct msg *m)
{
	if (chance(60))
		put_u32(m, KRELAY_A_RULE_ID, pick_rule_id());
	else
		put_addr(m, KRELAY_A_LISTEN, rand_port());
}

static void put_rule_opts(struct msg *m, int backend)
{
	if (backend)
		put_backends(m, rand_port());
	if (chance(40))
		put_u8(m, KRELAY_A_MODE, (uint8_t)rnd(0, KRELAY_MODE_MAX));
	if (chance(30))
		put_u32(m, KRELAY_A_CONNECT_TIMEOUT_MS, (uint32_t)rnd(1, 600000));
	if (chance(30))
		put_u32(m, KRELAY_A_IDLE_TIMEOUT_MS, (uint32_t)rnd(0, 86400000));
}

/* One well-formed message of the corpus. */
static void gen_valid(struct msg *m)
{
	switch (rnd(0, 7)) {
	case 0:
	case 1:
		msg_init(m, KRELAY_CMD_RULE_NEW, NLM_F_ACK);
		put_addr(m, KRELAY_A_LISTEN, rand_port());
		put_rule_opts(m, 1);
		if (chance(30))
			put_u32(m, KRELAY_A_BACKLOG, (uint32_t)rnd(1, 128));
		break;
	case 2:
		msg_init(m, KRELAY_CMD_RULE_DEL, NLM_F_ACK);
		put_rule_name(m);
		break;
	case 3:
		if (chance(50)) {
			msg_init(m, KRELAY_CMD_RULE_GET, NLM_F_DUMP);
		} else {
			msg_init(m, KRELAY_CMD_RULE_GET, 0);
			put_rule_name(m);
		}
		break;
	case 4:
		msg_init(m, KRELAY_CMD_RULE_SET, NLM_F_ACK);
		put_rule_name(m);
		put_rule_opts(m, chance(50));
		break;
	case 5:
		msg_init(m, KRELAY_CMD_STATS_GET, 0);
		break;
	case 6:
		msg_init(m, KRELAY_CMD_CONN_GET, NLM_F_DUMP);
		if (chance(40))
			put_u32(m, KRELAY_A_RULE_ID, pick_rule_id());
		break;
	default:
		msg_init(m, KRELAY_CMD_CONN_DEL, NLM_F_ACK);
		put_u64(m, KRELAY_A_CONN_ID, rnd(0, 1000));
		break;
	}
}

/* Interesting scalar payloads: boundaries of the policies, all-ones, ... */
static void fill_scalar(uint8_t *p, size_t len)
{
	static const uint32_t vals[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 65535, 65536,
		600000, 600001, 86400000, 86400001, 0x7fffffff, 0x80000000,
		0xffffffff,
	};
	size_t i;

	if (chance(50) && len >= 1) {
		uint64_t v = vals[rnd(0, sizeof(vals) / sizeof(vals[0]) - 1)];

		if (chance(20))
			v |= (uint64_t)vals[rnd(0, 17)] << 32;
		memset(p, 0, len);
		memcpy(p, &v, len < 8 ? len : 8);
		return;
	}
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rnd(0, 255);
}

/* Maximum attribute type of the nest carried by top-level/child type t. */
static int nest_max(int level_max, int parent, uint16_t t)
{
	(void)level_max;
	if (parent == 0) {
		if (t == KRELAY_A_LISTEN || t == KRELAY_A_SOURCE)
			return KRELAY_ADDR_A_MAX;
		if (t == KRELAY_A_STATS)
			return KRELAY_STATS_A_MAX;
		if (t == KRELAY_A_CONN)
			return KRELAY_CONN_A_MAX;
		return -1;
	}
	if (parent == KRELAY_A_CONN &&
	    (t == KRELAY_CONN_A_CLIENT || t == KRELAY_CONN_A_BACKEND))
		return KRELAY_ADDR_A_MAX;
	return -1;
}

static uint16_t pick_port_be(void)
{
	return chance(90) ? rand_port() : htons((uint16_t)rnd(1, 65535));
}

/* A random attribute tree of at most `depth` levels below this one. */
static void gen_attrs(struct msg *m, int maxtype, int parent, int depth)
{
	unsigned int n = (unsigned int)rnd(0, 6), i;
	uint8_t buf[80];

	for (i = 0; i < n && m->len < MSG_MAX - 256; i++) {
		uint16_t t;
		int sub;
		size_t len;

		if (chance(85))
			t = (uint16_t)rnd(0, (uint64_t)maxtype + 2);
		else
			t = (uint16_t)rnd(0, 0x3fff);
		sub = nest_max(maxtype, parent, t);
		if (depth > 0 && (sub >= 0 ? chance(85) : chance(10))) {
			long off = put(m, t | (chance(90) ? NLA_F_NESTED : 0), NULL, 0);

			if (off < 0)
				return;
			gen_attrs(m, sub >= 0 ? sub : maxtype, sub >= 0 ? t : parent,
				  depth - 1);
			nest_end(m, off);
			continue;
		}
		switch (rnd(0, 6)) {
		case 0: len = 0; break;
		case 1: len = 1; break;
		case 2: len = 2; break;
		case 3: len = 4; break;
		case 4: len = 8; break;
		case 5: len = 16; break;
		default: len = (size_t)rnd(0, sizeof(buf)); break;
		}
		fill_scalar(buf, len);
		if (sub == KRELAY_ADDR_A_MAX && len == 2)
			memcpy(buf, &(uint16_t){ pick_port_be() }, 2);
		if (chance(5))
			t |= NLA_F_NET_BYTEORDER;
		if (put(m, t, buf, len) < 0)
			return;
	}
}

static uint16_t rand_flags(void)
{
	static const uint16_t f[] = {
		NLM_F_ACK, NLM_F_DUMP, NLM_F_ROOT, NLM_F_MATCH, NLM_F_ECHO,
		NLM_F_MULTI, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_APPEND,
		NLM_F_DUMP_INTR, 0x1000, 0x4000, 0x8000,
	};
	uint16_t v = 0;
	unsigned int i, n = (unsigned int)rnd(0, 3);

	for (i = 0; i < n; i++)
		v |= f[rnd(0, sizeof(f) / sizeof(f[0]) - 1)];
	return v;
}

static uint8_t rand_cmd(void)
{
	if (chance(85))
		return (uint8_t)rnd(0, KRELAY_CMD_MAX + 2);
	return (uint8_t)rnd(0, 255);
}

/* A message from scratch: random header fields and attribute tree. */
static void gen_random(struct msg *m)
{
	struct genlmsghdr *g;

	msg_init(m, rand_cmd(), rand_flags());
	g = (struct genlmsghdr *)(m->b + NLMSG_HDRLEN);
	if (chance(10))
		g->version = (uint8_t)rnd(0, 255);
	if (chance(10))
		g->reserved = (uint16_t)rnd(0, 0xffff);
	gen_attrs(m, KRELAY_A_MAX, 0, (int)rnd(0, 4));
}

/* Offsets of the top-level attributes of m (well-formed part only). */
static size_t top_attrs(const struct msg *m, size_t *off, size_t max)
{
	size_t p = NLMSG_HDRLEN + GENL_HDRLEN, n = 0;

	while (p + NLA_HDRLEN <= m->len && n < max) {
		const struct nlattr *a = (const void *)(m->b + p);

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > m->len)
			break;
		off[n++] = p;
		p += NLA_ALIGN(a->nla_len);
	}
	return n;
}

static void mutate(struct msg *m)
{
	unsigned int k, nm = (unsigned int)rnd(1, 3);
	size_t off[64], na;

	for (k = 0; k < nm; k++) {
		na = top_attrs(m, off, 64);
		switch (rnd(0, 10)) {
		case 0: /* bit flips */
		case 1: {
			unsigned int i, nf = (unsigned int)rnd(1, 4);

			for (i = 0; i < nf && m->len; i++) {
				size_t p = (size_t)rnd(0, m->len - 1);

				m->b[p] ^= (uint8_t)(1u << rnd(0, 7));
			}
			break;
		}
		case 2: /* truncation */
			if (m->len > NLMSG_HDRLEN)
				m->len = (size_t)rnd(NLMSG_HDRLEN, m->len - 1);
			break;
		case 3: /* nlmsg_len lie */
			m->fixed_len = 1;
			nlh(m)->nlmsg_len = chance(50) ? (uint32_t)rnd(0, m->len + 64)
						       : (uint32_t)rnd(0, 0xffffffff);
			break;
		case 4: /* nla_len lie */
			if (na) {
				struct nlattr *a = (void *)(m->b + off[rnd(0, na - 1)]);

				a->nla_len = (uint16_t)(chance(50) ? rnd(0, 64) : rnd(0, 0xffff));
			}
			break;
		case 5: /* duplicated attribute */
			if (na) {
				size_t p = off[rnd(0, na - 1)];
				struct nlattr *a = (void *)(m->b + p);
				size_t l = NLA_ALIGN(a->nla_len);

				if (m->len + l <= MSG_MAX) {
					memcpy(m->b + m->len, m->b + p, l);
					m->len += l;
				}
			}
			break;
		case 6: /* wrap the attributes from one on into a nest */
			if (na && m->len + NLA_HDRLEN <= MSG_MAX) {
				size_t p = off[rnd(0, na - 1)];
				struct nlattr *a = (void *)(m->b + p);

				memmove(m->b + p + NLA_HDRLEN, m->b + p, m->len - p);
				m->len += NLA_HDRLEN;
				a->nla_type = (uint16_t)rnd(0, KRELAY_A_MAX + 1) |
					      (chance(70) ? NLA_F_NESTED : 0);
				a->nla_len = (uint16_t)(m->len - p);
			}
			break;
		case 7: /* toggle nla_type flag bits / change type */
			if (na) {
				struct nlattr *a = (void *)(m->b + off[rnd(0, na - 1)]);

				if (chance(50))
					a->nla_type ^= chance(50) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
				else
					a->nla_type = (uint16_t)rnd(0, KRELAY_A_MAX + 2);
			}
			break;
		case 8: /* trailing garbage */ {
			size_t i, n = (size_t)rnd(1, 7);

			for (i = 0; i < n && m->len < MSG_MAX; i++)
				m->b[m->len++] = (uint8_t)rnd(0, 255);
			break;
		}
		case 9: /* header fields */ {
			struct genlmsghdr *g = (void *)(m->b + NLMSG_HDRLEN);

			if (m->len < NLMSG_HDRLEN + GENL_HDRLEN)
				break;
			switch (rnd(0, 3)) {
			case 0: g->cmd = rand_cmd(); break;
			case 1: g->version = (uint8_t)rnd(0, 255); break;
			case 2: g->reserved = (uint16_t)rnd(1, 0xffff); break;
			default: nlh(m)->nlmsg_flags ^= rand_flags(); break;
			}
			break;
		}
		default: /* random attributes appended */
			gen_attrs(m, KRELAY_A_MAX, 0, (int)rnd(0, 2));
			break;
		}
	}
}

/* ---- safety net: what the kernel will parse must stay in bounds --------- */

static int protected_id(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < nprotect; i++)
		if (protect[i] == id)
			return 1;
	return 0;
}

static void clamp_listen(uint8_t *p, size_t len)
{
	size_t q = 0;

	while (q + NLA_HDRLEN <= len) {
		struct nlattr *a = (void *)(p + q);
		uint16_t port;

		if (a->nla_len < NLA_HDRLEN || q + a->nla_len > len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == KRELAY_ADDR_A_PORT &&
		    a->nla_len >= NLA_HDRLEN + 2) {
			memcpy(&port, p + q + NLA_HDRLEN, 2);
			port = ntohs(port);
			if (port < port_lo || port > port_hi) {
				port = (uint16_t)(port_lo + port % (port_hi - port_lo + 1));
				port = htons(port);
				memcpy(p + q + NLA_HDRLEN, &port, 2);
			}
		}
		q += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Walks the datagram as netlink_rcv_skb() and the attribute parser will:
 * every message is sent to our family; listen ports are forced into range;
 * protected rule ids are changed.
 */
static void sanitize(uint8_t *b, size_t len)
{
	size_t p = 0, n = 0;

	while (p + NLMSG_HDRLEN <= len) {
		struct nlmsghdr *h = (void *)(b + p);
		size_t end, q;

		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len - p)
			break;
		h->nlmsg_type = family;
		end = p + h->nlmsg_len;
		/* what the kernel will run: only requests, of a known cmd */
		n++;
		sent_tab[h->nlmsg_seq & 0xffff].seq = h->nlmsg_seq;
		sent_tab[h->nlmsg_seq & 0xffff].admin =
			h->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN &&
			(h->nlmsg_flags & NLM_F_REQUEST) &&
			is_admin_cmd(((struct genlmsghdr *)(b + p + NLMSG_HDRLEN))->cmd);
		q = p + NLMSG_HDRLEN + GENL_HDRLEN;
		while (q + NLA_HDRLEN <= end) {
			struct nlattr *a = (void *)(b + q);
			uint16_t t = a->nla_type & NLA_TYPE_MASK;

			if (a->nla_len < NLA_HDRLEN || q + a->nla_len > end)
				break;
			if (t == KRELAY_A_LISTEN)
				clamp_listen(b + q + NLA_HDRLEN, a->nla_len - NLA_HDRLEN);
			if (t == KRELAY_A_RULE_ID && a->nla_len >= NLA_HDRLEN + 4) {
				uint32_t id;

				memcpy(&id, b + q + NLA_HDRLEN, 4);
				while (protected_id(id))
					id = id + 100000;
				memcpy(b + q + NLA_HDRLEN, &id, 4);
			}
			q += NLA_ALIGN(a->nla_len);
		}
		p += NLMSG_ALIGN(h->nlmsg_len);
	}
	n_sent += n ? n : 1;	/* a broken header is one message too */
}

/* ---- socket I/O ----------------------------------------------------------- */

static int nl_open(int nonblock)
{
	int fd, one = 1, sz = 1 << 20;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
		    NETLINK_GENERIC);
	if (fd < 0)
		kr_die("netlink socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		kr_die("netlink bind: %s", strerror(errno));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return fd;
}

static int nl_send(int fd, const void *b, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t r;

	r = sendto(fd, b, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0)
		return -errno;
	return 0;
}

/* Waits up to ms for the socket to be readable; 1 if it is. */
static int nl_wait(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

static ssize_t nl_recv(int fd)
{
	ssize_t r = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT | MSG_TRUNC);

	if (r < 0)
		return -errno;
	if ((size_t)r > sizeof(rbuf)) {
		n_trunc++;
		r = sizeof(rbuf);
	}
	return r;
}

/* Extended ack of an NLMSG_ERROR (NETLINK_CAP_ACK on): message, offset. */
static void ext_ack(const struct nlmsghdr *h, const char **msg, int *offs)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t p = NLMSG_HDRLEN + sizeof(*e);

	*msg = NULL;
	*offs = -1;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		p += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	while (p + NLA_HDRLEN <= h->nlmsg_len) {
		const struct nlattr *a = (const void *)((const uint8_t *)h + p);

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > h->nlmsg_len)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG && a->nla_len > NLA_HDRLEN)
			*msg = (const char *)a + NLA_HDRLEN;
		if (a->nla_type == NLMSGERR_ATTR_OFFS && a->nla_len >= NLA_HDRLEN + 4)
			memcpy(offs, (const uint8_t *)a + NLA_HDRLEN, 4);
		p += NLA_ALIGN(a->nla_len);
	}
}

static void remember_rule(const struct nlmsghdr *h)
{
	const uint8_t *b = (const uint8_t *)h;
	size_t p = NLMSG_HDRLEN + GENL_HDRLEN;

	while (p + NLA_HDRLEN <= h->nlmsg_len) {
		const struct nlattr *a = (const void *)(b + p);

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > h->nlmsg_len)
			break;
		if (a->nla_type == KRELAY_A_RULE_ID && a->nla_len >= NLA_HDRLEN + 4) {
			uint32_t id;

			memcpy(&id, b + p + NLA_HDRLEN, 4);
			if (!protected_id(id))
				known_rule[nknown < MAX_KNOWN ? nknown++ : rnd(0, MAX_KNOWN - 1)] = id;
			return;
		}
		p += NLA_ALIGN(a->nla_len);
	}
}

static void count_admin_ok(uint32_t seq)
{
	if (sent_tab[seq & 0xffff].admin && sent_tab[seq & 0xffff].seq == seq) {
		n_admin_ok++;
		sent_tab[seq & 0xffff].admin = 0;
	}
}

/* Counts every reply queued on fd (continuing dumps), without blocking. */
static void drain(int fd)
{
	for (;;) {
		ssize_t r = nl_recv(fd);
		size_t p = 0;

		if (r == -EAGAIN || r == -EWOULDBLOCK)
			return;
		if (r == -ENOBUFS) {
			n_overrun++;
			continue;
		}
		if (r < 0) {
			n_err[(-r) & 0xff]++;
			return;
		}
		while (p + NLMSG_HDRLEN <= (size_t)r) {
			struct nlmsghdr *h = (void *)(rbuf + p);

			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > (size_t)r - p)
				break;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				int err = -e->error;

				if (err == 0) {
					n_ack_ok++;
					count_admin_ok(h->nlmsg_seq);
				} else {
					n_err[err & 0xff]++;
				}
				if (verbose > 1) {
					const char *msg;
					int offs;

					ext_ack(h, &msg, &offs);
					printf("  reply seq %u errno %d %s\n", h->nlmsg_seq,
					       err, msg ? msg : "");
				}
			} else if (h->nlmsg_type == NLMSG_DONE) {
				n_done++;
			} else if (h->nlmsg_type == family) {
				const struct genlmsghdr *g = NLMSG_DATA(h);

				n_data++;
				if (g->cmd == KRELAY_CMD_RULE_NEW && !(h->nlmsg_flags & NLM_F_MULTI)) {
					count_admin_ok(h->nlmsg_seq);
					remember_rule(h);	/* a created rule */
				}
			}
			p += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
}

/* ---- family id and protected rules ---------------------------------------- */

static uint16_t resolve_family(int fd)
{
	struct msg m;
	long t = 0;
	int tries;

	memset(&m, 0, sizeof(m));
	nlh(&m)->nlmsg_type = GENL_ID_CTRL;
	nlh(&m)->nlmsg_flags = NLM_F_REQUEST;
	nlh(&m)->nlmsg_seq = 1;
	((struct genlmsghdr *)(m.b + NLMSG_HDRLEN))->cmd = CTRL_CMD_GETFAMILY;
	((struct genlmsghdr *)(m.b + NLMSG_HDRLEN))->version = 1;
	m.len = NLMSG_HDRLEN + GENL_HDRLEN;
	put(&m, CTRL_ATTR_FAMILY_NAME, KRELAY_GENL_NAME, sizeof(KRELAY_GENL_NAME));
	msg_finish(&m);
	if (nl_send(fd, m.b, m.len))
		kr_die("send GETFAMILY: %s", strerror(errno));
	for (tries = 0; tries < 50 && t == 0; tries++) {
		ssize_t r;
		struct nlmsghdr *h = (void *)rbuf;
		size_t p;

		nl_wait(fd, 100);
		r = nl_recv(fd);
		if (r < (ssize_t)NLMSG_HDRLEN)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			kr_die("family \"%s\" not found: %s (is krelay loaded?)",
			       KRELAY_GENL_NAME, strerror(-e->error));
		}
		for (p = NLMSG_HDRLEN + GENL_HDRLEN; p + NLA_HDRLEN <= h->nlmsg_len;) {
			struct nlattr *a = (void *)(rbuf + p);

			if (a->nla_len < NLA_HDRLEN)
				break;
			if (a->nla_type == CTRL_ATTR_FAMILY_ID)
				memcpy(&t, rbuf + p + NLA_HDRLEN, 2);
			p += NLA_ALIGN(a->nla_len);
		}
	}
	if (!t)
		kr_die("no reply to GETFAMILY");
	return (uint16_t)t;
}

/* Runs a dump of cmd to the end; calls fn on each family message. */
static void dump_all(int fd, uint8_t cmd, void (*fn)(const struct nlmsghdr *, uint8_t))
{
	struct msg m;
	int done = 0, idle = 0;

	msg_init(&m, cmd, cmd == KRELAY_CMD_STATS_GET ? 0 : NLM_F_DUMP);
	nlh(&m)->nlmsg_seq = seq_next++;
	msg_finish(&m);
	if (nl_send(fd, m.b, m.len) < 0)
		kr_die("send dump %u: %s", cmd, strerror(errno));
	while (!done && idle < 50) {
		ssize_t r;
		size_t p = 0;

		if (!nl_wait(fd, 100)) {
			idle++;
			continue;
		}
		r = nl_recv(fd);
		if (r < 0)
			continue;
		while (p + NLMSG_HDRLEN <= (size_t)r) {
			struct nlmsghdr *h = (void *)(rbuf + p);

			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > (size_t)r - p)
				break;
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				done = 1;
			if (h->nlmsg_type == family) {
				fn(h, cmd);
				if (cmd == KRELAY_CMD_STATS_GET)
					done = 1;
			}
			if (h->nlmsg_type == NLMSG_ERROR && fn == NULL)
				break;
			p += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
	if (!done)
		kr_die("dump %u did not finish", cmd);
}

static void add_protect(const struct nlmsghdr *h, uint8_t cmd)
{
	const uint8_t *b = (const uint8_t *)h;
	size_t p = NLMSG_HDRLEN + GENL_HDRLEN;

	(void)cmd;
	while (p + NLA_HDRLEN <= h->nlmsg_len) {
		const struct nlattr *a = (const void *)(b + p);

		if (a->nla_len < NLA_HDRLEN)
			break;
		if (a->nla_type == KRELAY_A_RULE_ID && nprotect < MAX_PROTECT)
			memcpy(&protect[nprotect++], b + p + NLA_HDRLEN, 4);
		p += NLA_ALIGN(a->nla_len);
	}
}

static void print_hex(const struct nlmsghdr *h, uint8_t cmd)
{
	const uint8_t *b = (const uint8_t *)h;
	uint32_t i;

	printf("hex %u ", cmd);
	for (i = 0; i < h->nlmsg_len; i++)
		printf("%02x", b[i]);
	putchar('\n');
}

/* ---- fuzz loop ---------------------------------------------------------------- */

/* Start a dump on a fresh socket, read at most one part, close it. */
static void abandoned_dump(void)
{
	int fd = nl_open(0), small = 4096;
	struct msg m;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	msg_init(&m, chance(60) ? KRELAY_CMD_RULE_GET : KRELAY_CMD_CONN_GET,
		 NLM_F_DUMP | (chance(20) ? NLM_F_ACK : 0));
	nlh(&m)->nlmsg_seq = seq_next++;
	msg_finish(&m);
	n_dump_start++;
	n_sent++;
	if (nl_send(fd, m.b, m.len) == 0 && chance(70) && nl_wait(fd, 1000))
		(void)recv(fd, rbuf, chance(50) ? 64 : sizeof(rbuf), MSG_DONTWAIT);
	n_dump_abandon++;
	close(fd);
}

/* Several messages in one datagram (the kernel processes them in order). */
static void gen_packed(struct msg *out)
{
	unsigned int i, n = (unsigned int)rnd(2, 4);
	struct msg one;

	memset(out, 0, sizeof(*out));
	out->fixed_len = 1;
	for (i = 0; i < n; i++) {
		if (chance(50))
			gen_valid(&one);
		else
			gen_random(&one);
		if (chance(50))
			mutate(&one);
		nlh(&one)->nlmsg_seq = seq_next++;
		msg_finish(&one);
		if (out->len + NLMSG_ALIGN(one.len) > MSG_MAX)
			break;
		memcpy(out->b + out->len, one.b, one.len);
		out->len += NLMSG_ALIGN(one.len);
	}
}

static void fuzz(uint64_t count)
{
	int fd = nl_open(1);
	uint64_t i;
	struct msg m;
	double t0 = kr_now();

	for (i = 0; i < count && !kr_stop; i++) {
		unsigned int kind = (unsigned int)rnd(0, 99);
		int r;

		if (kind < 2) {
			abandoned_dump();
			continue;
		}
		if (kind < 5) {
			gen_packed(&m);
			n_packed++;
		} else {
			if (kind < 25) {
				gen_valid(&m);
				n_valid++;
			} else if (kind < 65) {
				gen_valid(&m);
				mutate(&m);
				n_mutated++;
			} else {
				gen_random(&m);
				n_random++;
			}
			nlh(&m)->nlmsg_seq = seq_next++;
			msg_finish(&m);
		}
		sanitize(m.b, m.len);
		r = nl_send(fd, m.b, m.len);
		n_dgram++;
		if (r < 0)
			n_send_err[(-r) & 0xff]++;
		/* sometimes leave a dump half-read and talk on over it */
		if (chance(97))
			drain(fd);
		if (verbose && (i + 1) % 10000 == 0)
			fprintf(stderr, "kr-nlfuzz: %llu messages, %.1f s\n",
				(unsigned long long)(i + 1), kr_now() - t0);
	}
	drain(fd);
	close(fd);
}

static void summary(uint64_t seed, double secs)
{
	unsigned int e;

	printf("seed %llu\n", (unsigned long long)seed);
	printf("family %u\n", family);
	printf("protected %u\n", nprotect);
	printf("seconds %.1f\n", secs);
	printf("sent %llu\n", (unsigned long long)n_sent);
	printf("datagrams %llu\n", (unsigned long long)n_dgram);
	printf("gen.valid %llu\ngen.mutated %llu\ngen.random %llu\ngen.packed %llu\n",
	       (unsigned long long)n_valid, (unsigned long long)n_mutated,
	       (unsigned long long)n_random, (unsigned long long)n_packed);
	printf("dumps_abandoned %llu\n", (unsigned long long)n_dump_abandon);
	printf("ack_ok %llu\n", (unsigned long long)n_ack_ok);
	printf("admin_ok %llu\n", (unsigned long long)n_admin_ok);
	printf("data %llu\n", (unsigned long long)n_data);
	printf("done %llu\n", (unsigned long long)n_done);
	printf("overrun %llu\n", (unsigned long long)n_overrun);
	printf("truncated %llu\n", (unsigned long long)n_trunc);
	for (e = 1; e < 256; e++) {
		if (n_err[e])
			printf("err.%s %llu\n", strerrorname_np((int)e) ?: "?",
			       (unsigned long long)n_err[e]);
		if (n_send_err[e])
			printf("send_err.%s %llu\n", strerrorname_np((int)e) ?: "?",
			       (unsigned long long)n_send_err[e]);
	}
}

/* ---- probes -------------------------------------------------------------------- */

static void probe_send(int fd, const char *name, struct msg *m)
{
	int got = 0, idle = 0;

	nlh(m)->nlmsg_seq = seq_next++;
	nlh(m)->nlmsg_flags |= NLM_F_ACK;
	msg_finish(m);
	if (nl_send(fd, m->b, m->len) < 0) {
		printf("probe %s send_errno=%s\n", name, strerrorname_np(errno) ?: "?");
		return;
	}
	while (!got && idle < 30) {
		ssize_t r;
		size_t p = 0;

		if (!nl_wait(fd, 100)) {
			idle++;
			continue;
		}
		r = nl_recv(fd);
		while (r > 0 && p + NLMSG_HDRLEN <= (size_t)r) {
			struct nlmsghdr *h = (void *)(rbuf + p);

			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > (size_t)r - p)
				break;
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == nlh(m)->nlmsg_seq) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				const char *msg;
				int offs;

				ext_ack(h, &msg, &offs);
				printf("probe %s errno=%s off=%d msg=%s\n", name,
				       e->error ? strerrorname_np(-e->error) ?: "?" : "0",
				       offs, msg ? msg : "");
				got = 1;
				break;
			}
			p += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
	if (!got)
		printf("probe %s noreply\n", name);
}

static void probes(void)
{
	int fd = nl_open(0);
	struct msg m;
	long n;
	uint32_t v4 = htonl(0x7f000001);
	uint16_t p_ok = htons(port_lo);
	struct genlmsghdr *g;

	msg_init(&m, KRELAY_CMD_STATS_GET, 0);
	probe_send(fd, "valid_stats", &m);

	msg_init(&m, KRELAY_CMD_RULE_GET, 0);
	put_u32(&m, KRELAY_A_RULE_ID, 0x7ffffff0);
	probe_send(fd, "valid_get_missing_rule", &m);

	msg_init(&m, KRELAY_CMD_RULE_GET, 0);
	put_u32(&m, KRELAY_A_MAX + 1, 1);
	probe_send(fd, "unknown_attr", &m);

	msg_init(&m, KRELAY_CMD_RULE_GET, 0);
	put_u32(&m, KRELAY_A_UNSPEC, 1);
	probe_send(fd, "unspec_attr", &m);

	msg_init(&m, KRELAY_CMD_RULE_NEW, 0);
	put_u32(&m, KRELAY_A_RULE_COUNT, 1);
	probe_send(fd, "attr_not_in_policy", &m);

	msg_init(&m, KRELAY_CMD_RULE_GET, 0);
	put_u16(&m, KRELAY_A_RULE_ID, 1);
	probe_send(fd, "u32_short", &m);

	msg_init(&m, KRELAY_CMD_RULE_GET, 0);
	put_u64(&m, KRELAY_A_RULE_ID, 1);
	probe_send(fd, "u32_long", &m);

	msg_init(&m, KRELAY_CMD_CONN_DEL, 0);
	put_u32(&m, KRELAY_A_CONN_ID, 1);
	probe_send(fd, "u64_short", &m);

	msg_init(&m, KRELAY_CMD_RULE_NEW, 0);
	put_u16(&m, KRELAY_A_MODE, 0);
	probe_send(fd, "u8_long", &m);

	msg_init(&m, KRELAY_CMD_RULE_NEW, 0);
	n = nest_start(&m, KRELAY_A_LISTEN);
	put(&m, KRELAY_ADDR_A_IPV4, &v4, 3);
	put_u16(&m, KRELAY_ADDR_A_PORT, p_ok);
	nest_end(&m, n);
	put_backends(&m, p_ok);
	probe_send(fd, "ipv4_short", &m);

	msg_init(&m, KRELAY_CMD_RULE_NEW, 0);
	n = nest_start(&m, KRELAY_A_LISTEN);
	put(&m, KRELAY_ADDR_A_IPV6, &v4, 4);
	put_u16(&m, KRELAY_ADDR_A_PORT, p_ok);
	nest_end(&m, n);
	put_backends(&m, p_ok);
	probe_send(fd, "ipv6_short", &m);

	msg_init(&m, KRELAY_CMD_RULE_NEW, 0);
	n = nest_start(&m, KRELAY_A_LISTEN);
	put(&m, KRELAY_ADDR_A_IPV4, &v4, 4);
	put(&m, KRELAY_ADDR_A_PORT, &p_ok, 1);
	nest_end(&m, n);
	put_backends(&m, p_ok);
	probe_send(fd, "port_short", &m);

	msg_init(&m, KRELAY_CMD_RULE_NEW, 0);
	n = nest_start(&m, KRELAY_A_LISTEN);
	put(&m, KRELAY_ADDR_A_IPV4, &v4, 4);
	put_u16(&m, KRELAY_ADDR_A_PORT, p_ok);
	put_u32(&m, KRELAY_ADDR_A_MAX + 1, 0);
	nest_end(&m, n);
	put_backends(&m, p_ok);
	probe_send(fd, "nested_unknown_attr", &m);

	msg_init(&m, KRELAY_CMD_RULE_NEW, 0);
	n = put(&m, KRELAY_A_LISTEN, NULL, 0);	/* no NLA_F_NESTED */
	put(&m, KRELAY_ADDR_A_IPV4, &v4, 4);
	put_u16(&m, KRELAY_ADDR_A_PORT, p_ok);
	nest_end(&m, n);
	put_backends(&m, p_ok);
	probe_send(fd, "nest_flag_missing", &m);

	msg_init(&m, KRELAY_CMD_RULE_NEW, 0);
	put_addr(&m, KRELAY_A_LISTEN, p_ok);
	put_backends(&m, p_ok);
	put_u8(&m, KRELAY_A_MODE, KRELAY_MODE_MAX + 1);
	probe_send(fd, "mode_range", &m);

	msg_init(&m, KRELAY_CMD_RULE_NEW, 0);
	put_addr(&m, KRELAY_A_LISTEN, p_ok);
	put_backends(&m, p_ok);
	put_u32(&m, KRELAY_A_CONNECT_TIMEOUT_MS, 600001);
	probe_send(fd, "timeout_range", &m);

	msg_init(&m, KRELAY_CMD_RULE_GET, 0);
	put_u32(&m, KRELAY_A_RULE_ID, 1);
	m.b[m.len++] = 0xde;
	m.b[m.len++] = 0xad;
	m.b[m.len++] = 0xbe;
	probe_send(fd, "trailing_garbage", &m);

	msg_init(&m, KRELAY_CMD_RULE_GET, 0);
	put_u32(&m, KRELAY_A_RULE_ID, 1);
	((struct nlattr *)(m.b + NLMSG_HDRLEN + GENL_HDRLEN))->nla_len = 200;
	probe_send(fd, "nla_len_overrun", &m);

	msg_init(&m, KRELAY_CMD_STATS_GET, 0);
	put_u32(&m, KRELAY_A_RULE_ID, 1);
	probe_send(fd, "stats_with_attr", &m);

	msg_init(&m, KRELAY_CMD_STATS_GET, 0);
	g = (struct genlmsghdr *)(m.b + NLMSG_HDRLEN);
	g->reserved = 1;
	probe_send(fd, "genl_reserved", &m);

	msg_init(&m, KRELAY_CMD_MAX + 1, 0);
	probe_send(fd, "cmd_unknown", &m);

	msg_init(&m, KRELAY_CMD_UNSPEC, 0);
	probe_send(fd, "cmd_unspec", &m);

	msg_init(&m, KRELAY_CMD_CONN_DEL, NLM_F_DUMP);
	probe_send(fd, "dump_of_doit_only", &m);

	/* permission probes: valid messages a non-admin must not get through */
	msg_init(&m, KRELAY_CMD_RULE_NEW, 0);
	put_addr(&m, KRELAY_A_LISTEN, p_ok);
	put_backends(&m, htons(port_hi));
	probe_send(fd, "perm_rule_new", &m);

	msg_init(&m, KRELAY_CMD_RULE_DEL, 0);
	put_u32(&m, KRELAY_A_RULE_ID, 0x7ffffff0);
	probe_send(fd, "perm_rule_del", &m);

	msg_init(&m, KRELAY_CMD_RULE_SET, 0);
	put_u32(&m, KRELAY_A_RULE_ID, 0x7ffffff0);
	put_u8(&m, KRELAY_A_MODE, 0);
	probe_send(fd, "perm_rule_set", &m);

	msg_init(&m, KRELAY_CMD_CONN_DEL, 0);
	put_u64(&m, KRELAY_A_CONN_ID, 0x7ffffff0);
	probe_send(fd, "perm_conn_del", &m);

	close(fd);
}

/* ---- main ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kr-nlfuzz [-s SEED] [-n COUNT] [-p LO-HI] [-v] [--probe | --dump-hex]\n"
"Fuzzes the krelay generic netlink family (raw netlink, no libnl).\n"
"\n"
"  -s, --seed N       PRNG seed (default 1)\n"
"  -n, --count N      messages to send (default 10000)\n"
"  -p, --ports LO-HI  the only ports listen addresses may use (default 20000-20999)\n"
"  -v, --verbose      progress on stderr (twice: every error reply)\n"
"      --probe        send the fixed malformed/permission probes, print results\n"
"      --dump-hex     dump rules, connections, stats as hex lines\n"
"  -h, --help\n"
"Fuzz output: 'key value' lines (sent, ack_ok, admin_ok, err.EINVAL, ...).\n"
"Rules existing at start are never named by id; exit 0 unless setup failed.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "ports", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "probe", no_argument, NULL, 'P' },
		{ "dump-hex", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t seed = 1, count = 10000;
	int opt, mode = 0, fd;
	double t0;

	kr_prog = "kr-nlfuzz";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":s:n:p:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 's': seed = kr_opt_u64("--seed", optarg, 0, UINT64_MAX); break;
		case 'n': count = kr_opt_u64("--count", optarg, 0, 100000000); break;
		case 'p': {
			unsigned int a, b;
			char c;

			if (sscanf(optarg, "%u-%u%c", &a, &b, &c) != 2 || !a || a > b ||
			    b > 65535)
				kr_usage_error("--ports: bad range \"%s\" (LO-HI, 1-65535)", optarg);
			port_lo = (uint16_t)a;
			port_hi = (uint16_t)b;
			break;
		}
		case 'v': verbose++; break;
		case 'P': mode = 'P'; break;
		case 'D': mode = 'D'; break;
		case 'h': usage(stdout); return 0;
		default: kr_bad_option(opt, argv);
		}
	}
	if (optind != argc)
		kr_usage_error("unexpected argument \"%s\"", argv[optind]);
	kr_setup_signals();
	kr_rng_seed(&rng, seed);

	fd = nl_open(0);
	family = resolve_family(fd);
	if (mode == 'D') {
		dump_all(fd, KRELAY_CMD_RULE_GET, print_hex);
		dump_all(fd, KRELAY_CMD_CONN_GET, print_hex);
		dump_all(fd, KRELAY_CMD_STATS_GET, print_hex);
		close(fd);
		return 0;
	}
	if (mode == 'P') {
		close(fd);
		probes();
		return 0;
	}
	dump_all(fd, KRELAY_CMD_RULE_GET, add_protect);
	close(fd);
	t0 = kr_now();
	fuzz(count);
	summary(seed, kr_now() - t0);
	return 0;
}
