#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: unit, property and
# end-to-end tests under AddressSanitizer and UndefinedBehaviorSanitizer,
# a short run of every fuzzer over its seed corpus, and a smoke run of the
# benchmark. Exits non-zero if anything fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

"$here/scripts/setup.sh" sanitize
"$here/scripts/setup.sh" release

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== fuzzers (${KIX_FUZZ_SECONDS:=20}s each)"
for fuzzer in build/sanitize/fuzz/fuzz_*; do
  name=${fuzzer##*/fuzz_}
  work=$(mktemp -d)
  dict=()
  [[ $name == store_import ]] || dict=(-dict=fuzz/yaml.dict)
  "$fuzzer" -max_total_time="$KIX_FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
    "${dict[@]}" "$work" "fuzz/corpus/$name" >"$work.log" 2>&1 ||
    { tail -50 "$work.log"; echo "fuzzer $name failed" >&2; exit 1; }
  grep -E "^Done|stat::number_of_executed_units" "$work.log" | tail -1 | sed "s/^/$name: /"
  rm -rf "$work" "$work.log"
done

echo "== benchmark smoke run"
KIX="$here/build/release/cli/kix" python3 bench/run --quick --json build/bench-quick.json

echo "== tests (sanitizers on)"
cd build/sanitize
ctest --output-on-failure -j2
