#!/usr/bin/env bash
# Documentation/netlink/specs/krelay.yaml against the kernel's YNL and the
# uapi header, on this machine:
#   1. the kernel's YNL library (tools/net/ynl from the installed
#      linux-source-6.12 package, unpacked at run time: no kernel code is
#      kept here) loads the spec, which validates it against the
#      genetlink-c schema of the same tree and resolves every reference;
#   2. every C name the spec implies (commands, attributes of every set,
#      enums, constants, the family/version/multicast-group defines, the
#      *_MAX/__*_MAX names) is compiled against include/uapi/linux/krelay.h
#      with the C compiler and must have exactly the spec's value;
#   3. every enumerator and macro of the header (from the preprocessor) is
#      named by the spec, so nothing added to the header is missing from it.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SPEC=$TOP/Documentation/netlink/specs/krelay.yaml
TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
PY=/usr/bin/python3
CC=${CC:-cc}
fail() { echo "ynl-spec-test: FAIL: $*" >&2; exit 1; }
[ -f "$TARBALL" ] || fail "no $TARBALL (make deps installs linux-source-6.12)"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

tar -C "$d" -xJf "$TARBALL" --strip-components=1 --wildcards \
	'linux-source-*/tools/net/ynl/*' 'linux-source-*/Documentation/netlink/*'
YNL=$d/tools/net/ynl
SCHEMA=$d/Documentation/netlink/genetlink-c.yaml
{ [ -f "$YNL/lib/nlspec.py" ] && [ -f "$SCHEMA" ]; } || fail "no YNL in $TARBALL"

# 1 + the list of expected C names and values, from YNL's view of the spec
"$PY" - "$YNL" "$SPEC" "$SCHEMA" >"$d/expect" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
from lib.nlspec import SpecFamily

fam = SpecFamily(sys.argv[2], sys.argv[3])   # validates against the schema
y = fam.yaml
assert y.get('protocol') == 'genetlink-c', 'protocol'
c = lambda s: s.upper().replace('-', '_')
out = []
def put(name, value):
    out.append((c(name), value))

put(y['c-family-name'], '"%s"' % fam.name)
put(y['c-version-name'], 1)           # the schema has no version: YNL uses 1
for g in y['mcast-groups']['list']:
    put(g['c-define-name'], '"%s"' % g['name'])
for d in y['definitions']:
    if d['type'] == 'const':
        put(fam.name + '-' + d['name'], d['value'])
        continue
    e = fam.consts[d['name']]
    pre = d['name-prefix']
    last = None
    for ent in e.entries.values():
        put(pre + ent.name, ent.value)
        last = ent.value
    if d.get('render-max'):
        put('__' + pre + 'max', last + 1)
        put(pre + 'max', last)
for s in y['attribute-sets']:
    aset = fam.attr_sets[s['name']]
    pre = s['name-prefix']
    put(pre + 'unspec', 0)
    last = 0
    for a in aset.attrs.values():
        put(pre + a.name, a.value)
        last = a.value
    put(s['attr-cnt-name'], last + 1)
    put(s['attr-max-name'], last)
ops = y['operations']
put(ops['name-prefix'] + 'unspec', 0)
last = 0
for name, op in fam.msgs.items():
    put(ops['name-prefix'] + name, op.value)
    last = op.value
put(y['cmd-cnt-name'], last + 1)
put(y['cmd-max-name'], last)
for n, v in out:
    print(n, v)
EOF
echo "ynl-spec-test: YNL loaded the spec (schema $SCHEMA): $(wc -l <"$d/expect") C names"

# 2. the header's value of every name, printed by a compiled program
{
	echo '#include <stdio.h>'
	echo '#include <linux/krelay.h>'
	# shellcheck disable=SC2028 # C escapes, for the compiler
	echo '#define P(n) _Generic((n), char *: printf("%s \"%s\"\n", #n, (const char *)(uintptr_t)(n)), default: printf("%s %lld\n", #n, (long long)(uintptr_t)(n)))'
	echo '#include <stdint.h>'
	echo 'int main(void) {'
	while read -r n _; do echo "	P($n);"; done <"$d/expect"
	echo '	return 0; }'
} >"$d/names.c"
"$CC" -std=gnu11 -Wall -Werror -Wno-pointer-to-int-cast -Wno-int-conversion \
	-I"$TOP/include/uapi" -o "$d/names" "$d/names.c" 2>"$d/cc.err" ||
	fail "a name of the spec is not in the header: $(grep -m3 error "$d/cc.err")"
"$d/names" >"$d/got"
diff -u "$d/expect" "$d/got" >"$d/diff" || fail "spec and header differ (expected -, header +):
$(cat "$d/diff")"
echo "ynl-spec-test: all $(wc -l <"$d/got") names have the spec's values in the header"

# 3. nothing in the header that the spec does not name
echo '#include <linux/krelay.h>' >"$d/h.c"
{
	"$CC" -E -dM -I"$TOP/include/uapi" "$d/h.c" | awk '$1 == "#define" {print $2}'
	"$CC" -E -P -I"$TOP/include/uapi" "$d/h.c" | tr -d '\n' |
		grep -o 'enum [a-z_]* *{[^}]*}' | sed 's/^enum [a-z_]* *{//; s/}$//' | tr ',' '\n' |
		sed 's/=.*//; s/[[:space:]]//g'
} | grep -E '^_*KRELAY' | grep -vx '_UAPI_LINUX_KRELAY_H' | sort -u >"$d/header"
# The header's only name the YNL naming cannot produce: the end marker of
# enum krelay_conn_state (no *_MAX define for it).
echo __KRELAY_CONN_STATE_MAX >"$d/allowed"
missing=$(comm -23 "$d/header" <(cut -d' ' -f1 "$d/expect" | cat - "$d/allowed" | sort -u))
[ -z "$missing" ] || fail "in the header but not in the spec: $missing"
echo "ynl-spec-test: the spec names all $(wc -l <"$d/header") enumerators and macros of the header"
