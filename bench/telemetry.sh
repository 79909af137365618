#!/usr/bin/env bash
# What OpenTelemetry costs the API: /v1/track and /v1/batch (100 events) with wrk, File sink, Memory durability
# (so the disk does not hide the difference), once with no OTLP endpoint (metrics only, no spans, no trace stamp)
# and once exporting traces, metrics and logs over OTLP/HTTP to a collector that accepts and discards (python3).
# Also prints the bytes one event grows by with the trace stamp.
# Usage: [MODES="off otlp unsampled"] bench/telemetry.sh [seconds per run, default 15] [connections, default 32]
# Needs: dotnet, wrk, python3. Traffic goes to 127.0.0.1 only; every run stops by itself.
. "$(dirname "$0")/lib.sh"
duration=${1:-15}
connections=${2:-32}
threads=${THREADS:-2}
need wrk python3 bc curl
publish src/Tracking.Api api
python3 bench/bodies.py "$work"

# A collector that takes every export and answers 200 with an empty body.
cat > "$work/collector.py" <<'PY'
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.send_response(200); self.send_header('Content-Type', 'application/x-protobuf'); self.send_header('Content-Length', '0'); self.end_headers()
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Sink).serve_forever()
PY
python3 "$work/collector.py" 5199 &

# CPU time (user + system, clock ticks) the process has used: on a shared machine the CPU spent per event is a
# steadier measure than requests per second, which other processes' load moves.
# The window ends once the API has delivered what it accepted (its CPU use settles), so a run's backlog is its own.
settle() { # pid
  local last now
  last=$(cpu_ticks "$1")
  for _ in $(seq 1 60); do
    sleep 1; now=$(cpu_ticks "$1")
    [ $((now - last)) -le 3 ] && break
    last=$now
  done
}
run() { # name url body events-per-request pid
  local before after
  settle "$5"
  before=$(cpu_ticks "$5")
  BODY_FILE="$3" load "$2" "$duration"
  settle "$5"
  after=$(cpu_ticks "$5")
  printf '%-9s %-6s %9d req/s %10d events/s   API CPU %6.1f us/event   p99 %7.1f ms   errors %d non-2xx %d\n' "$mode" "$1" "$rps" $(( rps * $4 )) \
    "$(echo "($after - $before) * 1000000 / $(getconf CLK_TCK) / ($requests * $4)" | bc -l)" "$(ms "$p99_us")" "$errors" "$non2xx"
}

machine "wrk -t$threads -c$connections -d${duration}s"
port=5190
for mode in ${MODES:-off otlp}; do
  port=$((port + 1))
  otel=()
  [ "$mode" = otlp ] && otel=(OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:5199 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
  # Exporting, but no trace sampled: what the instrumentation and export cost without spans and stamps.
  [ "$mode" = unsampled ] && otel=(OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:5199 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_TRACES_SAMPLER=always_off)
  start_api "$work/api/Tracking.Api.dll" $port "$mode" Tracking__Spool__Durability=Memory "${otel[@]}"
  run track http://127.0.0.1:$port/v1/track "$work/event.json" 1 "$api"
  run batch http://127.0.0.1:$port/v1/batch "$work/batch.json" 100 "$api"
  stop_api
  line=$(find "$work/outbox-$mode" -name '*.ndjson' -not -path '*/.inprogress/*' -print -quit | xargs head -n1)
  printf '%-9s one stored event: %d bytes%s\n' "$mode" "${#line}" "$(grep -q '"traceparent"' <<<"$line" && echo ' (with its trace stamp)' || true)"
done
