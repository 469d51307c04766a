// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: generic netlink family "krelay" - the operations and their
 * handlers (policies: policy.c; messages and events: msg.c).
 *
 * The ABI is documented in include/uapi/linux/krelay.h.  Every command has
 * its own strict policy; every reject says why in the extended ack.
 *
 * Permissions: rules and connections are per-netns objects, so mutating
 * commands need CAP_NET_ADMIN in the user namespace that owns the netns
 * (GENL_UNS_ADMIN_PERM), as for most network configuration; a container
 * root can manage its own relays but not the host's.  The module parameter
 * userns_admin=0 (main.c) narrows that to CAP_NET_ADMIN in the initial
 * user namespace (krelay_pre_doit()).  Reading is open to every process of
 * the netns.
 */

#include <linux/jiffies.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "genl.h"

static const struct genl_multicast_group krelay_mcgrps[] = {
	{ .name = KRELAY_MCGRP_EVENTS },
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

/*
 * Every doit: with userns_admin=0, a mutating command (one the core checked
 * for GENL_UNS_ADMIN_PERM) also needs CAP_NET_ADMIN in the initial user
 * namespace, whichever netns it is for.
 */
static int krelay_pre_doit(const struct krelay_genl_op *ops,
			   struct sk_buff *skb, struct genl_info *info)
{
	if (!(ops->flags & GENL_UNS_ADMIN_PERM) ||
	    READ_ONCE(krelay_userns_admin) ||
	    netlink_capable(skb, CAP_NET_ADMIN))
		return 0;
	NL_SET_ERR_MSG_MOD(info->extack,
			   "changes need CAP_NET_ADMIN in the initial user namespace (module parameter userns_admin=0)");
	return -EPERM;
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
	err = krelay_rule_bind(rule);
	if (err)
		krelay_bind_error(extack, err, &listen);
	else
		err = krelay_rule_listen(rule, extack);
	if (err) {
		LIST_HEAD(gone);

		krelay_rule_discard(rule, &gone);
		mutex_unlock(&kn->lock);
		krelay_rules_reap(&gone);
		return err;
	}
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

/*
 * Delete a rule, aborting its connections, or with KRELAY_A_DRAIN_TIMEOUT_MS
 * let them end first (krelay_rule_drain(); the call returns at once).  A
 * rule already draining is named by its id only; deleting it without a
 * drain timeout aborts what it has left.
 */
static int krelay_cmd_rule_del(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct nlattr *drain = info->attrs[KRELAY_A_DRAIN_TIMEOUT_MS];
	struct krelay_rule *rule;
	LIST_HEAD(gone);
	int err = 0;

	mutex_lock(&kn->lock);
	rule = krelay_rule_lookup(kn, info);
	if (IS_ERR(rule)) {
		err = PTR_ERR(rule);
	} else if (!drain) {
		krelay_rule_delete(rule, &gone);
	} else if (rule->draining) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "the rule is already draining (delete it without a drain timeout to abort its connections)");
		NL_SET_BAD_ATTR(info->extack, drain);
		err = -EALREADY;
	} else {
		krelay_rule_drain(rule, nla_get_u32(drain));
	}
	mutex_unlock(&kn->lock);
	/* the listener is closed: its address may be reused meanwhile */
	krelay_rules_reap(&gone);
	return err;
}

static int krelay_cmd_rule_get(struct sk_buff *skb, struct genl_info *info)
{
	struct krelay_net *kn = krelay_net(genl_info_net(info));
	struct krelay_rule *rule;
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(KRELAY_RULE_MSG_MAX, GFP_KERNEL);
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
/*
 * A dump's first part is only as large as what the reader's socket has
 * received so far (a page or less), and a large rule's message (up to
 * KRELAY_RULE_MSG_MAX) would fit no part: make room for the largest.
 * (The netlink core reads min_dump_alloc after this start callback.)
 */
static int krelay_dump_rules_start(struct netlink_callback *cb)
{
	cb->min_dump_alloc = KRELAY_RULE_MSG_MAX;
	return 0;
}

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
		KRELAY_A_MAXCONN,
		KRELAY_A_PROXY_PROTOCOL, KRELAY_A_TRANSPARENT,
		KRELAY_A_CHECK,
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
	if (rule->draining) {
		NL_SET_ERR_MSG_MOD(extack, "the rule is being deleted (draining)");
		NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_RULE_ID]);
		err = -ENOENT;
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
	v[KRELAY_STATS_A_EVENTS_DROPPED] = atomic64_read(&kn->events_dropped);

	if (krelay_put_stats(msg, v, true) ||
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
	const struct nlattr *listen_attr;
	u32 backlog;
	bool has_backlog;
	struct krelay_rule *rule;	/* existing rule, or prepared new one */
	bool is_new;
	/* new, not bound yet: its address is busy, maybe by a deleted rule */
	bool deferred;
	struct krelay_rule_cfg *cfg;	/* new snapshot of an existing rule */
};

static bool krelay_addr_any(const union krelay_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_addr.s_addr == htonl(INADDR_ANY);
	return ipv6_addr_any(&a->sin6.sin6_addr);
}

static __be16 krelay_addr_port(const union krelay_addr *a)
{
	return a->sa.sa_family == AF_INET ? a->sin.sin_port :
	       a->sin6.sin6_port;
}

/* May sockets listening on @a and @b conflict (same family and port)? */
static bool krelay_addr_same_port(const union krelay_addr *a,
				  const union krelay_addr *b)
{
	return a->sa.sa_family == b->sa.sa_family &&
	       krelay_addr_port(a) == krelay_addr_port(b);
}

static int krelay_ruleset_parse(struct krelay_net *kn,
				const struct nlattr *entry,
				struct krelay_ruleset_item *items, int n,
				struct list_head *gone,
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
	it->listen_attr = tb[KRELAY_A_LISTEN];
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

	/*
	 * Two new listeners on one port where one is the wildcard would both
	 * bind (neither listens yet) and the second listen() would fail at
	 * commit, after the first accepted: reject the set now.
	 */
	for (i = 0; i < n; i++) {
		if (items[i].is_new &&
		    krelay_addr_same_port(&items[i].listen, &it->listen) &&
		    (krelay_addr_any(&items[i].listen) ||
		     krelay_addr_any(&it->listen))) {
			KRELAY_ERR_FMT(extack, "rule set lists overlapping listen addresses",
				       "rule set lists overlapping listen addresses %pISpc and %pISpc",
				       &items[i].listen.sa, &it->listen.sa);
			NL_SET_BAD_ATTR(extack, tb[KRELAY_A_LISTEN]);
			krelay_cfg_free(cfg);
			return -EINVAL;
		}
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
	err = krelay_rule_bind(it->rule);
	/* in use, perhaps by a rule this set deletes: decided after parsing */
	if (err == -EADDRINUSE) {
		it->deferred = true;
		return 0;
	}
	if (err) {
		krelay_bind_error(extack, err, &it->listen);
		NL_SET_BAD_ATTR(extack, tb[KRELAY_A_LISTEN]);
		krelay_rule_discard(it->rule, gone);
		it->rule = NULL;
		return err;
	}
	return 0;
}

/* Does the set keep @rule (list it by its listen address)? */
static bool krelay_ruleset_keeps(const struct krelay_ruleset_item *items,
				 int n, const struct krelay_rule *rule)
{
	int i;

	for (i = 0; i < n; i++)
		if (items[i].rule == rule)
			return true;
	return false;
}

/* Is the busy address of deferred @it held by a rule the set deletes? */
static bool krelay_ruleset_frees(struct krelay_net *kn,
				 const struct krelay_ruleset_item *items,
				 int n, const struct krelay_ruleset_item *it)
{
	struct krelay_rule *rule;

	list_for_each_entry(rule, &kn->rules, list)
		if (!rule->draining &&
		    krelay_addr_same_port(&rule->listen, &it->listen) &&
		    !krelay_ruleset_keeps(items, n, rule))
			return true;
	return false;
}

/*
 * The part of a commit that can fail, and so is undone on failure: stop
 * the deleted rules that hold a port a new rule wants (unlisten, keeping
 * their bind), bind the new rules that waited for that, then listen on
 * every new rule.  Only now do new rules accept: a set rejected before
 * this point has accepted nobody.
 */
static int krelay_ruleset_open(struct krelay_net *kn,
			       struct krelay_ruleset_item *items, int n,
			       struct netlink_ext_ack *extack)
{
	struct krelay_rule *rule;
	int i, j, err;

	list_for_each_entry(rule, &kn->rules, list) {
		/* a draining rule has closed its listener already */
		if (rule->draining || krelay_ruleset_keeps(items, n, rule))
			continue;
		for (j = 0; j < n; j++) {
			if (!items[j].deferred ||
			    !krelay_addr_same_port(&rule->listen,
						   &items[j].listen))
				continue;
			err = krelay_rule_unlisten(rule);
			if (err) {
				KRELAY_ERR_FMT(extack, "cannot stop a deleted rule's listener",
					       "cannot stop the listener on %pISpc (error %d)",
					       &rule->listen.sa, err);
				return err;
			}
			break;
		}
	}
	for (i = 0; i < n; i++) {
		if (!items[i].deferred)
			continue;
		err = krelay_rule_bind(items[i].rule);
		if (err) {
			krelay_bind_error(extack, err, &items[i].listen);
			NL_SET_BAD_ATTR(extack, items[i].listen_attr);
			return err;
		}
		items[i].deferred = false;
	}
	for (i = 0; i < n; i++) {
		if (!items[i].is_new)
			continue;
		err = krelay_rule_listen(items[i].rule, extack);
		if (err) {
			NL_SET_BAD_ATTR(extack, items[i].listen_attr);
			return err;
		}
	}
	return 0;
}

/*
 * Undo krelay_ruleset_open() as far as it went (the new rules are
 * discarded by the caller): the deleted rules it stopped listen again on
 * the address they kept bound.
 */
static void krelay_ruleset_reopen(struct krelay_net *kn)
{
	struct krelay_rule *rule;
	int err;

	list_for_each_entry(rule, &kn->rules, list) {
		if (rule->listening || rule->draining)
			continue;
		err = krelay_rule_listen(rule, NULL);
		if (err)
			pr_warn("krelay: rule %u: cannot listen again on %pISpc after a failed rule set: %d\n",
				rule->id, &rule->listen.sa, err);
	}
}

/*
 * Make the netns' rules match the set, all or nothing: first parse every
 * entry, build every snapshot and create and bind every new listener
 * (nothing visible changes; a failure undoes these); then listen on the
 * new listeners (first freeing the ports of deleted rules that new ones
 * take over; undone on failure), and finally commit, which cannot fail.
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
	int n = 0, i, j, rem, err = 0;
	LIST_HEAD(gone);

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
		err = krelay_ruleset_parse(kn, entry, items, i, &gone, extack);
		if (err)
			goto undo;
		i++;
	}
	/* i == n from here on: undo drops every entry */
	for (j = 0; j < n; j++) {
		if (items[j].deferred &&
		    !krelay_ruleset_frees(kn, items, n, &items[j])) {
			krelay_bind_error(extack, -EADDRINUSE, &items[j].listen);
			NL_SET_BAD_ATTR(extack, items[j].listen_attr);
			err = -EADDRINUSE;
			goto undo;
		}
	}

	err = krelay_ruleset_open(kn, items, n, extack);
	if (err) {
		krelay_ruleset_reopen(kn);
		goto undo;
	}

	/* commit; rules being deleted with drain go their way */
	list_for_each_entry_safe(rule, tmp, &kn->rules, list)
		if (!rule->draining && !krelay_ruleset_keeps(items, n, rule))
			krelay_rule_delete(rule, &gone);
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
	krelay_rules_reap(&gone);
	kvfree(items);
	return 0;

undo:
	/* entries before @i were parsed; the failing one cleaned up after itself */
	while (i--) {
		if (items[i].is_new)
			krelay_rule_discard(items[i].rule, &gone);
		else
			krelay_cfg_free(items[i].cfg);
	}
	mutex_unlock(&kn->lock);
	krelay_rules_reap(&gone);
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
		.policy = krelay_rule_del_policy,
		.maxattr = KRELAY_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KRELAY_CMD_RULE_GET,
		.doit = krelay_cmd_rule_get,
		.start = krelay_dump_rules_start,
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

struct genl_family krelay_family __ro_after_init = {
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
	.pre_doit = krelay_pre_doit,
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
