# vm: timeout=240
# Connection lifecycle: a backend that resets, a backend that never answers
# the SYN (connect timeout), an idle connection (idle timeout), a client
# that resets; each ends promptly in its documented outcome and is counted.
. /tests/lib.sh
krelay_load
uptime_s() { cut -d. -f1 /proc/uptime; }

# 1. Backend resets right after accept -> client sees the connection end
#    (RST or EOF) promptly; counted as reset.
kr-echo -m rst 127.0.0.1:7001 2>/dev/null &
wait_listen 7001
t_check "rule to a resetting backend" userctl rule add 127.0.0.1:9001 to 127.0.0.1:7001
t0=$(uptime_s)
echo hello | socat -T $((10 * TS)) - TCP:127.0.0.1:9001 >/dev/null 2>&1
t1=$(uptime_s)
t_ge "client ended within $((3 * TS)) s of the backend's RST" $((3 * TS - (t1 - t0))) 0
# the relay's teardown may trail the client's own close under load
for _ in $(seq 50); do [ "$(stat_of reset)" = 1 ] && break; usleep 100000; done
[ "$(stat_of reset)" = 1 ] || log "totals: $(userctl -j stats | jq -c .totals)"
t_eq "backend reset counted" "$(stat_of reset)" 1

# 2. Backend never answers the SYN: its accept queue is full (backlog 0,
#    never accepts, one connection already queued) -> connect timeout.
kr-echo -m blackhole 127.0.0.1:7002 2>/dev/null &
wait_listen 7002
socat -T 60 TCP:127.0.0.1:7002 - </dev/null >/dev/null 2>&1 &
sleep 1
t_check "rule with a 1500 ms connect timeout" \
	userctl rule add 127.0.0.1:9002 to 127.0.0.1:7002 connect-timeout 1500
t0=$(uptime_s)
# -t: after its stdin ends, socat waits for the relay to close
echo hello | socat -t $((20 * TS)) -T $((20 * TS)) - TCP:127.0.0.1:9002 >/dev/null 2>&1
t1=$(uptime_s)
d=$((t1 - t0))
log "connect-timeout: client closed after ${d}s"
t_ge "client not closed before the timeout" "$d" 1
t_ge "client closed within $((5 * TS)) s" $((5 * TS - d)) 0
t_eq "connect timeout counted" "$(stat_of connect_timeout)" 1

# 3. Idle timeout: an idle relayed connection is closed after ~2 s.
kr-echo -m echo 127.0.0.1:7003 2>/dev/null &
wait_listen 7003
t_check "rule with a 2000 ms idle timeout" \
	userctl rule add 127.0.0.1:9003 to 127.0.0.1:7003 idle-timeout 2000
t0=$(uptime_s)
# (not a pipeline: that would wait for the sleep, not for socat)
socat -t 1 -T 60 - TCP:127.0.0.1:9003 < <(echo ping; sleep 30) >/tmp/idle.out 2>/dev/null
t1=$(uptime_s)
d=$((t1 - t0))
log "idle-timeout: closed after ${d}s"
t_eq "idle connection relayed its data first" "$(cat /tmp/idle.out)" "ping"
t_ge "idle connection closed after >= 2 s" "$d" 2
t_ge "idle connection closed within $((6 * TS)) s" $((6 * TS - d)) 0
t_eq "idle timeout counted" "$(stat_of idle_timeout)" 1

# 4. An active connection is not closed by the idle timer.
(for i in 1 2 3 4 5 6; do echo tick; sleep 1; done) | socat -T 60 - TCP:127.0.0.1:9003 >/tmp/busy.out 2>&1
t_eq "busy connection outlives the idle timeout" "$(grep -c tick /tmp/busy.out)" 6

# 5. Client resets mid-transfer -> backend connection aborted, counted.
before=$(stat_of reset)
kr-xfer -c 127.0.0.1:9003 -n 1 --min 8M --max 8M --rst-after 1M >/dev/null 2>&1
sleep 1
t_ge "client reset counted" "$(stat_of reset)" $((before + 1))
t_eq "nothing left active" "$(stat_of active)" 0
krelay_unload
