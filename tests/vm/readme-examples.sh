# vm: timeout=240
# The README's "Using userctl" examples, run verbatim (the first shell block
# of that section, as a newcomer would paste it into scripts/vm.sh's shell),
# and the outputs the README promises in its comments.
. /tests/lib.sh
krelay_load
awk '/^## Using userctl/ {s = 1; next} s && /^```/ {if (b) exit; b = 1; next} b {print}' \
	/tests/README.md >/tmp/examples.sh
t_ge "examples found in the README" "$(wc -l </tmp/examples.sh)" 20
cd /tmp || exit 1
bash -x /tmp/examples.sh >/tmp/examples.out 2>&1
rc=$?
cat /tmp/examples.out
t_eq "the examples run without an error" "$rc" 0
t_match "rule list shows the weighted backends as the README says" \
	"$(cat /tmp/examples.out)" '127\.0\.0\.1:7001\*3,127\.0\.0\.1:7002'
t_match "rule list shows the IPv6 listener in copy mode" \
	"$(cat /tmp/examples.out)" '\[::\]:9001 +127\.0\.0\.1:7003 +copy'
t_match "apply warns about logfile with file and line" \
	"$(cat /tmp/examples.out)" "/tmp/rinetd.conf:1: ignoring unsupported directive 'logfile'"
t_match "applying the export changes nothing" \
	"$(cat /tmp/examples.out)" '2 rules: 0 added, 0 changed, 0 deleted, 2 unchanged'
t_eq "no command in the examples failed" "$(grep -c '^userctl: ' /tmp/examples.out)" 0
