# vm: timeout=240 smp=1
# A probe symbol the kernel lacks is reported and skipped, not fatal; the
# module refuses to load, with a clear message, only when no probe at all
# could be registered.  Bad parameters are refused.
# One vCPU (see tests/README.md, "The init's TCP warm-up"): on two TCG vCPUs
# one CI run on 6.12 died with "Oops: int3" in ttwu_do_activate, an IRQ
# running the sched_wakeup call site that rmmod's tracepoint_probe_unregister()
# was re-patching (text_poke_bp).
. /tests/lib.sh


BOGUS=krelay_no_such_symbol
loaded() { grep -q '^krelay_trace ' /proc/modules; }

t_check "krelay_trace.ko present" test -f "$KTRACE_KO"

# One bogus switch point: loads, the report names it skipped, the rest works.
t_check "bogus sched_symbol: insmod succeeds" insmod "$KTRACE_KO" sched_symbol=$BOGUS
t_match "bogus sched_symbol: load message" "$(dmesg | grep 'krelay_trace: attach sched' | tail -n1)" \
	"no symbol $BOGUS on this kernel, skipped"
sleep 1
t_check "bogus sched_symbol: rmmod" rmmod krelay_trace
R=$(tr_report)
printf '%s' "$R" | grep '^probe '
t_eq "bogus sched_symbol: probe status" "$(tr_val "$R" probe status 'name=sched ')" skipped
t_eq "bogus sched_symbol: probe registered" "$(tr_val "$R" probe registered 'name=sched ')" 0
t_eq "bogus sched_symbol: probe symbol" "$(tr_val "$R" probe symbol 'name=sched ')" $BOGUS
t_eq "bogus sched_symbol: probe error" "$(tr_val "$R" probe error 'name=sched ')" -2
t_eq "bogus sched_symbol: no switches counted" "$(tr_val "$R" sched switches)" 0
t_eq "bogus sched_symbol: switch check off" "$(tr_val "$R" check status)" off
t_eq "bogus sched_symbol: wakeup probe still ok" "$(tr_val "$R" probe status 'name=wakeup ')" ok
t_ge "bogus sched_symbol: wake-ups still counted" "$(tr_val "$R" sched wakeups)" 1

# The scheduler tracepoints resolve on this kernel (looked up by name: they
# are not exported to modules), the load-time switch check passes, and
# tcp_sendpage is there before 6.5 only.
t_check "defaults: insmod" insmod "$KTRACE_KO"
t_match "defaults: switch check logged" "$(dmesg | grep 'krelay_trace: context-switch check' | tail -n1)" \
	'check: ok, [0-9]+ of the loading task'
t_check "defaults: rmmod" rmmod krelay_trace
R=$(tr_report)
printf '%s' "$R" | grep -E '^(probe|check) '
t_eq "defaults: sched probe ok" "$(tr_val "$R" probe status 'name=sched ')" ok
t_eq "defaults: sched tracepoint" "$(tr_val "$R" probe symbol 'name=sched ')" sched_switch
t_eq "defaults: sched is a tracepoint" "$(tr_val "$R" probe type 'name=sched ')" tracepoint
t_eq "defaults: sched counts prev" "$(tr_val "$R" probe task 'name=sched ')" prev
t_eq "defaults: wakeup tracepoint" "$(tr_val "$R" probe symbol 'name=wakeup ')" sched_wakeup
t_eq "defaults: switch check" "$(tr_val "$R" check status)" ok
# (32 sleeps; a sleep whose timer expired before it blocked makes no switch)
t_ge "defaults: switch check saw switches" "$(tr_val "$R" check expected)" 16
t_eq "defaults: switch check counted them all" "$(tr_val "$R" check counted)" "$(tr_val "$R" check expected)"
case "$KVER" in
6.1.*) want=ok ;;
*) want=skipped ;;
esac
t_eq "defaults: sendpage probe on $KVER" "$(tr_val "$R" probe status 'name=sendpage ')" $want
t_eq "defaults: sendpage_locked probe on $KVER" \
	"$(tr_val "$R" probe status 'name=sendpage_locked ')" $want
t_eq "defaults: sendmsg_locked probe ok" "$(tr_val "$R" probe status 'name=sendmsg_locked ')" ok

# A symbol that exists but is not code: registration refused, still not fatal.
t_check "data symbol: insmod succeeds" insmod "$KTRACE_KO" sendpage_symbol=jiffies
t_check "data symbol: rmmod" rmmod krelay_trace
R=$(tr_report)
t_match "data symbol: probe not registered" "$(tr_val "$R" probe status 'name=sendpage ')" '^(failed|skipped)$'
# A kernel symbol that is no tracepoint: skipped.
t_check "no tracepoint: insmod succeeds" insmod "$KTRACE_KO" wakeup_symbol=try_to_wake_up
t_check "no tracepoint: rmmod" rmmod krelay_trace
R=$(tr_report)
t_eq "no tracepoint: wakeup probe skipped" "$(tr_val "$R" probe status 'name=wakeup ')" skipped

# An empty symbol turns a probe off.
t_check "disabled probe: insmod" insmod "$KTRACE_KO" sendpage_symbol=
t_check "disabled probe: rmmod" rmmod krelay_trace
R=$(tr_report)
t_eq "disabled probe: status" "$(tr_val "$R" probe status 'name=sendpage ')" disabled

# Every symbol bogus: nothing to probe, so the module refuses to load.
t_refuse "all bogus: insmod fails" insmod "$KTRACE_KO" sched_symbol=$BOGUS \
	sendmsg_symbol=$BOGUS sendpage_symbol=$BOGUS wakeup_symbol=$BOGUS \
	sendmsg_locked_symbol=$BOGUS sendpage_locked_symbol=$BOGUS
t_refuse "all bogus: not loaded" loaded
t_match "all bogus: clear message" "$(dmesg | grep krelay_trace: | tail -n1)" \
	'no probe could be registered on this kernel.*refusing to load'
t_refuse "all disabled: insmod fails" insmod "$KTRACE_KO" sched_symbol= \
	sendmsg_symbol= sendpage_symbol= wakeup_symbol= \
	sendmsg_locked_symbol= sendpage_locked_symbol=
t_refuse "all disabled: not loaded" loaded

# Bad parameters are refused with a message.
t_refuse "interval_ms=50 refused" insmod "$KTRACE_KO" interval_ms=50
t_match "interval_ms=50 message" "$(dmesg | grep krelay_trace: | tail -n1)" 'interval_ms must be'
t_refuse "top_n=65 refused" insmod "$KTRACE_KO" top_n=65
t_refuse "pid=-1 refused" insmod "$KTRACE_KO" pid=-1
t_refuse "maxactive=0 refused" insmod "$KTRACE_KO" maxactive=0
t_refuse "nothing left loaded" loaded
