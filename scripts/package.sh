#!/usr/bin/env bash
# Builds kix's Debian package, build/kix_<version>_<arch>.deb, from the
# release build (scripts/setup.sh package): bin/kix, share/kix with the
# package library and the schemas, and the manual pages. Install it with
#   apt-get install ./build/kix_*.deb
# The version is `kix --version`'s (cmake/version.cmake).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$here/scripts/setup.sh" package

# cpack installs what is built; the manual pages and the completion
# scripts are targets of their own.
ninja -C "$here/build/release" kix man completions >/dev/null
out="$here/build/package"
rm -rf "$out"
(cd "$here/build/release" && cpack -G DEB -B "$out" >/dev/null)
rm -f "$here"/build/kix_*.deb
mv "$out"/kix_*.deb "$here/build/"
ls "$here"/build/kix_*.deb
