#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: CTest in ./build, then each
# libFuzzer target for FUZZ_SECONDS (default 60; 0 skips them) in ./build-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh fuzz
./scripts/build.sh
# The schema must change compatibly against the last landed one (proto/LANDED).
./scripts/check-proto.sh
# The console's browser test drives Debian's Chromium with puppeteer-core from the npm
# registry, at the versions of its lockfile.
npm ci --prefix tests/services/console --no-audit --no-fund --ignore-scripts --loglevel=error
ctest --test-dir build --output-on-failure -j2 --timeout 600
# The fuzz targets need a build of their own (clang, ASan, UBSan, coverage; see
# tests/fuzz/README.md), so they run here rather than as CTest cases of ./build. Any
# finding makes fuzz.sh, and so this script and CI, fail.
fuzz_seconds="${FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" -gt 0 ]; then
  ./scripts/fuzz.sh "$fuzz_seconds"
fi
