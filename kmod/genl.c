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
 *       CLOSING, final byte counts).
 */

#include <linux/jiffies.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "krelay.h"

#define KRELAY_DEFAULT_CONNECT_TIMEOUT_MS	5000
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

static const struct nla_policy krelay_addr_policy[KRELAY_ADDR_A_MAX + 1] = {
	[KRELAY_ADDR_A_IPV4] = NLA_POLICY_EXACT_LEN(sizeof(__be32)),
	[KRELAY_ADDR_A_IPV6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[KRELAY_ADDR_A_PORT] = { .type = NLA_BE16 },
};

static const struct nla_policy krelay_rule_new_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_LISTEN] = NLA_POLICY_NESTED(krelay_addr_policy),
	[KRELAY_A_BACKEND] = NLA_POLICY_NESTED(krelay_addr_policy),
	[KRELAY_A_MODE] = NLA_POLICY_MAX(NLA_U8, KRELAY_MODE_MAX),
	[KRELAY_A_CONNECT_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_connect_timeout_range),
	[KRELAY_A_IDLE_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_idle_timeout_range),
	[KRELAY_A_BACKLOG] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_backlog_range),
};

/* RULE_DEL, RULE_GET: name a rule by id or listen address */
static const struct nla_policy krelay_rule_name_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KRELAY_A_LISTEN] = NLA_POLICY_NESTED(krelay_addr_policy),
};

static const struct nla_policy krelay_rule_set_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KRELAY_A_LISTEN] = NLA_POLICY_NESTED(krelay_addr_policy),
	[KRELAY_A_BACKEND] = NLA_POLICY_NESTED(krelay_addr_policy),
	[KRELAY_A_MODE] = NLA_POLICY_MAX(NLA_U8, KRELAY_MODE_MAX),
	[KRELAY_A_CONNECT_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_connect_timeout_range),
	[KRELAY_A_IDLE_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_idle_timeout_range),
	[KRELAY_A_BACKLOG] = {
		.type = NLA_REJECT,
		.reject_message = "the backlog of a live rule cannot be changed",
	},
};

static const struct nla_policy krelay_conn_get_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy krelay_conn_del_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_CONN_ID] = { .type = NLA_U64 },
};

/* ---- parsing ----------------------------------------------------------- */

enum krelay_addr_problem {
	KRELAY_ADDR_BOTH,
	KRELAY_ADDR_NO_IP,
	KRELAY_ADDR_NO_PORT,
	KRELAY_ADDR_PORT_ZERO,
	KRELAY_ADDR_LINKLOCAL,
	KRELAY_ADDR_V4MAPPED,
};

/*
 * extack messages must be static strings, so each problem has one text per
 * kind of address.
 */
static void krelay_addr_reject(struct netlink_ext_ack *extack,
			       const struct nlattr *attr, bool listen,
			       enum krelay_addr_problem problem)
{
	switch (problem) {
	case KRELAY_ADDR_BOTH:
		if (listen)
			NL_SET_ERR_MSG_MOD(extack, "listen address: give IPv4 or IPv6, not both");
		else
			NL_SET_ERR_MSG_MOD(extack, "backend address: give IPv4 or IPv6, not both");
		break;
	case KRELAY_ADDR_NO_IP:
		if (listen)
			NL_SET_ERR_MSG_MOD(extack, "listen address: IPv4 or IPv6 address missing");
		else
			NL_SET_ERR_MSG_MOD(extack, "backend address: IPv4 or IPv6 address missing");
		break;
	case KRELAY_ADDR_NO_PORT:
		if (listen)
			NL_SET_ERR_MSG_MOD(extack, "listen address: port missing");
		else
			NL_SET_ERR_MSG_MOD(extack, "backend address: port missing");
		break;
	case KRELAY_ADDR_PORT_ZERO:
		if (listen)
			NL_SET_ERR_MSG_MOD(extack, "listen address: port must not be 0");
		else
			NL_SET_ERR_MSG_MOD(extack, "backend address: port must not be 0");
		break;
	case KRELAY_ADDR_LINKLOCAL:
		if (listen)
			NL_SET_ERR_MSG_MOD(extack, "listen address: link-local IPv6 unsupported");
		else
			NL_SET_ERR_MSG_MOD(extack, "backend address: link-local IPv6 unsupported");
		break;
	case KRELAY_ADDR_V4MAPPED:
		NL_SET_ERR_MSG_MOD(extack, "listen address: give a v4-mapped address in IPv4 form");
		break;
	}
	NL_SET_BAD_ATTR(extack, attr);
}

static int krelay_parse_addr(const struct nlattr *nest, union krelay_addr *a,
			     bool listen, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KRELAY_ADDR_A_MAX + 1];
	__be16 port;
	int err;

	err = nla_parse_nested(tb, KRELAY_ADDR_A_MAX, nest, krelay_addr_policy,
			       extack);
	if (err)
		return err;

	if (tb[KRELAY_ADDR_A_IPV4] && tb[KRELAY_ADDR_A_IPV6]) {
		krelay_addr_reject(extack, nest, listen, KRELAY_ADDR_BOTH);
		return -EINVAL;
	}
	if (!tb[KRELAY_ADDR_A_IPV4] && !tb[KRELAY_ADDR_A_IPV6]) {
		krelay_addr_reject(extack, nest, listen, KRELAY_ADDR_NO_IP);
		return -EINVAL;
	}
	if (!tb[KRELAY_ADDR_A_PORT]) {
		krelay_addr_reject(extack, nest, listen, KRELAY_ADDR_NO_PORT);
		NL_SET_ERR_ATTR_MISS(extack, nest, KRELAY_ADDR_A_PORT);
		return -EINVAL;
	}
	port = nla_get_be16(tb[KRELAY_ADDR_A_PORT]);
	if (!port) {
		krelay_addr_reject(extack, tb[KRELAY_ADDR_A_PORT], listen,
				   KRELAY_ADDR_PORT_ZERO);
		return -EINVAL;
	}

	memset(a, 0, sizeof(*a));
	if (tb[KRELAY_ADDR_A_IPV4]) {
		a->sin.sin_family = AF_INET;
		a->sin.sin_addr.s_addr = nla_get_in_addr(tb[KRELAY_ADDR_A_IPV4]);
		a->sin.sin_port = port;
		return 0;
	}

	a->sin6.sin6_family = AF_INET6;
	a->sin6.sin6_addr = nla_get_in6_addr(tb[KRELAY_ADDR_A_IPV6]);
	a->sin6.sin6_port = port;
	if (ipv6_addr_type(&a->sin6.sin6_addr) & IPV6_ADDR_LINKLOCAL) {
		krelay_addr_reject(extack, tb[KRELAY_ADDR_A_IPV6], listen,
				   KRELAY_ADDR_LINKLOCAL);
		return -EINVAL;
	}
	if (listen && ipv6_addr_v4mapped(&a->sin6.sin6_addr)) {
		krelay_addr_reject(extack, tb[KRELAY_ADDR_A_IPV6], listen,
				   KRELAY_ADDR_V4MAPPED);
		return -EINVAL;
	}
	return 0;
}

/* Options shared by RULE_NEW and RULE_SET, applied to @cfg. */
static int krelay_parse_opts(struct nlattr **attrs, struct krelay_rule_cfg *cfg,
			     struct netlink_ext_ack *extack)
{
	int err;

	if (attrs[KRELAY_A_BACKEND]) {
		err = krelay_parse_addr(attrs[KRELAY_A_BACKEND], &cfg->backend,
					false, extack);
		if (err)
			return err;
	}
	if (attrs[KRELAY_A_MODE])
		cfg->mode = nla_get_u8(attrs[KRELAY_A_MODE]);
	if (attrs[KRELAY_A_CONNECT_TIMEOUT_MS])
		cfg->connect_timeout_ms =
			nla_get_u32(attrs[KRELAY_A_CONNECT_TIMEOUT_MS]);
	if (attrs[KRELAY_A_IDLE_TIMEOUT_MS])
		cfg->idle_timeout_ms =
			nla_get_u32(attrs[KRELAY_A_IDLE_TIMEOUT_MS]);
	return 0;
}

/* A rule forwarding to its own listener would feed itself forever. */
static int krelay_check_loop(const union krelay_addr *listen,
			     const struct krelay_rule_cfg *cfg,
			     const struct nlattr *attr,
			     struct netlink_ext_ack *extack)
{
	if (!krelay_addr_equal(listen, &cfg->backend))
		return 0;
	NL_SET_ERR_MSG_MOD(extack, "backend is the rule's own listen address");
	NL_SET_BAD_ATTR(extack, attr);
	return -EINVAL;
}

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
		err = krelay_parse_addr(attrs[KRELAY_A_LISTEN], &a, true,
					extack);
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
	      krelay_put_addr(skb, KRELAY_A_BACKEND, &cfg->backend) ||
	      nla_put_u8(skb, KRELAY_A_MODE, cfg->mode) ||
	      nla_put_u32(skb, KRELAY_A_CONNECT_TIMEOUT_MS,
			  cfg->connect_timeout_ms) ||
	      nla_put_u32(skb, KRELAY_A_IDLE_TIMEOUT_MS, cfg->idle_timeout_ms) ||
	      nla_put_u32(skb, KRELAY_A_BACKLOG, rule->backlog);
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
	    krelay_put_addr(skb, KRELAY_CONN_A_BACKEND, &c->backend) ||
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

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
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
	if (!attrs[KRELAY_A_BACKEND]) {
		NL_SET_ERR_MSG_MOD(extack, "backend address missing");
		NL_SET_ERR_ATTR_MISS(extack, NULL, KRELAY_A_BACKEND);
		return -EINVAL;
	}

	err = krelay_parse_addr(attrs[KRELAY_A_LISTEN], &listen, true, extack);
	if (err)
		return err;
	if (attrs[KRELAY_A_BACKLOG])
		backlog = nla_get_u32(attrs[KRELAY_A_BACKLOG]);

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	cfg->mode = KRELAY_MODE_SPLICE;
	cfg->connect_timeout_ms = KRELAY_DEFAULT_CONNECT_TIMEOUT_MS;
	cfg->idle_timeout_ms = 0;
	err = krelay_parse_opts(attrs, cfg, extack);
	if (err)
		goto err_cfg;
	err = krelay_check_loop(&listen, cfg, attrs[KRELAY_A_BACKEND], extack);
	if (err)
		goto err_cfg;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto err_cfg;
	}

	mutex_lock(&kn->lock);
	rule = krelay_rule_create(kn, &listen, cfg, backlog, extack);
	if (IS_ERR(rule)) {
		mutex_unlock(&kn->lock);
		err = PTR_ERR(rule);
		goto err_msg;
	}
	/* cfg belongs to the rule now */
	err = krelay_fill_rule(msg, rule, info->snd_portid, info->snd_seq, 0,
			       KRELAY_CMD_RULE_NEW);
	krelay_notify_rule(rule, KRELAY_CMD_RULE_NEW);
	mutex_unlock(&kn->lock);

	/* a rule message always fits NLMSG_DEFAULT_SIZE */
	if (WARN_ON_ONCE(err)) {
		nlmsg_free(msg);
		return 0;
	}
	return genlmsg_reply(msg, info);

err_msg:
	nlmsg_free(msg);
err_cfg:
	kfree(cfg);
	return err;
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

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
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

static int krelay_cmd_rule_set(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct krelay_rule_cfg *old, *cfg;
	struct krelay_rule *rule;
	int err;

	if (!attrs[KRELAY_A_BACKEND] && !attrs[KRELAY_A_MODE] &&
	    !attrs[KRELAY_A_CONNECT_TIMEOUT_MS] &&
	    !attrs[KRELAY_A_IDLE_TIMEOUT_MS]) {
		NL_SET_ERR_MSG_MOD(extack,
				   "nothing to change: give a backend, a mode or a timeout");
		return -EINVAL;
	}

	mutex_lock(&kn->lock);
	rule = krelay_rule_lookup(kn, info);
	if (IS_ERR(rule)) {
		err = PTR_ERR(rule);
		goto out;
	}

	/* all or nothing: build a new snapshot, publish it whole */
	old = rcu_dereference_protected(rule->cfg, lockdep_is_held(&kn->lock));
	cfg = kmemdup(old, sizeof(*old), GFP_KERNEL);
	if (!cfg) {
		err = -ENOMEM;
		goto out;
	}
	err = krelay_parse_opts(attrs, cfg, extack);
	if (!err)
		err = krelay_check_loop(&rule->listen, cfg,
					attrs[KRELAY_A_BACKEND], extack);
	if (err) {
		kfree(cfg);
		goto out;
	}
	rcu_assign_pointer(rule->cfg, cfg);
	kfree_rcu(old, rcu);
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
};

static struct genl_family krelay_family __ro_after_init = {
	.name = KRELAY_GENL_NAME,
	.version = KRELAY_GENL_VERSION,
	.netnsok = true,
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
