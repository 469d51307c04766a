# vm: timeout=60
# The harness itself: the share is writable, the modules are present,
# loopback works.  Run first so a broken harness is obvious.
. /tests/lib.sh
t_check "share writable" touch /share/probe
t_check "krelay.ko present" test -f "$KRELAY_KO"
t_check "loopback up" ping -c1 -W2 127.0.0.1
t_eq "kernel release" "$(uname -r)" "$KVER"
# the init's TCP warm-up (see tests/vm/init) happened: one connection over
# IPv4 and one over IPv6, nothing else yet in this guest
t_eq "init's TCP warm-up: 2 active and 2 passive opens" \
	"$(awk '/^Tcp:/ {n++} n == 2 {print $6, $7; exit}' /proc/net/snmp)" "2 2"
t_eq "init's TCP warm-up: both with SYN cookies, setting restored" \
	"$(tcp_ext SyncookiesSent SyncookiesRecv SyncookiesFailed) $(cat /proc/sys/net/ipv4/tcp_syncookies)" \
	"SyncookiesSent=2 SyncookiesRecv=2 SyncookiesFailed=0  1"
