# vm: timeout=420
# 50 concurrent connections, random payloads of 1 B .. 8 MiB written in
# random chunks, echoed back through the relay and compared by SHA-256;
# splice and copy mode.
. /tests/lib.sh
krelay_load
kr-echo -m echo -r /tmp/echo.ready 127.0.0.1:7000 2>/tmp/echo.log &
wait_listen 7000
t_check "rule add splice" userctl rule add 127.0.0.1:9000 to 127.0.0.1:7000
t_check "rule add copy" userctl rule add 127.0.0.1:9001 to 127.0.0.1:7000 mode copy
t_check "echo direct (control)" kr-xfer -c 127.0.0.1:7000 -n 20 -j 20 --min 1 --max 1M --seed 7
t_check "50 transfers via splice rule" kr-xfer -c 127.0.0.1:9000 -n 50 -j 50 --min 1 --max 8M --wmin 1 --wmax 256K --seed 1
t_check "50 transfers via copy rule" kr-xfer -c 127.0.0.1:9001 -n 50 -j 50 --min 1 --max 8M --wmin 1 --wmax 256K --seed 2
t_eq "no connection failed" "$(stat_of failed)" 0
t_eq "no connection left active" "$(stat_of active)" 0
t_ge "connections accepted" "$(stat_of accepted)" 100
krelay_unload
kill %1 2>/dev/null
