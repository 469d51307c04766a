// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: generic netlink family "krelay" - policies, doit/dumpit, events.
 *
 * The ABI is documented in include/uapi/linux/krelay.h.  Every command has
 * its own strict policy; every reject says why in the extended ack.
 *
 * Permissions: rules and connections are per-netns objects, so mutating
 * commands need CAP_NET_ADMIN in the user namespace that owns the netns
 * (GENL_UNS_ADMIN_PERM), as for most network configuration; a container
 * root can manage its own relays but not the host's.  Reading is open to
 * every process of the netns.
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

#include "krelay.h"

#define KRELAY_DEFAULT_BACKLOG			128

static struct genl_family krelay_family;

/*
 * Events go out only while the family is registered: krelay_genl_exit()
 * clears this and waits an RCU grace period before unregistering, and
 * senders test it under rcu_read_lock().
 */
static bool krelay_events_on;

static const struct genl_multicast_group krelay_mcgrps[] = {
	{ .name = KRELAY_MCGRP_EVENTS },
};

/* ---- policies ---------------------------------------------------------- */

static struct netlink_range_validation krelay_connect_timeout_range = {
	.min = 1,
	.max = 600000,
};

static struct netlink_range_validation krelay_idle_timeout_range = {
	.min = 0,
	.max = 86400000,
};

static struct netlink_range_validation krelay_backlog_range = {
	.min = 1,
	.max = 65535,
};

static struct netlink_range_validation krelay_holddown_range = {
	.min = 0,
	.max = 3600000,
};

static struct netlink_range_validation krelay_keepalive_range = {
	.min = 0,
	.max = 32767,
};

/* What RULE_NEW, RULE_SET and each RULESET_SET entry may say of a rule. */
#define KRELAY_RULE_OPTS_POLICY						\
	[KRELAY_A_BACKENDS] = NLA_POLICY_NESTED_ARRAY(krelay_backend_policy), \
	[KRELAY_A_MODE] = NLA_POLICY_MAX(NLA_U8, KRELAY_MODE_MAX),	\
	[KRELAY_A_SCHED] = NLA_POLICY_MAX(NLA_U8, KRELAY_SCHED_MAX),	\
	[KRELAY_A_CONNECT_TIMEOUT_MS] =					\
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_connect_timeout_range), \
	[KRELAY_A_IDLE_TIMEOUT_MS] =					\
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_idle_timeout_range), \
	[KRELAY_A_HOLDDOWN_MS] =					\
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_holddown_range),	\
	[KRELAY_A_BACKLOG] =						\
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_backlog_range),	\
	[KRELAY_A_SOURCE] = NLA_POLICY_NESTED(krelay_addr_policy),	\
	[KRELAY_A_MARK] = { .type = NLA_U32 },				\
	[KRELAY_A_KEEPALIVE_S] =					\
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_keepalive_range), \
	[KRELAY_A_ACL] = NLA_POLICY_NESTED_ARRAY(krelay_acl_policy)

static const struct nla_policy krelay_rule_new_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_LISTEN] = NLA_POLICY_NESTED(krelay_addr_policy),
	KRELAY_RULE_OPTS_POLICY,
};

/* RULE_DEL, RULE_GET: name a rule by id or listen address */
static const struct nla_policy krelay_rule_name_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KRELAY_A_LISTEN] = NLA_POLICY_NESTED(krelay_addr_policy),
};

static const struct nla_policy krelay_rule_set_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KRELAY_A_LISTEN] = NLA_POLICY_NESTED(krelay_addr_policy),
	KRELAY_RULE_OPTS_POLICY,
};

static const struct nla_policy krelay_conn_get_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy krelay_conn_del_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_CONN_ID] = { .type = NLA_U64 },
};

static const struct nla_policy krelay_acl_set_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_ACL] = NLA_POLICY_NESTED_ARRAY(krelay_acl_policy),
};

static const struct nla_policy krelay_ruleset_set_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULES] = NLA_POLICY_NESTED_ARRAY(krelay_rule_new_policy),
	[KRELAY_A_ACL] = NLA_POLICY_NESTED_ARRAY(krelay_acl_policy),
};

/*
 * Find the rule named by KRELAY_A_RULE_ID and/or KRELAY_A_LISTEN (if both,
 * they must agree).  Caller holds kn->lock or rcu_read_lock().
 */
static struct krelay_rule *krelay_rule_lookup(struct krelay_net *kn,
					      struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct krelay_rule *rule = NULL, *by_addr;
	union krelay_addr a;
	int err;

	if (!attrs[KRELAY_A_RULE_ID] && !attrs[KRELAY_A_LISTEN]) {
		NL_SET_ERR_MSG_MOD(extack,
				   "name the rule by its id or its listen address");
		NL_SET_ERR_ATTR_MISS(extack, NULL, KRELAY_A_RULE_ID);
		return ERR_PTR(-EINVAL);
	}

	if (attrs[KRELAY_A_RULE_ID]) {
		u32 id = nla_get_u32(attrs[KRELAY_A_RULE_ID]);

		rule = krelay_rule_find_id(kn, id);
		if (!rule) {
			KRELAY_ERR_FMT(extack, "no rule with this id",
				       "no rule with id %u", id);
			NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_RULE_ID]);
			return ERR_PTR(-ENOENT);
		}
	}

	if (attrs[KRELAY_A_LISTEN]) {
		err = krelay_parse_addr(attrs[KRELAY_A_LISTEN], &a,
					KRELAY_ADDR_LISTEN, extack);
		if (err)
			return ERR_PTR(err);
		by_addr = krelay_rule_find_addr(kn, &a);
		if (!by_addr) {
			KRELAY_ERR_FMT(extack, "no rule listens on this address",
				       "no rule listens on %pISpc", &a.sa);
			NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_LISTEN]);
			return ERR_PTR(-ENOENT);
		}
		if (rule && rule != by_addr) {
			NL_SET_ERR_MSG_MOD(extack,
					   "rule id and listen address name different rules");
			NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_LISTEN]);
			return ERR_PTR(-EINVAL);
		}
		rule = by_addr;
	}
	return rule;
}

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

static int krelay_put_stats(struct sk_buff *skb, const u64 *v)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, KRELAY_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = KRELAY_STATS_A_PAD + 1; i <= KRELAY_STATS_A_MAX; i++) {
		if (nla_put_u64_64bit(skb, i, v[i], KRELAY_STATS_A_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static void krelay_rule_stats_add(struct krelay_rule *rule, u64 *v)
{
	int i;

	for (i = KRELAY_STATS_A_PAD + 1; i <= KRELAY_STATS_A_MAX; i++)
		v[i] += atomic64_read(&rule->stats.c[i]);
}

static int krelay_put_backend(struct sk_buff *skb, int type,
			      const struct krelay_backend *be, u32 weight)
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
	    (weight && nla_put_u32(skb, KRELAY_BACKEND_A_WEIGHT, weight)) ||
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
			      KRELAY_BACKEND_A_PAD)) {
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
		if (krelay_put_backend(skb, i + 1, cfg->be[i].be,
				       cfg->be[i].weight)) {
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
 * an IPv6 endpoint, weight, state, hold-down, five padded u64 counters, nest
 * headers) and each ACL entry.  Caller holds kn->lock, so the snapshot
 * cannot change before the message is filled.
 */
static size_t krelay_rule_msg_size(struct krelay_rule *rule)
{
	const struct krelay_rule_cfg *cfg;

	cfg = rcu_dereference_protected(rule->cfg,
					lockdep_is_held(&rule->kn->lock));
	return NLMSG_DEFAULT_SIZE + cfg->nbackends * 160 +
	       (cfg->acl ? cfg->acl->n * 48 : 0);
}

/* The rule must be kept alive by the caller (kn->lock, RCU or a ref). */
static int krelay_fill_rule(struct sk_buff *skb, struct krelay_rule *rule,
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
	      krelay_put_acl(skb, cfg->acl);
	rcu_read_unlock();
	if (err)
		goto cancel;

	krelay_rule_stats_add(rule, v);
	if (krelay_put_stats(skb, v))
		goto cancel;

	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Caller holds rcu_read_lock() or a reference on @c. */
static int krelay_fill_conn(struct sk_buff *skb, const struct krelay_conn *c,
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

static void krelay_notify(struct net *net, struct sk_buff *msg)
{
	genlmsg_multicast_netns(&krelay_family, net, msg, 0, 0, GFP_ATOMIC);
}

void krelay_notify_rule(struct krelay_rule *rule, u8 cmd)
{
	struct net *net = rule->kn->net;
	struct sk_buff *msg;

	rcu_read_lock();
	if (!READ_ONCE(krelay_events_on) ||
	    !genl_has_listeners(&krelay_family, net, 0))
		goto out;

	msg = genlmsg_new(krelay_rule_msg_size(rule), GFP_ATOMIC);
	if (!msg)
		goto out;
	if (krelay_fill_rule(msg, rule, 0, 0, 0, cmd)) {
		nlmsg_free(msg);
		goto out;
	}
	krelay_notify(net, msg);
out:
	rcu_read_unlock();
}

void krelay_notify_conn(struct krelay_conn *c, u8 cmd)
{
	struct net *net = c->kn->net;
	struct sk_buff *msg;

	rcu_read_lock();
	if (!READ_ONCE(krelay_events_on) ||
	    !genl_has_listeners(&krelay_family, net, 0))
		goto out;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		goto out;
	if (krelay_fill_conn(msg, c, 0, 0, 0, cmd)) {
		nlmsg_free(msg);
		goto out;
	}
	krelay_notify(net, msg);
out:
	rcu_read_unlock();
}

void krelay_notify_backend(struct krelay_rule *rule, struct krelay_backend *be)
{
	struct net *net = rule->kn->net;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	rcu_read_lock();
	if (!READ_ONCE(krelay_events_on) ||
	    !genl_has_listeners(&krelay_family, net, 0))
		goto out;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		goto out;
	hdr = genlmsg_put(msg, 0, 0, &krelay_family, 0,
			  KRELAY_CMD_BACKEND_EVENT);
	if (!hdr)
		goto free;
	if (nla_put_u32(msg, KRELAY_A_RULE_ID, rule->id))
		goto free;
	nest = nla_nest_start(msg, KRELAY_A_BACKENDS);
	if (!nest || krelay_put_backend(msg, 1, be, 0))
		goto free;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	krelay_notify(net, msg);
	goto out;
free:
	nlmsg_free(msg);
out:
	rcu_read_unlock();
}

/* ---- commands ---------------------------------------------------------- */

static int krelay_cmd_rule_new(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	u32 backlog = KRELAY_DEFAULT_BACKLOG;
	struct krelay_rule_cfg *cfg;
	struct krelay_rule *rule;
	union krelay_addr listen;
	struct sk_buff *msg;
	int err;

	if (!attrs[KRELAY_A_LISTEN]) {
		NL_SET_ERR_MSG_MOD(extack, "listen address missing");
		NL_SET_ERR_ATTR_MISS(extack, NULL, KRELAY_A_LISTEN);
		return -EINVAL;
	}
	err = krelay_parse_addr(attrs[KRELAY_A_LISTEN], &listen,
				KRELAY_ADDR_LISTEN, extack);
	if (err)
		return err;
	if (attrs[KRELAY_A_BACKLOG])
		backlog = nla_get_u32(attrs[KRELAY_A_BACKLOG]);

	cfg = krelay_cfg_build(attrs, &listen, NULL, false, extack);
	if (IS_ERR(cfg))
		return PTR_ERR(cfg);

	mutex_lock(&kn->lock);
	rule = krelay_rule_prepare(kn, &listen, cfg, backlog, extack);
	if (IS_ERR(rule)) {
		mutex_unlock(&kn->lock);
		krelay_cfg_free(cfg);
		return PTR_ERR(rule);
	}
	/* cfg belongs to the rule now */
	krelay_rule_link(rule);
	krelay_notify_rule(rule, KRELAY_CMD_RULE_NEW);

	/* the reply is a courtesy: the rule exists whatever happens to it */
	msg = genlmsg_new(krelay_rule_msg_size(rule), GFP_KERNEL);
	if (msg && krelay_fill_rule(msg, rule, info->snd_portid, info->snd_seq,
				    0, KRELAY_CMD_RULE_NEW)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	mutex_unlock(&kn->lock);

	return msg ? genlmsg_reply(msg, info) : 0;
}

static int krelay_cmd_rule_del(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct krelay_rule *rule;
	int err = 0;

	mutex_lock(&kn->lock);
	rule = krelay_rule_lookup(kn, info);
	if (IS_ERR(rule))
		err = PTR_ERR(rule);
	else
		krelay_rule_delete(rule);
	mutex_unlock(&kn->lock);
	return err;
}

static int krelay_cmd_rule_get(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct krelay_rule *rule;
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE + KRELAY_MAX_BACKENDS * 160 +
			  KRELAY_MAX_ACL * 48, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	rcu_read_lock();
	rule = krelay_rule_lookup(kn, info);
	if (IS_ERR(rule))
		err = PTR_ERR(rule);
	else
		err = krelay_fill_rule(msg, rule, info->snd_portid,
				       info->snd_seq, 0, KRELAY_CMD_RULE_GET);
	rcu_read_unlock();

	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* Dump every rule of the netns; cb->args[0] is the next rule id to dump. */
static int krelay_dump_rules(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct krelay_net *kn = krelay_net(sock_net(skb->sk));
	u32 next = cb->args[0];
	struct krelay_rule *rule;
	int err = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(rule, &kn->rules, list) {
		if (rule->id < next)
			continue;
		err = krelay_fill_rule(skb, rule, NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI,
				       KRELAY_CMD_RULE_GET);
		if (err)
			break;
		next = rule->id + 1;
	}
	rcu_read_unlock();

	cb->args[0] = next;
	if (err && !skb->len)
		return err;
	return skb->len;
}

/* Does a RULE_SET request ask for any change? */
static bool krelay_rule_set_empty(struct nlattr **attrs)
{
	static const int opts[] = {
		KRELAY_A_BACKENDS, KRELAY_A_MODE, KRELAY_A_SCHED,
		KRELAY_A_CONNECT_TIMEOUT_MS, KRELAY_A_IDLE_TIMEOUT_MS,
		KRELAY_A_HOLDDOWN_MS, KRELAY_A_BACKLOG, KRELAY_A_SOURCE,
		KRELAY_A_MARK, KRELAY_A_KEEPALIVE_S, KRELAY_A_ACL,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(opts); i++)
		if (attrs[opts[i]])
			return false;
	return true;
}

static int krelay_cmd_rule_set(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct krelay_rule_cfg *old, *cfg;
	struct krelay_rule *rule;
	int err = 0;

	if (krelay_rule_set_empty(attrs)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "nothing to change: give backends or an option");
		return -EINVAL;
	}

	mutex_lock(&kn->lock);
	rule = krelay_rule_lookup(kn, info);
	if (IS_ERR(rule)) {
		err = PTR_ERR(rule);
		goto out;
	}

	/* all or nothing: build a whole new snapshot, then publish it */
	old = rcu_dereference_protected(rule->cfg, lockdep_is_held(&kn->lock));
	cfg = krelay_cfg_build(attrs, &rule->listen, old, true, extack);
	if (IS_ERR(cfg)) {
		err = PTR_ERR(cfg);
		goto out;
	}
	krelay_rule_set_cfg(rule, cfg);
	if (attrs[KRELAY_A_BACKLOG])
		krelay_rule_set_backlog(rule,
					nla_get_u32(attrs[KRELAY_A_BACKLOG]));
	krelay_notify_rule(rule, KRELAY_CMD_RULE_SET);
out:
	mutex_unlock(&kn->lock);
	return err;
}

static int krelay_cmd_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	u64 v[__KRELAY_STATS_A_MAX] = { 0 };
	struct krelay_rule *rule;
	struct sk_buff *msg;
	u32 count = 0;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, info->snd_portid, info->snd_seq, &krelay_family,
			  0, KRELAY_CMD_STATS_GET);
	if (!hdr)
		goto nospace;

	/* totals of the live rules; deleted rules' counters are gone */
	rcu_read_lock();
	list_for_each_entry_rcu(rule, &kn->rules, list) {
		krelay_rule_stats_add(rule, v);
		count++;
	}
	rcu_read_unlock();

	if (krelay_put_stats(msg, v) ||
	    nla_put_u32(msg, KRELAY_A_RULE_COUNT, count))
		goto nospace;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/*
 * Dump live connections, optionally of one rule.  cb->args[0] is the next
 * connection id to look at: ids only grow, so resuming there neither
 * repeats nor skips a connection that stays alive, whatever comes and goes
 * between the parts of the dump.
 */
static int krelay_dump_conns(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct krelay_net *kn = krelay_net(sock_net(skb->sk));
	struct nlattr **attrs = krelay_dump_attrs(cb);
	unsigned long id, next = cb->args[0];
	struct krelay_conn *c;
	u32 rule_id = 0;
	int err = 0;

	if (attrs && attrs[KRELAY_A_RULE_ID])
		rule_id = nla_get_u32(attrs[KRELAY_A_RULE_ID]);

	if (!cb->args[1] && rule_id) {
		bool found;

		rcu_read_lock();
		found = !!krelay_rule_find_id(kn, rule_id);
		rcu_read_unlock();
		if (!found) {
			NL_SET_ERR_MSG_MOD(cb->extack, "no rule with this id");
			NL_SET_BAD_ATTR(cb->extack, attrs[KRELAY_A_RULE_ID]);
			return -ENOENT;
		}
	}
	cb->args[1] = 1;

	rcu_read_lock();
	xa_for_each_start(&kn->conns, id, c, next) {
		if (!rule_id || c->rule->id == rule_id) {
			err = krelay_fill_conn(skb, c,
					       NETLINK_CB(cb->skb).portid,
					       cb->nlh->nlmsg_seq, NLM_F_MULTI,
					       KRELAY_CMD_CONN_GET);
			if (err)
				break;
		}
		next = id + 1;
	}
	rcu_read_unlock();

	cb->args[0] = next;
	if (err && !skb->len)
		return err;
	return skb->len;
}

static int krelay_cmd_conn_del(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	u64 id;

	if (!info->attrs[KRELAY_A_CONN_ID]) {
		NL_SET_ERR_MSG_MOD(extack, "connection id missing");
		NL_SET_ERR_ATTR_MISS(extack, NULL, KRELAY_A_CONN_ID);
		return -EINVAL;
	}
	id = nla_get_u64(info->attrs[KRELAY_A_CONN_ID]);
	if (krelay_conn_abort_id(kn, id)) {
		KRELAY_ERR_FMT(extack, "no connection with this id",
			       "no connection with id %llu", id);
		NL_SET_BAD_ATTR(extack, info->attrs[KRELAY_A_CONN_ID]);
		return -ENOENT;
	}
	return 0;
}

static int krelay_fill_acl(struct sk_buff *skb, struct krelay_net *kn,
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

#define KRELAY_ACL_MSG_SIZE (NLMSG_DEFAULT_SIZE + KRELAY_MAX_ACL * 48)

static int krelay_cmd_acl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(KRELAY_ACL_MSG_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = krelay_fill_acl(msg, kn, info->snd_portid, info->snd_seq,
			      KRELAY_CMD_ACL_GET);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static void krelay_notify_acl(struct krelay_net *kn)
{
	struct sk_buff *msg;

	rcu_read_lock();
	if (!READ_ONCE(krelay_events_on) ||
	    !genl_has_listeners(&krelay_family, kn->net, 0))
		goto out;
	msg = genlmsg_new(KRELAY_ACL_MSG_SIZE, GFP_ATOMIC);
	if (!msg)
		goto out;
	if (krelay_fill_acl(msg, kn, 0, 0, KRELAY_CMD_ACL_SET))
		nlmsg_free(msg);
	else
		krelay_notify(kn->net, msg);
out:
	rcu_read_unlock();
}

/* Replace the netns-wide ACL.  Caller holds kn->lock. */
static void krelay_acl_replace(struct krelay_net *kn, struct krelay_acl *acl)
{
	struct krelay_acl *old;

	old = rcu_replace_pointer(kn->acl, acl, lockdep_is_held(&kn->lock));
	if (old)
		kfree_rcu(old, rcu);
	krelay_notify_acl(kn);
}

static int krelay_cmd_acl_set(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct krelay_acl *acl;
	int err;

	if (!info->attrs[KRELAY_A_ACL]) {
		NL_SET_ERR_MSG_MOD(extack, "ACL missing (an empty one clears it)");
		NL_SET_ERR_ATTR_MISS(extack, NULL, KRELAY_A_ACL);
		return -EINVAL;
	}
	err = krelay_parse_acl(info->attrs[KRELAY_A_ACL], &acl, extack);
	if (err)
		return err;

	mutex_lock(&kn->lock);
	krelay_acl_replace(kn, acl);
	mutex_unlock(&kn->lock);
	return 0;
}

/* One entry of a RULESET_SET, between parsing and commit. */
struct krelay_ruleset_item {
	union krelay_addr listen;
	u32 backlog;
	bool has_backlog;
	struct krelay_rule *rule;	/* existing rule, or prepared new one */
	bool is_new;
	struct krelay_rule_cfg *cfg;	/* new snapshot of an existing rule */
};

static int krelay_ruleset_parse(struct krelay_net *kn,
				const struct nlattr *entry,
				struct krelay_ruleset_item *items, int n,
				struct netlink_ext_ack *extack)
{
	struct krelay_ruleset_item *it = &items[n];
	struct nlattr *tb[KRELAY_A_MAX + 1];
	struct krelay_rule_cfg *cfg;
	const struct krelay_rule_cfg *old = NULL;
	int err, i;

	err = nla_parse_nested(tb, KRELAY_A_MAX, entry, krelay_rule_new_policy,
			       extack);
	if (err)
		return err;
	if (!tb[KRELAY_A_LISTEN]) {
		NL_SET_ERR_MSG_MOD(extack, "rule set entry: listen address missing");
		NL_SET_ERR_ATTR_MISS(extack, entry, KRELAY_A_LISTEN);
		return -EINVAL;
	}
	err = krelay_parse_addr(tb[KRELAY_A_LISTEN], &it->listen,
				KRELAY_ADDR_LISTEN, extack);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (krelay_addr_equal(&items[i].listen, &it->listen)) {
			KRELAY_ERR_FMT(extack, "rule set lists a listen address twice",
				       "rule set lists %pISpc twice",
				       &it->listen.sa);
			NL_SET_BAD_ATTR(extack, tb[KRELAY_A_LISTEN]);
			return -EINVAL;
		}
	}
	it->backlog = KRELAY_DEFAULT_BACKLOG;
	if (tb[KRELAY_A_BACKLOG]) {
		it->backlog = nla_get_u32(tb[KRELAY_A_BACKLOG]);
		it->has_backlog = true;
	}

	it->rule = krelay_rule_find_addr(kn, &it->listen);
	if (it->rule)
		old = rcu_dereference_protected(it->rule->cfg,
						lockdep_is_held(&kn->lock));
	cfg = krelay_cfg_build(tb, &it->listen, old, false, extack);
	if (IS_ERR(cfg))
		return PTR_ERR(cfg);
	if (it->rule) {
		it->cfg = cfg;
		return 0;
	}

	it->rule = krelay_rule_prepare(kn, &it->listen, cfg, it->backlog,
				       extack);
	if (IS_ERR(it->rule)) {
		err = PTR_ERR(it->rule);
		it->rule = NULL;
		krelay_cfg_free(cfg);
		return err;
	}
	it->is_new = true;
	return 0;
}

/*
 * Make the netns' rules match the set, all or nothing: first parse every
 * entry, build every snapshot and open every new listener (nothing visible
 * changes; a failure undoes these); then commit, which cannot fail.
 */
static int krelay_cmd_ruleset_set(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct krelay_ruleset_item *items;
	struct krelay_rule *rule, *tmp;
	struct krelay_acl *acl = NULL;
	const struct nlattr *entry;
	int n = 0, i, rem, err = 0;
	bool keep;

	if (!attrs[KRELAY_A_RULES]) {
		NL_SET_ERR_MSG_MOD(extack, "rule list missing (an empty one deletes every rule)");
		NL_SET_ERR_ATTR_MISS(extack, NULL, KRELAY_A_RULES);
		return -EINVAL;
	}
	n = krelay_list_len(attrs[KRELAY_A_RULES], extack);
	if (n < 0)
		return n;
	if (n > KRELAY_MAX_RULESET) {
		NL_SET_ERR_MSG_MOD(extack, "too many rules in one set (at most 4096)");
		NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_RULES]);
		return -E2BIG;
	}
	if (attrs[KRELAY_A_ACL]) {
		err = krelay_parse_acl(attrs[KRELAY_A_ACL], &acl, extack);
		if (err)
			return err;
	}
	items = kvcalloc(max(n, 1), sizeof(*items), GFP_KERNEL);
	if (!items) {
		kfree(acl);
		return -ENOMEM;
	}

	mutex_lock(&kn->lock);
	i = 0;
	nla_for_each_nested(entry, attrs[KRELAY_A_RULES], rem) {
		err = krelay_ruleset_parse(kn, entry, items, i, extack);
		if (err)
			goto undo;
		i++;
	}

	/* commit */
	list_for_each_entry_safe(rule, tmp, &kn->rules, list) {
		keep = false;
		for (i = 0; i < n && !keep; i++)
			keep = items[i].rule == rule;
		if (!keep)
			krelay_rule_delete(rule);
	}
	for (i = 0; i < n; i++) {
		struct krelay_ruleset_item *it = &items[i];

		if (it->is_new) {
			krelay_rule_link(it->rule);
			krelay_notify_rule(it->rule, KRELAY_CMD_RULE_NEW);
			continue;
		}
		krelay_rule_set_cfg(it->rule, it->cfg);
		if (it->has_backlog)
			krelay_rule_set_backlog(it->rule, it->backlog);
		krelay_notify_rule(it->rule, KRELAY_CMD_RULE_SET);
	}
	if (attrs[KRELAY_A_ACL])
		krelay_acl_replace(kn, acl);
	mutex_unlock(&kn->lock);
	kvfree(items);
	return 0;

undo:
	/* entries before @i were parsed; the failing one cleaned up after itself */
	while (i--) {
		if (items[i].is_new)
			krelay_rule_discard(items[i].rule);
		else
			krelay_cfg_free(items[i].cfg);
	}
	mutex_unlock(&kn->lock);
	kvfree(items);
	kfree(acl);
	return err;
}

static const struct genl_ops krelay_ops[] = {
	{
		.cmd = KRELAY_CMD_RULE_NEW,
		.doit = krelay_cmd_rule_new,
		.policy = krelay_rule_new_policy,
		.maxattr = KRELAY_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KRELAY_CMD_RULE_DEL,
		.doit = krelay_cmd_rule_del,
		.policy = krelay_rule_name_policy,
		.maxattr = KRELAY_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KRELAY_CMD_RULE_GET,
		.doit = krelay_cmd_rule_get,
		.dumpit = krelay_dump_rules,
		.policy = krelay_rule_name_policy,
		.maxattr = KRELAY_A_MAX,
	},
	{
		.cmd = KRELAY_CMD_RULE_SET,
		.doit = krelay_cmd_rule_set,
		.policy = krelay_rule_set_policy,
		.maxattr = KRELAY_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		/* no policy: the core rejects every attribute */
		.cmd = KRELAY_CMD_STATS_GET,
		.doit = krelay_cmd_stats_get,
	},
	{
		.cmd = KRELAY_CMD_CONN_GET,
		.dumpit = krelay_dump_conns,
		.policy = krelay_conn_get_policy,
		.maxattr = KRELAY_A_MAX,
	},
	{
		.cmd = KRELAY_CMD_CONN_DEL,
		.doit = krelay_cmd_conn_del,
		.policy = krelay_conn_del_policy,
		.maxattr = KRELAY_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		/* no policy: the core rejects every attribute */
		.cmd = KRELAY_CMD_ACL_GET,
		.doit = krelay_cmd_acl_get,
	},
	{
		.cmd = KRELAY_CMD_ACL_SET,
		.doit = krelay_cmd_acl_set,
		.policy = krelay_acl_set_policy,
		.maxattr = KRELAY_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KRELAY_CMD_RULESET_SET,
		.doit = krelay_cmd_ruleset_set,
		.policy = krelay_ruleset_set_policy,
		.maxattr = KRELAY_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family krelay_family __ro_after_init = {
	.name = KRELAY_GENL_NAME,
	.version = KRELAY_GENL_VERSION,
	.netnsok = true,
	/*
	 * No genl_mutex around our handlers: a RULE_DEL or RULESET_SET waits
	 * for every connection of the rules it deletes to be torn down, and
	 * must not stall every other generic netlink family (nl80211,
	 * ethtool, devlink...) meanwhile.  Changes serialize on the netns'
	 * kn->lock; lookups, gets and dumps read under RCU.
	 */
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = krelay_ops,
	.n_ops = ARRAY_SIZE(krelay_ops),
	/* every command validates strictly, reserved header fields too */
	.resv_start_op = KRELAY_CMD_RULE_NEW,
	.mcgrps = krelay_mcgrps,
	.n_mcgrps = ARRAY_SIZE(krelay_mcgrps),
};

int __init krelay_genl_init(void)
{
	int err;

	err = genl_register_family(&krelay_family);
	if (err)
		return err;
	WRITE_ONCE(krelay_events_on, true);
	return 0;
}

void krelay_genl_exit(void)
{
	WRITE_ONCE(krelay_events_on, false);
	synchronize_rcu();
	genl_unregister_family(&krelay_family);
}
