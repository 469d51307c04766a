// SPDX-License-Identifier: GPL-2.0
/*
 * Load-time check of the context-switch probe (see selftest.h).
 */
#include <linux/delay.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "selftest.h"

#define KT_SELFTEST_SLEEPS	32

struct task_struct *kt_selftest_task;
atomic64_t kt_selftest_switches = ATOMIC64_INIT(0);
static struct kt_check kt_check_result;

/* Switches out of current so far, by the kernel's count, and by ours. */
static void kt_selftest_read(u64 *kernel, u64 *probe)
{
	preempt_disable();
	*kernel = (u64)current->nvcsw + current->nivcsw;
	*probe = atomic64_read(&kt_selftest_switches);
	preempt_enable();
}

void kt_selftest_run(bool sched_probe)
{
	struct kt_check *c = &kt_check_result;
	u64 k0, k1, p0, p1;
	int i;

	memset(c, 0, sizeof(*c));
	if (!sched_probe) {
		c->status = KT_CHECK_OFF;
		pr_info("context-switch check: off (no switch probe registered)\n");
		return;
	}
	atomic64_set(&kt_selftest_switches, 0);
	WRITE_ONCE(kt_selftest_task, current);
	kt_selftest_read(&k0, &p0);
	/* each sleep is (at least) one voluntary switch out */
	for (i = 0; i < KT_SELFTEST_SLEEPS; i++)
		usleep_range(50, 100);
	kt_selftest_read(&k1, &p1);
	WRITE_ONCE(kt_selftest_task, NULL);

	c->expected = k1 - k0;
	c->counted = p1 - p0;
	if (c->expected && c->counted == c->expected) {
		c->status = KT_CHECK_OK;
		pr_info("context-switch check: ok, %llu of the loading task's %llu switches counted\n",
			c->counted, c->expected);
	} else {
		c->status = KT_CHECK_FAILED;
		pr_warn("context-switch check FAILED: the switch probe counted %llu of the loading task's %llu switches (its nvcsw+nivcsw); switch counts are not to be trusted\n",
			c->counted, c->expected);
	}
}

void kt_selftest_get(struct kt_check *c)
{
	*c = kt_check_result;
}

const char *kt_check_status_name(enum kt_check_status s)
{
	switch (s) {
	case KT_CHECK_OFF:
		return "off";
	case KT_CHECK_OK:
		return "ok";
	case KT_CHECK_FAILED:
		return "failed";
	}
	return "unknown";
}
