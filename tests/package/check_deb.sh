#!/usr/bin/env bash
# Checks the Debian package scripts/package.sh built (build/kix_*.deb) as a
# user gets it: its dependencies resolve on this Debian, its version is
# `kix --version`'s, and the kix it carries, unpacked into a temporary root
# (dpkg -x), builds examples/immich from any directory with nothing of the
# checkout it was built from: no path of it inside the binary, an empty
# environment, and the same root hash as the build tree's kix.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
debs=("$here"/build/kix_*.deb)
((${#debs[@]} == 1)) && [[ -f ${debs[0]} ]] || { echo "want one build/kix_*.deb: ${debs[*]}" >&2; exit 1; }
deb=${debs[0]}
fail() { echo "check_deb: $*" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
dpkg -x "$deb" "$root"
kix=$root/usr/bin/kix

apt-get install --simulate -qq "$deb" >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "the package's dependencies do not resolve"; }

version=$(dpkg-deb -f "$deb" Version)
reported=$(env -i "$kix" --version)
[[ $reported == "kix $version" ]] || fail "kix --version says '$reported', the package '$version'"

for f in share/kix/packages/immich/package.yaml share/kix/schema/README.md \
         share/kix/schema/editor/{cluster,module,package}.json \
         share/kix/schema/output/{common,build,deploy}.json; do
  [[ -f $root/usr/$f ]] || fail "the package lacks usr/$f"
done
if grep -qF "$here" "$kix"; then fail "the binary holds the checkout's path $here"; fi

# A manual page for kix and for every command, readable with man.
commands=$(env -i "$kix" --help |
  awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^[^ ]/ {on = 0}')
for command in "" $commands; do
  page=$root/usr/share/man/man1/kix${command:+-$command}.1.gz
  [[ -f $page ]] || fail "no manual page $page"
done
MANPATH=$root/usr/share/man man -w kix >/dev/null || fail "man does not find kix's page"
for f in bash-completion/completions/kix zsh/vendor-completions/_kix fish/vendor_completions.d/kix.fish; do
  [[ -s $root/usr/share/$f ]] || fail "the package lacks the completion script usr/share/$f"
done
bash -c "source '$root/usr/share/bash-completion/completions/kix' && complete -p kix" >/dev/null ||
  fail "bash cannot load the packaged completion"
page_text=$(man -P cat -l "$root/usr/share/man/man1/kix-store-add.1.gz" 2>/dev/null)
grep -q "kix store add" <<<"$page_text" || fail "the page of kix store add does not read as kix store add"

# Built from a copy, in a directory outside the checkout, with no
# environment but PATH and HOME: the data comes from ../share/kix.
cp -r "$here/examples/immich" "$work/immich"
installed=$(cd "$work" && env -i PATH=/usr/bin:/bin HOME="$work" "$kix" build immich -o result 2>"$work/err" | tail -1) ||
  { cat "$work/err"; fail "the installed kix cannot build examples/immich"; }
tree=$(cd "$work" && env -i PATH=/usr/bin:/bin HOME="$work" "$here/build/release/cli/kix" build immich -o result-tree 2>"$work/err" | tail -1) ||
  { cat "$work/err"; fail "the build tree's kix cannot build examples/immich"; }
[[ $installed == "$tree" ]] || fail "root $installed from the package, $tree from the build tree"

# A data directory that is not there is a clear error, not a crash.
if env -i HOME="$work" KIX_DATA_DIR="$work/none" "$kix" build "$work/immich" -o "$work/r" 2>"$work/err"; then
  fail "a missing KIX_DATA_DIR was accepted"
fi
grep -q "has no packages/" "$work/err" || { cat "$work/err"; fail "no clear error for a missing KIX_DATA_DIR"; }
echo "package ok: $(basename "$deb"), root $installed"
