# vm: timeout=300 mem=2048
# A rule's memory belongs to the memory cgroup of whoever created it, not to
# the host: the relay's sockets (accepted and backend ones, created in a
# kworker) and its objects (connections, the backend sockets' structs, copy
# buffers) are charged to the creator's cgroup.
#  - userctl run in cgroup "tenant" adds a splice and a copy rule to a
#    backend that never reads; with many connections' data sitting in the
#    relay, tenant's memory.stat shows it (sock and slab), and all of it is
#    given back when the connections end;
#  - with memory.max 4M, the tenant's relay runs into that limit (its
#    memory.events "max" counts), while a rule of the host keeps relaying;
#  - a copy-mode pass that cannot have its buffer at the tenant's limit is
#    retried after a back-off, not reset, and the transfer completes;
#  - the module parameter userns_admin=0 refuses changes by user-namespace
#    root with its own netns (unshare -Urn), with a message saying why;
#    reading still works, and so do changes by init-namespace root.
. /tests/lib.sh
krelay_load
CG=/sys/fs/cgroup
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
[ -e $CG/cgroup.controllers ] || mount -t cgroup2 none $CG
t_check "cgroup2 with the memory controller" sh -c "echo +memory >$CG/cgroup.subtree_control"
mkdir -p $CG/tenant $CG/small $CG/clients
# in_cg CGROUP CMD...: run CMD in CGROUP
in_cg() { sh -c 'echo $$ >"$0"/cgroup.procs && exec "$@"' "$CG/$1" "${@:2}"; }
memstat() { awk -v k="$2" '$1 == k {print $2}' "$CG/$1/memory.stat"; }
memevent() { awk -v k="$2" '$1 == k {print $2}' "$CG/$1/memory.events"; }
sock_at_least() { [ "$(memstat tenant sock)" -ge "$1" ]; }
sock_at_most() { [ "$(memstat tenant sock)" -le "$1" ]; }
active_is() { [ "$(stat_of active)" = "$1" ]; }

# The clients fill the relay until it holds their data toward a backend
# that never reads, and the connections are then ended by that backend
# going away: its close with unread data resets the relay's backend
# sockets, and the relay resets the clients.  (Killing the clients instead
# leaves their orphaned sockets retrying into a zero window for a minute
# or more before they give up.)
kr-echo -m noread 127.0.0.1:7000 2>/tmp/echo.log &
nr0=$!
wait_listen 7000
kr-echo -m echo 127.0.0.1:7001 2>/tmp/echo1.log &
wait_listen 7001
t_check "tenant: rule add (splice)" in_cg tenant userctl rule add 127.0.0.1:9000 to 127.0.0.1:7000
t_check "tenant: rule add (copy)" in_cg tenant userctl rule add 127.0.0.1:9001 to 127.0.0.1:7000 mode copy
sock0=$(memstat tenant sock)
slab0=$(memstat tenant slab_unreclaimable)
log "tenant before: sock=$sock0 slab_unreclaimable=$slab0"

N=100 NC=20
in_cg clients kr-xfer -c 127.0.0.1:9000 --mode fill -n $N -j $N --max 4M --stall 40 -q >/tmp/fill.out 2>&1 &
f1=$!
in_cg clients kr-xfer -c 127.0.0.1:9001 --mode fill -n $NC -j $NC --max 4M --stall 40 -q >/tmp/fillc.out 2>&1 &
f2=$!
t_check "$((N + NC)) connections relayed" wait_until $((30 * TS)) active_is $((N + NC))
# each connection's relay sockets hold at least their initial windows
t_check "tenant's sock memory holds the relayed data (>= 4 MiB)" \
	wait_until $((30 * TS)) sock_at_least $((sock0 + 4 * 1024 * 1024))
slab1=$(memstat tenant slab_unreclaimable)
log "tenant filled: sock=$(memstat tenant sock) slab_unreclaimable=$slab1 kernel=$(memstat tenant kernel)"
log "clients: sock=$(memstat clients sock); sockstat: $(grep TCP: /proc/net/sockstat)"
# a connection object and a backend socket's structs are more than 1 KiB
t_ge "tenant's slab holds the connections (>= $((N + NC)) KiB more)" \
	"$((slab1 - slab0))" $(((N + NC) * 1024))
kill $nr0
kill $f1 $f2 2>/dev/null
wait $f1 $f2 2>/dev/null
t_check "every connection ended" wait_until $((30 * TS)) active_is 0
t_check "rule del" userctl rule del 127.0.0.1:9000
t_check "rule del (copy)" userctl rule del 127.0.0.1:9001
# what the sockets held is uncharged again (the listener's little is gone too)
wait_until $((10 * TS)) sock_at_most $((sock0 + 65536))
t_ge "tenant's sock memory given back" $((sock0 + 65536)) "$(memstat tenant sock)"

# --- a tenant with a memory limit ---------------------------------------------
echo 4M >$CG/small/memory.max
kr-echo -m noread 127.0.0.1:7002 2>/tmp/echo2.log &
nr2=$!
wait_listen 7002
t_check "small: rule add" in_cg small userctl rule add 127.0.0.1:9002 to 127.0.0.1:7002
t_check "host: rule add" userctl rule add 127.0.0.1:9003 to 127.0.0.1:7001
max0=$(memevent small max)
in_cg clients kr-xfer -c 127.0.0.1:9002 --mode fill -n 60 -j 60 --max 4M --stall 20 -q >/tmp/fill2.out 2>&1 &
f3=$!
hit_max() { [ "$(memevent small max)" -gt "$max0" ]; }
t_check "the tenant's relay runs into its memory.max" wait_until $((40 * TS)) hit_max
log "small: current=$(cat $CG/small/memory.current) sock=$(memstat small sock) events: $(tr '\n' ' ' <$CG/small/memory.events)"
log "sockstat: $(grep TCP: /proc/net/sockstat)"
t_check "meanwhile the host's rule relays (1 MiB, byte-exact)" \
	kr-xfer -c 127.0.0.1:9003 -n 4 --min 1M --max 1M --no-digest -q --timeout $((60 * TS))
kill $nr2
kill $f3 2>/dev/null
wait $f3 2>/dev/null
t_check "every connection ended" wait_until $((30 * TS)) active_is 0
t_check "rule del (small)" userctl rule del 127.0.0.1:9002

# --- a pass short of memory backs off -------------------------------------------
# A copy-mode connection of tenant "tight" is set up, then tight's relay
# runs into its memory.max (a splice rule toward a non-reading backend),
# and only then does the client send: copy mode's buffer cannot be
# charged.  The relay puts the pass off (counted nomem_retries) instead of
# resetting the connection; once the non-reading backend goes and its
# connections with it, the transfer completes, byte for byte.
mkdir -p $CG/tight
echo 4M >$CG/tight/memory.max
kr-echo -m noread 127.0.0.1:7003 2>/tmp/echo3.log &
nr3=$!
wait_listen 7003
t_check "tight: rule add (copy)" in_cg tight userctl rule add 127.0.0.1:9006 to 127.0.0.1:7001 mode copy
t_check "tight: rule add (filler)" in_cg tight userctl rule add 127.0.0.1:9007 to 127.0.0.1:7003
head -c 2097152 /dev/urandom >/tmp/payload
rm -f /tmp/go
{ while [ ! -e /tmp/go ]; do usleep 100000; done; cat /tmp/payload; } |
	in_cg clients socat -t 120 -T 180 - TCP:127.0.0.1:9006 >/tmp/got 2>/tmp/socat.err &
sc=$!
copy_up() { [ "$(stat_of active 127.0.0.1:9006)" = 1 ]; }
t_check "tight: the copy connection is up" wait_until $((20 * TS)) copy_up
tmax0=$(memevent tight max)
in_cg clients kr-xfer -c 127.0.0.1:9007 --mode fill -n 60 -j 60 --max 4M --stall 60 -q >/tmp/fill4.out 2>&1 &
f4=$!
tight_max() { [ "$(memevent tight max)" -gt "$tmax0" ]; }
t_check "tight: the relay runs into its memory.max" wait_until $((40 * TS)) tight_max
touch /tmp/go
retried() { [ "$(stat_of nomem_retries 127.0.0.1:9006)" -gt 0 ]; }
t_check "tight: the copy pass short of memory is put off (nomem_retries)" wait_until $((30 * TS)) retried
log "tight: current=$(cat $CG/tight/memory.current) events: $(tr '\n' ' ' <$CG/tight/memory.events) rule: $(userctl -j stats 127.0.0.1:9006)"
t_eq "tight: ... and not reset" "$(stat_of reset 127.0.0.1:9006)" 0
kill $nr3
kill $f4 2>/dev/null
wait $f4 2>/dev/null
t_check "tight: once memory is given back, the transfer ends" wait_end $sc $((120 * TS))
t_check "tight: 2 MiB echoed byte for byte" cmp /tmp/payload /tmp/got
log "tight after: $(userctl -j stats 127.0.0.1:9006)"
t_eq "tight: the copy connection closed (not reset)" "$(stat_of closed 127.0.0.1:9006)/$(stat_of reset 127.0.0.1:9006)" 1/0
t_check "tight: rule del" userctl rule del 127.0.0.1:9006
t_check "tight: rule del (filler)" userctl rule del 127.0.0.1:9007

# --- userns_admin=0 --------------------------------------------------------------
P=/sys/module/krelay/parameters/userns_admin
t_eq "userns_admin defaults to on" "$(cat $P)" Y
t_check "userns root with its own netns: rule add allowed by default" \
	$NOBODY unshare -U -r -n sh -c 'ip link set lo up && userctl rule add 127.0.0.1:9005 to 127.0.0.1:7001 && userctl rule del 127.0.0.1:9005'
echo 0 >$P
out=$($NOBODY unshare -U -r -n sh -c 'ip link set lo up && userctl rule add 127.0.0.1:9005 to 127.0.0.1:7001' 2>&1)
rc=$?
log "userns_admin=0: exit $rc: $out"
t_eq "userns_admin=0: userns root's rule add fails" "$rc" 1
t_match "... saying it needs CAP_NET_ADMIN in the initial user namespace" "$out" \
	'changes need CAP_NET_ADMIN in the initial user namespace'
t_check "userns_admin=0: userns root can still read" \
	$NOBODY unshare -U -r -n sh -c 'userctl rule list && userctl stats'
t_check "userns_admin=0: init root can change" userctl rule add 127.0.0.1:9005 to 127.0.0.1:7001
t_eq "userns_admin=0: init root's rule relays" "$(kr-oob -t 5 127.0.0.1:9005 2>/dev/null)" helloworld
t_check "userns_admin=0: init root rule del" userctl rule del 127.0.0.1:9005
echo 1 >$P
t_check "host: rule del" userctl rule del 127.0.0.1:9003
krelay_unload
