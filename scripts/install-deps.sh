#!/usr/bin/env bash
# Installs the Debian 12 packages the build needs, only those missing.
# Usage: install-deps.sh [fuzz]. The optional "fuzz" group adds clang, its sanitizer and
# libFuzzer runtimes and llvm-symbolizer for scripts/fuzz.sh (which scripts/test.sh runs);
# the Release build never needs them.
set -euo pipefail
packages=(
  build-essential cmake ccache pkg-config
  librocksdb-dev libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libgtest-dev libabsl-dev libcli11-dev libspdlog-dev libssl-dev libtomlplusplus-dev libcivetweb-dev
  libjemalloc-dev
  python3 python3-grpcio python3-protobuf python3-yaml
  # buf, for the schema compatibility check (scripts/check-proto.sh), comes from npm.
  nodejs
  # Headless Chromium renders the compliance report's HTML in its test.
  chromium
)
for group in "$@"; do
  case "$group" in
    fuzz) packages+=(clang-14 libclang-rt-14-dev llvm-14) ;;
    *) echo "install-deps.sh: unknown group \"$group\" (known: fuzz)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's npm, unless a nodejs that brings its own (NodeSource's) is installed.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
