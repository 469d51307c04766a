/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The objects of userctl (one file each, like iproute2's ip/): their entry
 * points, called by userctl.c, and the printers they share.
 */
#ifndef USERCTL_USERCTL_H
#define USERCTL_USERCTL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/krelay_nl.h"
#include "cmdline.h"
#include "utils.h"

/* Entry points: the process exit code (0, 1 runtime error, 2 usage). */
int do_rule(struct krelay_handle *h, const struct userctl_cmd *cmd);
int do_backend(struct krelay_handle *h, const struct userctl_cmd *cmd);
int do_acl(struct krelay_handle *h, const struct userctl_cmd *cmd);
int do_conn(struct krelay_handle *h, const struct userctl_cmd *cmd);
int do_stats(struct krelay_handle *h, const struct userctl_cmd *cmd);
int do_monitor(struct krelay_handle *h, const struct userctl_cmd *cmd);
int do_export(struct krelay_handle *h, const struct userctl_cmd *cmd);
int do_apply(const struct userctl_cmd *cmd);	/* opens its own handle */

/* rule.c */
struct json_object *json_rule(const struct krelay_rule *r);
/* Options of a rule that have no column, in "rule add" syntax. */
void rule_extra(const void *row, char *buf, size_t len);
void mode_str(uint8_t mode, char *buf, size_t len);
/* Every rule of the netns (a vec of struct krelay_rule), sorted by id. */
int get_rules(struct krelay_handle *h, struct vec *v);
/* The rule cmd->ref names, or the kernel's error reported for @ctx. */
int get_named_rule(struct krelay_handle *h, const struct userctl_cmd *cmd,
		   const char *ctx, struct krelay_rule *r);
/*
 * The rule the command names (cmd->has_ref), else every rule: into @v.
 * 0, or 1 with the error reported for @ctx.
 */
int select_rules(struct krelay_handle *h, const struct userctl_cmd *cmd,
		 const char *ctx, struct vec *v);

/* stats.c */
struct json_object *json_stats(const struct krelay_stats *s);

/* backend.c */
const char *backend_state_name(const struct krelay_backend *b);
const char *backend_health_name(const struct krelay_backend *b);
struct json_object *json_backend(const struct krelay_backend *b);

/* acl.c */
struct json_object *json_acl(const struct krelay_acl *acl);

/* conn.c */
struct json_object *json_conn(const struct krelay_conn *c);
void state_str(uint8_t state, char *buf, size_t len);

#endif /* USERCTL_USERCTL_H */
