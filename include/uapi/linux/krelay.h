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
 * accepted connection to its backend (KRELAY_A_BACKEND).  A rule is named
 * by its id (KRELAY_A_RULE_ID, assigned by the kernel, unique per netns)
 * or by its listen address (unique per netns).
 *
 * Commands
 * --------
 * KRELAY_CMD_RULE_NEW   (admin) create a rule.
 *     required: KRELAY_A_LISTEN, KRELAY_A_BACKEND
 *     optional: KRELAY_A_MODE, KRELAY_A_CONNECT_TIMEOUT_MS,
 *               KRELAY_A_IDLE_TIMEOUT_MS, KRELAY_A_BACKLOG
 *     reply:    the new rule, as KRELAY_CMD_RULE_GET returns it.
 * KRELAY_CMD_RULE_DEL   (admin) delete a rule and abort its connections.
 *     required: KRELAY_A_RULE_ID or KRELAY_A_LISTEN
 * KRELAY_CMD_RULE_GET   doit: one rule (KRELAY_A_RULE_ID or KRELAY_A_LISTEN);
 *                       dump: every rule of the netns.
 *     reply:    KRELAY_A_RULE_ID, KRELAY_A_LISTEN, KRELAY_A_BACKEND,
 *               KRELAY_A_MODE, KRELAY_A_CONNECT_TIMEOUT_MS,
 *               KRELAY_A_IDLE_TIMEOUT_MS, KRELAY_A_BACKLOG, KRELAY_A_STATS
 * KRELAY_CMD_RULE_SET   (admin) change options of a live rule (KRELAY_A_RULE_ID
 *                       or KRELAY_A_LISTEN names it; any of KRELAY_A_BACKEND,
 *                       KRELAY_A_MODE, KRELAY_A_CONNECT_TIMEOUT_MS,
 *                       KRELAY_A_IDLE_TIMEOUT_MS).  All or nothing.
 *                       Established connections are not disturbed.
 * KRELAY_CMD_STATS_GET  doit: netns-wide totals in KRELAY_A_STATS, plus
 *                       KRELAY_A_RULE_COUNT.
 * KRELAY_CMD_CONN_GET   dump: live connections of the netns, optionally only
 *                       those of KRELAY_A_RULE_ID.  One message per
 *                       connection carrying KRELAY_A_CONN.
 * KRELAY_CMD_CONN_DEL   (admin) abort one connection (KRELAY_A_CONN_ID).
 *
 * Every reject carries an extended ack message naming the problem and,
 * where one attribute is at fault, its offset.
 *
 * Permissions: mutating commands need CAP_NET_ADMIN in the user namespace
 * that owns the rule's network namespace; reading is open to every process
 * of that namespace.
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

/* Top-level attributes. */
enum krelay_attr {
	KRELAY_A_UNSPEC,
	KRELAY_A_PAD,
	KRELAY_A_RULE_ID,		/* u32, >= 1 */
	KRELAY_A_LISTEN,		/* nest, enum krelay_addr_attr */
	KRELAY_A_BACKEND,		/* nest, enum krelay_addr_attr */
	KRELAY_A_MODE,			/* u8, enum krelay_mode */
	KRELAY_A_CONNECT_TIMEOUT_MS,	/* u32, 1..600000, default 5000 */
	KRELAY_A_IDLE_TIMEOUT_MS,	/* u32, 0 (off)..86400000, default 0 */
	KRELAY_A_BACKLOG,		/* u32, 1..65535, default 128 */
	KRELAY_A_STATS,			/* nest, enum krelay_stats_attr */
	KRELAY_A_RULE_COUNT,		/* u32 */
	KRELAY_A_CONN,			/* nest, enum krelay_conn_attr */
	KRELAY_A_CONN_ID,		/* u64 */

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

/*
 * Counters, all u64 (padded with KRELAY_STATS_A_PAD).  Every connection that
 * was accepted is ACTIVE until it ends, and then counted in exactly one of
 * CLOSED, RESET, FAILED, IDLE_TIMEOUT, ABORTED.  CONNECT_TIMEOUT and
 * CONNECT_REFUSED are subsets of FAILED (counted in both).
 *
 * FAILED: backend connect failed (refused, unreachable or timed out).
 * ABORTED: ended by rule delete, conn kill, module unload or netns exit.
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
