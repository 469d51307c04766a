/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * krelay: in-kernel TCP relay - generic netlink ABI.
 *
 * This header is the documentation of the control interface shared by
 * krelay.ko and userctl.  Family name KRELAY_GENL_NAME, version
 * KRELAY_GENL_VERSION.
 *
 * Objects
 * -------
 * A *rule* lives in the network namespace of the socket that created it.
 * It owns one listening TCP socket (KRELAY_A_LISTEN) and forwards every
 * accepted connection to one of its backends (KRELAY_A_BACKENDS), chosen by
 * the rule's scheduler (KRELAY_A_SCHED).  A rule is named by its id
 * (KRELAY_A_RULE_ID, assigned by the kernel, unique per netns) or by its
 * listen address (unique per netns).
 *
 * A *backend* is an address with a weight.  When a connect to it is
 * refused, unreachable or times out, the connection fails over to the next
 * backend the scheduler offers (each backend is tried at most once per
 * connection) and the failed backend is marked down for the rule's
 * hold-down time (KRELAY_A_HOLDDOWN_MS): schedulers skip down backends
 * while any backend is up.  Backends keep their state and counters across
 * RULE_SET as long as their address stays in the list.
 *
 * Active health checks (KRELAY_A_CHECK, per rule, for all its backends):
 * every INTERVAL_MS the kernel opens a TCP connection to each backend (in
 * the rule's netns, from its source address with any port, with its mark)
 * and closes it at once with an RST.  Not established within TIMEOUT_MS,
 * refused or unreachable is a failed check.  FALL failed checks in a row
 * make the backend's health (KRELAY_BACKEND_A_HEALTH) DOWN, RISE passed
 * ones in a row make it UP again; health starts UP.  Schedulers treat a
 * backend whose health is DOWN like one in hold-down (skipped while
 * another backend is up; if none is, one is still tried).  Hold-down on
 * failed connects works as before, checks or not.  Health is kept across
 * RULE_SET as long as the address stays; without checks it is UP and not
 * reported.
 *
 * A draining backend (KRELAY_BACKEND_A_DRAIN) gets no new connection, even
 * when every other backend is down (when every backend drains, new
 * connections fail); its established connections go on.  With
 * KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS, the ones still open that long after
 * the drain started are aborted (counted ABORTED).  The drain starts with
 * the first RULE_SET (or RULE_NEW, RULESET_SET) that lists the backend
 * with DRAIN and ends with the first that lists it without; in between,
 * the timeout counts from its start.
 *
 * An *ACL* is a list of CIDR prefixes, each allowed or denied.  Every rule
 * has one and the netns has a global one.  A client is rejected (reset at
 * once, counted as DENIED) if its address matches a deny entry of either
 * list, or if either list has allow entries and none of that list's allow
 * entries matches it.  Empty lists allow everybody.
 *
 * Limits: a rule's KRELAY_A_MAXCONN caps its open connections: at the limit
 * the rule stops accepting and new clients wait in the listen backlog
 * (KRELAY_A_BACKLOG; beyond it the kernel drops their SYNs and they retry)
 * until a connection ends.  A backend's KRELAY_BACKEND_A_MAXCONN caps the
 * connections assigned to it: schedulers skip a backend at its limit, and
 * a new client whose every backend is at its limit is reset (counted
 * CONN_OVERLIMIT); a failover that finds only full backends fails.
 *
 * Commands
 * --------
 * KRELAY_CMD_RULE_NEW   (admin) create a rule.
 *     required: KRELAY_A_LISTEN, KRELAY_A_BACKENDS (at least one)
 *     optional: KRELAY_A_SCHED, KRELAY_A_HOLDDOWN_MS, KRELAY_A_MODE,
 *               KRELAY_A_CONNECT_TIMEOUT_MS, KRELAY_A_IDLE_TIMEOUT_MS,
 *               KRELAY_A_BACKLOG, KRELAY_A_SOURCE, KRELAY_A_MARK,
 *               KRELAY_A_KEEPALIVE_S, KRELAY_A_MAXCONN,
 *               KRELAY_A_PROXY_PROTOCOL, KRELAY_A_TRANSPARENT, KRELAY_A_ACL,
 *               KRELAY_A_CHECK (what the nest leaves out: the defaults)
 *     backends: KRELAY_BACKEND_A_ADDR, optionally _WEIGHT, _MAXCONN, _DRAIN
 *               and, with DRAIN, _DRAIN_TIMEOUT_MS
 *     reply:    the new rule, as KRELAY_CMD_RULE_GET returns it.
 * KRELAY_CMD_RULE_DEL   (admin) delete a rule and abort its connections.
 *                       The rule and its listener are gone at once (its
 *                       address may be reused, other changes go on); the
 *                       reply comes when its connections are torn down.
 *     required: KRELAY_A_RULE_ID or KRELAY_A_LISTEN
 *     optional: KRELAY_A_DRAIN_TIMEOUT_MS (0..86400000, 0: no timeout):
 *               delete with drain instead.  The rule stops accepting and
 *               its listen address is free at once (a new rule may take
 *               it; the draining rule is no longer found by address, only
 *               by id); the call returns at once.  Its connections go on;
 *               those left when the timeout passes are aborted.  Then the
 *               rule is gone (the RULE_DEL event goes out then).  Until
 *               then RULE_GET shows it with KRELAY_A_DRAINING, RULE_SET
 *               refuses it, RULESET_SET leaves it alone, and RULE_DEL of
 *               its id without a drain timeout aborts it at once (with
 *               one: -EALREADY).  Netns exit and module unload abort it.
 * KRELAY_CMD_RULE_GET   doit: one rule (KRELAY_A_RULE_ID or KRELAY_A_LISTEN);
 *                       dump: every rule of the netns.
 *     reply:    KRELAY_A_RULE_ID, KRELAY_A_LISTEN, KRELAY_A_BACKENDS (with
 *               state and counters), KRELAY_A_SCHED, KRELAY_A_HOLDDOWN_MS,
 *               KRELAY_A_MODE, KRELAY_A_CONNECT_TIMEOUT_MS,
 *               KRELAY_A_IDLE_TIMEOUT_MS, KRELAY_A_BACKLOG,
 *               KRELAY_A_SOURCE (if set), KRELAY_A_MARK, KRELAY_A_KEEPALIVE_S,
 *               KRELAY_A_MAXCONN, KRELAY_A_PROXY_PROTOCOL,
 *               KRELAY_A_TRANSPARENT, KRELAY_A_ACL (if not empty),
 *               KRELAY_A_CHECK (if on, all four values), KRELAY_A_DRAINING
 *               and KRELAY_A_DRAIN_LEFT_MS (if deleted with drain; time
 *               left only with a timeout), KRELAY_A_STATS.  Each backend:
 *               ADDR, WEIGHT, MAXCONN, STATE, DOWN_MS, the counters,
 *               CHECKS_OK, CHECKS_FAILED, HEALTH (if the rule has checks),
 *               and DRAIN, DRAIN_TIMEOUT_MS, DRAIN_LEFT_MS (if draining).
 * KRELAY_CMD_RULE_SET   (admin) change a live rule (KRELAY_A_RULE_ID or
 *                       KRELAY_A_LISTEN names it) in one transaction: any of
 *                       the optional attributes of RULE_NEW, and
 *                       KRELAY_A_BACKENDS, which replaces the backend list.
 *                       KRELAY_A_ACL replaces the rule's ACL (an empty nest
 *                       clears it); an empty KRELAY_A_SOURCE nest removes the
 *                       source address.  An empty KRELAY_A_CHECK nest turns
 *                       checks off; a non-empty one turns them on, keeping
 *                       the values it leaves out (their defaults if checks
 *                       were off).  All or nothing: a rejected change
 *                       leaves the rule as it was.  Established connections
 *                       are not disturbed.
 * KRELAY_CMD_STATS_GET  doit: netns-wide totals in KRELAY_A_STATS (with
 *                       the netns' own KRELAY_STATS_A_EVENTS_DROPPED), plus
 *                       KRELAY_A_RULE_COUNT.
 * KRELAY_CMD_CONN_GET   dump: live connections of the netns, optionally only
 *                       those of KRELAY_A_RULE_ID.  One message per
 *                       connection carrying KRELAY_A_CONN.
 * KRELAY_CMD_CONN_DEL   (admin) abort one connection (KRELAY_A_CONN_ID).
 * KRELAY_CMD_ACL_GET    doit: the netns-wide ACL in KRELAY_A_ACL (absent when
 *                       empty).
 * KRELAY_CMD_ACL_SET    (admin) replace the netns-wide ACL with KRELAY_A_ACL
 *                       (required; an empty nest clears it).
 * KRELAY_CMD_RULESET_SET (admin) make the netns' rules match KRELAY_A_RULES
 *                       in one transaction.  Each entry of KRELAY_A_RULES
 *                       carries the attributes of RULE_NEW.  A rule whose
 *                       listen address is in the set is changed in place
 *                       (its connections are not disturbed), rules not in
 *                       the set are deleted, the others are created.  With
 *                       KRELAY_A_ACL the netns-wide ACL is replaced too.  All
 *                       or nothing: if any entry is rejected or any new
 *                       listener cannot be set up, nothing changes.  New
 *                       listeners accept only once the set is committed, so
 *                       a rejected set has accepted nobody; a rule may move
 *                       to an overlapping address of the same port (e.g.
 *                       0.0.0.0:p to 127.0.0.1:p) in one set.
 * KRELAY_CMD_BACKEND_EVENT (event only) a backend went down or came back:
 *                       KRELAY_A_RULE_ID and KRELAY_A_BACKENDS with the one
 *                       backend.  Sent when a connect to it fails (STATE
 *                       DOWN: hold-down); when a connect to a backend marked
 *                       down (or whose hold-down just ended) succeeds
 *                       (STATE UP); when active checks change its health
 *                       (the backend then carries HEALTH); and when checks
 *                       are turned off while its health is DOWN (no HEALTH:
 *                       it is up as far as checks go).  The backend is down
 *                       for new connections while STATE or HEALTH is DOWN.
 *
 * PROXY protocol (KRELAY_A_PROXY_PROTOCOL): each backend connection starts
 * with a PROXY header (v1 text or v2 binary, TCP4 or TCP6, never LOCAL)
 * naming the client and the address it connected to, sent before any
 * client byte, again on the new socket after a failover.  Its bytes count
 * in BYTES_TO_BACKEND (and BYTES_COPIED).
 *
 * Transparency (KRELAY_A_TRANSPARENT): backend sockets get IP_TRANSPARENT
 * and are bound to the client's address (the port is chosen by the
 * kernel), so backends see the client; the replies must be routed back to
 * the relay's host and delivered locally (policy routing, see userctl(8)).
 * It excludes KRELAY_A_SOURCE, and every backend must have the listen
 * address's family.  The rule creator's CAP_NET_ADMIN in the netns' user
 * namespace is all it takes, as for IP_TRANSPARENT itself.
 *
 * Empty nests are meaningful (an empty KRELAY_A_ACL clears an ACL, an empty
 * KRELAY_A_SOURCE removes the source, an empty KRELAY_A_RULES deletes every
 * rule): libnl's nla_nest_end() drops empty nests, use
 * nla_nest_end_keep_empty() for these.
 *
 * Every reject carries an extended ack message naming the problem and,
 * where one attribute is at fault, its offset.
 *
 * Permissions: mutating commands need CAP_NET_ADMIN in the user namespace
 * that owns the rule's network namespace (with the module parameter
 * userns_admin=0: in the initial user namespace, else EPERM with an
 * extended ack saying so); reading is open to every process of that
 * namespace.  A rule's memory (its sockets and connections) is charged to
 * the memory cgroup of the process that created it.
 */
#ifndef _UAPI_LINUX_KRELAY_H
#define _UAPI_LINUX_KRELAY_H

#define KRELAY_GENL_NAME	"krelay"
#define KRELAY_GENL_VERSION	1
#define KRELAY_MCGRP_EVENTS	"events"

enum krelay_cmd {
	KRELAY_CMD_UNSPEC,
	KRELAY_CMD_RULE_NEW,
	KRELAY_CMD_RULE_DEL,
	KRELAY_CMD_RULE_GET,
	KRELAY_CMD_RULE_SET,
	KRELAY_CMD_STATS_GET,
	KRELAY_CMD_CONN_GET,
	KRELAY_CMD_CONN_DEL,
	KRELAY_CMD_ACL_GET,
	KRELAY_CMD_ACL_SET,
	KRELAY_CMD_RULESET_SET,
	KRELAY_CMD_BACKEND_EVENT,

	__KRELAY_CMD_MAX
};

#define KRELAY_CMD_MAX (__KRELAY_CMD_MAX - 1)

/**
 * enum krelay_mode - how a rule moves bytes
 * @KRELAY_MODE_SPLICE: zero-copy: skb pages are handed from the receiving
 *	socket to the sending one (default)
 * @KRELAY_MODE_COPY: bytes are copied through a bounded per-connection
 *	buffer with kernel_recvmsg()/kernel_sendmsg()
 */
enum krelay_mode {
	KRELAY_MODE_SPLICE,
	KRELAY_MODE_COPY,

	__KRELAY_MODE_MAX
};

#define KRELAY_MODE_MAX (__KRELAY_MODE_MAX - 1)

/**
 * enum krelay_sched - how a rule picks the backend of a new connection
 * @KRELAY_SCHED_RR: round-robin over the backends that are up (default)
 * @KRELAY_SCHED_WRR: weighted round-robin: backend i gets weight_i / sum of
 *	weights of the connections, interleaved
 * @KRELAY_SCHED_LC: least connections: the backend with the fewest active
 *	connections per unit of weight
 */
enum krelay_sched {
	KRELAY_SCHED_RR,
	KRELAY_SCHED_WRR,
	KRELAY_SCHED_LC,

	__KRELAY_SCHED_MAX
};

#define KRELAY_SCHED_MAX (__KRELAY_SCHED_MAX - 1)

/**
 * enum krelay_proxy_protocol - header sent first on backend connections
 * @KRELAY_PROXY_OFF: none (default)
 * @KRELAY_PROXY_V1: PROXY protocol version 1 (text)
 * @KRELAY_PROXY_V2: PROXY protocol version 2 (binary)
 */
enum krelay_proxy_protocol {
	KRELAY_PROXY_OFF,
	KRELAY_PROXY_V1,
	KRELAY_PROXY_V2,

	__KRELAY_PROXY_MAX
};

#define KRELAY_PROXY_MAX (__KRELAY_PROXY_MAX - 1)

/* Limits of the lists a rule carries. */
#define KRELAY_MAX_BACKENDS	64	/* backends per rule */
#define KRELAY_MAX_ACL		256	/* entries per ACL */
#define KRELAY_MAX_RULESET	4096	/* rules per RULESET_SET */

/* Top-level attributes. */
enum krelay_attr {
	KRELAY_A_UNSPEC,
	KRELAY_A_PAD,
	KRELAY_A_RULE_ID,		/* u32, >= 1 */
	KRELAY_A_LISTEN,		/* nest, enum krelay_addr_attr */
	KRELAY_A_BACKENDS,		/* nest of nests, enum krelay_backend_attr */
	KRELAY_A_MODE,			/* u8, enum krelay_mode */
	KRELAY_A_CONNECT_TIMEOUT_MS,	/* u32, 1..600000, default 5000 */
	KRELAY_A_IDLE_TIMEOUT_MS,	/* u32, 0 (off)..86400000, default 0 */
	KRELAY_A_BACKLOG,		/* u32, 1..65535, default 128 */
	KRELAY_A_STATS,			/* nest, enum krelay_stats_attr */
	KRELAY_A_RULE_COUNT,		/* u32 */
	KRELAY_A_CONN,			/* nest, enum krelay_conn_attr */
	KRELAY_A_CONN_ID,		/* u64 */
	KRELAY_A_SCHED,			/* u8, enum krelay_sched */
	KRELAY_A_HOLDDOWN_MS,		/* u32, 0..3600000, default 10000 */
	/* nest, enum krelay_addr_attr, port optional (0: any); empty: none */
	KRELAY_A_SOURCE,
	/* u32, SO_MARK of the backend sockets; 0: none (default) */
	KRELAY_A_MARK,
	/* u32, 0 (off, default)..32767: TCP keepalive idle time, both sides */
	KRELAY_A_KEEPALIVE_S,
	KRELAY_A_ACL,			/* nest of nests, enum krelay_acl_attr */
	KRELAY_A_RULES,			/* nest of nests, enum krelay_attr */
	/* u8, enum krelay_proxy_protocol, default KRELAY_PROXY_OFF */
	KRELAY_A_PROXY_PROTOCOL,
	/* u8, 0 (default) or 1: backend connections leave from the client's address */
	KRELAY_A_TRANSPARENT,
	/* nest, enum krelay_check_attr: active health checks; empty: none */
	KRELAY_A_CHECK,
	/* u32, connections open at once, 0: no limit (default) */
	KRELAY_A_MAXCONN,
	/* u32, 0..86400000, RULE_DEL: drain, reset what is left after this (0: never) */
	KRELAY_A_DRAIN_TIMEOUT_MS,
	/* u8, reported: 1 while the rule is deleted with drain */
	KRELAY_A_DRAINING,
	/* u32, reported: drain time left */
	KRELAY_A_DRAIN_LEFT_MS,

	__KRELAY_A_MAX
};

#define KRELAY_A_MAX (__KRELAY_A_MAX - 1)

/*
 * An endpoint: exactly one of KRELAY_ADDR_A_IPV4 / KRELAY_ADDR_A_IPV6, and
 * KRELAY_ADDR_A_PORT.  Addresses and port are in network byte order.
 */
enum krelay_addr_attr {
	KRELAY_ADDR_A_UNSPEC,
	KRELAY_ADDR_A_IPV4,		/* binary, 4 bytes (__be32) */
	KRELAY_ADDR_A_IPV6,		/* binary, 16 bytes (struct in6_addr) */
	KRELAY_ADDR_A_PORT,		/* __be16, not 0 */

	__KRELAY_ADDR_A_MAX
};

#define KRELAY_ADDR_A_MAX (__KRELAY_ADDR_A_MAX - 1)

enum krelay_backend_state {
	KRELAY_BACKEND_UP,
	KRELAY_BACKEND_DOWN,		/* in hold-down after a failed connect */
};

/* Result of a rule's active health checks for one backend. */
enum krelay_health {
	KRELAY_HEALTH_UP,		/* passing (and before the first check) */
	KRELAY_HEALTH_DOWN,		/* failed FALL checks in a row */
};

/*
 * Active health checks (KRELAY_A_CHECK): a TCP connect to each backend
 * every INTERVAL_MS, failed if not established within TIMEOUT_MS.
 */
enum krelay_check_attr {
	KRELAY_CHECK_A_UNSPEC,
	KRELAY_CHECK_A_INTERVAL_MS,	/* u32, 100..3600000, default 2000 */
	KRELAY_CHECK_A_TIMEOUT_MS,	/* u32, 10..600000, default 1000 */
	KRELAY_CHECK_A_RISE,		/* u32, 1..100, default 2 */
	KRELAY_CHECK_A_FALL,		/* u32, 1..100, default 3 */

	__KRELAY_CHECK_A_MAX
};

#define KRELAY_CHECK_A_MAX (__KRELAY_CHECK_A_MAX - 1)

/*
 * One backend: an entry of KRELAY_A_BACKENDS (entry type ignored).  Requests
 * carry ADDR and optionally WEIGHT; the rest is reported by the kernel.
 */
enum krelay_backend_attr {
	KRELAY_BACKEND_A_UNSPEC,
	KRELAY_BACKEND_A_PAD,
	KRELAY_BACKEND_A_ADDR,		/* nest, enum krelay_addr_attr */
	KRELAY_BACKEND_A_WEIGHT,	/* u32, 1..10000, default 1 */
	KRELAY_BACKEND_A_STATE,		/* u8, enum krelay_backend_state */
	KRELAY_BACKEND_A_DOWN_MS,	/* u32, hold-down time left */
	KRELAY_BACKEND_A_CONNS,		/* u64, connections established */
	KRELAY_BACKEND_A_FAILED,	/* u64, connects refused/timed out */
	KRELAY_BACKEND_A_ACTIVE,	/* u64, connections open now */
	KRELAY_BACKEND_A_BYTES_TO_BACKEND, /* u64 */
	KRELAY_BACKEND_A_BYTES_TO_CLIENT, /* u64 */
	KRELAY_BACKEND_A_MAXCONN,	/* u32, connections open at once, 0: no limit */
	KRELAY_BACKEND_A_DRAIN,		/* u8, 1: no new connections (request and report) */
	/* u32, 0..86400000, with DRAIN: reset what is left after this, 0: never */
	KRELAY_BACKEND_A_DRAIN_TIMEOUT_MS,
	KRELAY_BACKEND_A_DRAIN_LEFT_MS,	/* u32, reported: drain time left */
	KRELAY_BACKEND_A_HEALTH,	/* u8, enum krelay_health, with checks only */
	KRELAY_BACKEND_A_CHECKS_OK,	/* u64, health checks passed */
	KRELAY_BACKEND_A_CHECKS_FAILED,	/* u64, health checks failed */

	__KRELAY_BACKEND_A_MAX
};

#define KRELAY_BACKEND_A_MAX (__KRELAY_BACKEND_A_MAX - 1)

enum krelay_acl_action {
	KRELAY_ACL_ALLOW,
	KRELAY_ACL_DENY,
};

/*
 * One ACL entry: an entry of KRELAY_A_ACL (entry type ignored): ACTION and
 * exactly one of IPV4 / IPV6, optionally PREFIXLEN (default: the whole
 * address).  Host bits beyond the prefix must be zero.
 */
enum krelay_acl_attr {
	KRELAY_ACL_A_UNSPEC,
	KRELAY_ACL_A_ACTION,		/* u8, enum krelay_acl_action */
	KRELAY_ACL_A_IPV4,		/* binary, 4 bytes */
	KRELAY_ACL_A_IPV6,		/* binary, 16 bytes */
	KRELAY_ACL_A_PREFIXLEN,		/* u8, 0..32 or 0..128 */

	__KRELAY_ACL_A_MAX
};

#define KRELAY_ACL_A_MAX (__KRELAY_ACL_A_MAX - 1)

/*
 * Counters, all u64 (padded with KRELAY_STATS_A_PAD).  Every connection that
 * was accepted is ACTIVE until it ends, and then counted in exactly one of
 * CLOSED, RESET, FAILED, IDLE_TIMEOUT, ABORTED, DENIED, CONN_OVERLIMIT.
 * CONNECT_TIMEOUT and CONNECT_REFUSED are subsets of FAILED (counted in
 * both).  CONN_OVERLIMIT: reset at once because every usable backend was
 * at its maxconn.  EVENTS_DROPPED is the netns' (STATS_GET only, not in
 * rules): events not sent for want of memory while somebody listened.
 *
 * FAILED: no backend could be connected (the last one tried refused, was
 * unreachable or timed out).  FAILOVERS counts connect failures that were
 * followed by a try of another backend.
 * ABORTED: ended by rule delete, conn kill, module unload or netns exit.
 *
 * FAST_PASSES and WORK_RUNS show where the relaying happened: splice-mode
 * data is mostly passed on straight from the receive softirq (a fast pass)
 * and the connection's work runs only for what that path leaves (connect,
 * end of stream, full send buffers, errors, copy mode).
 *
 * NOMEM_RETRIES: passes put off because a buffer could not be allocated
 * (the rule's memory cgroup at its limit, or the host short of memory);
 * the connection is run again after a back-off, not reset.
 */
enum krelay_stats_attr {
	KRELAY_STATS_A_UNSPEC,
	KRELAY_STATS_A_PAD,
	KRELAY_STATS_A_CONN_ACCEPTED,	/* connections accepted */
	KRELAY_STATS_A_CONN_ACTIVE,	/* connections currently open */
	KRELAY_STATS_A_CONN_FAILED,	/* backend connect failed */
	KRELAY_STATS_A_CONN_CLOSED,	/* ended by FIN in both directions */
	KRELAY_STATS_A_CONN_RESET,	/* ended by RST or socket error */
	KRELAY_STATS_A_CONN_CONNECT_TIMEOUT, /* subset of FAILED */
	KRELAY_STATS_A_CONN_IDLE_TIMEOUT, /* ended by the idle timeout */
	KRELAY_STATS_A_CONN_ABORTED,	/* ended by the administrator */
	KRELAY_STATS_A_BYTES_TO_BACKEND, /* client -> backend payload */
	KRELAY_STATS_A_BYTES_TO_CLIENT,	/* backend -> client payload */
	KRELAY_STATS_A_BYTES_ZEROCOPY,	/* of both: moved by page reference */
	KRELAY_STATS_A_BYTES_COPIED,	/* of both: moved by copying */
	KRELAY_STATS_A_CONN_CONNECT_REFUSED, /* subset of FAILED: RST to SYN */
	KRELAY_STATS_A_CONN_DENIED,	/* rejected by an ACL */
	KRELAY_STATS_A_FAILOVERS,	/* connects retried on another backend */
	KRELAY_STATS_A_FAST_PASSES,	/* data passed on from the receive softirq */
	KRELAY_STATS_A_WORK_RUNS,	/* runs of connections' work items */
	KRELAY_STATS_A_EVENTS_DROPPED,	/* netns: monitor events lost (no memory) */
	KRELAY_STATS_A_CONN_OVERLIMIT,	/* rejected: every usable backend at maxconn */
	KRELAY_STATS_A_NOMEM_RETRIES,	/* passes put off for want of memory */

	__KRELAY_STATS_A_MAX
};

#define KRELAY_STATS_A_MAX (__KRELAY_STATS_A_MAX - 1)

enum krelay_conn_state {
	KRELAY_CONN_CONNECTING,		/* backend connect in progress */
	KRELAY_CONN_ESTABLISHED,	/* relaying both ways */
	KRELAY_CONN_HALF_CLOSED,	/* one direction has ended */
	KRELAY_CONN_CLOSING,		/* being torn down */

	__KRELAY_CONN_STATE_MAX
};

enum krelay_conn_attr {
	KRELAY_CONN_A_UNSPEC,
	KRELAY_CONN_A_PAD,
	KRELAY_CONN_A_ID,		/* u64 */
	KRELAY_CONN_A_RULE_ID,		/* u32 */
	KRELAY_CONN_A_CLIENT,		/* nest, enum krelay_addr_attr */
	KRELAY_CONN_A_BACKEND,		/* nest, enum krelay_addr_attr */
	KRELAY_CONN_A_STATE,		/* u8, enum krelay_conn_state */
	KRELAY_CONN_A_BYTES_TO_BACKEND,	/* u64 */
	KRELAY_CONN_A_BYTES_TO_CLIENT,	/* u64 */
	KRELAY_CONN_A_AGE_MS,		/* u64 */
	KRELAY_CONN_A_IDLE_MS,		/* u64 */

	__KRELAY_CONN_A_MAX
};

#define KRELAY_CONN_A_MAX (__KRELAY_CONN_A_MAX - 1)

#endif /* _UAPI_LINUX_KRELAY_H */
