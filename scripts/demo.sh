#!/usr/bin/env bash
# The main job: installs what is missing, builds Release, starts ledgerd on ./var/ledger
# with demo data (the public IBM late-payment sample, a six-hearts client and a generated
# portfolio of 200 government clients), shows the digest, the chain check, aging, the
# six-hearts scorecard, worklist and evidence, writes a compliance report and the annual
# disclosure under ./var, prints the web console's address, then keeps serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh --target ledgerd ledgerctl
listen="${LEDGER_LISTEN:-127.0.0.1:50051}"
data_dir="${LEDGER_DATA_DIR:-./var/ledger}"
console="${LEDGER_CONSOLE_LISTEN:-127.0.0.1:8451}"
ctl=(./build/tools/ledgerctl/ledgerctl --server "$listen")

./build/tools/ledgerd --data-dir "$data_dir" --listen "$listen" --console-listen "$console" &
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
echo "== generating the demo portfolio: 200 government clients over 24 months (idempotent)"
"${ctl[@]}" generate --seed 1 --clients 200 --months 24 --end-date 2026-11-30 --batch 500 >/dev/null
echo "== the log's head and its hash chain"
"${ctl[@]}" digest
"${ctl[@]}" verify
echo "== receivables aging as of 2013-12-31 (the IBM sample), by currency"
"${ctl[@]}" aging --as-of 2013-12-31 --group-by currency
echo "== the whole portfolio's aging as of 2026-11-30, by jurisdiction"
"${ctl[@]}" aging --as-of 2026-11-30 --group-by jurisdiction
echo "== the six hearts: the demo client's scorecard and today's worklist"
"${ctl[@]}" scorecard --as-of 2026-11-28 --client sz-edu-bureau
"${ctl[@]}" worklist --as-of 2026-11-28 --limit 3
echo "== do healthier relationships pay better?"
"${ctl[@]}" evidence --as-of 2026-11-30
echo "== compliance: payments late by law and the interest owed as of 2026-06-30 (HTML), and"
echo "   the CN Art 18 disclosure of overdue payments to SMEs for 2025 (CSV)"
mkdir -p var
"${ctl[@]}" report compliance --as-of 2026-06-30 --format html -o var/compliance-2026-06-30.html
"${ctl[@]}" report disclosure --year 2025 --format csv -o var/disclosure-2025.csv
echo "== the demo client's history"
"${ctl[@]}" stream client-sz-edu-bureau
echo
echo "ledgerd is serving on $listen (data in $data_dir). Try: ${ctl[*]} tail"
echo "Console: open http://$console/ (Portfolio, Client, Worklist, Evidence, Compliance, Log)"
echo "Press Ctrl-C to stop."
wait $server
