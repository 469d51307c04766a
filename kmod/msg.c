// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: generic netlink messages - rules, connections, stats and ACLs as
 * the family's gets, dumps and events carry them - and sending events.
 *
 * Events (multicast group KRELAY_MCGRP_EVENTS, per netns, built only while
 * somebody listens):
 *   KRELAY_CMD_RULE_NEW, _RULE_SET, _RULE_DEL  the rule as RULE_GET shows
 *       it, after creation, change, or deletion (with final counters);
 *   KRELAY_CMD_CONN_GET  KRELAY_A_CONN of a connection just accepted;
 *   KRELAY_CMD_CONN_DEL  KRELAY_A_CONN of a connection that ended (state
 *       CLOSING, final byte counts);
 *   KRELAY_CMD_BACKEND_EVENT  a backend went down or came back up;
 *   KRELAY_CMD_ACL_SET  the netns-wide ACL after a change.
 */

#include <linux/jiffies.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "genl.h"

bool krelay_events_on;

/* ---- message building -------------------------------------------------- */

static int krelay_put_addr(struct sk_buff *skb, int type,
			   const union krelay_addr *a)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;

	switch (a->sa.sa_family) {
	case AF_INET:
		if (nla_put_in_addr(skb, KRELAY_ADDR_A_IPV4,
				    a->sin.sin_addr.s_addr) ||
		    nla_put_be16(skb, KRELAY_ADDR_A_PORT, a->sin.sin_port))
			goto cancel;
		break;
	case AF_INET6:
		if (nla_put_in6_addr(skb, KRELAY_ADDR_A_IPV6,
				     &a->sin6.sin6_addr) ||
		    nla_put_be16(skb, KRELAY_ADDR_A_PORT, a->sin6.sin6_port))
			goto cancel;
		break;
	default:
		/* unknown (peer gone before we asked): empty nest */
		break;
	}
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* @netns: the netns-wide totals, which carry the netns' own counters too */
int krelay_put_stats(struct sk_buff *skb, const u64 *v, bool netns)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, KRELAY_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = KRELAY_STATS_A_PAD + 1; i <= KRELAY_STATS_A_MAX; i++) {
		if (i == KRELAY_STATS_A_EVENTS_DROPPED && !netns)
			continue;
		if (nla_put_u64_64bit(skb, i, v[i], KRELAY_STATS_A_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

void krelay_rule_stats_add(struct krelay_rule *rule, u64 *v)
{
	int i;

	for (i = KRELAY_STATS_A_PAD + 1; i <= KRELAY_STATS_A_MAX; i++)
		if (i != KRELAY_STATS_A_EVENTS_DROPPED)
			v[i] += atomic64_read(&rule->stats.c[i]);
}

/* Drain time left of a draining backend with a timeout, in ms. */
static u32 krelay_drain_left(const struct krelay_rule_backend *rb)
{
	const struct krelay_backend *be = rb->be;
	unsigned long end;

	if (!rb->drain_timeout_ms || !test_bit(KRELAY_BF_DRAINING, &be->flags))
		return 0;
	/* pairs with smp_mb__before_atomic() in krelay_maint_commit() */
	smp_rmb();
	end = READ_ONCE(be->drain_since) + msecs_to_jiffies(rb->drain_timeout_ms);
	if (!time_before(jiffies, end))
		return 0;
	return jiffies_to_msecs(end - jiffies);
}

/*
 * Drain (from the snapshot entry @rb, NULL in events) and health (with
 * @checks, the rule's checks being on) of a backend.
 */
static int krelay_put_backend_ext(struct sk_buff *skb,
				  const struct krelay_backend *be,
				  const struct krelay_rule_backend *rb,
				  bool checks)
{
	if (rb && rb->drain &&
	    (nla_put_u8(skb, KRELAY_BACKEND_A_DRAIN, 1) ||
	     nla_put_u32(skb, KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS,
			 rb->drain_timeout_ms) ||
	     nla_put_u32(skb, KRELAY_BACKEND_A_DRAIN_LEFT_MS,
			 krelay_drain_left(rb))))
		return -EMSGSIZE;
	if (checks &&
	    nla_put_u8(skb, KRELAY_BACKEND_A_HEALTH,
		       test_bit(KRELAY_BF_SICK, &be->flags) ?
		       KRELAY_HEALTH_DOWN : KRELAY_HEALTH_UP))
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, KRELAY_BACKEND_A_CHECKS_OK,
			      atomic64_read(&be->checks_ok),
			      KRELAY_BACKEND_A_PAD) ||
	    nla_put_u64_64bit(skb, KRELAY_BACKEND_A_CHECKS_FAILED,
			      atomic64_read(&be->checks_failed),
			      KRELAY_BACKEND_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/* @rb: the backend's entry in a rule (weight, maxconn, drain), NULL in events */
static int krelay_put_backend(struct sk_buff *skb, int type,
			      const struct krelay_backend *be,
			      const struct krelay_rule_backend *rb, bool checks)
{
	unsigned long left = 0;
	struct nlattr *nest;
	bool down;

	down = krelay_backend_down(be);
	if (down)
		left = READ_ONCE(be->down_until) - jiffies;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (krelay_put_addr(skb, KRELAY_BACKEND_A_ADDR, &be->addr) ||
	    (rb && (nla_put_u32(skb, KRELAY_BACKEND_A_WEIGHT, rb->weight) ||
		    nla_put_u32(skb, KRELAY_BACKEND_A_MAXCONN, rb->maxconn))) ||
	    nla_put_u8(skb, KRELAY_BACKEND_A_STATE,
		       down ? KRELAY_BACKEND_DOWN : KRELAY_BACKEND_UP) ||
	    nla_put_u32(skb, KRELAY_BACKEND_A_DOWN_MS, jiffies_to_msecs(left)) ||
	    nla_put_u64_64bit(skb, KRELAY_BACKEND_A_CONNS,
			      atomic64_read(&be->conns), KRELAY_BACKEND_A_PAD) ||
	    nla_put_u64_64bit(skb, KRELAY_BACKEND_A_FAILED,
			      atomic64_read(&be->failed), KRELAY_BACKEND_A_PAD) ||
	    nla_put_u64_64bit(skb, KRELAY_BACKEND_A_ACTIVE,
			      atomic64_read(&be->active), KRELAY_BACKEND_A_PAD) ||
	    nla_put_u64_64bit(skb, KRELAY_BACKEND_A_BYTES_TO_BACKEND,
			      atomic64_read(&be->bytes[KRELAY_DIR_TO_BACKEND]),
			      KRELAY_BACKEND_A_PAD) ||
	    nla_put_u64_64bit(skb, KRELAY_BACKEND_A_BYTES_TO_CLIENT,
			      atomic64_read(&be->bytes[KRELAY_DIR_TO_CLIENT]),
			      KRELAY_BACKEND_A_PAD) ||
	    krelay_put_backend_ext(skb, be, rb, checks)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Entries of a list nest are numbered from 1; readers ignore the number. */
static int krelay_put_backends(struct sk_buff *skb,
			       const struct krelay_rule_cfg *cfg)
{
	struct nlattr *nest;
	u32 i;

	nest = nla_nest_start(skb, KRELAY_A_BACKENDS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < cfg->nbackends; i++) {
		if (krelay_put_backend(skb, i + 1, cfg->be[i].be, &cfg->be[i],
				       cfg->check.interval_ms)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int krelay_put_acl(struct sk_buff *skb, const struct krelay_acl *acl)
{
	struct nlattr *nest, *entry;
	u32 i;

	if (!acl)
		return 0;
	nest = nla_nest_start(skb, KRELAY_A_ACL);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < acl->n; i++) {
		const struct krelay_acl_entry *e = &acl->e[i];

		entry = nla_nest_start(skb, i + 1);
		if (!entry ||
		    nla_put_u8(skb, KRELAY_ACL_A_ACTION, e->action) ||
		    (e->family == AF_INET ?
		     nla_put_in_addr(skb, KRELAY_ACL_A_IPV4, e->addr.v4) :
		     nla_put_in6_addr(skb, KRELAY_ACL_A_IPV6, &e->addr.v6)) ||
		    nla_put_u8(skb, KRELAY_ACL_A_PREFIXLEN, e->plen)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
		nla_nest_end(skb, entry);
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Room a rule message needs: fixed part, plus each backend (address nest of
 * an IPv6 endpoint, weight, maxconn, state, hold-down, five padded u64
 * counters, drain, drain timeout and time left, health, two padded u64
 * check counters, nest headers: 204 bytes) and each ACL entry.  Caller
 * holds kn->lock, so the snapshot cannot change before the message is
 * filled.
 */
size_t krelay_rule_msg_size(struct krelay_rule *rule)
{
	const struct krelay_rule_cfg *cfg;

	cfg = rcu_dereference_protected(rule->cfg,
					lockdep_is_held(&rule->kn->lock));
	return NLMSG_DEFAULT_SIZE + cfg->nbackends * KRELAY_BACKEND_MSG_SIZE +
	       (cfg->acl ? cfg->acl->n * KRELAY_ACL_ENTRY_MSG_SIZE : 0);
}

/* KRELAY_A_CHECK, when the rule has checks. */
static int krelay_put_check(struct sk_buff *skb,
			    const struct krelay_check_cfg *chk)
{
	struct nlattr *nest;

	if (!chk->interval_ms)
		return 0;
	nest = nla_nest_start(skb, KRELAY_A_CHECK);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KRELAY_CHECK_A_INTERVAL_MS, chk->interval_ms) ||
	    nla_put_u32(skb, KRELAY_CHECK_A_TIMEOUT_MS, chk->timeout_ms) ||
	    nla_put_u32(skb, KRELAY_CHECK_A_RISE, chk->rise) ||
	    nla_put_u32(skb, KRELAY_CHECK_A_FALL, chk->fall)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* KRELAY_A_DRAINING and KRELAY_A_DRAIN_LEFT_MS of a rule deleted with drain. */
static int krelay_put_draining(struct sk_buff *skb,
			       const struct krelay_rule *rule)
{
	unsigned long end = READ_ONCE(rule->drain_end), left = 0;

	if (!READ_ONCE(rule->draining))
		return 0;
	if (end && time_before(jiffies, end))
		left = end - jiffies;
	if (nla_put_u8(skb, KRELAY_A_DRAINING, 1) ||
	    (end && nla_put_u32(skb, KRELAY_A_DRAIN_LEFT_MS,
				jiffies_to_msecs(left))))
		return -EMSGSIZE;
	return 0;
}

/* The rule must be kept alive by the caller (kn->lock, RCU or a ref). */
int krelay_fill_rule(struct sk_buff *skb, struct krelay_rule *rule,
		     u32 portid, u32 seq, int flags, u8 cmd)
{
	u64 v[__KRELAY_STATS_A_MAX] = { 0 };
	const struct krelay_rule_cfg *cfg;
	void *hdr;
	int err;

	hdr = genlmsg_put(skb, portid, seq, &krelay_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	rcu_read_lock();
	cfg = rcu_dereference(rule->cfg);
	err = nla_put_u32(skb, KRELAY_A_RULE_ID, rule->id) ||
	      krelay_put_addr(skb, KRELAY_A_LISTEN, &rule->listen) ||
	      krelay_put_backends(skb, cfg) ||
	      nla_put_u8(skb, KRELAY_A_SCHED, cfg->sched) ||
	      nla_put_u32(skb, KRELAY_A_HOLDDOWN_MS, cfg->holddown_ms) ||
	      nla_put_u8(skb, KRELAY_A_MODE, cfg->mode) ||
	      nla_put_u32(skb, KRELAY_A_CONNECT_TIMEOUT_MS,
			  cfg->connect_timeout_ms) ||
	      nla_put_u32(skb, KRELAY_A_IDLE_TIMEOUT_MS, cfg->idle_timeout_ms) ||
	      nla_put_u32(skb, KRELAY_A_BACKLOG, READ_ONCE(rule->backlog)) ||
	      (cfg->source.sa.sa_family != AF_UNSPEC &&
	       krelay_put_addr(skb, KRELAY_A_SOURCE, &cfg->source)) ||
	      nla_put_u32(skb, KRELAY_A_MARK, cfg->mark) ||
	      nla_put_u32(skb, KRELAY_A_KEEPALIVE_S, cfg->keepalive_s) ||
	      nla_put_u32(skb, KRELAY_A_MAXCONN, cfg->maxconn) ||
	      nla_put_u8(skb, KRELAY_A_PROXY_PROTOCOL, cfg->proxy_protocol) ||
	      nla_put_u8(skb, KRELAY_A_TRANSPARENT, cfg->transparent) ||
	      krelay_put_check(skb, &cfg->check) ||
	      krelay_put_acl(skb, cfg->acl) ||
	      krelay_put_draining(skb, rule);
	rcu_read_unlock();
	if (err)
		goto cancel;

	krelay_rule_stats_add(rule, v);
	if (krelay_put_stats(skb, v, false))
		goto cancel;

	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Caller holds rcu_read_lock() or a reference on @c. */
int krelay_fill_conn(struct sk_buff *skb, const struct krelay_conn *c,
		     u32 portid, u32 seq, int flags, u8 cmd)
{
	unsigned long now = jiffies;
	struct nlattr *nest;
	void *hdr;
	u64 age, idle;

	hdr = genlmsg_put(skb, portid, seq, &krelay_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;

	nest = nla_nest_start(skb, KRELAY_A_CONN);
	if (!nest)
		goto cancel;

	age = jiffies64_to_msecs(now - c->created);
	idle = jiffies64_to_msecs(now - READ_ONCE(c->last_active));
	if (nla_put_u64_64bit(skb, KRELAY_CONN_A_ID, c->id, KRELAY_CONN_A_PAD) ||
	    nla_put_u32(skb, KRELAY_CONN_A_RULE_ID, c->rule->id) ||
	    krelay_put_addr(skb, KRELAY_CONN_A_CLIENT, &c->client) ||
	    krelay_put_addr(skb, KRELAY_CONN_A_BACKEND, &READ_ONCE(c->be)->addr) ||
	    nla_put_u8(skb, KRELAY_CONN_A_STATE, READ_ONCE(c->state)) ||
	    nla_put_u64_64bit(skb, KRELAY_CONN_A_BYTES_TO_BACKEND,
			      atomic64_read(&c->dir[KRELAY_DIR_TO_BACKEND].bytes),
			      KRELAY_CONN_A_PAD) ||
	    nla_put_u64_64bit(skb, KRELAY_CONN_A_BYTES_TO_CLIENT,
			      atomic64_read(&c->dir[KRELAY_DIR_TO_CLIENT].bytes),
			      KRELAY_CONN_A_PAD) ||
	    nla_put_u64_64bit(skb, KRELAY_CONN_A_AGE_MS, age,
			      KRELAY_CONN_A_PAD) ||
	    nla_put_u64_64bit(skb, KRELAY_CONN_A_IDLE_MS, idle,
			      KRELAY_CONN_A_PAD))
		goto cancel;

	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* ---- events ------------------------------------------------------------ */

/*
 * Events are best effort, but a lost one is counted: the netns' events_dropped
 * (STATS_GET's KRELAY_STATS_A_EVENTS_DROPPED) says how many events were not
 * sent for want of memory while somebody listened: no message could be
 * allocated (GFP_ATOMIC) or filled, or the multicast failed for want of
 * memory.  A listener whose own receive buffer overflows is not told here
 * but on its socket (ENOBUFS), as for every netlink multicast.
 */
static void krelay_event_dropped(struct net *net)
{
	atomic64_inc(&krelay_net(net)->events_dropped);
}

/*
 * An event message of @size for @net, or NULL when nobody listens (or the
 * family is going away, or there is no memory: counted).  Caller holds
 * rcu_read_lock() (see krelay_events_on).
 */
static struct sk_buff *krelay_event_new(struct net *net, size_t size)
{
	struct sk_buff *msg;

	if (!READ_ONCE(krelay_events_on) ||
	    !genl_has_listeners(&krelay_family, net, 0))
		return NULL;
	msg = genlmsg_new(size, GFP_ATOMIC);
	if (!msg)
		krelay_event_dropped(net);
	return msg;
}

/*
 * Send @msg, built with result @err (0 or a negative errno), or drop it.
 * The multicast fails with -ESRCH when no listener took the message (the
 * last one left meanwhile, or its receive buffer was full: it sees ENOBUFS
 * itself), otherwise with -ENOBUFS or -ENOMEM: counted.
 */
static void krelay_event_send(struct net *net, struct sk_buff *msg, int err)
{
	if (err) {
		nlmsg_free(msg);
		krelay_event_dropped(net);
		return;
	}
	err = genlmsg_multicast_netns(&krelay_family, net, msg, 0, 0,
				      GFP_ATOMIC);
	if (err && err != -ESRCH)
		krelay_event_dropped(net);
}

void krelay_notify_rule(struct krelay_rule *rule, u8 cmd)
{
	struct net *net = rule->kn->net;
	struct sk_buff *msg;

	rcu_read_lock();
	msg = krelay_event_new(net, krelay_rule_msg_size(rule));
	if (msg)
		krelay_event_send(net, msg,
				  krelay_fill_rule(msg, rule, 0, 0, 0, cmd));
	rcu_read_unlock();
}

void krelay_notify_conn(struct krelay_conn *c, u8 cmd)
{
	struct net *net = c->kn->net;
	struct sk_buff *msg;

	rcu_read_lock();
	msg = krelay_event_new(net, NLMSG_GOODSIZE);
	if (msg)
		krelay_event_send(net, msg,
				  krelay_fill_conn(msg, c, 0, 0, 0, cmd));
	rcu_read_unlock();
}

static int krelay_fill_backend_event(struct sk_buff *skb,
				     struct krelay_rule *rule,
				     struct krelay_backend *be, bool checks)
{
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, 0, 0, &krelay_family, 0,
			  KRELAY_CMD_BACKEND_EVENT);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KRELAY_A_RULE_ID, rule->id))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, KRELAY_A_BACKENDS);
	if (!nest || krelay_put_backend(skb, 1, be, NULL, checks))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

void krelay_notify_backend(struct krelay_rule *rule, struct krelay_backend *be)
{
	struct net *net = rule->kn->net;
	struct sk_buff *msg;
	bool checks;

	rcu_read_lock();
	checks = rcu_dereference(rule->cfg)->check.interval_ms;
	msg = krelay_event_new(net, NLMSG_GOODSIZE);
	if (msg)
		krelay_event_send(net, msg,
				  krelay_fill_backend_event(msg, rule, be,
							    checks));
	rcu_read_unlock();
}

int krelay_fill_acl(struct sk_buff *skb, struct krelay_net *kn,
		    u32 portid, u32 seq, u8 cmd)
{
	void *hdr;
	int err;

	hdr = genlmsg_put(skb, portid, seq, &krelay_family, 0, cmd);
	if (!hdr)
		return -EMSGSIZE;
	rcu_read_lock();
	err = krelay_put_acl(skb, rcu_dereference(kn->acl));
	rcu_read_unlock();
	if (err) {
		genlmsg_cancel(skb, hdr);
		return err;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

void krelay_notify_acl(struct krelay_net *kn)
{
	struct sk_buff *msg;

	rcu_read_lock();
	msg = krelay_event_new(kn->net, KRELAY_ACL_MSG_SIZE);
	if (msg)
		krelay_event_send(kn->net, msg,
				  krelay_fill_acl(msg, kn, 0, 0,
						  KRELAY_CMD_ACL_SET));
	rcu_read_unlock();
}
