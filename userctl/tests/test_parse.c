// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of userctl/parse.c: endpoints, numbers, durations, keywords and
 * the formatting helpers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "parse.h"

/* ---- endpoints ---------------------------------------------------- */

static void ep_ok(const char *in, const char *canon)
{
	struct krelay_endpoint ep;
	char err[256] = "", out[64];

	if (parse_endpoint(in, &ep, err, sizeof(err)) != 0)
		fail_msg("parse_endpoint(\"%s\") failed: %s", in, err);
	fmt_endpoint(&ep, out, sizeof(out));
	assert_string_equal(out, canon);
}

static void ep_bad(const char *in, const char *needle)
{
	struct krelay_endpoint ep;
	char err[256] = "";

	if (parse_endpoint(in, &ep, err, sizeof(err)) == 0)
		fail_msg("parse_endpoint(\"%s\") accepted", in);
	if (!strstr(err, needle))
		fail_msg("error for \"%s\" is \"%s\", lacks \"%s\"", in, err,
			 needle);
}

static void test_endpoint_ipv4(void **state)
{
	struct krelay_endpoint ep;
	char err[128];

	(void)state;
	ep_ok("1.2.3.4:80", "1.2.3.4:80");
	ep_ok("127.0.0.1:65535", "127.0.0.1:65535");
	ep_ok("0.0.0.0:9000", "0.0.0.0:9000");
	ep_ok("10.0.0.1:1", "10.0.0.1:1");

	/* network byte order in the struct, host order port */
	assert_int_equal(parse_endpoint("1.2.3.4:8080", &ep, err, sizeof(err)), 0);
	assert_int_equal(ep.family, AF_INET);
	assert_int_equal(ep.addr.v4.s_addr, htonl(0x01020304));
	assert_int_equal(ep.port, 8080);
}

static void test_endpoint_ipv6(void **state)
{
	struct krelay_endpoint ep;
	char err[128];

	(void)state;
	ep_ok("[::1]:80", "[::1]:80");
	ep_ok("[::]:9000", "[::]:9000");
	ep_ok("[2001:DB8:0:0::1]:443", "[2001:db8::1]:443");
	ep_ok("[::ffff:1.2.3.4]:80", "[::ffff:1.2.3.4]:80");

	assert_int_equal(parse_endpoint("[fe80::2]:22", &ep, err, sizeof(err)), 0);
	assert_int_equal(ep.family, AF_INET6);
	assert_int_equal(ep.addr.v6.s6_addr[0], 0xfe);
	assert_int_equal(ep.addr.v6.s6_addr[15], 2);
	assert_int_equal(ep.port, 22);
}

static void test_endpoint_wildcard(void **state)
{
	struct krelay_endpoint ep;
	char err[128];

	(void)state;
	ep_ok("*:9000", "0.0.0.0:9000");
	ep_ok(":9000", "0.0.0.0:9000");
	assert_int_equal(parse_endpoint("*:1", &ep, err, sizeof(err)), 0);
	assert_int_equal(ep.family, AF_INET);
	assert_int_equal(ep.addr.v4.s_addr, 0);
}

static void test_endpoint_ports(void **state)
{
	(void)state;
	ep_bad("1.2.3.4:0", "invalid port \"0\" in \"1.2.3.4:0\": must be 1-65535");
	ep_bad("1.2.3.4:65536", "invalid port \"65536\"");
	ep_bad("1.2.3.4:70000",
	       "invalid port \"70000\" in \"1.2.3.4:70000\": must be 1-65535");
	ep_bad("1.2.3.4:99999999999999999999999", "invalid port");
	ep_bad("1.2.3.4:-1", "invalid port \"-1\"");
	ep_bad("1.2.3.4:+80", "invalid port \"+80\"");
	ep_bad("1.2.3.4: 80", "invalid port");
	ep_bad("1.2.3.4:80x", "invalid port \"80x\"");
	ep_bad("1.2.3.4:http", "invalid port \"http\"");
	ep_bad("[::1]:0", "invalid port \"0\"");
	ep_bad("[::1]:65536", "must be 1-65535");
	ep_bad("*:0", "invalid port");
	ep_bad("1.2.3.4:", "missing port in \"1.2.3.4:\"");
	ep_bad("[::1]:", "missing port");
}

static void test_endpoint_bad_addresses(void **state)
{
	(void)state;
	ep_bad("1.2.3:9000", "\"1.2.3:9000\"");
	ep_bad("1.2.3.256:80", "invalid address \"1.2.3.256\"");
	ep_bad("1.2.3.4.5:80", "invalid address");
	ep_bad("nowhere:80", "\"nowhere:80\"");
	ep_bad("localhost:80", "invalid address \"localhost\"");
	ep_bad("::1:80", "need brackets");
	ep_bad("[::1]80", "expected [IPV6]:PORT");
	ep_bad("[::1", "missing \"]\"");
	ep_bad("[]:80", "invalid IPv6 address");
	ep_bad("[1.2.3.4]:80", "invalid IPv6 address \"1.2.3.4\"");
	ep_bad("[fe80::1%eth0]:80", "invalid IPv6 address");
	ep_bad("[::g]:80", "invalid IPv6 address");
	ep_bad("**:80", "invalid address \"**\"");
	ep_bad(" 1.2.3.4:80", "invalid address");
}

static void test_endpoint_garbage(void **state)
{
	(void)state;
	ep_bad("", "invalid endpoint \"\"");
	ep_bad("garbage", "invalid endpoint \"garbage\"");
	ep_bad("1.2.3.4", "missing port");
	ep_bad(":", "missing port");
	ep_bad("80", "invalid endpoint \"80\"");
	ep_bad("[", "missing \"]\"");
	ep_bad("]:80", "invalid address");
	ep_bad("1.2.3.4:80:90", "brackets");
}

/* ---- numbers and durations ---------------------------------------- */

static void test_numbers(void **state)
{
	uint64_t v;
	uint32_t u;

	(void)state;
	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u64("", &v), -EINVAL);
	assert_int_equal(parse_u64("-1", &v), -EINVAL);
	assert_int_equal(parse_u64("1e3", &v), -EINVAL);
	assert_int_equal(parse_u64("0x10", &v), -EINVAL);
	assert_int_equal(parse_u64("12 ", &v), -EINVAL);

	assert_int_equal(parse_u32_range("128", 1, 65535, &u), 0);
	assert_int_equal(u, 128);
	assert_int_equal(parse_u32_range("0", 1, 65535, &u), -ERANGE);
	assert_int_equal(parse_u32_range("65536", 1, 65535, &u), -ERANGE);
	assert_int_equal(parse_u32_range("4294967295", 1, UINT32_MAX, &u), 0);
	assert_int_equal(parse_u32_range("4294967296", 1, UINT32_MAX, &u),
			 -ERANGE);

	assert_int_equal(parse_mark("42", &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(parse_mark("0x2a", &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(parse_mark("0XFFFFFFFF", &u), 0);
	assert_true(u == UINT32_MAX);
	assert_int_equal(parse_mark("0x100000000", &u), -EINVAL);
	assert_int_equal(parse_mark("0x", &u), -EINVAL);
	assert_int_equal(parse_mark("0x2g", &u), -EINVAL);
	assert_int_equal(parse_mark("4294967296", &u), -ERANGE);
}

static void test_durations(void **state)
{
	uint32_t ms;
	char buf[32];

	(void)state;
	assert_int_equal(parse_duration_ms("500", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(parse_duration_ms("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(parse_duration_ms("5s", &ms), 0);
	assert_int_equal(ms, 5000);
	assert_int_equal(parse_duration_ms("10m", &ms), 0);
	assert_int_equal(ms, 600000);
	assert_int_equal(parse_duration_ms("1h", &ms), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(parse_duration_ms("1d", &ms), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(parse_duration_ms("0", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(parse_duration_ms("", &ms), -EINVAL);
	assert_int_equal(parse_duration_ms("s", &ms), -EINVAL);
	assert_int_equal(parse_duration_ms("5 s", &ms), -EINVAL);
	assert_int_equal(parse_duration_ms("5x", &ms), -EINVAL);
	assert_int_equal(parse_duration_ms("1.5s", &ms), -EINVAL);
	assert_int_equal(parse_duration_ms("-5", &ms), -EINVAL);
	assert_int_equal(parse_duration_ms("50d", &ms), -ERANGE);
	assert_int_equal(parse_duration_ms("99999999999999999999999", &ms),
			 -ERANGE);

	fmt_duration_ms(5000, buf, sizeof(buf));
	assert_string_equal(buf, "5s");
	fmt_duration_ms(1500, buf, sizeof(buf));
	assert_string_equal(buf, "1500ms");
	fmt_duration_ms(600000, buf, sizeof(buf));
	assert_string_equal(buf, "10m");
	fmt_duration_ms(7200000, buf, sizeof(buf));
	assert_string_equal(buf, "2h");
	fmt_duration_ms(86400000, buf, sizeof(buf));
	assert_string_equal(buf, "1d");
	/* what fmt prints, parse reads back */
	assert_int_equal(parse_duration_ms("1500ms", &ms), 0);
	assert_int_equal(ms, 1500);
}

static void test_format(void **state)
{
	char buf[32];

	(void)state;
	fmt_bytes(1234567, 0, buf, sizeof(buf));
	assert_string_equal(buf, "1234567");
	fmt_bytes(1023, 1, buf, sizeof(buf));
	assert_string_equal(buf, "1023B");
	fmt_bytes(1536, 1, buf, sizeof(buf));
	assert_string_equal(buf, "1.5KiB");
	fmt_bytes(3ULL << 20, 1, buf, sizeof(buf));
	assert_string_equal(buf, "3.0MiB");
	fmt_bytes((5ULL << 30) + (1ULL << 29), 1, buf, sizeof(buf));
	assert_string_equal(buf, "5.5GiB");
	fmt_bytes((1ULL << 20) - 1, 1, buf, sizeof(buf));
	assert_string_equal(buf, "1.0MiB");
	fmt_bytes(UINT64_MAX, 1, buf, sizeof(buf));
	assert_string_equal(buf, "16.0EiB");

	fmt_age_ms(850, buf, sizeof(buf));
	assert_string_equal(buf, "850ms");
	fmt_age_ms(12345, buf, sizeof(buf));
	assert_string_equal(buf, "12.3s");
	fmt_age_ms(303000, buf, sizeof(buf));
	assert_string_equal(buf, "5m03s");
	fmt_age_ms(7500000, buf, sizeof(buf));
	assert_string_equal(buf, "2h05m");
	fmt_age_ms(273600000, buf, sizeof(buf));
	assert_string_equal(buf, "3d04h");
}

/* ---- keywords ----------------------------------------------------- */

static const struct keyword words[] = {
	{ "add", 1 }, { "del", 2 }, { "delete", 2 }, { "set", 3 },
	{ "list", 4 }, { "show", 4 }, { "ls", 4 },
};

static void test_keywords(void **state)
{
	char buf[128];
	int id = -1;
	size_t n = sizeof(words) / sizeof(words[0]);

	(void)state;
	assert_int_equal(kw_match("add", words, n, &id), KW_OK);
	assert_int_equal(id, 1);
	assert_int_equal(kw_match("a", words, n, &id), KW_OK);
	assert_int_equal(id, 1);
	/* aliases sharing an id are not ambiguous */
	assert_int_equal(kw_match("d", words, n, &id), KW_OK);
	assert_int_equal(id, 2);
	assert_int_equal(kw_match("dele", words, n, &id), KW_OK);
	assert_int_equal(id, 2);
	assert_int_equal(kw_match("l", words, n, &id), KW_OK);
	assert_int_equal(id, 4);
	assert_int_equal(kw_match("sh", words, n, &id), KW_OK);
	assert_int_equal(id, 4);
	assert_int_equal(kw_match("se", words, n, &id), KW_OK);
	assert_int_equal(id, 3);
	/* ambiguous, unknown */
	assert_int_equal(kw_match("s", words, n, &id), KW_AMBIGUOUS);
	assert_int_equal(kw_match("x", words, n, &id), KW_UNKNOWN);
	assert_int_equal(kw_match("adds", words, n, &id), KW_UNKNOWN);
	assert_int_equal(kw_match("", words, n, &id), KW_UNKNOWN);
	assert_int_equal(kw_match("ADD", words, n, &id), KW_UNKNOWN);

	kw_list("s", words, n, buf, sizeof(buf));
	assert_string_equal(buf, "set, show");
	kw_list(NULL, words, n, buf, sizeof(buf));
	assert_string_equal(buf, "add, del, set, list");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_ipv4),
		cmocka_unit_test(test_endpoint_ipv6),
		cmocka_unit_test(test_endpoint_wildcard),
		cmocka_unit_test(test_endpoint_ports),
		cmocka_unit_test(test_endpoint_bad_addresses),
		cmocka_unit_test(test_endpoint_garbage),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_keywords),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
