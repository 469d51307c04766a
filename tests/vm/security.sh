# vm: timeout=300 mem=1024 smp=2
# Security of the control interface:
#  - an unprivileged user can read but every mutating command (rule add,
#    del, set, conn kill) is refused with a permission error, state unchanged;
#  - user-namespace root in the init netns (unshare -U -r) is refused too;
#  - user-namespace root with its own netns (unshare -U -r -n) manages the
#    rules of that netns only: it can add a rule and relay through it, its
#    rule is invisible from the init netns and the init netns' rules and
#    connections are invisible (and untouchable) from it;
#  - no dump (rules, connections, stats) carries a kernel pointer;
#  - strict policies: wrong lengths, unknown attributes, trailing bytes,
#    reserved header bits are rejected with an extended-ack message.
. /tests/lib.sh

NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

conn_ids() { userctl -j conn list | grep -o '"id":[0-9]*' | cut -d: -f2 | sort; }

# refused NAME CMD...: CMD fails with a permission error on stderr
refused() {
	n=$1; shift
	"$@" >/tmp/out 2>/tmp/err
	rc=$? msg=$(head -c 300 /tmp/err)
	log "$* -> exit $rc: $msg"
	if [ $rc -eq 0 ]; then
		t_fail "$n" "succeeded: $*"
	elif ! printf '%s' "$msg" | grep -Eqi 'permission|not permitted'; then
		t_fail "$n" "exit $rc without a permission error: $msg"
	else
		t_pass "$n"
	fi
}

krelay_load
kr-echo -m echo 127.0.0.1:7000 2>/tmp/echo.log &
ECHO=$!
wait_listen 7000
t_check "rule add" userctl rule add 127.0.0.1:9000 to 127.0.0.1:7000
wait_listen 9000
kr-hold -q -c 127.0.0.1:9000 -n 3 --hold 600 -r /tmp/hold.ready >/tmp/hold.log 2>&1 &
HOLD=$!
i=0
while [ ! -s /tmp/hold.ready ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
t_eq "3 held connections through the rule" "$(cat /tmp/hold.ready 2>/dev/null)" 3
i=0
while [ "$(conn_ids | wc -l)" -lt 3 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
conn=$(conn_ids | head -n1)
t_match "a connection id to kill" "$conn" '^[0-9]+$'
rules0=$(rules_norm)
conns0=$(conn_ids)

# --- unprivileged user ---------------------------------------------------------
refused "nobody: rule add" $NOBODY userctl rule add 127.0.0.1:9001 to 127.0.0.1:7000
refused "nobody: rule del" $NOBODY userctl rule del 127.0.0.1:9000
refused "nobody: rule del by id" $NOBODY userctl rule del id 1
refused "nobody: rule set" $NOBODY userctl rule set 127.0.0.1:9000 mode copy
refused "nobody: conn kill" $NOBODY userctl conn kill "$conn"
t_match "nobody: rule list" "$($NOBODY userctl rule list)" '127\.0\.0\.1:9000'
t_eq "nobody: conn count" "$($NOBODY userctl conn count)" 3
t_match "nobody: stats" "$($NOBODY userctl -j stats)" '"rule_count":1'
$NOBODY kr-nlfuzz --probe >/tmp/probe.nobody 2>&1
cat /tmp/probe.nobody
for p in perm_rule_new perm_rule_del perm_rule_set perm_conn_del; do
	t_match "nobody raw: $p -> EPERM" "$(grep "^probe $p " /tmp/probe.nobody)" 'errno=EPERM'
done
t_match "nobody raw: reads work" "$(grep '^probe valid_stats ' /tmp/probe.nobody)" 'errno=0 '
t_eq "rules unchanged by nobody" "$(rules_norm)" "$rules0"
t_eq "connections unchanged by nobody" "$(conn_ids)" "$conns0"
t_check "listener still up" wait_listen 9000 1

# --- user-namespace root in the init netns ---------------------------------------
t_eq "unshare -U -r maps to uid 0" "$($NOBODY unshare -U -r id -u)" 0
refused "userns root: rule add" $NOBODY unshare -U -r userctl rule add 127.0.0.1:9001 to 127.0.0.1:7000
refused "userns root: rule del" $NOBODY unshare -U -r userctl rule del 127.0.0.1:9000
refused "userns root: rule set" $NOBODY unshare -U -r userctl rule set 127.0.0.1:9000 mode copy
refused "userns root: conn kill" $NOBODY unshare -U -r userctl conn kill "$conn"
refused "root's userns root: rule del" unshare -U -r userctl rule del 127.0.0.1:9000
unshare -U -r kr-nlfuzz --probe >/tmp/probe.userns 2>&1
for p in perm_rule_new perm_rule_del perm_rule_set perm_conn_del; do
	t_match "userns root raw: $p -> EPERM" "$(grep "^probe $p " /tmp/probe.userns)" 'errno=EPERM'
done
t_match "userns root: reads work" "$($NOBODY unshare -U -r userctl rule list)" '127\.0\.0\.1:9000'
t_eq "rules unchanged by userns root" "$(rules_norm)" "$rules0"
t_eq "connections unchanged by userns root" "$(conn_ids)" "$conns0"

# --- user-namespace root with its own netns -------------------------------------------
# The child runs in the background so both sides can look at each other.
cat >/tmp/child.sh <<'EOF'
exec >/tmp/child.log 2>&1
set -x
id -u >/tmp/child.uid
ip link set lo up
kr-echo -m echo 127.0.0.1:7100 2>/tmp/child.echo &
e=$!
i=0
while ! grep -q listening /tmp/child.echo && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
userctl rule add 127.0.0.1:9100 to 127.0.0.1:7100; echo $? >/tmp/child.add
kr-xfer -q -c 127.0.0.1:9100 -n 6 -j 3 --max 512K --seed 9; echo $? >/tmp/child.xfer
userctl -j rule list >/tmp/child.rules
userctl conn count >/tmp/child.conns
userctl -j stats >/tmp/child.stats
userctl rule del 127.0.0.1:9000 2>/tmp/child.del.err; echo $? >/tmp/child.del
userctl rule set 127.0.0.1:9000 mode copy 2>/tmp/child.set.err; echo $? >/tmp/child.set
userctl conn kill "$1" 2>/tmp/child.kill.err; echo $? >/tmp/child.kill
kr-nlfuzz --dump-hex >/tmp/child.hex; echo $? >/tmp/child.hexrc
touch /tmp/child.ready
i=0
while [ ! -e /tmp/child.go ] && [ $i -lt 600 ]; do usleep 100000; i=$((i + 1)); done
kill $e
EOF
$NOBODY unshare -U -r -n bash /tmp/child.sh "$conn" &
CHILD=$!
i=0
while [ ! -e /tmp/child.ready ] && [ $i -lt 600 ]; do usleep 100000; i=$((i + 1)); done
cat /tmp/child.log
t_eq "netns child: is uid 0 in its userns" "$(cat /tmp/child.uid 2>/dev/null)" 0
t_eq "netns child: rule add succeeds" "$(cat /tmp/child.add 2>/dev/null)" 0
t_eq "netns child: relays byte-exact in its netns" "$(cat /tmp/child.xfer 2>/dev/null)" 0
t_match "netns child: sees its rule" "$(cat /tmp/child.rules 2>/dev/null)" '"listen":"127\.0\.0\.1:9100"'
t_eq "netns child: sees only its rule" "$(grep -o '"listen"' /tmp/child.rules | wc -l)" 1
t_eq "netns child: sees none of the init netns' connections" "$(cat /tmp/child.conns 2>/dev/null)" 0
t_match "netns child: stats count its rule only" "$(cat /tmp/child.stats 2>/dev/null)" '"rule_count":1[,}]'
t_eq "netns child: cannot delete the init rule (not found there)" "$(cat /tmp/child.del 2>/dev/null)" 1
t_eq "netns child: cannot change the init rule (not found there)" "$(cat /tmp/child.set 2>/dev/null)" 1
t_eq "netns child: cannot kill an init connection" "$(cat /tmp/child.kill 2>/dev/null)" 1
t_eq "netns child: dump ok" "$(cat /tmp/child.hexrc 2>/dev/null)" 0
t_eq "init netns: child's rule invisible" "$(rules_norm)" "$rules0"
t_eq "init netns: child's rule not in stats" "$(userctl -j stats | grep -o '"rule_count":[0-9]*')" '"rule_count":1'
t_eq "init netns: connections unchanged" "$(conn_ids)" "$conns0"
refused "init nobody cannot delete the child's rule" $NOBODY userctl rule del 127.0.0.1:9100
touch /tmp/child.go
wait $CHILD

# --- no kernel pointers in dumps ------------------------------------------------------
# hexdump lines "hex CMD BYTES"; any 8 bytes (at any offset) that read
# little-endian are >= 0xffff800000000000 (direct map, vmalloc, modules,
# kernel text) would be a leak.
ptr_scan() {
	awk '$1 == "hex" { s = $3; n = length(s) / 2
		for (i = 0; i + 8 <= n; i++)
			if (substr(s, 2 * (i + 6) + 1, 4) == "ffff" && substr(s, 2 * (i + 5) + 1, 1) ~ /[89a-f]/)
				{ print "cmd " $2 " offset " i ": " substr(s, 2 * i + 1, 16); break } }' "$@"
}
t_match "pointer scan catches a planted pointer" \
	"$(echo 'hex 3 000000785634128088ffff00' | ptr_scan)" 'offset 3'
t_eq "pointer scan ignores 0xffff7f..." "$(echo 'hex 3 00785634127fffff0000' | ptr_scan)" ""
kr-nlfuzz --dump-hex >/tmp/init.hex
t_eq "dump-hex exit status" $? 0
t_ge "dumped rule messages" "$(grep -c '^hex 3 ' /tmp/init.hex)" 1
t_ge "dumped connection messages" "$(grep -c '^hex 6 ' /tmp/init.hex)" 3
t_ge "dumped stats messages" "$(grep -c '^hex 5 ' /tmp/init.hex)" 1
t_eq "no kernel pointer in init netns dumps" "$(ptr_scan /tmp/init.hex)" ""
t_ge "child dumped its rule" "$(grep -c '^hex 3 ' /tmp/child.hex)" 1
t_eq "no kernel pointer in child netns dumps" "$(ptr_scan /tmp/child.hex)" ""
# the child's dumps do not carry the init rule's listen port (9000 = 0x2328)
# or backend port (7000 = 0x1b58) as a port attribute (len 6, type 3)
t_eq "child dumps carry no init-netns port" \
	"$(grep -Eic '0600030023280000|060003001b580000' /tmp/child.hex)" 0
t_ge "(control) init dumps carry it" "$(grep -Eic '0600030023280000' /tmp/init.hex)" 1

# --- strict policies --------------------------------------------------------------------
kr-nlfuzz --probe -p 9500-9599 >/tmp/probe.root 2>&1
cat /tmp/probe.root
# expect PROBE ERRNO-REGEX MSG-REGEX
expect() {
	l=$(grep "^probe $1 " /tmp/probe.root)
	t_match "probe $1" "$l" "errno=($2) .*msg=.*($3)"
}
expect valid_stats '0' ''
expect valid_get_missing_rule 'ENOENT' '.'
expect unknown_attr 'EINVAL' '[Uu]nknown attribute'
expect unspec_attr 'EINVAL' '.'
expect attr_not_in_policy 'EINVAL' '.'
expect u32_short 'EINVAL|ERANGE' 'length'
expect u32_long 'EINVAL|ERANGE' 'length'
expect u64_short 'EINVAL|ERANGE' 'length'
expect u8_long 'EINVAL|ERANGE' 'length'
expect ipv4_short 'EINVAL|ERANGE' 'length|size'
expect ipv6_short 'EINVAL|ERANGE' 'length|size'
expect port_short 'EINVAL|ERANGE' 'length'
expect nested_unknown_attr 'EINVAL' '[Uu]nknown attribute'
expect nest_flag_missing 'EINVAL' 'NLA_F_NESTED'
expect mode_range 'ERANGE|EINVAL' 'range'
expect timeout_range 'ERANGE|EINVAL' 'range'
expect trailing_garbage 'EINVAL' 'leftover'
expect nla_len_overrun 'EINVAL' '.'
expect stats_with_attr 'EINVAL' '.'
expect genl_reserved 'EINVAL' 'reserved'
expect cmd_unknown 'EOPNOTSUPP' ''
expect cmd_unspec 'EOPNOTSUPP' ''
expect dump_of_doit_only 'EOPNOTSUPP' ''
# the messages nobody and userns root were refused are valid: root may
expect perm_rule_new '0' ''
expect perm_rule_del 'ENOENT' 'no rule'
expect perm_rule_set 'ENOENT' 'no rule'
expect perm_conn_del 'ENOENT' 'no connection'
# (the probe's rule listens on port 9500, IPv4 or IPv6)
t_check "probe rule del" userctl rule del \
	"$(userctl -j rule list | jq -r '.[] | select(.listen | endswith(":9500")) | .listen')"
t_eq "malformed probes changed no rule" "$(rules_norm)" "$rules0"

kill $HOLD 2>/dev/null
wait $HOLD 2>/dev/null
t_check "rule del" userctl rule del 127.0.0.1:9000
krelay_unload
kill $ECHO 2>/dev/null
wait $ECHO 2>/dev/null
