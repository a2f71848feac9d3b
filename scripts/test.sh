#!/usr/bin/env bash
# Sets everything up and runs the whole test suite, fastest gates first:
#   1. layering and unit tests, then property tests (clang, ASan+UBSan);
#   2. end-to-end tests of the release binary (the one users run), and its
#      Debian package unpacked into a temporary root;
#   3. the threaded code (loader, ingest pipeline, blob check, file batches) under ThreadSanitizer;
#   4. a short run of every fuzzer over its seed corpus (ASan+UBSan);
#   5. a smoke run of the benchmark.
# Exits non-zero at the first stage that fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$here/fuzz/lsan-suppressions.txt
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

stage() { echo; echo "== $1 ($(date +%T))"; }

stage "build: sanitizers, tests and fuzzers"
"$here/scripts/setup.sh" sanitize

stage "layering and unit tests (sanitizers on)"
(cd build/sanitize && ctest --output-on-failure -j2 -L 'layering|unit')

stage "property tests (sanitizers on)"
(cd build/sanitize && ctest --output-on-failure -j2 -L property)

stage "build: release"
"$here/scripts/setup.sh" release

stage "end-to-end tests (release binary)"
(cd build/sanitize && ctest --output-on-failure -j2 -L e2e)

stage "package: the .deb, unpacked into a temporary root"
"$here/scripts/package.sh"
"$here/tests/package/check_deb.sh"

stage "threaded code: loader, ingest pipeline, verify, gc, diff, result directories (ThreadSanitizer)"
"$here/scripts/setup.sh" tsan
build/tsan/tests/kix_loader_tests --gtest_brief=1

stage "fuzzers (${KIX_FUZZ_SECONDS:=20}s each)"
for fuzzer in build/sanitize/fuzz/fuzz_*; do
  name=${fuzzer##*/fuzz_}
  work=$(mktemp -d)
  dict=()
  [[ $name == store_import || $name == expression_parser || $name == chart_archive ]] ||
    dict=(-dict=fuzz/yaml.dict)
  "$fuzzer" -max_total_time="$KIX_FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
    "${dict[@]}" "$work" "fuzz/corpus/$name" >"$work.log" 2>&1 ||
    { tail -50 "$work.log"; echo "fuzzer $name failed" >&2; exit 1; }
  grep -E "^Done|stat::number_of_executed_units" "$work.log" | tail -1 | sed "s/^/$name: /"
  rm -rf "$work" "$work.log"
done

stage "benchmark smoke run"
KIX="$here/build/release/cli/kix" python3 bench/run --quick --json build/bench-quick.json

stage "all stages passed"
