# vm: timeout=180
# curl through the relay to a real HTTP server (busybox httpd): the file
# arrives byte-exact, in splice and copy mode.
. /tests/lib.sh
krelay_load
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/blob bs=1024 count=6000 2>/dev/null
want=$(sha256sum </tmp/www/blob | cut -d' ' -f1)
httpd -p 127.0.0.1:8080 -h /tmp/www
wait_listen 8080
t_check "rule add" userctl rule add 127.0.0.1:9080 to 127.0.0.1:8080
t_check "rule add copy" userctl rule add 127.0.0.1:9081 to 127.0.0.1:8080 mode copy
for port in 9080 9081; do
	got=$(curl -sS --max-time 60 http://127.0.0.1:$port/blob | sha256sum | cut -d' ' -f1)
	t_eq "curl via :$port byte-exact" "$got" "$want"
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 http://127.0.0.1:$port/missing)
	t_eq "curl via :$port 404 relayed" "$code" 404
done
t_ge "bytes_to_client counted" "$(stat_of bytes_to_client)" $((2 * 6000 * 1024))
krelay_unload
