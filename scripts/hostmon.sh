#!/usr/bin/env bash
# Sample the host's CPU use beside a `make bench` VM, so the report can tell
# how much of the host other work took during each measured run.
#
#   scripts/hostmon.sh OUTDIR [INTERVAL]
#
# OUTDIR is the VM's 9p share (scripts/vm-run.sh -o OUTDIR): the guest keeps
# "REP SETUP TEST" (or "idle") in OUTDIR/mark (tests/vm/bench.sh).  Every
# INTERVAL seconds (default 0.5) this appends one line to OUTDIR/host.txt:
#
#   tick busy=J total=J qemu=J mark=REP,SETUP,TEST|idle
#
# busy and total are the host's /proc/stat "cpu" jiffies (busy: user, nice,
# system, irq, softirq, steal; total adds idle and iowait), qemu the VM
# process's utime+stime (all its threads), all in USER_HZ ticks.  Between
# two ticks, (busy - qemu) / total is the share of the host's CPUs that
# something other than this VM used.  It stops when the VM's QEMU process
# has gone (or was never found within 60 s).
set -uo pipefail
OUT=${1:?usage: hostmon.sh OUTDIR [INTERVAL]}
IVL=${2:-0.5}
# not resolved with cd: scripts/vm-run.sh removes and re-creates OUTDIR
# as it starts, maybe just then (it must be given as QEMU sees it)
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
OUT=${OUT%/}
LOG=$OUT/host.txt

# the QEMU process whose 9p share is OUTDIR
# (a plain substring test: kernel releases such as 6.12.118+deb12 are no
# regular expressions)
find_qemu() {
	ps -eo pid=,args= | awk -v pat="-virtfs local,path=$OUT,mount_tag=share" \
		'$2 ~ /qemu-system/ && index($0, pat) { print $1; exit }'
}
pid=
for _ in $(seq 120); do
	pid=$(find_qemu)
	[ -n "$pid" ] && break
	sleep 0.5
done
[ -n "$pid" ] || { echo "hostmon: no QEMU with share $OUT" >&2; exit 1; }
echo "meta cpus=$(nproc) hz=$(getconf CLK_TCK) qemu_pid=$pid interval=$IVL" >"$LOG"
while [ -r "/proc/$pid/stat" ]; do
	# comm may hold blanks: fields after the last ")"; utime, stime are
	# fields 14 and 15 of the whole line, 12 and 13 after ")"
	q=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}')
	[ -n "$q" ] || break
	m=$(tr ' ' ',' 2>/dev/null <"$OUT/mark" | head -n1)
	awk -v q="$q" -v m="${m:-idle}" '/^cpu / {
		b = $2 + $3 + $4 + $7 + $8 + $9
		printf "tick busy=%d total=%d qemu=%d mark=%s\n", b, b + $5 + $6, q, m
		exit
	}' /proc/stat >>"$LOG"
	sleep "$IVL"
done
exit 0
