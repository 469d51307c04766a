// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: access control lists of client prefixes.
 *
 * Semantics (as rinetd's): a client is rejected by a list if it matches
 * one of its deny entries, or if the list has allow entries and it matches
 * none of them.  A connection must pass both the netns-wide list and its
 * rule's list.  Lists are short and checked once per accepted connection,
 * so a linear scan is enough.
 */

#include <linux/inetdevice.h>
#include <net/ipv6.h>

#include "krelay.h"

static bool krelay_acl_match(const struct krelay_acl_entry *e,
			     const union krelay_addr *a)
{
	const struct in6_addr *v6;
	__be32 v4;

	/* an IPv4 client of an IPv6 listener arrives v4-mapped */
	if (a->sa.sa_family == AF_INET6 &&
	    ipv6_addr_v4mapped(&a->sin6.sin6_addr)) {
		v4 = a->sin6.sin6_addr.s6_addr32[3];
		goto v4;
	}
	if (a->sa.sa_family == AF_INET) {
		v4 = a->sin.sin_addr.s_addr;
		goto v4;
	}
	if (a->sa.sa_family != AF_INET6 || e->family != AF_INET6)
		return false;
	v6 = &a->sin6.sin6_addr;
	return ipv6_prefix_equal(v6, &e->addr.v6, e->plen);

v4:
	if (e->family != AF_INET)
		return false;
	return !((v4 ^ e->addr.v4) & inet_make_mask(e->plen));
}

/* Caller holds rcu_read_lock() or owns @acl; NULL is the empty list. */
bool krelay_acl_denies(const struct krelay_acl *acl,
		       const union krelay_addr *client)
{
	bool allowed = false;
	u32 i;

	if (!acl)
		return false;
	for (i = 0; i < acl->n; i++) {
		const struct krelay_acl_entry *e = &acl->e[i];

		if (!krelay_acl_match(e, client))
			continue;
		if (e->action == KRELAY_ACL_DENY)
			return true;
		allowed = true;
	}
	return acl->nallow && !allowed;
}
