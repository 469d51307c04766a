/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krelay: what the generic netlink family's files share.
 *
 *   policy.c  every attribute policy of the family (the per-op policies and
 *             the nested ones), in one place, as the YAML spec
 *             (Documentation/netlink/specs/krelay.yaml) describes them;
 *   msg.c     building messages (rules, connections, stats, ACLs) and
 *             sending events;
 *   genl.c    the family, its operations and their handlers.
 */
#ifndef _KRELAY_GENL_H
#define _KRELAY_GENL_H

#include <net/genetlink.h>

#include "krelay.h"

#define KRELAY_DEFAULT_BACKLOG			128
/* the largest maxconn of a rule or a backend (0: no limit) */
#define KRELAY_MAX_MAXCONN			16777216
/* upper bounds of one backend's and one ACL entry's attributes in a message */
#define KRELAY_BACKEND_MSG_SIZE			224
#define KRELAY_ACL_ENTRY_MSG_SIZE		48
#define KRELAY_ACL_MSG_SIZE \
	(NLMSG_DEFAULT_SIZE + KRELAY_MAX_ACL * KRELAY_ACL_ENTRY_MSG_SIZE)
/* the largest rule message there can be (~27 KiB) */
#define KRELAY_RULE_MSG_MAX \
	(KRELAY_ACL_MSG_SIZE + KRELAY_MAX_BACKENDS * KRELAY_BACKEND_MSG_SIZE)

extern struct genl_family krelay_family;
/*
 * Events go out only while the family is registered: krelay_genl_exit()
 * clears this and waits an RCU grace period before unregistering, and
 * senders test it under rcu_read_lock().
 */
extern bool krelay_events_on;

/* policy.c: per-operation policies */
extern const struct nla_policy krelay_rule_new_policy[KRELAY_A_MAX + 1];
extern const struct nla_policy krelay_rule_name_policy[KRELAY_A_MAX + 1];
extern const struct nla_policy krelay_rule_del_policy[KRELAY_A_MAX + 1];
extern const struct nla_policy krelay_rule_set_policy[KRELAY_A_MAX + 1];
extern const struct nla_policy krelay_conn_get_policy[KRELAY_A_MAX + 1];
extern const struct nla_policy krelay_conn_del_policy[KRELAY_A_MAX + 1];
extern const struct nla_policy krelay_acl_set_policy[KRELAY_A_MAX + 1];
extern const struct nla_policy krelay_ruleset_set_policy[KRELAY_A_MAX + 1];

/* msg.c */
int krelay_put_stats(struct sk_buff *skb, const u64 *v, bool netns);
void krelay_rule_stats_add(struct krelay_rule *rule, u64 *v);
size_t krelay_rule_msg_size(struct krelay_rule *rule);
int krelay_fill_rule(struct sk_buff *skb, struct krelay_rule *rule,
		     u32 portid, u32 seq, int flags, u8 cmd);
int krelay_fill_conn(struct sk_buff *skb, const struct krelay_conn *c,
		     u32 portid, u32 seq, int flags, u8 cmd);
int krelay_fill_acl(struct sk_buff *skb, struct krelay_net *kn,
		    u32 portid, u32 seq, u8 cmd);
void krelay_notify_acl(struct krelay_net *kn);

#endif /* _KRELAY_GENL_H */
