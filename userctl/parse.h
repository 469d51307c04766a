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
#define UC_HOLDDOWN_MAX		3600000u
#define UC_WEIGHT_MIN		1u
#define UC_WEIGHT_MAX		10000u
#define UC_CHECK_INTERVAL_MIN	100u
#define UC_CHECK_INTERVAL_MAX	3600000u
#define UC_CHECK_TIMEOUT_MIN	10u
#define UC_CHECK_TIMEOUT_MAX	600000u
#define UC_CHECK_COUNT_MAX	100u
#define UC_DRAIN_TIMEOUT_MAX	86400000u
#define UC_KEEPALIVE_MAX	32767u
#define UC_MAXCONN_MAX		16777216u	/* kmod/genl.h KRELAY_MAX_MAXCONN */

/* Defaults the kernel applies when an attribute is not sent. */
#define UC_DEFAULT_CONNECT_TIMEOUT	5000u
#define UC_DEFAULT_IDLE_TIMEOUT		0u
#define UC_DEFAULT_BACKLOG		128u
#define UC_DEFAULT_HOLDDOWN		10000u
#define UC_DEFAULT_WEIGHT		1u

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
int parse_mark(const char *s, uint32_t *out);	/* decimal or 0xHEX */

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

/*
 * An address with an optional port: "A.B.C.D", "IPV6", "[IPV6]",
 * "A.B.C.D:PORT", "[IPV6]:PORT" (port 0 in @ep when absent).
 */
int parse_addr_port(const char *s, struct krelay_endpoint *ep, char *err,
		    size_t errlen);

/* "1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80" (port shown when not 0). */
void fmt_addr_port(const struct krelay_endpoint *ep, char *buf, size_t len);

/*
 * An ACL prefix: "A.B.C.D[/N]" or "IPV6[/N]" (also "[IPV6][/N]").  Host
 * bits beyond N must be zero.  Sets family, addr and prefixlen of @e.
 */
int parse_prefix(const char *s, struct krelay_acl_entry *e, char *err,
		 size_t errlen);

/* "10.0.0.0/8", "10.0.0.1" (/32), "fd00::/8", "::1" (/128). */
void fmt_prefix(const struct krelay_acl_entry *e, char *buf, size_t len);

/* "allow" / "deny". */
const char *acl_action_name(uint8_t action);

/* Same family, prefix length and address. */
int acl_entry_equal(const struct krelay_acl_entry *a,
		    const struct krelay_acl_entry *b);

/* "rr", "wrr", "lc"; -1 when unknown (abbreviations are accepted). */
int parse_sched(const char *s);
const char *sched_name(uint8_t sched);
const char *mode_name(uint8_t mode);
/* PROXY protocol: "off", "v1", "v2"; parse_proxy() returns the enum or -1. */
const char *proxy_name(uint8_t proxy);
int parse_proxy(const char *s);
/* "on" -> 1, "off" -> 0, anything else -1 (whole words only). */
int parse_onoff(const char *s);

/*
 * Backends in one cell: "10.0.0.1:80*2,10.0.0.2:80" (weight after "*" when
 * not 1; a backend in hold-down gets a "!" suffix when @state is set).
 */
void fmt_backends(const struct krelay_rule *r, int state, char *buf,
		  size_t len);

/*
 * Give every unset configurable part of @r the kernel's default, so that
 * two rules can be compared (and a rule set sends everything).
 */
void rule_fill_defaults(struct krelay_rule *r);

/* The configurable parts of two rules (after rule_fill_defaults) match. */
int rule_config_equal(const struct krelay_rule *a, const struct krelay_rule *b);

/* Same family, address and port. */
int endpoint_equal(const struct krelay_endpoint *a,
		   const struct krelay_endpoint *b);

#endif /* USERCTL_PARSE_H */
