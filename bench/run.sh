#!/usr/bin/env bash
# Measures the tracking API with wrk against a bare Kestrel baseline, all in one run on this
# machine. Prints requests/s, events/s, p99 latency and the API's peak RSS for:
#   baseline   POST of one ~800-byte event to an endpoint that only parses the JSON
#   track      POST /v1/track with the same event (File sink)
#   batch      POST /v1/batch with 100 such events per request (File sink), run twice to show RSS stays flat
# each with the spool's three durability levels (Fsync, Write, Memory) in turn, ROUNDS times, then the best
# figure of each level and the ratios of Fsync and
# Write to Memory, and this disk's own synchronous-write rate (dd oflag=dsync) to read them against.
# Usage: bench/run.sh [seconds per run, default 20] [connections, default 64]; WARMUP_SECONDS (default 8) of
# unmeasured load on each endpoint first, so every level is measured after the JIT has tiered up.
# Needs: dotnet, wrk (apt-get install -y wrk). Traffic goes to 127.0.0.1 only; every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
connections=${2:-64}
warmup=${WARMUP_SECONDS:-8}   # per endpoint and durability level, before anything is measured
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

echo "building (Release)..."
dotnet publish src/Tracking.Api -c Release -o "$work/api" -nologo -v quiet >/dev/null
dotnet publish bench/Baseline -c Release -o "$work/baseline" -nologo -v quiet >/dev/null

# One ~800-byte track event, and a batch of 100 of them.
event='{"type":"track","userId":"user-000042","anonymousId":"8d6b0a34-54c1-4b9e-9f3a-2f7c1d0e5a61","event":"Product Added","properties":{"product_id":"507f1f77bcf86cd799439011","sku":"G-32","category":"Games","name":"Monopoly: 3rd Edition","brand":"Hasbro","variant":"200 pieces","price":18.99,"quantity":1,"coupon":"MAYDEALS","position":3,"url":"https://www.example.com/product/path","image_url":"https://www.example.com/product/path.jpg"},"context":{"app":{"name":"shop","version":"3.2.0","build":"3201"},"device":{"type":"ios","model":"iPhone15,2","manufacturer":"Apple"},"os":{"name":"iOS","version":"17.1"},"locale":"en-US","timezone":"Europe/Berlin","library":{"name":"analytics-ios","version":"4.1.8"}},"timestamp":"2026-11-21T10:15:30.000Z","sentAt":"2026-11-21T10:15:31.000Z","messageId":"c1f6a7e2-3b4d-4e5f-8a9b-0c1d2e3f4a5b"}'
printf '%s' "$event" > "$work/event.json"
{ printf '{"batch":['; for i in $(seq 1 100); do [ "$i" -gt 1 ] && printf ','; printf '%s' "$event"; done; printf '],"sentAt":"2026-11-21T10:15:31.000Z"}'; } > "$work/batch.json"
export AUTH=$(printf 'bench_key:' | base64)

wait_for() { for _ in $(seq 1 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

run() { # name url body events-per-request pid
  local out
  out=$(BODY_FILE="$3" wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s bench/post.lua "$2" | grep '^RESULT')
  eval "${out#RESULT }"
  rps=$(( requests * 1000000 / duration_us ))
  printf '%-10s %10d req/s %12d events/s   p50 %6.1f ms   p99 %7.1f ms   errors %d non-2xx %d   RSS %s MiB (peak %s MiB)\n' \
    "$1" "$rps" $(( rps * $4 )) "$(echo "$p50_us/1000" | bc -l)" "$(echo "$p99_us/1000" | bc -l)" "$errors" "$non2xx" "$(rss_mib "$5")" "$(peak_rss_mib "$5")"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(dotnet --version) SDK; wrk -t2 -c$connections -d${duration}s"

ASPNETCORE_URLS=http://127.0.0.1:5101 dotnet "$work/baseline/Baseline.dll" >/dev/null 2>&1 &
baseline=$!
wait_for http://127.0.0.1:5101/
BODY_FILE="$work/event.json" wrk -t2 -c"$connections" -d"$warmup"s -s bench/post.lua http://127.0.0.1:5101/parse >/dev/null
run baseline http://127.0.0.1:5101/parse "$work/event.json" 1 "$baseline"
kill "$baseline"; wait "$baseline" 2>/dev/null || true

# The disk's own limit: 4 KiB writes each synced before the next (what one fsync per request would cost).
probe() {
  local start end
  start=$(date +%s.%N)
  dd if=/dev/zero of="$work/probe" bs=4k count=2000 oflag=dsync 2>/dev/null
  end=$(date +%s.%N)
  rm -f "$work/probe"
  echo "2000 / ($end - $start)" | bc -l
}
printf 'disk: %.0f synced 4 KiB writes/s (dd oflag=dsync in %s)\n' "$(probe)" "$work"

# The levels are measured in turn, ROUNDS times (default 2), and each level's best figure is kept: on a shared
# machine the load drifts over minutes, and interleaving spreads the drift over every level instead of the last one.
declare -A track_rps batch_rps
port=5102
rounds=${ROUNDS:-2}
for round in $(seq 1 "$rounds"); do
for durability in Fsync Write Memory; do
  port=$((port + 1))
  env ASPNETCORE_URLS=http://127.0.0.1:$port ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Tracking__WriteKeys__bench_key=bench Tracking__RateLimit__PermitsPerSecond=0 Tracking__RateLimit__PerAddressPermitsPerSecond=0 \
    Tracking__Limits__MaxConcurrentRequestsPerAddress=0 Tracking__File__Directory="$work/outbox-$durability" \
    Tracking__Spool__Durability=$durability Tracking__Spool__Directory="$work/spool-$durability" \
    dotnet "$work/api/Tracking.Api.dll" >"$work/api-$durability.log" 2>&1 &
  api=$!
  wait_for http://127.0.0.1:$port/health/live
  # Warm-up, not counted: without it the first figures measure the JIT's tiering as much as the API.
  BODY_FILE="$work/event.json" wrk -t2 -c"$connections" -d"$warmup"s -s bench/post.lua http://127.0.0.1:$port/v1/track >/dev/null
  BODY_FILE="$work/batch.json" wrk -t2 -c"$connections" -d"$warmup"s -s bench/post.lua http://127.0.0.1:$port/v1/batch >/dev/null
  echo "-- Tracking:Spool:Durability=$durability (round $round of $rounds)"
  run "track" http://127.0.0.1:$port/v1/track "$work/event.json" 1 "$api"
  [ "$rps" -gt "${track_rps[$durability]:-0}" ] && track_rps[$durability]=$rps
  run "batch" http://127.0.0.1:$port/v1/batch "$work/batch.json" 100 "$api"
  [ "$rps" -gt "${batch_rps[$durability]:-0}" ] && batch_rps[$durability]=$rps
  run "batch" http://127.0.0.1:$port/v1/batch "$work/batch.json" 100 "$api"
  [ "$rps" -gt "${batch_rps[$durability]:-0}" ] && batch_rps[$durability]=$rps
  kill -TERM "$api"; wait "$api" 2>/dev/null || true
  echo "outbox after shutdown: $(find "$work/outbox-$durability" -name '*.ndjson' -not -path '*/.inprogress/*' | xargs cat | wc -l) events in $(find "$work/outbox-$durability" -name '*.ndjson' -not -path '*/.inprogress/*' | wc -l) files"
  rm -rf "$work/outbox-$durability" "$work/spool-$durability"
done
done

ratio() { echo "scale=2; $1 / $2" | bc -l; }
echo "-- best of $rounds rounds: /v1/track req/s and /v1/batch events/s"
for durability in Fsync Write Memory; do
  printf '%-6s %8d req/s %10d events/s\n' "$durability" "${track_rps[$durability]}" $(( batch_rps[$durability] * 100 ))
done
echo "-- ratios to Memory (goals: Fsync >= 0.70, Write >= 0.90)"
for durability in Fsync Write; do
  printf '%-6s /v1/track %sx   /v1/batch %sx\n' "$durability" "$(ratio "${track_rps[$durability]}" "${track_rps[Memory]}")" "$(ratio "${batch_rps[$durability]}" "${batch_rps[Memory]}")"
done
