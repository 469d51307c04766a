# vm: timeout=300
# IPv6 listeners and backends, and mixed families (v6 listener -> v4
# backend and back), with real traffic: iperf3, curl and SHA-256-checked
# transfers both ways; addresses shown in canonical form.
. /tests/lib.sh
krelay_load

kr-echo -m echo 127.0.0.1:7301 '[::1]:7302' 2>/dev/null &
wait_listen 7301
wait_listen 7302

t_check "v6 -> v6 rule" userctl rule add '[::1]:9301' to '[::1]:7302'
t_check "v6 -> v4 rule" userctl rule add '[::1]:9302' to 127.0.0.1:7301
t_check "v4 -> v6 rule" userctl rule add 127.0.0.1:9303 to '[::1]:7302'
t_check "v6 rule given in a long form" userctl rule add '[0:0:0::1]:9304' to '[0::1]:7302' mode copy

list=$(userctl rule list)
echo "$list"
t_match "listed in canonical form" "$list" '\[::1\]:9304'
t_refuse "no long form in the list" sh -c "echo '$list' | grep -q '0:0'"
t_eq "JSON listen address canonical" \
	"$(userctl -j rule list | jq -r '.[] | select(.listen == "[::1]:9304") | .listen')" "[::1]:9304"

# integrity both ways through each rule (echo mode checks both directions)
for spec in '[::1]:9301' '[::1]:9302' 127.0.0.1:9303 '[::1]:9304'; do
	t_check "integrity through $spec (40 transfers up to 2 MiB)" \
		kr-xfer -q -c "$spec" -n 40 -j 4 --max 2M
done

# iperf3 over IPv6 both directions
iperf3 -s -B ::1 -p 7303 -D
wait_listen 7303
t_check "v6 rule to iperf3" userctl rule add '[::1]:9305' to '[::1]:7303'
iperf3 -6 -c ::1 -p 9305 -t 3 -J >/tmp/ip6.json 2>&1
t_ge "iperf3 over IPv6 moved data" "$(iperf_bytes /tmp/ip6.json | cut -d. -f1)" 1000000
iperf3 -6 -c ::1 -p 9305 -t 3 -R -J >/tmp/ip6r.json 2>&1
t_ge "iperf3 -R over IPv6 moved data" "$(iperf_bytes /tmp/ip6r.json | cut -d. -f1)" 1000000

# curl over IPv6, byte-exact
mkdir -p /tmp/www
head -c 3000000 /dev/urandom >/tmp/www/blob
httpd -p '[::1]:7304' -h /tmp/www
wait_listen 7304
t_check "v6 rule to httpd" userctl rule add '[::1]:9306' to '[::1]:7304'
curl -gsS -o /tmp/blob.got 'http://[::1]:9306/blob'
t_check "curl over IPv6 byte-exact" cmp /tmp/www/blob /tmp/blob.got

# connections show v6 client addresses (the client holds its idle
# connection until it has been looked for: socat alone can take seconds to
# connect on the debug kernel)
socat -u 'TCP6:[::1]:9301' - >/dev/null 2>&1 &
held=$!
v6_listed() { cl=$(userctl conn list); printf '%s\n' "$cl" | grep -Eq '\[::1\]:[0-9]+'; }
wait_until $((2 * TS)) v6_listed
t_match "conn list shows the IPv6 client" "$cl" '\[::1\]:[0-9]+'
kill $held
wait $held 2>/dev/null
none_active() { [ "$(stat_of active)" = 0 ]; }
wait_until $((2 * TS)) none_active

t_eq "bytes counted both ways" \
	"$([ "$(userctl -j stats | jq '.totals.bytes_to_backend > 0 and .totals.bytes_to_client > 0')" = true ] && echo yes)" yes
t_eq "nothing left open" "$(userctl -j stats | jq .totals.active)" 0
for r in '[::1]:9301' '[::1]:9302' 127.0.0.1:9303 '[::1]:9304' '[::1]:9305' '[::1]:9306'; do
	userctl rule del "$r"
done
krelay_unload
