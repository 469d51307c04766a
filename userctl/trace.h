/* SPDX-License-Identifier: GPL-2.0 */
/*
 * userctl trace: read the reports of the krelay_trace kernel module out of
 * the kernel log and print the latest one, readable or as JSON.
 *
 * krelay_trace prints each report as a block of "krelay_trace: TAG seq=N
 * key=value ..." lines ending with "end seq=N lines=N" (the grammar is
 * documented in kprobes/report.h).  The log is read from /dev/kmsg
 * (non-blocking), else with klogctl(2), or from a saved log (-f FILE).
 */
#ifndef USERCTL_TRACE_H
#define USERCTL_TRACE_H

struct trace_opts {
	int json;	/* print JSON instead of text */
	int pretty;	/* indent the JSON */
};

/*
 * Run "userctl trace ...": argv[0] is the "trace" word as typed, argv[1..]
 * its arguments (global options were consumed by userctl).  Returns the
 * process exit code: 0 ok, 1 runtime error (no report found, log not
 * readable), 2 usage error.
 */
int trace_main(int argc, char **argv, const struct trace_opts *opts);

#endif /* USERCTL_TRACE_H */
