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
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-32}
rounds=${ROUNDS:-3}
warmup=${WARMUP:-6}
durability=${DURABILITY:-Memory}
modes=${MODES:-none plan}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

echo "building (Release)..."
dotnet publish src/Tracking.Api -c Release -o "$work/api" -nologo -v quiet >/dev/null

# The plan and a batch that follows it, but for every 32nd event (a wrong type, or a name the plan does not list).
python3 - "$work" <<'PY'
import json, sys, os
work = sys.argv[1]
nouns = ["Product", "Order", "Cart", "Checkout", "Coupon", "Wishlist", "Review", "Promotion", "Subscription", "Account"]
verbs = ["Viewed", "Added", "Removed", "Completed"]
names = [f"{n} {v}" for n in nouns for v in verbs]
def schema(i):
    return {
        "type": "object",
        "required": ["product_id", "price", "currency"],
        "properties": {
            "product_id": {"type": "string", "minLength": 1, "maxLength": 64},
            "sku": {"type": "string"},
            "category": {"type": "string", "enum": ["Games", "Books", "Toys", "Garden", "Music"]},
            "name": {"type": "string"},
            "brand": {"type": "string"},
            "price": {"type": "number", "minimum": 0},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "coupon": {"type": ["string", "null"]},
            "position": {"type": "integer"},
            "url": {"type": "string", "format": "uri"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        },
        "additionalProperties": i % 2 == 0,
    }
plan = {"description": "bench: 40 e-commerce events", "unplanned": "violation",
        "track": {name: {"properties": schema(i)} for i, name in enumerate(names)},
        "identify": {"traits": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}}}
json.dump(plan, open(os.path.join(work, "plan.json"), "w"), indent=1)
events = []
for i in range(100):
    props = {"product_id": "507f1f77bcf86cd799439011", "sku": "G-32", "category": "Games", "name": "Monopoly: 3rd Edition",
             "brand": "Hasbro", "price": 18.99, "quantity": 1, "currency": "EUR", "coupon": "MAYDEALS", "position": 3,
             "url": "https://www.example.com/product/path", "tags": ["board", "family"]}
    name = names[i % len(names)]
    if i % 32 == 7:
        props["price"] = "18.99"
    if i % 32 == 23:
        name = "Something Unplanned"
    events.append({"type": "track", "userId": f"user-{i:06d}", "anonymousId": "8d6b0a34-54c1-4b9e-9f3a-2f7c1d0e5a61", "event": name,
                   "properties": props,
                   "context": {"app": {"name": "shop", "version": "3.2.0"}, "os": {"name": "iOS", "version": "17.1"}, "locale": "en-US",
                               "library": {"name": "analytics-ios", "version": "4.1.8"}},
                   "timestamp": "2026-11-21T10:15:30.000Z", "messageId": f"c1f6a7e2-3b4d-4e5f-8a9b-{i:012d}"})
open(os.path.join(work, "batch.json"), "w").write(json.dumps({"batch": events, "sentAt": "2026-11-21T10:15:31.000Z"}, separators=(",", ":")))
PY
export AUTH=$(printf 'bench_key:' | base64)
admin=bench-admin-key-0123456789abcdef

wait_for() { for _ in $(seq 1 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }

echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t1 -c$connections -d${duration}s; Durability=$durability"
echo "plan: $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['track']))" "$work/plan.json") track events, $(wc -c <"$work/plan.json") bytes; batch: 100 events, $(wc -c <"$work/batch.json") bytes"
declare -A best
port=5400
for round in $(seq 1 "$rounds"); do
  for mode in $modes; do
    port=$((port + 1))
    plan=()
    [ "$mode" = plan ] && plan=(Tracking__TrackingPlans__bench__Path="$work/plan.json" Tracking__TrackingPlans__bench__Mode=Flag)
    [ "$mode" = block ] && plan=(Tracking__TrackingPlans__bench__Path="$work/plan.json" Tracking__TrackingPlans__bench__Mode=Block Tracking__Quarantine__Directory="$work/quarantine")
    env ASPNETCORE_URLS=http://127.0.0.1:$port ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
      Tracking__WriteKeys__bench_key=bench Tracking__RateLimit__PermitsPerSecond=0 Tracking__RateLimit__PerAddressPermitsPerSecond=0 \
      Tracking__Limits__MaxConcurrentRequestsPerAddress=0 Tracking__File__Directory="$work/outbox" Tracking__AdminKey=$admin \
      Tracking__Spool__Durability="$durability" Tracking__Spool__Directory="$work/spool" "${plan[@]}" \
      dotnet "$work/api/Tracking.Api.dll" >"$work/api.log" 2>&1 &
    api=$!
    wait_for "http://127.0.0.1:$port/health/live" || { tail -5 "$work/api.log" >&2; exit 1; }
    url="http://127.0.0.1:$port/v1/batch"
    # Warm-up, not counted: the JIT's tiering (and the schemas' first evaluations) would otherwise be measured too.
    BODY_FILE="$work/batch.json" wrk -t1 -c"$connections" -d"${warmup}s" -s bench/post.lua "$url" >/dev/null
    out=$(BODY_FILE="$work/batch.json" wrk -t1 -c"$connections" -d"${duration}s" --timeout 10s -s bench/post.lua "$url" | grep '^RESULT')
    eval "${out#RESULT }"
    # Only answers that accepted the events count.
    rps=$(( (requests - non2xx) * 1000000 / duration_us ))
    flagged=$({ curl -fs -H "Authorization: Bearer $admin" "http://127.0.0.1:$port/metrics" || true; } | awk '$1 ~ "^tracking_events_plan_violations_total" {sum += $2} END {printf "%d", sum}')
    printf 'round %d  %-5s %7d req/s %9d events/s  p99 %6.1f ms  (non-2xx %d, errors %d, violations counted %d)\n' \
      "$round" "$mode" "$rps" $(( rps * 100 )) "$(echo "$p99_us/1000" | bc -l)" "$non2xx" "$errors" "$flagged"
    [ "$rps" -gt "${best[$mode]:-0}" ] && best[$mode]=$rps
    kill -TERM "$api"; wait "$api" 2>/dev/null || true
    rm -rf "$work/outbox" "$work/spool" "$work/quarantine"
  done
done

echo "-- best of $rounds rounds, /v1/batch events/s"
for mode in $modes; do printf '%-5s %9d events/s\n' "$mode" $(( best[$mode] * 100 )); done
for mode in $modes; do
  [ "$mode" = none ] && continue
  printf 'ratio %s/none: %sx (goal >= 0.80)\n' "$mode" "$(echo "scale=2; ${best[$mode]} / ${best[none]}" | bc -l)"
done
