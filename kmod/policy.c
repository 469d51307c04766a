// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: every attribute policy of the generic netlink family "krelay".
 *
 * One strict policy per operation (genl.c's ops table names them), and the
 * policies of the nested attributes (addresses, backends, ACL entries) that
 * config.c parses with.  Ranges are the ABI's (include/uapi/linux/krelay.h);
 * Documentation/netlink/specs/krelay.yaml describes the same checks.
 */

#include <linux/in6.h>
#include <net/netlink.h>

#include "genl.h"

/* ---- nested attributes ------------------------------------------------- */

static struct netlink_range_validation krelay_weight_range = {
	.min = 1,
	.max = 10000,
};

/* maxconn of a rule or a backend: 0 (no limit) up to 16M connections */
static struct netlink_range_validation krelay_maxconn_range = {
	.min = 0,
	.max = KRELAY_MAX_MAXCONN,
};

const struct nla_policy krelay_addr_policy[KRELAY_ADDR_A_MAX + 1] = {
	[KRELAY_ADDR_A_IPV4] = NLA_POLICY_EXACT_LEN(sizeof(__be32)),
	[KRELAY_ADDR_A_IPV6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[KRELAY_ADDR_A_PORT] = { .type = NLA_BE16 },
};

static struct netlink_range_validation krelay_drain_timeout_range = {
	.min = 0,
	.max = 86400000,
};

const struct nla_policy krelay_backend_policy[KRELAY_BACKEND_A_MAX + 1] = {
	[KRELAY_BACKEND_A_ADDR] = NLA_POLICY_NESTED(krelay_addr_policy),
	[KRELAY_BACKEND_A_WEIGHT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_weight_range),
	[KRELAY_BACKEND_A_MAXCONN] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_maxconn_range),
	[KRELAY_BACKEND_A_DRAIN] = NLA_POLICY_MAX(NLA_U8, 1),
	[KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_drain_timeout_range),
};

static struct netlink_range_validation krelay_check_interval_range = {
	.min = 100,
	.max = 3600000,
};

static struct netlink_range_validation krelay_check_timeout_range = {
	.min = 10,
	.max = 600000,
};

static struct netlink_range_validation krelay_check_count_range = {
	.min = 1,
	.max = 100,
};

const struct nla_policy krelay_check_policy[KRELAY_CHECK_A_MAX + 1] = {
	[KRELAY_CHECK_A_INTERVAL_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_check_interval_range),
	[KRELAY_CHECK_A_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_check_timeout_range),
	[KRELAY_CHECK_A_RISE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_check_count_range),
	[KRELAY_CHECK_A_FALL] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_check_count_range),
};

const struct nla_policy krelay_acl_policy[KRELAY_ACL_A_MAX + 1] = {
	[KRELAY_ACL_A_ACTION] = NLA_POLICY_MAX(NLA_U8, KRELAY_ACL_DENY),
	[KRELAY_ACL_A_IPV4] = NLA_POLICY_EXACT_LEN(sizeof(__be32)),
	[KRELAY_ACL_A_IPV6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[KRELAY_ACL_A_PREFIXLEN] = NLA_POLICY_MAX(NLA_U8, 128),
};

/* ---- operations -------------------------------------------------------- */

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
	[KRELAY_A_MAXCONN] =						\
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_maxconn_range),	\
	[KRELAY_A_ACL] = NLA_POLICY_NESTED_ARRAY(krelay_acl_policy),	\
	[KRELAY_A_PROXY_PROTOCOL] = NLA_POLICY_MAX(NLA_U8, KRELAY_PROXY_MAX), \
	[KRELAY_A_TRANSPARENT] = NLA_POLICY_MAX(NLA_U8, 1),		\
	[KRELAY_A_CHECK] = NLA_POLICY_NESTED(krelay_check_policy)

const struct nla_policy krelay_rule_new_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_LISTEN] = NLA_POLICY_NESTED(krelay_addr_policy),
	KRELAY_RULE_OPTS_POLICY,
};

/* RULE_GET: name a rule by id or listen address */
const struct nla_policy krelay_rule_name_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KRELAY_A_LISTEN] = NLA_POLICY_NESTED(krelay_addr_policy),
};

/* RULE_DEL: RULE_GET's, and a drain timeout */
const struct nla_policy krelay_rule_del_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KRELAY_A_LISTEN] = NLA_POLICY_NESTED(krelay_addr_policy),
	[KRELAY_A_DRAIN_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &krelay_drain_timeout_range),
};

const struct nla_policy krelay_rule_set_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KRELAY_A_LISTEN] = NLA_POLICY_NESTED(krelay_addr_policy),
	KRELAY_RULE_OPTS_POLICY,
};

const struct nla_policy krelay_conn_get_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

const struct nla_policy krelay_conn_del_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_CONN_ID] = { .type = NLA_U64 },
};

const struct nla_policy krelay_acl_set_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_ACL] = NLA_POLICY_NESTED_ARRAY(krelay_acl_policy),
};

const struct nla_policy krelay_ruleset_set_policy[KRELAY_A_MAX + 1] = {
	[KRELAY_A_RULES] = NLA_POLICY_NESTED_ARRAY(krelay_rule_new_policy),
	[KRELAY_A_ACL] = NLA_POLICY_NESTED_ARRAY(krelay_acl_policy),
};
