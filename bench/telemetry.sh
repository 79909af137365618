#!/usr/bin/env bash
# What OpenTelemetry costs the API: /v1/track and /v1/batch (100 events) with wrk, File sink, Memory durability
# (so the disk does not hide the difference), once with no OTLP endpoint (metrics only, no spans, no trace stamp)
# and once exporting traces, metrics and logs over OTLP/HTTP to a collector that accepts and discards (python3).
# Also prints the bytes one event grows by with the trace stamp.
# Usage: [MODES="off otlp unsampled"] bench/telemetry.sh [seconds per run, default 15] [connections, default 32]
# Needs: dotnet, wrk, python3. Traffic goes to 127.0.0.1 only; every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
connections=${2:-32}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

echo "building (Release)..."
dotnet publish src/Tracking.Api -c Release -o "$work/api" -nologo -v quiet >/dev/null

event='{"type":"track","userId":"user-000042","anonymousId":"8d6b0a34-54c1-4b9e-9f3a-2f7c1d0e5a61","event":"Product Added","properties":{"product_id":"507f1f77bcf86cd799439011","sku":"G-32","category":"Games","name":"Monopoly: 3rd Edition","brand":"Hasbro","variant":"200 pieces","price":18.99,"quantity":1,"coupon":"MAYDEALS","position":3},"context":{"app":{"name":"shop","version":"3.2.0"},"os":{"name":"iOS","version":"17.1"},"locale":"en-US","library":{"name":"analytics-ios","version":"4.1.8"}},"timestamp":"2026-11-21T10:15:30.000Z","sentAt":"2026-11-21T10:15:31.000Z"}'
printf '%s' "$event" > "$work/event.json"
{ printf '{"batch":['; for i in $(seq 1 100); do [ "$i" -gt 1 ] && printf ','; printf '%s' "$event"; done; printf ']}'; } > "$work/batch.json"
export AUTH=$(printf 'bench_key:' | base64)

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

wait_for() { for _ in $(seq 1 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
# CPU time (user + system, clock ticks) the process has used: on a shared machine the CPU spent per event is a
# steadier measure than requests per second, which other processes' load moves.
# The window ends once the API has delivered what it accepted (its CPU use settles), so a run's backlog is its own.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
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
  local out before after
  settle "$5"
  before=$(cpu_ticks "$5")
  out=$(BODY_FILE="$3" wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s bench/post.lua "$2" | grep '^RESULT')
  settle "$5"
  after=$(cpu_ticks "$5")
  eval "${out#RESULT }"
  rps=$(( requests * 1000000 / duration_us ))
  printf '%-9s %-6s %9d req/s %10d events/s   API CPU %6.1f us/event   p99 %7.1f ms   errors %d non-2xx %d\n' "$mode" "$1" "$rps" $(( rps * $4 )) \
    "$(echo "($after - $before) * 1000000 / $(getconf CLK_TCK) / ($requests * $4)" | bc -l)" "$(echo "$p99_us/1000" | bc -l)" "$errors" "$non2xx"
}

echo "machine: $(nproc) cores, $(uname -sr); wrk -t2 -c$connections -d${duration}s"
port=5190
for mode in ${MODES:-off otlp}; do
  port=$((port + 1))
  otel=()
  [ "$mode" = otlp ] && otel=(OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:5199 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)
  # Exporting, but no trace sampled: what the instrumentation and export cost without spans and stamps.
  [ "$mode" = unsampled ] && otel=(OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:5199 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_TRACES_SAMPLER=always_off)
  env ASPNETCORE_URLS=http://127.0.0.1:$port ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Tracking__WriteKeys__bench_key=bench Tracking__RateLimit__PermitsPerSecond=0 Tracking__RateLimit__PerAddressPermitsPerSecond=0 \
    Tracking__Limits__MaxConcurrentRequestsPerAddress=0 Tracking__File__Directory="$work/outbox-$mode" \
    Tracking__Spool__Durability=Memory Tracking__Spool__Directory="$work/spool-$mode" "${otel[@]}" \
    dotnet "$work/api/Tracking.Api.dll" >"$work/api-$mode.log" 2>&1 &
  api=$!
  wait_for http://127.0.0.1:$port/health/live
  run track http://127.0.0.1:$port/v1/track "$work/event.json" 1 "$api"
  run batch http://127.0.0.1:$port/v1/batch "$work/batch.json" 100 "$api"
  kill -TERM "$api"; wait "$api" 2>/dev/null || true
  line=$(find "$work/outbox-$mode" -name '*.ndjson' -not -path '*/.inprogress/*' -print -quit | xargs head -n1)
  printf '%-9s one stored event: %d bytes%s\n' "$mode" "${#line}" "$(grep -q '"traceparent"' <<<"$line" && echo ' (with its trace stamp)' || true)"
done
