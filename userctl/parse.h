/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure parsing and formatting helpers of userctl: no netlink, no I/O, so they
 * can be unit-tested alone.  Error texts are written to a caller's buffer
 * without the "userctl: " prefix.
 */
#ifndef USERCTL_PARSE_H
#define USERCTL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/krelay_nl.h"

/* Limits from the comments of include/uapi/linux/krelay.h. */
#define UC_CONNECT_TIMEOUT_MIN	1u
#define UC_CONNECT_TIMEOUT_MAX	600000u
#define UC_IDLE_TIMEOUT_MAX	86400000u
#define UC_BACKLOG_MIN		1u
#define UC_BACKLOG_MAX		65535u

/* Keyword tables: several words may share an id (aliases). */
struct keyword {
	const char *word;
	int id;
};

enum {
	KW_OK = 0,
	KW_UNKNOWN = -1,
	KW_AMBIGUOUS = -2,
};

/*
 * Match @word against @tab: an exact match wins; otherwise @word must be a
 * prefix of words that all share one id.  On KW_OK *id is set.
 */
int kw_match(const char *word, const struct keyword *tab, size_t n, int *id);

/*
 * List the words of @tab that @word abbreviates (for ambiguity messages),
 * or every distinct first word when @word is NULL: "set, show".
 */
void kw_list(const char *word, const struct keyword *tab, size_t n,
	     char *buf, size_t len);

/* Decimal numbers: digits only, no sign, no spaces.  0 / -EINVAL / -ERANGE. */
int parse_u64(const char *s, uint64_t *out);
int parse_u32_range(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/*
 * A duration in milliseconds: "500", "500ms", "5s", "2m", "1h", "1d" (a
 * bare number is milliseconds).  0 / -EINVAL / -ERANGE (over UINT32_MAX ms).
 */
int parse_duration_ms(const char *s, uint32_t *ms);

/*
 * An endpoint: "A.B.C.D:PORT", "[IPV6]:PORT", "*:PORT" or ":PORT" (both
 * 0.0.0.0).  Port 1-65535.  Returns 0, or -1 with a message in @err.
 */
int parse_endpoint(const char *s, struct krelay_endpoint *ep, char *err,
		   size_t errlen);

/* "1.2.3.4:80", "[::1]:80"; "?" for an unknown family. */
void fmt_endpoint(const struct krelay_endpoint *ep, char *buf, size_t len);

/* Exact duration as accepted by parse_duration_ms: "5s", "1500ms", "2m". */
void fmt_duration_ms(uint64_t ms, char *buf, size_t len);

/* Rounded age for tables: "850ms", "12.3s", "5m03s", "2h05m", "3d04h". */
void fmt_age_ms(uint64_t ms, char *buf, size_t len);

/* Bytes: plain integer, or with @human "999B", "1.5KiB", "2.0MiB" ... */
void fmt_bytes(uint64_t v, int human, char *buf, size_t len);

#endif /* USERCTL_PARSE_H */
