#!/usr/bin/env bash
# What a tracking plan costs the API: POST /v1/batch (100 events of 40 different names, ~3% breaking the plan) with
# wrk, File sink, once with no plan and once with a plan of 40 track events (Flag mode, unplanned: violation), each
# property schema a realistic mix of required members, types, enums, bounds and formats. The two configurations run
# in turn, ROUNDS times (default 3), on one build, so the machine's drift falls on both; prints each run, the best of
# each, and the ratio plan/none (goal: >= 0.80).
# Usage: bench/plans.sh [seconds per run, default 10] [connections, default 32]; DURABILITY (default Memory, so the
# disk does not hide the difference), WARMUP (default 6) seconds of unmeasured load before each run, MODES (default
# "none plan"; add "block" for Block mode, the broken events then go to the quarantine).
# Needs: dotnet, wrk, python3. Traffic goes to 127.0.0.1 only; every run stops by itself.
. "$(dirname "$0")/lib.sh"
duration=${1:-10}
connections=${2:-32}
rounds=${ROUNDS:-3}
warmup=${WARMUP:-6}
durability=${DURABILITY:-Memory}
modes=${MODES:-none plan}
need wrk python3 bc curl
publish src/Tracking.Api api
# The plan and a batch of the fixture event under its names, broken for 1 event in 32 (bench/bodies.py plan).
python3 bench/bodies.py "$work" plan

machine "wrk -t$threads -c$connections -d${duration}s; Durability=$durability"
echo "plan: $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['track']))" "$work/plan.json") track events, $(wc -c <"$work/plan.json") bytes; batch: 100 events, $(wc -c <"$work/plan-batch.json") bytes"
declare -A best cpu
port=5400
for round in $(seq 1 "$rounds"); do
  for mode in $modes; do
    port=$((port + 1))
    plan=()
    [ "$mode" = plan ] && plan=(Tracking__TrackingPlans__bench__Path="$work/plan.json" Tracking__TrackingPlans__bench__Mode=Flag)
    [ "$mode" = block ] && plan=(Tracking__TrackingPlans__bench__Path="$work/plan.json" Tracking__TrackingPlans__bench__Mode=Block Tracking__Quarantine__Directory="$work/quarantine")
    start_api "$work/api/Tracking.Api.dll" $port run Tracking__Spool__Durability="$durability" "${plan[@]}"
    url="http://127.0.0.1:$port/v1/batch"
    # Warm-up, not counted: the JIT's tiering (and the schemas' first evaluations) would otherwise be measured too.
    BODY_FILE="$work/plan-batch.json" warm "$url" "$warmup"
    cpu_before=$(cpu_ticks "$api")
    BODY_FILE="$work/plan-batch.json" load "$url" "$duration"
    cpu_after=$(cpu_ticks "$api")
    # The API's own CPU time per accepted event, in tenths of a microsecond: less swayed than events/s by what else
    # the machine runs.
    cpu_tenths=$(( (cpu_after - cpu_before) * 10000000 / ticks / ((requests - non2xx) * 100) ))
    flagged=$(metric $port tracking_events_plan_violations_total)
    printf 'round %d  %-5s %7d req/s %9d events/s  %5.1f us CPU/event  p99 %6.1f ms  (non-2xx %d, errors %d, violations counted %d)\n' \
      "$round" "$mode" "$rps" $(( rps * 100 )) "$(echo "$cpu_tenths / 10" | bc -l)" "$(ms "$p99_us")" "$non2xx" "$errors" "$flagged"
    [ "$rps" -gt "${best[$mode]:-0}" ] && best[$mode]=$rps
    [ "${cpu[$mode]:-999999999}" -gt "$cpu_tenths" ] && cpu[$mode]=$cpu_tenths
    stop_api
    rm -rf "$work/outbox-run" "$work/spool-run" "$work/quarantine"
  done
done

echo "-- best of $rounds rounds, /v1/batch events/s"
for mode in $modes; do printf '%-5s %9d events/s  %5.1f us CPU/event (least)\n' "$mode" $(( best[$mode] * 100 )) "$(echo "${cpu[$mode]} / 10" | bc -l)"; done
for mode in $modes; do
  [ "$mode" = none ] && continue
  printf 'ratio %s/none: %sx events/s (goal >= 0.80); CPU/event none/%s: %sx\n' "$mode" "$(ratio "${best[$mode]}" "${best[none]}")" \
    "$mode" "$(ratio "${cpu[none]}" "${cpu[$mode]}")"
done
