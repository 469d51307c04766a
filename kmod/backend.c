// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: backends - schedulers, failover bookkeeping, hold-down.
 *
 * A rule's snapshot (struct krelay_rule_cfg) lists its backends with their
 * weights.  For each new connection, and again for each failover, the
 * rule's scheduler picks one backend that this connection has not tried
 * yet, preferring backends that are up; a backend whose connect failed is
 * down until its hold-down time has passed, and one whose active health
 * checks failed (health.c) is down until they pass again.  If every
 * untried backend is down, the scheduler still offers one: a backend in
 * hold-down may well be back, and trying it beats failing the client.
 *
 * A draining backend is never offered: when every backend drains, new
 * connections fail.  A backend with a maxconn that many connections open
 * is not usable either: the schedulers skip it, and when every backend
 * left is at its limit there is nothing to offer (the new client is
 * reset, counted OVERLIMIT; a failover ends the connection as failed).
 */

#include <linux/jiffies.h>
#include <linux/slab.h>

#include "krelay.h"

void krelay_backend_put(struct krelay_backend *be)
{
	if (refcount_dec_and_test(&be->refcnt))
		kfree_rcu(be, rcu);
}

struct krelay_rule_cfg *krelay_cfg_alloc(u32 nbackends)
{
	struct krelay_rule_cfg *cfg;

	cfg = kzalloc(struct_size(cfg, be, nbackends), GFP_KERNEL_ACCOUNT);
	if (cfg)
		cfg->nbackends = nbackends;
	return cfg;
}

/* Free a snapshot nobody can see (never published, or after a grace period). */
void krelay_cfg_free(struct krelay_rule_cfg *cfg)
{
	u32 i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nbackends; i++)
		if (cfg->be[i].be)
			krelay_backend_put(cfg->be[i].be);
	kfree(cfg->acl);
	kfree(cfg);
}

static void krelay_cfg_free_cb(struct rcu_head *head)
{
	krelay_cfg_free(container_of(head, struct krelay_rule_cfg, rcu));
}

/* Free a snapshot once readers that may still see it are done. */
void krelay_cfg_free_rcu(struct krelay_rule_cfg *cfg)
{
	if (cfg)
		call_rcu(&cfg->rcu, krelay_cfg_free_cb);
}

/*
 * May backend @i of @cfg be offered to @c?  The tried mask is indexed by
 * position in the snapshot the connection saw first; when the rule changed
 * since, positions mean nothing any more and only the backend the last
 * try went to is excluded (tries_left still bounds the retries).
 */
static bool krelay_untried(const struct krelay_conn *c,
			   const struct krelay_rule_cfg *cfg, u32 i)
{
	if (c->gen == cfg->gen)
		return !(c->tried & BIT_ULL(i));
	return cfg->be[i].be != c->be;
}

/* Below its maxconn (the scheduler's view; krelay_backend_claim() decides). */
static bool krelay_backend_has_room(const struct krelay_rule_backend *rb)
{
	return !rb->maxconn || atomic64_read(&rb->be->active) < rb->maxconn;
}

/*
 * The one test every scheduler applies: may backend @i of @cfg be offered
 * to @c in this pass?  Never if @c tried it already, it drains, it is at
 * its maxconn or excluded in @full (lost a race for its last slot); with
 * @want_up, only if it is up (neither in hold-down nor failing its health
 * checks).
 */
static bool krelay_usable(const struct krelay_conn *c,
			  const struct krelay_rule_cfg *cfg, u32 i,
			  u64 full, bool want_up)
{
	const struct krelay_backend *be = cfg->be[i].be;

	if (!krelay_untried(c, cfg, i) || cfg->be[i].drain ||
	    (full & BIT_ULL(i)) || !krelay_backend_has_room(&cfg->be[i]))
		return false;
	return !want_up ||
	       (!krelay_backend_down(be) && !test_bit(KRELAY_BF_SICK, &be->flags));
}

/*
 * Count a connection active on @rb's backend if that keeps it within its
 * maxconn.  Concurrent picks (accepts, failovers) may have seen the same
 * last free slot: only one of them gets it.
 */
static bool krelay_backend_claim(const struct krelay_rule_backend *rb)
{
	s64 v = atomic64_read(&rb->be->active);

	do {
		if (rb->maxconn && v >= rb->maxconn)
			return false;
	} while (!atomic64_try_cmpxchg(&rb->be->active, &v, v + 1));
	return true;
}

static int krelay_pick_rr(struct krelay_rule *rule,
			  const struct krelay_rule_cfg *cfg,
			  const struct krelay_conn *c, u64 full, bool want_up)
{
	u32 n = cfg->nbackends, start, k, i;

	start = (u32)(atomic_inc_return(&rule->rr) - 1) % n;
	for (k = 0; k < n; k++) {
		i = (start + k) % n;
		if (krelay_usable(c, cfg, i, full, want_up))
			return i;
	}
	return -1;
}

/*
 * Smooth weighted round-robin: every candidate gains its weight, the
 * richest is chosen and pays the candidates' total.  Over sum(weights)
 * picks each backend is chosen weight times, spread out rather than in
 * runs.
 */
static int krelay_pick_wrr(struct krelay_rule *rule,
			   const struct krelay_rule_cfg *cfg,
			   const struct krelay_conn *c, u64 full, bool want_up)
{
	struct krelay_backend *be;
	int best = -1, total = 0;
	u32 i;

	spin_lock(&rule->sched_lock);
	for (i = 0; i < cfg->nbackends; i++) {
		be = cfg->be[i].be;
		if (!krelay_usable(c, cfg, i, full, want_up))
			continue;
		be->sched_cur += cfg->be[i].weight;
		total += cfg->be[i].weight;
		if (best < 0 || be->sched_cur > cfg->be[best].be->sched_cur)
			best = i;
	}
	if (best >= 0)
		cfg->be[best].be->sched_cur -= total;
	spin_unlock(&rule->sched_lock);
	return best;
}

/* Least connections per unit of weight; ties go to the earlier backend. */
static int krelay_pick_lc(const struct krelay_rule_cfg *cfg,
			  const struct krelay_conn *c, u64 full, bool want_up)
{
	u64 best_active = 0, active;
	u32 i, best_w = 1;
	int best = -1;

	for (i = 0; i < cfg->nbackends; i++) {
		struct krelay_backend *be = cfg->be[i].be;

		if (!krelay_usable(c, cfg, i, full, want_up))
			continue;
		active = atomic64_read(&be->active);
		/* active / weight < best_active / best_w, without division */
		if (best < 0 ||
		    active * best_w < best_active * cfg->be[i].weight) {
			best = i;
			best_active = active;
			best_w = cfg->be[i].weight;
		}
	}
	return best;
}

/* Does every backend of @rule drain (a pick fails for that reason)? */
bool krelay_backends_draining(struct krelay_rule *rule)
{
	const struct krelay_rule_cfg *cfg;
	bool all = true;
	u32 i;

	rcu_read_lock();
	cfg = rcu_dereference(rule->cfg);
	for (i = 0; i < cfg->nbackends && all; i++)
		all = cfg->be[i].drain;
	rcu_read_unlock();
	return all;
}

/*
 * Choose the next backend for @c (process context), take a reference for
 * the connection and count it active.  Returns NULL when every backend of
 * the rule has been tried, drains or is at its maxconn.
 */
struct krelay_backend *krelay_backend_pick(struct krelay_rule *rule,
					   struct krelay_conn *c)
{
	const struct krelay_rule_cfg *cfg;
	struct krelay_backend *be = NULL;
	u64 full = 0;
	int pass, i;

	rcu_read_lock();
	cfg = rcu_dereference(rule->cfg);
	for (;;) {
		i = -1;
		for (pass = 0; pass < 2 && i < 0; pass++) {
			bool want_up = pass == 0;

			switch (cfg->sched) {
			case KRELAY_SCHED_WRR:
				i = krelay_pick_wrr(rule, cfg, c, full, want_up);
				break;
			case KRELAY_SCHED_LC:
				i = krelay_pick_lc(cfg, c, full, want_up);
				break;
			default:
				i = krelay_pick_rr(rule, cfg, c, full, want_up);
				break;
			}
		}
		/* each lost race excludes one backend: at most nbackends rounds */
		if (i < 0 || krelay_backend_claim(&cfg->be[i]))
			break;
		full |= BIT_ULL(i);
	}
	if (i >= 0) {
		be = cfg->be[i].be;
		krelay_backend_get(be);
		if (c->gen != cfg->gen) {
			c->gen = cfg->gen;
			c->tried = 0;
		}
		c->tried |= BIT_ULL(i);
	}
	rcu_read_unlock();
	return be;
}

/* A connect to @be failed: count it and start (or extend) its hold-down. */
void krelay_backend_failed(struct krelay_rule *rule, struct krelay_backend *be,
			   u32 holddown_ms)
{
	atomic64_inc(&be->failed);
	if (!holddown_ms)
		return;
	WRITE_ONCE(be->down_until, jiffies + msecs_to_jiffies(holddown_ms));
	if (!test_and_set_bit(KRELAY_BF_DOWN, &be->flags))
		krelay_notify_backend(rule, be);
}

/* A connect to @be succeeded: it is up again if it was down. */
void krelay_backend_connected(struct krelay_rule *rule,
			      struct krelay_backend *be)
{
	atomic64_inc(&be->conns);
	if (test_bit(KRELAY_BF_DOWN, &be->flags) &&
	    test_and_clear_bit(KRELAY_BF_DOWN, &be->flags))
		krelay_notify_backend(rule, be);
}
