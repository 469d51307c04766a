// SPDX-License-Identifier: GPL-2.0
/*
 * Task filter set from module parameters at load time; read-only afterwards.
 */
#include <linux/errno.h>
#include <linux/printk.h>

#include "filter.h"

struct kt_filter kt_filter __read_mostly;

int kt_filter_init(int pid, int tgid, const char *comm)
{
	struct kt_filter *f = &kt_filter;

	if (pid < 0 || tgid < 0) {
		pr_err("pid and tgid must be >= 0 (got pid=%d tgid=%d)\n",
		       pid, tgid);
		return -EINVAL;
	}
	f->pid = pid;
	f->tgid = tgid;
	f->comm[0] = '\0';
	if (comm && comm[0]) {
		/* exec truncates names the same way, so a long name given
		 * here still matches the task that was started with it.
		 */
		if (strscpy(f->comm, comm, sizeof(f->comm)) < 0)
			pr_info("comm '%s' truncated to '%s' (task names have at most %zu characters)\n",
				comm, f->comm, sizeof(f->comm) - 1);
	}
	f->active = pid || tgid || f->comm[0];
	return 0;
}
