// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers of userctl: errors, arrays, tables, JSON output.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <linux/krelay.h>

#include "lib/krelay_nl.h"
#include "parse.h"
#include "utils.h"

struct uc_opts uopts;

int runtime_error(const char *fmt, ...)
{
	va_list ap;

	fputs("userctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

void ref_str(const struct krelay_rule_ref *ref, char *buf, size_t len)
{
	if (ref->id)
		snprintf(buf, len, "id %u", ref->id);
	else
		fmt_endpoint(&ref->listen, buf, len);
}

int kernel_error(struct krelay_handle *h, const char *ctx, const char *rule,
		 int cmd, int err)
{
	const char *msg = krelay_ext_msg(h);
	const char *attr = krelay_ext_attr(h);
	const char *sentence = krelay_strerror(cmd, err);
	char what[160];

	if (err == -EINTR)
		err = -EAGAIN;
	if (rule && *rule && !(msg && strstr(msg, rule)))
		snprintf(what, sizeof(what), "%s %s", ctx, rule);
	else
		snprintf(what, sizeof(what), "%s", ctx);

	if (msg)
		return runtime_error("%s: %s (%s)", what, msg, strerror(-err));
	if (attr)
		return runtime_error("%s: invalid %s (%s)", what, attr,
				     strerror(-err));
	if (sentence)
		return runtime_error("%s: %s (%s)", what, sentence,
				     strerror(-err));
	return runtime_error("%s: %s", what, strerror(-err));
}

int vec_push(struct vec *v, const void *item)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		void *d = realloc(v->data, cap * v->size);

		if (!d)
			return -ENOMEM;
		v->data = d;
		v->cap = cap;
	}
	memcpy((char *)v->data + v->n * v->size, item, v->size);
	v->n++;
	return 0;
}

void vec_free(struct vec *v)
{
	free(v->data);
	v->data = NULL;
	v->n = v->cap = 0;
}

/* Two passes over the rows: widths first, then the text; nothing stored. */
void print_table_x(const struct column *cols, size_t ncols,
			  const void *rows, size_t nrows, size_t stride,
			  cell_fn cell, extra_fn extra)
{
	size_t width[32] = { 0 };
	char buf[CELL_MAX];
	size_t r, c;

	if (!nrows || ncols > ARRAY_SIZE(width))
		return;
	for (c = 0; c < ncols; c++)
		width[c] = strlen(cols[c].title);
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			size_t l;

			cell((const char *)rows + r * stride, c, buf, sizeof(buf));
			l = strlen(buf);
			if (l > width[c])
				width[c] = l;
		}
	}

	for (r = 0; r <= nrows; r++) {
		for (c = 0; c < ncols; c++) {
			const char *text = buf;
			int w = (int)width[c];
			int last = c + 1 == ncols;

			if (r == 0)
				text = cols[c].title;
			else
				cell((const char *)rows + (r - 1) * stride, c, buf,
				     sizeof(buf));
			if (c)
				fputs("  ", stdout);
			if (cols[c].right)
				printf("%*s", w, text);
			else if (last)
				fputs(text, stdout);
			else
				printf("%-*s", w, text);
		}
		putchar('\n');
		if (r && extra) {
			extra((const char *)rows + (r - 1) * stride, buf,
			      sizeof(buf));
			if (buf[0])
				printf("    %s\n", buf);
		}
	}
}

void print_table(const struct column *cols, size_t ncols,
			const void *rows, size_t nrows, size_t stride,
			cell_fn cell)
{
	print_table_x(cols, ncols, rows, nrows, stride, cell, NULL);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

int json_flags(void)
{
	int f = JSON_C_TO_STRING_NOSLASHESCAPE;

	if (uopts.pretty)
		f |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
	else
		f |= JSON_C_TO_STRING_PLAIN;
	return f;
}

void json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, json_flags()));
	json_object_put(o);
}

void json_print_element(struct json_object *o, int first)
{
	const char *s = json_object_to_json_string_ext(o, json_flags());

	if (!first)
		putchar(',');
	if (!uopts.pretty) {
		fputs(s, stdout);
	} else {
		fputs("\n  ", stdout);
		/* JSON text has no raw newlines inside strings: indent lines. */
		for (; *s; s++) {
			putchar(*s);
			if (*s == '\n')
				fputs("  ", stdout);
		}
	}
	json_object_put(o);
}

void json_add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

void json_add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* ------------------------------------------------------------------ */

int uc_open(struct krelay_handle **h)
{
	int ret = krelay_open(h);

	if (ret == -ENOENT)
		return runtime_error("krelay module not loaded (generic netlink family \"%s\" not found)",
				     KRELAY_GENL_NAME);
	if (ret)
		return runtime_error("cannot talk to generic netlink: %s",
				     strerror(-ret));
	return 0;
}

int uc_flush(int ret)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "userctl: write error: %s\n", strerror(errno));
		return 1;
	}
	return ret;
}
