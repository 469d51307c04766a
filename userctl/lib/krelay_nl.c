// SPDX-License-Identifier: GPL-2.0
/*
 * krelay_nl: client library for the "krelay" generic netlink family.
 *
 * Messages are built and attributes parsed with libnl; receiving is done
 * here so that every reply is matched to its request by sequence number,
 * extended acks are read from both NLMSG_ERROR and NLMSG_DONE, and
 * NLM_F_DUMP_INTR is reported to the caller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/socket.h>
#include <netlink/errno.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/netlink.h>

#include <linux/krelay.h>

#include "krelay_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define KRELAY_RBUF_MIN		(64 * 1024)

struct krelay_handle {
	struct nl_sock *sk;
	int family;
	unsigned char *rbuf;
	size_t rcap;
	char ext_msg[512];
	char ext_attr[128];
};

/* ------------------------------------------------------------------ */
/* errors                                                              */

/*
 * Requests are built in one buffer of this size: the largest rule (64 IPv6
 * backends and 256 ACL entries) takes ~12 KiB, a rule set one such per
 * rule; libnl's default (a page) holds neither.  The socket's buffers
 * (KR_SOCK_BUF) must hold a request and the largest reply.
 */
#define KR_REQ_MAX	(256 * 1024)
#define KR_SOCK_BUF	(1024 * 1024)

static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS:	return 0;
	case NLE_INTR:		return -EINTR;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_PERM:		return -EPERM;
	case NLE_BUSY:		return -EBUSY;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:	return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_NOADDR:	return -EADDRNOTAVAIL;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_BAD_SOCK:	return -EBADF;
	case NLE_MSG_TRUNC:	return -EMSGSIZE;
	default:		return -EIO;
	}
}

const char *krelay_strerror(int cmd, int err)
{
	if (err < 0)
		err = -err;

	switch (err) {
	case EPERM:
		return "permission denied, CAP_NET_ADMIN is required";
	case EOPNOTSUPP:
		return "not supported by the loaded krelay module (version mismatch?)";
	case EBADMSG:
		return "malformed reply from the kernel";
	}

	switch (cmd) {
	case KRELAY_CMD_RULE_NEW:
		if (err == EEXIST)
			return "a rule already listens on that address";
		if (err == EADDRINUSE)
			return "listen address already in use";
		if (err == EADDRNOTAVAIL)
			return "listen address is not local";
		if (err == EINVAL)
			return "invalid rule";
		break;
	case KRELAY_CMD_RULE_DEL:
	case KRELAY_CMD_RULE_GET:
	case KRELAY_CMD_RULE_SET:
	case KRELAY_CMD_CONN_GET:
		if (err == ENOENT)
			return "no such rule";
		if (err == EINVAL && cmd == KRELAY_CMD_RULE_SET)
			return "invalid rule change";
		break;
	case KRELAY_CMD_CONN_DEL:
		if (err == ENOENT)
			return "no such connection";
		break;
	}
	return NULL;
}

const char *krelay_ext_msg(const struct krelay_handle *h)
{
	return h->ext_msg[0] ? h->ext_msg : NULL;
}

const char *krelay_ext_attr(const struct krelay_handle *h)
{
	return h->ext_attr[0] ? h->ext_attr : NULL;
}

/* ------------------------------------------------------------------ */
/* socket                                                              */

/* Open a socket bound to generic netlink family @name (tests use nlctrl). */
static int open_family(struct krelay_handle **hp, const char *name)
{
	struct krelay_handle *h;
	int one = 1;
	int ret;

	*hp = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;

	h->sk = nl_socket_alloc();
	if (!h->sk) {
		free(h);
		return -ENOMEM;
	}

	ret = genl_connect(h->sk);
	if (ret < 0) {
		ret = nlerr_to_errno(ret);
		/* No generic netlink at all: treat like a missing family. */
		if (ret == -EPROTONOSUPPORT)
			ret = -ENOENT;
		goto fail;
	}

	ret = nl_socket_set_buffer_size(h->sk, KR_SOCK_BUF, KR_SOCK_BUF);
	if (ret < 0) {
		ret = nlerr_to_errno(ret);
		goto fail;
	}

	ret = genl_ctrl_resolve(h->sk, name);
	if (ret < 0) {
		ret = nlerr_to_errno(ret);
		goto fail;
	}
	h->family = ret;

	/* Requests below set NLM_F_ACK themselves (not on dumps). */
	nl_socket_disable_auto_ack(h->sk);

	/* Best effort: old kernels lack these, which only costs messages. */
	(void)setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_EXT_ACK,
			 &one, sizeof(one));
	(void)setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_CAP_ACK,
			 &one, sizeof(one));

	*hp = h;
	return 0;

fail:
	nl_socket_free(h->sk);
	free(h);
	return ret;
}

int krelay_open(struct krelay_handle **hp)
{
	return open_family(hp, KRELAY_GENL_NAME);
}

void krelay_close(struct krelay_handle *h)
{
	if (!h)
		return;
	nl_socket_free(h->sk);
	free(h->rbuf);
	free(h);
}

/*
 * Receive one datagram into h->rbuf, growing it to fit.  Returns its length,
 * 0 for a datagram not sent by the kernel, or a negative errno.
 */
static ssize_t recv_one(struct krelay_handle *h)
{
	int fd = nl_socket_get_fd(h->sk);
	struct sockaddr_nl from;
	socklen_t fromlen;
	ssize_t n;

	for (;;) {
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (h->rcap < (size_t)n || !h->rbuf) {
			size_t cap = h->rcap ? h->rcap : KRELAY_RBUF_MIN;
			unsigned char *nb;

			while (cap < (size_t)n)
				cap *= 2;
			nb = realloc(h->rbuf, cap);
			if (!nb)
				return -ENOMEM;
			h->rbuf = nb;
			h->rcap = cap;
		}

		fromlen = sizeof(from);
		memset(&from, 0, sizeof(from));
		n = recvfrom(fd, h->rbuf, h->rcap, 0, (struct sockaddr *)&from,
			     &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		if (fromlen != sizeof(from) || from.nl_pid != 0)
			return 0;
		return n;
	}
}

/* ------------------------------------------------------------------ */
/* extended ack                                                        */

static const char *const top_attr_names[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID]		= "rule id",
	[KRELAY_A_LISTEN]		= "listen",
	[KRELAY_A_BACKENDS]		= "backends",
	[KRELAY_A_MODE]			= "mode",
	[KRELAY_A_CONNECT_TIMEOUT_MS]	= "connect-timeout",
	[KRELAY_A_IDLE_TIMEOUT_MS]	= "idle-timeout",
	[KRELAY_A_BACKLOG]		= "backlog",
	[KRELAY_A_STATS]		= "stats",
	[KRELAY_A_RULE_COUNT]		= "rule count",
	[KRELAY_A_CONN]			= "connection",
	[KRELAY_A_CONN_ID]		= "connection id",
	[KRELAY_A_SCHED]		= "sched",
	[KRELAY_A_HOLDDOWN_MS]		= "holddown",
	[KRELAY_A_SOURCE]		= "src",
	[KRELAY_A_MARK]			= "mark",
	[KRELAY_A_KEEPALIVE_S]		= "keepalive",
	[KRELAY_A_ACL]			= "acl",
	[KRELAY_A_MAXCONN]		= "maxconn",
	[KRELAY_A_RULES]		= "rules",
	[KRELAY_A_PROXY_PROTOCOL]	= "proxy-protocol",
	[KRELAY_A_TRANSPARENT]		= "transparent",
	[KRELAY_A_CHECK]		= "check",
	[KRELAY_A_DRAIN_TIMEOUT_MS]	= "drain timeout",
};

static const char *const addr_attr_names[KRELAY_ADDR_A_MAX + 1] = {
	[KRELAY_ADDR_A_IPV4]		= "address",
	[KRELAY_ADDR_A_IPV6]		= "address",
	[KRELAY_ADDR_A_PORT]		= "port",
};

static const char *const backend_attr_names[KRELAY_BACKEND_A_MAX + 1] = {
	[KRELAY_BACKEND_A_ADDR]		= "address",
	[KRELAY_BACKEND_A_WEIGHT]	= "weight",
	[KRELAY_BACKEND_A_MAXCONN]	= "maxconn",
	[KRELAY_BACKEND_A_DRAIN]	= "drain",
	[KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS] = "drain timeout",
};

static const char *const check_attr_names[KRELAY_CHECK_A_MAX + 1] = {
	[KRELAY_CHECK_A_INTERVAL_MS]	= "check interval",
	[KRELAY_CHECK_A_TIMEOUT_MS]	= "check timeout",
	[KRELAY_CHECK_A_RISE]		= "check rise",
	[KRELAY_CHECK_A_FALL]		= "check fall",
};

static const char *const acl_attr_names[KRELAY_ACL_A_MAX + 1] = {
	[KRELAY_ACL_A_ACTION]		= "action",
	[KRELAY_ACL_A_IPV4]		= "prefix",
	[KRELAY_ACL_A_IPV6]		= "prefix",
	[KRELAY_ACL_A_PREFIXLEN]	= "prefix length",
};

/* What the attributes inside a nest are. */
enum nest_kind {
	NK_TOP,		/* enum krelay_attr (message, or a KRELAY_A_RULES entry) */
	NK_ADDR,	/* enum krelay_addr_attr */
	NK_BACKENDS,	/* array of NK_BACKEND */
	NK_BACKEND,	/* enum krelay_backend_attr */
	NK_ACL,		/* array of NK_ACL_ENTRY */
	NK_ACL_ENTRY,	/* enum krelay_acl_attr */
	NK_RULES,	/* array of NK_TOP */
	NK_CHECK,	/* enum krelay_check_attr */
	NK_LEAF,
};

static const char *kind_name(enum nest_kind k, int type)
{
	switch (k) {
	case NK_TOP:
		if (type > 0 && type <= KRELAY_A_MAX && top_attr_names[type])
			return top_attr_names[type];
		break;
	case NK_ADDR:
		if (type > 0 && type <= KRELAY_ADDR_A_MAX && addr_attr_names[type])
			return addr_attr_names[type];
		break;
	case NK_BACKEND:
		if (type > 0 && type <= KRELAY_BACKEND_A_MAX &&
		    backend_attr_names[type])
			return backend_attr_names[type];
		break;
	case NK_ACL_ENTRY:
		if (type > 0 && type <= KRELAY_ACL_A_MAX && acl_attr_names[type])
			return acl_attr_names[type];
		break;
	case NK_CHECK:
		if (type > 0 && type <= KRELAY_CHECK_A_MAX &&
		    check_attr_names[type])
			return check_attr_names[type];
		break;
	default:
		break;
	}
	return "attribute";
}

static const char *top_name(int type)
{
	return kind_name(NK_TOP, type);
}

/* The kind of the attributes nested in attribute @type of a @k nest. */
static enum nest_kind inner_kind(enum nest_kind k, int type)
{
	switch (k) {
	case NK_TOP:
		switch (type) {
		case KRELAY_A_LISTEN:
		case KRELAY_A_SOURCE:
			return NK_ADDR;
		case KRELAY_A_BACKENDS:
			return NK_BACKENDS;
		case KRELAY_A_ACL:
			return NK_ACL;
		case KRELAY_A_RULES:
			return NK_RULES;
		case KRELAY_A_CHECK:
			return NK_CHECK;
		default:
			return NK_LEAF;
		}
	case NK_BACKENDS:
		return NK_BACKEND;
	case NK_BACKEND:
		return type == KRELAY_BACKEND_A_ADDR ? NK_ADDR : NK_LEAF;
	case NK_ACL:
		return NK_ACL_ENTRY;
	case NK_RULES:
		return NK_TOP;
	default:
		return NK_LEAF;
	}
}

/* Append " @s" (or " @s @n" when @n) to @buf. */
static void append(char *buf, size_t len, const char *s, unsigned int n)
{
	size_t used = strlen(buf);

	if (used >= len)
		return;
	if (n)
		snprintf(buf + used, len - used, "%s%s %u", used ? " " : "", s, n);
	else
		snprintf(buf + used, len - used, "%s%s", used ? " " : "", s);
}

/*
 * Walk the attributes [@head, @head + @rem) of kind @k towards byte offset
 * @off; append the name of each step to @buf.  Returns 1 when found.
 */
static int name_walk(const char *base, struct nlattr *head, int rem,
		     enum nest_kind k, uint32_t off, char *buf, size_t len,
		     int depth, enum nest_kind *last)
{
	struct nlattr *a;
	unsigned int idx = 0;

	nla_for_each_attr(a, head, rem, rem) {
		uint32_t aoff = (uint32_t)((const char *)a - base);
		enum nest_kind in = inner_kind(k, nla_type(a));

		idx++;
		if (off < aoff || off >= aoff + (uint32_t)nla_len(a) + NLA_HDRLEN)
			continue;
		if (k == NK_BACKENDS || k == NK_ACL || k == NK_RULES)
			append(buf, len, k == NK_BACKENDS ? "backend" :
			       k == NK_ACL ? "acl entry" : "rule", idx);
		else
			append(buf, len, kind_name(k, nla_type(a)), 0);
		*last = in;
		if (off == aoff || in == NK_LEAF || depth > 4)
			return 1;
		name_walk(base, nla_data(a), nla_len(a), in, off, buf, len,
			  depth + 1, last);
		return 1;
	}
	return 0;
}

/*
 * Name the attribute of request @req found at byte offset @off (counted from
 * the start of the netlink header), for example "listen port" or
 * "backends backend 2 weight".
 */
static enum nest_kind name_attr_at(struct nlmsghdr *req, uint32_t off,
				   char *buf, size_t len)
{
	struct nlattr *head = genlmsg_attrdata(nlmsg_data(req), 0);
	int rem = genlmsg_attrlen(nlmsg_data(req), 0);
	enum nest_kind last = NK_LEAF;

	buf[0] = '\0';
	name_walk((const char *)req, head, rem, NK_TOP, off, buf, len, 0,
		  &last);
	return last;
}

static void parse_ext_ack(struct krelay_handle *h, struct nlmsghdr *req,
			  const void *tlvs, int len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	char nest[96] = "";

	if (len <= 0)
		return;
	/* nla_parse() does not write through the pointer; the cast is ours. */
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)tlvs, len,
		      NULL) < 0)
		return;

	if (tb[NLMSGERR_ATTR_MSG] && nla_len(tb[NLMSGERR_ATTR_MSG]) > 0) {
		const char *s = nla_data(tb[NLMSGERR_ATTR_MSG]);
		size_t n = strnlen(s, (size_t)nla_len(tb[NLMSGERR_ATTR_MSG]));

		if (n >= sizeof(h->ext_msg))
			n = sizeof(h->ext_msg) - 1;
		memcpy(h->ext_msg, s, n);
		h->ext_msg[n] = '\0';
	}

	if (tb[NLMSGERR_ATTR_OFFS] &&
	    nla_len(tb[NLMSGERR_ATTR_OFFS]) >= (int)sizeof(uint32_t))
		name_attr_at(req, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]),
			     h->ext_attr, sizeof(h->ext_attr));

	if (tb[NLMSGERR_ATTR_MISS_TYPE] &&
	    nla_len(tb[NLMSGERR_ATTR_MISS_TYPE]) >= (int)sizeof(uint32_t)) {
		int type = (int)nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);

		if (tb[NLMSGERR_ATTR_MISS_NEST] &&
		    nla_len(tb[NLMSGERR_ATTR_MISS_NEST]) >= (int)sizeof(uint32_t)) {
			enum nest_kind k = name_attr_at(req,
				nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]),
				nest, sizeof(nest));

			snprintf(h->ext_attr, sizeof(h->ext_attr), "%s %s",
				 nest[0] ? nest : "nested", kind_name(k, type));
		} else {
			snprintf(h->ext_attr, sizeof(h->ext_attr), "%s",
				 top_name(type));
		}
		if (!h->ext_msg[0])
			snprintf(h->ext_msg, sizeof(h->ext_msg),
				 "missing attribute: %s", h->ext_attr);
	}
}

/* NLMSG_ERROR: returns the (negative or zero) error it carries. */
static int handle_error(struct krelay_handle *h, struct nlmsghdr *req,
			struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	size_t plen, off;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return -EBADMSG;
	plen = nlh->nlmsg_len - NLMSG_HDRLEN;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if ((nlh->nlmsg_flags & NLM_F_CAPPED) ||
		    e->msg.nlmsg_len < NLMSG_HDRLEN)
			off = sizeof(*e);
		else
			off = sizeof(*e) + e->msg.nlmsg_len - NLMSG_HDRLEN;
		off = NLMSG_ALIGN(off);
		if (off < plen)
			parse_ext_ack(h, req, (const char *)e + off,
				      (int)(plen - off));
	}
	if (e->error > 0)
		return -e->error;
	return e->error;
}

/* NLMSG_DONE: may carry the dump's error and an extended ack. */
static int handle_done(struct krelay_handle *h, struct nlmsghdr *req,
		       struct nlmsghdr *nlh)
{
	size_t plen;
	int err;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
		return 0;
	plen = nlh->nlmsg_len - NLMSG_HDRLEN;
	memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    NLMSG_ALIGN(sizeof(int)) < plen)
		parse_ext_ack(h, req,
			      (const char *)nlmsg_data(nlh) + NLMSG_ALIGN(sizeof(int)),
			      (int)(plen - NLMSG_ALIGN(sizeof(int))));
	return err < 0 ? err : 0;
}

/* ------------------------------------------------------------------ */
/* transactions                                                        */

typedef int (*reply_fn)(struct nlmsghdr *nlh, void *arg);

/*
 * Send @msg (consumed) and process every reply until the final ACK,
 * NLMSG_ERROR or NLMSG_DONE.  @fn is called for each reply of the family.
 */
static int xfer(struct krelay_handle *h, struct nl_msg *msg, reply_fn fn,
		void *arg)
{
	struct nlmsghdr *req = nlmsg_hdr(msg);
	int fn_ret = 0, err = 0, interrupted = 0, done = 0;
	uint32_t seq;
	int ret;

	h->ext_msg[0] = '\0';
	h->ext_attr[0] = '\0';

	if (!(req->nlmsg_flags & NLM_F_DUMP))
		req->nlmsg_flags |= NLM_F_ACK;

	ret = nl_send_auto(h->sk, msg);
	if (ret < 0) {
		err = nlerr_to_errno(ret);
		goto out;
	}
	seq = req->nlmsg_seq;

	while (!done) {
		struct nlmsghdr *nlh;
		ssize_t n = recv_one(h);
		int rem;

		if (n < 0) {
			err = (int)n;
			goto out;
		}
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)h->rbuf; !done && nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* stale reply to someone else */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				interrupted = 1;

			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
				break;
			case NLMSG_ERROR:
				err = handle_error(h, req, nlh);
				done = 1;
				break;
			case NLMSG_DONE:
				err = handle_done(h, req, nlh);
				done = 1;
				break;
			case NLMSG_OVERRUN:
				err = -EOVERFLOW;
				done = 1;
				break;
			default:
				if (nlh->nlmsg_type != h->family)
					break;
				if (!fn_ret && fn)
					fn_ret = fn(nlh, arg);
				break;
			}
		}
	}

out:
	nlmsg_free(msg);
	if (err)
		return err;
	if (fn_ret)
		return fn_ret;
	if (interrupted)
		return -EINTR;
	return 0;
}

static struct nl_msg *new_req(struct krelay_handle *h, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(KR_REQ_MAX);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, flags,
			 cmd, KRELAY_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* ------------------------------------------------------------------ */
/* attributes out                                                      */

/* An endpoint nest; port 0 is left out (source addresses: any port). */
static int put_endpoint(struct nl_msg *msg, int type,
			const struct krelay_endpoint *ep)
{
	struct nlattr *nest = nla_nest_start(msg, type | NLA_F_NESTED);

	if (!nest)
		return -EMSGSIZE;
	if (ep->family == AF_INET) {
		if (nla_put(msg, KRELAY_ADDR_A_IPV4, sizeof(ep->addr.v4),
			    &ep->addr.v4) < 0)
			return -EMSGSIZE;
	} else if (ep->family == AF_INET6) {
		if (nla_put(msg, KRELAY_ADDR_A_IPV6, sizeof(ep->addr.v6),
			    &ep->addr.v6) < 0)
			return -EMSGSIZE;
	} else {
		return -EAFNOSUPPORT;
	}
	if (ep->port && nla_put_u16(msg, KRELAY_ADDR_A_PORT, htons(ep->port)) < 0)
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int put_ref(struct nl_msg *msg, const struct krelay_rule_ref *ref)
{
	if (ref->id)
		return nla_put_u32(msg, KRELAY_A_RULE_ID, ref->id) < 0 ?
			-EMSGSIZE : 0;
	return put_endpoint(msg, KRELAY_A_LISTEN, &ref->listen);
}

static int put_backends(struct nl_msg *msg, const struct krelay_rule *r)
{
	struct nlattr *list, *one;
	size_t i;
	int ret;

	if (r->nbackends > KRELAY_MAX_BACKENDS)
		return -E2BIG;
	list = nla_nest_start(msg, KRELAY_A_BACKENDS | NLA_F_NESTED);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < r->nbackends; i++) {
		const struct krelay_backend *b = &r->backends[i];

		one = nla_nest_start(msg, (int)(i + 1) | NLA_F_NESTED);
		if (!one)
			return -EMSGSIZE;
		ret = put_endpoint(msg, KRELAY_BACKEND_A_ADDR, &b->addr);
		if (ret)
			return ret;
		if (b->weight &&
		    nla_put_u32(msg, KRELAY_BACKEND_A_WEIGHT, b->weight) < 0)
			return -EMSGSIZE;
		if ((b->maxconn &&
		     nla_put_u32(msg, KRELAY_BACKEND_A_MAXCONN, b->maxconn) < 0) ||
		    (b->drain &&
		     (nla_put_u8(msg, KRELAY_BACKEND_A_DRAIN, 1) < 0 ||
		      nla_put_u32(msg, KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS,
				  b->drain_timeout_ms) < 0)))
			return -EMSGSIZE;
		nla_nest_end(msg, one);
	}
	nla_nest_end(msg, list);
	return 0;
}

/* An ACL nest (an empty one when @acl has no entries). */
static int put_acl(struct nl_msg *msg, const struct krelay_acl *acl)
{
	struct nlattr *list, *one;
	size_t i;

	if (acl->n > KRELAY_MAX_ACL)
		return -E2BIG;
	list = nla_nest_start(msg, KRELAY_A_ACL | NLA_F_NESTED);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < acl->n; i++) {
		const struct krelay_acl_entry *e = &acl->e[i];

		one = nla_nest_start(msg, (int)(i + 1) | NLA_F_NESTED);
		if (!one)
			return -EMSGSIZE;
		if (nla_put_u8(msg, KRELAY_ACL_A_ACTION, e->action) < 0)
			return -EMSGSIZE;
		if (e->family == AF_INET) {
			if (nla_put(msg, KRELAY_ACL_A_IPV4, sizeof(e->addr.v4),
				    &e->addr.v4) < 0)
				return -EMSGSIZE;
		} else if (e->family == AF_INET6) {
			if (nla_put(msg, KRELAY_ACL_A_IPV6, sizeof(e->addr.v6),
				    &e->addr.v6) < 0)
				return -EMSGSIZE;
		} else {
			return -EAFNOSUPPORT;
		}
		if (nla_put_u8(msg, KRELAY_ACL_A_PREFIXLEN, e->prefixlen) < 0)
			return -EMSGSIZE;
		nla_nest_end(msg, one);
	}
	/* libnl drops empty nests; an empty ACL means "clear it". */
	nla_nest_end_keep_empty(msg, list);
	return 0;
}

/*
 * A check nest: an empty one ("off") unless enabled; enabled, it carries
 * at least one value (an empty nest would mean off).
 */
static int put_check(struct nl_msg *msg, const struct krelay_check *c)
{
	struct nlattr *n = nla_nest_start(msg, KRELAY_A_CHECK | NLA_F_NESTED);
	uint32_t interval = c->interval_ms;

	if (!n)
		return -EMSGSIZE;
	if (c->enabled && !interval && !c->timeout_ms && !c->rise && !c->fall)
		interval = KRELAY_CHECK_DEFAULT_INTERVAL_MS;
	if (c->enabled &&
	    ((interval &&
	      nla_put_u32(msg, KRELAY_CHECK_A_INTERVAL_MS, interval) < 0) ||
	     (c->timeout_ms &&
	      nla_put_u32(msg, KRELAY_CHECK_A_TIMEOUT_MS, c->timeout_ms) < 0) ||
	     (c->rise && nla_put_u32(msg, KRELAY_CHECK_A_RISE, c->rise) < 0) ||
	     (c->fall && nla_put_u32(msg, KRELAY_CHECK_A_FALL, c->fall) < 0)))
		return -EMSGSIZE;
	nla_nest_end_keep_empty(msg, n);
	return 0;
}

/*
 * @change: RULE_SET, where an attribute left out keeps the rule's value;
 * elsewhere it takes the default, so a maxconn of 0 (the default) is left
 * out: such requests stay valid for a module without maxconn.
 */
static int put_rule_opts(struct nl_msg *msg, const struct krelay_rule *r,
			 int change)
{
	int ret;

	if (r->present & KRELAY_RULE_F_BACKEND) {
		ret = put_backends(msg, r);
		if (ret)
			return ret;
	}
	if ((r->present & KRELAY_RULE_F_SCHED) &&
	    nla_put_u8(msg, KRELAY_A_SCHED, r->sched) < 0)
		return -EMSGSIZE;
	if ((r->present & KRELAY_RULE_F_HOLDDOWN) &&
	    nla_put_u32(msg, KRELAY_A_HOLDDOWN_MS, r->holddown_ms) < 0)
		return -EMSGSIZE;
	if ((r->present & KRELAY_RULE_F_MODE) &&
	    nla_put_u8(msg, KRELAY_A_MODE, r->mode) < 0)
		return -EMSGSIZE;
	if ((r->present & KRELAY_RULE_F_CONNECT_TIMEOUT) &&
	    nla_put_u32(msg, KRELAY_A_CONNECT_TIMEOUT_MS,
			r->connect_timeout_ms) < 0)
		return -EMSGSIZE;
	if ((r->present & KRELAY_RULE_F_IDLE_TIMEOUT) &&
	    nla_put_u32(msg, KRELAY_A_IDLE_TIMEOUT_MS, r->idle_timeout_ms) < 0)
		return -EMSGSIZE;
	if ((r->present & KRELAY_RULE_F_BACKLOG) &&
	    nla_put_u32(msg, KRELAY_A_BACKLOG, r->backlog) < 0)
		return -EMSGSIZE;
	if (r->present & KRELAY_RULE_F_SOURCE) {
		if (r->source.family) {
			ret = put_endpoint(msg, KRELAY_A_SOURCE, &r->source);
			if (ret)
				return ret;
		} else {
			struct nlattr *n = nla_nest_start(msg, KRELAY_A_SOURCE |
							  NLA_F_NESTED);

			if (!n)
				return -EMSGSIZE;
			nla_nest_end_keep_empty(msg, n);	/* "no source" */
		}
	}
	if ((r->present & KRELAY_RULE_F_MARK) &&
	    nla_put_u32(msg, KRELAY_A_MARK, r->mark) < 0)
		return -EMSGSIZE;
	if ((r->present & KRELAY_RULE_F_KEEPALIVE) &&
	    nla_put_u32(msg, KRELAY_A_KEEPALIVE_S, r->keepalive_s) < 0)
		return -EMSGSIZE;
	if ((r->present & KRELAY_RULE_F_MAXCONN) && (r->maxconn || change) &&
	    nla_put_u32(msg, KRELAY_A_MAXCONN, r->maxconn) < 0)
		return -EMSGSIZE;
	if ((r->present & KRELAY_RULE_F_PROXY) &&
	    nla_put_u8(msg, KRELAY_A_PROXY_PROTOCOL, r->proxy_protocol) < 0)
		return -EMSGSIZE;
	if ((r->present & KRELAY_RULE_F_TRANSPARENT) &&
	    nla_put_u8(msg, KRELAY_A_TRANSPARENT, r->transparent) < 0)
		return -EMSGSIZE;
	if (r->present & KRELAY_RULE_F_ACL) {
		ret = put_acl(msg, &r->acl);
		if (ret)
			return ret;
	}
	if (r->present & KRELAY_RULE_F_CHECK) {
		ret = put_check(msg, &r->check);
		if (ret)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* attributes in                                                       */

static const struct nla_policy top_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID]		= { .type = NLA_U32 },
	[KRELAY_A_LISTEN]		= { .type = NLA_NESTED },
	[KRELAY_A_BACKENDS]		= { .type = NLA_NESTED },
	[KRELAY_A_MODE]			= { .type = NLA_U8 },
	[KRELAY_A_CONNECT_TIMEOUT_MS]	= { .type = NLA_U32 },
	[KRELAY_A_IDLE_TIMEOUT_MS]	= { .type = NLA_U32 },
	[KRELAY_A_BACKLOG]		= { .type = NLA_U32 },
	[KRELAY_A_STATS]		= { .type = NLA_NESTED },
	[KRELAY_A_RULE_COUNT]		= { .type = NLA_U32 },
	[KRELAY_A_CONN]			= { .type = NLA_NESTED },
	[KRELAY_A_CONN_ID]		= { .type = NLA_U64 },
	[KRELAY_A_SCHED]		= { .type = NLA_U8 },
	[KRELAY_A_HOLDDOWN_MS]		= { .type = NLA_U32 },
	[KRELAY_A_SOURCE]		= { .type = NLA_NESTED },
	[KRELAY_A_MARK]			= { .type = NLA_U32 },
	[KRELAY_A_KEEPALIVE_S]		= { .type = NLA_U32 },
	[KRELAY_A_ACL]			= { .type = NLA_NESTED },
	[KRELAY_A_CHECK]		= { .type = NLA_NESTED },
	[KRELAY_A_DRAIN_TIMEOUT_MS]	= { .type = NLA_U32 },
	[KRELAY_A_DRAINING]		= { .type = NLA_U8 },
	[KRELAY_A_DRAIN_LEFT_MS]	= { .type = NLA_U32 },
	[KRELAY_A_RULES]		= { .type = NLA_NESTED },
	[KRELAY_A_MAXCONN]		= { .type = NLA_U32 },
	[KRELAY_A_PROXY_PROTOCOL]	= { .type = NLA_U8 },
	[KRELAY_A_TRANSPARENT]		= { .type = NLA_U8 },
};

static const struct nla_policy addr_policy[KRELAY_ADDR_A_MAX + 1] = {
	[KRELAY_ADDR_A_IPV4]	= { .minlen = 4 },
	[KRELAY_ADDR_A_IPV6]	= { .minlen = 16 },
	[KRELAY_ADDR_A_PORT]	= { .type = NLA_U16 },
};

static const struct nla_policy backend_policy[KRELAY_BACKEND_A_MAX + 1] = {
	[KRELAY_BACKEND_A_ADDR]		= { .type = NLA_NESTED },
	[KRELAY_BACKEND_A_WEIGHT]	= { .type = NLA_U32 },
	[KRELAY_BACKEND_A_STATE]	= { .type = NLA_U8 },
	[KRELAY_BACKEND_A_DOWN_MS]	= { .type = NLA_U32 },
	[KRELAY_BACKEND_A_CONNS]	= { .type = NLA_U64 },
	[KRELAY_BACKEND_A_FAILED]	= { .type = NLA_U64 },
	[KRELAY_BACKEND_A_ACTIVE]	= { .type = NLA_U64 },
	[KRELAY_BACKEND_A_BYTES_TO_BACKEND] = { .type = NLA_U64 },
	[KRELAY_BACKEND_A_BYTES_TO_CLIENT] = { .type = NLA_U64 },
	[KRELAY_BACKEND_A_MAXCONN]	= { .type = NLA_U32 },
	[KRELAY_BACKEND_A_DRAIN]	= { .type = NLA_U8 },
	[KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS] = { .type = NLA_U32 },
	[KRELAY_BACKEND_A_DRAIN_LEFT_MS] = { .type = NLA_U32 },
	[KRELAY_BACKEND_A_HEALTH]	= { .type = NLA_U8 },
	[KRELAY_BACKEND_A_CHECKS_OK]	= { .type = NLA_U64 },
	[KRELAY_BACKEND_A_CHECKS_FAILED] = { .type = NLA_U64 },
};

static const struct nla_policy acl_policy[KRELAY_ACL_A_MAX + 1] = {
	[KRELAY_ACL_A_ACTION]		= { .type = NLA_U8 },
	[KRELAY_ACL_A_IPV4]		= { .minlen = 4 },
	[KRELAY_ACL_A_IPV6]		= { .minlen = 16 },
	[KRELAY_ACL_A_PREFIXLEN]	= { .type = NLA_U8 },
};

static const struct nla_policy stats_policy[KRELAY_STATS_A_MAX + 1] = {
	[KRELAY_STATS_A_CONN_ACCEPTED]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_CONN_ACTIVE]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_CONN_FAILED]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_CONN_CLOSED]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_CONN_RESET]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_CONN_CONNECT_TIMEOUT]	= { .type = NLA_U64 },
	[KRELAY_STATS_A_CONN_IDLE_TIMEOUT]	= { .type = NLA_U64 },
	[KRELAY_STATS_A_CONN_ABORTED]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_BYTES_TO_BACKEND]	= { .type = NLA_U64 },
	[KRELAY_STATS_A_BYTES_TO_CLIENT]	= { .type = NLA_U64 },
	[KRELAY_STATS_A_BYTES_ZEROCOPY]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_BYTES_COPIED]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_CONN_CONNECT_REFUSED]	= { .type = NLA_U64 },
	[KRELAY_STATS_A_CONN_DENIED]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_FAILOVERS]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_FAST_PASSES]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_WORK_RUNS]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_EVENTS_DROPPED]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_CONN_OVERLIMIT]		= { .type = NLA_U64 },
	[KRELAY_STATS_A_NOMEM_RETRIES]		= { .type = NLA_U64 },
};

static const struct nla_policy conn_policy[KRELAY_CONN_A_MAX + 1] = {
	[KRELAY_CONN_A_ID]		= { .type = NLA_U64 },
	[KRELAY_CONN_A_RULE_ID]		= { .type = NLA_U32 },
	[KRELAY_CONN_A_CLIENT]		= { .type = NLA_NESTED },
	[KRELAY_CONN_A_BACKEND]		= { .type = NLA_NESTED },
	[KRELAY_CONN_A_STATE]		= { .type = NLA_U8 },
	[KRELAY_CONN_A_BYTES_TO_BACKEND] = { .type = NLA_U64 },
	[KRELAY_CONN_A_BYTES_TO_CLIENT]	= { .type = NLA_U64 },
	[KRELAY_CONN_A_AGE_MS]		= { .type = NLA_U64 },
	[KRELAY_CONN_A_IDLE_MS]		= { .type = NLA_U64 },
};

static int get_endpoint(struct nlattr *nest, struct krelay_endpoint *ep)
{
	struct nlattr *tb[KRELAY_ADDR_A_MAX + 1];

	memset(ep, 0, sizeof(*ep));
	if (nla_parse_nested(tb, KRELAY_ADDR_A_MAX, nest, addr_policy) < 0)
		return -EBADMSG;
	if (tb[KRELAY_ADDR_A_IPV4]) {
		ep->family = AF_INET;
		memcpy(&ep->addr.v4, nla_data(tb[KRELAY_ADDR_A_IPV4]),
		       sizeof(ep->addr.v4));
	} else if (tb[KRELAY_ADDR_A_IPV6]) {
		ep->family = AF_INET6;
		memcpy(&ep->addr.v6, nla_data(tb[KRELAY_ADDR_A_IPV6]),
		       sizeof(ep->addr.v6));
	} else {
		return -EBADMSG;
	}
	if (tb[KRELAY_ADDR_A_PORT])
		ep->port = ntohs(nla_get_u16(tb[KRELAY_ADDR_A_PORT]));
	return 0;
}

static uint64_t get_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static uint32_t get_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static int get_stats(struct nlattr *nest, struct krelay_stats *s)
{
	struct nlattr *tb[KRELAY_STATS_A_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (nla_parse_nested(tb, KRELAY_STATS_A_MAX, nest, stats_policy) < 0)
		return -EBADMSG;
	s->accepted = get_u64(tb, KRELAY_STATS_A_CONN_ACCEPTED);
	s->active = get_u64(tb, KRELAY_STATS_A_CONN_ACTIVE);
	s->failed = get_u64(tb, KRELAY_STATS_A_CONN_FAILED);
	s->closed = get_u64(tb, KRELAY_STATS_A_CONN_CLOSED);
	s->reset = get_u64(tb, KRELAY_STATS_A_CONN_RESET);
	s->connect_timeout = get_u64(tb, KRELAY_STATS_A_CONN_CONNECT_TIMEOUT);
	s->connect_refused = get_u64(tb, KRELAY_STATS_A_CONN_CONNECT_REFUSED);
	s->idle_timeout = get_u64(tb, KRELAY_STATS_A_CONN_IDLE_TIMEOUT);
	s->aborted = get_u64(tb, KRELAY_STATS_A_CONN_ABORTED);
	s->denied = get_u64(tb, KRELAY_STATS_A_CONN_DENIED);
	s->failovers = get_u64(tb, KRELAY_STATS_A_FAILOVERS);
	s->fast_passes = get_u64(tb, KRELAY_STATS_A_FAST_PASSES);
	s->work_runs = get_u64(tb, KRELAY_STATS_A_WORK_RUNS);
	s->overlimit = get_u64(tb, KRELAY_STATS_A_CONN_OVERLIMIT);
	s->nomem_retries = get_u64(tb, KRELAY_STATS_A_NOMEM_RETRIES);
	s->events_dropped = get_u64(tb, KRELAY_STATS_A_EVENTS_DROPPED);
	s->bytes_to_backend = get_u64(tb, KRELAY_STATS_A_BYTES_TO_BACKEND);
	s->bytes_to_client = get_u64(tb, KRELAY_STATS_A_BYTES_TO_CLIENT);
	s->bytes_zerocopy = get_u64(tb, KRELAY_STATS_A_BYTES_ZEROCOPY);
	s->bytes_copied = get_u64(tb, KRELAY_STATS_A_BYTES_COPIED);
	return 0;
}

static const struct nla_policy check_policy[KRELAY_CHECK_A_MAX + 1] = {
	[KRELAY_CHECK_A_INTERVAL_MS]	= { .type = NLA_U32 },
	[KRELAY_CHECK_A_TIMEOUT_MS]	= { .type = NLA_U32 },
	[KRELAY_CHECK_A_RISE]		= { .type = NLA_U32 },
	[KRELAY_CHECK_A_FALL]		= { .type = NLA_U32 },
};

static int get_check(struct nlattr *nest, struct krelay_check *c)
{
	struct nlattr *tb[KRELAY_CHECK_A_MAX + 1];

	memset(c, 0, sizeof(*c));
	if (nla_parse_nested(tb, KRELAY_CHECK_A_MAX, nest, check_policy) < 0)
		return -EBADMSG;
	c->enabled = 1;
	c->interval_ms = get_u32(tb, KRELAY_CHECK_A_INTERVAL_MS);
	c->timeout_ms = get_u32(tb, KRELAY_CHECK_A_TIMEOUT_MS);
	c->rise = get_u32(tb, KRELAY_CHECK_A_RISE);
	c->fall = get_u32(tb, KRELAY_CHECK_A_FALL);
	return 0;
}

static int get_backend(struct nlattr *nest, struct krelay_backend *b)
{
	struct nlattr *tb[KRELAY_BACKEND_A_MAX + 1];
	int ret;

	memset(b, 0, sizeof(*b));
	if (nla_parse_nested(tb, KRELAY_BACKEND_A_MAX, nest, backend_policy) < 0 ||
	    !tb[KRELAY_BACKEND_A_ADDR])
		return -EBADMSG;
	ret = get_endpoint(tb[KRELAY_BACKEND_A_ADDR], &b->addr);
	if (ret)
		return ret;
	b->weight = tb[KRELAY_BACKEND_A_WEIGHT] ?
		nla_get_u32(tb[KRELAY_BACKEND_A_WEIGHT]) : 1;
	b->maxconn = get_u32(tb, KRELAY_BACKEND_A_MAXCONN);
	if (tb[KRELAY_BACKEND_A_STATE]) {
		b->has_state = 1;
		b->state = nla_get_u8(tb[KRELAY_BACKEND_A_STATE]);
	}
	b->down_ms = get_u32(tb, KRELAY_BACKEND_A_DOWN_MS);
	b->conns = get_u64(tb, KRELAY_BACKEND_A_CONNS);
	b->failed = get_u64(tb, KRELAY_BACKEND_A_FAILED);
	b->active = get_u64(tb, KRELAY_BACKEND_A_ACTIVE);
	b->bytes_to_backend = get_u64(tb, KRELAY_BACKEND_A_BYTES_TO_BACKEND);
	b->bytes_to_client = get_u64(tb, KRELAY_BACKEND_A_BYTES_TO_CLIENT);
	b->drain = tb[KRELAY_BACKEND_A_DRAIN] &&
		   nla_get_u8(tb[KRELAY_BACKEND_A_DRAIN]);
	b->drain_timeout_ms = get_u32(tb, KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS);
	b->drain_left_ms = get_u32(tb, KRELAY_BACKEND_A_DRAIN_LEFT_MS);
	if (tb[KRELAY_BACKEND_A_HEALTH]) {
		b->has_health = 1;
		b->health = nla_get_u8(tb[KRELAY_BACKEND_A_HEALTH]);
	}
	b->checks_ok = get_u64(tb, KRELAY_BACKEND_A_CHECKS_OK);
	b->checks_failed = get_u64(tb, KRELAY_BACKEND_A_CHECKS_FAILED);
	return 0;
}

static int get_backends(struct nlattr *nest, struct krelay_backend *out,
			size_t max, size_t *n)
{
	struct nlattr *a;
	int rem, ret;

	*n = 0;
	nla_for_each_nested(a, nest, rem) {
		if (*n >= max)
			return -EBADMSG;
		ret = get_backend(a, &out[*n]);
		if (ret)
			return ret;
		++*n;
	}
	return 0;
}

static int get_acl(struct nlattr *nest, struct krelay_acl *acl)
{
	struct nlattr *tb[KRELAY_ACL_A_MAX + 1];
	struct nlattr *a;
	int rem;

	acl->n = 0;
	nla_for_each_nested(a, nest, rem) {
		struct krelay_acl_entry *e;

		if (acl->n >= KRELAY_MAX_ACL)
			return -EBADMSG;
		if (nla_parse_nested(tb, KRELAY_ACL_A_MAX, a, acl_policy) < 0)
			return -EBADMSG;
		e = &acl->e[acl->n];
		memset(e, 0, sizeof(*e));
		e->action = tb[KRELAY_ACL_A_ACTION] ?
			nla_get_u8(tb[KRELAY_ACL_A_ACTION]) : KRELAY_ACL_ALLOW;
		if (tb[KRELAY_ACL_A_IPV4]) {
			e->family = AF_INET;
			memcpy(&e->addr.v4, nla_data(tb[KRELAY_ACL_A_IPV4]), 4);
			e->prefixlen = 32;
		} else if (tb[KRELAY_ACL_A_IPV6]) {
			e->family = AF_INET6;
			memcpy(&e->addr.v6, nla_data(tb[KRELAY_ACL_A_IPV6]), 16);
			e->prefixlen = 128;
		} else {
			return -EBADMSG;
		}
		if (tb[KRELAY_ACL_A_PREFIXLEN])
			e->prefixlen = nla_get_u8(tb[KRELAY_ACL_A_PREFIXLEN]);
		acl->n++;
	}
	return 0;
}

static int parse_top(struct nlmsghdr *nlh, struct nlattr **tb)
{
	if (genlmsg_parse(nlh, 0, tb, KRELAY_A_MAX, top_policy) < 0)
		return -EBADMSG;
	return 0;
}

static int parse_rule_attrs(struct nlattr **tb, struct krelay_rule *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	if (!tb[KRELAY_A_RULE_ID])
		return -EBADMSG;
	r->id = nla_get_u32(tb[KRELAY_A_RULE_ID]);
	if (tb[KRELAY_A_LISTEN]) {
		ret = get_endpoint(tb[KRELAY_A_LISTEN], &r->listen);
		if (ret)
			return ret;
		r->present |= KRELAY_RULE_F_LISTEN;
	}
	if (tb[KRELAY_A_BACKENDS]) {
		ret = get_backends(tb[KRELAY_A_BACKENDS], r->backends,
				   KRELAY_MAX_BACKENDS, &r->nbackends);
		if (ret)
			return ret;
		r->present |= KRELAY_RULE_F_BACKEND;
	}
	if (tb[KRELAY_A_MODE]) {
		r->mode = nla_get_u8(tb[KRELAY_A_MODE]);
		r->present |= KRELAY_RULE_F_MODE;
	}
	if (tb[KRELAY_A_SCHED]) {
		r->sched = nla_get_u8(tb[KRELAY_A_SCHED]);
		r->present |= KRELAY_RULE_F_SCHED;
	}
	if (tb[KRELAY_A_HOLDDOWN_MS]) {
		r->holddown_ms = nla_get_u32(tb[KRELAY_A_HOLDDOWN_MS]);
		r->present |= KRELAY_RULE_F_HOLDDOWN;
	}
	if (tb[KRELAY_A_CONNECT_TIMEOUT_MS]) {
		r->connect_timeout_ms = nla_get_u32(tb[KRELAY_A_CONNECT_TIMEOUT_MS]);
		r->present |= KRELAY_RULE_F_CONNECT_TIMEOUT;
	}
	if (tb[KRELAY_A_IDLE_TIMEOUT_MS]) {
		r->idle_timeout_ms = nla_get_u32(tb[KRELAY_A_IDLE_TIMEOUT_MS]);
		r->present |= KRELAY_RULE_F_IDLE_TIMEOUT;
	}
	if (tb[KRELAY_A_BACKLOG]) {
		r->backlog = nla_get_u32(tb[KRELAY_A_BACKLOG]);
		r->present |= KRELAY_RULE_F_BACKLOG;
	}
	/* Absent source / ACL: none (the kernel leaves them out then). */
	r->present |= KRELAY_RULE_F_SOURCE | KRELAY_RULE_F_ACL;
	if (tb[KRELAY_A_SOURCE] && nla_len(tb[KRELAY_A_SOURCE]) > 0) {
		ret = get_endpoint(tb[KRELAY_A_SOURCE], &r->source);
		if (ret)
			return ret;
	}
	if (tb[KRELAY_A_MARK]) {
		r->mark = nla_get_u32(tb[KRELAY_A_MARK]);
		r->present |= KRELAY_RULE_F_MARK;
	}
	if (tb[KRELAY_A_KEEPALIVE_S]) {
		r->keepalive_s = nla_get_u32(tb[KRELAY_A_KEEPALIVE_S]);
		r->present |= KRELAY_RULE_F_KEEPALIVE;
	}
	if (tb[KRELAY_A_MAXCONN]) {
		r->maxconn = nla_get_u32(tb[KRELAY_A_MAXCONN]);
		r->present |= KRELAY_RULE_F_MAXCONN;
	}
	if (tb[KRELAY_A_PROXY_PROTOCOL]) {
		r->proxy_protocol = nla_get_u8(tb[KRELAY_A_PROXY_PROTOCOL]);
		r->present |= KRELAY_RULE_F_PROXY;
	}
	if (tb[KRELAY_A_TRANSPARENT]) {
		r->transparent = nla_get_u8(tb[KRELAY_A_TRANSPARENT]);
		r->present |= KRELAY_RULE_F_TRANSPARENT;
	}
	if (tb[KRELAY_A_ACL]) {
		ret = get_acl(tb[KRELAY_A_ACL], &r->acl);
		if (ret)
			return ret;
	}
	r->draining = tb[KRELAY_A_DRAINING] &&
		      nla_get_u8(tb[KRELAY_A_DRAINING]);
	if (tb[KRELAY_A_DRAIN_LEFT_MS]) {
		r->drain_left_ms = nla_get_u32(tb[KRELAY_A_DRAIN_LEFT_MS]);
		r->has_drain_left = 1;
	}
	r->present |= KRELAY_RULE_F_CHECK;
	if (tb[KRELAY_A_CHECK]) {
		ret = get_check(tb[KRELAY_A_CHECK], &r->check);
		if (ret)
			return ret;
	}
	if (tb[KRELAY_A_STATS]) {
		ret = get_stats(tb[KRELAY_A_STATS], &r->stats);
		if (ret)
			return ret;
		r->present |= KRELAY_RULE_F_STATS;
	}
	return 0;
}

static int parse_rule(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[KRELAY_A_MAX + 1];
	int ret = parse_top(nlh, tb);

	if (ret)
		return ret;
	return parse_rule_attrs(tb, arg);
}

static int parse_conn(struct nlattr *nest, struct krelay_conn *c)
{
	struct nlattr *ct[KRELAY_CONN_A_MAX + 1];
	int ret;

	if (nla_parse_nested(ct, KRELAY_CONN_A_MAX, nest, conn_policy) < 0)
		return -EBADMSG;
	memset(c, 0, sizeof(*c));
	c->id = get_u64(ct, KRELAY_CONN_A_ID);
	c->rule_id = get_u32(ct, KRELAY_CONN_A_RULE_ID);
	if (ct[KRELAY_CONN_A_CLIENT]) {
		ret = get_endpoint(ct[KRELAY_CONN_A_CLIENT], &c->client);
		if (ret)
			return ret;
		c->has_client = 1;
	}
	if (ct[KRELAY_CONN_A_BACKEND]) {
		ret = get_endpoint(ct[KRELAY_CONN_A_BACKEND], &c->backend);
		if (ret)
			return ret;
		c->has_backend = 1;
	}
	if (ct[KRELAY_CONN_A_STATE])
		c->state = nla_get_u8(ct[KRELAY_CONN_A_STATE]);
	c->bytes_to_backend = get_u64(ct, KRELAY_CONN_A_BYTES_TO_BACKEND);
	c->bytes_to_client = get_u64(ct, KRELAY_CONN_A_BYTES_TO_CLIENT);
	c->age_ms = get_u64(ct, KRELAY_CONN_A_AGE_MS);
	c->idle_ms = get_u64(ct, KRELAY_CONN_A_IDLE_MS);
	return 0;
}

/* ------------------------------------------------------------------ */
/* commands                                                            */

struct rule_reply {
	struct krelay_rule *out;
	int seen;
};

static int rule_reply_fn(struct nlmsghdr *nlh, void *arg)
{
	struct rule_reply *rr = arg;
	int ret;

	if (rr->seen)
		return 0;
	ret = parse_rule(nlh, rr->out);
	if (ret == 0)
		rr->seen = 1;
	return ret;
}

int krelay_rule_add(struct krelay_handle *h, const struct krelay_rule *spec,
		    struct krelay_rule *out)
{
	struct krelay_rule tmp = { 0 };
	struct rule_reply rr = { .out = out ? out : &tmp };
	struct nl_msg *msg;
	int ret;

	if (!(spec->present & KRELAY_RULE_F_LISTEN) ||
	    !(spec->present & KRELAY_RULE_F_BACKEND) || !spec->nbackends)
		return -EINVAL;
	msg = new_req(h, KRELAY_CMD_RULE_NEW, 0);
	if (!msg)
		return -ENOMEM;
	ret = put_endpoint(msg, KRELAY_A_LISTEN, &spec->listen);
	if (!ret)
		ret = put_rule_opts(msg, spec, 0);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	ret = xfer(h, msg, rule_reply_fn, &rr);
	if (ret)
		return ret;
	if (out && !rr.seen) {
		/* No reply body: report what was asked for. */
		*out = *spec;
		out->id = 0;
	}
	return 0;
}

static int rule_del(struct krelay_handle *h, const struct krelay_rule_ref *ref,
		    int drain, uint32_t timeout_ms)
{
	struct nl_msg *msg = new_req(h, KRELAY_CMD_RULE_DEL, 0);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = put_ref(msg, ref);
	if (!ret && drain &&
	    nla_put_u32(msg, KRELAY_A_DRAIN_TIMEOUT_MS, timeout_ms) < 0)
		ret = -EMSGSIZE;
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return xfer(h, msg, NULL, NULL);
}

int krelay_rule_del(struct krelay_handle *h, const struct krelay_rule_ref *ref)
{
	return rule_del(h, ref, 0, 0);
}

int krelay_rule_del_drain(struct krelay_handle *h,
			  const struct krelay_rule_ref *ref, uint32_t timeout_ms)
{
	return rule_del(h, ref, 1, timeout_ms);
}

int krelay_rule_set(struct krelay_handle *h, const struct krelay_rule_ref *ref,
		    const struct krelay_rule *changes)
{
	struct nl_msg *msg = new_req(h, KRELAY_CMD_RULE_SET, 0);
	struct krelay_rule c = *changes;
	int ret;

	if (!msg)
		return -ENOMEM;
	c.present &= ~(unsigned int)(KRELAY_RULE_F_LISTEN | KRELAY_RULE_F_STATS);
	ret = put_ref(msg, ref);
	if (!ret)
		ret = put_rule_opts(msg, &c, 1);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return xfer(h, msg, NULL, NULL);
}

int krelay_rule_get(struct krelay_handle *h, const struct krelay_rule_ref *ref,
		    struct krelay_rule *out)
{
	struct rule_reply rr = { .out = out };
	struct nl_msg *msg = new_req(h, KRELAY_CMD_RULE_GET, 0);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = put_ref(msg, ref);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	ret = xfer(h, msg, rule_reply_fn, &rr);
	if (ret)
		return ret;
	return rr.seen ? 0 : -ENOENT;
}

struct rule_dump {
	krelay_rule_cb cb;
	void *arg;
};

static int rule_dump_fn(struct nlmsghdr *nlh, void *arg)
{
	struct rule_dump *d = arg;
	struct krelay_rule r;
	int ret = parse_rule(nlh, &r);

	if (ret)
		return ret;
	return d->cb(&r, d->arg);
}

int krelay_rule_dump(struct krelay_handle *h, krelay_rule_cb cb, void *arg)
{
	struct rule_dump d = { .cb = cb, .arg = arg };
	struct nl_msg *msg = new_req(h, KRELAY_CMD_RULE_GET, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	return xfer(h, msg, rule_dump_fn, &d);
}

struct conn_dump {
	krelay_conn_cb cb;
	void *arg;
};

static int conn_dump_fn(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[KRELAY_A_MAX + 1];
	struct conn_dump *d = arg;
	struct krelay_conn c;
	int ret;

	ret = parse_top(nlh, tb);
	if (ret)
		return ret;
	if (!tb[KRELAY_A_CONN])
		return 0;
	ret = parse_conn(tb[KRELAY_A_CONN], &c);
	if (ret)
		return ret;
	return d->cb(&c, d->arg);
}

int krelay_conn_dump(struct krelay_handle *h, uint32_t rule_id,
		     krelay_conn_cb cb, void *arg)
{
	struct conn_dump d = { .cb = cb, .arg = arg };
	struct nl_msg *msg = new_req(h, KRELAY_CMD_CONN_GET, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	if (rule_id && nla_put_u32(msg, KRELAY_A_RULE_ID, rule_id) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return xfer(h, msg, conn_dump_fn, &d);
}

int krelay_conn_kill(struct krelay_handle *h, uint64_t conn_id)
{
	struct nl_msg *msg = new_req(h, KRELAY_CMD_CONN_DEL, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, KRELAY_A_CONN_ID, conn_id) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return xfer(h, msg, NULL, NULL);
}

struct totals_reply {
	struct krelay_totals *out;
	int seen;
};

static int totals_fn(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[KRELAY_A_MAX + 1];
	struct totals_reply *tr = arg;
	int ret;

	ret = parse_top(nlh, tb);
	if (ret)
		return ret;
	if (tb[KRELAY_A_STATS]) {
		ret = get_stats(tb[KRELAY_A_STATS], &tr->out->stats);
		if (ret)
			return ret;
	}
	if (tb[KRELAY_A_RULE_COUNT]) {
		tr->out->rule_count = nla_get_u32(tb[KRELAY_A_RULE_COUNT]);
		tr->out->has_rule_count = 1;
	}
	tr->seen = 1;
	return 0;
}

int krelay_stats_get(struct krelay_handle *h, struct krelay_totals *out)
{
	struct totals_reply tr = { .out = out };
	struct nl_msg *msg = new_req(h, KRELAY_CMD_STATS_GET, 0);
	int ret;

	memset(out, 0, sizeof(*out));
	if (!msg)
		return -ENOMEM;
	ret = xfer(h, msg, totals_fn, &tr);
	if (ret)
		return ret;
	return tr.seen ? 0 : -EBADMSG;
}

/* ------------------------------------------------------------------ */
/* ACL and rule sets                                                   */

struct acl_reply {
	struct krelay_acl *out;
	int seen;
};

static int acl_fn(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[KRELAY_A_MAX + 1];
	struct acl_reply *ar = arg;
	int ret;

	ret = parse_top(nlh, tb);
	if (ret)
		return ret;
	ar->out->n = 0;
	if (tb[KRELAY_A_ACL]) {
		ret = get_acl(tb[KRELAY_A_ACL], ar->out);
		if (ret)
			return ret;
	}
	ar->seen = 1;
	return 0;
}

int krelay_acl_get(struct krelay_handle *h, struct krelay_acl *out)
{
	struct acl_reply ar = { .out = out };
	struct nl_msg *msg = new_req(h, KRELAY_CMD_ACL_GET, 0);
	int ret;

	out->n = 0;
	if (!msg)
		return -ENOMEM;
	ret = xfer(h, msg, acl_fn, &ar);
	if (ret)
		return ret;
	return ar.seen ? 0 : -EBADMSG;
}

int krelay_acl_set(struct krelay_handle *h, const struct krelay_acl *acl)
{
	struct nl_msg *msg = new_req(h, KRELAY_CMD_ACL_SET, 0);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = put_acl(msg, acl);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return xfer(h, msg, NULL, NULL);
}

/* A RULESET_SET with thousands of full rules outgrows a page. */
static struct nl_msg *new_big_req(struct krelay_handle *h, uint8_t cmd,
				  size_t size)
{
	struct nl_msg *msg = nlmsg_alloc_size(size);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, 0,
			 cmd, KRELAY_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Upper bound of the bytes one rule takes in a request. */
static size_t rule_msg_size(const struct krelay_rule *r)
{
	return 256 + r->nbackends * 64 + r->acl.n * 48;
}

int krelay_ruleset_set(struct krelay_handle *h, const struct krelay_rule *rules,
		       size_t n, const struct krelay_acl *global)
{
	struct nlattr *list, *one;
	struct nl_msg *msg;
	size_t i, size = 4096;
	int ret = 0;

	if (n > KRELAY_MAX_RULESET)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		if (!(rules[i].present & KRELAY_RULE_F_LISTEN) ||
		    !(rules[i].present & KRELAY_RULE_F_BACKEND) ||
		    !rules[i].nbackends)
			return -EINVAL;
		size += rule_msg_size(&rules[i]);
	}
	if (global)
		size += global->n * 48;

	msg = new_big_req(h, KRELAY_CMD_RULESET_SET, size);
	if (!msg)
		return -ENOMEM;
	list = nla_nest_start(msg, KRELAY_A_RULES | NLA_F_NESTED);
	if (!list) {
		ret = -EMSGSIZE;
		goto fail;
	}
	for (i = 0; i < n && !ret; i++) {
		struct krelay_rule r = rules[i];

		r.present &= ~(unsigned int)KRELAY_RULE_F_STATS;
		one = nla_nest_start(msg, (int)(i + 1) | NLA_F_NESTED);
		if (!one) {
			ret = -EMSGSIZE;
			break;
		}
		ret = put_endpoint(msg, KRELAY_A_LISTEN, &r.listen);
		if (!ret)
			ret = put_rule_opts(msg, &r, 0);
		if (!ret)
			nla_nest_end(msg, one);
	}
	if (ret)
		goto fail;
	/* an attribute's length is 16 bits: a larger set would wrap it */
	if ((char *)nlmsg_tail(nlmsg_hdr(msg)) - (char *)list > 0xffff) {
		ret = -EMSGSIZE;
		goto fail;
	}
	nla_nest_end_keep_empty(msg, list);	/* no rules: delete them all */
	if (global) {
		ret = put_acl(msg, global);
		if (ret)
			goto fail;
	}
	return xfer(h, msg, NULL, NULL);
fail:
	nlmsg_free(msg);
	return ret;
}

/* ------------------------------------------------------------------ */
/* events                                                              */

int krelay_monitor_start(struct krelay_handle *h)
{
	int grp, ret;

	grp = genl_ctrl_resolve_grp(h->sk, KRELAY_GENL_NAME,
				    KRELAY_MCGRP_EVENTS);
	if (grp < 0)
		return nlerr_to_errno(grp);
	ret = nl_socket_add_membership(h->sk, grp);
	if (ret < 0)
		return nlerr_to_errno(ret);
	/* Bursts (a rule set, many connections) must not overflow it. */
	(void)nl_socket_set_buffer_size(h->sk, 4 << 20, 0);
	return 0;
}

int krelay_monitor_fd(const struct krelay_handle *h)
{
	return nl_socket_get_fd(h->sk);
}

/* Turn one notification into @ev; 1 when it is not an event we know. */
static int parse_event(struct nlmsghdr *nlh, struct krelay_event *ev)
{
	struct nlattr *tb[KRELAY_A_MAX + 1];
	struct genlmsghdr *gh = nlmsg_data(nlh);
	int ret;

	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EBADMSG;
	ret = parse_top(nlh, tb);
	if (ret)
		return ret;
	memset(ev, 0, sizeof(*ev));
	switch (gh->cmd) {
	case KRELAY_CMD_RULE_NEW:
	case KRELAY_CMD_RULE_SET:
	case KRELAY_CMD_RULE_DEL:
		ev->type = gh->cmd == KRELAY_CMD_RULE_NEW ? KRELAY_EV_RULE_NEW :
			gh->cmd == KRELAY_CMD_RULE_SET ? KRELAY_EV_RULE_SET :
			KRELAY_EV_RULE_DEL;
		ret = parse_rule_attrs(tb, &ev->rule);
		ev->rule_id = ev->rule.id;
		return ret;
	case KRELAY_CMD_CONN_GET:
	case KRELAY_CMD_CONN_DEL:
		ev->type = gh->cmd == KRELAY_CMD_CONN_GET ? KRELAY_EV_CONN_OPEN :
			KRELAY_EV_CONN_CLOSE;
		if (!tb[KRELAY_A_CONN])
			return -EBADMSG;
		ret = parse_conn(tb[KRELAY_A_CONN], &ev->conn);
		ev->rule_id = ev->conn.rule_id;
		return ret;
	case KRELAY_CMD_BACKEND_EVENT: {
		size_t nb = 0;

		ev->type = KRELAY_EV_BACKEND;
		if (!tb[KRELAY_A_BACKENDS])
			return -EBADMSG;
		ev->rule_id = get_u32(tb, KRELAY_A_RULE_ID);
		ret = get_backends(tb[KRELAY_A_BACKENDS], &ev->backend, 1, &nb);
		if (ret)
			return ret;
		return nb == 1 ? 0 : -EBADMSG;
	}
	default:
		return 1;
	}
}

int krelay_monitor_read(struct krelay_handle *h, krelay_event_cb cb, void *arg)
{
	struct krelay_event *ev;
	struct nlmsghdr *nlh;
	ssize_t n = recv_one(h);
	int rem, ret = 0;

	if (n <= 0)
		return (int)n;
	ev = malloc(sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	rem = (int)n;
	for (nlh = (struct nlmsghdr *)h->rbuf; !ret && nlmsg_ok(nlh, rem);
	     nlh = nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type != h->family)
			continue;
		ret = parse_event(nlh, ev);
		if (ret == 1) {
			ret = 0;
			continue;
		}
		if (ret)
			break;
		ret = cb(ev, arg);
	}
	free(ev);
	return ret;
}
