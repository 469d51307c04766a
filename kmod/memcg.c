// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: charging a rule's memory to the memory cgroup of its creator.
 *
 * The listener is created in the netlink handler, by the creator's task,
 * so sk_alloc() gives it that task's memory cgroup (none for the root
 * cgroup).  Everything else is created in a kworker, which belongs to the
 * root cgroup, so it would be charged to nobody:
 * - sockets: an accepted socket gets its sk_memcg in inet_csk_accept()
 *   and a new one in sk_alloc(), both from current's cgroup (not from
 *   set_active_memcg()); krelay_sk_set_memcg() gives them the listener's;
 * - objects (connections, copy buffers, the backend sockets' own structs,
 *   and on 6.12 the accepted ones'): kmem-accounted allocations of the
 *   work charge the active memcg, which the works set to the rule's
 *   (set_active_memcg(), around each run).
 * A rule holds a reference on its memcg (@memcg) until it is freed, a
 * socket one on its sk_memcg (dropped by the socket's destructor).
 */

#include <linux/cgroup.h>
#include <linux/memcontrol.h>
#include <net/sock.h>

#include "krelay.h"

#ifdef CONFIG_MEMCG

/* The memcg of a socket created by the creator's task, referenced; or NULL. */
struct mem_cgroup *krelay_memcg_from_sk(struct sock *sk)
{
	struct mem_cgroup *memcg = READ_ONCE(sk->sk_memcg);

	if (memcg)
		css_get(&memcg->css);
	return memcg;
}

/* Any context. */
void krelay_memcg_put(struct mem_cgroup *memcg)
{
	if (memcg)
		css_put(&memcg->css);
}

/*
 * Charge @sk, created or accepted in a kworker, to @memcg from now on, and
 * what it already holds too, as inet_csk_accept() does for a task of a
 * memcg: an accepted socket may hold data received before the accept, so
 * far charged to TCP's global accounting only.  That charge has no export
 * of its own, so it goes through the exported socket accounting: with
 * sk_memcg set, schedule the pages (charging TCP and the memcg), then,
 * with sk_memcg hidden, reclaim them again (uncharging TCP only).  Owning
 * the socket keeps its accounting still meanwhile (the receive path queues
 * to the backlog).  Process context, before the socket is hooked.
 *
 * Returns -ENOMEM if the memcg cannot take what the socket holds: the
 * caller drops the connection (as the tenant is at its limit).
 */
int krelay_sk_set_memcg(struct sock *sk, struct mem_cgroup *memcg)
{
	int pages, err = 0;

	if (!memcg)
		return 0;

	lock_sock(sk);
	if (sk->sk_memcg)
		goto out;
	css_get(&memcg->css);
	sk->sk_memcg = memcg;
	pages = sk_mem_pages(sk->sk_forward_alloc +
			     atomic_read(&sk->sk_rmem_alloc));
	if (!pages)
		goto out;
	if (!__sk_mem_schedule(sk, pages << PAGE_SHIFT, SK_MEM_RECV)) {
		sk->sk_memcg = NULL;
		css_put(&memcg->css);
		err = -ENOMEM;
		goto out;
	}
	sk->sk_memcg = NULL;
	__sk_mem_reclaim(sk, pages << PAGE_SHIFT);
	sk->sk_memcg = memcg;
out:
	release_sock(sk);
	return err;
}

#endif /* CONFIG_MEMCG */
