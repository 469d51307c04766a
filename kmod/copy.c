// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: copy data path - kernel_recvmsg() into a bounded buffer, then
 * kernel_sendmsg(), both non-blocking.
 *
 * Memory: a direction owns a buffer only while it holds bytes the
 * destination has not taken yet; a pass that ends with the buffer empty
 * frees it, so an idle connection owns none.  The buffer is private to the
 * direction (not per-CPU) because the work item may sleep in the allocator
 * or be preempted and migrate between its receive and its send.
 *
 * Backpressure: nothing more is read while unsent bytes remain; the rest is
 * sent by the run that the destination's write-space callback queues.
 *
 * Budget: a run moves at most KRELAY_COPY_RUN_BUDGET per direction, then
 * says there is more (the work runs again, after the other direction and
 * whatever else the worker has queued): a peer that keeps its direction
 * readable and writable would otherwise hold the run, and the other
 * direction, for as long as it sends.  (Splice mode's pass is bounded by
 * the source's receive queue: it holds the socket, so nothing is added
 * while it reads.)
 *
 * Memory: a buffer that cannot be had (the rule's memory cgroup at its
 * limit, the host short) stops the pass with nothing lost; the caller
 * retries after a back-off.  __GFP_NORETRY: a 32 KiB buffer is not worth
 * the OOM killer, in the tenant's cgroup or the host.
 */

#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "krelay.h"

#define KRELAY_COPY_BUF_SIZE	(32 * 1024)
#define KRELAY_COPY_RUN_BUDGET	(8 * KRELAY_COPY_BUF_SIZE)

/* Something to read: data, end of stream or a pending error. */
static bool krelay_copy_readable(const struct sock *sk)
{
	return !skb_queue_empty_lockless(&sk->sk_receive_queue) ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
	       READ_ONCE(sk->sk_err);
}

void krelay_copy_pump(struct krelay_dir *d, struct krelay_pump *p)
{
	size_t budget = KRELAY_COPY_RUN_BUDGET;
	struct msghdr msg;
	struct kvec kv;
	int ret;

	for (;;) {
		if (d->head < d->tail) {
			memset(&msg, 0, sizeof(msg));
			msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
			kv.iov_base = d->buf + d->head;
			kv.iov_len = d->tail - d->head;
			ret = kernel_sendmsg(d->dst, &msg, &kv, 1, kv.iov_len);
			if (ret == -EAGAIN || ret == 0) {
				p->full = true;
				break;
			}
			if (ret < 0) {
				p->err = ret;
				break;
			}
			d->head += ret;
			p->moved += ret;
			p->copied += ret;
			if (d->head < d->tail) {
				p->full = true;
				break;
			}
			continue;
		}

		d->head = 0;
		d->tail = 0;
		if (!budget) {
			p->more = krelay_copy_readable(d->src->sk);
			break;
		}
		if (!d->buf) {
			if (!krelay_copy_readable(d->src->sk))
				break;
			/* charged to the rule's memcg (memcg.c) */
			d->buf = kmalloc(KRELAY_COPY_BUF_SIZE, GFP_KERNEL_ACCOUNT |
					 __GFP_NORETRY | __GFP_NOWARN);
			if (!d->buf) {
				p->nomem = true;
				break;
			}
		}

		memset(&msg, 0, sizeof(msg));
		kv.iov_base = d->buf;
		kv.iov_len = KRELAY_COPY_BUF_SIZE;
		ret = kernel_recvmsg(d->src, &msg, &kv, 1, KRELAY_COPY_BUF_SIZE,
				     MSG_DONTWAIT);
		if (ret == -EAGAIN)
			break;
		if (ret == 0) {
			p->eof = true;
			break;
		}
		if (ret < 0) {
			p->err = ret;
			break;
		}
		d->tail = ret;
		budget -= min_t(size_t, budget, ret);
	}

	if (d->head == d->tail)
		krelay_copy_release(d);
}

void krelay_copy_release(struct krelay_dir *d)
{
	kfree(d->buf);
	d->buf = NULL;
	d->head = 0;
	d->tail = 0;
}
