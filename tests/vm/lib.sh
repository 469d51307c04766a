# shellcheck shell=sh
# Helpers for krelay VM scenarios (bash; busybox applets on PATH).  A scenario is
# tests/vm/NAME.sh; it starts with `. /tests/lib.sh`, may carry a header line
#   # vm: timeout=SECONDS mem=MIB smp=N kernels=REGEX suite=NAME heavy solo
# (heavy: make check never runs two heavy scenarios at the same time; solo:
# it never shares a boot with other scenarios, because it changes what
# outlives its namespaces, global sysctls or files outside /tmp.  make
# check runs the others in batches, several per boot: see tests/vm/init.)
# and reports every check with t_pass/t_fail (one line each in $RESULTS).
# The host counts those lines, adds a "kernel log clean" check per scenario,
# and fails the scenario if it did not finish.  Checks the guest cannot run
# (it has no Python) go to an executable tests/vm/NAME.host: scripts/vm-run.sh
# runs it with the share directory as argument after the guest finished and
# counts its PASS/FAIL lines too (see userctl-prometheus.host).
#
# Environment: KVER, KRELAY_KO, KTRACE_KO (module paths in the guest),
# SHARE (9p results dir), RESULTS.
#
#   t_pass NAME                  record a passed check
#   t_fail NAME [WHY]            record a failed check
#   t_check NAME CMD...          pass iff CMD exits 0 (its output goes to the log)
#   t_refuse NAME CMD...         pass iff CMD exits non-zero
#   t_eq NAME GOT WANT           pass iff GOT = WANT (strings)
#   t_ge NAME GOT MIN            pass iff GOT >= MIN (integers)
#   t_match NAME TEXT REGEX      pass iff TEXT matches the extended REGEX
#   wait_listen PORT [SECS]      wait until a TCP socket listens on PORT
#   krelay_load / krelay_unload  insmod/rmmod krelay.ko (fail-checked)
#   stat_of FIELD [RULE]         a counter from `userctl -j stats`
#   wait_end PID SECS            0 iff PID ended within SECS (else it is killed)
#   wait_until SECS CMD...       0 iff CMD succeeds within SECS (polled every 0.1 s)
#   rules_norm                   the rules' configuration, one sorted line each
#                                (no counters, no backend state)
#   iperf_bytes / iperf_bps FILE bytes / bit/s the receiver got, from iperf3 -J
#   tr_report [MARK]             the latest complete krelay_trace report in
#                                dmesg (after the log line MARK), "TAG k=v" lines
#   tr_val REPORT TAG KEY [TEXT] KEY of the first TAG line (containing TEXT)
#   mem_sample                   "MemFree_kB Slab_kB TCP_mem_pages krelay_slab_B"
#   mem_per_conn BEFORE AFTER N  bytes per connection between two mem_samples:
#                                "krelay_slab=B slab=B sockbuf=B total=B"
#                                (total: the MemFree drop: everything, page
#                                fragments included)
#   log MSG                      a line in the scenario log
#   KDBG                         1 on the debug kernel (3-5x slower), else 0
#   TS                           time scale for deadlines: 4 on the debug
#                                kernel (under load it runs 10-30x slower), else 1
: "${RESULTS:=/share/results}"
SCEN=$(basename "$0" .sh)
case $(uname -r) in *-kdbg) KDBG=1 TS=4 ;; *) KDBG=0 TS=1 ;; esac

log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
t_pass() { echo "PASS $SCEN: $1" >>"$RESULTS"; log "PASS $1"; }
t_fail() { echo "FAIL $SCEN: $1${2:+ ($2)}" >>"$RESULTS"; log "FAIL $1${2:+ ($2)}"; }
t_check() {
	n=$1; shift
	log "run: $*"
	if "$@"; then t_pass "$n"; else t_fail "$n" "exit $?: $*"; fi
}
t_refuse() {
	n=$1; shift
	log "run (must fail): $*"
	if "$@"; then t_fail "$n" "succeeded: $*"; else t_pass "$n"; fi
}
t_eq() {
	if [ "$2" = "$3" ]; then t_pass "$1"; else t_fail "$1" "got '$2', want '$3'"; fi
}
t_ge() {
	if [ "$2" -ge "$3" ] 2>/dev/null; then t_pass "$1"; else t_fail "$1" "got '$2', want >= $3"; fi
}
t_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then t_pass "$1"; else t_fail "$1" "'$2' !~ /$3/"; fi
}

wait_listen() {
	p=$1 i=0 max=$((${2:-10} * 10))
	hex=$(printf '%04X' "$p")
	while [ $i -lt $max ]; do
		cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
			awk -v h=":$hex" '$4=="0A" && substr($2, length($2)-4)==h {f=1} END {exit !f}' &&
			return 0
		usleep 100000
		i=$((i + 1))
	done
	log "nothing listens on port $p after ${2:-10}s"
	return 1
}

# greeting_backend NAME PORT: a socat server on 127.0.0.1:PORT that greets
# every connection with NAME, then echoes (a client learns which backend it
# reached); its pid in $pid_NAME
greeting_backend() {
	socat TCP-LISTEN:"$2",bind=127.0.0.1,reuseaddr,fork SYSTEM:"echo $1; exec cat" \
		2>/dev/null &
	eval "pid_$1=$!"
	wait_listen "$2"
}

wait_until() {
	local i=0 max=$(($1 * 10))
	shift
	until "$@"; do
		[ $i -ge $max ] && return 1
		usleep 100000
		i=$((i + 1))
	done
}

krelay_load() { t_check "insmod krelay" insmod "$KRELAY_KO" "$@"; }

# echo_rules [OPTION...]: kr-echo (echo mode) on 127.0.0.1:7000 behind a
# splice rule on :9000 and a copy rule on :9001 (checked steps), both with
# the given rule options.
echo_rules() {
	kr-echo -m echo 127.0.0.1:7000 2>/tmp/echo.log &
	wait_listen 7000
	t_check "rule add splice" userctl rule add 127.0.0.1:9000 to 127.0.0.1:7000 mode splice "$@"
	t_check "rule add copy" userctl rule add 127.0.0.1:9001 to 127.0.0.1:7000 mode copy "$@"
}
krelay_unload() { t_check "rmmod krelay" rmmod krelay; }

# tcp_ext NAME...: "NAME=value" for each named TcpExt counter of
# /proc/net/netstat (for the record in a scenario's log).
tcp_ext() {
	awk -v want=" $* " '/^TcpExt:/ {
		if (!n) { for (i = 2; i <= NF; i++) name[i] = $i; n = 1; next }
		for (i = 2; i <= NF; i++) if (index(want, " " name[i] " ")) printf "%s=%s ", name[i], $i
		print ""
	}' /proc/net/netstat
}

mem_sample() {
	echo "$(awk '/^MemFree:/ {a = $2} /^Slab:/ {s = $2} END {print a, s}' /proc/meminfo)" \
		"$(awk '/^TCP:/ {print $NF}' /proc/net/sockstat)" \
		"$(awk '/^krelay/ {s += $2 * $4} END {print s + 0}' /proc/slabinfo)"
}
mem_per_conn() {
	echo "$1 $2 $3" | awk '{
		n = $9
		printf "krelay_slab=%d slab=%d sockbuf=%d total=%d\n", ($8 - $4) / n,
			($6 - $2) * 1024 / n, ($7 - $3) * 4096 / n, ($1 - $5) * 1024 / n
	}'
}

# stat_of FIELD: netns total of a counter (userctl -j stats).
stat_of() {
	userctl -j stats ${2:+"$2"} | tr ',{}' '\n\n\n' | sed -n "s/^ *\"$1\": *\([0-9]*\).*/\1/p" | head -n1
}

wait_end() {
	local i=0
	while kill -0 "$1" 2>/dev/null; do
		[ $i -ge $(($2 * 10)) ] && { kill -9 "$1" 2>/dev/null; return 1; }
		usleep 100000
		i=$((i + 1))
	done
	return 0
}

rules_norm() {
	userctl -j rule list | jq -c '.[] | del(.stats) | .backends |= map({address, weight, maxconn})' | sort
}

# iperf3 -J output: the receiver's end-of-test sum.
iperf_sum() { tr -d ' \n\t' <"$2" | sed -n "s/.*\"sum_received\":{[^}]*\"$1\":\([0-9.e+]*\).*/\1/p"; }
iperf_bytes() { iperf_sum bytes "$1"; }
iperf_bps() { iperf_sum bits_per_second "$1"; }

# krelay_trace reports (format: kprobes/report.h).
tr_report() {
	dmesg | sed -n "${1:+/$1\$/,\$}"'s/^.*krelay_trace: //p' | awk '
		$1 == "report" { buf = ""; on = 1 }
		on { buf = buf $0 "\n" }
		on && $1 == "end" { last = buf; on = 0 }
		END { printf "%s", last }'
}
tr_val() {
	printf '%s' "$1" | awk -v t="$2" -v k="$3" -v m="${4:-}" '
		$1 == t && (m == "" || index($0, m)) {
			for (i = 2; i <= NF; i++)
				if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit }
		}'
}
