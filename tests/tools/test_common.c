// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for common.c: SHA-256 against FIPS 180-4 / NIST vectors,
 * incremental hashing, the byte stream, size and address parsing.
 *
 *   test_common              run the tests, exit 0 iff all pass
 *   test_common stream SEED BYTES
 *                            write the stream to stdout (the Makefile
 *                            compares its SHA-256 with sha256sum's)
 *   test_common sha256       SHA-256 of stdin, sha256sum-style line
 */
#define _GNU_SOURCE
#include "common.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

static void sha_hex(const void *p, size_t n, char out[65])
{
	struct kr_sha256 c;
	uint8_t d[32];

	kr_sha256_init(&c);
	kr_sha256_update(&c, p, n);
	kr_sha256_final(&c, d);
	kr_hex(d, 32, out);
}

static void test_sha256(void)
{
	static const struct { const char *msg, *hex; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
		{ "The quick brown fox jumps over the lazy dog",
		  "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592" },
	};
	char hex[65];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha_hex(v[i].msg, strlen(v[i].msg), hex);
		if (strcmp(hex, v[i].hex))
			fprintf(stderr, "sha256('%s') = %s, want %s\n", v[i].msg, hex, v[i].hex);
		CHECK(strcmp(hex, v[i].hex) == 0);
	}

	/* one million 'a', fed in odd-sized pieces */
	{
		struct kr_sha256 c;
		char a[997];
		uint8_t d[32];
		size_t left = 1000000;

		memset(a, 'a', sizeof(a));
		kr_sha256_init(&c);
		while (left) {
			size_t m = left < sizeof(a) ? left : sizeof(a);

			kr_sha256_update(&c, a, m);
			left -= m;
		}
		kr_sha256_final(&c, d);
		kr_hex(d, 32, hex);
		CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
	}

	/* every length 0..300 around the padding boundaries, all split points */
	{
		uint8_t buf[300], d1[32], d2[32];
		size_t n, s;

		kr_stream_fill(7, 0, buf, sizeof(buf));
		for (n = 0; n <= sizeof(buf); n++) {
			struct kr_sha256 c;

			kr_sha256_init(&c);
			kr_sha256_update(&c, buf, n);
			kr_sha256_final(&c, d1);
			for (s = 0; s <= n; s += 7) {
				kr_sha256_init(&c);
				kr_sha256_update(&c, buf, s);
				kr_sha256_update(&c, buf + s, n - s);
				kr_sha256_final(&c, d2);
				CHECK(memcmp(d1, d2, 32) == 0);
			}
		}
	}
}

static void test_stream(void)
{
	uint8_t a[1000], b[1000];
	size_t off, n;

	kr_stream_fill(42, 0, a, sizeof(a));
	/* random access: any (offset, length) window equals the slice */
	for (off = 0; off < 40; off++)
		for (n = 0; n < 40; n++) {
			kr_stream_fill(42, off, b, n);
			CHECK(memcmp(a + off, b, n) == 0);
		}
	CHECK(kr_stream_cmp(42, 100, a + 100, 900) == 900);
	memcpy(b, a, sizeof(a));
	b[777] ^= 1;
	CHECK(kr_stream_cmp(42, 0, b, sizeof(b)) == 777);
	CHECK(kr_stream_cmp(42, 700, b + 700, 300) == 77);
	kr_stream_fill(43, 0, b, sizeof(b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
}

static void test_rng(void)
{
	struct kr_rng r;
	int i, small = 0, large = 0;

	kr_rng_seed(&r, 1);
	for (i = 0; i < 10000; i++) {
		uint64_t x = kr_rng_logrange(&r, 1, 8 << 20);

		CHECK(x >= 1 && x <= (8 << 20));
		small += x < 1024;
		large += x > (1 << 20);
		x = kr_rng_range(&r, 5, 9);
		CHECK(x >= 5 && x <= 9);
	}
	CHECK(small > 3000 && large > 1000);	/* log-uniform: both occur */
	CHECK(kr_rng_logrange(&r, 0, 0) == 0);
	CHECK(kr_rng_logrange(&r, 3, 3) == 3);
}

static void test_parse(void)
{
	struct kr_addr a;
	char buf[KR_ADDRSTRLEN];
	uint64_t v;
	double d;

	CHECK(kr_parse_size("0", &v) == 0 && v == 0);
	CHECK(kr_parse_size("17", &v) == 0 && v == 17);
	CHECK(kr_parse_size("8K", &v) == 0 && v == 8192);
	CHECK(kr_parse_size("8m", &v) == 0 && v == 8 << 20);
	CHECK(kr_parse_size("2G", &v) == 0 && v == 2ull << 30);
	CHECK(kr_parse_size("", &v) != 0);
	CHECK(kr_parse_size("K", &v) != 0);
	CHECK(kr_parse_size("-1", &v) != 0);
	CHECK(kr_parse_size("1KB", &v) != 0);
	CHECK(kr_parse_size("1T", &v) != 0);
	CHECK(kr_parse_size("99999999999999999999", &v) != 0);
	CHECK(kr_parse_size("17179869184G", &v) != 0);
	CHECK(kr_parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX);
	CHECK(kr_parse_u64("18446744073709551616", &v) != 0);
	CHECK(kr_parse_u64("12x", &v) != 0);
	CHECK(kr_parse_secs("1.5", &d) == 0 && d == 1.5);
	CHECK(kr_parse_secs("-1", &d) != 0);
	CHECK(kr_parse_secs("nan", &d) != 0);
	CHECK(kr_parse_secs("1s", &d) != 0);

	CHECK(kr_parse_addr("127.0.0.1:80", &a) == 0);
	CHECK(strcmp(kr_addr_str(&a, buf), "127.0.0.1:80") == 0);
	CHECK(kr_parse_addr("[::1]:65535", &a) == 0 && kr_addr_family(&a) == AF_INET6);
	CHECK(strcmp(kr_addr_str(&a, buf), "[::1]:65535") == 0);
	CHECK(kr_parse_addr("[::ffff:1.2.3.4]:1", &a) == 0);
	CHECK(kr_parse_addr("::1:80", &a) != 0);
	CHECK(kr_parse_addr("[1.2.3.4]:80", &a) != 0);
	CHECK(kr_parse_addr("127.0.0.1:65536", &a) != 0);
	CHECK(kr_parse_addr("127.0.0.1:", &a) != 0);
	CHECK(kr_parse_addr("127.0.0.1", &a) != 0);
	CHECK(kr_parse_addr("localhost:80", &a) != 0);
	CHECK(kr_parse_addr("[::1]80", &a) != 0);
	CHECK(kr_parse_addr(":80", &a) != 0);

	CHECK(kr_parse_ip("127.0.0.250", &a) == 0);
	kr_addr_add(&a, 10);
	CHECK(strcmp(kr_addr_str(&a, buf), "127.0.1.4:0") == 0);
	CHECK(kr_parse_ip("fd00::ffff", &a) == 0);
	kr_addr_add(&a, 1);
	CHECK(strcmp(kr_addr_str(&a, buf), "[fd00::1:0]:0") == 0);
}

int main(int argc, char **argv)
{
	kr_prog = "test_common";
	if (argc == 4 && !strcmp(argv[1], "stream")) {
		uint64_t seed, left, off = 0;
		static uint8_t buf[65536];

		if (kr_parse_u64(argv[2], &seed) || kr_parse_size(argv[3], &left))
			return KR_EXIT_USAGE;
		while (left) {
			size_t m = left < sizeof(buf) ? left : sizeof(buf);

			kr_stream_fill(seed, off, buf, m);
			if (fwrite(buf, 1, m, stdout) != m)
				return KR_EXIT_FAIL;
			off += m;
			left -= m;
		}
		return KR_EXIT_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "sha256")) {
		static uint8_t buf[65536];
		struct kr_sha256 c;
		uint8_t d[32];
		char hex[65];
		ssize_t n;

		kr_sha256_init(&c);
		while ((n = read(0, buf, sizeof(buf))) > 0)
			kr_sha256_update(&c, buf, (size_t)n);
		kr_sha256_final(&c, d);
		kr_hex(d, 32, hex);
		printf("%s  -\n", hex);
		return n < 0 ? KR_EXIT_FAIL : KR_EXIT_OK;
	}
	test_sha256();
	test_stream();
	test_rng();
	test_parse();
	if (failures) {
		fprintf(stderr, "test_common: %d check(s) failed\n", failures);
		return KR_EXIT_FAIL;
	}
	printf("test_common: all tests passed\n");
	return KR_EXIT_OK;
}
