# vm: timeout=60
# The harness itself: the share is writable, the modules are present,
# loopback works.  Run first so a broken harness is obvious.
. /tests/lib.sh
t_check "share writable" touch /share/probe
t_check "krelay.ko present" test -f "$KRELAY_KO"
t_check "loopback up" ping -c1 -W2 127.0.0.1
t_eq "kernel release" "$(uname -r)" "$KVER"
# the init's TCP warm-up (see tests/vm/init) happened: one connection over
# IPv4 and one over IPv6, nothing else yet in this guest, both through SYN
# cookies.  (Under host load a client's ACK can be sent again and reach
# the listener after the connection ended: it is one more valid cookie and
# passive open, so those two counters are lower bounds.)
set -- $(awk '/^Tcp:/ {n++} n == 2 {print $6, $7; exit}' /proc/net/snmp)
t_eq "init's TCP warm-up: 2 active opens" "$1" 2
t_ge "init's TCP warm-up: 2 passive opens or more" "$2" 2
set -- $(tcp_ext SyncookiesSent SyncookiesRecv SyncookiesFailed | tr -d 'A-Za-z=')
t_eq "init's TCP warm-up: 2 SYN cookies sent" "$1" 2
t_ge "init's TCP warm-up: 2 or more valid cookies received" "$2" 2
t_eq "init's TCP warm-up: no cookie failed" "$3" 0
t_eq "init's TCP warm-up: tcp_syncookies restored" "$(cat /proc/sys/net/ipv4/tcp_syncookies)" 1
