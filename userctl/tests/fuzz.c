// SPDX-License-Identifier: GPL-2.0
/*
 * Mutation fuzzer of userctl's config reader and command-line parser, built
 * with -fsanitize=address,undefined (any report aborts the run).
 *
 *	fuzz [ITERATIONS [SEED]]
 *
 * Each iteration takes a seed input, applies a few random mutations (byte
 * flips, inserts, deletes, splices, dictionary tokens) and feeds it to
 * config_parse() or, split into words, to cmdline_parse().  Besides "no
 * crash", it checks invariants: a config that parses writes out text that
 * reads back to the same text; every error is one line naming FILE:LINE:COL.
 * Deterministic for a given seed (a fixed xorshift generator).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "config.h"
#include "parse.h"

#define MAX_INPUT 2048

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t rndn(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static const char *const config_seeds[] = {
	"# rinetd.conf\nlogfile /var/log/rinetd.log\nallow 192.168.*.*\n"
	"deny 192.168.7.*\n0.0.0.0 8080 10.0.0.1 80 [timeout=60,src=10.0.0.9,keepalive=on]\n"
	"allow 10.*\n",
	":: 9090 [::1] 90 [backend=10.0.0.2:80/3,weight=2,sched=wrr,holddown=5s,mode=copy,"
	"connect-timeout=2s,backlog=256,mark=7,idle-timeout=1500ms]\ndeny fd00::/8\n",
	"127.0.0.1 7000 127.0.0.1 7001\r\n127.0.0.1 7002 127.0.0.1 7003 [src=[::1]:4000]\n",
	"allow *\ndeny 1.2.3.4\nallow 10.1.128.0/17\npidlogfile /run/x\n",
};

static const char *const argv_seeds[] = {
	"rule add 0.0.0.0:9000 to 10.0.0.1:80 weight 2 to [::1]:81 sched wrr holddown 5s "
	"src 10.0.0.9 mark 7 keepalive 30 allow 10.0.0.0/8 deny fd00::/8",
	"rule set id 3 to 10.0.0.5:80 weight 4 sched lc src none acl flush mark 9 idle-timeout off",
	"-j -t monitor conn backend count 3",
	"backend set *:9000 10.0.0.3:80 weight 1",
	"acl add deny 10.9.0.0/16",
	"apply x.conf --dry-run",
	"-s -h conn list rule id 4",
	"stats show [::1]:80",
};

static const char *const dict[] = {
	"[", "]", "=", ",", "*", "?", ".", ":", "::", "/", "#", "\n", " ", "\t",
	"\r", "0", "255", "256", "65535", "65536", "4294967295", "4294967296",
	"0.0.0.0", "[::1]", "allow ", "deny ", "logfile", "timeout=", "backend=",
	"weight=", "src=", "keepalive=", "sched=", "holddown=", "mode=",
	"connect-timeout=", "idle-timeout=", "backlog=", "mark=", "proxy-protocol=",
	"transparent=", "v1", "v2", "on", "/udp", "ms",
	"d", "to", "weight", "id", "help", "off", "none", "flush", "-", "--",
	"\xff", "%s%n",
};

/* Apply 1-4 random mutations to buf[0..*len) (capacity MAX_INPUT). */
static void mutate(char *buf, size_t *len)
{
	int k, rounds = 1 + (int)rndn(4);

	for (k = 0; k < rounds; k++) {
		size_t n = *len, pos = rndn(n + 1);

		switch (rndn(6)) {
		case 0:		/* flip a byte */
			if (n)
				buf[rndn(n)] ^= (char)(1u << rndn(8));
			break;
		case 1:		/* random byte */
			if (n < MAX_INPUT) {
				memmove(buf + pos + 1, buf + pos, n - pos);
				buf[pos] = (char)rndn(256);
				(*len)++;
			}
			break;
		case 2: {	/* delete a run */
			size_t l = 1 + rndn(8);

			if (pos + l <= n) {
				memmove(buf + pos, buf + pos + l, n - pos - l);
				*len -= l;
			}
			break;
		}
		case 3: {	/* duplicate a run */
			size_t from = rndn(n + 1), l = rndn(32);

			char run[32];

			if (from + l <= n && n + l <= MAX_INPUT) {
				memcpy(run, buf + from, l);
				memmove(buf + pos + l, buf + pos, n - pos);
				memcpy(buf + pos, run, l);
				*len += l;
			}
			break;
		}
		default: {	/* dictionary token */
			const char *t = dict[rndn(sizeof(dict) / sizeof(dict[0]))];
			size_t l = strlen(t);

			if (n + l <= MAX_INPUT) {
				memmove(buf + pos + l, buf + pos, n - pos);
				memcpy(buf + pos, t, l);
				*len += l;
			}
			break;
		}
		}
	}
}

static void die(const char *what, const char *in, size_t len)
{
	fprintf(stderr, "fuzz: %s; input (%zu bytes):\n", what, len);
	fwrite(in, 1, len, stderr);
	fputc('\n', stderr);
	abort();
}

static char *write_config(const struct uc_config *cfg)
{
	char *out = NULL;
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);

	if (!f)
		abort();
	config_write(f, cfg->rules, cfg->nrules, &cfg->global);
	fclose(f);
	return out;
}

static void one_config(const char *in, size_t len)
{
	struct uc_config cfg, again;
	char err[512];
	char *t1, *t2;

	if (config_parse("f.conf", in, len, &cfg, err, sizeof(err), NULL, NULL)) {
		if (strncmp(err, "f.conf:", 7) != 0 || strchr(err, '\n'))
			die("malformed error message", in, len);
		if (cfg.nrules || cfg.rules)
			die("rules left after an error", in, len);
		config_free(&cfg);
		return;
	}
	t1 = write_config(&cfg);
	if (config_parse("export", t1, strlen(t1), &again, err, sizeof(err),
			 NULL, NULL))
		die(err, t1, strlen(t1));
	t2 = write_config(&again);
	if (strcmp(t1, t2) != 0 || again.nrules != cfg.nrules)
		die("export does not round-trip", in, len);
	free(t1);
	free(t2);
	config_free(&cfg);
	config_free(&again);
}

static void one_argv(char *in, size_t len)
{
	struct userctl_cmd *cmd = malloc(sizeof(*cmd));
	char *argv[64], err[512], *p, *save = NULL;
	int argc = 0;

	if (!cmd)
		abort();
	in[len] = '\0';
	argv[argc++] = "userctl";
	for (p = strtok_r(in, " ", &save); p && argc < 63;
	     p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	argv[argc] = NULL;
	if (cmdline_parse(argc, argv, cmd, err, sizeof(err)) &&
	    (!err[0] || strchr(err, '\n')))
		die("usage error without a one-line message", err, strlen(err));
	free(cmd);
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	char buf[MAX_INPUT + 1];
	unsigned long i;

	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x9e3779b97f4a7c15ULL;
	if (!rng_state)
		rng_state = 1;
	for (i = 0; i < iters; i++) {
		int cfg = rndn(4) != 0;	/* 3/4 config, 1/4 argv */
		const char *seed = cfg ?
			config_seeds[rndn(sizeof(config_seeds) / sizeof(config_seeds[0]))] :
			argv_seeds[rndn(sizeof(argv_seeds) / sizeof(argv_seeds[0]))];
		size_t len = strlen(seed);

		memcpy(buf, seed, len);
		mutate(buf, &len);
		if (cfg)
			one_config(buf, len);
		else
			one_argv(buf, len);
	}
	printf("fuzz: %lu iterations, no crash, invariants held\n", iters);
	return 0;
}
