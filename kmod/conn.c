// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: connections - lifecycle, socket callbacks, the work item, timers.
 *
 * A connection pairs an accepted client socket with a backend socket that
 * we connect without blocking.  Everything it does happens in its single
 * work item on krelay_wq; socket callbacks (softirq or process context) and
 * the timer only queue that work - with one exception, the receive fast
 * path (krelay_conn_forward_bh()): an established splice connection's data
 * is passed on straight from the receive softirq when both sockets are
 * free, and only what that path declines goes to the work.  Lifetime rules
 * are in krelay.h.
 *
 * Endings, and what the peers see:
 * - both directions reached end of stream: CLOSED, closed normally (the
 *   FINs were already passed on; unsent data is still delivered);
 * - one side reset (or failed with a socket error) while established: what
 *   it sent before is still passed on, and what its peer's send queue holds
 *   is still delivered, as a direct peer would have received both; then the
 *   peer is reset too (RESET; see krelay_conn_drain(), at most
 *   KRELAY_RESET_DRAIN_MS);
 * - any other ending (both sides reset, backend refused or unreachable,
 *   connect or idle timeout, abort): both sockets are closed with SO_LINGER
 *   0, i.e. with an RST, so the client learns at once.
 */

#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "krelay.h"

/*
 * After one side's RST, how long the other side gets to take the data that
 * is still on its way to it (what the reset side sent before, and its own
 * send queue) before it is reset too.  Bounds what a peer that stopped
 * reading can keep pinned.
 */
#define KRELAY_RESET_DRAIN_MS	10000

static void krelay_conn_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(krelay_conn_cache,
			container_of(head, struct krelay_conn, rcu));
}

static void krelay_conn_free(struct krelay_conn *c)
{
	struct krelay_rule *rule = c->rule;
	struct krelay_net *kn = c->kn;

	/* dumps and aborts may still be looking at it under RCU */
	call_rcu(&c->rcu, krelay_conn_free_rcu);
	atomic_dec(&rule->nconns);
	krelay_rule_put(rule);
	/* after this, kn may be gone (netns exit waits for it) */
	atomic_dec(&kn->nconns);
	if (wq_has_sleeper(&krelay_waitq))
		wake_up_all(&krelay_waitq);
}

/* Safe in any context: the final free neither sleeps nor touches sockets. */
void krelay_conn_put(struct krelay_conn *c)
{
	if (refcount_dec_and_test(&c->refcnt))
		krelay_conn_free(c);
}

/*
 * Queue a run of the work; the queued run owns a reference.  The caller
 * must guarantee the connection is alive (callbacks: sk_callback_lock;
 * timer: teardown shuts it down before dropping "alive").
 */
static void krelay_conn_kick(struct krelay_conn *c)
{
	/*
	 * A pending run has not started yet and will see whatever made us
	 * kick; skipping it saves two atomics on a shared line per skb.  The
	 * barrier orders the caller's state change (queued skb, socket state)
	 * before the test, pairing with the barrier the workqueue executes
	 * after clearing the pending bit.
	 */
	smp_mb();
	if (work_pending(&c->work))
		return;

	refcount_inc(&c->refcnt);
	if (!queue_work(krelay_wq, &c->work))
		krelay_conn_put(c);
}

/* Consumes a reference held by the caller. */
static void krelay_conn_abort(struct krelay_conn *c)
{
	set_bit(KRELAY_CF_ABORT, &c->flags);
	if (!queue_work(krelay_wq, &c->work))
		krelay_conn_put(c);
}

/*
 * Socket callbacks.  sk_user_data is read under sk_callback_lock: teardown
 * clears it and restores the original callbacks under the write lock, so
 * once that is done no callback can still hold the connection.
 *
 * The originals are not chained: no task ever sleeps on these kernel
 * sockets, so the default wake-ups would have nobody to wake.
 *
 * krelay_conn_event is sk_state_change (and the kick sk_data_ready falls
 * back to): the work has a look at both sockets.
 */
static void krelay_conn_event(struct sock *sk)
{
	struct krelay_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = krelay_sk_user_data(sk);
	if (c)
		krelay_conn_kick(c);
	read_unlock_bh(&sk->sk_callback_lock);
}

/* Count what a pass over direction @i moved. */
static void krelay_conn_account(struct krelay_conn *c, int i,
				const struct krelay_pump *p)
{
	struct krelay_stats *st = &c->rule->stats;

	if (p->moved) {
		atomic64_add(p->moved, &c->dir[i].bytes);
		atomic64_add(p->moved, &c->be->bytes[i]);
		krelay_stat_add(st, i == KRELAY_DIR_TO_BACKEND ?
				KRELAY_STATS_A_BYTES_TO_BACKEND :
				KRELAY_STATS_A_BYTES_TO_CLIENT, p->moved);
	}
	if (p->zerocopy)
		krelay_stat_add(st, KRELAY_STATS_A_BYTES_ZEROCOPY, p->zerocopy);
	if (p->copied)
		krelay_stat_add(st, KRELAY_STATS_A_BYTES_COPIED, p->copied);
}

/*
 * The receive fast path: pass @sk's queued data on to its peer right here,
 * in the softirq that queued it, instead of waking the work.  Waking a
 * worker per batch of received data (every 40-60 KB) cost as many context
 * switches as a userspace relay and left the CPUs idle between hand-offs
 * (README, "Where the time goes").  Returns false to have the work do it.
 *
 * Why this is safe:
 * - Only from softirq on a socket no task owns: then TCP's receive path
 *   holds @sk's spinlock (bh_lock_sock) around sk_data_ready, which is all
 *   tcp_read_sock() needs (strparser reads from the same place).  Data
 *   that arrives while the work owns @sk goes to the backlog and its
 *   sk_data_ready runs in the owner's release_sock(): declined.
 * - The destination's spinlock is only tried, never waited for: the other
 *   direction may hold it and want ours.  Holding it with the destination
 *   not owned excludes the work (lock_sock() needs the spinlock to take
 *   ownership) and every other sender, and leaves its backlog empty.
 * - The destination is checked writable (state, no error, not shut down)
 *   under its lock, so the send cannot fail with EPIPE, whose SIGPIPE
 *   would go to whatever task the softirq interrupted; see
 *   krelay_splice_pump_bh() for allocation.
 * - Only ESTABLISHED splice connections: the state machine (connect,
 *   failover) sets dir[].dst and c->be before it publishes ESTABLISHED
 *   with a release store, read here with an acquire load, so the sockets
 *   read below are the connection's final ones; the rest (end of
 *   stream, errors, copy mode's buffer, teardown) stays in the work;
 *   a full destination, an error, the end of the stream or an skb that
 *   needs copying make this path decline and kick the work.
 * - Teardown marks the connection CLOSING before unhooking, and cannot
 *   unhook @sk, let alone release either socket, while we hold @sk's
 *   sk_callback_lock.  A stale ESTABLISHED read races harmlessly: data
 *   sent to a socket about to be reset.
 */
static bool krelay_conn_forward_bh(struct krelay_conn *c, struct sock *sk)
{
	struct krelay_pump p = {};
	struct krelay_dir *d;
	struct sock *dst;
	bool paused;
	int i;

	if (!krelay_bh_forward || !in_serving_softirq() ||
	    sock_owned_by_user_nocheck(sk) ||
	    c->mode != KRELAY_MODE_SPLICE ||
	    /* pairs with the release in krelay_conn_connecting() */
	    smp_load_acquire(&c->state) != KRELAY_CONN_ESTABLISHED ||
	    test_bit(KRELAY_CF_ABORT, &c->flags) ||
	    test_bit(KRELAY_CF_RESET, &c->flags))
		return false;

	i = sk == c->csock->sk ? KRELAY_DIR_TO_BACKEND : KRELAY_DIR_TO_CLIENT;
	/* still full: its sk_write_space resumes it, no need to try (or kick) */
	if (test_bit(KRELAY_CF_PAUSED + i, &c->flags))
		return true;
	d = &c->dir[i];
	dst = d->dst->sk;
	if (!spin_trylock(&dst->sk_lock.slock))
		return false;
	/*
	 * A route without scatter-gather makes TCP copy instead of taking
	 * page references (6.1's tcp_sendpage_locked() falls back to
	 * sendmsg): leave that to the work, which may sleep.
	 */
	if (sock_owned_by_user_nocheck(dst) || dst->sk_err || sk->sk_err ||
	    !(dst->sk_route_caps & NETIF_F_SG) ||
	    (dst->sk_shutdown & SEND_SHUTDOWN) ||
	    !((1 << dst->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))) {
		spin_unlock(&dst->sk_lock.slock);
		return false;
	}
	krelay_splice_pump_bh(sk, dst, &p);
	/*
	 * Full with data queued: an ACK will free room and call
	 * sk_write_space, which resumes the direction (the work kicked from
	 * it runs the pass).  Kicking the work now would only find the
	 * destination full again.  TCP set SOCK_NOSPACE when the send
	 * stopped; it is set again so that holds whatever stopped it.  ACKs
	 * are processed under the destination's lock, which we hold: none
	 * can slip between the test and the bit.  Full with nothing queued
	 * is a want of memory that no ACK will end: the work backs off.
	 */
	paused = p.full && !p.err && !p.declined &&
		 READ_ONCE(dst->sk_wmem_queued) && dst->sk_socket;
	if (paused) {
		set_bit(SOCK_NOSPACE, &dst->sk_socket->flags);
		paused = !__sk_stream_is_writeable(dst, 1);
		if (paused)
			set_bit(KRELAY_CF_PAUSED + i, &c->flags);
	}
	spin_unlock(&dst->sk_lock.slock);

	krelay_conn_account(c, i, &p);
	if (p.moved) {
		WRITE_ONCE(c->last_active, jiffies);
		krelay_stat_inc(&c->rule->stats, KRELAY_STATS_A_FAST_PASSES);
	}
	if (paused)
		return true;
	return !(p.full || p.err || p.eof || p.declined);
}

/*
 * sk_data_ready: forward from here if we can, otherwise have the work do
 * it.  Not installed as sk_state_change: state changes always go to the
 * work.
 */
static void krelay_conn_data_ready(struct sock *sk)
{
	struct krelay_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = krelay_sk_user_data(sk);
	if (c && !krelay_conn_forward_bh(c, sk))
		krelay_conn_kick(c);
	read_unlock_bh(&sk->sk_callback_lock);
}

/*
 * TCP calls sk_write_space only while SOCK_NOSPACE is set; like the default
 * (sk_stream_write_space) we clear it ourselves once there is room, or
 * every ACK would call us.
 */
static void krelay_conn_write_space(struct sock *sk)
{
	struct krelay_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = krelay_sk_user_data(sk);
	if (c && sk->sk_socket && __sk_stream_is_writeable(sk, 1)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		/* @sk is the destination of the direction it resumes */
		clear_bit(KRELAY_CF_PAUSED + (sk == c->csock->sk ?
					      KRELAY_DIR_TO_CLIENT :
					      KRELAY_DIR_TO_BACKEND),
			  &c->flags);
		krelay_conn_kick(c);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

/*
 * @data_ready: the original sk_data_ready to restore on teardown when the
 * socket's current one is not it (accepted sockets inherited ours from the
 * listener), or NULL.
 */
static void krelay_sock_hook(struct krelay_conn *c, struct socket *sock,
			     struct krelay_saved_cb *saved,
			     void (*data_ready)(struct sock *sk))
{
	struct sock *sk = sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	saved->data_ready = data_ready ? data_ready : sk->sk_data_ready;
	saved->write_space = sk->sk_write_space;
	saved->state_change = sk->sk_state_change;
	__rcu_assign_sk_user_data_with_flags(sk, c, SK_USER_DATA_NOCOPY);
	sk->sk_data_ready = krelay_conn_data_ready;
	sk->sk_write_space = krelay_conn_write_space;
	sk->sk_state_change = krelay_conn_event;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void krelay_sock_unhook(struct socket *sock,
			       const struct krelay_saved_cb *saved)
{
	struct sock *sk = sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_sk_user_data(sk, NULL);
	sk->sk_data_ready = saved->data_ready;
	sk->sk_write_space = saved->write_space;
	sk->sk_state_change = saved->state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void krelay_conn_timer(struct timer_list *t)
{
	struct krelay_conn *c = timer_container_of(c, t, timer);

	set_bit(KRELAY_CF_TIMER, &c->flags);
	krelay_conn_kick(c);
}

/*
 * Close one of a connection's sockets, with an RST unless @graceful.
 *
 * A graceful close hands TCP a socket that may still owe its peer our FIN
 * and the tail of the data: it lives on as an orphan (LAST_ACK, FIN_WAIT1,
 * CLOSING) until the peer has acknowledged them, resending on its timers.
 * But closing a kernel socket, one without a netns reference (ours, from
 * sock_create_kern() and accept), also stops those timers for good (since
 * "tcp: properly terminate timers for kernel sockets", in 6.1.y and
 * 6.12).  A lost segment, or a FIN that tcp_send_fin() under memory
 * pressure leaves to the retransmit timer, is then never sent: the client
 * has all the data but waits forever for the end of the stream, and the
 * orphan never goes away.  So the socket first takes a netns reference, as
 * a user socket holds one, and TCP treats it like one: the netns lives
 * until the orphan is done (at most the orphan retries).  If the netns is
 * already being dismantled the peer is going away with it: RST instead.
 */
static void krelay_sock_close(struct socket *sock, bool graceful)
{
	struct sock *sk = sock->sk;

	if (graceful) {
		lock_sock(sk);
		graceful = krelay_sk_hold_net(sk);
		release_sock(sk);
	}
	if (!graceful)
		sock_no_linger(sk);
	sock_release(sock);
}

/*
 * End the connection: restore the callbacks first (pitfall: the final FIN
 * exchange re-queues the work right up to this point), stop the timer, close
 * both sockets, unpublish, count, and drop the "alive" reference.  A run
 * that is still queued then only finds @dead set and drops its reference.
 */
static void krelay_conn_teardown(struct krelay_conn *c, int outcome)
{
	struct krelay_stats *st = &c->rule->stats;
	bool graceful;
	int i;

	WRITE_ONCE(c->state, KRELAY_CONN_CLOSING);
	krelay_sock_unhook(c->csock, &c->saved[0]);
	if (c->bsock)
		krelay_sock_unhook(c->bsock, &c->saved[1]);
	timer_shutdown_sync(&c->timer);

	graceful = outcome == KRELAY_STATS_A_CONN_CLOSED;
	krelay_sock_close(c->csock, graceful);
	if (c->bsock)
		krelay_sock_close(c->bsock, graceful);
	c->csock = NULL;
	c->bsock = NULL;
	for (i = 0; i < KRELAY_NDIRS; i++) {
		krelay_copy_release(&c->dir[i]);
		c->dir[i].src = NULL;
		c->dir[i].dst = NULL;
	}

	xa_erase(&c->kn->conns, c->id);

	if (outcome == KRELAY_STATS_A_CONN_CONNECT_REFUSED ||
	    outcome == KRELAY_STATS_A_CONN_CONNECT_TIMEOUT)
		krelay_stat_inc(st, KRELAY_STATS_A_CONN_FAILED);
	krelay_stat_inc(st, outcome);
	krelay_rule_conn_ended(c->rule,
			       atomic64_dec_return(&st->c[KRELAY_STATS_A_CONN_ACTIVE]));

	krelay_notify_conn(c, KRELAY_CMD_CONN_DEL);

	/* dumps may still read c->be under RCU; the backend is RCU-freed */
	atomic64_dec(&c->be->active);
	krelay_backend_put(c->be);

	c->dead = true;
	krelay_conn_put(c);
}

/* TCP keepalive with @secs of idle time before the first probe. */
static void krelay_sock_keepalive(struct sock *sk, u32 secs)
{
	sock_set_keepalive(sk);
	tcp_sock_set_keepidle(sk, secs);
}

/*
 * The source address of a transparent backend socket of family @family:
 * the client's address (rules pair transparent listeners only with
 * backends of their family; IPv6 listeners are IPv6-only).  The port is
 * left to the kernel (0): keeping the client's port would collide with the
 * TIME_WAIT of an earlier backend connection when the client reuses its
 * port, and when one client port reaches two rules.  -EAFNOSUPPORT if the
 * client's address is unknown or of another family.
 */
static int krelay_conn_client_src(const struct krelay_conn *c, int family,
				  union krelay_addr *src)
{
	const union krelay_addr *cl = &c->client;

	if (cl->sa.sa_family != family)
		return -EAFNOSUPPORT;
	*src = *cl;
	if (family == AF_INET) {
		src->sin.sin_port = 0;
	} else {
		src->sin6.sin6_port = 0;
		src->sin6.sin6_flowinfo = 0;
		src->sin6.sin6_scope_id = 0;
	}
	return 0;
}

/*
 * Bind @sock to the source address @src; with port 0 the port is left to
 * connect(), which picks one per destination (IP_BIND_ADDRESS_NO_PORT), so
 * one source address serves every backend address:port.
 */
int krelay_sock_bind_source(struct socket *sock, const union krelay_addr *src)
{
	int one = 1;

	/* sin_port and sin6_port are at the same offset */
	if (!src->sin.sin_port)
		sock->ops->setsockopt(sock, SOL_IP, IP_BIND_ADDRESS_NO_PORT,
				      KERNEL_SOCKPTR(&one), sizeof(one));
	return kernel_bind(sock, (struct sockaddr *)&src->sa,
			   krelay_addr_len(src));
}

/*
 * Open a socket to c->be, hook it and start a non-blocking connect, with
 * the rule's current source address, mark, keepalive and connect timeout.
 * A failure to bind or connect at once is left in @connect_err for the
 * work to handle like any other connect failure; only a socket that cannot
 * be created at all fails here (then c->bsock stays NULL).
 */
static int krelay_conn_connect(struct krelay_conn *c)
{
	const struct krelay_rule_cfg *cfg;
	union krelay_addr *dst = &c->be->addr;
	unsigned long timeout;
	union krelay_addr src;
	struct socket *sock;
	u32 mark, keepalive;
	int err;

	rcu_read_lock();
	cfg = rcu_dereference(c->rule->cfg);
	src = cfg->source;
	mark = cfg->mark;
	keepalive = cfg->keepalive_s;
	timeout = msecs_to_jiffies(cfg->connect_timeout_ms);
	c->proxy = cfg->proxy_protocol;
	c->transparent = cfg->transparent;
	rcu_read_unlock();

	err = sock_create_kern(c->kn->net, dst->sa.sa_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (err)
		return err;
	err = krelay_sk_set_memcg(sock->sk, c->rule->memcg);
	if (err) {
		sock_release(sock);
		return err;
	}
	if (mark)
		sock_set_mark(sock->sk, mark);
	if (keepalive)
		krelay_sock_keepalive(sock->sk, keepalive);

	c->connect_err = 0;
	c->bsock = sock;
	c->dir[KRELAY_DIR_TO_BACKEND].dst = sock;
	c->dir[KRELAY_DIR_TO_CLIENT].src = sock;
	krelay_sock_hook(c, sock, &c->saved[1], NULL);

	/* transparent: leave from the client's address (snapshots have no source) */
	if (c->transparent) {
		err = krelay_conn_client_src(c, dst->sa.sa_family, &src);
		if (err) {
			net_info_ratelimited("krelay: rule %u: transparent: client %pISc cannot reach backend %pISpc from its own address\n",
					     c->rule->id, &c->client.sa, &dst->sa);
			c->connect_err = -err;
		} else {
			krelay_sk_set_transparent(sock->sk);
		}
	}

	/* the snapshot's source has the backends' family (genl.c checks) */
	if (!c->connect_err && src.sa.sa_family == dst->sa.sa_family) {
		err = krelay_sock_bind_source(sock, &src);
		if (err) {
			net_info_ratelimited("krelay: rule %u: cannot bind source %pISpc: %d\n",
					     c->rule->id, &src.sa, err);
			c->connect_err = -err;
		}
	}
	if (!c->connect_err) {
		err = kernel_connect(sock, &dst->sa, krelay_addr_len(dst),
				     O_NONBLOCK);
		if (err && err != -EINPROGRESS) {
			/* e.g. -EADDRNOTAVAIL: no local port left */
			net_info_ratelimited("krelay: rule %u: connect to %pISpc failed: %d\n",
					     c->rule->id, &dst->sa, err);
			c->connect_err = -err;
		}
	}
	mod_timer(&c->timer, jiffies + timeout);
	return 0;
}

/*
 * The connect to c->be failed with @outcome: mark the backend down (if the
 * backend is to @blame) and move on to the next backend if there is one
 * left to try.  Returns @outcome if the connection ends, 0 if it goes on
 * with another backend.
 */
static int krelay_conn_failover(struct krelay_conn *c, int outcome, bool blame)
{
	struct krelay_rule *rule = c->rule;
	struct krelay_backend *be;
	u32 holddown;

	if (blame) {
		rcu_read_lock();
		holddown = rcu_dereference(rule->cfg)->holddown_ms;
		rcu_read_unlock();
		krelay_backend_failed(rule, c->be, holddown);
	}

	if (c->tries_left <= 1)
		return outcome;
	be = krelay_backend_pick(rule, c);
	if (!be)
		return outcome;
	c->tries_left--;
	krelay_stat_inc(&rule->stats, KRELAY_STATS_A_FAILOVERS);

	/* the failed socket is closed (or never got a SYN-ACK): no RST needed */
	krelay_sock_unhook(c->bsock, &c->saved[1]);
	sock_release(c->bsock);
	c->bsock = NULL;
	atomic64_dec(&c->be->active);
	krelay_backend_put(c->be);
	WRITE_ONCE(c->be, be);
	/*
	 * The old connect deadline must not time the new backend out: stop
	 * the timer (it only sets the bit and queues us) before clearing
	 * the bit; krelay_conn_connect() arms it again.
	 */
	timer_delete_sync(&c->timer);
	clear_bit(KRELAY_CF_TIMER, &c->flags);

	if (krelay_conn_connect(c))
		return KRELAY_STATS_A_CONN_FAILED;
	/* catch up with whatever the new socket did before it was hooked */
	return 0;
}

/*
 * The PROXY protocol header (haproxy's proxy-protocol.txt): the client
 * (the accepted socket's peer) and the address it connected to (the
 * accepted socket's local address).  An IPv4 client of an IPv6 socket
 * (both addresses v4-mapped) would be announced as TCP4 with its IPv4
 * addresses, as haproxy does; krelay's IPv6 listeners are IPv6-only, so
 * today every IPv6 client is a real one (TCP6).  v2 carries no TLVs.
 */
#define KRELAY_PROXY_HDR_MAX	108	/* v1's maximum, with CRLF and NUL */

static const u8 krelay_proxy_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

static void krelay_addr_unmap(union krelay_addr *a)
{
	__be32 v4 = a->sin6.sin6_addr.s6_addr32[3];
	__be16 port = a->sin6.sin6_port;

	memset(a, 0, sizeof(*a));
	a->sin.sin_family = AF_INET;
	a->sin.sin_addr.s_addr = v4;
	a->sin.sin_port = port;
}

static int krelay_proxy_header(struct krelay_conn *c, char *buf)
{
	union krelay_addr src = c->client, dst;
	__be16 alen;
	bool v4;
	u8 *p;
	int err;

	memset(&dst, 0, sizeof(dst));
	err = kernel_getsockname(c->csock, &dst.sa);
	if (err < 0)
		return err;
	if (src.sa.sa_family != dst.sa.sa_family)
		return -EAFNOSUPPORT;	/* also: the peer was unknown */
	if (src.sa.sa_family == AF_INET6 &&
	    ipv6_addr_v4mapped(&src.sin6.sin6_addr) &&
	    ipv6_addr_v4mapped(&dst.sin6.sin6_addr)) {
		krelay_addr_unmap(&src);
		krelay_addr_unmap(&dst);
	}
	v4 = src.sa.sa_family == AF_INET;

	if (c->proxy == KRELAY_PROXY_V1) {
		if (v4)
			return snprintf(buf, KRELAY_PROXY_HDR_MAX,
					"PROXY TCP4 %pI4 %pI4 %u %u\r\n",
					&src.sin.sin_addr, &dst.sin.sin_addr,
					ntohs(src.sin.sin_port),
					ntohs(dst.sin.sin_port));
		return snprintf(buf, KRELAY_PROXY_HDR_MAX,
				"PROXY TCP6 %pI6c %pI6c %u %u\r\n",
				&src.sin6.sin6_addr, &dst.sin6.sin6_addr,
				ntohs(src.sin6.sin6_port),
				ntohs(dst.sin6.sin6_port));
	}

	p = (u8 *)buf;
	memcpy(p, krelay_proxy_v2_sig, sizeof(krelay_proxy_v2_sig));
	p += sizeof(krelay_proxy_v2_sig);
	*p++ = 0x21;			/* version 2, PROXY */
	*p++ = v4 ? 0x11 : 0x21;	/* TCP over IPv4 / IPv6 */
	alen = htons(v4 ? 12 : 36);
	memcpy(p, &alen, 2);
	p += 2;
	if (v4) {
		memcpy(p, &src.sin.sin_addr, 4);
		memcpy(p + 4, &dst.sin.sin_addr, 4);
		memcpy(p + 8, &src.sin.sin_port, 2);
		memcpy(p + 10, &dst.sin.sin_port, 2);
		return 16 + 12;
	}
	memcpy(p, &src.sin6.sin6_addr, 16);
	memcpy(p + 16, &dst.sin6.sin6_addr, 16);
	memcpy(p + 32, &src.sin6.sin6_port, 2);
	memcpy(p + 34, &dst.sin6.sin6_port, 2);
	return 16 + 36;
}

/*
 * Send the PROXY header on a backend socket that has just been connected,
 * before the connection is published ESTABLISHED: neither the work nor
 * the receive fast path relays a client byte before that, so the header
 * always comes first, on every backend a connection fails over to.  The
 * send buffer of a fresh socket is empty, so the header goes in whole or
 * the socket is broken.  Counted as bytes to the backend (copied).
 */
static int krelay_conn_send_proxy(struct krelay_conn *c)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	char buf[KRELAY_PROXY_HDR_MAX];
	struct krelay_pump p = {};
	struct kvec iov;
	int len, ret;

	len = krelay_proxy_header(c, buf);
	if (len < 0) {
		net_info_ratelimited("krelay: rule %u: no PROXY header for client %pISpc: %d\n",
				     c->rule->id, &c->client.sa, len);
		return len;
	}
	iov.iov_base = buf;
	iov.iov_len = len;
	ret = kernel_sendmsg(c->bsock, &msg, &iov, 1, len);
	if (ret != len)
		return ret < 0 ? ret : -EIO;
	p.moved = len;
	p.copied = len;
	krelay_conn_account(c, KRELAY_DIR_TO_BACKEND, &p);
	return 0;
}

/* Backend connect in progress: returns an outcome if the connection ends. */
static int krelay_conn_connecting(struct krelay_conn *c)
{
	bool timer = test_and_clear_bit(KRELAY_CF_TIMER, &c->flags);
	struct sock *bsk;
	int err;

	/* the client gave up (RST) before the backend answered */
	if (READ_ONCE(c->csock->sk->sk_err))
		return KRELAY_STATS_A_CONN_RESET;
	if (!c->bsock)
		return KRELAY_STATS_A_CONN_FAILED;

	bsk = c->bsock->sk;
	switch (c->connect_err ? TCP_CLOSE : READ_ONCE(bsk->sk_state)) {
	case TCP_SYN_SENT:
		/* the timer is armed only for the connect deadline here */
		if (!timer)
			return 0;
		return krelay_conn_failover(c, KRELAY_STATS_A_CONN_CONNECT_TIMEOUT, true);
	case TCP_CLOSE:
		err = c->connect_err ? c->connect_err : READ_ONCE(bsk->sk_err);
		switch (err) {
		case ECONNREFUSED:	/* RST to our SYN */
			return krelay_conn_failover(c, KRELAY_STATS_A_CONN_CONNECT_REFUSED, true);
		case ECONNRESET:	/* accepted, then reset */
		case EPIPE:
			return KRELAY_STATS_A_CONN_RESET;
		case EADDRNOTAVAIL:	/* no local port, or source address, left */
		case EADDRINUSE:
		case EAFNOSUPPORT:	/* transparent: client address unknown */
		case ENOBUFS:
		case ENOMEM:
			/*
			 * Our own shortage, not the backend's: no hold-down
			 * (it would take every backend down, one event each);
			 * another backend may still have local ports.
			 */
			return krelay_conn_failover(c, KRELAY_STATS_A_CONN_FAILED, false);
		default:		/* unreachable, ... */
			return krelay_conn_failover(c, KRELAY_STATS_A_CONN_FAILED, true);
		}
	default:
		break;
	}

	/* established (possibly with the backend's FIN already queued) */
	krelay_backend_connected(c->rule, c->be);
	/* before any client byte: nothing is relayed until ESTABLISHED */
	if (c->proxy && krelay_conn_send_proxy(c))
		return KRELAY_STATS_A_CONN_RESET;
	/* pairs with the acquire in krelay_conn_forward_bh() */
	smp_store_release(&c->state, KRELAY_CONN_ESTABLISHED);
	WRITE_ONCE(c->last_active, jiffies);
	if (c->idle_timeout)
		mod_timer(&c->timer, jiffies + c->idle_timeout);
	else
		timer_delete(&c->timer);
	return 0;
}

/*
 * A socket that was reset or failed: an RST or a fatal error sets sk_err
 * and closes it (tcp_done()).  Our own sends or receives may consume
 * sk_err (sock_error()); the closed state remains.  A clean close reaches
 * TCP_CLOSE too (entering TIME_WAIT closes the full socket), but only
 * after the peer's FIN, which set SOCK_DONE; an RST or error does not.
 */
static bool krelay_sock_failed(const struct sock *sk)
{
	return READ_ONCE(sk->sk_err) ||
	       (READ_ONCE(sk->sk_state) == TCP_CLOSE &&
		!sock_flag(sk, SOCK_DONE));
}

/*
 * Everything written to @sk was acknowledged by its peer (our FIN too, if
 * we sent one): the peer's kernel has it, as it would have had it from a
 * direct peer.
 */
static bool krelay_sock_flushed(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return READ_ONCE(tp->snd_una) == READ_ONCE(tp->write_seq);
}

static void krelay_conn_pump(struct krelay_conn *c, int i,
			     struct krelay_pump *p)
{
	memset(p, 0, sizeof(*p));
	/* this run tries anyway; a full destination sets SOCK_NOSPACE again */
	clear_bit(KRELAY_CF_PAUSED + i, &c->flags);
	if (c->mode == KRELAY_MODE_COPY)
		krelay_copy_pump(&c->dir[i], p);
	else
		krelay_splice_pump(&c->dir[i], p);
	/*
	 * A send that could not queue anything with nothing queued before
	 * it: TCP found no memory for an skb or its page fragment.  No ACK
	 * is coming to call sk_write_space; retry on a timer instead.
	 */
	if (p->full && !READ_ONCE(c->dir[i].dst->sk->sk_wmem_queued))
		p->nomem = true;
	krelay_conn_account(c, i, p);
	if (p->moved)
		WRITE_ONCE(c->last_active, jiffies);
}

/*
 * A pass stopped for want of memory (struct krelay_pump's nomem): run the
 * connection again in 8 ms, doubling up to 1 s while it lasts.  Nothing
 * was lost: what could not be moved waits in the source socket (or copy
 * mode's buffer), and its peer's sending stops at the window.  The timer
 * only moves earlier (timer_reduce()): the idle timeout and the drain
 * deadline re-arm themselves when it fires early.
 */
#define KRELAY_NOMEM_BACKOFF_MS		8
#define KRELAY_NOMEM_BACKOFF_STEPS	7	/* 8 ms << 7: 1 s */

static void krelay_conn_backoff(struct krelay_conn *c)
{
	unsigned int ms = KRELAY_NOMEM_BACKOFF_MS << c->backoff;

	if (c->backoff < KRELAY_NOMEM_BACKOFF_STEPS)
		c->backoff++;
	krelay_stat_inc(&c->rule->stats, KRELAY_STATS_A_NOMEM_RETRIES);
	timer_reduce(&c->timer, jiffies + msecs_to_jiffies(ms));
}

/*
 * One side failed: if the other is fine, start passing on to it what the
 * failed side had received, and return true.  The direction towards the
 * failed side is given up.
 */
static bool krelay_conn_start_drain(struct krelay_conn *c)
{
	bool cfail = krelay_sock_failed(c->csock->sk);
	bool bfail = krelay_sock_failed(c->bsock->sk);
	unsigned long drain = msecs_to_jiffies(KRELAY_RESET_DRAIN_MS);

	if (cfail == bfail)
		return false;
	c->drain_dir = cfail ? KRELAY_DIR_TO_BACKEND : KRELAY_DIR_TO_CLIENT;
	c->drained = c->dir[c->drain_dir].eof;
	c->drain_until = jiffies + drain;
	/* the idle timeout is over: the drain deadline replaces it */
	clear_bit(KRELAY_CF_TIMER, &c->flags);
	mod_timer(&c->timer, c->drain_until);
	set_bit(KRELAY_CF_RESET, &c->flags);
	return true;
}

/*
 * After an RST from one side (the source of direction c->drain_dir): first
 * pass on what that side sent before it (its receive queue, copy mode's
 * buffer), then wait until the other side has acknowledged everything we
 * wrote to it, then reset it: a direct peer would have received the data,
 * then the RST.  Waiting for acknowledgements is woken by the other
 * side's sk_write_space, which TCP calls on each ACK while SOCK_NOSPACE is
 * set; the timer bounds it all.  Counted as reset, whatever came through.
 */
static int krelay_conn_drain(struct krelay_conn *c)
{
	struct krelay_dir *d = &c->dir[c->drain_dir];
	struct sock *dst = d->dst->sk;
	struct krelay_pump p;

	if (krelay_sock_failed(dst))
		return KRELAY_STATS_A_CONN_RESET;
	if (test_and_clear_bit(KRELAY_CF_TIMER, &c->flags)) {
		if (time_after_eq(jiffies, c->drain_until)) {
			net_info_ratelimited("krelay: rule %u: connection %llu: peer still had unacknowledged data %u ms after the other side's reset\n",
					     c->rule->id, c->id, KRELAY_RESET_DRAIN_MS);
			return KRELAY_STATS_A_CONN_RESET;
		}
		/* an early run for a back-off: the deadline still holds */
		mod_timer(&c->timer, c->drain_until);
	}

	if (!c->drained) {
		krelay_conn_pump(c, c->drain_dir, &p);
		if (p.nomem) {
			krelay_conn_backoff(c);
			return 0;
		}
		c->backoff = 0;
		if (p.more)
			krelay_conn_kick(c);
		if (p.full || p.more)
			return 0;	/* sk_write_space queues the next run */
		if (krelay_sock_failed(dst))
			return KRELAY_STATS_A_CONN_RESET;
		/*
		 * The source is closed: once its queue is empty, a pass ends
		 * in its error (or EOF, if a receive consumed the error).
		 */
		if (!p.err && !p.eof)
			return 0;
		c->drained = true;
	}

	set_bit(SOCK_NOSPACE, &d->dst->flags);
	/*
	 * Bit before test, paired with the smp_mb() in tcp_check_space()
	 * between an ACK's update of snd_una and its test of the bit: either
	 * we see the ACK, or it sees the bit and calls sk_write_space.
	 */
	smp_mb__after_atomic();
	if (!krelay_sock_flushed(dst))
		return 0;
	return KRELAY_STATS_A_CONN_RESET;
}

/* Pass data both ways; returns an outcome if the connection ends. */
static int krelay_conn_relay(struct krelay_conn *c)
{
	bool nomem = false, more = false;
	struct krelay_pump p;
	int i;

	if (test_bit(KRELAY_CF_RESET, &c->flags))
		return krelay_conn_drain(c);
	if (krelay_sock_failed(c->csock->sk) ||
	    krelay_sock_failed(c->bsock->sk)) {
		if (!krelay_conn_start_drain(c))
			return KRELAY_STATS_A_CONN_RESET;
		return krelay_conn_drain(c);
	}

	for (i = 0; i < KRELAY_NDIRS; i++) {
		struct krelay_dir *d = &c->dir[i];

		if (d->eof)
			continue;

		krelay_conn_pump(c, i, &p);
		if (p.err) {
			/* e.g. the peer was reset while we sent to it */
			if (!krelay_conn_start_drain(c))
				return KRELAY_STATS_A_CONN_RESET;
			return krelay_conn_drain(c);
		}
		if (p.eof) {
			/* half-close: pass the FIN on, after the data */
			kernel_sock_shutdown(d->dst, SHUT_WR);
			d->eof = true;
			WRITE_ONCE(c->state, KRELAY_CONN_HALF_CLOSED);
		}
		nomem |= p.nomem;
		more |= p.more;
	}

	if (c->dir[KRELAY_DIR_TO_BACKEND].eof &&
	    c->dir[KRELAY_DIR_TO_CLIENT].eof)
		return KRELAY_STATS_A_CONN_CLOSED;

	/*
	 * Idle timeout, re-armed lazily: activity only stores a timestamp;
	 * when the timer fires early we push it to last activity + timeout.
	 */
	if (test_and_clear_bit(KRELAY_CF_TIMER, &c->flags) && c->idle_timeout) {
		unsigned long expires = c->last_active + c->idle_timeout;

		if (time_after_eq(jiffies, expires))
			return KRELAY_STATS_A_CONN_IDLE_TIMEOUT;
		mod_timer(&c->timer, expires);
	}
	if (nomem)
		krelay_conn_backoff(c);
	else
		c->backoff = 0;
	/* copy mode's budget: the rest in a run of its own */
	if (more)
		krelay_conn_kick(c);
	return 0;
}

static void krelay_conn_work(struct work_struct *work)
{
	struct krelay_conn *c = container_of(work, struct krelay_conn, work);
	struct mem_cgroup *old_memcg;
	int outcome = 0;

	if (c->dead || test_bit(KRELAY_CF_INIT, &c->flags))
		goto out;
	/* our allocations are the rule's creator's (memcg.c) */
	old_memcg = set_active_memcg(c->rule->memcg);
	krelay_stat_inc(&c->rule->stats, KRELAY_STATS_A_WORK_RUNS);

	if (test_bit(KRELAY_CF_ABORT, &c->flags))
		outcome = KRELAY_STATS_A_CONN_ABORTED;
	else if (c->state == KRELAY_CONN_CONNECTING)
		outcome = krelay_conn_connecting(c);

	if (!outcome && c->state != KRELAY_CONN_CONNECTING)
		outcome = krelay_conn_relay(c);

	if (outcome)
		krelay_conn_teardown(c, outcome);
	set_active_memcg(old_memcg);
out:
	krelay_conn_put(c);
}

/* Close an accepted socket we could not relay, with an RST. */
static void krelay_conn_reject(struct krelay_rule *rule, struct socket *sock)
{
	struct sock *sk = sock->sk;

	/* it inherited the listener's callback, which must not outlive us */
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = rule->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);

	sock_no_linger(sk);
	sock_release(sock);
}

/*
 * Called from the rule's accept work with a freshly accepted socket; takes
 * ownership of it.
 */
void krelay_conn_accept(struct krelay_rule *rule, struct socket *csock)
{
	struct krelay_net *kn = rule->kn;
	struct krelay_rule_cfg *cfg;
	struct krelay_conn *c;
	u32 keepalive;
	bool denied;
	int err;

	krelay_stat_inc(&rule->stats, KRELAY_STATS_A_CONN_ACCEPTED);

	/*
	 * A socket that a ULP (kTLS...) or a sockmap (a BPF sock_ops program
	 * adds sockets as they are established, before we accept them)
	 * already owns: its sk_user_data, callbacks and sk_prot are theirs.
	 * Nothing else can take it over later: sockmap refuses sockets with
	 * sk_user_data, and ours are unreachable from userspace.
	 */
	if (READ_ONCE(csock->sk->sk_user_data) ||
	    inet_csk_has_ulp(csock->sk)) {
		net_info_ratelimited("krelay: rule %u: accepted socket is owned by a ULP or sockmap, reset\n",
				     rule->id);
		goto err_reject;
	}

	/*
	 * The socket's memory is the rule creator's, like the listener's.
	 * Refused when it is at its limit already.
	 */
	if (krelay_sk_set_memcg(csock->sk, rule->memcg)) {
		net_info_ratelimited("krelay: rule %u: the rule's memory cgroup cannot take an accepted socket, reset\n",
				     rule->id);
		goto err_reject;
	}

	/* no __GFP_ZERO: SLUB refuses (warns, ignores) it for caches with a ctor */
	c = kmem_cache_alloc(krelay_conn_cache, GFP_KERNEL);
	if (!c)
		goto err_reject;
	memset(c, 0, sizeof(*c));

	if (kernel_getpeername(csock, &c->client.sa) < 0)
		c->client.sa.sa_family = AF_UNSPEC;

	rcu_read_lock();
	cfg = rcu_dereference(rule->cfg);
	denied = krelay_acl_denies(rcu_dereference(kn->acl), &c->client) ||
		 krelay_acl_denies(cfg->acl, &c->client);
	c->mode = cfg->mode;
	c->idle_timeout = msecs_to_jiffies(cfg->idle_timeout_ms);
	c->tries_left = min_t(u32, cfg->nbackends, KRELAY_MAX_BACKENDS);
	c->gen = cfg->gen;
	keepalive = cfg->keepalive_s;
	rcu_read_unlock();

	if (denied) {
		kmem_cache_free(krelay_conn_cache, c);
		krelay_stat_inc(&rule->stats, KRELAY_STATS_A_CONN_DENIED);
		krelay_conn_reject(rule, csock);
		return;
	}

	refcount_set(&c->refcnt, 1);
	__set_bit(KRELAY_CF_INIT, &c->flags);
	c->rule = rule;
	c->kn = kn;
	c->csock = csock;
	INIT_WORK(&c->work, krelay_conn_work);
	timer_setup(&c->timer, krelay_conn_timer, 0);
	c->created = jiffies;
	c->last_active = c->created;
	c->state = KRELAY_CONN_CONNECTING;
	c->dir[KRELAY_DIR_TO_BACKEND].src = csock;
	c->dir[KRELAY_DIR_TO_CLIENT].dst = csock;
	c->id = atomic64_inc_return(&kn->next_conn_id);

	c->be = krelay_backend_pick(rule, c);
	if (!c->be) {
		/*
		 * A snapshot has at least one backend, so the first pick fails
		 * only when every backend drains (counted FAILED) or every one
		 * that does not is at its maxconn: then the client is reset
		 * (counted OVERLIMIT) rather than queued behind busy backends.
		 */
		kmem_cache_free(krelay_conn_cache, c);
		krelay_stat_inc(&rule->stats, krelay_backends_draining(rule) ?
				KRELAY_STATS_A_CONN_FAILED :
				KRELAY_STATS_A_CONN_OVERLIMIT);
		krelay_conn_reject(rule, csock);
		return;
	}

	err = xa_insert(&kn->conns, c->id, c, GFP_KERNEL);
	if (err)
		goto err_be;

	/* from here on nothing fails: failures become outcomes of the work */
	krelay_rule_get(rule);
	atomic_inc(&rule->nconns);
	atomic_inc(&kn->nconns);
	krelay_stat_inc(&rule->stats, KRELAY_STATS_A_CONN_ACTIVE);

	if (keepalive)
		krelay_sock_keepalive(csock->sk, keepalive);

	/*
	 * Runs of the work queued before INIT is cleared do nothing; the kick
	 * below catches up on whatever they were queued for (data that
	 * arrived on the client before we hooked it, connect completion).
	 */
	krelay_sock_hook(c, csock, &c->saved[0], rule->saved_data_ready);
	/* without a backend socket, the first run fails the connection */
	krelay_conn_connect(c);

	krelay_notify_conn(c, KRELAY_CMD_CONN_GET);

	clear_bit(KRELAY_CF_INIT, &c->flags);
	krelay_conn_kick(c);
	return;

err_be:
	atomic64_dec(&c->be->active);
	krelay_backend_put(c->be);
	kmem_cache_free(krelay_conn_cache, c);
err_reject:
	krelay_stat_inc(&rule->stats, KRELAY_STATS_A_CONN_FAILED);
	krelay_conn_reject(rule, csock);
}

/*
 * Abort every connection of @rule (all of the netns if NULL).  Walks the
 * id map under RCU; a connection whose references already dropped to zero
 * is being freed and is skipped.
 */
void krelay_conn_abort_all(struct krelay_net *kn, struct krelay_rule *rule)
{
	struct krelay_conn *c;
	unsigned long id;

	rcu_read_lock();
	xa_for_each(&kn->conns, id, c) {
		if (rule && c->rule != rule)
			continue;
		if (refcount_inc_not_zero(&c->refcnt))
			krelay_conn_abort(c);
	}
	rcu_read_unlock();
}

/* Abort the connections of @rule assigned to @be (a drain timed out). */
void krelay_conn_abort_backend(struct krelay_rule *rule,
			       const struct krelay_backend *be)
{
	struct krelay_conn *c;
	unsigned long id;

	rcu_read_lock();
	xa_for_each(&rule->kn->conns, id, c) {
		if (c->rule != rule || READ_ONCE(c->be) != be)
			continue;
		if (refcount_inc_not_zero(&c->refcnt))
			krelay_conn_abort(c);
	}
	rcu_read_unlock();
}

int krelay_conn_abort_id(struct krelay_net *kn, u64 id)
{
	struct krelay_conn *c;

	rcu_read_lock();
	c = xa_load(&kn->conns, id);
	if (c && !refcount_inc_not_zero(&c->refcnt))
		c = NULL;
	rcu_read_unlock();

	if (!c)
		return -ENOENT;
	krelay_conn_abort(c);
	return 0;
}
