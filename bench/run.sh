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
. "$(dirname "$0")/lib.sh"
duration=${1:-20}
connections=${2:-32}
warmup=${WARMUP_SECONDS:-8}   # per endpoint and durability level, before anything is measured
need wrk python3 bc curl
publish src/Tracking.Api api
publish bench/Baseline baseline
python3 bench/bodies.py "$work"

run() { # name url body events-per-request pid [port, for the sync counters]
  local syncs0=0 synced0=0 note=""
  [ -n "${6:-}" ] && { syncs0=$(metric "$6" tracking_spool_syncs); synced0=$(metric "$6" tracking_spool_synced_requests); }
  BODY_FILE="$3" load "$2" "$duration"
  if [ -n "${6:-}" ]; then
    syncs=$(( $(metric "$6" tracking_spool_syncs) - syncs0 )); synced=$(( $(metric "$6" tracking_spool_synced_requests) - synced0 ))
    [ "$syncs" -gt 0 ] && note=$(printf '   %d syncs/s, %.1f requests/sync' $(( syncs / duration )) "$(echo "$synced / $syncs" | bc -l)")
  fi
  printf '%-10s %10d req/s %12d events/s   p50 %6.1f ms   p99 %7.1f ms   errors %d non-2xx %d   RSS %s MiB (peak %s MiB)%s\n' \
    "$1" "$rps" $(( rps * $4 )) "$(ms "$p50_us")" "$(ms "$p99_us")" "$errors" "$non2xx" "$(rss_mib "$5")" "$(peak_rss_mib "$5")" "$note"
}

machine "wrk -t$threads -c$connections -d${duration}s"

ASPNETCORE_URLS=http://127.0.0.1:5101 dotnet "$work/baseline/Baseline.dll" >/dev/null 2>&1 &
baseline=$!
wait_for http://127.0.0.1:5101/ || { echo "the baseline did not start" >&2; exit 1; }
BODY_FILE="$work/event.json" warm http://127.0.0.1:5101/parse "$warmup"
run baseline http://127.0.0.1:5101/parse "$work/event.json" 1 "$baseline"
base_track=$rps
BODY_FILE="$work/batch-spaced.json" warm http://127.0.0.1:5101/parse "$warmup"
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
  start_api "$work/api/Tracking.Api.dll" $port "$durability" Tracking__Spool__Durability=$durability
  # Warm-up, not counted: without it the first figures measure the JIT's tiering as much as the API.
  BODY_FILE="$work/event.json" warm http://127.0.0.1:$port/v1/track "$warmup"
  BODY_FILE="$work/batch-spaced.json" warm http://127.0.0.1:$port/v1/batch "$warmup"
  echo "-- Tracking:Spool:Durability=$durability (round $round of $rounds)"
  run "track" http://127.0.0.1:$port/v1/track "$work/event.json" 1 "$api" $port
  [ "$rps" -gt "${track_rps[$durability]:-0}" ] && track_rps[$durability]=$rps
  run "batch" http://127.0.0.1:$port/v1/batch "$work/batch-spaced.json" 100 "$api" $port
  [ "$rps" -gt "${batch_rps[$durability]:-0}" ] && batch_rps[$durability]=$rps
  run "batch" http://127.0.0.1:$port/v1/batch "$work/batch-spaced.json" 100 "$api" $port
  [ "$rps" -gt "${batch_rps[$durability]:-0}" ] && batch_rps[$durability]=$rps
  stop_api
  echo "outbox after shutdown: $(outbox_events "$durability") events in $(find "$work/outbox-$durability" -name '*.ndjson' -not -path '*/.inprogress/*' | wc -l) files"
  rm -rf "$work/outbox-$durability" "$work/spool-$durability"
done
done

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
  start_api "$work/api/Tracking.Api.dll" $port rss
  echo "-- ${rss_seconds} s of /v1/batch, default durability (Fsync), fresh process"
  duration=$rss_seconds run "batch" http://127.0.0.1:$port/v1/batch "$work/batch-spaced.json" 100 "$api"
  stop_api
fi
