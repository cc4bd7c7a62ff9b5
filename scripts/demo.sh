#!/usr/bin/env bash
# The main job end to end: migrate, generate sample data, ingest, start the API and a worker,
# trigger a report, follow its progress, show the CSV, stop what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
export PORT="${PORT:-8080}"
export API_URL="${API_URL:-http://127.0.0.1:$PORT}"
data=demo-data
stores="${DEMO_STORES:-2000}"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

export REPORTS_DIR="${REPORTS_DIR:-reports}"
mkdir -p "$REPORTS_DIR"  # workers refuse a missing one (it may be an unmounted shared volume)
echo "== migrate";  $bin/storemon migrate
echo "== generate $stores stores, 8.5 days of polls"
$bin/storemon generate --stores "$stores" --days 8.5 --seed 7 "$data"
echo "== ingest"
$bin/storemon ingest --timezones "$data/timezones.csv" --hours "$data/menu_hours.csv" --polls "$data/store_status.csv"
echo "== start the API on :$PORT and one worker (logs in $data/*.log)"
$bin/storemon api >"$data/api.log" 2>&1 & pids+=($!)
$bin/storemon worker >"$data/worker.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$API_URL/get_report/none")" = 404 ] && break
  sleep 0.2
done
echo "== trigger a report and follow it"
csv=$($bin/storemon report --out "$data/report.csv")
echo "== the report is at $(realpath "$csv"); its first lines:"
head -n 6 "$csv"
echo "… $(($(wc -l <"$csv") - 1)) stores"
last=$(curl -s "$API_URL/api/reports?limit=1" | $bin/python -c \
  'import datetime as d, json, sys; a = json.load(sys.stdin)["reports"][0]["as_of"]; print(d.date.fromisoformat(a[:10]) - d.timedelta(days=1))')
first=$($bin/python -c "import datetime as d; print(d.date.fromisoformat('$last') - d.timedelta(days=6))")
echo "== a period report: each store's local dates $first … $last, by day"
csv=$($bin/storemon report --from "$first" --to "$last" --interval day --out "$data/period.csv")
head -n 4 "$csv"
echo "… $(($(wc -l <"$csv") - 1)) rows (a store × a date)"
echo "== browse both on the dashboard while the API runs: $API_URL/ (this demo stops it now)"
