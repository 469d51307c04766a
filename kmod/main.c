// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: in-kernel TCP relay - module init/exit, parameters, per-netns state.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "krelay.h"

/*
 * All socket work (accepting and relaying) runs on this workqueue; socket
 * callbacks queue work items (except the receive fast path, conn.c, which
 * passes splice-mode data on from the softirq itself when it can).  Each
 * connection owns one work item, which serializes its two directions (see
 * krelay.h).
 *
 * Bound or unbound: a bound (per-CPU) queue runs the work on the CPU whose
 * softirq queued it, which keeps the skb cache-hot, and a work item queued
 * by a running one (accept, then the new connection's first run) follows
 * it in the same worker without a wake-up.  An unbound queue wakes an idle
 * worker for nearly every item.  Before the receive fast path, unbound
 * raised bulk throughput in TCG guests; with it, most data no longer goes
 * through the work, and the per-CPU queue measured 1.25-1.3x the
 * connections per second with 35-45 % fewer context switches per
 * connection (6.1 and 6.12, TCG, 2 vCPUs), bulk throughput unchanged
 * within the noise, so it is the default; wq_unbound=1 selects the
 * unbound queue.  A pass that hogs its CPU is bounded (copy mode's budget,
 * one source queue in splice mode), and 6.5+ moves long-running items out
 * of the concurrency accounting by itself.  No WQ_MEM_RECLAIM: the relay
 * is not on any memory reclaim path.
 */
static bool wq_unbound;
module_param(wq_unbound, bool, 0444);
MODULE_PARM_DESC(wq_unbound, "run relay work on an unbound workqueue (default: false, per-CPU)");

struct workqueue_struct *krelay_wq;

/*
 * The receive fast path (conn.c, krelay_conn_forward_bh()): splice-mode data
 * is passed on from the receive softirq instead of a work run.  Writable at
 * run time so that `make bench` can compare both in one boot.
 */
bool krelay_bh_forward = true;
module_param_named(bh_forward, krelay_bh_forward, bool, 0644);
MODULE_PARM_DESC(bh_forward, "pass splice-mode data on from the receive softirq (default: true)");

/*
 * Who may change the relay.  By default (true) CAP_NET_ADMIN in the user
 * namespace that owns the netns, as for most network configuration: a
 * container's root manages its own relays.  Where unprivileged user
 * namespaces are allowed (Debian's default), that is any local user, in a
 * netns of its own; what such a rule holds is charged to that user's
 * memory cgroup (memcg.c), as its own sockets would be, so this is kept as
 * the default.  false: changes need CAP_NET_ADMIN in the initial user
 * namespace (a container root is refused); reading stays open.  Writable
 * at run time; rules that exist are not touched.
 */
bool krelay_userns_admin = true;
module_param_named(userns_admin, krelay_userns_admin, bool, 0644);
MODULE_PARM_DESC(userns_admin, "allow changes by CAP_NET_ADMIN in a non-initial user namespace owning the netns (default: true)");

/*
 * Connections come from their own cache so that /proc/slabinfo shows the
 * relay's memory per connection ("krelay_conn").  SLUB merges caches of
 * equal size and flags, which would hide it inside a kmalloc cache; a
 * cache with a constructor is never merged, hence the (empty) one.
 * SLAB_ACCOUNT: charged to the active memcg of the accept work, the rule
 * creator's (memcg.c).
 */
struct kmem_cache *krelay_conn_cache;

static void krelay_conn_ctor(void *obj)
{
}

/*
 * Woken whenever a connection is freed; rule deletion and netns exit wait on
 * it for their connections to be gone.  Global rather than per-netns so that
 * a waker never touches a krelay_net its waiter may already have freed.
 */
DECLARE_WAIT_QUEUE_HEAD(krelay_waitq);

static unsigned int krelay_net_id __read_mostly;

struct krelay_net *krelay_net(const struct net *net)
{
	return net_generic(net, krelay_net_id);
}

static int __net_init krelay_net_init(struct net *net)
{
	struct krelay_net *kn = krelay_net(net);

	kn->net = net;
	mutex_init(&kn->lock);
	INIT_LIST_HEAD(&kn->rules);
	kn->next_rule_id = 1;
	atomic64_set(&kn->next_conn_id, 0);
	xa_init(&kn->conns);
	atomic_set(&kn->nconns, 0);
	atomic_set(&kn->ndraining, 0);
	return 0;
}

/*
 * The netns is going away: no process can reach it any more through
 * netlink, but our kernel sockets do not pin it, so everything must be
 * closed here.  Rule deletion stops each listener, aborts its connections
 * (RST to both peers) and waits until they are freed; rules being deleted
 * with drain are aborted at once the same way.
 *
 * This is done in .pre_exit, which runs before any device of the netns is
 * unregistered: from .exit, a veth peer would already be gone and the RSTs
 * would never reach clients outside the namespace.
 */
static void __net_exit krelay_net_pre_exit(struct net *net)
{
	struct krelay_net *kn = krelay_net(net);
	struct krelay_rule *rule, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&kn->lock);
	list_for_each_entry_safe(rule, tmp, &kn->rules, list)
		krelay_rule_delete(rule, &gone);
	mutex_unlock(&kn->lock);
	krelay_rules_reap(&gone);

	/* a drain that removed its rule just before may still be finishing */
	wait_event(krelay_waitq, !atomic_read(&kn->nconns) &&
		   !atomic_read(&kn->ndraining));
}

static void __net_exit krelay_net_exit(struct net *net)
{
	struct krelay_net *kn = krelay_net(net);

	/* no rule is left, so no accept work can read the ACL */
	WARN_ON(!list_empty(&kn->rules));
	kfree(rcu_dereference_protected(kn->acl, true));
	WARN_ON(!xa_empty(&kn->conns));
	xa_destroy(&kn->conns);
	mutex_destroy(&kn->lock);
}

static struct pernet_operations krelay_net_ops = {
	.init = krelay_net_init,
	.pre_exit = krelay_net_pre_exit,
	.exit = krelay_net_exit,
	.id = &krelay_net_id,
	.size = sizeof(struct krelay_net),
};

static int __init krelay_init(void)
{
	int err;

	krelay_conn_cache = kmem_cache_create("krelay_conn",
					      sizeof(struct krelay_conn), 0,
					      SLAB_ACCOUNT, krelay_conn_ctor);
	if (!krelay_conn_cache)
		return -ENOMEM;

	krelay_wq = alloc_workqueue("krelay", wq_unbound ? WQ_UNBOUND : 0, 0);
	if (!krelay_wq) {
		err = -ENOMEM;
		goto err_cache;
	}

	err = register_pernet_subsys(&krelay_net_ops);
	if (err)
		goto err_wq;

	err = krelay_genl_init();
	if (err)
		goto err_pernet;

	pr_info("version %s loaded (%s workqueue, zero-copy via %s)\n",
		KRELAY_VERSION, wq_unbound ? "unbound" : "per-cpu",
		KRELAY_ZEROCOPY_METHOD);
	return 0;

err_pernet:
	unregister_pernet_subsys(&krelay_net_ops);
err_wq:
	destroy_workqueue(krelay_wq);
err_cache:
	kmem_cache_destroy(krelay_conn_cache);
	return err;
}

/*
 * Unload order: no new rules (family gone), then every netns tears down its
 * rules and waits for its connections, then the now idle workqueue goes.
 * The grace period covers any softirq still running one of our callbacks
 * on a socket that was closed while it ran; the barrier waits for the
 * connection frees queued with call_rcu() before their cache goes.
 */
static void __exit krelay_exit(void)
{
	krelay_genl_exit();
	unregister_pernet_subsys(&krelay_net_ops);
	destroy_workqueue(krelay_wq);
	synchronize_rcu();
	rcu_barrier();
	kmem_cache_destroy(krelay_conn_cache);
	pr_info("unloaded\n");
}

module_init(krelay_init);
module_exit(krelay_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel TCP relay");
MODULE_AUTHOR("krelay developers");
MODULE_VERSION(KRELAY_VERSION);
