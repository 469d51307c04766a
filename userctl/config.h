/* SPDX-License-Identifier: GPL-2.0 */
/*
 * userctl config files: rinetd.conf syntax, read into a rule set (apply)
 * and written from one (export).  No netlink, no global state, so it can be
 * unit-tested and fuzzed alone.
 *
 *	# comment
 *	logfile /var/log/rinetd.log          (ignored with a warning)
 *	allow 192.168.*.*                    (before any rule: global ACL)
 *	0.0.0.0 8080 10.0.0.1 80 [timeout=60,src=10.0.0.9,keepalive=on]
 *	deny 192.168.7.0/24                  (after a rule: that rule's ACL)
 *
 * krelay-specific options in the brackets: weight=W (of the first backend),
 * backend=ADDR:PORT[/W] (more backends, repeatable), sched=rr|wrr|lc,
 * holddown=TIME, mode=splice|copy, connect-timeout=TIME, idle-timeout=TIME,
 * backlog=N, mark=N, proxy-protocol=v1|v2|off, transparent=on|off.
 * See userctl(8).
 */
#ifndef USERCTL_CONFIG_H
#define USERCTL_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "lib/krelay_nl.h"

/* keepalive=on: the usual Linux tcp_keepalive_time. */
#define UC_KEEPALIVE_ON_S	7200u

struct uc_config {
	struct krelay_rule *rules;	/* rule_fill_defaults() applied */
	size_t nrules;
	struct krelay_acl global;
};

/* Called once per warning, with "FILE:LINE: message" (no newline). */
typedef void (*uc_warn_fn)(const char *msg, void *arg);

/*
 * Parse @len bytes of @text, naming the file @name in messages.  Returns 0,
 * or -1 with "FILE:LINE:COLUMN: message" in @err and @cfg empty.
 * Call config_free() in both cases.
 */
int config_parse(const char *name, const char *text, size_t len,
		 struct uc_config *cfg, char *err, size_t errlen,
		 uc_warn_fn warn, void *warn_arg);
void config_free(struct uc_config *cfg);

/* Write @rules and @global in the syntax config_parse() reads. */
void config_write(FILE *f, const struct krelay_rule *rules, size_t n,
		  const struct krelay_acl *global);

#endif /* USERCTL_CONFIG_H */
