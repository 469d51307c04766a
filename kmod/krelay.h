/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krelay: internal objects shared by the module's files.
 *
 * Object lifetimes and locking, in one place:
 *
 * krelay_net (one per netns, pernet storage): @lock (mutex) serializes every
 *   configuration change of the netns (rule create/delete/set, netns exit).
 *   @rules is an RCU list kept sorted by rule id: writers hold @lock,
 *   readers (dumps, STATS_GET, doit lookups) use rcu_read_lock().
 *   @conns maps connection id -> connection; it is written only from
 *   process context (accept work, connection teardown) and walked under RCU
 *   by dumps and aborts.
 *
 * krelay_rule: refcounted.  The list holds one reference, every connection
 *   one more, so rule counters outlive rule deletion until the last
 *   connection is gone.  Freed after an RCU grace period.  The options used
 *   for new connections (@cfg) are an RCU-protected, immutable snapshot
 *   replaced as a whole by RULE_SET.
 *
 * krelay_conn: refcounted.  One reference ("alive") is held from creation
 *   until the teardown in the work function; each queued run of the work
 *   holds one more, taken by whoever queued it.  Socket callbacks find the
 *   connection through sk_user_data under read_lock(sk_callback_lock);
 *   teardown clears sk_user_data and restores the callbacks under the write
 *   lock before dropping "alive", so a callback that saw the connection can
 *   always take its reference.  Freed after an RCU grace period (dumps).
 *
 * Socket lock order: all data movement of one connection happens in its
 *   single work item, so its two directions never run concurrently and
 *   taking "source, then destination (nested)" in either direction cannot
 *   deadlock.
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
#include <linux/socket.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/sock.h>
#include <linux/krelay.h>

struct net;
struct sk_buff;
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

/* Options a rule applies to new connections; immutable once published. */
struct krelay_rule_cfg {
	union krelay_addr backend;
	u32 connect_timeout_ms;
	u32 idle_timeout_ms;
	u8 mode;
	struct rcu_head rcu;
};

struct krelay_net {
	struct net *net;
	struct mutex lock;		/* serializes configuration */
	struct list_head rules;
	u32 rule_count;
	u32 next_rule_id;
	atomic64_t next_conn_id;
	struct xarray conns;
	atomic_t nconns;
};

struct krelay_rule {
	struct list_head list;
	struct rcu_head rcu;
	refcount_t refcnt;
	struct krelay_net *kn;
	u32 id;
	u32 backlog;
	bool dying;
	union krelay_addr listen;
	struct krelay_rule_cfg __rcu *cfg;
	struct socket *lsock;
	/* listener's original sk_data_ready, also that of accepted sockets */
	void (*saved_data_ready)(struct sock *sk);
	struct work_struct accept_work;
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
	int connect_err;		/* synchronous kernel_connect() failure */
	u8 state;			/* enum krelay_conn_state */
	u8 mode;			/* enum krelay_mode */
	bool dead;
	union krelay_addr client;
	union krelay_addr backend;
	struct krelay_saved_cb saved[2];	/* [0] client, [1] backend */
	struct krelay_dir dir[KRELAY_NDIRS];
	struct rcu_head rcu;
};

/* main.c */
extern struct workqueue_struct *krelay_wq;
extern struct kmem_cache *krelay_conn_cache;
extern wait_queue_head_t krelay_waitq;
struct krelay_net *krelay_net(const struct net *net);

/* rule.c */
struct krelay_rule *krelay_rule_create(struct krelay_net *kn,
				       const union krelay_addr *listen,
				       struct krelay_rule_cfg *cfg, u32 backlog,
				       struct netlink_ext_ack *extack);
void krelay_rule_delete(struct krelay_rule *rule);
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
void krelay_conn_abort_all(struct krelay_net *kn, struct krelay_rule *rule);
int krelay_conn_abort_id(struct krelay_net *kn, u64 id);
void krelay_conn_put(struct krelay_conn *c);

/* splice.c, copy.c: move what is readable, see struct krelay_pump */
void krelay_splice_pump(struct krelay_dir *d, struct krelay_pump *p);
void krelay_copy_pump(struct krelay_dir *d, struct krelay_pump *p);
void krelay_copy_release(struct krelay_dir *d);

/* genl.c */
int krelay_genl_init(void);
void krelay_genl_exit(void);
void krelay_notify_rule(struct krelay_rule *rule, u8 cmd);
void krelay_notify_conn(struct krelay_conn *c, u8 cmd);

#endif /* _KRELAY_H */
