// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counter storage and the per-task tables written from probes.
 */
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/hash.h>
#include <linux/string.h>

#include "stats.h"

struct kt_cpu __percpu *kt_pcpu;

int kt_stats_init(void)
{
	kt_pcpu = alloc_percpu(struct kt_cpu);
	return kt_pcpu ? 0 : -ENOMEM;
}

void kt_stats_exit(void)
{
	free_percpu(kt_pcpu);
	kt_pcpu = NULL;
}

/*
 * Count one event of @kind for @t's process on this CPU.  A new slot gets
 * its name before its key is published (release), so a reader that sees
 * the key (acquire) also sees a name.  The name follows the task's latest
 * comm (exec, prctl(PR_SET_NAME)); a torn copy is cosmetic and always
 * NUL-terminated.
 */
void kt_top_add(enum kt_top_kind kind, const struct task_struct *t, u64 bytes)
{
	struct kt_top *top = &this_cpu_ptr(kt_pcpu)->top[kind];
	u32 key = (u32)t->tgid + 1;
	u32 h = hash_32(key, KT_TOP_BITS);
	struct kt_slot *s;
	unsigned int i;

	for (i = 0; i < KT_TOP_PROBES; i++) {
		s = &top->slot[(h + i) & (KT_TOP_SLOTS - 1)];
		if (s->key == key)
			goto found;
		if (!s->key) {
			memcpy(s->comm, t->comm, sizeof(s->comm));
			s->comm[sizeof(s->comm) - 1] = '\0';
			/* Publish the name with the key (kt_report_top()). */
			smp_store_release(&s->key, key);
			goto found;
		}
	}
	WRITE_ONCE(top->other_count, top->other_count + 1);
	WRITE_ONCE(top->other_bytes, top->other_bytes + bytes);
	return;
found:
	/* Keep the latest name: a task counted before exec() shows as what
	 * it became.  Torn names in a concurrent report are cosmetic.
	 */
	if (unlikely(memcmp(s->comm, t->comm, sizeof(s->comm) - 1))) {
		memcpy(s->comm, t->comm, sizeof(s->comm) - 1);
		s->comm[sizeof(s->comm) - 1] = '\0';
	}
	WRITE_ONCE(s->count, s->count + 1);
	WRITE_ONCE(s->bytes, s->bytes + bytes);
}

/* Count one event of @kind made in interrupt context @ctx on this CPU. */
void kt_top_add_ctx(enum kt_top_kind kind, enum kt_ctx ctx, u64 bytes)
{
	struct kt_top *top = &this_cpu_ptr(kt_pcpu)->top[kind];

	WRITE_ONCE(top->ctx_count[ctx], top->ctx_count[ctx] + 1);
	WRITE_ONCE(top->ctx_bytes[ctx], top->ctx_bytes[ctx] + bytes);
}
