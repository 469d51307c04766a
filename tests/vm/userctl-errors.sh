# vm: timeout=120
# Every bad input gets a clear one-line error naming the problem and a
# non-zero exit code; nothing changes in the kernel.
. /tests/lib.sh

# expect NAME CODE REGEX CMD...: CMD exits CODE and stderr matches REGEX
expect() {
	n=$1 code=$2 re=$3
	shift 3
	"$@" >/tmp/out 2>/tmp/err
	rc=$?
	msg=$(cat /tmp/err)
	log "$* -> exit $rc: $msg"
	if [ $rc -ne "$code" ]; then
		t_fail "$n" "exit $rc, want $code: $msg"
	elif ! printf '%s' "$msg" | grep -Eq -- "$re"; then
		t_fail "$n" "message '$msg' !~ /$re/"
	elif [ "$(printf '%s\n' "$msg" | wc -l)" -ne 1 ]; then
		t_fail "$n" "not one line: $msg"
	else
		t_pass "$n"
	fi
}

expect "module not loaded" 1 'not loaded' userctl rule list
krelay_load
expect "bad address" 2 '"1\.2\.3:9000"' userctl rule add 1.2.3:9000 to 127.0.0.1:80
expect "bad backend address" 2 '"nowhere:80"' userctl rule add 127.0.0.1:9000 to nowhere:80
expect "port out of range" 2 '"70000"' userctl rule add 127.0.0.1:70000 to 127.0.0.1:80
expect "port zero" 2 'port' userctl rule add 127.0.0.1:0 to 127.0.0.1:80
expect "missing backend" 2 '[Uu]sage|backend|missing' userctl rule add 127.0.0.1:9000
expect "unknown mode" 2 '"zerocopy"' userctl rule add 127.0.0.1:9000 to 127.0.0.1:80 mode zerocopy
expect "unknown command" 2 '"frobnicate"' userctl rule frobnicate
t_check "rule add" userctl rule add 127.0.0.1:9000 to 127.0.0.1:80
expect "duplicate listener" 1 '127\.0\.0\.1:9000' userctl rule add 127.0.0.1:9000 to 127.0.0.1:81
socat TCP-LISTEN:9100,bind=127.0.0.1,reuseaddr - </dev/null >/dev/null &
wait_listen 9100
expect "port already in use" 1 '[Ii]n use' userctl rule add 127.0.0.1:9100 to 127.0.0.1:80
kill %1 2>/dev/null
expect "delete unknown rule" 1 '127\.0\.0\.1:9999' userctl rule del 127.0.0.1:9999
expect "delete unknown id" 1 '[Nn]o such|not found|unknown' userctl rule del id 4242
n=$(userctl -j rule list | grep -o '"listen"' | wc -l)
t_eq "only the good rule exists" "$n" 1
t_check "help exits 0" userctl help
t_check "--help exits 0" userctl --help
# An unprivileged user may read but not change.
t_check "unprivileged read" setpriv --reuid=65534 --regid=65534 --clear-groups userctl rule list
expect "unprivileged change refused" 1 '[Pp]ermission|not permitted' \
	setpriv --reuid=65534 --regid=65534 --clear-groups userctl rule del 127.0.0.1:9000
t_check "rule del" userctl rule del 127.0.0.1:9000
krelay_unload
