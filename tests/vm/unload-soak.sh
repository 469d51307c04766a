# vm: timeout=540 mem=2048 kernels=^6\.12\.|-kdbg$
# Teardown soak.
#  1. UNLOAD_CYCLES (default 25; 10 on the debug kernel, where one cycle
#     takes 20-30 s) cycles of: insmod -> a splice and a copy
#     rule -> iperf3 through one, kr-xfer integrity clients through the
#     other (the modes swap every cycle) -> rmmod while both flow.  rmmod
#     must return, every client must end (error or EOF, no hang), no
#     completed transfer may be corrupt, no listener or conn object remain.
#  2. rule del with live connections: the clients are reset at once
#     (aborted ends with an RST; a deleted rule's counters go with it, so
#     "aborted" is checked on a surviving rule through conn kill).
#  3. A network namespace reached over veth holds a rule and live relayed
#     connections and no process: `ip netns del` destroys it while traffic
#     flows.  The clients are reset, the namespace really goes (its veth
#     peer disappears with it), the module still unloads.
#  Then: TCP sockets back to the baseline; on a kmemleak kernel, no leak.
. /tests/lib.sh
if [ "$KDBG" = 1 ]; then CYCLES=${UNLOAD_CYCLES:-10}; else CYCLES=${UNLOAD_CYCLES:-25}; fi

ms() { awk '{printf "%d\n", $1 * 1000}' /proc/uptime; }
rstat() { # ADDR:PORT FIELD [NETNS]
	${3:+ip netns exec $3} userctl -j stats "$1" | tr ',{}' '\n\n\n' |
		sed -n "s/^ *\"$2\": *\([0-9]*\).*/\1/p" | head -n1
}
# jrule STATS LISTEN FIELD: a rule's counter from `userctl -j stats`
# split into one rule a line
jrule() { printf '%s\n' "$1" | sed -n "/\"listen\":\"$2\"/s/.*\"$3\":\([0-9]*\).*/\1/p"; }
listening() { # PORT: 0 iff some socket listens on PORT
	awk -v h=":$(printf '%04X' "$1")" '$4=="0A" && substr($2, length($2)-4)==h {f=1} END {exit !f}' \
		/proc/net/tcp /proc/net/tcp6
}
tcp_alloc() { awk '/^TCP:/ {print $9}' /proc/net/sockstat; }
# kr-xfer output: no completed (or partial) transfer may carry wrong bytes
corrupt() { grep -E 'mismatch|unexpected bytes|more bytes than' "$1"; }

if [ -e /sys/kernel/debug/kmemleak ]; then
	echo clear >/sys/kernel/debug/kmemleak
fi
iperf3 -s -D -p 5201 --logfile /tmp/iperf3-s.log
kr-echo -m echo 127.0.0.1:7000 2>/tmp/echo.log &
echo_pid=$!
wait_listen 5201
wait_listen 7000
alloc0=$(tcp_alloc)
log "TCP sockets allocated before the cycles: $alloc0"

# --- 1. insmod / traffic / rmmod cycles ------------------------------------
declare -A bad=()
checks="insmod rules-added traffic-flowing rmmod-returned iperf3-ended kr-xfer-ended
	kr-xfer-cut no-corruption module-gone listeners-gone conn-cache-gone"
for k in $checks; do bad[$k]=0; done
cyc() { # CHECK OK [WHY]
	if [ "$2" != 1 ]; then
		bad[$1]=$((bad[$1] + 1))
		log "cycle $c: FAILED $1${3:+: $3}"
	fi
}
t_start=$(ms) rm_max=0
for ((c = 1; c <= CYCLES; c++)); do
	if [ $((c % 2)) = 1 ]; then m1=splice m2=copy; else m1=copy m2=splice; fi
	timeout $((20 * TS)) insmod "$KRELAY_KO"
	cyc insmod $(($? == 0))
	ok=1
	userctl rule add 127.0.0.1:9000 to 127.0.0.1:5201 mode $m1 >/dev/null || ok=0
	userctl rule add 127.0.0.1:9001 to 127.0.0.1:7000 mode $m2 >/dev/null || ok=0
	cyc rules-added $ok
	iperf3 -c 127.0.0.1 -p 9000 -t 30 -P 2 >/tmp/ip.log 2>&1 &
	ip=$!
	kr-xfer -c 127.0.0.1:9001 -n 16 -j 4 --min 256K --max 32M --seed $c --timeout $((60 * TS)) -q \
		>/tmp/x.log 2>&1 &
	xp=$!
	# both rules must be moving data when the module goes (one userctl
	# call per poll: each costs a few hundred ms under TCG)
	i=0 st=
	while [ $i -lt 100 ]; do
		st=$(userctl -j stats | sed 's/{"id":/\n&/g')
		b0=$(jrule "$st" 127.0.0.1:9000 bytes_to_backend)
		b1=$(jrule "$st" 127.0.0.1:9001 bytes_to_client)
		[ "${b0:-0}" -gt 1048576 ] && [ "${b1:-0}" -gt 0 ] && break
		usleep 100000
		i=$((i + 1))
	done
	a0=$(jrule "$st" 127.0.0.1:9000 active) a1=$(jrule "$st" 127.0.0.1:9001 active)
	ok=0
	[ "${a0:-0}" -ge 2 ] 2>/dev/null && [ "${a1:-0}" -ge 1 ] 2>/dev/null && ok=1
	cyc traffic-flowing $ok "iperf3 rule active=$a0 kr-xfer rule active=$a1"
	t0=$(ms)
	timeout $((20 * TS)) rmmod krelay
	rc=$? t_rm=$(($(ms) - t0))
	[ $t_rm -gt $rm_max ] && rm_max=$t_rm
	cyc rmmod-returned $((rc == 0)) "exit $rc after $t_rm ms"
	wait_end $ip $((20 * TS))
	cyc iperf3-ended $(($? == 0))
	wait_end $xp $((20 * TS))
	cyc kr-xfer-ended $(($? == 0))
	wait $xp
	xrc=$?
	# 16 transfers of up to 32 MiB do not finish in the second they get
	cyc kr-xfer-cut $((xrc == 1)) "exit $xrc: $(tail -n1 /tmp/x.log)"
	cyc no-corruption $(($(corrupt /tmp/x.log | wc -l) == 0)) "$(corrupt /tmp/x.log | head -n1)"
	wait $ip 2>/dev/null
	grep -q '^krelay ' /proc/modules
	cyc module-gone $(($? != 0))
	ok=1
	listening 9000 && ok=0
	listening 9001 && ok=0
	cyc listeners-gone $ok
	[ -d /sys/kernel/slab/krelay_conn ] || grep -q '^krelay_conn ' /proc/slabinfo
	cyc conn-cache-gone $(($? != 0))
	if [ "${bad[module-gone]}" != 0 ]; then
		rmmod krelay 2>/dev/null # keep the next cycles meaningful
	fi
	[ $((c % 10)) = 0 ] && log "cycle $c done ($(($(ms) - t_start)) ms)"
done
log "$CYCLES cycles in $(($(ms) - t_start)) ms; slowest rmmod under load: $rm_max ms"
for k in $checks; do
	t_eq "$CYCLES cycles: $k" "${bad[$k]}" 0
done
tail -n 3 /tmp/iperf3-s.log

# --- 2. rule del with live connections --------------------------------------
krelay_load
t_check "rule add splice" userctl rule add 127.0.0.1:9000 to 127.0.0.1:7000
t_check "rule add copy" userctl rule add 127.0.0.1:9001 to 127.0.0.1:7000 mode copy
t_check "rule add (survivor)" userctl rule add 127.0.0.1:9002 to 127.0.0.1:7000
for p in 9000 9001; do
	kr-xfer -c 127.0.0.1:$p -n 4 -j 4 --min 256M --max 256M --timeout $((60 * TS)) >/tmp/del$p.log 2>&1 &
	eval x$p=$!
done
i=0
while [ $i -lt 100 ] && { [ "$(rstat 127.0.0.1:9000 active)" != 4 ] ||
	[ "$(rstat 127.0.0.1:9001 active)" != 4 ]; }; do usleep 100000; i=$((i + 1)); done
t_eq "splice rule: 4 live connections" "$(rstat 127.0.0.1:9000 active)" 4
t_eq "copy rule: 4 live connections" "$(rstat 127.0.0.1:9001 active)" 4
for p in 9000 9001; do
	t0=$(ms)
	t_check "rule del $p with 4 live connections" timeout $((20 * TS)) userctl rule del 127.0.0.1:$p
	log "rule del $p took $(($(ms) - t0)) ms"
	eval x=\$x$p
	if wait_end "$x" $((20 * TS)); then t_pass "$p: clients ended"; else t_fail "$p: clients ended" "still running $((20 * TS)) s after rule del"; fi
	t_eq "$p: all 4 transfers cut by a reset" \
		"$(grep -c 'FAIL.*Connection reset by peer' /tmp/del$p.log)" 4
	t_eq "$p: no corruption" "$(corrupt /tmp/del$p.log | wc -l)" 0
	t_refuse "$p: listener gone" listening $p
done
t_eq "no connection left" "$(userctl conn count)" 0
# conn kill on the surviving rule: the same abort path, and it is counted
kr-xfer -c 127.0.0.1:9002 -n 1 --min 256M --max 256M --timeout $((60 * TS)) >/tmp/kill.log 2>&1 &
x=$!
i=0
while [ "$(userctl conn count)" != 1 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
id=$(userctl -j conn list | sed -n 's/^\[{"id":\([0-9]*\),.*/\1/p')
t_check "conn kill $id" userctl conn kill "${id:-0}"
wait_end $x $((20 * TS))
t_match "killed connection's client saw a reset" "$(cat /tmp/kill.log)" 'FAIL.*Connection reset by peer'
t_eq "conn kill counted aborted" "$(rstat 127.0.0.1:9002 aborted)" 1
t_eq "nothing active" "$(stat_of active)" 0
krelay_unload

# Every socket of the relay is gone: the kernel's TCP socket count is back
# to the two servers' listeners (checked before the netns part, whose
# clients on the far side of a vanished veth may linger as orphans).
i=0
while [ "$(tcp_alloc)" -gt "$alloc0" ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
log "TCP sockets allocated: $(tcp_alloc) (before the cycles: $alloc0)"
t_eq "TCP sockets back to baseline" "$(tcp_alloc)" "$alloc0"

# --- 3. netns destroyed with live connections -------------------------------
# init ns: veth0 10.99.0.1, backend kr-echo and the clients; netns kr1:
# veth1 10.99.0.2 and two rules.  Nothing runs in kr1, so deleting its name
# is the last reference: the namespace is torn down while traffic flows.
krelay_load
ok=1
ip netns add kr1 &&
	ip link add veth0 type veth peer name veth1 &&
	ip link set veth1 netns kr1 &&
	ip addr add 10.99.0.1/24 dev veth0 && ip link set veth0 up &&
	ip -n kr1 addr add 10.99.0.2/24 dev veth1 && ip -n kr1 link set veth1 up &&
	ip -n kr1 link set lo up || ok=0
t_eq "netns kr1 with a veth pair" $ok 1
kr-echo -m echo -r /tmp/nsecho.ready 10.99.0.1:7000 2>/dev/null &
ns_echo=$!
i=0
while [ ! -s /tmp/nsecho.ready ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
t_check "kr1: rule add splice" ip netns exec kr1 userctl rule add 10.99.0.2:9000 to 10.99.0.1:7000
t_check "kr1: rule add copy" ip netns exec kr1 userctl rule add 10.99.0.2:9001 to 10.99.0.1:7000 mode copy
for p in 9000 9001; do
	kr-xfer -c 10.99.0.2:$p -n 4 -j 4 --min 256M --max 256M --timeout $((60 * TS)) >/tmp/ns$p.log 2>&1 &
	eval x$p=$!
done
i=0
while [ $i -lt 100 ] && [ "$(ip netns exec kr1 userctl -j stats | sed -n 's/.*"totals":{[^}]*"active":\([0-9]*\).*/\1/p')" != 8 ]; do
	usleep 100000
	i=$((i + 1))
done
before=$(ip netns exec kr1 userctl -j stats | sed -n 's/.*"totals":{[^}]*"bytes_to_client":\([0-9]*\).*/\1/p')
t_ge "kr1: data flowing" "${before:-0}" 1
t_eq "kr1: 8 live connections" "$(ip netns exec kr1 userctl conn count)" 8
t_eq "no process left in kr1" "$(ip netns pids kr1 | wc -l)" 0
t0=$(ms)
t_check "ip netns del kr1" ip netns del kr1
i=0
while ip link show veth0 >/dev/null 2>&1 && [ $i -lt $((300 * TS)) ]; do usleep 100000; i=$((i + 1)); done
t_refuse "kr1 destroyed (veth0 went with it)" ip link show veth0
log "netns teardown took $(($(ms) - t0)) ms"
i=0
while { kill -0 $x9000 || kill -0 $x9001; } 2>/dev/null && [ $i -lt $((200 * TS)) ]; do usleep 100000; i=$((i + 1)); done
for p in 9000 9001; do
	eval x=\$x$p
	if wait_end "$x" 0; then t_pass "kr1 $p: clients ended"; else t_fail "kr1 $p: clients ended" "still running $((20 * TS)) s after the namespace went"; fi
	log "kr1 $p: $(tail -n1 /tmp/ns$p.log)"
	t_eq "kr1 $p: all 4 transfers cut by a reset" \
		"$(grep -c 'FAIL.*Connection reset by peer' /tmp/ns$p.log)" 4
	t_eq "kr1 $p: no corruption" "$(corrupt /tmp/ns$p.log | wc -l)" 0
done
# the namespace's connections were freed with it (SLUB: shrink to count
# exactly; RCU frees may lag)
objs() { echo 1 >/sys/kernel/slab/krelay_conn/shrink; cut -d' ' -f1 /sys/kernel/slab/krelay_conn/objects; }
i=0
while [ "$(objs)" != 0 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
t_eq "no krelay_conn object left after the netns went" "$(objs)" 0
kill $ns_echo "$echo_pid"
t_eq "init ns: no rule, no connection" "$(userctl -j stats | sed -n 's/.*"rule_count":\([0-9]*\).*/\1/p')/$(userctl conn count)" "0/0"
krelay_unload
t_refuse "krelay_conn cache destroyed" grep -q '^krelay_conn ' /proc/slabinfo

# --- leaks ---------------------------------------------------------------------
if [ -e /sys/kernel/debug/kmemleak ]; then
	# objects must be older than kmemleak's minimum age (5 s) to be reported
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	sleep 1
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(cat /sys/kernel/debug/kmemleak)
	[ -n "$leaks" ] && printf '%s\n' "$leaks" | head -n 60
	t_eq "kmemleak: no unreferenced object" "$(printf '%s\n' "$leaks" | grep -c '^unreferenced object')" 0
else
	log "no kmemleak on this kernel"
fi
