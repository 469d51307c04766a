// SPDX-License-Identifier: GPL-2.0
/*
 * userctl acl: the netns-wide ACL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <linux/krelay.h>

#include "lib/krelay_nl.h"
#include "parse.h"
#include "userctl.h"

struct json_object *json_acl(const struct krelay_acl *acl)
{
	struct json_object *a = json_object_new_array();
	char buf[64];
	size_t i;

	for (i = 0; i < acl->n; i++) {
		struct json_object *o = json_object_new_object();

		json_add_str(o, "action", acl_action_name(acl->e[i].action));
		fmt_prefix(&acl->e[i], buf, sizeof(buf));
		json_add_str(o, "prefix", buf);
		json_object_array_add(a, o);
	}
	return a;
}

/* ------------------------------------------------------------------ */
/* global ACL                                                          */

static void print_acl(const struct krelay_acl *acl)
{
	char buf[64];
	size_t i;

	if (uopts.json) {
		struct json_object *a = json_acl(acl);

		json_print(a);
		return;
	}
	for (i = 0; i < acl->n; i++) {
		fmt_prefix(&acl->e[i], buf, sizeof(buf));
		printf("%-5s  %s\n", acl_action_name(acl->e[i].action), buf);
	}
}

int do_acl(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	const char *ctx = cmd->command == UC_CMD_ADD ? "acl add" :
		cmd->command == UC_CMD_DEL ? "acl del" :
		cmd->command == UC_CMD_FLUSH ? "acl flush" : "acl list";
	const struct krelay_acl_entry *want = &cmd->acl_entry;
	struct krelay_acl *acl;
	char buf[64];
	size_t i;
	int ret;

	acl = calloc(1, sizeof(*acl));
	if (!acl)
		return runtime_error("%s: out of memory", ctx);
	if (cmd->command != UC_CMD_FLUSH) {
		ret = krelay_acl_get(h, acl);
		if (ret) {
			free(acl);
			return kernel_error(h, ctx, NULL, KRELAY_CMD_ACL_GET, ret);
		}
	}
	if (cmd->command == UC_CMD_LIST) {
		print_acl(acl);
		free(acl);
		return 0;
	}
	fmt_prefix(want, buf, sizeof(buf));
	for (i = 0; i < acl->n; i++)
		if (acl->e[i].action == want->action &&
		    acl_entry_equal(&acl->e[i], want))
			break;
	ret = 0;
	if (cmd->command == UC_CMD_ADD) {
		if (i < acl->n)
			ret = runtime_error("%s: \"%s %s\" is already in the global ACL",
					    ctx, acl_action_name(want->action), buf);
		else if (acl->n >= KRELAY_MAX_ACL)
			ret = runtime_error("%s: the global ACL is full (%u entries)",
					    ctx, KRELAY_MAX_ACL);
		else
			acl->e[acl->n++] = *want;
	} else if (cmd->command == UC_CMD_DEL) {
		if (i == acl->n)
			ret = runtime_error("%s: \"%s %s\" is not in the global ACL",
					    ctx, acl_action_name(want->action), buf);
		else
			memmove(&acl->e[i], &acl->e[i + 1],
				(acl->n - i - 1) * sizeof(acl->e[0]));
		if (!ret)
			acl->n--;
	}
	if (!ret) {
		ret = krelay_acl_set(h, acl);
		if (ret)
			ret = kernel_error(h, ctx, NULL, KRELAY_CMD_ACL_SET, ret);
	}
	free(acl);
	return ret;
}
