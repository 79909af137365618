#!/usr/bin/env bash
# Events/s *delivered* through the API by the File sink and by the Kinesis sink (to kinesalite, a 4-shard stream),
# all in one run on this machine. For each sink: start the published API, drive POST /v1/batch with wrk for the
# given time (100 events per request, 6,400 distinct anonymousIds so partition keys spread over the shards), stop the
# API with SIGTERM (it stops accepting and drains its queue into the sink), then count what reached the outbox or the
# stream and divide by the time from the first request to the end of the drain. Printed next to it: what wrk saw
# accepted (2xx x 100); delivered may exceed it by the requests still in flight when wrk stopped counting, never fall short.
#   file              File sink
#   kinesis           Kinesis sink with its default per-shard budget (1,000 records/s and 1 MiB/s, the AWS shard quota)
#   kinesis-unbounded Kinesis sink with the budget lifted, to show what the pipeline and kinesalite manage themselves
# Usage: bench/sinks.sh [seconds of load per sink, default 15] [connections, default 32]
# Needs: dotnet, wrk, node, and the pinned emulators (npm ci --prefix tests/emulators). Traffic stays on 127.0.0.1;
# every step is bounded in time (load by wrk -d, drain by the host's shutdown timeout, counting by a deadline).
. "$(dirname "$0")/lib.sh"
duration=${1:-15}
connections=${2:-32}
threads=${THREADS:-2}
need wrk node python3 bc curl emulators
publish src/Tracking.Api api
# 64 different batches of 100 events (bench/event.json), each event from a device of its own so that partition keys
# spread over the shards; wrk cycles through them.
python3 bench/bodies.py "$work" devices 100
start_kinesalite
machine "node $(node --version); wrk -t$threads -c$connections -d${duration}s; kinesalite in memory, 4 shards"

run() { # name, then extra environment for the API
  local name=$1 delivered
  shift
  deliver "$name" "$@"
  if [ "$name" = file ]; then
    delivered=$(outbox_events "$name")
  else
    read -r delivered _ < <(node bench/kinesis.mjs count "$kinesalite" "$stream")
  fi
  printf '%-18s delivered %8d events in %5.1f s = %7.0f events/s   (accepted %d; load %d s, then drain %.1f s; 503s %d, errors %d; p50 %.1f ms, p99 %.1f ms; API peak RSS %s MiB; CPU s: API %s, kinesalite %.1f)\n' \
    "$name" "$delivered" "$seconds" "$(echo "$delivered / $seconds" | bc -l)" "$accepted" "$duration" "$(echo "$seconds - $duration" | bc -l)" \
    "$non2xx" "$errors" "$(ms "$p50_us")" "$(ms "$p99_us")" "$peak" "$api_cpu" "$kinesalite_cpu"
  check_delivered "$name" "$delivered"
}

run file Tracking__Sink=File

run_kinesis() { # name, then extra environment for the API
  local name=$1; shift
  stream="bench-$name-$RANDOM"
  node bench/kinesis.mjs create "$kinesalite" "$stream" 4
  # shellcheck disable=SC2046 # the settings are words on purpose
  run "$name" $(kinesis_settings "$stream") "$@"
}

stream=""
run_kinesis kinesis
run_kinesis kinesis-unbounded Tracking__Kinesis__ShardRecordsPerSecond=1000000 Tracking__Kinesis__ShardBytesPerSecond=1073741824
