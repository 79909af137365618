#!/usr/bin/env bash
# Measures the tracking API with wrk against a bare Kestrel baseline, all in one run on this
# machine. Prints requests/s, events/s, p99 latency and the API's peak RSS for:
#   baseline   POST of the same bodies to an endpoint that only parses the JSON (one event, and the batch)
#   track      POST /v1/track with one ~800-byte event (File sink)
#   batch      POST /v1/batch with 100 such events per request as Python's json.dumps writes them (", " and ": "
#              between tokens, 90 KB; File sink), run twice to show RSS stays flat
# each with the spool's three durability levels (Fsync, Write, Memory) in turn, ROUNDS times, then the best
# figure of each level, its ratio to the bare parse of the same body (the goals of issue 16), the Fsync runs' syncs/s
# and requests per sync (tracking.spool.syncs, tracking.spool.synced_requests), and this disk's own
# synchronous-write rate (dd oflag=dsync) to read them against. Last, RSS_SECONDS (default 60; 0 skips) of batch
# load on a fresh Fsync process, for its peak RSS.
# Usage: bench/run.sh [seconds per run, default 20] [connections, default 32]; WARMUP_SECONDS (default 8) of
# unmeasured load on each endpoint first, so every level is measured after the JIT has tiered up.
# Needs: dotnet, wrk (apt-get install -y wrk). Traffic goes to 127.0.0.1 only; every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
connections=${2:-32}
warmup=${WARMUP_SECONDS:-8}   # per endpoint and durability level, before anything is measured
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

echo "building (Release)..."
dotnet publish src/Tracking.Api -c Release -o "$work/api" -nologo -v quiet >/dev/null
dotnet publish bench/Baseline -c Release -o "$work/baseline" -nologo -v quiet >/dev/null

python3 bench/bodies.py "$work"
export AUTH=$(printf 'bench_key:' | base64)
admin=bench-admin-key-0123456789abcdef
# One counter from /metrics (Prometheus text), summed over its series.
metric() { { curl -fs -H "Authorization: Bearer $admin" "http://127.0.0.1:$1/metrics" 2>/dev/null || true; } | awk -v name="$2" '$1 ~ "^"name {sum += $2} END {printf "%d", sum}'; }

wait_for() { for _ in $(seq 1 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

run() { # name url body events-per-request pid [port, for the sync counters]
  local out syncs0=0 synced0=0 note=""
  [ -n "${6:-}" ] && { syncs0=$(metric "$6" tracking_spool_syncs); synced0=$(metric "$6" tracking_spool_synced_requests); }
  out=$(BODY_FILE="$3" wrk -t1 -c"$connections" -d"${duration}s" --timeout 10s -s bench/post.lua "$2" | grep '^RESULT')
  eval "${out#RESULT }"
  # Only answers that accepted the events count.
  rps=$(( (requests - non2xx) * 1000000 / duration_us ))
  if [ -n "${6:-}" ]; then
    syncs=$(( $(metric "$6" tracking_spool_syncs) - syncs0 )); synced=$(( $(metric "$6" tracking_spool_synced_requests) - synced0 ))
    [ "$syncs" -gt 0 ] && note=$(printf '   %d syncs/s, %.1f requests/sync' $(( syncs / duration )) "$(echo "$synced / $syncs" | bc -l)")
  fi
  printf '%-10s %10d req/s %12d events/s   p50 %6.1f ms   p99 %7.1f ms   errors %d non-2xx %d   RSS %s MiB (peak %s MiB)%s\n' \
    "$1" "$rps" $(( rps * $4 )) "$(echo "$p50_us/1000" | bc -l)" "$(echo "$p99_us/1000" | bc -l)" "$errors" "$non2xx" "$(rss_mib "$5")" "$(peak_rss_mib "$5")" "$note"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(dotnet --version) SDK; wrk -t1 -c$connections -d${duration}s; load average $(cut -d' ' -f1-3 /proc/loadavg)"

ASPNETCORE_URLS=http://127.0.0.1:5101 dotnet "$work/baseline/Baseline.dll" >/dev/null 2>&1 &
baseline=$!
wait_for http://127.0.0.1:5101/
BODY_FILE="$work/event.json" wrk -t1 -c"$connections" -d"$warmup"s -s bench/post.lua http://127.0.0.1:5101/parse >/dev/null
run baseline http://127.0.0.1:5101/parse "$work/event.json" 1 "$baseline"
base_track=$rps
BODY_FILE="$work/batch-spaced.json" wrk -t1 -c"$connections" -d"$warmup"s -s bench/post.lua http://127.0.0.1:5101/parse >/dev/null
run baseline http://127.0.0.1:5101/parse "$work/batch-spaced.json" 100 "$baseline"
base_batch=$rps
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
    Tracking__Limits__MaxConcurrentRequestsPerAddress=0 Tracking__File__Directory="$work/outbox-$durability" Tracking__AdminKey=$admin \
    Tracking__Spool__Durability=$durability Tracking__Spool__Directory="$work/spool-$durability" \
    dotnet "$work/api/Tracking.Api.dll" >"$work/api-$durability.log" 2>&1 &
  api=$!
  wait_for http://127.0.0.1:$port/health/live
  # Warm-up, not counted: without it the first figures measure the JIT's tiering as much as the API.
  BODY_FILE="$work/event.json" wrk -t1 -c"$connections" -d"$warmup"s -s bench/post.lua http://127.0.0.1:$port/v1/track >/dev/null
  BODY_FILE="$work/batch-spaced.json" wrk -t1 -c"$connections" -d"$warmup"s -s bench/post.lua http://127.0.0.1:$port/v1/batch >/dev/null
  echo "-- Tracking:Spool:Durability=$durability (round $round of $rounds)"
  run "track" http://127.0.0.1:$port/v1/track "$work/event.json" 1 "$api" $port
  [ "$rps" -gt "${track_rps[$durability]:-0}" ] && track_rps[$durability]=$rps
  run "batch" http://127.0.0.1:$port/v1/batch "$work/batch-spaced.json" 100 "$api" $port
  [ "$rps" -gt "${batch_rps[$durability]:-0}" ] && batch_rps[$durability]=$rps
  run "batch" http://127.0.0.1:$port/v1/batch "$work/batch-spaced.json" 100 "$api" $port
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
echo "-- ratios to the bare parse of the same body: baseline $base_track req/s, $(( base_batch * 100 )) events/s (goals: Fsync >= 0.45 / 0.30, Memory >= 0.60 / 0.40)"
for durability in Fsync Write Memory; do
  printf '%-6s /v1/track %sx   /v1/batch %sx\n' "$durability" "$(ratio "${track_rps[$durability]}" "$base_track")" "$(ratio "${batch_rps[$durability]}" "$base_batch")"
done

# Peak RSS under a long batch load (goal < 300 MB), on a fresh process with the default durability.
rss_seconds=${RSS_SECONDS:-60}
if [ "$rss_seconds" -gt 0 ]; then
  port=$((port + 1))
  env ASPNETCORE_URLS=http://127.0.0.1:$port ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Tracking__WriteKeys__bench_key=bench Tracking__RateLimit__PermitsPerSecond=0 Tracking__RateLimit__PerAddressPermitsPerSecond=0 \
    Tracking__Limits__MaxConcurrentRequestsPerAddress=0 Tracking__File__Directory="$work/outbox-rss" Tracking__Spool__Directory="$work/spool-rss" \
    dotnet "$work/api/Tracking.Api.dll" >"$work/api-rss.log" 2>&1 &
  api=$!
  wait_for http://127.0.0.1:$port/health/live
  echo "-- ${rss_seconds} s of /v1/batch, default durability (Fsync), fresh process"
  duration=$rss_seconds run "batch" http://127.0.0.1:$port/v1/batch "$work/batch-spaced.json" 100 "$api"
  kill -TERM "$api"; wait "$api" 2>/dev/null || true
fi
