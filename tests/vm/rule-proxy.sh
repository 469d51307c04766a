# vm: timeout=240
# PROXY protocol to backends (proxy-protocol v1 | v2).  First the exact
# bytes: a socat backend writes what it receives to a file, which must be
# the header (v1 text / v2 binary, TCP4 / TCP6, to IPv4 and IPv6 backends)
# followed by the client's bytes, byte for byte, in
# splice and copy mode, once after a failover, and not at all once the
# option is turned off; the header is counted in bytes_to_backend.  Then
# real consumers: nginx (listen ... proxy_protocol) reports and logs
# $proxy_protocol_addr and serves a file byte-exact through the relay, and
# haproxy (bind ... accept-proxy) relays kr-xfer's integrity traffic to an
# echo server and logs the client, for IPv4 and IPv6 clients.
. /tests/lib.sh
krelay_load

head -c 262144 /dev/urandom >/tmp/payload
be16() { printf "\\x$(printf %02x $(($1 >> 8)))\\x$(printf %02x $(($1 & 255)))"; }
V2SIG='\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a'
LO6='\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01'
v2_tcp4() { printf "$V2SIG"'\x21\x11\x00\x0c\x7f\x00\x00\x01\x7f\x00\x00\x01'; be16 "$1"; be16 "$2"; }
v2_tcp6() { printf "$V2SIG"'\x21\x21\x00\x24'"$LO6$LO6"; be16 "$1"; be16 "$2"; }

# dump NAME PORT [BIND]: a backend on BIND:PORT (default 127.0.0.1) that
# writes one connection's bytes to /tmp/NAME.got
dump() {
	local l=TCP4-LISTEN
	case ${3:-} in *:*) l=TCP6-LISTEN ;; esac
	rm -f "/tmp/$1.got"
	socat -u $l:"$2",bind="${3:-127.0.0.1}",reuseaddr CREATE:"/tmp/$1.got" 2>/dev/null &
	eval "dump_$1=$!"
	wait_listen "$2"
}
# send NAME CONNECT-ADDRESS SPORT FILE: FILE from source port SPORT, then
# wait for the backend to have written it all (it exits at the EOF)
send() {
	socat -u OPEN:"$4" "$2",sourceport="$3" || log "client $2 failed"
	eval "wait_end \$dump_$1 20" || log "backend $1 did not finish"
}
# expect NAME CHECK-NAME: /tmp/NAME.got = /tmp/NAME.want
expect() {
	if cmp "/tmp/$1.want" "/tmp/$1.got"; then t_pass "$2"; else
		t_fail "$2" "got $(od -An -c -N 64 "/tmp/$1.got" | tr -s ' \n' ' ')"
	fi
}
rstat() { # LISTEN FIELD
	userctl -j rule list | jq ".[] | select(.listen == \"$1\") | .stats.$2"
}

# --- exact bytes ----------------------------------------------------------
t_check "rule v1 splice" userctl rule add 127.0.0.1:9301 to 127.0.0.1:7301 proxy-protocol v1
t_check "rule v2 copy" userctl rule add 127.0.0.1:9302 to 127.0.0.1:7302 proxy-protocol v2 mode copy
t_check "rule v1 on an IPv6 listener" userctl rule add [::]:9303 to 127.0.0.1:7303 proxy-protocol v1
t_check "rule v2 on an IPv6 listener, IPv6 backend" \
	userctl rule add [::]:9304 to [::1]:7304 proxy-protocol v2
t_eq "rule list shows the option" "$(userctl rule list | grep -c '^ *proxy-protocol v[12]$')" 4
t_eq "JSON shows the option" "$(userctl -j rule list | jq -r '.[] | select(.listen == "127.0.0.1:9302") | .proxy_protocol')" v2
t_check "rule without the option" userctl rule add 127.0.0.1:9309 to 127.0.0.1:7309
t_eq "JSON: off by default" \
	"$(userctl -j rule list | jq -r '.[] | select(.listen == "127.0.0.1:9309") | .proxy_protocol')" off

dump v1 7301
send v1 TCP4:127.0.0.1:9301 40101 /tmp/payload
{ printf 'PROXY TCP4 127.0.0.1 127.0.0.1 40101 9301\r\n'; cat /tmp/payload; } >/tmp/v1.want
expect v1 "v1 TCP4 header, then 256 KiB byte-exact (splice)"
hlen=$(printf 'PROXY TCP4 127.0.0.1 127.0.0.1 40101 9301\r\n' | wc -c)
t_eq "header counted in bytes_to_backend" "$(rstat 127.0.0.1:9301 bytes_to_backend)" $((hlen + 262144))
t_eq "zerocopy + copied = both directions" \
	"$(($(rstat 127.0.0.1:9301 bytes_zerocopy) + $(rstat 127.0.0.1:9301 bytes_copied)))" \
	"$(($(rstat 127.0.0.1:9301 bytes_to_backend) + $(rstat 127.0.0.1:9301 bytes_to_client)))"

dump v2 7302
send v2 TCP4:127.0.0.1:9302 40102 /tmp/payload
{ v2_tcp4 40102 9302; cat /tmp/payload; } >/tmp/v2.want
expect v2 "v2 TCP4 header, then 256 KiB byte-exact (copy)"
t_eq "v2 header counted (28 bytes)" "$(rstat 127.0.0.1:9302 bytes_to_backend)" $((28 + 262144))

printf hello >/tmp/hello
dump v16 7303
send v16 TCP6:[::1]:9303 40103 /tmp/hello
printf 'PROXY TCP6 ::1 ::1 40103 9303\r\nhello' >/tmp/v16.want
expect v16 "v1 TCP6 header for an IPv6 client"
dump v26 7304 '[::1]'
send v26 TCP6:[::1]:9304 40105 /tmp/hello
{ v2_tcp6 40105 9304; printf hello; } >/tmp/v26.want
expect v26 "v2 TCP6 header (IPv6 backend)"

# failover: round-robin tries the first backend (nothing listens) first
t_check "rule with a dead first backend" \
	userctl rule add 127.0.0.1:9305 to 127.0.0.1:7399 to 127.0.0.1:7305 proxy-protocol v1
dump fo 7305
send fo TCP4:127.0.0.1:9305 40106 /tmp/payload
{ printf 'PROXY TCP4 127.0.0.1 127.0.0.1 40106 9305\r\n'; cat /tmp/payload; } >/tmp/fo.want
expect fo "after a failover: one header on the new backend, then the data"
t_eq "that connection failed over" "$(rstat 127.0.0.1:9305 failovers)" 1

t_check "rule set proxy-protocol off" userctl rule set 127.0.0.1:9301 proxy-protocol off
dump off 7301
send off TCP4:127.0.0.1:9301 40107 /tmp/hello
cp /tmp/hello /tmp/off.want
expect off "proxy-protocol off: no header"
t_check "rule set proxy-protocol v2" userctl rule set 127.0.0.1:9301 proxy-protocol v2
dump on 7301
send on TCP4:127.0.0.1:9301 40108 /tmp/hello
{ v2_tcp4 40108 9301; printf hello; } >/tmp/on.want
expect on "rule set proxy-protocol v2: v2 header on new connections"

# --- nginx ------------------------------------------------------------------
if command -v nginx >/dev/null; then
	mkdir -p /tmp/ngx /tmp/www /var/lib/nginx /var/log/nginx
	chmod 755 /tmp/www
	head -c 3145728 /dev/urandom >/tmp/www/blob
	chmod 644 /tmp/www/blob
	cat >/tmp/ngx/nginx.conf <<'EOF'
user nobody nogroup;
worker_processes 1;
pid /tmp/ngx/nginx.pid;
error_log /tmp/ngx/error.log warn;
events { worker_connections 64; }
http {
    log_format pp '$proxy_protocol_addr $proxy_protocol_port $request_uri';
    access_log /tmp/ngx/access.log pp;
    server {
        listen 127.0.0.1:7210 proxy_protocol;
        listen [::1]:7210 proxy_protocol;
        root /tmp/www;
        location = /addr { return 200 "$proxy_protocol_addr $proxy_protocol_port\n"; }
    }
}
EOF
	t_check "nginx config" nginx -t -q -p /tmp/ngx -e /tmp/ngx/error.log -c /tmp/ngx/nginx.conf
	t_check "nginx starts" nginx -p /tmp/ngx -e /tmp/ngx/error.log -c /tmp/ngx/nginx.conf
	wait_listen 7210
	# (IPv6 listeners are IPv6-only: IPv4 clients get rules of their own)
	t_check "rule to nginx, v1" userctl rule add 127.0.0.1:9210 to 127.0.0.1:7210 proxy-protocol v1
	t_check "rule to nginx, v1, IPv6" userctl rule add [::]:9210 to 127.0.0.1:7210 proxy-protocol v1
	t_check "rule to nginx, v2, IPv6 backend" userctl rule add 127.0.0.1:9211 to [::1]:7210 proxy-protocol v2
	t_check "rule to nginx, v2, IPv6" userctl rule add [::]:9211 to [::1]:7210 proxy-protocol v2
	t_eq "nginx v1: IPv4 client's address" \
		"$(curl -s -m 20 --local-port 40210 http://127.0.0.1:9210/addr)" "127.0.0.1 40210"
	t_eq "nginx v1: IPv6 client's address" \
		"$(curl -s -m 20 --local-port 40211 'http://[::1]:9210/addr')" "::1 40211"
	t_eq "nginx v2: IPv4 client's address" \
		"$(curl -s -m 20 --local-port 40212 http://127.0.0.1:9211/addr)" "127.0.0.1 40212"
	t_eq "nginx v2: IPv6 client's address" \
		"$(curl -s -m 20 --local-port 40213 'http://[::1]:9211/addr')" "::1 40213"
	curl -s -m 60 -o /tmp/blob.v1 http://127.0.0.1:9210/blob
	t_check "nginx v1: 3 MiB file byte-exact through the relay" cmp /tmp/www/blob /tmp/blob.v1
	curl -s -m 60 -o /tmp/blob.v2 'http://[::1]:9211/blob'
	t_check "nginx v2: 3 MiB file byte-exact through the relay" cmp /tmp/www/blob /tmp/blob.v2
	wait_until 5 grep -q '/blob' /tmp/ngx/access.log
	cat /tmp/ngx/access.log
	t_match "nginx logged \$proxy_protocol_addr of the IPv4 client" "$(cat /tmp/ngx/access.log)" "^127\.0\.0\.1 40212 /addr$"
	t_match "nginx logged \$proxy_protocol_addr of the IPv6 client" "$(cat /tmp/ngx/access.log)" "^::1 40211 /addr$"
	t_eq "nginx saw no broken PROXY header" "$(grep -c 'broken header' /tmp/ngx/error.log)" 0
	kill "$(cat /tmp/ngx/nginx.pid)"
else
	t_fail "nginx is in the image"
fi

# --- haproxy ---------------------------------------------------------------
if command -v haproxy >/dev/null; then
	kr-echo -m echo 127.0.0.1:7000 2>/dev/null &
	wait_listen 7000
	cat >/tmp/hap.cfg <<'EOF'
global
    nbthread 1
    log stdout format raw local0
defaults
    mode tcp
    log global
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen pp
    bind 127.0.0.1:7220 accept-proxy
    bind [::1]:7220 accept-proxy
    log-format "client=%ci:%cp dst=%fi:%fp"
    server echo 127.0.0.1:7000
EOF
	t_check "haproxy config" haproxy -c -q -f /tmp/hap.cfg
	haproxy -db -f /tmp/hap.cfg >/tmp/hap.log 2>&1 &
	hap=$!
	wait_listen 7220
	t_check "rule to haproxy, v2" userctl rule add 127.0.0.1:9220 to 127.0.0.1:7220 proxy-protocol v2
	t_check "rule to haproxy, v2, IPv6" userctl rule add [::]:9220 to 127.0.0.1:7220 proxy-protocol v2
	t_check "rule to haproxy, v1, copy" userctl rule add 127.0.0.1:9221 to [::1]:7220 proxy-protocol v1 mode copy
	t_check "rule to haproxy, v1, copy, IPv6" userctl rule add [::]:9221 to [::1]:7220 proxy-protocol v1 mode copy
	t_check "haproxy v2: integrity, IPv4 clients (8 transfers up to 1 MiB)" \
		kr-xfer -q -c 127.0.0.1:9220 -n 8 -j 2 --max 1M --timeout 120
	t_check "haproxy v2: integrity, IPv6 clients" \
		kr-xfer -q -c [::1]:9220 -n 8 -j 2 --max 1M --timeout 120
	t_check "haproxy v1 (copy): integrity, IPv4 clients" \
		kr-xfer -q -c 127.0.0.1:9221 -n 8 -j 2 --max 1M --timeout 120
	t_check "haproxy v1 (copy): integrity, IPv6 clients" \
		kr-xfer -q -c [::1]:9221 -n 8 -j 2 --max 1M --timeout 120
	wait_until 5 test "$(grep -c '^client=' /tmp/hap.log)" -ge 32
	cat /tmp/hap.log
	t_eq "haproxy logged every connection" "$(grep -c '^client=' /tmp/hap.log)" 32
	t_eq "haproxy: IPv4 clients as 127.0.0.1 to 127.0.0.1:9220" \
		"$(grep -c '^client=127\.0\.0\.1:[0-9]* dst=127\.0\.0\.1:9220$' /tmp/hap.log)" 8
	t_eq "haproxy: IPv6 clients as ::1 to ::1:9220" \
		"$(grep -c '^client=::1:[0-9]* dst=::1:9220$' /tmp/hap.log)" 8
	t_eq "haproxy: v1 IPv4 clients" \
		"$(grep -c '^client=127\.0\.0\.1:[0-9]* dst=127\.0\.0\.1:9221$' /tmp/hap.log)" 8
	t_eq "haproxy: v1 IPv6 clients" \
		"$(grep -c '^client=::1:[0-9]* dst=::1:9221$' /tmp/hap.log)" 8
	kill $hap
	wait $hap 2>/dev/null
else
	t_fail "haproxy is in the image"
fi

t_eq "no connection failed" "$(stat_of failed)" 0
t_eq "none reset" "$(stat_of reset)" 0
userctl -j rule list | jq -r '.[].listen' | while read -r l; do userctl rule del "$l"; done
t_eq "all rules deleted" "$(userctl -j rule list | jq length)" 0
krelay_unload
