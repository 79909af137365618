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
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-32}
rounds=${ROUNDS:-3}
warmup=${WARMUP:-6}
durability=${DURABILITY:-Memory}
modes=${MODES:-off sampled every}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

echo "building (Release)..."
dotnet publish src/Tracking.Api -c Release -o "$work/api" -nologo -v quiet >/dev/null

python3 - "$work" <<'PY'
import json, sys, os
work = sys.argv[1]
nouns = ["Product", "Order", "Cart", "Checkout", "Coupon", "Wishlist", "Review", "Promotion", "Subscription", "Account"]
names = [f"{n} {v}" for n in nouns for v in ["Viewed", "Added", "Removed", "Completed"]]
events = []
for i in range(100):
    props = {"product_id": "507f1f77bcf86cd799439011", "sku": "G-32", "category": "Games", "name": "Monopoly: 3rd Edition",
             "brand": "Hasbro", "price": 18.99, "quantity": 1, "currency": "EUR", "coupon": None if i % 3 else "MAYDEALS", "position": 3,
             "url": "https://www.example.com/product/path", "tags": ["board", "family"]}
    events.append({"type": "track", "userId": f"user-{i:06d}", "anonymousId": "8d6b0a34-54c1-4b9e-9f3a-2f7c1d0e5a61", "event": names[i % len(names)],
                   "properties": props,
                   "context": {"app": {"name": "shop", "version": "3.2.0"}, "os": {"name": "iOS", "version": "17.1"}, "locale": "en-US",
                               "library": {"name": "analytics-ios", "version": "4.1.8"}},
                   "timestamp": "2026-11-21T10:15:30.000Z", "messageId": f"c1f6a7e2-3b4d-4e5f-8a9b-{i:012d}"})
open(os.path.join(work, "batch.json"), "w").write(json.dumps({"batch": events, "sentAt": "2026-11-21T10:15:31.000Z"}, separators=(",", ":")))
PY
export AUTH=$(printf 'bench_key:' | base64)
admin=bench-admin-key-0123456789abcdef

ticks=$(getconf CLK_TCK)
# User plus system CPU ticks of a process so far (fields 14 and 15 of /proc/<pid>/stat, after the command's name).
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

wait_for() { for _ in $(seq 1 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }

echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t1 -c$connections -d${duration}s; Durability=$durability"
echo "batch: 100 events of 40 names, $(wc -c <"$work/batch.json") bytes"
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
    env ASPNETCORE_URLS=http://127.0.0.1:$port ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
      Tracking__WriteKeys__bench_key=bench Tracking__RateLimit__PermitsPerSecond=0 Tracking__RateLimit__PerAddressPermitsPerSecond=0 \
      Tracking__Limits__MaxConcurrentRequestsPerAddress=0 Tracking__File__Directory="$work/outbox" Tracking__AdminKey=$admin \
      Tracking__Spool__Durability="$durability" Tracking__Spool__Directory="$work/spool" "${draft[@]}" \
      dotnet "$work/api/Tracking.Api.dll" >"$work/api.log" 2>&1 &
    api=$!
    wait_for "http://127.0.0.1:$port/health/live" || { tail -5 "$work/api.log" >&2; exit 1; }
    url="http://127.0.0.1:$port/v1/batch"
    BODY_FILE="$work/batch.json" wrk -t1 -c"$connections" -d"${warmup}s" -s bench/post.lua "$url" >/dev/null
    cpu_before=$(cpu_ticks "$api")
    out=$(BODY_FILE="$work/batch.json" wrk -t1 -c"$connections" -d"${duration}s" --timeout 10s -s bench/post.lua "$url" | grep '^RESULT')
    cpu_after=$(cpu_ticks "$api")
    eval "${out#RESULT }"
    rps=$(( (requests - non2xx) * 1000000 / duration_us ))
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
      "$round" "$mode" "$rps" $(( rps * 100 )) "$cpu_us" "$(echo "$p99_us/1000" | bc -l)" "$non2xx" "$errors" "$observed"
    [ "$rps" -gt "${best[$mode]:-0}" ] && best[$mode]=$rps
    [ "${cpu[$mode]:-999999}" -gt "$cpu_us" ] && cpu[$mode]=$cpu_us
    kill -TERM "$api"; wait "$api" 2>/dev/null || true
    # The sink may still be closing its last file as the process ends.
    for _ in 1 2 3 4 5; do rm -rf "$work/outbox" "$work/spool" 2>/dev/null && break; sleep 0.2; done
  done
done

echo "-- best of $rounds rounds, /v1/batch events/s"
for mode in $modes; do printf '%-7s %9d events/s  %4d us CPU/event (least)\n' "$mode" $(( best[$mode] * 100 )) "${cpu[$mode]}"; done
for mode in $modes; do
  [ "$mode" = off ] && continue
  printf 'ratio %s/off: %sx\n' "$mode" "$(echo "scale=2; ${best[$mode]} / ${best[off]}" | bc -l)"
done
