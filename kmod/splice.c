// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: splice data path - move skb pages from one TCP socket to another.
 *
 * One pass over a direction locks the source, then the destination (nested:
 * both are TCP sockets of one lock class; see "Socket lock order" in
 * krelay.h), and lets tcp_read_sock()
 * hand every queued skb to an actor that sends it on with
 * krelay_send_skb(): the destination takes references on the skb's
 * pages, no payload is copied (only the linear head, which is tiny or
 * empty for TCP receive skbs), and TCP pushes once, after the last skb.
 *
 * The pass ends when the source is empty or the destination's send buffer
 * is full.  On "full" both locks are released: the release processes the
 * destination's backlog (ACKs that piled up while we held it) and its
 * write-space callback then queues the next run.
 *
 * The same pass also runs straight from the receive softirq
 * (krelay_splice_pump_bh(), called by conn.c's sk_data_ready), which is
 * where most data moves: see there.
 */

#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "krelay.h"

/* Bounce buffer for skbs whose pages may not be passed by reference. */
#define KRELAY_BOUNCE_SIZE	PAGE_SIZE

struct krelay_splice_ctx {
	struct sock *src;
	struct sock *dst;
	struct krelay_pump *p;
	void *bounce;
	bool full;
	bool atomic;		/* softirq pass: no bounce buffer, no sleeping */
};

/*
 * Only page-allocator pages may be handed to another socket by reference:
 * 6.5+ refuses slab memory (warns, -EIO) and older kernels would take a
 * page reference on a slab page, which does not keep the object alive.
 * Loopback never produces such skbs, some drivers do.
 */
static bool krelay_skb_pages_ok(const struct sk_buff *skb)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	const struct sk_buff *frag;
	int i;

	for (i = 0; i < shinfo->nr_frags; i++)
		if (!sendpage_ok(skb_frag_page(&shinfo->frags[i])))
			return false;

	skb_walk_frags(skb, frag) {
		shinfo = skb_shinfo(frag);
		for (i = 0; i < shinfo->nr_frags; i++)
			if (!sendpage_ok(skb_frag_page(&shinfo->frags[i])))
				return false;
		if (skb_has_frag_list(frag))
			return false;
	}
	return true;
}

/* Bytes of [offset, offset + len) that lie in the linear head (copied). */
static size_t krelay_head_bytes(const struct sk_buff *skb, unsigned int offset,
				size_t len)
{
	unsigned int hlen = skb_headlen(skb);

	return offset < hlen ? min_t(size_t, len, hlen - offset) : 0;
}

/*
 * Pass [offset, offset + len) of @skb on to @dst by page reference.  Unlike
 * skb_send_sock_locked(), which sends (and pushes) each frag on its own,
 * this hands the skb's frags to TCP in one go and lets it push only when
 * @more is false, i.e. at the end of what the source holds: the
 * destination then sends segments as large as its size goal instead of
 * one per frag, and its receiver is woken per segment, not per frag.  An
 * skb with a frag list (rare for TCP receive skbs) goes the old way.
 * Returns what was queued (a short count when @dst is full) or an error.
 */
static int krelay_send_skb(struct sock *dst, struct sk_buff *skb,
			   unsigned int offset, size_t len, bool more)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	struct bio_vec bv[MAX_SKB_FRAGS];
	size_t head = krelay_head_bytes(skb, offset, len), bytes = 0;
	unsigned int hlen = skb_headlen(skb);
	unsigned int i, n = 0;
	int ret;

	if (unlikely(skb_has_frag_list(skb)))
		return skb_send_sock_locked(dst, skb, offset, len);

	if (head) {
		struct msghdr msg = {
			.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL |
				     (head < len || more ? MSG_MORE : 0),
		};
		struct kvec kv = {
			.iov_base = skb->data + offset,
			.iov_len = head,
		};

		ret = kernel_sendmsg_locked(dst, &msg, &kv, 1, head);
		if (ret <= 0 || (size_t)ret < head)
			return ret;
		len -= head;
		if (!len)
			return head;
		offset = hlen;
	}

	offset -= hlen;
	for (i = 0; i < shinfo->nr_frags && bytes < len; i++) {
		const skb_frag_t *frag = &shinfo->frags[i];
		unsigned int size = skb_frag_size(frag);

		if (offset >= size) {
			offset -= size;
			continue;
		}
		bv[n].bv_page = skb_frag_page(frag);
		bv[n].bv_offset = skb_frag_off(frag) + offset;
		bv[n].bv_len = min_t(size_t, size - offset, len - bytes);
		bytes += bv[n].bv_len;
		offset = 0;
		n++;
	}
	if (!n)
		return head;

	ret = krelay_tcp_sendpages_locked(dst, bv, n, bytes, more);
	if (ret < 0)
		return head ? (int)head : ret;
	return head + ret;
}

/* Fallback for skbs we may not splice: copy through a bounce buffer. */
static int krelay_splice_copy(struct krelay_splice_ctx *ctx,
			      struct sk_buff *skb, unsigned int offset,
			      size_t len)
{
	size_t done = 0;
	int ret = 0;

	if (!ctx->bounce) {
		/* as copy mode's buffer: no OOM killer, retried later */
		ctx->bounce = kmalloc(KRELAY_BOUNCE_SIZE, GFP_KERNEL_ACCOUNT |
				      __GFP_NORETRY | __GFP_NOWARN);
		if (!ctx->bounce) {
			ctx->p->nomem = true;
			return 0;
		}
	}

	while (done < len) {
		struct msghdr msg = {
			.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
		};
		struct kvec kv;
		size_t n = min_t(size_t, len - done, KRELAY_BOUNCE_SIZE);

		ret = skb_copy_bits(skb, offset + done, ctx->bounce, n);
		if (ret)
			break;
		kv.iov_base = ctx->bounce;
		kv.iov_len = n;
		ret = kernel_sendmsg_locked(ctx->dst, &msg, &kv, 1, n);
		if (ret <= 0)
			break;
		done += ret;
		if ((size_t)ret < n)
			break;
	}
	ctx->p->copied += done;
	return done ? (int)done : ret;
}

/*
 * tcp_read_sock() actor.  Contract (see relay-notes): returning 0 stops the
 * read; after a partial send tcp_read_sock() calls again for the rest of
 * the same skb, so "destination full" is remembered in the context and
 * answered with 0.  desc->count stays non-zero so reading goes on past the
 * first skb.
 */
static int krelay_splice_recv(read_descriptor_t *desc, struct sk_buff *skb,
			      unsigned int offset, size_t len)
{
	struct krelay_splice_ctx *ctx = desc->arg.data;
	struct krelay_pump *p = ctx->p;
	bool pages_ok;
	size_t head;
	int ret;

	if (ctx->full || p->err || p->declined || p->nomem)
		return 0;

	/* device memory (6.12+ devmem TCP) can be neither sent on nor copied */
	if (unlikely(!krelay_skb_frags_readable(skb))) {
		p->err = -EFAULT;
		return 0;
	}
	len = min_t(size_t, len, INT_MAX);
	pages_ok = krelay_skb_pages_ok(skb);
	if (unlikely(!pages_ok && ctx->atomic)) {
		/* the bounce copy allocates: leave this skb to the work */
		p->declined = true;
		return 0;
	}
	if (likely(pages_ok)) {
		/*
		 * More follows if this is not the last skb queued: the source
		 * is held (owned, or spinlocked in its receive softirq), so
		 * what arrives meanwhile waits for the next pass.
		 */
		ret = krelay_send_skb(ctx->dst, skb, offset, len,
				      !skb_queue_is_last(&ctx->src->sk_receive_queue,
							 skb));
		if (ret > 0) {
			head = krelay_head_bytes(skb, offset, ret);
			p->copied += head;
			p->zerocopy += ret - head;
		}
	} else {
		ret = krelay_splice_copy(ctx, skb, offset, len);
		if (unlikely(p->nomem))
			return 0;
	}

	if (ret == -EAGAIN || ret == 0) {
		ctx->full = true;
		return 0;
	}
	if (ret < 0) {
		p->err = ret;
		return 0;
	}
	if ((size_t)ret < len)
		ctx->full = true;
	return ret;
}

/*
 * Urgent data.  tcp_read_sock() stops at the urgent mark and never moves
 * past it (only tcp_recvmsg() does), so a client sending one byte with
 * MSG_OOB would stall its direction for good.  The relay reads as a
 * receiver without SO_OOBINLINE does, and as copy mode's recvmsg() does:
 * the urgent byte is not part of the stream and is dropped (as
 * tcp_recvmsg_locked() skips it).  The caller holds the socket (owned, or
 * its spinlock in the receive softirq), as tcp_recvmsg() does.
 *
 * Returns true when a received urgent byte at the read position was
 * skipped and reading can go on.
 */
static bool krelay_skip_urgent(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!(READ_ONCE(tp->urg_data) & TCP_URG_VALID) ||
	    tp->urg_seq != tp->copied_seq)
		return false;
	WRITE_ONCE(tp->copied_seq, tp->copied_seq + 1);
	WRITE_ONCE(tp->urg_data, 0);
	tcp_fast_path_check(sk);
	return true;
}

/* One pass over @src -> @dst; the caller holds both sockets. */
static void krelay_splice_run(struct krelay_splice_ctx *ctx, struct sock *src)
{
	struct krelay_pump *p = ctx->p;
	read_descriptor_t desc = {
		.arg.data = ctx,
		.count = 1,
	};
	int ret;

	for (;;) {
		ret = tcp_read_sock(src, &desc, krelay_splice_recv);
		if (ret > 0)
			p->moved += ret;
		else if (ret < 0 && !p->err && ret != -EAGAIN)
			p->err = ret;
		if (ctx->full || p->err || p->declined || p->nomem ||
		    !krelay_skip_urgent(src))
			break;
	}
	p->full = ctx->full;

	/*
	 * tcp_read_sock() eats the FIN silently: the end of the stream is a
	 * shut-down receive side with nothing left queued.  An RST shuts the
	 * receive side down too (tcp_done()), after setting sk_err: that is
	 * a reset, not an end of stream.  Checked under the source lock; the
	 * caller passes the end on after the locks are dropped (shutdown
	 * takes the destination lock itself).
	 */
	if (!p->err && !ctx->full && !p->declined && !p->nomem &&
	    (src->sk_shutdown & RCV_SHUTDOWN) &&
	    skb_queue_empty(&src->sk_receive_queue)) {
		if (READ_ONCE(src->sk_err))
			p->err = -ECONNRESET;
		else
			p->eof = true;
	}
}

void krelay_splice_pump(struct krelay_dir *d, struct krelay_pump *p)
{
	struct sock *src = d->src->sk;
	struct sock *dst = d->dst->sk;
	struct krelay_splice_ctx ctx = {
		.src = src,
		.dst = dst,
		.p = p,
	};

	lock_sock(src);
	lock_sock_nested(dst, SINGLE_DEPTH_NESTING);
	krelay_splice_run(&ctx, src);
	release_sock(dst);
	release_sock(src);

	kfree(ctx.bounce);
}

/*
 * The pass from the receive softirq.  The caller holds both sockets'
 * spinlocks (the source's taken by TCP's receive path, the destination's
 * by trylock), neither is owned by a task, and the destination can send.
 * Sending here must not sleep nor use current's page fragment (current is
 * whatever task the softirq interrupted): the destination allocates
 * atomically for the pass, and with its own fragment only for the pass
 * (krelay_sk_frag_bh_begin() in compat.h).  No TCP send path flushes the
 * backlog on this route: the destination, not being owned, has none.
 */
void krelay_splice_pump_bh(struct sock *src, struct sock *dst,
			   struct krelay_pump *p)
{
	struct krelay_splice_ctx ctx = {
		.src = src,
		.dst = dst,
		.p = p,
		.atomic = true,
	};
	gfp_t gfp = dst->sk_allocation;
	bool task_frag;

	/* no emergency reserves: a failed allocation just leaves it to the work */
	dst->sk_allocation = GFP_NOWAIT | __GFP_NOWARN;
	task_frag = krelay_sk_frag_bh_begin(dst);
	krelay_splice_run(&ctx, src);
	krelay_sk_frag_bh_end(dst, task_frag);
	dst->sk_allocation = gfp;
}
