# vm: timeout=180 initramfs=dkms
# The path a user takes: modules installed by DKMS (make dkms-install),
# loaded with modprobe, described by modinfo, relaying, unloaded with
# modprobe -r.  The initramfs carries /lib/modules/KVER/updates/dkms/.
. /tests/lib.sh
t_match "krelay resolves to the DKMS tree" "$(modinfo -n krelay)" "/updates/dkms/krelay\.ko"
t_match "krelay_trace resolves to the DKMS tree" "$(modinfo -n krelay_trace)" "/updates/dkms/krelay_trace\.ko"
for m in krelay krelay_trace; do
	for f in version description license author; do
		v=$(modinfo -F $f $m)
		log "$m $f: $v"
		if [ -n "$v" ]; then t_pass "modinfo $m shows $f"; else t_fail "modinfo $m shows $f"; fi
	done
	t_match "modinfo $m lists parameters" "$(modinfo -F parm $m)" "."
done
t_eq "version is the VERSION file's" "$(modinfo -F version krelay)" "$(cat /etc/krelay-version)"
t_check "modprobe krelay" modprobe krelay
t_check "modprobe krelay_trace" modprobe krelay_trace
iperf3 -s -D -p 5201
wait_listen 5201
t_check "rule add" userctl rule add 127.0.0.1:9000 to 127.0.0.1:5201
t_check "iperf3 through the DKMS-built relay" iperf3 -c 127.0.0.1 -p 9000 -t 2
t_ge "bytes counted" "$(stat_of bytes_to_backend)" 1000000
t_check "modprobe -r krelay_trace" modprobe -r krelay_trace
t_check "modprobe -r krelay" modprobe -r krelay
t_refuse "krelay unloaded" grep -q '^krelay ' /proc/modules
