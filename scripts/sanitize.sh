#!/usr/bin/env bash
# Builds the whole tree with clang, ASan and UBSan (the fuzz build, build-fuzz/) and runs
# every test in it. By hand, not in CI: a cold build takes over 13 minutes on two cores.
# Usage: scripts/sanitize.sh [CTEST ARGS...], e.g. scripts/sanitize.sh -R CsvImporter
set -euo pipefail
cd "$(dirname "$0")/.."
build="${FUZZ_BUILD_DIR:-build-fuzz}"
./scripts/install-deps.sh fuzz
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIXHEARTS_FUZZ=ON > /dev/null
cmake --build "$build" -j"${FUZZ_JOBS:-2}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir "$build" --output-on-failure -j2 --timeout 900 "$@"
