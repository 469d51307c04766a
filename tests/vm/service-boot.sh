# vm: timeout=240 solo
# krelay.service without systemd: the guest carries the unit as
# `make install PREFIX=/usr` installs it (scripts/initramfs.sh), and this
# scenario runs exactly its command lines, read from the installed unit
# file (ExecStartPre/ExecStart at "boot", ExecReload, ExecStop), against
# /etc/krelay/krelay.conf: the module gets loaded, the file's rules are
# there and relay byte-exact traffic; a reload applies a changed file in
# place (a live connection survives it); a reload with a broken file fails
# and changes nothing; stop leaves the rules relaying, unless the shipped
# flush-on-stop drop-in is installed; a restart brings the rules back.
. /tests/lib.sh
UNIT=/usr/lib/systemd/system/krelay.service
DROPIN=/usr/share/doc/krelay/examples/flush-on-stop.conf
CONF=/etc/krelay/krelay.conf

# unit_lines KEY FILE...: the values of KEY= in the unit file and its
# drop-ins, in order, as systemd collects them (an empty value resets the
# list).
unit_lines() {
	local key=$1
	shift
	awk -v k="$key" '
		/^\[/ { sec = $0 }
		sec == "[Service]" && index($0, k "=") == 1 {
			v = substr($0, length(k) + 2)
			if (v == "") n = 0; else l[++n] = v
		}
		END { for (i = 1; i <= n; i++) print l[i] }' "$@"
}
# run_unit KEY FILE...: run KEY's command lines like systemd: one after the
# other, stop at the first failure unless the line starts with "-".
# Anything this simple word splitting would get wrong (quotes, $, %
# specifiers, backslashes) fails the check instead of being guessed at.
run_unit() {
	local key=$1 line ign
	shift
	while IFS= read -r line; do
		case $line in
		*[\"\'\$%\\\;]*)
			log "$key: cannot run '$line' without systemd"
			return 100 ;;
		esac
		ign=0
		while :; do
			case $line in
			-*) ign=1; line=${line#?} ;;
			[@:+!]*) line=${line#?} ;;
			*) break ;;
			esac
		done
		log "$key: $line"
		# shellcheck disable=SC2086 # systemd splits at white space
		(set -f; exec $line) || [ $ign = 1 ] || return 1
	done < <(unit_lines "$key" "$@")
}
# start FILE...: what `systemctl start` does for this Type=oneshot unit
start_unit() {
	local c
	c=$(sed -n 's/^ConditionPathExists=//p' "$@" | tail -n1)
	[ -z "$c" ] || [ -e "$c" ] || { log "condition $c not met"; return 0; }
	run_unit ExecStartPre "$@" && run_unit ExecStart "$@" && run_unit ExecStartPost "$@"
}
listens() { userctl -j rule list | jq -r '.[].listen' | sort | tr '\n' ' '; }
rule_id() { userctl -j rule list | jq -r --arg l "$1" '.[] | select(.listen == $l) | .id'; }

t_check "unit installed by make install" test -f "$UNIT"
log "$(grep -E '^(Exec|Condition|Type|RemainAfterExit)' "$UNIT")"
t_eq "unit is a oneshot that remains active" \
	"$(sed -n 's/^Type=//p; s/^RemainAfterExit=//p' "$UNIT" | tr '\n' ' ')" "oneshot yes "
t_match "the unit loads the module before applying" "$(unit_lines ExecStartPre "$UNIT")" 'modprobe krelay$'
t_match "the unit applies /etc/krelay/krelay.conf" "$(unit_lines ExecStart "$UNIT")" "userctl apply $CONF\$"
t_eq "reload applies the same file" "$(unit_lines ExecReload "$UNIT")" "$(unit_lines ExecStart "$UNIT")"
t_eq "no ExecStop: stop leaves the rules" "$(unit_lines ExecStop "$UNIT")" ""
t_check "make install put the example configuration in /etc" test -f "$CONF"
t_eq "the example configuration has no rules" "$(grep -cv '^[[:space:]]*\(#\|$\)' "$CONF")" 0
t_refuse "krelay not loaded before the unit starts" grep -q '^krelay ' /proc/modules

kr-echo 127.0.0.1:7001 127.0.0.1:7002 2>/tmp/echo.log &
wait_listen 7001
wait_listen 7002

# --- "boot": the configuration is in place, the unit starts ------------------
cat >"$CONF" <<'CONF'
# written by tests/vm/service-boot.sh
allow 127.0.0.0/8
0.0.0.0 9301 127.0.0.1 7001 [timeout=60,keepalive=on]
127.0.0.1 9302 127.0.0.1 7002 [mode=copy]
CONF
run_unit ExecStartPre "$UNIT" >/tmp/start.out 2>&1
t_eq "ExecStartPre succeeds" $? 0
t_check "ExecStartPre loaded krelay" grep -q '^krelay ' /proc/modules
run_unit ExecStart "$UNIT" >/tmp/start.out 2>&1
t_eq "ExecStart succeeds" $? 0
log "$(cat /tmp/start.out)"
t_match "ExecStart: the rules were added" "$(cat /tmp/start.out)" "2 rules: 2 added, 0 changed, 0 deleted, 0 unchanged; global ACL changed"
t_eq "the configuration's rules are there" "$(listens)" "0.0.0.0:9301 127.0.0.1:9302 "
t_eq "rule 9301: idle timeout from the file" "$(userctl -j rule list | jq '.[] | select(.listen == "0.0.0.0:9301") | .idle_timeout_ms')" 60000
t_eq "rule 9302: mode from the file" "$(userctl -j rule list | jq -r '.[] | select(.listen == "127.0.0.1:9302") | .mode')" copy
t_eq "global ACL from the file" "$(userctl -j acl list)" '[{"action":"allow","prefix":"127.0.0.0/8"}]'
t_check "rule 9301 relays (byte-exact)" kr-xfer -c 127.0.0.1:9301 -n 4 --min 100000 --max 1000000 --timeout 60
t_check "rule 9302 relays (byte-exact)" kr-xfer -c 127.0.0.1:9302 -n 4 --min 100000 --max 1000000 --timeout 60
t_ge "bytes counted" "$(stat_of bytes_to_backend)" 400000

# --- reload with a changed file: in place, a live connection survives ---------
id1=$(rule_id 0.0.0.0:9301)
# 16 MiB not read for 12 s: more than the buffers hold, so it stays open
kr-xfer -c 127.0.0.1:9301 --pause-read 12 -n 1 --min 16M --max 16M --timeout 90 >/tmp/live.out 2>&1 &
XF=$!
conns_1() { [ "$(userctl conn count)" = 1 ]; }
wait_until 10 conns_1
t_eq "a live connection through rule 9301 before the reload" $? 0
log "conn count: $(userctl conn count); $(userctl conn list)"
conn1=$(userctl -j conn list | jq -c '.[] | {id, rule_id, client}')
cat >"$CONF" <<'CONF'
0.0.0.0 9301 127.0.0.1 7001 [timeout=30,keepalive=on]
127.0.0.1 9303 127.0.0.1 7002
CONF
run_unit ExecReload "$UNIT" >/tmp/reload.out 2>&1
t_eq "ExecReload succeeds" $? 0
log "$(cat /tmp/reload.out)"
t_match "reload: one changed, one added, one deleted" "$(cat /tmp/reload.out)" "2 rules: 1 added, 1 changed, 1 deleted, 0 unchanged; global ACL changed"
t_eq "rules after reload" "$(listens)" "0.0.0.0:9301 127.0.0.1:9303 "
t_eq "rule 9301 changed in place (same id)" "$(rule_id 0.0.0.0:9301)" "$id1"
t_eq "rule 9301: new idle timeout" "$(userctl -j rule list | jq '.[] | select(.listen == "0.0.0.0:9301") | .idle_timeout_ms')" 30000
t_eq "global ACL cleared (not in the new file)" "$(userctl -j acl list)" "[]"
t_refuse "rule 9302 gone" kr-xfer -c 127.0.0.1:9302 -n 1 --min 10 --max 10 --timeout 5
t_check "new rule 9303 relays (byte-exact)" kr-xfer -c 127.0.0.1:9303 -n 4 --min 100000 --max 1000000 --timeout 60
t_eq "the live connection is still there after the reload" "$(userctl -j conn list | jq -c '.[] | {id, rule_id, client}')" "$conn1"
wait $XF
t_eq "the live connection finished byte-exact across the reload" $? 0
log "$(cat /tmp/live.out)"

# --- reload with a broken file: fails, nothing changes ----------------------
before=$(userctl export)
cp "$CONF" /tmp/good.conf
echo '0.0.0.0 9304 127.0.0.1 7001 [frob=1]' >>"$CONF"
run_unit ExecReload "$UNIT" >/tmp/reload.out 2>&1
t_eq "ExecReload of a broken file fails" $? 1
t_match "the error names file, line and column" "$(cat /tmp/reload.out)" "^$CONF:3:[0-9]+: unknown option"
t_eq "nothing changed" "$(userctl export)" "$before"
cp /tmp/good.conf "$CONF"

# --- stop: rules stay; with the drop-in they go --------------------------------
run_unit ExecStop "$UNIT"
t_eq "stop (unit as shipped) succeeds" $? 0
t_eq "rules still there after stop" "$(listens)" "0.0.0.0:9301 127.0.0.1:9303 "
t_check "and still relay" kr-xfer -c 127.0.0.1:9301 -n 2 --min 100000 --max 100000 --timeout 60
t_check "flush-on-stop drop-in installed by make install" test -f "$DROPIN"
mkdir -p /etc/systemd/system/krelay.service.d
cp "$DROPIN" /etc/systemd/system/krelay.service.d/
drop=/etc/systemd/system/krelay.service.d/flush-on-stop.conf
run_unit ExecStop "$UNIT" "$drop" >/tmp/stop.out 2>&1
t_eq "stop with the drop-in succeeds" $? 0
log "$(cat /tmp/stop.out)"
t_eq "stop with the drop-in removed every rule" "$(userctl -j rule list)" "[]"
t_refuse "nothing listens on 9301 any more" kr-xfer -c 127.0.0.1:9301 -n 1 --min 10 --max 10 --timeout 5

# --- start again (module already loaded): the file's rules are back -----------
start_unit "$UNIT" "$drop" >/tmp/start.out 2>&1
t_eq "restart succeeds with the module loaded" $? 0
t_eq "rules back after restart" "$(listens)" "0.0.0.0:9301 127.0.0.1:9303 "
t_check "and relay" kr-xfer -c 127.0.0.1:9303 -n 2 --min 100000 --max 100000 --timeout 60
# ConditionPathExists: without a configuration, start does nothing
run_unit ExecStop "$UNIT" "$drop" >/dev/null 2>&1
rm "$CONF"
start_unit "$UNIT" >/tmp/start.out 2>&1
t_eq "start without a configuration file does nothing" "$(userctl -j rule list)" "[]"

kill %1 2>/dev/null
t_check "modprobe -r krelay" modprobe -r krelay
