#!/usr/bin/env bash
# The main job: installs what is missing, builds Release, starts ledgerd on ./var/ledger
# with demo data (the public IBM late-payment sample and a six-hearts client), shows the
# digest, the chain check and the receivables aging, then keeps serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh --target ledgerd ledgerctl
listen="${LEDGER_LISTEN:-127.0.0.1:50051}"
data_dir="${LEDGER_DATA_DIR:-./var/ledger}"
ctl=(./build/tools/ledgerctl/ledgerctl --server "$listen")

./build/tools/ledgerd --data-dir "$data_dir" --listen "$listen" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' EXIT INT TERM
for _ in $(seq 1 100); do
  "${ctl[@]}" digest >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== importing the IBM late-payment sample (idempotent: a second run appends nothing)"
"${ctl[@]}" import tests/data/ibm-ar-late-payment-histories.csv --preset ibm
echo "== appending the six-hearts demo client"
"${ctl[@]}" append deploy/demo/six-hearts-demo.jsonl >/dev/null
echo "== the log's head and its hash chain"
"${ctl[@]}" digest
"${ctl[@]}" verify
if "${ctl[@]}" aging --help >/dev/null 2>&1; then
  echo "== receivables aging as of 2013-12-31, by currency"
  "${ctl[@]}" aging --as-of 2013-12-31 --group-by currency
  echo "== the demo client's aging as of 2026-11-28"
  "${ctl[@]}" aging --as-of 2026-11-28 --group-by client --invoices | grep -E "^(group|sz-edu)" || true
fi
echo "== the six hearts: the demo client's scorecard and today's worklist"
"${ctl[@]}" scorecard --as-of 2026-11-28 --client sz-edu-bureau
"${ctl[@]}" worklist --as-of 2026-11-28 --limit 3
echo "== the demo client's history"
"${ctl[@]}" stream client-sz-edu-bureau
echo
echo "ledgerd is serving on $listen (data in $data_dir). Try: ${ctl[*]} tail"
echo "Press Ctrl-C to stop."
wait $server
