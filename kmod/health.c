// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: a rule's maintenance work - active health checks and drain
 * timeouts.
 *
 * Each rule has one delayed work item on krelay_wq (rule->maint_work).  It
 * runs when a timer it armed expires, when a check socket changes state,
 * and after every change of the rule's snapshot; each run does what is due
 * and arms the timer for the next thing that will be due.  Nothing here
 * runs for a rule without checks or draining backends beyond one run per
 * change of the rule.
 *
 * Health checks (KRELAY_A_CHECK): every interval, a TCP connect to each
 * backend of the snapshot, from a kernel socket in the rule's netns with
 * the rule's source address (any port) and mark.  A check passes when the
 * socket is established within the timeout and fails when it is refused,
 * unreachable or still connecting at the timeout.  The socket's
 * sk_state_change (softirq) only re-queues the work at once; the work
 * reads the socket state and closes the socket with SO_LINGER 0 (an RST to
 * an established peer, no TIME_WAIT).  FALL failures in a row take a
 * backend's health DOWN, RISE passes in a row bring it UP; every change
 * is sent as a KRELAY_CMD_BACKEND_EVENT.  Health starts UP (until proven
 * down), survives RULE_SET while the address stays (the backend object
 * does), and is UP again when checks are turned off.
 *
 * Drain (KRELAY_BACKEND_A_DRAIN): schedulers never offer a draining
 * backend (backend.c); its connections go on.  With a timeout, the ones
 * left when it passes are aborted (counted ABORTED).  The drain starts
 * when a snapshot first marks the backend draining and ends when one does
 * not (krelay_maint_commit()).
 */

#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "krelay.h"

/* One health check in progress. */
struct krelay_probe {
	struct krelay_backend *be;	/* holds a reference */
	struct socket *sock;
	void (*saved_state_change)(struct sock *sk);
	unsigned long deadline;		/* jiffies: fails if not established */
	bool failed;			/* failed at once (connect error) */
};

/* A rule's checks; allocated while checks are on. */
struct krelay_checker {
	unsigned long next_round;	/* jiffies: next round of checks */
	u32 interval_ms;		/* of the current rounds */
	u32 n;				/* probes in progress, p[0..n) */
	struct krelay_probe p[KRELAY_MAX_BACKENDS];
};

/*
 * sk_state_change of check sockets: run the work now.  sk_user_data (the
 * rule) is cleared under the write lock before the socket is closed, and
 * rule stop closes every check socket before the rule can go.
 */
static void krelay_probe_state_change(struct sock *sk)
{
	struct krelay_rule *rule;

	read_lock_bh(&sk->sk_callback_lock);
	rule = krelay_sk_user_data(sk);
	if (rule)
		mod_delayed_work(krelay_wq, &rule->maint_work, 0);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void krelay_probe_close(struct krelay_probe *p)
{
	struct sock *sk = p->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_sk_user_data(sk, NULL);
	sk->sk_state_change = p->saved_state_change;
	write_unlock_bh(&sk->sk_callback_lock);

	sock_no_linger(sk);
	sock_release(p->sock);
	p->sock = NULL;
	krelay_backend_put(p->be);
	p->be = NULL;
}

/* Close every check socket; the caller makes sure the work cannot run. */
static void krelay_checker_close(struct krelay_checker *ck)
{
	u32 i;

	for (i = 0; i < ck->n; i++)
		krelay_probe_close(&ck->p[i]);
	ck->n = 0;
}

/*
 * Start a check of p->be; false if no socket could be created (no check
 * is counted then: the shortage is ours).
 */
static bool krelay_probe_start(struct krelay_rule *rule, struct krelay_probe *p,
			       const union krelay_addr *source, u32 mark,
			       u32 timeout_ms)
{
	union krelay_addr src = *source, dst = p->be->addr;
	struct socket *sock;
	struct sock *sk;
	int err;

	err = sock_create_kern(rule->kn->net, dst.sa.sa_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (err)
		return false;
	sk = sock->sk;
	if (mark)
		sock_set_mark(sk, mark);

	p->sock = sock;
	p->failed = false;
	p->deadline = jiffies + msecs_to_jiffies(timeout_ms);
	write_lock_bh(&sk->sk_callback_lock);
	p->saved_state_change = sk->sk_state_change;
	__rcu_assign_sk_user_data_with_flags(sk, rule, SK_USER_DATA_NOCOPY);
	sk->sk_state_change = krelay_probe_state_change;
	write_unlock_bh(&sk->sk_callback_lock);

	/* the source address, never its port: that is for connections */
	if (src.sa.sa_family == dst.sa.sa_family) {
		src.sin.sin_port = 0;	/* sin6_port, too: the same place */
		if (krelay_sock_bind_source(sock, &src)) {
			p->failed = true;
			return true;
		}
	}
	err = kernel_connect(sock, &dst.sa, krelay_addr_len(&dst), O_NONBLOCK);
	if (err && err != -EINPROGRESS)
		p->failed = true;
	return true;
}

/* Count one check of @be and move its health. */
static void krelay_health_result(struct krelay_rule *rule,
				 struct krelay_backend *be, bool ok,
				 const struct krelay_check_cfg *chk)
{
	if (ok) {
		atomic64_inc(&be->checks_ok);
		be->hc_fails = 0;
		if (be->hc_oks < U8_MAX)
			be->hc_oks++;
		if (be->hc_oks >= chk->rise &&
		    test_and_clear_bit(KRELAY_BF_SICK, &be->flags))
			krelay_notify_backend(rule, be);
	} else {
		atomic64_inc(&be->checks_failed);
		be->hc_oks = 0;
		if (be->hc_fails < U8_MAX)
			be->hc_fails++;
		if (be->hc_fails >= chk->fall &&
		    !test_and_set_bit(KRELAY_BF_SICK, &be->flags))
			krelay_notify_backend(rule, be);
	}
}

/* Is @be still a backend of the rule (not removed by a RULE_SET)? */
static bool krelay_rule_has(struct krelay_rule *rule,
			    const struct krelay_backend *be)
{
	const struct krelay_rule_cfg *cfg;
	bool found = false;
	u32 i;

	rcu_read_lock();
	cfg = rcu_dereference(rule->cfg);
	for (i = 0; i < cfg->nbackends && !found; i++)
		found = cfg->be[i].be == be;
	rcu_read_unlock();
	return found;
}

/*
 * Collect the checks that ended (established, refused, timed out) and
 * close their sockets; those of backends the rule no longer has are
 * closed uncounted.  Returns the earliest deadline of those left in
 * *@next (unchanged if none).
 */
static void krelay_checks_collect(struct krelay_rule *rule,
				  struct krelay_checker *ck,
				  const struct krelay_check_cfg *chk,
				  unsigned long now, unsigned long *next)
{
	u32 i = 0;

	while (i < ck->n) {
		struct krelay_probe *p = &ck->p[i];
		int state = READ_ONCE(p->sock->sk->sk_state);
		bool ok;

		if (!krelay_rule_has(rule, p->be)) {
			krelay_probe_close(p);
			ck->p[i] = ck->p[--ck->n];
			continue;
		} else if (p->failed) {
			ok = false;
		} else if (state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT) {
			ok = true;
		} else if (state == TCP_SYN_SENT && time_before(now, p->deadline)) {
			if (time_before(p->deadline, *next))
				*next = p->deadline;
			i++;
			continue;
		} else {
			ok = false;
		}
		krelay_health_result(rule, p->be, ok, chk);
		krelay_probe_close(p);
		ck->p[i] = ck->p[--ck->n];
	}
}

static bool krelay_checks_has(const struct krelay_checker *ck,
			      const struct krelay_backend *be)
{
	u32 i;

	for (i = 0; i < ck->n; i++)
		if (ck->p[i].be == be)
			return true;
	return false;
}

/* A round: one check of every backend that has none in progress. */
static void krelay_checks_round(struct krelay_rule *rule,
				struct krelay_checker *ck)
{
	const struct krelay_rule_cfg *cfg;
	union krelay_addr source;
	u32 i, first = ck->n, mark, timeout_ms;

	rcu_read_lock();
	cfg = rcu_dereference(rule->cfg);
	source = cfg->source;
	mark = cfg->mark;
	timeout_ms = cfg->check.timeout_ms;
	for (i = 0; i < cfg->nbackends; i++) {
		struct krelay_backend *be = cfg->be[i].be;

		if (krelay_checks_has(ck, be))
			continue;
		/*
		 * collect just closed the checks of removed backends; only a
		 * RULE_SET since then can leave no room: the rest next round
		 */
		if (ck->n >= ARRAY_SIZE(ck->p))
			break;
		krelay_backend_get(be);
		ck->p[ck->n++].be = be;
	}
	rcu_read_unlock();

	/* sockets are created outside RCU: that may sleep */
	i = first;
	while (i < ck->n) {
		struct krelay_probe *p = &ck->p[i];

		if (krelay_probe_start(rule, p, &source, mark, timeout_ms)) {
			i++;
			continue;
		}
		krelay_backend_put(p->be);
		ck->p[i] = ck->p[--ck->n];
	}
}

/* Checks are off: close what is in progress, and every backend is UP. */
static void krelay_checks_off(struct krelay_rule *rule)
{
	const struct krelay_rule_cfg *cfg;
	u32 i;

	if (rule->checker) {
		krelay_checker_close(rule->checker);
		kfree(rule->checker);
		rule->checker = NULL;
	}
	rcu_read_lock();
	cfg = rcu_dereference(rule->cfg);
	for (i = 0; i < cfg->nbackends; i++) {
		struct krelay_backend *be = cfg->be[i].be;

		be->hc_oks = 0;
		be->hc_fails = 0;
		if (test_and_clear_bit(KRELAY_BF_SICK, &be->flags))
			krelay_notify_backend(rule, be);
	}
	rcu_read_unlock();
}

/*
 * Reset what is left on backends whose drain timed out; returns the
 * earliest drain deadline still to come in *@next.
 */
static void krelay_drain_expire(struct krelay_rule *rule, unsigned long now,
				unsigned long *next)
{
	const struct krelay_rule_cfg *cfg;
	unsigned long deadline;
	u32 i;

	rcu_read_lock();
	cfg = rcu_dereference(rule->cfg);
	for (i = 0; i < cfg->nbackends; i++) {
		struct krelay_backend *be = cfg->be[i].be;

		if (!cfg->be[i].drain || !cfg->be[i].drain_timeout_ms ||
		    !test_bit(KRELAY_BF_DRAINING, &be->flags) ||
		    test_bit(KRELAY_BF_DRAIN_EXPIRED, &be->flags))
			continue;
		deadline = READ_ONCE(be->drain_since) +
			   msecs_to_jiffies(cfg->be[i].drain_timeout_ms);
		if (time_before(now, deadline)) {
			if (time_before(deadline, *next))
				*next = deadline;
			continue;
		}
		set_bit(KRELAY_BF_DRAIN_EXPIRED, &be->flags);
		krelay_conn_abort_backend(rule, be);
	}
	rcu_read_unlock();
}

static void krelay_maint_work(struct work_struct *work)
{
	struct krelay_rule *rule = container_of(to_delayed_work(work),
						struct krelay_rule, maint_work);
	unsigned long now = jiffies, next = now + MAX_JIFFY_OFFSET / 2;
	struct krelay_check_cfg chk;
	struct krelay_checker *ck;
	bool armed = false;

	/* rule stop closes the check sockets itself */
	if (READ_ONCE(rule->dying))
		return;

	rcu_read_lock();
	chk = rcu_dereference(rule->cfg)->check;
	rcu_read_unlock();

	krelay_drain_expire(rule, now, &next);
	armed = next != now + MAX_JIFFY_OFFSET / 2;

	if (!chk.interval_ms) {
		krelay_checks_off(rule);
	} else {
		ck = rule->checker;
		if (!ck) {
			ck = kzalloc(sizeof(*ck), GFP_KERNEL);
			if (!ck) {
				/* try again at the next interval */
				next = min_t(unsigned long, next - now,
					     msecs_to_jiffies(chk.interval_ms)) + now;
				queue_delayed_work(krelay_wq, &rule->maint_work,
						   next - now);
				return;
			}
			rule->checker = ck;
			ck->next_round = now;
		}
		/* new parameters: start over with them now */
		if (ck->interval_ms != chk.interval_ms) {
			ck->interval_ms = chk.interval_ms;
			ck->next_round = now;
		}
		krelay_checks_collect(rule, ck, &chk, now, &next);
		if (!time_before(now, ck->next_round)) {
			krelay_checks_round(rule, ck);
			ck->next_round = now + msecs_to_jiffies(chk.interval_ms);
			/* those that failed at once are counted at once */
			krelay_checks_collect(rule, ck, &chk, now, &next);
		}
		if (time_before(ck->next_round, next))
			next = ck->next_round;
		armed = true;
	}

	if (armed)
		queue_delayed_work(krelay_wq, &rule->maint_work,
				   time_after(next, now) ? next - now : 0);
}

void krelay_maint_init(struct krelay_rule *rule)
{
	INIT_DELAYED_WORK(&rule->maint_work, krelay_maint_work);
}

/*
 * A snapshot was just published (rule linked or changed): start or end
 * the backends' drains, and let the work apply the new check and drain
 * parameters.  Caller holds kn->lock.
 */
void krelay_maint_commit(struct krelay_rule *rule,
			 const struct krelay_rule_cfg *cfg)
{
	u32 i;

	for (i = 0; i < cfg->nbackends; i++) {
		struct krelay_backend *be = cfg->be[i].be;

		if (!cfg->be[i].drain) {
			clear_bit(KRELAY_BF_DRAINING, &be->flags);
			continue;
		}
		if (test_bit(KRELAY_BF_DRAINING, &be->flags))
			continue;
		WRITE_ONCE(be->drain_since, jiffies);
		clear_bit(KRELAY_BF_DRAIN_EXPIRED, &be->flags);
		/* pairs with the test_bit() before reading drain_since */
		smp_mb__before_atomic();
		set_bit(KRELAY_BF_DRAINING, &be->flags);
	}
	mod_delayed_work(krelay_wq, &rule->maint_work, 0);
}

/*
 * Stop the work for good (rule->dying is set): after the first cancel no
 * run touches the checker any more (a run queued by a check socket sees
 * @dying and returns); once the sockets are closed nothing can queue it,
 * and the second cancel catches what was queued meanwhile.
 */
void krelay_maint_stop(struct krelay_rule *rule)
{
	cancel_delayed_work_sync(&rule->maint_work);
	if (rule->checker) {
		krelay_checker_close(rule->checker);
		kfree(rule->checker);
		rule->checker = NULL;
	}
	cancel_delayed_work_sync(&rule->maint_work);
}
