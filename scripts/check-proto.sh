#!/usr/bin/env bash
# Checks that the schema (proto/) changes compatibly against the last landed schema: the
# commit named in proto/LANDED. buf's FILE rules (proto/buf.yaml) refuse a field
# renumbered, retyped or removed, a method removed, a type moved or renamed.
# Usage: check-proto.sh [INPUT_DIR BASELINE_DIR]. With two directories it compares the
# first against the second instead (tests/proto/check_proto_test.py uses this).
set -euo pipefail
cd "$(dirname "$0")/.."
buf_dir=tools/proto_check
if [ ! -x "$buf_dir/node_modules/.bin/buf" ]; then
  echo "check-proto.sh: installing buf from the npm registry ($buf_dir/package-lock.json)" >&2
  npm ci --prefix "$buf_dir" --no-audit --no-fund --loglevel=error >&2
fi
buf="$buf_dir/node_modules/.bin/buf"
if [ $# -eq 2 ]; then
  exec "$buf" breaking "$1" --against "$2"
fi
landed="$(tr -d '[:space:]' < proto/LANDED)"
if ! git cat-file -e "$landed^{commit}" 2>/dev/null; then
  # A shallow clone: fetch just that commit.
  git fetch -q --depth=1 origin "$landed" 2>/dev/null || true
fi
if ! git cat-file -e "$landed^{commit}" 2>/dev/null; then
  echo "check-proto.sh: the landed commit $landed (proto/LANDED) is not in this clone;" \
       "clone with history to check the schema" >&2
  exit 1
fi
"$buf" breaking proto --against ".git#ref=$landed,subdir=proto"
echo "check-proto.sh: proto/ is compatible with the landed schema at ${landed:0:12}"
