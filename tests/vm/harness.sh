# vm: timeout=60
# The harness itself: the share is writable, the modules are present,
# loopback works.  Run first so a broken harness is obvious.
. /tests/lib.sh
t_check "share writable" touch /share/probe
t_check "krelay.ko present" test -f "$KRELAY_KO"
t_check "loopback up" ping -c1 -W2 127.0.0.1
t_eq "kernel release" "$(uname -r)" "$KVER"
