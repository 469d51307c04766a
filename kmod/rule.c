// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: rules - the listening socket and accepting connections.
 *
 * A rule owns a kernel TCP listener in its netns.  The listener's
 * sk_data_ready (called when a connection is ready to accept) queues the
 * rule's accept work, which accepts without blocking until the queue is
 * empty and hands every socket to conn.c.
 */

#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "krelay.h"

bool krelay_addr_equal(const union krelay_addr *a, const union krelay_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_port == b->sin.sin_port &&
		       a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
	return a->sin6.sin6_port == b->sin6.sin6_port &&
	       ipv6_addr_equal(&a->sin6.sin6_addr, &b->sin6.sin6_addr);
}

/* Caller holds kn->lock or rcu_read_lock(). */
struct krelay_rule *krelay_rule_find_id(struct krelay_net *kn, u32 id)
{
	struct krelay_rule *rule;

	list_for_each_entry_rcu(rule, &kn->rules, list,
				lockdep_is_held(&kn->lock))
		if (rule->id == id)
			return rule;
	return NULL;
}

/* Caller holds kn->lock or rcu_read_lock(). */
struct krelay_rule *krelay_rule_find_addr(struct krelay_net *kn,
					  const union krelay_addr *a)
{
	struct krelay_rule *rule;

	list_for_each_entry_rcu(rule, &kn->rules, list,
				lockdep_is_held(&kn->lock))
		if (!READ_ONCE(rule->draining) &&
		    krelay_addr_equal(&rule->listen, a))
			return rule;
	return NULL;
}

void krelay_rule_put(struct krelay_rule *rule)
{
	struct krelay_rule_cfg *cfg;

	if (!refcount_dec_and_test(&rule->refcnt))
		return;
	/* dumps may still be reading both under RCU */
	cfg = rcu_dereference_protected(rule->cfg, true);
	krelay_cfg_free_rcu(cfg);
	krelay_memcg_put(rule->memcg);
	kfree_rcu(rule, rcu);
}

/*
 * Listener callback.  Sockets cloned from the listener (not yet accepted,
 * or accepted but not yet taken over by their connection) inherit it but
 * not sk_user_data (NOCOPY), and are ignored: nobody waits on them, and
 * their connection kicks its work once it has installed its own callbacks.
 */
static void krelay_listen_data_ready(struct sock *sk)
{
	struct krelay_rule *rule;

	read_lock_bh(&sk->sk_callback_lock);
	rule = krelay_sk_user_data(sk);
	if (rule && sk->sk_state == TCP_LISTEN)
		queue_work(krelay_wq, &rule->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void krelay_listen_hook(struct krelay_rule *rule)
{
	struct sock *sk = rule->lsock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	rule->saved_data_ready = sk->sk_data_ready;
	__rcu_assign_sk_user_data_with_flags(sk, rule, SK_USER_DATA_NOCOPY);
	sk->sk_data_ready = krelay_listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void krelay_listen_unhook(struct krelay_rule *rule)
{
	struct sock *sk = rule->lsock->sk;

	if (!rule->saved_data_ready)
		return;
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_sk_user_data(sk, NULL);
	sk->sk_data_ready = rule->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
}

/*
 * Below the rule's maxconn?  Connections count from accept to teardown
 * (the ACTIVE counter).  At the limit the accept work stops and clients
 * wait in the listen backlog; the teardown that makes room queues the
 * accept work again (krelay_rule_conn_ended()).
 */
static bool krelay_rule_has_room(struct krelay_rule *rule)
{
	u32 maxconn;

	rcu_read_lock();
	maxconn = rcu_dereference(rule->cfg)->maxconn;
	rcu_read_unlock();
	return !maxconn ||
	       atomic64_read(&rule->stats.c[KRELAY_STATS_A_CONN_ACTIVE]) <
	       maxconn;
}

static void krelay_accept_work(struct work_struct *work)
{
	struct krelay_rule *rule = container_of(work, struct krelay_rule,
						accept_work);
	struct mem_cgroup *old_memcg;
	struct socket *csock;
	int err;

	/* what accepting allocates is the rule's creator's (memcg.c) */
	old_memcg = set_active_memcg(rule->memcg);
	while (!READ_ONCE(rule->dying) && krelay_rule_has_room(rule)) {
		err = kernel_accept(rule->lsock, &csock, O_NONBLOCK);
		/* -EINVAL: no longer listening (a transaction's rollback plan) */
		if (err == -EAGAIN || err == -EINVAL)
			break;
		if (err) {
			net_warn_ratelimited("krelay: rule %u: accept failed: %d\n",
					     rule->id, err);
			break;
		}
		krelay_conn_accept(rule, csock);
		cond_resched();
	}
	set_active_memcg(old_memcg);
}

static void krelay_drain_work(struct work_struct *work);

/*
 * A connection of @rule ended, leaving @active open.  If that made room
 * below maxconn, accept what waits in the backlog.  The accept work reads
 * the counter after this decrement: either it is running and will be
 * queued again, or it is pending and has not read it yet.  Any context.
 */
void krelay_rule_conn_ended(struct krelay_rule *rule, s64 active)
{
	u32 maxconn;

	rcu_read_lock();
	maxconn = rcu_dereference(rule->cfg)->maxconn;
	rcu_read_unlock();
	if (maxconn && active + 1 >= maxconn && !READ_ONCE(rule->dying))
		queue_work(krelay_wq, &rule->accept_work);
}

void krelay_bind_error(struct netlink_ext_ack *extack, int err,
		       const union krelay_addr *a)
{
	switch (err) {
	case -EADDRINUSE:
		KRELAY_ERR_FMT(extack, "listen address in use",
			       "listen address %pISpc in use", &a->sa);
		break;
	case -EADDRNOTAVAIL:
		KRELAY_ERR_FMT(extack,
			       "listen address is not an address of this host",
			       "listen address %pISc is not an address of this host",
			       &a->sa);
		break;
	case -EACCES:
		NL_SET_ERR_MSG_MOD(extack,
				   "listening on a privileged port needs CAP_NET_BIND_SERVICE");
		break;
	default:
		KRELAY_ERR_FMT(extack, "cannot bind the listen address",
			       "cannot bind the listen address %pISpc (error %d)",
			       &a->sa, err);
		break;
	}
}

/*
 * Set up a rule for @listen, not yet linked into @kn, with its socket
 * created but neither bound nor listening: a transaction binds every new
 * listener (krelay_rule_bind()) before it commits, and listens
 * (krelay_rule_listen()) only when it commits, so that a rejected
 * transaction has accepted nobody.  Takes ownership of @cfg on success.
 * Caller holds kn->lock; on success the rule is either linked with
 * krelay_rule_link() or dropped with krelay_rule_discard().
 */
struct krelay_rule *krelay_rule_prepare(struct krelay_net *kn,
					const union krelay_addr *listen,
					struct krelay_rule_cfg *cfg, u32 backlog,
					struct netlink_ext_ack *extack)
{
	struct krelay_rule *rule;
	struct socket *sock;
	int err;

	lockdep_assert_held(&kn->lock);

	if (krelay_rule_find_addr(kn, listen)) {
		KRELAY_ERR_FMT(extack, "a rule already listens on this address",
			       "a rule already listens on %pISpc", &listen->sa);
		return ERR_PTR(-EEXIST);
	}

	/* charged to the creator's memcg: we run in its task (memcg.c) */
	rule = kzalloc(sizeof(*rule), GFP_KERNEL_ACCOUNT);
	if (!rule) {
		NL_SET_ERR_MSG_MOD(extack, "out of memory");
		return ERR_PTR(-ENOMEM);
	}

	err = sock_create_kern(kn->net, listen->sa.sa_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "cannot create the listening socket");
		goto err_free;
	}

	sock_set_reuseaddr(sock->sk);
	if (listen->sa.sa_family == AF_INET6) {
		/* [::]:p and 0.0.0.0:p are separate rules */
		err = ip6_sock_set_v6only(sock->sk);
		if (err) {
			NL_SET_ERR_MSG_MOD(extack,
					   "cannot set IPV6_V6ONLY on the listening socket");
			goto err_sock;
		}
	}

	refcount_set(&rule->refcnt, 1);
	rule->kn = kn;
	rule->id = kn->next_rule_id++;
	rule->listen = *listen;
	rule->backlog = backlog;
	rule->lsock = sock;
	rule->memcg = krelay_memcg_from_sk(sock->sk);
	RCU_INIT_POINTER(rule->cfg, cfg);
	spin_lock_init(&rule->sched_lock);
	INIT_WORK(&rule->accept_work, krelay_accept_work);
	INIT_DELAYED_WORK(&rule->drain_work, krelay_drain_work);
	krelay_maint_init(rule);
	atomic_set(&rule->nconns, 0);
	return rule;

err_sock:
	sock_release(sock);
err_free:
	kfree(rule);
	return ERR_PTR(err);
}

/*
 * Bind a prepared rule's socket to its listen address; the caller reports
 * a failure (krelay_bind_error()).  Binding is not listening: a bound
 * socket answers SYNs with an RST, as if nothing were there.
 */
int krelay_rule_bind(struct krelay_rule *rule)
{
	return kernel_bind(rule->lsock, (struct sockaddr *)&rule->listen.sa,
			   krelay_addr_len(&rule->listen));
}

/*
 * Start accepting on a bound rule (or again after krelay_rule_unlisten()).
 * Caller holds kn->lock.
 */
int krelay_rule_listen(struct krelay_rule *rule, struct netlink_ext_ack *extack)
{
	int err;

	lockdep_assert_held(&rule->kn->lock);
	/* hooked before listen(): no connection can slip past us */
	if (!rule->saved_data_ready)
		krelay_listen_hook(rule);
	err = kernel_listen(rule->lsock, READ_ONCE(rule->backlog));
	if (err) {
		if (err == -EADDRINUSE)
			krelay_bind_error(extack, err, &rule->listen);
		else
			NL_SET_ERR_MSG_MOD(extack,
					   "cannot listen on the listen address");
		return err;
	}
	rule->listening = true;
	return 0;
}

/*
 * Stop listening but keep the address bound, so that a transaction can
 * still roll back with krelay_rule_listen(): a disconnect (connect() to
 * AF_UNSPEC) of a listening TCP socket resets what waits in its accept
 * queue and leaves it closed, its explicitly bound port kept.  A closed
 * socket bound with SO_REUSEADDR does not stop another from binding an
 * overlapping address (0.0.0.0:p -> 127.0.0.1:p).  Established
 * connections are not touched.  Caller holds kn->lock.
 */
int krelay_rule_unlisten(struct krelay_rule *rule)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int err;

	lockdep_assert_held(&rule->kn->lock);
	err = kernel_connect(rule->lsock, &unspec, sizeof(unspec), 0);
	if (!err)
		rule->listening = false;
	return err;
}

/* Publish a prepared rule.  Caller holds kn->lock. */
void krelay_rule_link(struct krelay_rule *rule)
{
	struct krelay_net *kn = rule->kn;
	struct krelay_rule_cfg *cfg;

	lockdep_assert_held(&kn->lock);
	list_add_tail_rcu(&rule->list, &kn->rules);
	kn->rule_count++;
	cfg = rcu_dereference_protected(rule->cfg, lockdep_is_held(&kn->lock));
	krelay_maint_commit(rule, cfg);
}

/*
 * Stop a rule: restore the listener callback (no new accept work can be
 * queued), cancel the accept work (no new connections), close the listener
 * (its address is free from here on) and stop the health checks and drain
 * timers (closing the check sockets), then abort the connections.  Their
 * teardown is waited for by krelay_rules_reap(), after kn->lock is dropped:
 * it may take long (thousands of connections), and other changes of the
 * netns must not wait for it.
 */
static void krelay_rule_close_listener(struct krelay_rule *rule)
{
	if (!rule->lsock)
		return;		/* already closed by a drain */
	WRITE_ONCE(rule->dying, true);
	krelay_listen_unhook(rule);
	cancel_work_sync(&rule->accept_work);
	kernel_sock_shutdown(rule->lsock, SHUT_RDWR);
	sock_release(rule->lsock);
	rule->lsock = NULL;
	rule->listening = false;
	krelay_maint_stop(rule);
}

static void krelay_rule_stop(struct krelay_rule *rule)
{
	krelay_rule_close_listener(rule);
	krelay_conn_abort_all(rule->kn, rule);
}

/*
 * Stop a prepared rule that was never linked (a transaction failed) and
 * put it on @gone for krelay_rules_reap().  Caller holds kn->lock.
 */
void krelay_rule_discard(struct krelay_rule *rule, struct list_head *gone)
{
	lockdep_assert_held(&rule->kn->lock);
	krelay_rule_stop(rule);
	list_add_tail(&rule->gone, gone);
}

/*
 * Unlink and stop a rule, and put it on @gone, where krelay_rules_reap()
 * finishes it.  Caller holds kn->lock.
 */
static void __krelay_rule_delete(struct krelay_rule *rule,
				 struct list_head *gone)
{
	struct krelay_net *kn = rule->kn;

	lockdep_assert_held(&kn->lock);

	list_del_rcu(&rule->list);
	kn->rule_count--;
	rule->unlinked = true;
	krelay_rule_stop(rule);
	list_add_tail(&rule->gone, gone);
}

/*
 * The rest of a deletion, without kn->lock: wait until each rule on @gone
 * has no connection left, announce the deleted ones (with their final
 * counters) and drop the list's reference.  Other changes of the netns may
 * run meanwhile; the rules are unreachable for them.
 */
void krelay_rules_reap(struct list_head *gone)
{
	struct krelay_rule *rule, *tmp;

	list_for_each_entry_safe(rule, tmp, gone, gone) {
		list_del(&rule->gone);
		wait_event(krelay_waitq, !atomic_read(&rule->nconns));
		/* the teardowns may have queued it again (maxconn) */
		cancel_work_sync(&rule->accept_work);
		if (rule->unlinked)
			krelay_notify_rule(rule, KRELAY_CMD_RULE_DEL);
		krelay_rule_put(rule);
	}
}

/*
 * Unlink and stop a rule (a draining one too: its connections are aborted
 * now), and put it on @gone, where krelay_rules_reap() finishes it.
 * Caller holds kn->lock.
 */
void krelay_rule_delete(struct krelay_rule *rule, struct list_head *gone)
{
	struct krelay_net *kn = rule->kn;
	bool draining = rule->draining;

	/* it only tries kn->lock, so it cannot be waiting for us */
	cancel_delayed_work_sync(&rule->drain_work);
	__krelay_rule_delete(rule, gone);
	if (draining)
		atomic_dec(&kn->ndraining);
}

/*
 * A draining rule: once its last connection is gone or the drain timeout
 * passed, abort what is left and remove the rule.  Polls (every 100 ms)
 * rather than being woken by the connections, which keeps the connection
 * path free of drain tests.
 */
static void krelay_drain_work(struct work_struct *work)
{
	struct krelay_rule *rule = container_of(to_delayed_work(work),
						struct krelay_rule, drain_work);
	struct krelay_net *kn = rule->kn;
	unsigned long delay = msecs_to_jiffies(100);
	LIST_HEAD(gone);

	if (!mutex_trylock(&kn->lock)) {
		queue_delayed_work(krelay_wq, &rule->drain_work, 1);
		return;
	}
	if (atomic_read(&rule->nconns) &&
	    (!rule->drain_end || time_before(jiffies, rule->drain_end))) {
		if (rule->drain_end && time_before(rule->drain_end,
						   jiffies + delay))
			delay = rule->drain_end - jiffies;
		queue_delayed_work(krelay_wq, &rule->drain_work, delay);
		mutex_unlock(&kn->lock);
		return;
	}
	__krelay_rule_delete(rule, &gone);
	mutex_unlock(&kn->lock);
	/* may free the rule, and with it this work item */
	krelay_rules_reap(&gone);
	/* after this, kn may be gone (netns exit waits for it) */
	atomic_dec(&kn->ndraining);
	wake_up_all(&krelay_waitq);
}

/*
 * Delete a rule with drain: stop accepting now and free its listen address
 * (unlinked from address lookups: a new rule may take it), let its
 * connections run to their end, or abort those left after @timeout_ms (0:
 * no timeout); then the rule goes as with krelay_rule_delete().  Returns
 * at once.  Caller holds kn->lock.
 */
void krelay_rule_drain(struct krelay_rule *rule, u32 timeout_ms)
{
	lockdep_assert_held(&rule->kn->lock);

	krelay_rule_close_listener(rule);
	/* "| 1": a deadline is never 0, which means none */
	rule->drain_end = timeout_ms ?
		(jiffies + msecs_to_jiffies(timeout_ms)) | 1 : 0;
	WRITE_ONCE(rule->draining, true);
	atomic_inc(&rule->kn->ndraining);
	queue_delayed_work(krelay_wq, &rule->drain_work, 0);
}

/*
 * Publish a new snapshot; connections that exist keep what they got from
 * the old one.  A raised maxconn may leave room for clients waiting in the
 * backlog: the accept work has a look.  Caller holds kn->lock.
 */
void krelay_rule_set_cfg(struct krelay_rule *rule, struct krelay_rule_cfg *cfg)
{
	struct krelay_rule_cfg *old;

	old = rcu_dereference_protected(rule->cfg,
					lockdep_is_held(&rule->kn->lock));
	cfg->gen = old->gen + 1;
	rcu_assign_pointer(rule->cfg, cfg);
	krelay_cfg_free_rcu(old);
	if (rule->listening)
		queue_work(krelay_wq, &rule->accept_work);
	krelay_maint_commit(rule, cfg);
}

/*
 * listen() on a listening socket only changes its backlog, and cannot
 * fail for a TCP socket that listens.  Caller holds kn->lock.
 */
void krelay_rule_set_backlog(struct krelay_rule *rule, u32 backlog)
{
	if (rule->backlog == backlog)
		return;
	if (!rule->listening || !kernel_listen(rule->lsock, backlog))
		WRITE_ONCE(rule->backlog, backlog);
}
