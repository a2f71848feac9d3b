#!/usr/bin/env bash
# `kix canon` equals the RFC 8785 reference output on numbers, escapes,
# non-BMP characters and key order; bad input exits 2 with file:line.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # name expected actual
  if [[ "$2" == "$3" ]]; then echo "ok   $1"; else echo "FAIL $1"; echo "  expected: $2"; echo "  actual:   $3"; fail=1; fi
}

# Numbers (RFC 8785 appendix B and section 3.2.2.3), from YAML and from JSON.
check yaml-numbers '[1e+21,0.000001,0,5e-324,1e-7,100000000000000000000,333333333.3333333,4.5,0.002,1e+30]' \
  "$(printf -- '- 1e21\n- 0.000001\n- -0\n- 5e-324\n- 1e-7\n- 1e20\n- 333333333.33333329\n- 4.50\n- 2e-3\n- 1E30\n' | "$KIX" canon -)"
check json-numbers '[1e+21,0.000001,0,5e-324,-1.5,9007199254740992]' \
  "$(echo '[1e21, 0.000001, -0, 5e-324, -1.5e0, 9007199254740992]' | "$KIX" canon -)"

# Escapes and non-BMP characters: only the required escapes, UTF-8 otherwise.
check escapes '"\u0001\b\t\n\f\r\"\\/é😀"' \
  "$(printf '"\\u0001\\b\\t\\n\\f\\r\\"\\\\\\/\\u00e9\\ud83d\\ude00"' > "$tmp/e.json"; "$KIX" canon "$tmp/e.json")"

# Key order by UTF-16 code units (RFC 8785 section 3.2.3's example).
printf '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}' > "$tmp/order.json"
check key-order "$(printf '{"\\r":"Carriage Return","1":"One","\xc2\x80":"Control","\xc3\xb6":"Latin Small Letter O With Diaeresis","\xe2\x82\xac":"Euro Sign","\xf0\x9f\x98\x80":"Emoji: Grinning Face","\xef\xac\xb3":"Hebrew Letter Dalet With Dagesh"}')" \
  "$("$KIX" canon "$tmp/order.json")"

# hash: one line per manifest, namespace '-' when absent, Lists flattened.
printf 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: a}}\n' > "$tmp/list.yaml"
out=$("$KIX" hash "$tmp/list.yaml")
blob=$(printf '%s' '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}' | sha256sum | cut -d' ' -f1)
check hash-line "$blob  v1 Namespace - a" "$(echo "$out" | head -1)"
check hash-count 2 "$(echo "$out" | wc -l | tr -d ' ')"

# Bad input: exit 2, file:line:column, the line and a caret.
printf 'a: 1\nb:\n  c: 1\n  c: 2\n' > "$tmp/dup.yaml"
set +e
err=$("$KIX" canon "$tmp/dup.yaml" 2>&1 >/dev/null); rc=$?
set -e
check dup-exit 2 "$rc"
check dup-message "$tmp/dup.yaml:4:3: error: duplicate key 'c'" "$(echo "$err" | head -1)"
check dup-caret "    ^" "$(echo "$err" | sed -n 3p)"
set +e
"$KIX" hash "$tmp/missing.yaml" >/dev/null 2>&1; rc=$?
set -e
check missing-exit 2 "$rc"

exit $fail
