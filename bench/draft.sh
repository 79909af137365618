#!/usr/bin/env bash
# What observing traffic for the plan draft (Tracking:PlanDraft) costs the API: POST /v1/batch (100 events of 40
# names, 12 properties each, nested context) with wrk, File sink, no tracking plan, in three configurations run in
# turn ROUNDS times (default 3) on one build: off (Tracking:PlanDraft:Enabled=false), sampled (the default, at most
# 100 events a second observed) and every (MaxEventsPerSecond=1000000: every event read, the worst case). Prints each
# run (events/s, and the API's CPU time per event, less swayed by a busy machine), the best of each, the ratios to
# off, and what the draft observed.
# Usage: bench/draft.sh [seconds per run, default 10] [connections, default 32]; DURABILITY (default Memory, so the
# disk does not hide the difference), WARMUP (default 6) seconds of unmeasured load before each run, MODES (default
# "off sampled every").
# Needs: dotnet, wrk, python3, curl. Traffic goes to 127.0.0.1 only; every run stops by itself.
. "$(dirname "$0")/lib.sh"
duration=${1:-10}
connections=${2:-32}
rounds=${ROUNDS:-3}
warmup=${WARMUP:-6}
durability=${DURABILITY:-Memory}
modes=${MODES:-off sampled every}
need wrk python3 bc curl
publish src/Tracking.Api api
# 100 events of 40 names (bench/event.json under the names of bench/bodies.py's plan; no plan is loaded here).
python3 bench/bodies.py "$work" plan

machine "wrk -t$threads -c$connections -d${duration}s; Durability=$durability"
echo "batch: 100 events of 40 names, $(wc -c <"$work/plan-batch.json") bytes"
declare -A best cpu
port=5500
for round in $(seq 1 "$rounds"); do
  for mode in $modes; do
    port=$((port + 1))
    case "$mode" in
      off) draft=(Tracking__PlanDraft__Enabled=false) ;;
      sampled) draft=() ;;
      every) draft=(Tracking__PlanDraft__MaxEventsPerSecond=1000000) ;;
      *) echo "unknown mode $mode" >&2; exit 2 ;;
    esac
    start_api "$work/api/Tracking.Api.dll" $port run Tracking__Spool__Durability="$durability" "${draft[@]}"
    url="http://127.0.0.1:$port/v1/batch"
    BODY_FILE="$work/plan-batch.json" warm "$url" "$warmup"
    cpu_before=$(cpu_ticks "$api")
    BODY_FILE="$work/plan-batch.json" load "$url" "$duration"
    cpu_after=$(cpu_ticks "$api")
    # The API's own CPU time per accepted event: less swayed than events/s by what else the machine runs.
    cpu_us=$(( (cpu_after - cpu_before) * 1000000 / ticks / ((requests - non2xx) * 100) ))
    observed=$({ curl -fs -H "Authorization: Bearer $admin" "http://127.0.0.1:$port/admin/plans/draft?source=bench" || true; } |
      python3 -c 'import json, sys
try:
    d = json.load(sys.stdin)["x-observed"]
    print("%s of %s" % (d.get("events", 0), d.get("accepted", 0)))
except Exception:
    print("-")')
    printf 'round %d  %-7s %7d req/s %9d events/s  %4d us CPU/event  p99 %6.1f ms  (non-2xx %d, errors %d, observed %s)\n' \
      "$round" "$mode" "$rps" $(( rps * 100 )) "$cpu_us" "$(ms "$p99_us")" "$non2xx" "$errors" "$observed"
    [ "$rps" -gt "${best[$mode]:-0}" ] && best[$mode]=$rps
    [ "${cpu[$mode]:-999999}" -gt "$cpu_us" ] && cpu[$mode]=$cpu_us
    stop_api
    rm -rf "$work/outbox-run" "$work/spool-run"
  done
done

echo "-- best of $rounds rounds, /v1/batch events/s"
for mode in $modes; do printf '%-7s %9d events/s  %4d us CPU/event (least)\n' "$mode" $(( best[$mode] * 100 )) "${cpu[$mode]}"; done
for mode in $modes; do
  [ "$mode" = off ] && continue
  printf 'ratio %s/off: %sx\n' "$mode" "$(ratio "${best[$mode]}" "${best[off]}")"
done
