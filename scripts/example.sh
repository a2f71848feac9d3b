#!/usr/bin/env bash
# Sets everything up and runs kix's main job on the bundled example: compile
# examples/immich into the embedded store and show the result.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh" release
kix="$here/build/release/cli/kix"
export KIX_STORE="$here/build/example-store"

cd "$here"
"$kix" build examples/immich -o build/example-result
echo
echo "== kix store log my-homelab"
"$kix" store log my-homelab
echo
echo "== kix store ls my-homelab"
"$kix" store ls my-homelab
echo
echo "== manifests written to build/example-result/"
ls build/example-result
