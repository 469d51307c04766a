/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers every userctl object shares: error messages, growable arrays,
 * aligned tables and JSON output, the global options.
 */
#ifndef USERCTL_UTILS_H
#define USERCTL_UTILS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/krelay_nl.h"
#include "cmdline.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* How often a dump flagged "interrupted" is repeated before we settle. */
#define DUMP_RETRIES 3

/* The global options (-j, -p, -s, -h, -t, --prometheus) of this run. */
extern struct uc_opts uopts;

/* "userctl: MESSAGE" on stderr; returns 1 (the runtime error exit code). */
__attribute__((format(printf, 1, 2)))
int runtime_error(const char *fmt, ...);

/*
 * Report a failed request: "userctl: CTX[ RULE]: MESSAGE (strerror)".  The
 * rule is named unless the kernel's message already does.  Returns 1.
 */
int kernel_error(struct krelay_handle *h, const char *ctx, const char *rule,
		 int cmd, int err);

/* "id N" or the listen address of a rule reference. */
void ref_str(const struct krelay_rule_ref *ref, char *buf, size_t len);

/* Open the generic netlink handle; 0, or the runtime error reported. */
int uc_open(struct krelay_handle **h);

/* Flush stdout: @ret, or 1 after a write error (reported). */
int uc_flush(int ret);

/* growable arrays */
struct vec {
	void *data;
	size_t n, cap, size;
};

int vec_push(struct vec *v, const void *item);
void vec_free(struct vec *v);

/* tables */
struct column {
	const char *title;
	int right;		/* right-aligned (numbers) */
};

typedef void (*cell_fn)(const void *row, size_t col, char *buf, size_t len);
/* An optional line printed under a row (empty: none). */
typedef void (*extra_fn)(const void *row, char *buf, size_t len);

#define CELL_MAX 4096

void print_table_x(const struct column *cols, size_t ncols, const void *rows,
		   size_t nrows, size_t stride, cell_fn cell, extra_fn extra);
void print_table(const struct column *cols, size_t ncols, const void *rows,
		 size_t nrows, size_t stride, cell_fn cell);

/* JSON */
/* Print @o (plain or, with -p, indented) and release it. */
void json_print(struct json_object *o);
/* Print @o as an element of a streamed array (see conn list); releases it. */
void json_print_element(struct json_object *o, int first);
void json_add_u64(struct json_object *o, const char *k, uint64_t v);
void json_add_str(struct json_object *o, const char *k, const char *v);

#endif /* USERCTL_UTILS_H */
