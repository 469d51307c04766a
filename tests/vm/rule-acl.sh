# vm: timeout=240
# Client ACLs, per rule and netns-wide, IPv4 and IPv6, with rinetd's rules:
# a matching deny wins; a list with allow entries admits only what they
# match; a connection must pass both lists.  Rejected clients are reset at
# once (no data, no backend connection) and counted as denied.
. /tests/lib.sh
krelay_load

kr-echo -m echo 127.0.0.1:7201 '[::1]:7202' 2>/dev/null &
wait_listen 7201
wait_listen 7202

# try PORT SRC: "ok" if an echo through the relay from source SRC works
try() {
	case $2 in
	*:*) got=$(echo ping | socat -T $((5 * TS)) - "TCP6:[::1]:$1,bind=[$2]" 2>/dev/null) ;;
	*) got=$(echo ping | socat -T $((5 * TS)) - "TCP4:127.0.0.1:$1,bind=$2" 2>/dev/null) ;;
	esac
	[ "$got" = ping ] && echo ok || echo denied
}
# pattern PORT SRC...: the try results for each source, space-separated
pattern() { p=$1; shift; for s in "$@"; do try "$p" "$s"; done | tr '\n' ' ' | sed 's/ $//'; }

t_check "rule with an allow list and a deny inside it" \
	userctl rule add 127.0.0.1:9201 to 127.0.0.1:7201 allow 127.0.0.0/30 deny 127.0.0.2
t_check "rule without ACL" userctl rule add 127.0.0.1:9202 to 127.0.0.1:7201

t_eq "per-rule ACL: .1 allowed, .2 denied (deny wins), .3 allowed, .5 not allowed" \
	"$(pattern 9201 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.5)" "ok denied ok denied"
t_eq "denied connections counted" "$(userctl -j rule list | jq '.[] | select(.listen == "127.0.0.1:9201") | .stats.denied')" 2
t_eq "the other rule admits everybody" "$(pattern 9202 127.0.0.2 127.0.0.5)" "ok ok"
t_eq "a denied client caused no backend connection" \
	"$(userctl -j rule list | jq '.[] | select(.listen == "127.0.0.1:9201") | .backends[0].conns')" 2

# a denied client is reset at once: its connect succeeds, then it reads
# EOF/RST well before socat's own timeout
t0=$(cut -d. -f1 /proc/uptime)
echo ping | socat -T $((5 * TS)) - TCP4:127.0.0.1:9201,bind=127.0.0.5 >/dev/null 2>&1
t1=$(cut -d. -f1 /proc/uptime)
# (12 s on the debug kernel, where socat alone takes seconds to start and
# this took 8 s; socat's own timeout there is 20 s)
lim=2
[ "$KDBG" = 1 ] && lim=12
t_ge "denied client ended within $lim s" $((lim - (t1 - t0))) 0

# netns-wide list: applies to every rule, combined with the rule's
t_check "global deny 127.0.0.3" userctl acl add deny 127.0.0.3
t_eq "global deny applies to the rule without ACL" "$(pattern 9202 127.0.0.1 127.0.0.3)" "ok denied"
t_eq "global deny applies on top of a rule's allow" "$(pattern 9201 127.0.0.1 127.0.0.3)" "ok denied"
t_check "global allow 127.0.0.0/31" userctl acl add allow 127.0.0.0/31
t_eq "global allow list admits only its prefix" "$(pattern 9202 127.0.0.1 127.0.0.4)" "ok denied"
t_match "acl list shows both entries" "$(userctl acl list)" "127\.0\.0\.3"
t_check "global acl del" userctl acl del allow 127.0.0.0/31
t_eq "after del the allow list is gone" "$(pattern 9202 127.0.0.4)" "ok"
t_check "global acl flush" userctl acl flush
t_eq "after flush everybody passes the rule without ACL" "$(pattern 9202 127.0.0.3)" "ok"
t_eq "global ACL empty" "$(userctl -j acl list | jq length)" 0

# a rule's ACL changes atomically with rule set, and can be cleared
t_check "rule set replaces the rule's ACL" userctl rule set 127.0.0.1:9201 deny 127.0.0.1
t_eq "new per-rule ACL in force" "$(pattern 9201 127.0.0.1 127.0.0.2)" "denied ok"
t_check "rule set acl flush" userctl rule set 127.0.0.1:9201 acl flush
t_eq "cleared per-rule ACL admits all" "$(pattern 9201 127.0.0.1 127.0.0.2)" "ok ok"

# IPv6
t_check "IPv6 rule allowing only 2001:db8::/32" \
	userctl rule add '[::1]:9203' to '[::1]:7202' allow 2001:db8::/32
t_eq "::1 is not in the allow list" "$(try 9203 ::1)" denied
t_check "IPv6 rule set: allow ::1/128" userctl rule set '[::1]:9203' allow ::1/128
t_eq "::1 allowed now" "$(try 9203 ::1)" ok
t_check "global IPv6 deny ::/0" userctl acl add deny ::/0
t_eq "global IPv6 deny wins over the rule's allow" "$(try 9203 ::1)" denied
t_eq "and leaves IPv4 alone" "$(try 9202 127.0.0.1)" ok
t_check "global acl flush" userctl acl flush

t_refuse "userctl rejects host bits beyond the prefix" userctl acl add deny 10.0.0.1/8
t_refuse "userctl rejects a prefix longer than the address" userctl acl add deny 10.0.0.0/33

t_eq "nothing left open" "$(userctl -j stats | jq .totals.active)" 0
for r in 127.0.0.1:9201 127.0.0.1:9202 '[::1]:9203'; do userctl rule del "$r"; done
krelay_unload
