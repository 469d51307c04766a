// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: turning netlink attributes into rule snapshots and ACLs.
 *
 * Everything here only builds new objects; nothing is published.  Every
 * reject says why in the extended ack and points at the attribute at fault.
 * The top-level attributes were validated by the command's policy; the
 * nested ones are parsed (and so validated) here with the policies of
 * policy.c.
 */

#include <linux/inetdevice.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <net/netlink.h>

#include "krelay.h"

#define KRELAY_DEFAULT_CONNECT_TIMEOUT_MS	5000
#define KRELAY_DEFAULT_HOLDDOWN_MS		10000
#define KRELAY_DEFAULT_CHECK_INTERVAL_MS	2000
#define KRELAY_DEFAULT_CHECK_TIMEOUT_MS		1000
#define KRELAY_DEFAULT_CHECK_RISE		2
#define KRELAY_DEFAULT_CHECK_FALL		3

/*
 * Address problems, each worded for the three kinds of address (indexed by
 * enum krelay_addr_kind).  extack keeps a pointer, so the texts are static.
 */
static const char *const krelay_msg_both[] = {
	"krelay: listen address: give IPv4 or IPv6, not both",
	"krelay: backend address: give IPv4 or IPv6, not both",
	"krelay: source address: give IPv4 or IPv6, not both",
};

static const char *const krelay_msg_no_ip[] = {
	"krelay: listen address: IPv4 or IPv6 address missing",
	"krelay: backend address: IPv4 or IPv6 address missing",
	"krelay: source address: IPv4 or IPv6 address missing",
};

static const char *const krelay_msg_no_port[] = {
	"krelay: listen address: port missing",
	"krelay: backend address: port missing",
	"krelay: source address: port missing",
};

static const char *const krelay_msg_port_zero[] = {
	"krelay: listen address: port must not be 0",
	"krelay: backend address: port must not be 0",
	"krelay: source address: port must not be 0",
};

static const char *const krelay_msg_linklocal[] = {
	"krelay: listen address: link-local IPv6 unsupported",
	"krelay: backend address: link-local IPv6 unsupported",
	"krelay: source address: link-local IPv6 unsupported",
};

static const char *const krelay_msg_v4mapped[] = {
	"krelay: listen address: give a v4-mapped address in IPv4 form",
	"krelay: backend address: give a v4-mapped address in IPv4 form",
	"krelay: source address: give a v4-mapped address in IPv4 form",
};

static int krelay_addr_err(struct netlink_ext_ack *extack,
			   enum krelay_addr_kind kind,
			   const char *const *msgs, const struct nlattr *attr)
{
	krelay_set_err_msg(extack, msgs[kind]);
	NL_SET_BAD_ATTR(extack, attr);
	return -EINVAL;
}

/*
 * Parse an address nest.  Listen and backend addresses need a port; a
 * source address may omit it (0: any), and an empty source nest means "no
 * source address" (AF_UNSPEC).
 */
int krelay_parse_addr(const struct nlattr *nest, union krelay_addr *a,
		      enum krelay_addr_kind kind, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KRELAY_ADDR_A_MAX + 1];
	__be16 port = 0;
	int err;

	memset(a, 0, sizeof(*a));
	if (kind == KRELAY_ADDR_SOURCE && !nla_len(nest)) {
		a->sa.sa_family = AF_UNSPEC;
		return 0;
	}

	err = nla_parse_nested(tb, KRELAY_ADDR_A_MAX, nest, krelay_addr_policy,
			       extack);
	if (err)
		return err;

	if (tb[KRELAY_ADDR_A_IPV4] && tb[KRELAY_ADDR_A_IPV6])
		return krelay_addr_err(extack, kind, krelay_msg_both, nest);
	if (!tb[KRELAY_ADDR_A_IPV4] && !tb[KRELAY_ADDR_A_IPV6])
		return krelay_addr_err(extack, kind, krelay_msg_no_ip, nest);
	if (tb[KRELAY_ADDR_A_PORT])
		port = nla_get_be16(tb[KRELAY_ADDR_A_PORT]);
	if (kind != KRELAY_ADDR_SOURCE) {
		if (!tb[KRELAY_ADDR_A_PORT]) {
			NL_SET_ERR_ATTR_MISS(extack, nest, KRELAY_ADDR_A_PORT);
			return krelay_addr_err(extack, kind, krelay_msg_no_port,
					       nest);
		}
		if (!port)
			return krelay_addr_err(extack, kind,
					       krelay_msg_port_zero,
					       tb[KRELAY_ADDR_A_PORT]);
	}

	if (tb[KRELAY_ADDR_A_IPV4]) {
		a->sin.sin_family = AF_INET;
		a->sin.sin_addr.s_addr = nla_get_in_addr(tb[KRELAY_ADDR_A_IPV4]);
		a->sin.sin_port = port;
		return 0;
	}

	a->sin6.sin6_family = AF_INET6;
	a->sin6.sin6_addr = nla_get_in6_addr(tb[KRELAY_ADDR_A_IPV6]);
	a->sin6.sin6_port = port;
	if (ipv6_addr_type(&a->sin6.sin6_addr) & IPV6_ADDR_LINKLOCAL)
		return krelay_addr_err(extack, kind, krelay_msg_linklocal,
				       tb[KRELAY_ADDR_A_IPV6]);
	if (kind != KRELAY_ADDR_BACKEND &&
	    ipv6_addr_v4mapped(&a->sin6.sin6_addr))
		return krelay_addr_err(extack, kind, krelay_msg_v4mapped,
				       tb[KRELAY_ADDR_A_IPV6]);
	return 0;
}

/*
 * Entries in a list nest (KRELAY_A_BACKENDS, _ACL, _RULES).  The core's
 * validation of nested arrays stops quietly at an entry that overruns the
 * list, so the rest would be ignored: reject such lists here.
 */
int krelay_list_len(const struct nlattr *nest, struct netlink_ext_ack *extack)
{
	const struct nlattr *pos;
	int rem, n = 0;

	nla_for_each_nested(pos, nest, rem)
		n++;
	if (rem) {
		NL_SET_ERR_MSG_MOD(extack, "malformed list: an entry overruns it");
		NL_SET_BAD_ATTR(extack, nest);
		return -EINVAL;
	}
	return n;
}

static int krelay_parse_acl_entry(const struct nlattr *entry,
				  struct krelay_acl_entry *e,
				  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KRELAY_ACL_A_MAX + 1];
	struct in6_addr masked;
	u8 max;
	int err;

	err = nla_parse_nested(tb, KRELAY_ACL_A_MAX, entry, krelay_acl_policy,
			       extack);
	if (err)
		return err;

	if (!tb[KRELAY_ACL_A_ACTION]) {
		NL_SET_ERR_MSG_MOD(extack, "ACL entry: action (allow or deny) missing");
		NL_SET_ERR_ATTR_MISS(extack, entry, KRELAY_ACL_A_ACTION);
		return -EINVAL;
	}
	if (!!tb[KRELAY_ACL_A_IPV4] == !!tb[KRELAY_ACL_A_IPV6]) {
		NL_SET_ERR_MSG_MOD(extack, "ACL entry: give one IPv4 or one IPv6 prefix");
		NL_SET_BAD_ATTR(extack, entry);
		return -EINVAL;
	}

	e->action = nla_get_u8(tb[KRELAY_ACL_A_ACTION]);
	if (tb[KRELAY_ACL_A_IPV4]) {
		e->family = AF_INET;
		e->addr.v4 = nla_get_in_addr(tb[KRELAY_ACL_A_IPV4]);
		max = 32;
	} else {
		e->family = AF_INET6;
		e->addr.v6 = nla_get_in6_addr(tb[KRELAY_ACL_A_IPV6]);
		max = 128;
	}
	e->plen = max;
	if (tb[KRELAY_ACL_A_PREFIXLEN])
		e->plen = nla_get_u8(tb[KRELAY_ACL_A_PREFIXLEN]);
	if (e->plen > max) {
		NL_SET_ERR_MSG_MOD(extack, "ACL entry: prefix length longer than the address");
		NL_SET_BAD_ATTR(extack, tb[KRELAY_ACL_A_PREFIXLEN]);
		return -EINVAL;
	}

	if (e->family == AF_INET) {
		if (!(e->addr.v4 & ~inet_make_mask(e->plen)))
			return 0;
	} else {
		ipv6_addr_prefix(&masked, &e->addr.v6, e->plen);
		if (ipv6_addr_equal(&masked, &e->addr.v6))
			return 0;
	}
	NL_SET_ERR_MSG_MOD(extack, "ACL entry: address has bits set beyond the prefix length");
	NL_SET_BAD_ATTR(extack, entry);
	return -EINVAL;
}

/* Parse an ACL nest into a new list (*out = NULL when the nest is empty). */
int krelay_parse_acl(const struct nlattr *nest, struct krelay_acl **out,
		     struct netlink_ext_ack *extack)
{
	const struct nlattr *entry;
	struct krelay_acl *acl;
	int n, rem, err;

	*out = NULL;
	n = krelay_list_len(nest, extack);
	if (n <= 0)
		return n;
	if (n > KRELAY_MAX_ACL) {
		NL_SET_ERR_MSG_MOD(extack, "too many ACL entries (at most 256)");
		NL_SET_BAD_ATTR(extack, nest);
		return -E2BIG;
	}

	acl = kzalloc(struct_size(acl, e, n), GFP_KERNEL_ACCOUNT);
	if (!acl)
		return -ENOMEM;
	nla_for_each_nested(entry, nest, rem) {
		struct krelay_acl_entry *e = &acl->e[acl->n];

		err = krelay_parse_acl_entry(entry, e, extack);
		if (err) {
			kfree(acl);
			return err;
		}
		acl->n++;
		if (e->action == KRELAY_ACL_ALLOW)
			acl->nallow++;
	}
	*out = acl;
	return 0;
}

static struct krelay_acl *krelay_acl_dup(const struct krelay_acl *acl)
{
	if (!acl)
		return NULL;
	return kmemdup(acl, struct_size(acl, e, acl->n), GFP_KERNEL_ACCOUNT);
}

/* The backend object for @a: the one @old has for it, or a new one. */
static struct krelay_backend *krelay_backend_for(const struct krelay_rule_cfg *old,
						 const union krelay_addr *a)
{
	struct krelay_backend *be;
	u32 i;

	for (i = 0; old && i < old->nbackends; i++) {
		be = old->be[i].be;
		if (krelay_addr_equal(&be->addr, a)) {
			krelay_backend_get(be);
			return be;
		}
	}

	be = kzalloc(sizeof(*be), GFP_KERNEL_ACCOUNT);
	if (!be)
		return NULL;
	refcount_set(&be->refcnt, 1);
	be->addr = *a;
	return be;
}

/* Fill cfg->be[] from a KRELAY_A_BACKENDS nest of exactly cfg->nbackends. */
static int krelay_parse_backends(const struct nlattr *nest,
				 struct krelay_rule_cfg *cfg,
				 const struct krelay_rule_cfg *old,
				 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KRELAY_BACKEND_A_MAX + 1];
	const struct nlattr *entry;
	union krelay_addr a;
	int rem, err;
	u32 i = 0, j;

	nla_for_each_nested(entry, nest, rem) {
		err = nla_parse_nested(tb, KRELAY_BACKEND_A_MAX, entry,
				       krelay_backend_policy, extack);
		if (err)
			return err;
		if (!tb[KRELAY_BACKEND_A_ADDR]) {
			NL_SET_ERR_MSG_MOD(extack, "backend entry without an address");
			NL_SET_ERR_ATTR_MISS(extack, entry, KRELAY_BACKEND_A_ADDR);
			return -EINVAL;
		}
		err = krelay_parse_addr(tb[KRELAY_BACKEND_A_ADDR], &a,
					KRELAY_ADDR_BACKEND, extack);
		if (err)
			return err;
		for (j = 0; j < i; j++) {
			if (krelay_addr_equal(&cfg->be[j].be->addr, &a)) {
				KRELAY_ERR_FMT(extack, "a backend is listed twice",
					       "backend %pISpc is listed twice",
					       &a.sa);
				NL_SET_BAD_ATTR(extack, entry);
				return -EINVAL;
			}
		}

		cfg->be[i].be = krelay_backend_for(old, &a);
		if (!cfg->be[i].be)
			return -ENOMEM;
		cfg->be[i].weight = 1;
		if (tb[KRELAY_BACKEND_A_WEIGHT])
			cfg->be[i].weight =
				nla_get_u32(tb[KRELAY_BACKEND_A_WEIGHT]);
		if (tb[KRELAY_BACKEND_A_MAXCONN])
			cfg->be[i].maxconn =
				nla_get_u32(tb[KRELAY_BACKEND_A_MAXCONN]);
		if (tb[KRELAY_BACKEND_A_DRAIN])
			cfg->be[i].drain = nla_get_u8(tb[KRELAY_BACKEND_A_DRAIN]);
		if (tb[KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS]) {
			if (!cfg->be[i].drain) {
				KRELAY_ERR_FMT(extack,
					       "a drain timeout needs drain",
					       "backend %pISpc: a drain timeout needs drain",
					       &a.sa);
				NL_SET_BAD_ATTR(extack,
						tb[KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS]);
				return -EINVAL;
			}
			cfg->be[i].drain_timeout_ms =
				nla_get_u32(tb[KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS]);
		}
		i++;
	}
	return 0;
}

/*
 * KRELAY_A_CHECK: an empty nest turns checks off, otherwise what it does
 * not say keeps the rule's current value (RULE_SET with checks on) or the
 * default.
 */
static int krelay_parse_check(const struct nlattr *nest,
			      struct krelay_check_cfg *chk,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KRELAY_CHECK_A_MAX + 1];
	int err;

	if (!nla_len(nest)) {
		memset(chk, 0, sizeof(*chk));
		return 0;
	}
	err = nla_parse_nested(tb, KRELAY_CHECK_A_MAX, nest,
			       krelay_check_policy, extack);
	if (err)
		return err;
	if (!chk->interval_ms) {
		chk->interval_ms = KRELAY_DEFAULT_CHECK_INTERVAL_MS;
		chk->timeout_ms = KRELAY_DEFAULT_CHECK_TIMEOUT_MS;
		chk->rise = KRELAY_DEFAULT_CHECK_RISE;
		chk->fall = KRELAY_DEFAULT_CHECK_FALL;
	}
	if (tb[KRELAY_CHECK_A_INTERVAL_MS])
		chk->interval_ms = nla_get_u32(tb[KRELAY_CHECK_A_INTERVAL_MS]);
	if (tb[KRELAY_CHECK_A_TIMEOUT_MS])
		chk->timeout_ms = nla_get_u32(tb[KRELAY_CHECK_A_TIMEOUT_MS]);
	if (tb[KRELAY_CHECK_A_RISE])
		chk->rise = nla_get_u32(tb[KRELAY_CHECK_A_RISE]);
	if (tb[KRELAY_CHECK_A_FALL])
		chk->fall = nla_get_u32(tb[KRELAY_CHECK_A_FALL]);
	return 0;
}

/* Checks across attributes, once the snapshot is complete. */
static int krelay_cfg_check(const struct krelay_rule_cfg *cfg,
			    const union krelay_addr *listen,
			    struct nlattr **attrs,
			    struct netlink_ext_ack *extack)
{
	u32 i;

	/* a transparent socket is bound to the client: no other source */
	if (cfg->transparent && cfg->source.sa.sa_family != AF_UNSPEC) {
		NL_SET_ERR_MSG_MOD(extack,
				   "transparent and a source address exclude each other");
		NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_TRANSPARENT] ?:
				attrs[KRELAY_A_SOURCE]);
		return -EINVAL;
	}

	for (i = 0; i < cfg->nbackends; i++) {
		const union krelay_addr *a = &cfg->be[i].be->addr;

		/*
		 * Transparent connections leave from the client's address,
		 * which has the listener's family (IPv6 listeners are
		 * IPv6-only): backends of the other family are unreachable.
		 */
		if (cfg->transparent &&
		    listen->sa.sa_family != a->sa.sa_family) {
			/* static: a formatted one would pass the 80-byte limit */
			NL_SET_ERR_MSG_MOD(extack,
					   "transparent: a backend and the listen address differ in address family");
			NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_TRANSPARENT] ?:
					attrs[KRELAY_A_BACKENDS]);
			return -EINVAL;
		}

		/* a rule forwarding to its own listener feeds itself forever */
		if (krelay_addr_equal(a, listen)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "backend is the rule's own listen address");
			NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_BACKENDS]);
			return -EINVAL;
		}
		if (cfg->source.sa.sa_family != AF_UNSPEC &&
		    cfg->source.sa.sa_family != a->sa.sa_family) {
			KRELAY_ERR_FMT(extack,
				       "source address and a backend differ in address family",
				       "source address %pISc and backend %pISpc differ in address family",
				       &cfg->source.sa, &a->sa);
			NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_SOURCE] ?:
					attrs[KRELAY_A_BACKENDS]);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Build a rule snapshot from the attributes of RULE_NEW, RULE_SET or one
 * entry of RULESET_SET.  With @inherit, what the attributes do not say is
 * taken from @old (RULE_SET); otherwise defaults apply.  Either way,
 * backends whose address @old already has keep their object (state and
 * counters).  Caller holds kn->lock (so @old stays put).
 */
struct krelay_rule_cfg *krelay_cfg_build(struct nlattr **attrs,
					 const union krelay_addr *listen,
					 const struct krelay_rule_cfg *old,
					 bool inherit,
					 struct netlink_ext_ack *extack)
{
	struct krelay_rule_cfg *cfg;
	int n, err;
	u32 i;

	if (attrs[KRELAY_A_BACKENDS])
		n = krelay_list_len(attrs[KRELAY_A_BACKENDS], extack);
	else
		n = inherit ? old->nbackends : 0;
	if (n < 0)
		return ERR_PTR(n);
	if (!n) {
		NL_SET_ERR_MSG_MOD(extack, "at least one backend is required");
		if (attrs[KRELAY_A_BACKENDS])
			NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_BACKENDS]);
		else
			NL_SET_ERR_ATTR_MISS(extack, NULL, KRELAY_A_BACKENDS);
		return ERR_PTR(-EINVAL);
	}
	if (n > KRELAY_MAX_BACKENDS) {
		NL_SET_ERR_MSG_MOD(extack, "too many backends (at most 64)");
		NL_SET_BAD_ATTR(extack, attrs[KRELAY_A_BACKENDS]);
		return ERR_PTR(-E2BIG);
	}

	cfg = krelay_cfg_alloc(n);
	if (!cfg)
		return ERR_PTR(-ENOMEM);

	if (inherit) {
		cfg->connect_timeout_ms = old->connect_timeout_ms;
		cfg->idle_timeout_ms = old->idle_timeout_ms;
		cfg->holddown_ms = old->holddown_ms;
		cfg->mark = old->mark;
		cfg->keepalive_s = old->keepalive_s;
		cfg->maxconn = old->maxconn;
		cfg->mode = old->mode;
		cfg->sched = old->sched;
		cfg->proxy_protocol = old->proxy_protocol;
		cfg->transparent = old->transparent;
		cfg->source = old->source;
		cfg->check = old->check;
	} else {
		cfg->connect_timeout_ms = KRELAY_DEFAULT_CONNECT_TIMEOUT_MS;
		cfg->holddown_ms = KRELAY_DEFAULT_HOLDDOWN_MS;
		cfg->mode = KRELAY_MODE_SPLICE;
		cfg->sched = KRELAY_SCHED_RR;
		cfg->source.sa.sa_family = AF_UNSPEC;
	}

	if (attrs[KRELAY_A_BACKENDS]) {
		err = krelay_parse_backends(attrs[KRELAY_A_BACKENDS], cfg, old,
					    extack);
		if (err)
			goto err;
	} else {
		for (i = 0; i < cfg->nbackends; i++) {
			cfg->be[i] = old->be[i];
			krelay_backend_get(cfg->be[i].be);
		}
	}

	if (attrs[KRELAY_A_MODE])
		cfg->mode = nla_get_u8(attrs[KRELAY_A_MODE]);
	if (attrs[KRELAY_A_SCHED])
		cfg->sched = nla_get_u8(attrs[KRELAY_A_SCHED]);
	if (attrs[KRELAY_A_CONNECT_TIMEOUT_MS])
		cfg->connect_timeout_ms =
			nla_get_u32(attrs[KRELAY_A_CONNECT_TIMEOUT_MS]);
	if (attrs[KRELAY_A_IDLE_TIMEOUT_MS])
		cfg->idle_timeout_ms =
			nla_get_u32(attrs[KRELAY_A_IDLE_TIMEOUT_MS]);
	if (attrs[KRELAY_A_HOLDDOWN_MS])
		cfg->holddown_ms = nla_get_u32(attrs[KRELAY_A_HOLDDOWN_MS]);
	if (attrs[KRELAY_A_MARK])
		cfg->mark = nla_get_u32(attrs[KRELAY_A_MARK]);
	if (attrs[KRELAY_A_KEEPALIVE_S])
		cfg->keepalive_s = nla_get_u32(attrs[KRELAY_A_KEEPALIVE_S]);
	if (attrs[KRELAY_A_MAXCONN])
		cfg->maxconn = nla_get_u32(attrs[KRELAY_A_MAXCONN]);
	if (attrs[KRELAY_A_PROXY_PROTOCOL])
		cfg->proxy_protocol =
			nla_get_u8(attrs[KRELAY_A_PROXY_PROTOCOL]);
	if (attrs[KRELAY_A_TRANSPARENT])
		cfg->transparent = nla_get_u8(attrs[KRELAY_A_TRANSPARENT]);
	if (attrs[KRELAY_A_SOURCE]) {
		err = krelay_parse_addr(attrs[KRELAY_A_SOURCE], &cfg->source,
					KRELAY_ADDR_SOURCE, extack);
		if (err)
			goto err;
	}

	if (attrs[KRELAY_A_CHECK]) {
		err = krelay_parse_check(attrs[KRELAY_A_CHECK], &cfg->check,
					 extack);
		if (err)
			goto err;
	}

	if (attrs[KRELAY_A_ACL]) {
		err = krelay_parse_acl(attrs[KRELAY_A_ACL], &cfg->acl, extack);
		if (err)
			goto err;
	} else if (inherit && old->acl) {
		cfg->acl = krelay_acl_dup(old->acl);
		if (!cfg->acl) {
			err = -ENOMEM;
			goto err;
		}
	}

	err = krelay_cfg_check(cfg, listen, attrs, extack);
	if (err)
		goto err;
	return cfg;

err:
	krelay_cfg_free(cfg);
	return ERR_PTR(err);
}
