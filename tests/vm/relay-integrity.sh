# vm: timeout=420
# 50 concurrent connections, random payloads of 1 B .. 8 MiB written in
# random chunks, echoed back through the relay and compared by SHA-256;
# splice mode (with and without the receive fast path) and copy mode.
. /tests/lib.sh
krelay_load
kr-echo -m echo -r /tmp/echo.ready 127.0.0.1:7000 2>/tmp/echo.log &
wait_listen 7000
t_check "rule add splice" userctl rule add 127.0.0.1:9000 to 127.0.0.1:7000
t_check "rule add copy" userctl rule add 127.0.0.1:9001 to 127.0.0.1:7000 mode copy
t_check "echo direct (control)" kr-xfer -c 127.0.0.1:7000 -n 20 -j 20 --min 1 --max 1M --seed 7
t_check "50 transfers via splice rule" kr-xfer -c 127.0.0.1:9000 -n 50 -j 50 --min 1 --max 8M --wmin 1 --wmax 256K --seed 1
# splice-mode data is passed on from the receive softirq (fast passes); the
# work alone (bh_forward=0) must be just as exact
t_ge "splice rule: data passed on from the receive softirq" "$(stat_of fast_passes)" 1
echo 0 >/sys/module/krelay/parameters/bh_forward
fp=$(stat_of fast_passes)
t_check "50 transfers via splice rule, work only (bh_forward=0)" kr-xfer -c 127.0.0.1:9000 -n 50 -j 50 --min 1 --max 8M --wmin 1 --wmax 256K --seed 3
t_eq "no fast pass with bh_forward=0" "$(stat_of fast_passes)" "$fp"
echo 1 >/sys/module/krelay/parameters/bh_forward
t_check "50 transfers via copy rule" kr-xfer -c 127.0.0.1:9001 -n 50 -j 50 --min 1 --max 8M --wmin 1 --wmax 256K --seed 2
t_eq "no connection failed" "$(stat_of failed)" 0
t_eq "no connection left active" "$(stat_of active)" 0
t_ge "connections accepted" "$(stat_of accepted)" 150
krelay_unload
kill %1 2>/dev/null
