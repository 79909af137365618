#!/usr/bin/env bash
# Events/s delivered per shard by the Kinesis sink at the shard limits (its default per-shard budget, 1,000 records/s
# and 1 MiB/s, the AWS shard write quota) without and with Tracking:Kinesis:Aggregation, in one run on this machine,
# to kinesalite (a 1-shard stream). The same bodies for both: POST /v1/batch of 100 events from 4 devices (25 events
# each), as SDKs send one device's queue at a time; 64 bodies, 256 devices. For each: start the published API, drive
# it with wrk for the given time, stop it with SIGTERM (it drains its queue into the stream), then count the Kinesis
# records and, de-aggregating with AWS's aws-kinesis-agg, the events in the stream; events/s is events over the time
# from the first request to the end of the drain. Pattern and bounds as bench/sinks.sh.
# Usage: bench/aggregation.sh [seconds of load per run, default 15] [connections, default 32]
# Needs: dotnet, wrk, node, and the pinned emulators (npm ci --prefix tests/emulators). Traffic stays on 127.0.0.1.
. "$(dirname "$0")/lib.sh"
duration=${1:-15}
connections=${2:-32}
threads=${THREADS:-2}
need wrk node python3 bc curl emulators
publish src/Tracking.Api api
# 64 different batches of 100 events (bench/event.json), 25 from each of 4 devices; wrk cycles through them.
python3 bench/bodies.py "$work" devices 4
start_kinesalite
machine "node $(node --version); wrk -t$threads -c$connections -d${duration}s; kinesalite in memory, 1 shard"

run_kinesis() { # name, then extra environment for the API
  local name=$1 delivered records
  shift
  stream="bench-$name-$RANDOM"
  node bench/kinesis.mjs create "$kinesalite" "$stream" 1
  # shellcheck disable=SC2046 # the settings are words on purpose
  deliver "$name" $(kinesis_settings "$stream") "$@"
  read -r delivered records < <(node bench/kinesis.mjs count "$kinesalite" "$stream")
  printf '%-18s delivered %8d events in %8d records in %5.1f s = %7.0f events/s per shard   (accepted %d; load %d s, then drain %.1f s; 503s %d, errors %d; p50 %.1f ms, p99 %.1f ms; API peak RSS %s MiB; CPU s: API %s, kinesalite %.1f)\n' \
    "$name" "$delivered" "$records" "$seconds" "$(echo "$delivered / $seconds" | bc -l)" "$accepted" "$duration" "$(echo "$seconds - $duration" | bc -l)" \
    "$non2xx" "$errors" "$(ms "$p50_us")" "$(ms "$p99_us")" "$peak" "$api_cpu" "$kinesalite_cpu"
  check_delivered "$name" "$delivered"
}

stream=""
run_kinesis plain
run_kinesis aggregated Tracking__Kinesis__Aggregation=true
