#!/usr/bin/env bash
# Writes kix's manual pages into OUTDIR from kix's own --help, so they
# never drift from it: kix.1, kix-<command>.1 for every command, and
# kix-<command>-<subcommand>.1 for every subcommand (kix-store-add.1),
# gzipped as Debian installs them. Run by the build (the `man` target).
#
#   scripts/man-pages.sh KIX OUTDIR
set -euo pipefail

kix=$1
out=$2
command -v help2man >/dev/null || { echo "man-pages: help2man is missing (Debian: help2man)" >&2; exit 1; }
version=$("$kix" --version)
version=${version#kix }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out"

# The commands listed under "Subcommands:" in a --help text.
subcommands() {
  awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^[^ ]/ {on = 0}'
}

# page NAME WORDS...: the page of `kix WORDS...`.
page() {
  local name=$1
  shift
  local wrapper=$work/$name
  printf '#!/usr/bin/env bash\nexec %q %s "$@"\n' "$kix" "$*" >"$wrapper"
  chmod +x "$wrapper"
  # NAME: the first sentence (or clause) of the description above "Usage:".
  local summary
  summary=$("$wrapper" --help | sed '/^Usage:/,$d' | tr '\n' ' ' |
    sed -E 's/([.;:]) .*/\1/; s/[.;:] *$//; s/ +$//')
  help2man --no-info --no-discard-stderr --version-string="$name $version" --name="$summary" \
    --section=1 --source=kix --manual="kix manual" "$wrapper" >"$out/$name.1"
  gzip -9n "$out/$name.1"
}

# Each list is taken before its loop: a kix that fails stops the script.
page kix
commands=$("$kix" --help | subcommands)
for command in $commands; do
  page "kix-$command" "$command"
  subs=$("$kix" "$command" --help | subcommands)
  for sub in $subs; do
    page "kix-$command-$sub" "$command" "$sub"
  done
done
