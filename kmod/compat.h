/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krelay: every difference between the supported kernels lives here.
 *
 * kmod/Kbuild greps the target kernel's headers and defines KRELAY_HAVE_*
 * for each feature; this header (force-included into every object) maps
 * the feature flags onto one API.  Logic files never test kernel versions.
 */
#ifndef _KRELAY_COMPAT_H
#define _KRELAY_COMPAT_H

#include <linux/bvec.h>
#include <linux/netlink.h>
#include <linux/uio.h>
#include <linux/timer.h>
#include <net/genetlink.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

/*
 * Mutating commands need CAP_NET_ADMIN in the user namespace owning the
 * netns; very old kernels only know the init_user_ns check.
 */
#ifndef KRELAY_HAVE_GENL_UNS_ADMIN_PERM
#define GENL_UNS_ADMIN_PERM GENL_ADMIN_PERM
#endif

/* 6.2+: handlers and pre_doit are given the split (do or dump) op. */
#ifdef KRELAY_HAVE_GENL_SPLIT_OPS
#define krelay_genl_op genl_split_ops
#else
#define krelay_genl_op genl_ops
#endif

/*
 * Formatted extack messages (6.3+).  Older kernels only carry a pointer to
 * a static string, so callers also give a plain fallback text.
 */
#ifdef KRELAY_HAVE_NL_SET_ERR_MSG_FMT
#define KRELAY_ERR_FMT(extack, plain, fmt, ...) do {			\
	BUILD_BUG_ON(sizeof(plain) < 2);				\
	NL_SET_ERR_MSG_FMT_MOD(extack, fmt, ##__VA_ARGS__);		\
} while (0)
#else
#define KRELAY_ERR_FMT(extack, plain, fmt, ...) do {			\
	no_printk(fmt, ##__VA_ARGS__);					\
	NL_SET_ERR_MSG_MOD(extack, plain);				\
} while (0)
#endif

/*
 * An extack message chosen at run time from static texts (the NL_SET_ERR_MSG
 * macros want a literal).  The text must be static: extack keeps the
 * pointer until the reply is built.
 */
static inline void krelay_set_err_msg(struct netlink_ext_ack *extack,
				      const char *msg)
{
	if (extack)
		extack->_msg = msg;
}

/* Attributes of a dump request, parsed by the genetlink core. */
static inline struct nlattr **krelay_dump_attrs(struct netlink_callback *cb)
{
#ifdef KRELAY_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#ifndef KRELAY_HAVE_TIMER_SHUTDOWN
#define timer_shutdown_sync(t) del_timer_sync(t)
#endif

#ifndef KRELAY_HAVE_TIMER_DELETE
#define timer_delete(t) del_timer(t)
#endif

#ifndef KRELAY_HAVE_TIMER_CONTAINER_OF
#define timer_container_of(var, timer, field) from_timer(var, timer, field)
#endif

/*
 * Page fragments for data TCP copies into an skb (copy mode, the linear
 * head of a spliced skb).  sk_page_frag() hands out current->task_frag
 * when sk_use_task_frag is set (6.2+, and Debian's 6.1, where it also
 * wants a sleeping sk_allocation) and the socket's own sk_frag otherwise.
 * In process context (the work) the task fragment is right: shared by
 * every socket the kworker sends on, never pinned by one.  From softirq
 * (the receive fast path) it is wrong: current is whatever task was
 * interrupted, maybe in the middle of using its own.  So the fast path
 * sends with the socket's own fragment and drops it once the pass is over:
 * a socket keeps no 32 KiB fragment of its own while it idles.  The skbs
 * in the write queue hold their own page references.  Caller holds the
 * socket's spinlock with no task owning it (nobody else sends on it).
 */
static inline bool krelay_sk_frag_bh_begin(struct sock *sk)
{
#ifdef KRELAY_HAVE_SK_USE_TASK_FRAG
	bool was = sk->sk_use_task_frag;

	sk->sk_use_task_frag = false;
	return was;
#else
	/* sk_page_frag() picks sk_frag for a non-sleeping sk_allocation */
	return false;
#endif
}

static inline void krelay_sk_frag_bh_end(struct sock *sk, bool was)
{
#ifdef KRELAY_HAVE_SK_USE_TASK_FRAG
	sk->sk_use_task_frag = was;
#endif
	if (sk->sk_frag.page) {
		put_page(sk->sk_frag.page);
		sk->sk_frag.page = NULL;
		sk->sk_frag.offset = 0;
	}
}

/*
 * Make kernel socket @sk hold a reference on its netns, as a user socket
 * does; false if the netns is already being dismantled.  conn.c says why.
 * sk_net_refcnt_upgrade() (6.14+, Debian's 6.12) also drops the passive
 * reference kernel sockets hold there.  Before it a kernel socket holds no
 * netns reference at all, and the upgrade does what sk_alloc() does for a
 * user socket (undone by the socket's destructor in both cases).  Called
 * in process context on a socket we own (the tracker may allocate).
 */
static inline bool krelay_sk_hold_net(struct sock *sk)
{
	struct net *net = maybe_get_net(sock_net(sk));

	if (!net)
		return false;
#ifdef KRELAY_HAVE_SK_NET_REFCNT_UPGRADE
	sk_net_refcnt_upgrade(sk);
	put_net(net);
#else
	sk->sk_net_refcnt = 1;
	netns_tracker_alloc(net, &sk->ns_tracker, GFP_KERNEL);
	sock_inuse_add(net, 1);
#endif
	return true;
}

/*
 * 6.12+: an skb's frags may be device memory (devmem TCP, net_iov) that
 * neither the CPU nor another socket may read: such skbs are never relayed.
 */
static inline bool krelay_skb_frags_readable(const struct sk_buff *skb)
{
#ifdef KRELAY_HAVE_SKB_FRAGS_READABLE
	return skb_frags_readable(skb);
#else
	return true;
#endif
}

/*
 * How page references reach TCP (krelay_tcp_sendpages_locked() below, and
 * skb_send_sock_locked() for frag-list skbs): sendpage up to 6.4,
 * sendmsg(MSG_SPLICE_PAGES) from 6.5.  Both must not be given slab pages
 * (6.5+ warns and fails with -EIO); splice.c checks every page first.
 */
#ifdef KRELAY_HAVE_KERNEL_SENDPAGE
#define KRELAY_ZEROCOPY_METHOD "sendpage"
#else
#define KRELAY_ZEROCOPY_METHOD "MSG_SPLICE_PAGES"
#endif

/*
 * Queue @n page ranges (@len bytes in all) on locked TCP socket @sk by
 * reference, as splice.c's sender does for one skb's frags.  @more: more
 * data follows in this pass, so TCP sends only full-sized segments and
 * keeps the tail for the next call instead of pushing it (MSG_MORE, as
 * splice(2) does with SPLICE_F_MORE; up to 6.4 also MSG_SENDPAGE_NOTLAST,
 * which holds back the push of all but the last page).  Returns the bytes
 * queued, or an error if none were; never raises SIGPIPE.  The pages must
 * be sendpage_ok().  6.5+ takes all ranges in one tcp_sendmsg_locked().
 */
#ifdef KRELAY_HAVE_TCP_SENDPAGE_LOCKED
static inline int krelay_tcp_sendpages_locked(struct sock *sk,
					      const struct bio_vec *bv,
					      unsigned int n, size_t len,
					      bool more)
{
	size_t done = 0;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		int flags = MSG_DONTWAIT | MSG_NOSIGNAL;

		if (more || i + 1 < n)
			flags |= MSG_MORE | MSG_SENDPAGE_NOTLAST;
		ret = tcp_sendpage_locked(sk, bv[i].bv_page, bv[i].bv_offset,
					  bv[i].bv_len, flags);
		if (ret <= 0)
			break;
		done += ret;
		if ((unsigned int)ret < bv[i].bv_len)
			break;
	}
	return done ? (int)done : ret;
}
#else
static inline int krelay_tcp_sendpages_locked(struct sock *sk,
					      const struct bio_vec *bv,
					      unsigned int n, size_t len,
					      bool more)
{
	struct msghdr msg = {
		.msg_flags = MSG_SPLICE_PAGES | MSG_DONTWAIT | MSG_NOSIGNAL |
			     (more ? MSG_MORE : 0),
	};

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, n, len);
	return tcp_sendmsg_locked(sk, &msg, len);
}
#endif

/*
 * IP_TRANSPARENT (IPV6_TRANSPARENT sets the same bit) without the
 * setsockopt()'s capability check, which would test the credentials of
 * whatever task runs us: the rule's creator was checked instead (genl.c).
 * A bitfield of inet_sock up to 6.5, an atomic inet_flags bit from 6.6.
 * Called before the socket is bound, on a socket nobody else sees yet.
 */
static inline void krelay_sk_set_transparent(struct sock *sk)
{
#ifdef KRELAY_HAVE_INET_FLAGS_TRANSPARENT
	inet_set_bit(TRANSPARENT, sk);
#else
	inet_sk(sk)->transparent = 1;
#endif
}

#endif /* _KRELAY_COMPAT_H */
