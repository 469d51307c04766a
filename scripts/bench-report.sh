#!/usr/bin/env bash
# Turn a `make bench` result directory into a Markdown report and a chart.
#
#   scripts/bench-report.sh DIR [OUT.md [OUT.png]]
#
# DIR holds raw.txt as written by tests/vm/bench.sh (one record a line,
# "TAG key=value ...").  Defaults: DIR.md and DIR.png next to DIR.  Every
# setup named in the meta line appears in every table; one whose runs all
# failed (or never ran, e.g. because the VM died) shows FAILED.  Values are
# the median of the rounds with [min-max] and n, the number of runs behind
# them.  DIR/host.txt (scripts/hostmon.sh) says how much of the host's CPUs
# other work used during each run ("host other %"): a run above
# BENCH_MAX_OTHER % (default 10) is contended, reported and counted, but
# left out of the medians.
# CPU seconds per GB = busy jiffies (user+nice+system+irq+softirq+steal of
# /proc/stat, USER_HZ=100) / 100 / (bytes received / 1e9); context
# switches per GB = /proc/stat ctxt delta / (bytes / 1e9): both count the
# whole guest (client, server and relay) during the iperf3 run.  DIR/logs/
# trace-SETUP.txt (the traced run's tracer report) gives the switches per
# task: the relay's own against the endpoints' and the idle task's.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,4p' "$0" >&2; exit 2; }
DIR=${1%/}
MD=${2:-$DIR.md}
PNG=${3:-$DIR.png}
RAW=$DIR/raw.txt
[ -f "$RAW" ] || { echo "bench-report: no $RAW" >&2; exit 1; }
HOST=$DIR/host.txt
[ -f "$HOST" ] || HOST=/dev/null
MAXOTHER=${BENCH_MAX_OTHER:-10}
DAT=$DIR/chart.dat

# What the host knows (the guest cannot see the VM's exit status).
vm_note=
if [ ! -f "$DIR/done" ]; then
	vm_note="the VM did not finish"
	[ -f "$DIR/timeout" ] && vm_note="the VM timed out"
	grep -qs 'Kernel panic' "$DIR/serial.log" && vm_note="the guest kernel panicked"
fi
klog=$(grep -sE 'BUG:|WARNING:|Oops|KASAN|general protection|Kernel panic|blocked for more than' \
	"$DIR/dmesg.txt" "$DIR/serial.log" | head -n 3 | cut -c1-200 | tr '\n' ';' || true)
params=$(head -n1 "$DIR/params" 2>/dev/null || true)
hostload=$(sed -n 's/^host: //p' "$DIR/params" 2>/dev/null || true)
rel=$(basename "$DIR")

awk -v vm_note="$vm_note" -v hostload="$hostload" -v klog="$klog" -v params="$params" -v rel="$rel" \
	-v dat="$DAT" -v png="$(basename "$PNG")" -v hostf="$HOST" -v maxother="$MAXOTHER" -v logs="$DIR/logs" '
function kv(line, arr,    n, i, f, p) {
	n = split(line, f, " ")
	for (i = 2; i <= n; i++) {
		p = index(f[i], "=")
		if (p > 1) arr[substr(f[i], 1, p - 1)] = substr(f[i], p + 1)
	}
}
function add(key, v) { cnt[key]++; val[key, cnt[key]] = v + 0 }
# stats(key): sets MED, MIN, MAX, N; returns N
function stats(key,    n, i, j, a, t) {
	n = cnt[key] + 0
	N = n
	if (!n) return 0
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
	MIN = a[1]; MAX = a[n]
	MED = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	return n
}
function med(key) { return stats(key) ? MED : "" }
function num(x, kind) {
	if (x == "") return "n/a"
	if (kind == "gbps") return sprintf(x < 10 ? "%.2f" : "%.1f", x)
	if (kind == "cpu") return sprintf(x < 10 ? "%.2f" : "%.1f", x)
	if (kind == "big") {
		if (x >= 1e6) return sprintf("%.2fM", x / 1e6)
		if (x >= 1e4) return sprintf("%.0fk", x / 1e3)
		if (x >= 1e3) return sprintf("%.1fk", x / 1e3)
		return sprintf("%.0f", x)
	}
	if (kind == "us") return sprintf(x < 100 ? "%.1f" : "%.0f", x)
	if (kind == "dec1") return sprintf("%.1f", x)
	return sprintf("%.0f", x)
}
# cell(setup, test, metric, kind): "median [min-max]" or FAILED
function cell(s, t, m, kind,    k, c, f) {
	k = s SUBSEP t SUBSEP m
	f = nfail[s, t] + 0
	if (!stats(k)) {
		if (ncont[s, t] && !f) return "contended (" ncont[s, t] " left out)"
		if (f || setup_failed[s] || ran[s, t] || !(s in setup_seen)) return "FAILED"
		return "n/a"
	}
	c = num(MED, kind)
	if (N > 1) c = c " [" num(MIN, kind) "–" num(MAX, kind) "]"
	c = c " n=" N
	if (f) c = c " (" f " failed)"
	if (ncont[s, t]) c = c " (" ncont[s, t] " contended)"
	return c
}
function ratio(a, b) {
	if (a == "" || b == "" || b == 0) return "n/a"
	return sprintf("%.2f×", a / b)
}
function row(s) { return "| " (s ~ /^krelay/ ? "**" s "**" : s) }
# host.txt: CPU the rest of the host used between two samples with the same
# mark is charged to that run (samples across a mark change are dropped)
FILENAME == hostf {
	if ($1 == "meta") { host_seen = 1; next }
	if ($1 != "tick") next
	delete r; kv($0, r)
	if (hp_ok && hp_mark == r["mark"] && r["mark"] != "idle") {
		hob[r["mark"]] += (r["busy"] - hp_busy) - (r["qemu"] - hp_qemu)
		hot[r["mark"]] += r["total"] - hp_total
	}
	hp_ok = 1; hp_mark = r["mark"]; hp_busy = r["busy"]; hp_total = r["total"]; hp_qemu = r["qemu"]
	next
}
$1 == "meta" { kv($0, meta); next }
$1 == "setup" {
	delete r; kv($0, r)
	setup_seen[r["name"]] = 1
	if (r["status"] != "ok") { setup_failed[r["name"]] = 1; setup_why[r["name"]] = r["why"] }
	next
}
$1 == "run" {
	delete r; kv($0, r)
	s = r["setup"]; t = r["test"]; ran[s, t] = 1
	if (r["status"] != "ok") {
		nfail[s, t]++
		if (!((s, t) in fail_why)) fail_why[s, t] = r["why"]
		next
	}
	hk = r["rep"] "," s "," t
	if (hot[hk] > 0) {
		o = hob[hk] * 100 / hot[hk]
		if (o < 0) o = 0
		add("all" SUBSEP "other", o)
		add(s SUBSEP "all" SUBSEP "other", o)
		if (o > maxother) { ncont[s, t]++; ncont_all++; next }
	} else if (host_seen) nhost_missing++
	if (t ~ /^p[18]r?$/) {
		gb = r["bytes"] / 1e9
		add(s SUBSEP t SUBSEP "gbps", r["bps"] / 1e9)
		if (gb > 0) {
			add(s SUBSEP t SUBSEP "cpu", r["busy_j"] / 100 / gb)
			add(s SUBSEP t SUBSEP "ctxt", r["ctxt"] / gb)
		}
	} else if (t == "crate") {
		add(s SUBSEP t SUBSEP "cps", r["rr.conn_per_sec"])
		if (r["rr.count"] > 0) add(s SUBSEP t SUBSEP "cpu_c", r["busy_j"] * 1e4 / r["rr.count"])
		if (r["rr.count"] > 0) add(s SUBSEP t SUBSEP "ctxt_c", r["ctxt"] / r["rr.count"])
	} else if (t == "lat" || t == "lat16k") {
		add(s SUBSEP t SUBSEP "p50", r["rr.p50_us"])
		add(s SUBSEP t SUBSEP "p99", r["rr.p99_us"])
		add(s SUBSEP t SUBSEP "p999", r["rr.p999_us"])
		add(s SUBSEP t SUBSEP "rps", r["rr.req_per_sec"])
	}
	next
}
$1 == "trace" {
	delete r; kv($0, r)
	s = r["setup"]
	if (r["status"] != "ok" || r["tracer"] != "ok") {
		tr_fail[s] = (r["why"] != "" ? r["why"] : "no tracer report")
		next
	}
	gb = r["bytes"] / 1e9
	if (gb <= 0) { tr_fail[s] = "no bytes"; next }
	tr_ok[s] = 1
	tr_gb[s] = gb
	tr_msg[s] = (r["probe_sendmsg"] == "ok") ? r["sendmsg_calls"] / gb : ""
	tr_msgb[s] = (r["probe_sendmsg"] == "ok" && r["sendmsg_calls"] > 0) ? r["sendmsg_bytes"] / r["sendmsg_calls"] : ""
	tr_pg[s] = (r["probe_sendpage"] == "ok") ? r["sendpage_calls"] / gb : ""
	tr_pgb[s] = (r["probe_sendpage"] == "ok" && r["sendpage_calls"] > 0) ? r["sendpage_bytes"] / r["sendpage_calls"] : ""
	tr_sw[s] = (r["probe_sched"] == "ok") ? r["switches"] / gb : ""
	tr_wk[s] = (r["probe_wakeup"] == "ok") ? r["wakeups"] / gb : ""
	tr_gbps[s] = r["bps"] / 1e9
	tr_cpu[s] = r["busy_j"] / 100 / gb
	tr_ctxt[s] = r["ctxt"] / gb
	if (r["base_status"] == "ok" && r["base_bytes"] > 0) {
		tr_bgbps[s] = r["base_bps"] / 1e9
		tr_bcpu[s] = r["base_busy_j"] / 100 / (r["base_bytes"] / 1e9)
		tr_bctxt[s] = r["base_ctxt"] / (r["base_bytes"] / 1e9)
	}
	tr_seen[s] = (r["sendmsg_bytes"] + r["sendpage_bytes"]) / r["bytes"]
	lk = (r["probe_sendmsg_locked"] == "ok") + (r["probe_sendpage_locked"] == "ok")
	if (lk) {
		c = r["locked_sendmsg_calls"] + r["locked_sendpage_calls"]
		tr_all[s] = c / gb
		tr_allb[s] = c > 0 ? (r["locked_sendmsg_bytes"] + r["locked_sendpage_bytes"]) / c : ""
		tr_seen[s] = (r["locked_sendmsg_bytes"] + r["locked_sendpage_bytes"]) / r["bytes"]
	} else { tr_all[s] = ""; tr_allb[s] = "" }
	next
}
$1 == "end" { delete r; kv($0, r); end_status = r["status"]; complete = (r["status"] == "complete"); next }
END {
	ns = split(meta["setups"], S, ",")
	ntests = split(meta["tests"], T, ",")
	for (i = 1; i <= ntests; i++) want[T[i]] = 1
	ref = ""
	for (i = 1; i <= ns; i++) if (S[i] == "haproxy-splice") ref = S[i]
	if (ref == "") for (i = 1; i <= ns; i++) if (S[i] == "haproxy") ref = S[i]
	dir = ""
	for (i = 1; i <= ns; i++) if (S[i] == "direct") dir = "direct"
	tname["p1"] = "1 stream"; tname["p8"] = "8 streams"
	tname["p1r"] = "1 stream -R"; tname["p8r"] = "8 streams -R"
	tname["crate"] = "conn/s"; tname["lat"] = "latency"; tname["lat16k"] = "latency 16 KiB"

	print "# krelay benchmark: " meta["kernel"] ", " toupper(meta["accel"]) " guest"
	print ""
	printf "Kernel **%s**, QEMU **%s** (%s vCPUs, %s; CPU model: %s), %s.  ", meta["kernel"], \
		toupper(meta["accel"]), meta["cpus"], sprintf("%d MiB", meta["mem_kb"] / 1024), \
		meta["cpu_model"], meta["date"]
	printf "All setups in one boot, interleaved, %s round%s (median [min–max]); iperf3 %s s per run, kr-rr %s s, traced run %s s.  ", \
		meta["reps"], meta["reps"] == 1 ? "" : "s", meta["t"], meta["rr_t"], meta["trace_t"] != "" ? meta["trace_t"] : meta["t"]
	printf "Peers: haproxy %s, nginx %s, socat %s, iperf3 %s.", meta["haproxy"], meta["nginx"], meta["socat"], meta["iperf3"]
	if (params ~ /QUICK=1/) printf "  **QUICK run** (fewer rounds, shorter runs: indicative only)."
	if (hostload != "") printf "  Host: %s.", hostload
	print ""
	print ""
	if (!host_seen)
		print "**Host other %: not measured** (no host.txt): other work on the host may have skewed these numbers."
	else if (stats("all" SUBSEP "other")) {
		printf "Host other %%: during the %d measured runs, other work used %.1f %% of the host\047s CPUs (median; max %.1f %%).  ", \
			N, MED, MAX
		if (ncont_all)
			printf "**%d run%s above %s %% (contended) left out of the medians**; each cell shows n, the runs kept.", \
				ncont_all, ncont_all == 1 ? "" : "s", maxother
		else
			printf "No run was above %s %% (contended).", maxother
		if (nhost_missing) printf "  %d run%s had no host samples.", nhost_missing, nhost_missing == 1 ? "" : "s"
		print ""
	} else
		print "**Host other %: no host samples matched a run.**"
	if (!complete)
		print "\n**Incomplete run: " (end_status == "deadline" ? "the guest stopped measuring at its deadline (" meta["deadline"] " s; something hung)" : \
			(vm_note != "" ? vm_note : "the bench scenario did not finish")) "; measurements that never ran show FAILED.**"
	else if (vm_note != "")
		print "\n**All measurements ran, but " vm_note " cleanly after them (see the VM logs).**"
	if (klog != "") print "\n**Kernel log complaints:** `" klog "`"
	print ""
	print "Ratios are to `direct` (no relay) and to `" ref "` (" \
		(ref == "haproxy-splice" ? "haproxy with splice-request+splice-response, the best userspace relay" : "haproxy") "), median to median."
	print ""

	# --- summary -----------------------------------------------------------
	print "| setup | 1 stream Gbit/s | ×direct | ×" ref " | 8 streams Gbit/s | ×direct | ×" ref \
		" | conn/s | ×direct | ×" ref " | latency p50 / p99 / p99.9 µs | CPU s/GB | ctxt/GB | host other % |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ns; i++) {
		s = S[i]
		line = row(s)
		for (j = 1; j <= 3; j++) {
			t = (j == 1) ? "p1" : (j == 2) ? "p8" : "crate"
			m = (t == "crate") ? "cps" : "gbps"
			c = cell(s, t, m, t == "crate" ? "int" : "gbps")
			if (!want[t]) c = "–"
			a = med(s SUBSEP t SUBSEP m)
			line = line " | " (c ~ /^FAILED/ ? "**FAILED**" : c ~ /^contended/ ? "contended" : num(a, t == "crate" ? "int" : "gbps")) \
				" | " ratio(a, med(dir SUBSEP t SUBSEP m)) " | " ratio(a, med(ref SUBSEP t SUBSEP m))
		}
		if (stats(s SUBSEP "lat" SUBSEP "p50"))
			c = num(med(s SUBSEP "lat" SUBSEP "p50"), "us") " / " num(med(s SUBSEP "lat" SUBSEP "p99"), "us") \
				" / " num(med(s SUBSEP "lat" SUBSEP "p999"), "us")
		else c = !want["lat"] ? "–" : ncont[s, "lat"] ? "contended" : "**FAILED**"
		line = line " | " c
		c = cell(s, "p1", "cpu", "cpu"); line = line " | " (c ~ /^FAILED/ ? "**FAILED**" : c ~ /^contended/ ? "contended" : num(med(s SUBSEP "p1" SUBSEP "cpu"), "cpu"))
		c = cell(s, "p1", "ctxt", "big"); line = line " | " (c ~ /^FAILED/ ? "**FAILED**" : c ~ /^contended/ ? "contended" : num(med(s SUBSEP "p1" SUBSEP "ctxt"), "big"))
		if (stats(s SUBSEP "all" SUBSEP "other")) c = sprintf("%.1f (max %.1f)", MED, MAX)
		else c = "n/a"
		print line " | " c " |"
	}
	print ""
	print "Throughput and cost columns: iperf3 client → relay → server (data flows client to server), " \
		"CPU s/GB and ctxt/GB from the 1-stream runs, whole guest.  conn/s: kr-rr conn-rate (" \
		meta["crate_p"] " workers, " (meta["crate_size"] != "" ? meta["crate_size"] : meta["rr_size"]) "-byte request and echo over a fresh connection each); " \
		"latency: kr-rr round trips of " meta["rr_size"] " bytes on one persistent connection (and of 16 KiB in the lat16k runs)."
	print ""
	print "![throughput and CPU per GB](" png ")"
	print ""

	# --- targets -------------------------------------------------------------
	K = "krelay-splice"
	print "## Targets (krelay splice)"
	print ""
	print "| target | krelay splice | reference | ratio | verdict |"
	print "|---|---:|---:|---:|---|"
	target("1-stream throughput ≥ 1.2× haproxy splice", K, ref, "p1", "gbps", 1.2, "ge", "Gbit/s")
	target("8-stream throughput ≥ 1.2× haproxy splice", K, ref, "p8", "gbps", 1.2, "ge", "Gbit/s")
	target("8-stream throughput ≥ 0.95× direct", K, "direct", "p8", "gbps", 0.95, "ge", "Gbit/s")
	target("short connections ≥ 0.85× direct", K, "direct", "crate", "cps", 0.85, "ge", "conn/s")
	target("CPU per GB at 8 streams ≤ 1.1× direct (whole guest)", K, "direct", "p8", "cpu", 1.1, "le", "s/GB")
	target("context switches per GB ≤ haproxy splice (whole guest, 1 stream)", K, ref, "p1", "ctxt", 1, "le", "/GB")
	target("latency p50, small messages ≤ 1.1× direct", K, "direct", "lat", "p50", 1.1, "le", "µs")
	target("latency p99, small messages ≤ 1.1× direct", K, "direct", "lat", "p99", 1.1, "le", "µs")
	target("latency p50, 16 KiB messages ≤ 1.1× direct", K, "direct", "lat16k", "p50", 1.1, "le", "µs")
	target("latency p99, 16 KiB messages ≤ 1.1× direct", K, "direct", "lat16k", "p99", 1.1, "le", "µs")
	print ""
	tasks_load()
	own_target("krelay\047s own context switches ≤ 1/20 of rinetd\047s (tracer, traced run)", K, "rinetd", 0.05)
	print ""
	print "Medians of the uncontended runs; a target on a cell with fewer than 3 runs is indicative only; " \
		"the own-switches target comes from the one traced run per setup (see \"Who switches\" below)."
	print ""

	# --- details ---------------------------------------------------------------
	print "## Throughput (Gbit/s, iperf3 sum_received)"
	print ""
	print "| setup | 1 stream | 8 streams | 1 stream -R | 8 streams -R |"
	print "|---|---:|---:|---:|---:|"
	for (i = 1; i <= ns; i++) {
		s = S[i]; line = row(s)
		split("p1 p8 p1r p8r", TT, " ")
		for (j = 1; j <= 4; j++) line = line " | " (want[TT[j]] ? cell(s, TT[j], "gbps", "gbps") : "–")
		print line " |"
	}
	print ""
	print "## Cost per GB (whole guest, /proc/stat deltas over each iperf3 run)"
	print ""
	print "| setup | CPU s/GB 1 | 8 | 1 -R | 8 -R | ctxt/GB 1 | 8 | 1 -R | 8 -R |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ns; i++) {
		s = S[i]; line = row(s)
		for (j = 1; j <= 4; j++) line = line " | " (want[TT[j]] ? cell(s, TT[j], "cpu", "cpu") : "–")
		for (j = 1; j <= 4; j++) line = line " | " (want[TT[j]] ? cell(s, TT[j], "ctxt", "big") : "–")
		print line " |"
	}
	print ""
	print "## Tracer (krelay_trace.ko, one extra iperf3 1-stream run per setup, counts of all tasks per GB)"
	print ""
	print "| setup | Gbit/s (traced) | tcp_sendmsg/GB | bytes/call | tcp_sendpage/GB | bytes/call | all TCP sends/GB | bytes/send | bytes sent / bytes received | switches/GB | wake-ups/GB |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ns; i++) {
		s = S[i]
		if (tr_ok[s])
			print row(s) " | " num(tr_gbps[s], "gbps") " | " num(tr_msg[s], "big") " | " num(tr_msgb[s], "big") \
				" | " num(tr_pg[s], "big") " | " num(tr_pgb[s], "big") " | " num(tr_all[s], "big") " | " num(tr_allb[s], "big") \
				" | " sprintf("%.2f", tr_seen[s]) " | " num(tr_sw[s], "big") " | " num(tr_wk[s], "big") " |"
		else
			print row(s) " | " (s in tr_fail ? "FAILED (" tr_fail[s] ")" : "FAILED (" (end_status == "deadline" ? "not run: deadline" : "no trace run") ")") " | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |"
	}
	print ""
	print "tcp_sendmsg / tcp_sendpage: sends through the socket API (processes, and kernel_sendmsg); " \
		"\"all TCP sends\": tcp_sendmsg_locked + do_tcp_sendpages, which every TCP send passes once, " \
		"in-kernel senders such as krelay included.  \"bytes sent / bytes received\" is about 1 without a relay " \
		"and about 2 with one (it uses the all-sends level when the tracer has it).  " \
		"n/a: that probe is not available on this kernel (tcp_sendpage is gone since 6.5)."
	print ""
	print "## Who switches (the traced run: the tracer\047s top-10 tasks by context switches, per GB)"
	print ""
	print "| setup | relay\047s own tasks | kworker + ksoftirqd | iperf3 (both ends) | idle | everything else | all |"
	print "|---|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ns; i++) {
		s = S[i]
		if (!(s in tk_all)) { print row(s) " | n/a | n/a | n/a | n/a | n/a | n/a |"; continue }
		print row(s) " | " (s == "direct" ? "–" : num(tk_own[s], "big")) " | " num(tk_kw[s], "big") " | " num(tk_ip[s], "big") \
			" | " num(tk_idle[s], "big") " | " num(tk_all[s] - tk_kw[s] - tk_ip[s] - tk_idle[s] - (relay_is_kernel(s) ? 0 : tk_own[s]), "big") \
			" | " num(tk_all[s], "big") " |"
	}
	print ""
	print "From `logs/trace-SETUP.txt`.  The relay\047s own tasks: its process (rinetd, socat, haproxy, nginx), or for krelay " \
		"the kernel workers (kworker and ksoftirqd rows, which also hold work that is not krelay\047s: compare with direct\047s).  " \
		"Work krelay does in the softirq that received the data costs no switch.  idle: the idle task (a CPU going to sleep).  " \
		"Tasks below the top 10 are in \"everything else\"."
	print ""
	print "## Tracer overhead (the traced run against the same run without the tracer, just before it)"
	print ""
	print "| setup | Gbit/s untraced | traced | throughput loss | CPU s/GB untraced | traced | CPU ×untraced | ctxt/GB untraced | traced |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ns; i++) {
		s = S[i]
		if (tr_ok[s] && tr_bgbps[s] != "")
			print row(s) " | " num(tr_bgbps[s], "gbps") " | " num(tr_gbps[s], "gbps") " | " \
				(tr_bgbps[s] > 0 ? sprintf("%.1f %%", (tr_bgbps[s] - tr_gbps[s]) * 100 / tr_bgbps[s]) : "n/a") \
				" | " num(tr_bcpu[s], "cpu") " | " num(tr_cpu[s], "cpu") " | " ratio(tr_cpu[s], tr_bcpu[s]) \
				" | " num(tr_bctxt[s], "big") " | " num(tr_ctxt[s], "big") " |"
		else
			print row(s) " | " (tr_ok[s] ? "FAILED (no untraced run)" : "FAILED (no trace run)") " | n/a | n/a | n/a | n/a | n/a | n/a | n/a |"
	}
	print ""
	print "One run each, back to back in the same boot (iperf3 1 stream, " (meta["trace_t"] != "" ? meta["trace_t"] : meta["t"]) \
		" s; whole-guest CPU and switches from /proc/stat).  The tracer pays a kprobe per TCP send and a tracepoint " \
		"call per switch and wake-up, so setups with more switches pay more: compare the CPU per GB of the relays on the " \
		"untraced runs, not the traced ones."
	print ""
	print "## Short connections and latency (kr-rr against kr-echo)"
	print ""
	print "| setup | conn/s | CPU µs per conn | ctxt per conn | p50 µs | p99 µs | p99.9 µs | req/s | 16 KiB p50 µs | p99 µs | req/s |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ns; i++) {
		s = S[i]
		print row(s) " | " (want["crate"] ? cell(s, "crate", "cps", "int") " | " cell(s, "crate", "cpu_c", "int") " | " cell(s, "crate", "ctxt_c", "dec1") : "– | – | –") \
			" | " (want["lat"] ? cell(s, "lat", "p50", "us") " | " cell(s, "lat", "p99", "us") " | " cell(s, "lat", "p999", "us") " | " cell(s, "lat", "rps", "int") : "– | – | – | –") \
			" | " (want["lat16k"] ? cell(s, "lat16k", "p50", "us") " | " cell(s, "lat16k", "p99", "us") " | " cell(s, "lat16k", "rps", "int") : "– | – | –") " |"
	}
	print ""

	# --- failures ------------------------------------------------------------------
	nf = 0
	for (i = 1; i <= ns; i++) {
		s = S[i]
		if (!(s in setup_seen)) { fl[++nf] = "`" s "`: setup never ran (VM ended early)" ; continue }
		if (setup_failed[s]) { fl[++nf] = "`" s "`: setup FAILED: " setup_why[s]; continue }
		for (j = 1; j <= ntests; j++)
			if (nfail[s, T[j]]) fl[++nf] = "`" s "` " tname[T[j]] ": " nfail[s, T[j]] " run(s) FAILED: " fail_why[s, T[j]]
	}
	if (nf) {
		print "## Failures"
		print ""
		for (i = 1; i <= nf; i++) { gsub(/_/, " ", fl[i]); print "- " fl[i] }
		print ""
	}

	# --- method -----------------------------------------------------------------------
	print "## Setups and method"
	print ""
	print "- `direct`: iperf3 / kr-rr straight to the server over loopback (no relay)."
	print "- `krelay-splice`, `krelay-copy`: `userctl rule add 127.0.0.1:PORT to 127.0.0.1:BACKEND mode splice|copy`."
	print "- `krelay-work`: splice mode without the receive fast path (module parameter `bh_forward=0` during its runs): every pass runs in the connection work item."
	print "- `rinetd`: Debian rinetd, default buffers.  `socat`: `TCP-LISTEN:PORT,fork,reuseaddr TCP:BACKEND` (default 8 KiB buffer)."
	print "- `haproxy`: `mode tcp`, `nbthread 1`, `option splice-auto`; `haproxy-splice`: the same with `option splice-request` + `option splice-response`."
	print "- `nginx`: `stream` module, `worker_processes 1`, default proxy buffers."
	print "- One boot; every round runs every setup (order rotated each round), each: iperf3 -P1, -P8, -P1 -R, -P8 -R, kr-rr conn-rate, kr-rr latency (small and 16 KiB messages)."
	print "- CPU s/GB = busy jiffies (user+nice+system+irq+softirq+steal) / 100 / (bytes/1e9); ctxt/GB = /proc/stat ctxt delta / (bytes/1e9)."
	print "- Raw records: `" rel "/raw.txt`; iperf3 JSON: `" rel "/iperf.tar.xz`; relay configs and logs: `" rel "/logs/`."

	# --- chart data ---------------------------------------------------------------------
	printf "" > dat
	for (i = 1; i <= ns; i++) {
		s = S[i]
		printf "%s", s >> dat
		split("p1 p8 p1r p8r", TT, " ")
		for (j = 1; j <= 4; j++) { a = med(s SUBSEP TT[j] SUBSEP "gbps"); printf " %s", (a == "" ? 0 : a) >> dat }
		for (j = 1; j <= 2; j++) { a = med(s SUBSEP TT[j] SUBSEP "cpu"); printf " %s", (a == "" ? 0 : a) >> dat }
		printf " %s\n", (stats(s SUBSEP "p1" SUBSEP "gbps") ? "ok" : "FAILED") >> dat
	}
	close(dat)
}
function ncont_test(s, t) { return ncont[s, t] + 0 }
# target(text, setup, refsetup, test, metric, factor, ge|le, unit)
function relay_is_kernel(s) { return s ~ /^krelay/ }
# the relay process of a userspace setup, as the tracer names it
function relay_comm(s) { sub(/-.*/, "", s); return s }
# tk_*[setup]: switches per GB of the traced run, from the tracer\047s top rows
function tasks_load(    i, s, f, line, n, F, kv2, c, cnt, k) {
	for (i = 1; i <= ns; i++) {
		s = S[i]
		if (!tr_ok[s] || tr_gb[s] <= 0) continue
		f = logs "/trace-" s ".txt"
		n = 0
		while ((getline line < f) > 0) {
			if (line !~ /^top / || line !~ / kind=switches /) {
				if (line ~ /^total / && line ~ / kind=switches /) {
					match(line, / count=[0-9]+/); tk_all[s] = substr(line, RSTART + 7, RLENGTH - 7) / tr_gb[s]
				}
				continue
			}
			c = ""; cnt = 0
			split(line, F, " ")
			for (k in F) {
				if (F[k] ~ /^comm=/) c = substr(F[k], 6)
				else if (F[k] ~ /^count=/) cnt = substr(F[k], 7) + 0
			}
			if (line ~ / rank=other /) continue
			cnt /= tr_gb[s]
			if (c ~ /^(kworker|ksoftirqd)\//) tk_kw[s] += cnt
			else if (c == "iperf3") tk_ip[s] += cnt
			else if (c ~ /^swapper/) tk_idle[s] += cnt
			else if (!relay_is_kernel(s) && c == relay_comm(s)) tk_own[s] += cnt
		}
		close(f)
		if (relay_is_kernel(s)) tk_own[s] = tk_kw[s]
		if (!(s in tk_all)) continue
		tk_kw[s] += 0; tk_ip[s] += 0; tk_idle[s] += 0; tk_own[s] += 0
	}
}
function own_target(text, s, r, f,    a, b, v) {
	a = (s in tk_all) ? tk_own[s] : ""; b = (r in tk_all) ? tk_own[r] : ""
	if (a == "") v = "n/a (" s ": no tracer report)"
	else if (b == "" || b == 0) v = "n/a (" r ": no tracer report)"
	else v = (a / b <= f) ? "met" : "**missed**"
	print "| " text " | " (a == "" ? "n/a" : num(a, "big") " /GB") " | " r ": " (b == "" ? "n/a" : num(b, "big") " /GB") \
		" | " (a != "" && b != "" && b != 0 ? sprintf("%.2f× (want ≤ %s×)", a / b, f) : "n/a") " | " v " |"
}
function target(text, s, r, t, m, f, op, unit,    a, b, v, q) {
	a = med(s SUBSEP t SUBSEP m); b = med(r SUBSEP t SUBSEP m)
	kind = (m == "gbps") ? "gbps" : (m == "cpu") ? "cpu" : (m == "ctxt") ? "big" : "int"
	if (a == "" && ncont_test(s, t)) v = "n/a (" s ": contended runs only)"
	else if (b == "" && ncont_test(r, t)) v = "n/a (" r ": contended runs only)"
	else if (a == "") v = "**missed** (" s " " (s in setup_seen ? "FAILED" : "did not run") ")"
	else if (b == "" || b == 0) v = "n/a (" r " has no result)"
	else {
		q = a / b
		v = ((op == "ge" && q >= f) || (op == "le" && q <= f)) ? "met" : "**missed**"
	}
	print "| " text " | " (a == "" ? (ncont_test(s, t) ? "contended" : "FAILED") : num(a, kind) " " unit) " | " r ": " (b == "" ? (ncont_test(r, t) ? "contended" : "FAILED") : num(b, kind) " " unit) \
		" | " (a != "" && b != "" && b != 0 ? sprintf("%.2f× (want %s %s×)", a / b, op == "ge" ? "≥" : "≤", f) : "n/a") " | " v " |"
}
' "$HOST" "$RAW" >"$MD"

# --- chart (gnuplot) --------------------------------------------------------------
if command -v gnuplot >/dev/null && [ -s "$DAT" ]; then
	term="pngcairo size 1200,520 font 'Sans,10'"
	echo 'set terminal' | gnuplot 2>&1 | grep -q pngcairo || term="png size 1200,520"
	title=$(head -n1 "$MD" | sed 's/^# //')
	gnuplot >"$DIR/gnuplot.log" 2>&1 <<EOF || echo "bench-report: gnuplot failed (see $DIR/gnuplot.log)" >&2
set terminal $term
set output "$PNG"
set multiplot layout 1,2 title "$title"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set xtics rotate by -30 nomirror
set key top right
set yrange [0:*]
set title "Throughput (Gbit/s, median)"
set ylabel "Gbit/s"
plot "$DAT" using 2:xtic(1) title "1 stream", '' using 3 title "8 streams", \
     '' using 4 title "1 stream -R", '' using 5 title "8 streams -R", \
     '' using (\$0):(0):(stringcolumn(8) eq "FAILED" ? "FAILED" : "") with labels rotate by 90 offset 0,3 notitle
set title "CPU seconds per GB (whole guest, median; lower is better)"
set ylabel "CPU s/GB"
plot "$DAT" using 6:xtic(1) title "1 stream", '' using 7 title "8 streams", \
     '' using (\$0):(0):(stringcolumn(8) eq "FAILED" ? "FAILED" : "") with labels rotate by 90 offset 0,3 notitle
unset multiplot
EOF
else
	echo "bench-report: no gnuplot or no data; chart skipped" >&2
fi
echo "bench-report: $MD${PNG:+, $PNG}" >&2
