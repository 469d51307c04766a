/* SPDX-License-Identifier: GPL-2.0 */
/*
 * userctl command line: options and the OBJECT COMMAND [ARGS] grammar,
 * turned into a struct userctl_cmd without talking to the kernel (so it can
 * be unit-tested), plus the usage texts.
 */
#ifndef USERCTL_CMDLINE_H
#define USERCTL_CMDLINE_H

#include <stdint.h>
#include <stdio.h>

#include "lib/krelay_nl.h"

enum uc_object {
	UC_OBJ_NONE,
	UC_OBJ_RULE,
	UC_OBJ_CONN,
	UC_OBJ_STATS,
	UC_OBJ_TRACE,
	UC_OBJ_HELP,
	UC_OBJ_BACKEND,
	UC_OBJ_ACL,
	UC_OBJ_MONITOR,
	UC_OBJ_APPLY,
	UC_OBJ_EXPORT,
};

enum uc_command {
	UC_CMD_NONE,
	UC_CMD_ADD,
	UC_CMD_DEL,
	UC_CMD_SET,
	UC_CMD_LIST,
	UC_CMD_COUNT,
	UC_CMD_KILL,
	UC_CMD_SHOW,		/* stats */
	UC_CMD_RUN,		/* trace: hand over to trace_main() */
	UC_CMD_FLUSH,		/* acl flush */
};

/* Event kinds of "monitor" (bit mask; 0 means all). */
enum {
	UC_MON_RULE	= 1u << 0,
	UC_MON_CONN	= 1u << 1,
	UC_MON_BACKEND	= 1u << 2,
};

enum uc_action {
	UC_ACT_RUN,		/* execute object/command */
	UC_ACT_HELP,		/* usage of @object on stdout, exit 0 */
	UC_ACT_VERSION,		/* print the version, exit 0 */
};

struct uc_opts {
	int json;
	int pretty;
	int stats;
	int human;
	int timestamp;
	int prometheus;		/* -o prometheus (stats only) */
};

struct userctl_cmd {
	struct uc_opts opts;
	enum uc_action action;
	enum uc_object object;
	enum uc_command command;

	int has_ref;			/* a rule was named (ref) */
	struct krelay_rule_ref ref;

	struct krelay_rule rule;	/* rule add / rule set values */
	uint64_t conn_id;		/* conn kill */

	struct krelay_backend backend;	/* backend add/del/set (weight 0:
					 * not given; drain: drain it) */
	int backend_has_maxconn;	/* backend add/set: maxconn given */
	int undrain;			/* backend set: undrain */
	int rule_drain;			/* rule del --drain */
	uint32_t rule_drain_ms;		/*  ... its timeout, 0: none */
	struct krelay_acl_entry acl_entry; /* acl add/del (action set) */

	unsigned int monitor_mask;	/* UC_MON_*, 0: all */
	uint64_t monitor_count;		/* stop after that many events; 0: never */

	const char *file;		/* apply FILE ("-": stdin) */
	int dry_run;			/* apply --dry-run */

	int no_object;			/* usage error: no OBJECT at all */

	int trace_argc;			/* trace: argv[0] is the "trace" word */
	char **trace_argv;
};

#define UC_USAGE_ERROR	2

/*
 * Parse @argv (argv[0] is the program name).  Returns 0, or UC_USAGE_ERROR
 * with a one-line message (no "userctl: " prefix) in @err; cmd->object then
 * tells which usage text fits.
 */
int cmdline_parse(int argc, char **argv, struct userctl_cmd *cmd, char *err,
		  size_t errlen);

/* Usage of @object (UC_OBJ_NONE / UC_OBJ_HELP: the whole tool). */
void cmdline_usage(FILE *f, enum uc_object object);

#endif /* USERCTL_CMDLINE_H */
