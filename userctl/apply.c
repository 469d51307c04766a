// SPDX-License-Identifier: GPL-2.0
/*
 * userctl apply / export: make the kernel match a rinetd.conf-style file,
 * and write one back.
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
#include "config.h"

static void warn_stderr(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

#define CONFIG_MAX_BYTES (64u << 20)

/* Read all of @path ("-": stdin) into a malloc'ed buffer. */
static int read_file(const char *path, char **out, size_t *len)
{
	int use_stdin = strcmp(path, "-") == 0;
	FILE *f = use_stdin ? stdin : fopen(path, "r");
	size_t cap = 65536, n = 0;
	char *buf;
	int err = 0;

	*out = NULL;
	*len = 0;
	if (!f)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		char *nb;

		n += got;
		if (got == 0) {
			if (ferror(f))
				err = -EIO;
			break;
		}
		if (n < cap)
			continue;
		if (cap >= CONFIG_MAX_BYTES) {
			err = -EFBIG;
			break;
		}
		cap *= 2;
		nb = realloc(buf, cap);
		if (!nb)
			free(buf);
		buf = nb;
	}
	if (!use_stdin)
		fclose(f);
	if (!buf)
		return -ENOMEM;
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

static const struct krelay_rule *find_rule(const struct krelay_rule *rules,
					   size_t n,
					   const struct krelay_endpoint *listen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (endpoint_equal(&rules[i].listen, listen))
			return &rules[i];
	return NULL;
}

/*
 * Rules being deleted with drain are on their way out: not configuration,
 * and their listen address may already belong to another rule.
 */
static void drop_draining(struct vec *v)
{
	struct krelay_rule *r = v->data;
	size_t i, n = 0;

	for (i = 0; i < v->n; i++)
		if (!r[i].draining)
			r[n++] = r[i];
	v->n = n;
}

/*
 * A drain is an operation in progress, not configuration: backends that
 * stay in a rule keep draining (with their timeout) across apply.
 */
static void keep_drains(struct krelay_rule *want, const struct krelay_rule *cur)
{
	size_t i, j;

	for (i = 0; i < want->nbackends; i++)
		for (j = 0; j < cur->nbackends; j++)
			if (endpoint_equal(&want->backends[i].addr,
					   &cur->backends[j].addr)) {
				want->backends[i].drain = cur->backends[j].drain;
				want->backends[i].drain_timeout_ms =
					cur->backends[j].drain_timeout_ms;
			}
}

static int acl_equal(const struct krelay_acl *a, const struct krelay_acl *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->e[i].action != b->e[i].action ||
		    !acl_entry_equal(&a->e[i], &b->e[i]))
			return 0;
	return 1;
}

int do_apply(const struct userctl_cmd *cmd)
{
	const char *name = strcmp(cmd->file, "-") == 0 ? "<stdin>" : cmd->file;
	struct vec v = { .size = sizeof(struct krelay_rule) };
	struct krelay_acl *cur_acl = NULL;
	struct krelay_handle *h = NULL;
	struct uc_config cfg;
	unsigned int added = 0, changed = 0, deleted = 0, same = 0;
	const struct krelay_rule *cur;
	char err[512], l[64];
	size_t len, i;
	char *text;
	int ret, acl_changed;

	ret = read_file(cmd->file, &text, &len);
	if (ret)
		return runtime_error("apply: cannot read %s: %s", name,
				     strerror(-ret));
	ret = config_parse(name, text, len, &cfg, err, sizeof(err),
			   warn_stderr, NULL);
	free(text);
	if (ret) {
		fprintf(stderr, "%s\n", err);
		config_free(&cfg);
		return UC_USAGE_ERROR;
	}

	ret = uc_open(&h);
	if (ret) {
		config_free(&cfg);
		return ret;
	}
	cur_acl = calloc(1, sizeof(*cur_acl));
	if (!cur_acl) {
		ret = runtime_error("apply: out of memory");
		goto out;
	}
	ret = get_rules(h, &v);
	if (!ret) {
		drop_draining(&v);
		ret = krelay_acl_get(h, cur_acl);
	}
	if (ret) {
		ret = kernel_error(h, "apply", NULL, KRELAY_CMD_RULE_GET, ret);
		goto out;
	}
	cur = v.data;
	for (i = 0; i < v.n; i++)
		rule_fill_defaults((struct krelay_rule *)&cur[i]);

	for (i = 0; i < cfg.nrules; i++) {
		const struct krelay_rule *c = find_rule(cur, v.n,
							&cfg.rules[i].listen);
		const char *what;

		if (c)
			keep_drains(&cfg.rules[i], c);
		if (!c) {
			added++;
			what = "add";
		} else if (!rule_config_equal(c, &cfg.rules[i])) {
			changed++;
			what = "change";
		} else {
			same++;
			what = "keep";
		}
		if (cmd->dry_run && !uopts.json) {
			fmt_endpoint(&cfg.rules[i].listen, l, sizeof(l));
			printf("%-6s %s\n", what, l);
		}
	}
	for (i = 0; i < v.n; i++) {
		if (find_rule(cfg.rules, cfg.nrules, &cur[i].listen))
			continue;
		deleted++;
		if (cmd->dry_run && !uopts.json) {
			fmt_endpoint(&cur[i].listen, l, sizeof(l));
			printf("%-6s %s\n", "delete", l);
		}
	}
	acl_changed = !acl_equal(cur_acl, &cfg.global);

	if (!cmd->dry_run) {
		ret = krelay_ruleset_set(h, cfg.rules, cfg.nrules, &cfg.global);
		if (ret) {
			ret = kernel_error(h, "apply", name,
					   KRELAY_CMD_RULESET_SET, ret);
			goto out;
		}
	}
	if (uopts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "dry_run",
				       json_object_new_boolean(cmd->dry_run));
		json_add_u64(o, "rules", cfg.nrules);
		json_add_u64(o, "added", added);
		json_add_u64(o, "changed", changed);
		json_add_u64(o, "deleted", deleted);
		json_add_u64(o, "unchanged", same);
		json_object_object_add(o, "global_acl_changed",
				       json_object_new_boolean(acl_changed));
		json_print(o);
	} else {
		printf("%s%s: %zu rule%s: %u added, %u changed, %u deleted, %u unchanged; global ACL %s\n",
		       cmd->dry_run ? "dry run: " : "", name, cfg.nrules,
		       cfg.nrules == 1 ? "" : "s", added, changed, deleted, same,
		       acl_changed ? "changed" : "unchanged");
	}
	ret = 0;
out:
	free(cur_acl);
	vec_free(&v);
	config_free(&cfg);
	krelay_close(h);
	return ret;
}

int do_export(struct krelay_handle *h, const struct userctl_cmd *cmd)
{
	struct vec v = { .size = sizeof(struct krelay_rule) };
	struct krelay_acl *acl = calloc(1, sizeof(*acl));
	int ret;

	(void)cmd;
	if (!acl)
		return runtime_error("export: out of memory");
	ret = get_rules(h, &v);
	if (ret) {
		ret = kernel_error(h, "export", NULL, KRELAY_CMD_RULE_GET, ret);
		goto out;
	}
	drop_draining(&v);
	ret = krelay_acl_get(h, acl);
	if (ret) {
		ret = kernel_error(h, "export", NULL, KRELAY_CMD_ACL_GET, ret);
		goto out;
	}
	config_write(stdout, v.data, v.n, acl);
out:
	free(acl);
	vec_free(&v);
	return ret;
}

/* ------------------------------------------------------------------ */
