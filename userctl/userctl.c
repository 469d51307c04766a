// SPDX-License-Identifier: GPL-2.0
/*
 * userctl - control tool of krelay, the in-kernel TCP relay.
 *
 * This file only dispatches: cmdline.c parses the command line, each object
 * has its own file (rule.c, backend.c, acl.c, conn.c, stats.c, monitor.c,
 * apply.c, trace.c) that runs its commands and prints the results, as
 * aligned tables or as JSON, with the helpers of utils.c.  Talking to the
 * kernel is lib/krelay_nl.c's job.
 *
 * Exit codes: 0 success, 1 runtime error (the kernel refused, the module is
 * not loaded, ...), 2 usage error.
 */
#include <stdio.h>

#include <linux/krelay.h>

#include "lib/krelay_nl.h"
#include "cmdline.h"
#include "trace.h"
#include "userctl.h"

#ifndef USERCTL_VERSION
#define USERCTL_VERSION "unknown"
#endif

typedef int (*object_fn)(struct krelay_handle *h,
			 const struct userctl_cmd *cmd);

/* The objects that talk to the kernel through one handle (stats: default). */
static const object_fn objects[] = {
	[UC_OBJ_RULE]		= do_rule,
	[UC_OBJ_CONN]		= do_conn,
	[UC_OBJ_STATS]		= do_stats,
	[UC_OBJ_BACKEND]	= do_backend,
	[UC_OBJ_ACL]		= do_acl,
	[UC_OBJ_MONITOR]	= do_monitor,
	[UC_OBJ_EXPORT]		= do_export,
};

int main(int argc, char **argv)
{
	struct userctl_cmd cmd;
	struct krelay_handle *h;
	object_fn fn = do_stats;
	char err[512];
	int ret;

	ret = cmdline_parse(argc, argv, &cmd, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "userctl: %s\n", err);
		/* One line per error; the full usage only when nothing was said. */
		if (cmd.no_object)
			cmdline_usage(stderr, UC_OBJ_NONE);
		return UC_USAGE_ERROR;
	}
	uopts = cmd.opts;

	switch (cmd.action) {
	case UC_ACT_HELP:
		cmdline_usage(stdout, cmd.object);
		return 0;
	case UC_ACT_VERSION:
		printf("userctl %s (krelay netlink ABI version %d)\n",
		       USERCTL_VERSION, KRELAY_GENL_VERSION);
		return 0;
	default:
		break;
	}

	if (cmd.object == UC_OBJ_TRACE) {
		struct trace_opts t = { .json = uopts.json, .pretty = uopts.pretty };

		return trace_main(cmd.trace_argc, cmd.trace_argv, &t);
	}
	if (cmd.object == UC_OBJ_APPLY)
		return uc_flush(do_apply(&cmd));

	if ((size_t)cmd.object < ARRAY_SIZE(objects) && objects[cmd.object])
		fn = objects[cmd.object];
	ret = uc_open(&h);
	if (ret)
		return ret;
	ret = fn(h, &cmd);
	krelay_close(h);
	return uc_flush(ret);
}
