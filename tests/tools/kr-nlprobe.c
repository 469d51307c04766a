// SPDX-License-Identifier: GPL-2.0
/*
 * kr-nlprobe: send hand-made malformed or invalid requests to the "krelay"
 * generic netlink family and check that each one is rejected with the
 * expected errno and an extended-ack message containing the expected text.
 *
 *   kr-nlprobe [-l LISTEN_PORT] [-b BACKEND_PORT]
 *
 * Raw netlink (no libnl), so that requests userctl would never build can be
 * sent.  Needs a rule on 127.0.0.1:LISTEN_PORT (default 9500) to exist for
 * the cases that name or collide with a live rule, and nothing listening on
 * 127.0.0.1:(LISTEN_PORT+1) except a plain socket the caller opened (the
 * rule-set case uses that port as a listener that cannot be bound).
 * Prints "PASS case" or "FAIL case (why)" per case; exits 1 if any failed.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/krelay.h>

#include "common.h"

#define BUFSZ 65536

struct msg {
	unsigned char buf[BUFSZ];
	size_t len;
	size_t nest[16];
	int depth;
};

static int fd = -1;
static uint16_t family_id;
static uint32_t seq = 1;
static uint16_t listen_port = 9500, backend_port = 9501;
static int failures;

/* ---- message building -------------------------------------------------- */

static void m_init(struct msg *m, uint16_t type, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *gh;

	memset(m, 0, sizeof(*m));
	nh->nlmsg_type = type;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nh->nlmsg_seq = seq++;
	gh = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	gh->cmd = cmd;
	gh->version = KRELAY_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

static void m_put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	if (m->len + NLA_HDRLEN + NLA_ALIGN(len) > BUFSZ)
		kr_die("message too large");
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((unsigned char *)a + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(a->nla_len);
}

static void m_u8(struct msg *m, uint16_t t, uint8_t v) { m_put(m, t, &v, 1); }
static void m_u16(struct msg *m, uint16_t t, uint16_t v) { m_put(m, t, &v, 2); }
static void m_u32(struct msg *m, uint16_t t, uint32_t v) { m_put(m, t, &v, 4); }
static void m_u64(struct msg *m, uint16_t t, uint64_t v) { m_put(m, t, &v, 8); }

static void m_begin(struct msg *m, uint16_t type)
{
	m->nest[m->depth++] = m->len;
	m_put(m, type | NLA_F_NESTED, NULL, 0);
}

static void m_end(struct msg *m)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->nest[--m->depth]);

	a->nla_len = m->len - m->nest[m->depth];
}

/* An address nest: ip may be NULL (no address), port < 0 means no port. */
static void m_addr(struct msg *m, uint16_t type, const char *ip, int port)
{
	unsigned char a[16];

	m_begin(m, type);
	if (ip && inet_pton(AF_INET, ip, a) == 1)
		m_put(m, KRELAY_ADDR_A_IPV4, a, 4);
	else if (ip && inet_pton(AF_INET6, ip, a) == 1)
		m_put(m, KRELAY_ADDR_A_IPV6, a, 16);
	if (port >= 0)
		m_u16(m, KRELAY_ADDR_A_PORT, htons((uint16_t)port));
	m_end(m);
}

static void m_listen(struct msg *m, int port)
{
	m_addr(m, KRELAY_A_LISTEN, "127.0.0.1", port);
}

/* A backend list entry with an address and, if weight >= 0, a weight. */
static void m_backend(struct msg *m, const char *ip, int port, int64_t weight)
{
	m_begin(m, 1);
	m_addr(m, KRELAY_BACKEND_A_ADDR, ip, port);
	if (weight >= 0)
		m_u32(m, KRELAY_BACKEND_A_WEIGHT, (uint32_t)weight);
	m_end(m);
}

static void m_backends1(struct msg *m)
{
	m_begin(m, KRELAY_A_BACKENDS);
	m_backend(m, "127.0.0.1", backend_port, -1);
	m_end(m);
}

static void m_acl_entry(struct msg *m, int action, const char *ip, int plen)
{
	unsigned char a[16];

	m_begin(m, 1);
	if (action >= 0)
		m_u8(m, KRELAY_ACL_A_ACTION, (uint8_t)action);
	if (ip && inet_pton(AF_INET, ip, a) == 1)
		m_put(m, KRELAY_ACL_A_IPV4, a, 4);
	else if (ip && inet_pton(AF_INET6, ip, a) == 1)
		m_put(m, KRELAY_ACL_A_IPV6, a, 16);
	if (plen >= 0)
		m_u8(m, KRELAY_ACL_A_PREFIXLEN, (uint8_t)plen);
	m_end(m);
}

/* A RULE_NEW on a free port (listen_port + 2) with one backend. */
static void m_rule_new(struct msg *m)
{
	m_init(m, family_id, KRELAY_CMD_RULE_NEW, 0);
	m_listen(m, listen_port + 2);
}

/*
 * A RULE_NEW whose one backend (127.0.0.1:@port) is left open for the
 * attributes a case adds; m_end_backend() closes it.
 */
static void m_rule_one_backend(struct msg *m, int port)
{
	m_rule_new(m);
	m_begin(m, KRELAY_A_BACKENDS);
	m_begin(m, 1);
	m_addr(m, KRELAY_BACKEND_A_ADDR, "127.0.0.1", port);
}

/* A check nest with one u32 attribute. */
static void m_check_u32(struct msg *m, uint16_t type, uint32_t v)
{
	m_begin(m, KRELAY_A_CHECK);
	m_u32(m, type, v);
	m_end(m);
}

static void m_end_backend(struct msg *m)
{
	m_end(m);	/* the backend */
	m_end(m);	/* the list */
}

/* ---- talking ----------------------------------------------------------- */

struct reply {
	int err;		/* positive errno, 0 for success */
	char msg[256];
};

static void transact(struct msg *m, struct reply *r)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->buf;
	static unsigned char rbuf[BUFSZ];
	ssize_t n;

	nh->nlmsg_len = m->len;
	memset(r, 0, sizeof(*r));
	r->err = -1;
	if (send(fd, m->buf, m->len, 0) < 0)
		kr_die("send: %s", strerror(errno));

	while (r->err < 0) {
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n < 0)
			kr_die("recv: %s", strerror(errno));
		for (nh = (struct nlmsghdr *)rbuf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			struct nlmsgerr *e;
			struct nlattr *a;
			size_t off;

			if (nh->nlmsg_seq != ((struct nlmsghdr *)m->buf)->nlmsg_seq)
				continue;
			if (nh->nlmsg_type != NLMSG_ERROR)
				continue;	/* a reply: the ack follows */
			e = NLMSG_DATA(nh);
			r->err = -e->error;
			if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
				break;
			/* NETLINK_CAP_ACK: only the request's header is echoed */
			off = NLMSG_HDRLEN + sizeof(*e);
			while (off + NLA_HDRLEN <= nh->nlmsg_len) {
				a = (struct nlattr *)((unsigned char *)nh + off);
				if (a->nla_len < NLA_HDRLEN ||
				    off + a->nla_len > nh->nlmsg_len)
					break;
				if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
					snprintf(r->msg, sizeof(r->msg), "%.*s",
						 (int)(a->nla_len - NLA_HDRLEN),
						 (char *)a + NLA_HDRLEN);
				off += NLA_ALIGN(a->nla_len);
			}
			break;
		}
	}
}

static void resolve_family(void)
{
	static unsigned char rbuf[8192];
	struct nlmsghdr *nh;
	struct msg m;
	ssize_t n;

	m_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	((struct genlmsghdr *)(m.buf + NLMSG_HDRLEN))->version = 1;
	m_put(&m, CTRL_ATTR_FAMILY_NAME, KRELAY_GENL_NAME,
	      sizeof(KRELAY_GENL_NAME));
	((struct nlmsghdr *)m.buf)->nlmsg_len = m.len;
	if (send(fd, m.buf, m.len, 0) < 0)
		kr_die("send: %s", strerror(errno));
	n = recv(fd, rbuf, sizeof(rbuf), 0);
	if (n < 0)
		kr_die("recv: %s", strerror(errno));
	nh = (struct nlmsghdr *)rbuf;
	if (nh->nlmsg_type == NLMSG_ERROR)
		kr_die("family %s not found (module not loaded?)",
		       KRELAY_GENL_NAME);
	{
		size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

		while (off + NLA_HDRLEN <= nh->nlmsg_len) {
			struct nlattr *a = (struct nlattr *)(rbuf + off);

			if (a->nla_len < NLA_HDRLEN)
				break;
			if (a->nla_type == CTRL_ATTR_FAMILY_ID)
				memcpy(&family_id, (char *)a + NLA_HDRLEN, 2);
			off += NLA_ALIGN(a->nla_len);
		}
	}
	if (!family_id)
		kr_die("no family id in the controller's reply");
	/* drain the ack */
	recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
}

/* Send @m; expect errno @want_err and a message containing @want_msg. */
static void expect(const char *name, struct msg *m, int want_err,
		   const char *want_msg)
{
	struct reply r;

	transact(m, &r);
	if (r.err == want_err && (!want_msg || strstr(r.msg, want_msg))) {
		printf("PASS %s\n", name);
		return;
	}
	printf("FAIL %s (got %s \"%s\", want %s \"%s\")\n", name,
	       r.err ? strerror(r.err) : "success", r.msg,
	       want_err ? strerror(want_err) : "success",
	       want_msg ? want_msg : "");
	failures++;
}

/* ---- cases ------------------------------------------------------------- */

static void cases_rule_new(void)
{
	struct msg m;
	int i;

	m_init(&m, family_id, KRELAY_CMD_RULE_NEW, 0);
	m_backends1(&m);
	expect("rule-new: no listen address", &m, EINVAL, "listen address missing");

	m_rule_new(&m);
	expect("rule-new: no backends", &m, EINVAL, "at least one backend is required");

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_end(&m);
	expect("rule-new: empty backend list", &m, EINVAL, "at least one backend is required");

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_begin(&m, 1);
	m_u32(&m, KRELAY_BACKEND_A_WEIGHT, 1);
	m_end(&m);
	m_end(&m);
	expect("rule-new: backend without address", &m, EINVAL, "backend entry without an address");

	m_rule_one_backend(&m, backend_port);
	m_u32(&m, KRELAY_BACKEND_A_MAXCONN, 16777217);
	m_end_backend(&m);
	expect("rule-new: backend maxconn 16777217", &m, ERANGE, "out of range");

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_begin(&m, 1);
	m_begin(&m, KRELAY_BACKEND_A_ADDR);
	m_u32(&m, KRELAY_ADDR_A_IPV4, htonl(0x7f000001));
	m_put(&m, KRELAY_ADDR_A_IPV6, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	m_u16(&m, KRELAY_ADDR_A_PORT, htons(80));
	m_end(&m);
	m_end(&m);
	m_end(&m);
	expect("rule-new: backend with IPv4 and IPv6", &m, EINVAL, "backend address: give IPv4 or IPv6, not both");

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, NULL, 80, -1);
	m_end(&m);
	expect("rule-new: backend without IP", &m, EINVAL, "backend address: IPv4 or IPv6 address missing");

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, "127.0.0.1", -1, -1);
	m_end(&m);
	expect("rule-new: backend without port", &m, EINVAL, "backend address: port missing");

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, "127.0.0.1", 0, -1);
	m_end(&m);
	expect("rule-new: backend port 0", &m, EINVAL, "backend address: port must not be 0");

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, "fe80::1", 80, -1);
	m_end(&m);
	expect("rule-new: link-local backend", &m, EINVAL, "backend address: link-local IPv6 unsupported");

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, "127.0.0.1", 80, 0);
	m_end(&m);
	expect("rule-new: weight 0", &m, ERANGE, "out of range");

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, "127.0.0.1", 80, 10001);
	m_end(&m);
	expect("rule-new: weight 10001", &m, ERANGE, "out of range");

	/* drain */
	m_rule_one_backend(&m, 80);
	m_u8(&m, KRELAY_BACKEND_A_DRAIN, 2);
	m_end_backend(&m);
	expect("rule-new: drain 2", &m, ERANGE, "out of range");

	m_rule_one_backend(&m, 80);
	m_u32(&m, KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS, 1000);
	m_end_backend(&m);
	expect("rule-new: drain timeout without drain", &m, EINVAL, "a drain timeout needs drain");

	m_rule_one_backend(&m, 80);
	m_u8(&m, KRELAY_BACKEND_A_DRAIN, 1);
	m_u32(&m, KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS, 86400001);
	m_end_backend(&m);
	expect("rule-new: drain timeout 86400001", &m, ERANGE, "out of range");

	m_rule_one_backend(&m, 80);
	m_u8(&m, KRELAY_BACKEND_A_HEALTH, 0);
	m_end_backend(&m);
	expect("rule-new: reported-only backend attribute (health)", &m, EINVAL, NULL);

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, "127.0.0.1", 80, 1);
	m_backend(&m, "127.0.0.1", 80, 2);
	m_end(&m);
	expect("rule-new: backend listed twice", &m, EINVAL, "listed twice");

	m_rule_new(&m);
	m_begin(&m, KRELAY_A_BACKENDS);
	for (i = 0; i <= KRELAY_MAX_BACKENDS; i++)
		m_backend(&m, "127.0.0.1", 1000 + i, -1);
	m_end(&m);
	expect("rule-new: 65 backends", &m, E2BIG, "too many backends");

	m_init(&m, family_id, KRELAY_CMD_RULE_NEW, 0);
	m_listen(&m, listen_port + 2);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, "127.0.0.1", listen_port + 2, -1);
	m_end(&m);
	expect("rule-new: backend is its own listener", &m, EINVAL, "own listen address");

	m_init(&m, family_id, KRELAY_CMD_RULE_NEW, 0);
	m_listen(&m, listen_port);
	m_backends1(&m);
	expect("rule-new: listen address taken by a rule", &m, EEXIST, "already listens");

	m_init(&m, family_id, KRELAY_CMD_RULE_NEW, 0);
	m_addr(&m, KRELAY_A_LISTEN, "::ffff:127.0.0.1", listen_port + 2);
	m_backends1(&m);
	expect("rule-new: v4-mapped listen address", &m, EINVAL, "listen address: give a v4-mapped address in IPv4 form");

	m_init(&m, family_id, KRELAY_CMD_RULE_NEW, 0);
	m_begin(&m, KRELAY_A_LISTEN);
	m_put(&m, KRELAY_ADDR_A_IPV4, "\x7f\0\0", 3);
	m_u16(&m, KRELAY_ADDR_A_PORT, htons(listen_port + 2));
	m_end(&m);
	m_backends1(&m);
	expect("rule-new: 3-byte IPv4 address", &m, ERANGE, "size out of range");

	m_init(&m, family_id, KRELAY_CMD_RULE_NEW, 0);
	m_addr(&m, KRELAY_A_LISTEN, "192.0.2.77", listen_port + 2);
	m_backends1(&m);
	expect("rule-new: listen address not of this host", &m, EADDRNOTAVAIL, "not an address of this host");
}

/* One RULE_NEW with a valid rule plus one bad option. */
#define BAD_OPT(name, put, err, text) do {		\
	m_rule_new(&m);					\
	m_backends1(&m);				\
	put;						\
	expect(name, &m, err, text);			\
} while (0)

static void cases_options(void)
{
	struct msg m;
	int i;

	BAD_OPT("option: mode 2", m_u8(&m, KRELAY_A_MODE, 2), ERANGE, "out of range");
	BAD_OPT("option: sched 3", m_u8(&m, KRELAY_A_SCHED, 3), ERANGE, "out of range");
	BAD_OPT("option: connect-timeout 0", m_u32(&m, KRELAY_A_CONNECT_TIMEOUT_MS, 0), ERANGE, "out of range");
	BAD_OPT("option: connect-timeout 600001", m_u32(&m, KRELAY_A_CONNECT_TIMEOUT_MS, 600001), ERANGE, "out of range");
	BAD_OPT("option: idle-timeout 86400001", m_u32(&m, KRELAY_A_IDLE_TIMEOUT_MS, 86400001), ERANGE, "out of range");
	BAD_OPT("option: holddown 3600001", m_u32(&m, KRELAY_A_HOLDDOWN_MS, 3600001), ERANGE, "out of range");
	BAD_OPT("option: keepalive 32768", m_u32(&m, KRELAY_A_KEEPALIVE_S, 32768), ERANGE, "out of range");
	BAD_OPT("option: maxconn 16777217", m_u32(&m, KRELAY_A_MAXCONN, 16777217), ERANGE, "out of range");
	BAD_OPT("option: 8-byte maxconn", m_u64(&m, KRELAY_A_MAXCONN, 1), EINVAL, NULL);
	BAD_OPT("option: proxy-protocol 3", m_u8(&m, KRELAY_A_PROXY_PROTOCOL, 3), ERANGE, "out of range");
	BAD_OPT("option: transparent 2", m_u8(&m, KRELAY_A_TRANSPARENT, 2), ERANGE, "out of range");
	BAD_OPT("option: 4-byte proxy-protocol", m_u32(&m, KRELAY_A_PROXY_PROTOCOL, 1), EINVAL, NULL);
	BAD_OPT("option: transparent with a source address",
		(m_u8(&m, KRELAY_A_TRANSPARENT, 1), m_addr(&m, KRELAY_A_SOURCE, "127.0.0.1", 0)),
		EINVAL, "transparent and a source address exclude each other");
	BAD_OPT("option: backlog 0", m_u32(&m, KRELAY_A_BACKLOG, 0), ERANGE, "out of range");
	BAD_OPT("option: backlog 65536", m_u32(&m, KRELAY_A_BACKLOG, 65536), ERANGE, "out of range");
	BAD_OPT("option: 2-byte mark", m_u16(&m, KRELAY_A_MARK, 1), EINVAL, NULL);
	BAD_OPT("option: 8-byte connect-timeout", m_u64(&m, KRELAY_A_CONNECT_TIMEOUT_MS, 1000), EINVAL, NULL);
	BAD_OPT("option: unknown attribute", m_u32(&m, KRELAY_A_MAX + 1, 1), EINVAL, NULL);
	BAD_OPT("option: attribute of another command", m_u64(&m, KRELAY_A_CONN_ID, 1), EINVAL, NULL);
	BAD_OPT("option: source of another family",
		m_addr(&m, KRELAY_A_SOURCE, "::1", 0), EINVAL, "differ in address family");
	BAD_OPT("option: source without IP",
		m_addr(&m, KRELAY_A_SOURCE, NULL, 0), EINVAL, "source address: IPv4 or IPv6 address missing");
	BAD_OPT("option: v4-mapped source",
		m_addr(&m, KRELAY_A_SOURCE, "::ffff:127.0.0.1", 0), EINVAL, "source address: give a v4-mapped address in IPv4 form");

	/* active health checks */
	BAD_OPT("check: interval 99",
		m_check_u32(&m, KRELAY_CHECK_A_INTERVAL_MS, 99),
		ERANGE, "out of range");
	BAD_OPT("check: interval 3600001",
		m_check_u32(&m, KRELAY_CHECK_A_INTERVAL_MS, 3600001),
		ERANGE, "out of range");
	BAD_OPT("check: timeout 9",
		m_check_u32(&m, KRELAY_CHECK_A_TIMEOUT_MS, 9),
		ERANGE, "out of range");
	BAD_OPT("check: rise 0",
		m_check_u32(&m, KRELAY_CHECK_A_RISE, 0),
		ERANGE, "out of range");
	BAD_OPT("check: fall 101",
		m_check_u32(&m, KRELAY_CHECK_A_FALL, 101),
		ERANGE, "out of range");
	BAD_OPT("check: unknown attribute",
		m_check_u32(&m, KRELAY_CHECK_A_MAX + 1, 1),
		EINVAL, NULL);
	BAD_OPT("check: not a nest", m_u32(&m, KRELAY_A_CHECK, 1), EINVAL, NULL);

	/* ACLs */
	BAD_OPT("acl: entry without action",
		(m_begin(&m, KRELAY_A_ACL), m_acl_entry(&m, -1, "10.0.0.0", 8), m_end(&m)),
		EINVAL, "action (allow or deny) missing");
	BAD_OPT("acl: action 2",
		(m_begin(&m, KRELAY_A_ACL), m_acl_entry(&m, 2, "10.0.0.0", 8), m_end(&m)),
		ERANGE, "out of range");
	BAD_OPT("acl: entry without prefix",
		(m_begin(&m, KRELAY_A_ACL), m_acl_entry(&m, KRELAY_ACL_ALLOW, NULL, 8), m_end(&m)),
		EINVAL, "give one IPv4 or one IPv6 prefix");
	BAD_OPT("acl: IPv4 prefix length 33",
		(m_begin(&m, KRELAY_A_ACL), m_acl_entry(&m, KRELAY_ACL_ALLOW, "10.0.0.0", 33), m_end(&m)),
		EINVAL, "prefix length longer than the address");
	BAD_OPT("acl: IPv6 prefix length 129",
		(m_begin(&m, KRELAY_A_ACL), m_acl_entry(&m, KRELAY_ACL_ALLOW, "2001:db8::", 129), m_end(&m)),
		ERANGE, "out of range");
	BAD_OPT("acl: host bits set",
		(m_begin(&m, KRELAY_A_ACL), m_acl_entry(&m, KRELAY_ACL_DENY, "10.0.0.1", 8), m_end(&m)),
		EINVAL, "bits set beyond the prefix length");
	BAD_OPT("acl: IPv6 host bits set",
		(m_begin(&m, KRELAY_A_ACL), m_acl_entry(&m, KRELAY_ACL_DENY, "2001:db8::1", 64), m_end(&m)),
		EINVAL, "bits set beyond the prefix length");

	m_rule_new(&m);
	m_backends1(&m);
	m_begin(&m, KRELAY_A_ACL);
	for (i = 0; i <= KRELAY_MAX_ACL; i++)
		m_acl_entry(&m, KRELAY_ACL_ALLOW, "10.0.0.0", 8);
	m_end(&m);
	expect("acl: 257 entries", &m, E2BIG, "too many ACL entries");

	/* a nest whose length runs past the message */
	m_rule_new(&m);
	m_backends1(&m);
	m_begin(&m, KRELAY_A_ACL);
	m_acl_entry(&m, KRELAY_ACL_ALLOW, "10.0.0.0", 8);
	m_end(&m);
	((struct nlattr *)(m.buf + m.len - 28))->nla_len = 200;
	expect("malformed: list entry longer than its list", &m, EINVAL, "malformed list");
}

static void cases_other(void)
{
	struct msg m;

	m_init(&m, family_id, KRELAY_CMD_RULE_SET, 0);
	m_listen(&m, listen_port);
	expect("rule-set: nothing to change", &m, EINVAL, "nothing to change");

	m_init(&m, family_id, KRELAY_CMD_RULE_SET, 0);
	m_u32(&m, KRELAY_A_RULE_ID, 999999);
	m_u8(&m, KRELAY_A_MODE, 1);
	expect("rule-set: unknown rule id", &m, ENOENT, "no rule with");

	m_init(&m, family_id, KRELAY_CMD_RULE_SET, 0);
	m_listen(&m, listen_port);
	m_u8(&m, KRELAY_A_MODE, 1);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, "127.0.0.1", 80, 0);
	m_end(&m);
	expect("rule-set: valid mode with a bad weight", &m, ERANGE, "out of range");

	m_init(&m, family_id, KRELAY_CMD_RULE_SET, 0);
	m_listen(&m, listen_port);
	m_u8(&m, KRELAY_A_MODE, 1);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, "127.0.0.1", listen_port, 1);
	m_end(&m);
	expect("rule-set: valid mode with a looping backend", &m, EINVAL, "own listen address");

	m_init(&m, family_id, KRELAY_CMD_RULE_SET, 0);
	m_listen(&m, listen_port);
	m_u32(&m, KRELAY_A_RULE_ID, 999999);
	m_u8(&m, KRELAY_A_MODE, 1);
	expect("rule-set: id and address disagree", &m, ENOENT, "no rule with");

	m_init(&m, family_id, KRELAY_CMD_RULE_DEL, 0);
	expect("rule-del: no rule named", &m, EINVAL, "name the rule");

	m_init(&m, family_id, KRELAY_CMD_RULE_DEL, 0);
	m_u32(&m, KRELAY_A_RULE_ID, 0);
	expect("rule-del: rule id 0", &m, ERANGE, "out of range");

	m_init(&m, family_id, KRELAY_CMD_RULE_DEL, 0);
	m_listen(&m, listen_port);
	m_u32(&m, KRELAY_A_DRAIN_TIMEOUT_MS, 86400001);
	expect("rule-del: drain timeout 86400001", &m, ERANGE, "out of range");

	m_init(&m, family_id, KRELAY_CMD_RULE_GET, 0);
	m_listen(&m, listen_port);
	m_u32(&m, KRELAY_A_DRAIN_TIMEOUT_MS, 1000);
	expect("rule-get: a drain timeout is for rule-del only", &m, EINVAL, NULL);

	m_init(&m, family_id, KRELAY_CMD_RULE_SET, 0);
	m_listen(&m, listen_port);
	m_u8(&m, KRELAY_A_DRAINING, 1);
	expect("rule-set: draining is reported only", &m, EINVAL, NULL);

	m_init(&m, family_id, KRELAY_CMD_CONN_DEL, 0);
	expect("conn-del: no id", &m, EINVAL, "connection id missing");

	m_init(&m, family_id, KRELAY_CMD_CONN_DEL, 0);
	m_u64(&m, KRELAY_A_CONN_ID, 0xdeadbeefULL);
	expect("conn-del: unknown id", &m, ENOENT, "no connection with");

	m_init(&m, family_id, KRELAY_CMD_STATS_GET, 0);
	m_u32(&m, KRELAY_A_RULE_ID, 1);
	expect("stats-get: takes no attributes", &m, EINVAL, NULL);

	m_init(&m, family_id, KRELAY_CMD_ACL_SET, 0);
	expect("acl-set: no ACL", &m, EINVAL, "ACL missing");

	m_init(&m, family_id, KRELAY_CMD_ACL_SET, 0);
	m_begin(&m, KRELAY_A_ACL);
	m_acl_entry(&m, KRELAY_ACL_ALLOW, "10.0.0.1", 8);
	m_end(&m);
	expect("acl-set: host bits set", &m, EINVAL, "bits set beyond the prefix length");

	m_init(&m, family_id, KRELAY_CMD_RULESET_SET, 0);
	expect("ruleset-set: no rule list", &m, EINVAL, "rule list missing");

	m_init(&m, family_id, KRELAY_CMD_RULESET_SET, 0);
	m_begin(&m, KRELAY_A_RULES);
	m_begin(&m, 1);
	m_backends1(&m);
	m_end(&m);
	m_end(&m);
	expect("ruleset-set: entry without listen", &m, EINVAL, "rule set entry: listen address missing");

	m_init(&m, family_id, KRELAY_CMD_RULESET_SET, 0);
	m_begin(&m, KRELAY_A_RULES);
	m_begin(&m, 1);
	m_listen(&m, listen_port + 2);
	m_backends1(&m);
	m_end(&m);
	m_begin(&m, 2);
	m_listen(&m, listen_port + 2);
	m_backends1(&m);
	m_end(&m);
	m_end(&m);
	expect("ruleset-set: listen address twice", &m, EINVAL, "twice");

	m_init(&m, family_id, KRELAY_CMD_RULESET_SET, 0);
	m_begin(&m, KRELAY_A_RULES);
	m_begin(&m, 1);
	m_addr(&m, KRELAY_A_LISTEN, "0.0.0.0", listen_port + 2);
	m_backends1(&m);
	m_end(&m);
	m_begin(&m, 2);
	m_listen(&m, listen_port + 2);
	m_backends1(&m);
	m_end(&m);
	m_end(&m);
	expect("ruleset-set: overlapping new listen addresses", &m, EINVAL, "overlapping");

	/*
	 * A valid new rule, then one whose listener cannot be bound (the
	 * caller holds LISTEN_PORT+1): nothing may change, the existing rule
	 * on LISTEN_PORT (left out of the set) must survive.
	 */
	m_init(&m, family_id, KRELAY_CMD_RULESET_SET, 0);
	m_begin(&m, KRELAY_A_RULES);
	m_begin(&m, 1);
	m_listen(&m, listen_port + 2);
	m_backends1(&m);
	m_end(&m);
	m_begin(&m, 2);
	m_listen(&m, listen_port + 1);
	m_begin(&m, KRELAY_A_BACKENDS);
	m_backend(&m, "127.0.0.1", listen_port + 3, -1);
	m_end(&m);
	m_end(&m);
	m_end(&m);
	expect("ruleset-set: second listener cannot bind", &m, EADDRINUSE, "in use");

	m_init(&m, family_id, KRELAY_CMD_RULE_GET, 0);
	((struct genlmsghdr *)(m.buf + NLMSG_HDRLEN))->reserved = 1;
	m_listen(&m, listen_port);
	expect("header: reserved field set", &m, EINVAL, NULL);

	m_init(&m, family_id, KRELAY_CMD_MAX + 1, 0);
	expect("header: unknown command", &m, EOPNOTSUPP, NULL);
}

int main(int argc, char **argv)
{
	int opt, one = 1;

	kr_prog = "kr-nlprobe";
	while ((opt = getopt(argc, argv, "l:b:h")) != -1) {
		switch (opt) {
		case 'l':
			listen_port = (uint16_t)kr_opt_u64("-l", optarg, 1, 65532);
			break;
		case 'b':
			backend_port = (uint16_t)kr_opt_u64("-b", optarg, 1, 65535);
			break;
		case 'h':
			printf("usage: kr-nlprobe [-l LISTEN_PORT] [-b BACKEND_PORT]\n");
			return 0;
		default:
			kr_bad_option(opt, argv);
		}
	}

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		kr_die("netlink socket: %s", strerror(errno));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	resolve_family();

	cases_rule_new();
	cases_options();
	cases_other();

	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}
