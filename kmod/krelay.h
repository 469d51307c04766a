/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krelay: internal objects shared by the module's files.
 *
 * Object lifetimes and locking, in one place:
 *
 * krelay_net (one per netns, pernet storage): @lock (mutex) serializes every
 *   configuration change of the netns (rule create/delete/set, netns exit).
 *   Deleting a rule unlinks it, closes its listener and aborts its
 *   connections under @lock; waiting for their teardown happens after
 *   @lock is dropped (krelay_rules_reap()).
 *   @rules is an RCU list kept sorted by rule id: writers hold @lock,
 *   readers (dumps, STATS_GET, doit lookups) use rcu_read_lock().  A rule
 *   deleted with drain stays on it (listed, found by id, not by address)
 *   until its drain work removes it.  That work only ever *tries* @lock
 *   (and retries later), so whoever holds @lock may cancel it synchronously.
 *   @conns maps connection id -> connection; it is written only from
 *   process context (accept work, connection teardown) and walked under RCU
 *   by dumps and aborts.
 *
 * krelay_rule: refcounted.  The list holds one reference, every connection
 *   one more, so rule counters outlive rule deletion until the last
 *   connection is gone.  Freed after an RCU grace period.  The options used
 *   for new connections (@cfg: backends, scheduler, timeouts, ACL, ...) are
 *   an RCU-protected, immutable snapshot replaced as a whole by RULE_SET and
 *   RULESET_SET; a snapshot is freed after a grace period.
 *
 * krelay_backend: refcounted.  Every snapshot listing it holds a reference,
 *   and so does every connection assigned to it, so its counters and state
 *   survive backend list changes (a new snapshot reuses the backend objects
 *   of the old one by address) and established connections keep theirs.
 *   Its counters and state are atomics; @sched_cur (smooth weighted
 *   round-robin) is only touched under the rule's @sched_lock.
 *
 * Health checks and drain timeouts (health.c) run in the rule's
 *   @maint_work, a delayed work on krelay_wq: one run at a time per rule,
 *   so the check sockets (@checker) and the backends' @hc_oks/@hc_fails
 *   need no lock.  It reads the snapshot under RCU and holds a reference
 *   on every backend it probes.  Rule stop cancels it and closes the
 *   check sockets before the rule can go.
 *
 * krelay_acl: immutable, RCU-freed; owned by a rule snapshot or by the
 *   netns (@acl, written under @lock).
 *
 * krelay_conn: refcounted.  One reference ("alive") is held from creation
 *   until the teardown in the work function; each queued run of the work
 *   holds one more, taken by whoever queued it.  Socket callbacks find the
 *   connection through sk_user_data under read_lock(sk_callback_lock);
 *   teardown clears sk_user_data and restores the callbacks under the write
 *   lock before dropping "alive", so a callback that saw the connection can
 *   always take its reference.  Freed after an RCU grace period (dumps).
 *
 * Socket lock order: the work owns (lock_sock) the source, then the
 *   destination (nested).  Its two directions never run concurrently, so
 *   taking them in either order cannot deadlock.  The receive fast path
 *   (conn.c) holds the source's spinlock, taken by TCP's receive path, and
 *   only *tries* the destination's: it never waits, so it cannot deadlock
 *   with the other direction's fast path nor with the work, and it only
 *   proceeds when neither socket is owned, which excludes the work.
 */
#ifndef _KRELAY_H
#define _KRELAY_H

#include <linux/atomic.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched/mm.h>
#include <linux/socket.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <linux/krelay.h>

struct mem_cgroup;
struct net;
struct sk_buff;
struct krelay_checker;
struct netlink_ext_ack;

union krelay_addr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

static inline int krelay_addr_len(const union krelay_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->sin6) : sizeof(a->sin);
}

bool krelay_addr_equal(const union krelay_addr *a, const union krelay_addr *b);

/*
 * Our objects are stored in sk_user_data with SK_USER_DATA_NOCOPY, so that
 * sockets cloned from a listener do not inherit the pointer.  Callers hold
 * sk->sk_callback_lock.
 */
static inline void *krelay_sk_user_data(const struct sock *sk)
{
	return (void *)((uintptr_t)sk->sk_user_data & SK_USER_DATA_PTRMASK);
}

/* Counters of one rule, indexed by enum krelay_stats_attr. */
struct krelay_stats {
	atomic64_t c[__KRELAY_STATS_A_MAX];
};

static inline void krelay_stat_add(struct krelay_stats *s, int idx, s64 v)
{
	atomic64_add(v, &s->c[idx]);
}

static inline void krelay_stat_inc(struct krelay_stats *s, int idx)
{
	atomic64_inc(&s->c[idx]);
}

enum krelay_backend_flag {
	KRELAY_BF_DOWN,		/* marked down: a connect failed */
	KRELAY_BF_SICK,		/* health DOWN: failed FALL checks in a row */
	KRELAY_BF_DRAINING,	/* draining since @drain_since */
	KRELAY_BF_DRAIN_EXPIRED, /* drain timeout passed, connections reset */
};

/* One backend address of a rule; see "krelay_backend" above. */
struct krelay_backend {
	refcount_t refcnt;
	unsigned long flags;
	unsigned long down_until;	/* jiffies; valid while DOWN is set */
	union krelay_addr addr;
	int sched_cur;			/* under rule->sched_lock */
	atomic64_t conns;		/* established */
	atomic64_t failed;		/* connect failures */
	atomic64_t active;		/* assigned connections open now */
	atomic64_t bytes[2];		/* indexed by KRELAY_DIR_* */
	atomic64_t checks_ok;		/* active health checks passed */
	atomic64_t checks_failed;	/* and failed */
	unsigned long drain_since;	/* jiffies; valid while DRAINING */
	/* passed / failed checks in a row: the rule's maintenance work only */
	u8 hc_oks;
	u8 hc_fails;
	struct rcu_head rcu;
};

void krelay_backend_put(struct krelay_backend *be);

static inline void krelay_backend_get(struct krelay_backend *be)
{
	refcount_inc(&be->refcnt);
}

/* Down (hold-down not over yet), as schedulers and dumps see it. */
static inline bool krelay_backend_down(const struct krelay_backend *be)
{
	return test_bit(KRELAY_BF_DOWN, &be->flags) &&
	       time_before(jiffies, READ_ONCE(be->down_until));
}

struct krelay_acl_entry {
	u8 action;			/* enum krelay_acl_action */
	u8 family;			/* AF_INET or AF_INET6 */
	u8 plen;
	union {
		__be32 v4;
		struct in6_addr v6;
	} addr;
};

struct krelay_acl {
	u32 n;
	u32 nallow;
	struct rcu_head rcu;
	struct krelay_acl_entry e[];
};

bool krelay_acl_denies(const struct krelay_acl *acl,
		       const union krelay_addr *client);

struct krelay_rule_backend {
	struct krelay_backend *be;
	u32 weight;
	u32 maxconn;			/* 0: no limit */
	u32 drain_timeout_ms;		/* with @drain; 0: never */
	bool drain;			/* no new connections */
};

/* Active health checks of a rule; @interval_ms 0: off. */
struct krelay_check_cfg {
	u32 interval_ms;
	u32 timeout_ms;
	u32 rise;
	u32 fall;
};

/* Options a rule applies to new connections; immutable once published. */
struct krelay_rule_cfg {
	u32 gen;			/* bumped by every change of the rule */
	u32 connect_timeout_ms;
	u32 idle_timeout_ms;
	u32 holddown_ms;
	u32 mark;
	u32 keepalive_s;
	u32 maxconn;			/* connections open at once, 0: no limit */
	u8 mode;
	u8 sched;
	u8 proxy_protocol;		/* enum krelay_proxy_protocol */
	bool transparent;		/* bind backend sockets to the client */
	union krelay_addr source;	/* AF_UNSPEC: none */
	struct krelay_check_cfg check;
	struct krelay_acl *acl;		/* NULL: empty */
	struct rcu_head rcu;
	u32 nbackends;
	struct krelay_rule_backend be[] __counted_by(nbackends);
};

struct krelay_rule_cfg *krelay_cfg_alloc(u32 nbackends);
void krelay_cfg_free(struct krelay_rule_cfg *cfg);
void krelay_cfg_free_rcu(struct krelay_rule_cfg *cfg);

struct krelay_net {
	struct net *net;
	struct mutex lock;		/* serializes configuration */
	struct list_head rules;
	u32 rule_count;
	u32 next_rule_id;
	atomic64_t next_conn_id;
	struct xarray conns;
	atomic_t nconns;
	atomic_t ndraining;		/* rules deleted with drain, not gone yet */
	struct krelay_acl __rcu *acl;	/* netns-wide ACL, NULL: empty */
	atomic64_t events_dropped;	/* events lost for want of memory */
};

struct krelay_rule {
	struct list_head list;
	struct rcu_head rcu;
	refcount_t refcnt;
	struct krelay_net *kn;
	u32 id;
	u32 backlog;
	bool dying;
	bool listening;			/* hooked and listen()ed (under kn->lock) */
	bool unlinked;			/* deleted (not a discarded prepared rule) */
	struct list_head gone;		/* stopped, waiting for krelay_rules_reap() */
	/* deleted with drain (rule.c): unlinked from address lookups */
	bool draining;
	unsigned long drain_end;	/* jiffies, never 0; 0: no timeout */
	struct delayed_work drain_work;
	union krelay_addr listen;
	struct krelay_rule_cfg __rcu *cfg;
	atomic_t rr;			/* round-robin position */
	spinlock_t sched_lock;		/* smooth WRR state of the backends */
	struct socket *lsock;
	/* listener's original sk_data_ready, also that of accepted sockets */
	void (*saved_data_ready)(struct sock *sk);
	struct work_struct accept_work;
	struct mem_cgroup *memcg;	/* the creator's, referenced; or NULL */
	/* health checks and drain timeouts (health.c) */
	struct delayed_work maint_work;
	struct krelay_checker *checker;	/* maint_work and rule stop only */
	atomic_t nconns;
	struct krelay_stats stats;
};

enum {
	KRELAY_DIR_TO_BACKEND,
	KRELAY_DIR_TO_CLIENT,
	KRELAY_NDIRS
};

/* One direction of a connection: bytes read from @src are sent to @dst. */
struct krelay_dir {
	struct socket *src;
	struct socket *dst;
	atomic64_t bytes;
	bool eof;		/* @src ended, FIN passed on to @dst */
	/* copy mode only; @buf exists only while it holds unsent bytes */
	char *buf;
	u32 head;
	u32 tail;
};

/* What one pass over a direction did. */
struct krelay_pump {
	size_t moved;
	size_t zerocopy;
	size_t copied;
	int err;
	bool eof;
	bool full;
	bool declined;		/* softirq pass: left an skb to the work */
	bool nomem;		/* stopped for want of memory: retry later */
	bool more;		/* copy: stopped at the run's budget */
};

struct krelay_saved_cb {
	void (*data_ready)(struct sock *sk);
	void (*write_space)(struct sock *sk);
	void (*state_change)(struct sock *sk);
};

enum krelay_conn_flag {
	KRELAY_CF_INIT,		/* being set up: runs of the work do nothing */
	KRELAY_CF_ABORT,	/* abort requested (CONN_DEL, rule delete, exit) */
	KRELAY_CF_TIMER,	/* timer fired */
	KRELAY_CF_RESET,	/* one side was reset: draining to the other */
	/*
	 * Direction i's destination was found full by the receive fast path
	 * (bit KRELAY_CF_PAUSED + i): that path leaves the direction alone
	 * until the destination's sk_write_space or a run of the work clears
	 * it.  Set under the destination's lock, as sk_write_space runs.
	 */
	KRELAY_CF_PAUSED,
	KRELAY_CF_PAUSED_LAST = KRELAY_CF_PAUSED + KRELAY_NDIRS - 1,
};

struct krelay_conn {
	refcount_t refcnt;
	unsigned long flags;
	u64 id;
	struct krelay_rule *rule;
	struct krelay_net *kn;
	struct socket *csock;
	struct socket *bsock;
	struct work_struct work;
	struct timer_list timer;
	unsigned long created;
	unsigned long last_active;
	unsigned long idle_timeout;	/* jiffies, 0 = off */
	unsigned long drain_until;	/* with RESET: jiffies */
	int connect_err;		/* synchronous kernel_connect() failure */
	struct krelay_backend *be;	/* the backend tried or connected */
	u64 tried;			/* backends tried, by index in cfg @gen */
	u32 gen;
	u8 tries_left;
	u8 state;			/* enum krelay_conn_state */
	u8 mode;			/* enum krelay_mode */
	u8 proxy;			/* enum krelay_proxy_protocol */
	bool transparent;		/* backend socket bound to the client */
	u8 drain_dir;			/* with RESET: the direction still moving */
	bool drained;			/* with RESET: its source is empty */
	u8 backoff;			/* consecutive passes short of memory */
	bool dead;
	union krelay_addr client;
	struct krelay_saved_cb saved[2];	/* [0] client, [1] backend */
	struct krelay_dir dir[KRELAY_NDIRS];
	struct rcu_head rcu;
};

/* main.c */
extern struct workqueue_struct *krelay_wq;
extern bool krelay_bh_forward;
extern bool krelay_userns_admin;
extern struct kmem_cache *krelay_conn_cache;
extern wait_queue_head_t krelay_waitq;
struct krelay_net *krelay_net(const struct net *net);

/* rule.c */
struct krelay_rule *krelay_rule_prepare(struct krelay_net *kn,
					const union krelay_addr *listen,
					struct krelay_rule_cfg *cfg, u32 backlog,
					struct netlink_ext_ack *extack);
int krelay_rule_bind(struct krelay_rule *rule);
void krelay_bind_error(struct netlink_ext_ack *extack, int err,
		       const union krelay_addr *a);
int krelay_rule_listen(struct krelay_rule *rule,
		       struct netlink_ext_ack *extack);
int krelay_rule_unlisten(struct krelay_rule *rule);
void krelay_rule_conn_ended(struct krelay_rule *rule, s64 active);
void krelay_rule_link(struct krelay_rule *rule);
void krelay_rule_discard(struct krelay_rule *rule, struct list_head *gone);
void krelay_rule_delete(struct krelay_rule *rule, struct list_head *gone);
void krelay_rules_reap(struct list_head *gone);
void krelay_rule_drain(struct krelay_rule *rule, u32 timeout_ms);
void krelay_rule_set_cfg(struct krelay_rule *rule, struct krelay_rule_cfg *cfg);
void krelay_rule_set_backlog(struct krelay_rule *rule, u32 backlog);
struct krelay_rule *krelay_rule_find_id(struct krelay_net *kn, u32 id);
struct krelay_rule *krelay_rule_find_addr(struct krelay_net *kn,
					  const union krelay_addr *a);
void krelay_rule_put(struct krelay_rule *rule);

static inline void krelay_rule_get(struct krelay_rule *rule)
{
	refcount_inc(&rule->refcnt);
}

/* conn.c */
void krelay_conn_accept(struct krelay_rule *rule, struct socket *csock);
int krelay_sock_bind_source(struct socket *sock, const union krelay_addr *src);
void krelay_conn_abort_all(struct krelay_net *kn, struct krelay_rule *rule);
void krelay_conn_abort_backend(struct krelay_rule *rule,
			       const struct krelay_backend *be);
int krelay_conn_abort_id(struct krelay_net *kn, u64 id);
void krelay_conn_put(struct krelay_conn *c);

/* backend.c */
struct krelay_backend *krelay_backend_pick(struct krelay_rule *rule,
					   struct krelay_conn *c);
bool krelay_backends_draining(struct krelay_rule *rule);
void krelay_backend_failed(struct krelay_rule *rule, struct krelay_backend *be,
			   u32 holddown_ms);
void krelay_backend_connected(struct krelay_rule *rule,
			      struct krelay_backend *be);

/* memcg.c */
#ifdef CONFIG_MEMCG
struct mem_cgroup *krelay_memcg_from_sk(struct sock *sk);
void krelay_memcg_put(struct mem_cgroup *memcg);
int krelay_sk_set_memcg(struct sock *sk, struct mem_cgroup *memcg);
#else
static inline struct mem_cgroup *krelay_memcg_from_sk(struct sock *sk)
{
	return NULL;
}

static inline void krelay_memcg_put(struct mem_cgroup *memcg)
{
}

static inline int krelay_sk_set_memcg(struct sock *sk,
				      struct mem_cgroup *memcg)
{
	return 0;
}
#endif

/* health.c */
void krelay_maint_init(struct krelay_rule *rule);
void krelay_maint_commit(struct krelay_rule *rule,
			 const struct krelay_rule_cfg *cfg);
void krelay_maint_stop(struct krelay_rule *rule);

/* splice.c, copy.c: move what is readable, see struct krelay_pump */
void krelay_splice_pump(struct krelay_dir *d, struct krelay_pump *p);
void krelay_splice_pump_bh(struct sock *src, struct sock *dst,
			   struct krelay_pump *p);
void krelay_copy_pump(struct krelay_dir *d, struct krelay_pump *p);
void krelay_copy_release(struct krelay_dir *d);

/* config.c */
enum krelay_addr_kind {
	KRELAY_ADDR_LISTEN,
	KRELAY_ADDR_BACKEND,
	KRELAY_ADDR_SOURCE,
};

extern const struct nla_policy krelay_addr_policy[KRELAY_ADDR_A_MAX + 1];
extern const struct nla_policy krelay_backend_policy[KRELAY_BACKEND_A_MAX + 1];
extern const struct nla_policy krelay_acl_policy[KRELAY_ACL_A_MAX + 1];
extern const struct nla_policy krelay_check_policy[KRELAY_CHECK_A_MAX + 1];

int krelay_list_len(const struct nlattr *nest, struct netlink_ext_ack *extack);
int krelay_parse_addr(const struct nlattr *nest, union krelay_addr *a,
		      enum krelay_addr_kind kind, struct netlink_ext_ack *extack);
int krelay_parse_acl(const struct nlattr *nest, struct krelay_acl **out,
		     struct netlink_ext_ack *extack);
struct krelay_rule_cfg *krelay_cfg_build(struct nlattr **attrs,
					 const union krelay_addr *listen,
					 const struct krelay_rule_cfg *old,
					 bool inherit,
					 struct netlink_ext_ack *extack);

/* genl.c */
int krelay_genl_init(void);
void krelay_genl_exit(void);
void krelay_notify_rule(struct krelay_rule *rule, u8 cmd);
void krelay_notify_conn(struct krelay_conn *c, u8 cmd);
void krelay_notify_backend(struct krelay_rule *rule, struct krelay_backend *be);

#endif /* _KRELAY_H */
