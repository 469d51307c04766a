/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krelay_nl: a small client library for the "krelay" generic netlink family.
 *
 * No command-line logic lives here: the library opens the family, builds
 * requests, parses replies into the plain structs below and reports errors
 * as negative errno values, keeping the kernel's extended-ack message for the
 * caller (krelay_ext_msg()).
 *
 * All functions returning int return 0 on success or a negative errno.
 */
#ifndef KRELAY_NL_H
#define KRELAY_NL_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include <linux/krelay.h>

/* An endpoint; port in host byte order (the library converts on the wire). */
struct krelay_endpoint {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint16_t port;
};

/* Counters of a rule or of the whole network namespace. */
struct krelay_stats {
	uint64_t accepted;
	uint64_t active;
	uint64_t failed;
	uint64_t closed;
	uint64_t reset;
	uint64_t connect_timeout;
	uint64_t connect_refused;
	uint64_t idle_timeout;
	uint64_t aborted;
	uint64_t denied;
	uint64_t failovers;
	uint64_t fast_passes;
	uint64_t work_runs;
	uint64_t overlimit;		/* reset: every usable backend at maxconn */
	uint64_t nomem_retries;		/* passes put off for want of memory */
	uint64_t events_dropped;	/* netns totals only: events lost */
	uint64_t bytes_to_backend;
	uint64_t bytes_to_client;
	uint64_t bytes_zerocopy;
	uint64_t bytes_copied;
};

/*
 * One backend of a rule.  Requests carry @addr, @weight (0: not sent,
 * the kernel's default 1) and @maxconn (0: not sent, no limit); the rest is
 * what the kernel reports.
 */
struct krelay_backend {
	struct krelay_endpoint addr;
	uint32_t weight;
	uint32_t maxconn;		/* connections open at once, 0: no limit */
	int has_state;			/* the kernel reported the fields below */
	uint8_t state;			/* enum krelay_backend_state */
	uint32_t down_ms;		/* hold-down time left */
	uint64_t conns;
	uint64_t failed;
	uint64_t active;
	uint64_t bytes_to_backend;
	uint64_t bytes_to_client;
	/* drain: requests carry @drain and @drain_timeout_ms, both reported */
	int drain;			/* no new connections */
	uint32_t drain_timeout_ms;	/* with @drain; 0: never reset */
	uint32_t drain_left_ms;		/* reported */
	int has_health;			/* the rule has checks: @health is set */
	uint8_t health;			/* enum krelay_health */
	uint64_t checks_ok;
	uint64_t checks_failed;
};

/*
 * Active health checks of a rule.  In requests, a value of 0 is not sent:
 * the kernel's default (checks were off) or the current value (they were
 * on); @enabled 0 turns checks off.
 */
struct krelay_check {
	int enabled;
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint32_t rise;
	uint32_t fall;
};

#define KRELAY_CHECK_DEFAULT_INTERVAL_MS	2000
#define KRELAY_CHECK_DEFAULT_TIMEOUT_MS		1000
#define KRELAY_CHECK_DEFAULT_RISE		2
#define KRELAY_CHECK_DEFAULT_FALL		3

/* One ACL entry: allow or deny a CIDR prefix (host bits zero). */
struct krelay_acl_entry {
	uint8_t action;			/* enum krelay_acl_action */
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t prefixlen;		/* 0..32 or 0..128 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

/* An ACL: the netns-wide one, or a rule's. */
struct krelay_acl {
	size_t n;
	struct krelay_acl_entry e[KRELAY_MAX_ACL];
};

/* Which optional parts of a struct krelay_rule are meaningful. */
enum {
	KRELAY_RULE_F_LISTEN		= 1u << 0,
	KRELAY_RULE_F_BACKEND		= 1u << 1,	/* the backend list */
	KRELAY_RULE_F_MODE		= 1u << 2,
	KRELAY_RULE_F_CONNECT_TIMEOUT	= 1u << 3,
	KRELAY_RULE_F_IDLE_TIMEOUT	= 1u << 4,
	KRELAY_RULE_F_BACKLOG		= 1u << 5,
	KRELAY_RULE_F_STATS		= 1u << 6,
	KRELAY_RULE_F_SCHED		= 1u << 7,
	KRELAY_RULE_F_HOLDDOWN		= 1u << 8,
	KRELAY_RULE_F_SOURCE		= 1u << 9,	/* family 0: none */
	KRELAY_RULE_F_MARK		= 1u << 10,
	KRELAY_RULE_F_KEEPALIVE		= 1u << 11,
	KRELAY_RULE_F_ACL		= 1u << 12,
	KRELAY_RULE_F_MAXCONN		= 1u << 13,
	KRELAY_RULE_F_PROXY		= 1u << 14,	/* proxy_protocol */
	KRELAY_RULE_F_TRANSPARENT	= 1u << 15,
	KRELAY_RULE_F_CHECK		= 1u << 16,	/* enabled 0: off */
};

/*
 * A rule, as the kernel reports it, and as a request carries it (rule add,
 * rule set, rule sets: only the parts flagged in @present are sent).
 * A rule the kernel reports without KRELAY_A_SOURCE / KRELAY_A_ACL /
 * KRELAY_A_CHECK gets KRELAY_RULE_F_SOURCE (family 0) / KRELAY_RULE_F_ACL
 * (n 0) / KRELAY_RULE_F_CHECK (enabled 0): none.
 */
struct krelay_rule {
	uint32_t id;			/* 0 when unknown */
	unsigned int present;		/* KRELAY_RULE_F_* */
	struct krelay_endpoint listen;
	size_t nbackends;
	struct krelay_backend backends[KRELAY_MAX_BACKENDS];
	uint8_t mode;			/* enum krelay_mode */
	uint8_t sched;			/* enum krelay_sched */
	uint32_t connect_timeout_ms;
	uint32_t idle_timeout_ms;
	uint32_t backlog;
	uint32_t holddown_ms;
	struct krelay_endpoint source;	/* port 0: any */
	uint32_t mark;
	uint32_t keepalive_s;
	uint32_t maxconn;		/* 0: no limit */
	uint8_t proxy_protocol;		/* enum krelay_proxy_protocol */
	uint8_t transparent;		/* 0 or 1 */
	struct krelay_check check;
	int draining;			/* reported: deleted with drain */
	uint32_t drain_left_ms;		/* reported with @draining and a timeout */
	int has_drain_left;
	struct krelay_acl acl;
	struct krelay_stats stats;
};

/* Names a rule: by id when id != 0, otherwise by listen address. */
struct krelay_rule_ref {
	uint32_t id;
	struct krelay_endpoint listen;
};

/* Netns-wide totals (KRELAY_CMD_STATS_GET). */
struct krelay_totals {
	uint32_t rule_count;
	int has_rule_count;
	struct krelay_stats stats;
};

/* One live connection (KRELAY_CMD_CONN_GET dump, connection events). */
struct krelay_conn {
	uint64_t id;
	uint32_t rule_id;
	struct krelay_endpoint client;
	struct krelay_endpoint backend;
	int has_client;
	int has_backend;
	uint8_t state;			/* enum krelay_conn_state */
	uint64_t bytes_to_backend;
	uint64_t bytes_to_client;
	uint64_t age_ms;
	uint64_t idle_ms;
};

/* A notification of the "events" multicast group. */
enum krelay_event_type {
	KRELAY_EV_RULE_NEW,
	KRELAY_EV_RULE_SET,
	KRELAY_EV_RULE_DEL,
	KRELAY_EV_CONN_OPEN,
	KRELAY_EV_CONN_CLOSE,
	KRELAY_EV_BACKEND,		/* up or down: see backend.state */
};

struct krelay_event {
	enum krelay_event_type type;
	struct krelay_rule rule;	/* RULE_*: the rule */
	struct krelay_conn conn;	/* CONN_*: the connection */
	uint32_t rule_id;		/* BACKEND: the rule, */
	struct krelay_backend backend;	/* and the backend */
};

struct krelay_handle;

/*
 * Open a netlink socket and resolve the family.  Returns -ENOENT when the
 * family "krelay" is not registered (module not loaded) and another negative
 * errno for any other failure.
 */
int krelay_open(struct krelay_handle **hp);
void krelay_close(struct krelay_handle *h);

/*
 * The kernel's extended-ack message of the last failed (or warned) request,
 * or NULL.  When the kernel pointed at an attribute, krelay_ext_attr() names
 * it ("backend", "connect-timeout", ...), else NULL.  Valid until the next
 * request on @h.
 */
const char *krelay_ext_msg(const struct krelay_handle *h);
const char *krelay_ext_attr(const struct krelay_handle *h);

/*
 * A sentence for @err (negative errno) in the context of @cmd
 * (KRELAY_CMD_*), for use when the kernel gave no extended ack.
 */
const char *krelay_strerror(int cmd, int err);

/* Mutations. @out may be NULL. */
int krelay_rule_add(struct krelay_handle *h, const struct krelay_rule *spec,
		    struct krelay_rule *out);
int krelay_rule_del(struct krelay_handle *h, const struct krelay_rule_ref *ref);
/*
 * Delete with drain: the rule stops accepting at once, its connections go
 * on and are reset after @timeout_ms (0: never); the call returns at once.
 */
int krelay_rule_del_drain(struct krelay_handle *h,
			  const struct krelay_rule_ref *ref, uint32_t timeout_ms);
int krelay_rule_set(struct krelay_handle *h, const struct krelay_rule_ref *ref,
		    const struct krelay_rule *changes);
int krelay_conn_kill(struct krelay_handle *h, uint64_t conn_id);

/* Queries. */
int krelay_rule_get(struct krelay_handle *h, const struct krelay_rule_ref *ref,
		    struct krelay_rule *out);

/*
 * Dumps call @cb once per object; a non-zero return from @cb stops the
 * delivery and becomes the return value (the rest of the dump is drained).
 * They return -EINTR if the kernel flagged the dump as interrupted
 * (NLM_F_DUMP_INTR: the set changed while it was read); every object received
 * has been delivered by then, so a caller may retry or accept the result.
 */
typedef int (*krelay_rule_cb)(const struct krelay_rule *rule, void *arg);
typedef int (*krelay_conn_cb)(const struct krelay_conn *conn, void *arg);

int krelay_rule_dump(struct krelay_handle *h, krelay_rule_cb cb, void *arg);
/* @rule_id 0: every connection of the netns. */
int krelay_conn_dump(struct krelay_handle *h, uint32_t rule_id,
		     krelay_conn_cb cb, void *arg);
int krelay_stats_get(struct krelay_handle *h, struct krelay_totals *out);

/* The netns-wide ACL (ACL_GET) and its replacement (ACL_SET). */
int krelay_acl_get(struct krelay_handle *h, struct krelay_acl *out);
int krelay_acl_set(struct krelay_handle *h, const struct krelay_acl *acl);

/*
 * Make the netns' rules match @rules[0..@n) in one transaction
 * (RULESET_SET); with @global != NULL the netns-wide ACL is replaced too.
 * Every rule needs KRELAY_RULE_F_LISTEN and at least one backend.
 */
int krelay_ruleset_set(struct krelay_handle *h, const struct krelay_rule *rules,
		       size_t n, const struct krelay_acl *global);

/*
 * Events.  krelay_monitor_start() joins the "events" multicast group on @h
 * (use a handle for nothing else afterwards); krelay_monitor_fd() can then be
 * polled, and krelay_monitor_read() receives one datagram (it blocks when
 * nothing is queued) and calls @cb for each event in it.  -ENOBUFS means the
 * socket overflowed and events were lost; reading may go on.
 */
typedef int (*krelay_event_cb)(const struct krelay_event *ev, void *arg);

int krelay_monitor_start(struct krelay_handle *h);
int krelay_monitor_fd(const struct krelay_handle *h);
int krelay_monitor_read(struct krelay_handle *h, krelay_event_cb cb, void *arg);

#endif /* KRELAY_NL_H */
