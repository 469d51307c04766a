#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Loopback smoke test of the krelay traffic tools (no relay involved):
# every kr-echo mode against the matching kr-xfer/kr-hold/kr-rr mode,
# plus the negative cases (corruption, RST, bad arguments) that must fail.
# POSIX sh (busybox ash works too).  Usage: smoke.sh [BIN_DIR]
set -u
BIN=${1:-$(dirname "$0")/bin}
T=$(mktemp -d /tmp/kr-smoke.XXXXXX)
PIDS=
FAILS=0

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }

# expect RC DESCRIPTION CMD...: run CMD, check its exit code
expect() {
	want=$1; what=$2; shift 2
	"$@" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$what"; else
		bad "$what (exit $rc, want $want)"; sed 's/^/     /' "$T/out" | tail -5; fi
}

# server NAME ARGS...: start kr-echo, wait for its ready file
server() {
	name=$1; shift
	"$BIN/kr-echo" -r "$T/$name.ready" "$@" 2>"$T/$name.log" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -e "$T/$name.ready" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then echo "kr-echo $name did not start:"; cat "$T/$name.log"; exit 1; fi
		sleep 0.05
	done
}
addr() { sed -n "${2:-1}p" "$T/$1.ready"; }

server echo 127.0.0.1:0 '[::1]:0'
server corrupt -m corrupt --corrupt-every 100000 127.0.0.1:0
server source -m source -b 20M --seed 9 127.0.0.1:0
server sink -m sink 127.0.0.1:0
server noread -m noread 127.0.0.1:0
server rst -m rst 127.0.0.1:0
server blackhole -m blackhole 127.0.0.1:0

E4=$(addr echo 1); E6=$(addr echo 2)
expect 0 "echo v4: 50 parallel, 1 B..8 MiB" \
	"$BIN/kr-xfer" -c "$E4" -n 100 -j 50 --min 1 --max 8M -q
expect 0 "echo v6: 50 parallel, 1 B..8 MiB, writes up to 1 MiB" \
	"$BIN/kr-xfer" -c "$E6" -n 100 -j 50 --min 1 --max 8M --wmax 1M --seed 2 -q
expect 0 "echo: empty payloads (half-close only)" \
	"$BIN/kr-xfer" -c "$E4" -n 20 -j 20 --min 0 --max 0 -q
expect 0 "echo: pause-read 1 s with 32 MiB payloads" \
	"$BIN/kr-xfer" -c "$E4" -n 2 -j 2 --min 32M --max 32M --pause-read 1
grep "pause transfer" "$T/out" | sed 's/^/     /'
expect 1 "corrupt server is detected" \
	"$BIN/kr-xfer" -c "$(addr corrupt)" -n 4 -j 4 --min 200K --max 1M -q
grep -q "SHA-256 mismatch" "$T/out" && ok "  ... reported as SHA-256 mismatch" ||
	bad "corruption not reported as SHA-256 mismatch"
expect 1 "corrupt server is detected without digests (--no-digest)" \
	"$BIN/kr-xfer" -c "$(addr corrupt)" -n 4 -j 4 --min 200K --max 1M --no-digest -q
grep -q "data mismatch: first wrong byte" "$T/out" && ok "  ... reported as data mismatch" ||
	bad "corruption not reported as data mismatch"
expect 0 "echo without digests: 50 parallel, 1 B..8 MiB" \
	"$BIN/kr-xfer" -c "$E4" -n 100 -j 50 --min 1 --max 8M --no-digest -q
expect 0 "download 20 MiB x 8 (source)" \
	"$BIN/kr-xfer" -c "$(addr source)" --mode download -b 20M --seed 9 -n 8 -j 4 -q
expect 1 "download with wrong seed fails" \
	"$BIN/kr-xfer" -c "$(addr source)" --mode download -b 20M --seed 10 -q
expect 1 "download with wrong length fails" \
	"$BIN/kr-xfer" -c "$(addr source)" --mode download -b 19M --seed 9 -q
expect 0 "both: upload 64 MiB while downloading 20 MiB (source)" \
	"$BIN/kr-xfer" -c "$(addr source)" --mode both -b 20M --seed 9 --min 64M --max 64M --wmax 1M -q
grep -q "download complete at upload offset [0-9]* of 67108864" "$T/out" &&
	ok "  ... reports where the upload was when the download was complete" ||
	bad "both: no 'download complete at upload offset' line"
expect 1 "both with wrong seed fails" \
	"$BIN/kr-xfer" -c "$(addr source)" --mode both -b 20M --seed 10 --max 1M -q
expect 0 "upload to sink" \
	"$BIN/kr-xfer" -c "$(addr sink)" --mode upload -n 20 -j 10 --max 8M -q
expect 0 "fill against noread stalls (bounded buffering)" \
	"$BIN/kr-xfer" -c "$(addr noread)" --mode fill --max 1G --stall 0.5
grep "fill transfer" "$T/out" | sed 's/^/     /'
expect 1 "rst server is detected" \
	"$BIN/kr-xfer" -c "$(addr rst)" -n 3 -q
expect 0 "client RST after 1 MiB (--rst-after)" \
	"$BIN/kr-xfer" -c "$E4" --min 8M --max 8M --rst-after 1M
grep -q "rst transfer=0 sent=1048576" "$T/out" && ok "  ... reset after exactly 1 MiB" ||
	bad "--rst-after did not reset after 1 MiB"
# blackhole: the first connection fills the backlog-0 queue, the second
# one's SYNs go unanswered
"$BIN/kr-hold" -c "$(addr blackhole)" -n 1 --hold 3 -q >"$T/bh1.out" 2>&1 &
bh1=$!
sleep 0.5
expect 1 "blackhole: 2nd connection never established" \
	"$BIN/kr-hold" -c "$(addr blackhole)" -n 1 --timeout 1.5 -q
wait $bh1 && ok "blackhole: 1st connection queued (established)" ||
	bad "blackhole: 1st connection not established"
expect 1 "timeout against noread" \
	"$BIN/kr-xfer" -c "$(addr noread)" --min 64M --max 64M --timeout 1 -q

nofile=$(ulimit -n)
n=2000
[ "$nofile" != unlimited ] && [ $((nofile / 2 - 50)) -lt $n ] && n=$((nofile / 2 - 50))
expect 0 "kr-hold $n connections, 4 source addresses, ping" \
	"$BIN/kr-hold" -c "$E4" -n "$n" -s 127.0.0.2 -S 4 --ping --hold 1 -q -r "$T/hold.ready"
[ "$(cat "$T/hold.ready" 2>/dev/null)" = "$n" ] && ok "  ... ready file says $n" ||
	bad "kr-hold ready file"
expect 0 "kr-hold v6 200 connections" "$BIN/kr-hold" -c "$E6" -n 200 --ping -q

expect 0 "kr-rr latency" "$BIN/kr-rr" -c "$E4" --mode latency -d 1 -P 2
sed 's/^/     /' "$T/out"
expect 0 "kr-rr conn-rate (JSON)" "$BIN/kr-rr" -c "$E6" --mode conn-rate -d 1 -P 2 -J
sed 's/^/     /' "$T/out"

"$BIN/kr-rst" reply -l 127.0.0.1:17093 -b 1M >/dev/null 2>&1 &
rst_srv=$!
usleep 300000 2>/dev/null || sleep 1
expect 0 "kr-rst get: the whole answer before the RST" \
	"$BIN/kr-rst" get -c 127.0.0.1:17093 -b 1M --pause 0.5 --rcvbuf 32K
grep -q "end=reset" "$T/out" && ok "  ... then the RST" || bad "kr-rst get: no RST"
wait $rst_srv
"$BIN/kr-rst" take -l 127.0.0.1:17094 -b 1M --pause 0.5 --rcvbuf 32K >"$T/take" 2>&1 &
usleep 300000 2>/dev/null || sleep 1
expect 0 "kr-rst put, then reset" "$BIN/kr-rst" put -c 127.0.0.1:17094 -b 1M
wait $! && grep -q "received=1048576 expected=1048576 end=reset" "$T/take" &&
	ok "  ... take got it all, then the RST" || bad "kr-rst take: $(cat "$T/take")"

expect 2 "bad address" "$BIN/kr-xfer" -c localhost:80
expect 2 "kr-rst unknown role" "$BIN/kr-rst" nope -c 127.0.0.1:1 -b 1
expect 2 "bad size" "$BIN/kr-xfer" -c "$E4" --max 12Q
expect 2 "unknown option" "$BIN/kr-hold" -c "$E4" -n 1 --bogus
expect 2 "missing value" "$BIN/kr-rr" -c
expect 2 "bad mode" "$BIN/kr-echo" -m nope 127.0.0.1:0

echo "smoke: $FAILS failure(s)"
[ $FAILS -eq 0 ]
