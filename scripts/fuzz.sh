#!/usr/bin/env bash
# Builds the libFuzzer targets with ASan and UBSan in build-fuzz/ and runs each for SECONDS
# (default 60) from its seed corpus and its saved crash inputs; exits non-zero on any
# crash, leak, timeout, broken invariant or sanitizer report. scripts/test.sh (CI) runs it
# for 60 s per target. tests/fuzz/README.md explains the targets.
#
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]
#   FUZZ_BUILD_DIR     build directory (default build-fuzz)
#   FUZZ_ARTIFACTS_DIR where crashing inputs and logs are kept (default $FUZZ_BUILD_DIR/findings)
#   FUZZ_JOBS          build parallelism (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_validate fuzz_decode fuzz_csv_import fuzz_append fuzz_auth)
build="${FUZZ_BUILD_DIR:-build-fuzz}"
findings="${FUZZ_ARTIFACTS_DIR:-$build/findings}"

# Largest input per target: an AppendRequest of a few dozen events, a snapshot of a few
# clients, a CSV of a few dozen rows, a call's method and metadata. Longer inputs slow each
# run without reaching new code.
max_len() {
  case "$1" in
    fuzz_validate) echo 8192 ;;
    fuzz_decode) echo 4096 ;;
    fuzz_csv_import) echo 8192 ;;
    fuzz_append) echo 8192 ;;
    fuzz_auth) echo 1024 ;;
    *) echo "fuzz.sh: unknown target $1" >&2; exit 2 ;;
  esac
}
for t in "${targets[@]}"; do max_len "$t" > /dev/null; done

./scripts/install-deps.sh fuzz
# A separate build directory: every object in it carries the sanitizers (CMakeLists.txt).
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIXHEARTS_FUZZ=ON > /dev/null
cmake --build "$build" -j"${FUZZ_JOBS:-2}" --target "${targets[@]}"

# libFuzzer adds what it finds to the corpus directory it is given; the repository's seeds
# stay untouched by fuzzing copies of them in a scratch directory.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/sixhearts-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Stack traces of a finding name functions and lines (llvm-14 installs it).
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

failed=()
for t in "${targets[@]}"; do
  work="$scratch/$t"
  mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
  cp -R "tests/fuzz/corpus/$t/." "$work/corpus/"
  # Inputs that once failed (tests/fuzz/README.md "Findings") run first, read only: new
  # inputs go to the first directory alone.
  inputs=("$work/corpus")
  [ -d "tests/fuzz/crashes/$t" ] && inputs+=("tests/fuzz/crashes/$t")
  # A dictionary of the target's tokens (tests/fuzz/dict/), when it has one.
  dict=()
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  echo "== $t: ${seconds}s" >&2
  status=0
  # TMPDIR: fuzz_validate and fuzz_append keep their event stores there, so it goes with
  # the scratch dir.
  TMPDIR="$work/tmp" "$build/tests/fuzz/$t" \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=30 -rss_limit_mb=3072 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 ${dict[@]+"${dict[@]}"} \
    "${inputs[@]}" > "$work/log" 2>&1 || status=$?
  # Belt and braces: a sanitizer report that somehow did not stop the run still fails it.
  if [ "$status" -ne 0 ] || grep -qE "ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$work/log"; then
    failed+=("$t")
    mkdir -p "$findings/$t"
    cp "$work/log" "$findings/$t/log"
    cp -R "$work/artifacts/." "$findings/$t/" 2>/dev/null || true
    echo "== $t FAILED (exit $status); log and inputs in $findings/$t" >&2
    grep -B2 -A40 -E "ERROR: |FUZZ INVARIANT BROKEN|runtime error:|deadly signal" "$work/log" | head -80 >&2 || tail -40 "$work/log" >&2
  else
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|^Done " \
      "$work/log" | sed "s/^/   /" >&2 || true
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzzing: no findings in ${targets[*]} (${seconds}s each)" >&2
