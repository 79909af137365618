#!/usr/bin/env bash
# What hostile clients cost the API, measured on the published app (issue "Hostile clients"):
#   memory   the sink down and the queue full, 128 connections posting 400 KB batches for N seconds:
#            the API's peak RSS against its configured bound (Durability=Memory, Queue:MaxBytes 256 MiB)
#   cpu      the amplification body (4,000 tiny messages sharing a 23,000-member context, ~479 KB) against
#            a plain batch of the same size: CPU-seconds of the API process per request, from /proc
# Usage: bench/abuse.sh [seconds, default 15]. Needs dotnet, wrk, python3. Traffic goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

echo "building (Release)..."
dotnet publish src/Tracking.Api -c Release -o "$work/api" -nologo -v quiet >/dev/null
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(dotnet --version) SDK"

closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
start_api() { # port, extra env...
  local port=$1; shift
  env ASPNETCORE_URLS=http://127.0.0.1:$port ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Tracking__WriteKeys__bench_key=bench Tracking__RateLimit__PermitsPerSecond=0 Tracking__RateLimit__PerAddressPermitsPerSecond=0 \
    Tracking__Limits__MaxConcurrentRequestsPerAddress=0 Tracking__File__Directory="$work/outbox-$port" Tracking__Spool__Directory="$work/spool-$port" \
    "$@" dotnet "$work/api/Tracking.Api.dll" >"$work/api-$port.log" 2>&1 &
  api=$!
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/health/live" && return 0; sleep 0.1; done
  echo "API did not start: $(cat "$work/api-$port.log")" >&2; exit 1
}
mib() { awk "/$2/ {printf \"%.0f\", \$2/1024}" "/proc/$1/status"; }

# --- memory: the sink unreachable, the in-memory queue filled, then a flood of 400 KB bodies ---
python3 - "$work" <<'PY'
import json, sys
event = {"type": "track", "userId": "u", "event": "Flood", "properties": {"pad": "x" * 3900}}
open(sys.argv[1] + "/batch400k.json", "w").write(json.dumps({"batch": [event] * 100}))
PY
start_api 5301 Tracking__Spool__Durability=Memory Tracking__Sink=Kinesis Tracking__Kinesis__StreamName=events \
  Tracking__Kinesis__ServiceUrl=http://127.0.0.1:$closed_port Tracking__Kinesis__Region=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y
export AUTH=$(printf 'bench_key:' | base64)
python3 - "$work/batch400k.json" <<'PY'
import base64, http.client, sys
body = open(sys.argv[1], "rb").read()
auth = "Basic " + base64.b64encode(b"bench_key:").decode()
for _ in range(100000):
    c = http.client.HTTPConnection("127.0.0.1", 5301, timeout=30)
    c.request("POST", "/v1/batch", body=body, headers={"Authorization": auth, "Content-Type": "application/json"})
    status = c.getresponse().status
    c.close()
    if status == 503:
        break
PY
printf 'memory   queue filled (first 503): RSS %s MiB\n' "$(mib $api VmRSS)"
out=$(BODY_FILE="$work/batch400k.json" wrk -t2 -c128 -d"${duration}s" --timeout 10s -s bench/post.lua http://127.0.0.1:5301/v1/batch | grep '^RESULT')
eval "${out#RESULT }"
printf 'memory   %d requests (%d not 2xx) in %ss of 400 KB batches, 128 connections, sink down: peak RSS %s MiB, RSS after %s MiB; bound Tracking:Queue:MaxBytes 256 MiB\n' \
  "$requests" "$non2xx" "$duration" "$(mib $api VmHWM)" "$(mib $api VmRSS)"
kill "$api"; wait "$api" 2>/dev/null || true

# --- cpu: the amplification body against a plain batch of the same size ---
start_api 5302
python3 - "$api" <<'PY'
import base64, http.client, json, sys
pid = int(sys.argv[1])
def cpu():
    f = open(f"/proc/{pid}/stat").read().split(")")[1].split()
    return (int(f[11]) + int(f[12])) / 100.0
auth = "Basic " + base64.b64encode(b"bench_key:").decode()
members = ",".join(f'"k{i}":{i % 10}' for i in range(23000))
amplifying = '{"context":{' + members + '},"batch":[' + ",".join(['{"type":"track","userId":"u","event":"e","context":{}}'] * 4000) + ']}'
message = '{"type":"track","userId":"user-1234","event":"Order Completed","properties":{"revenue":49.9,"currency":"EUR"}}'
plain = '{"batch":[' + ",".join([message] * (len(amplifying) // (len(message) + 1))) + ']}'
def measure(body, n=5):
    best, status = None, None
    for _ in range(n):
        c = http.client.HTTPConnection("127.0.0.1", 5302, timeout=60)
        before = cpu()
        c.request("POST", "/v1/batch", body=body, headers={"Authorization": auth, "Content-Type": "application/json"})
        r = c.getresponse(); r.read(); status = r.status
        used = cpu() - before
        best = used if best is None else min(best, used)
        c.close()
    return best, status
measure(plain, 2)
p, ps = measure(plain)
a, as_ = measure(amplifying)
print(f"cpu      plain batch {len(plain)} bytes: {p*1000:.0f} ms CPU ({ps}); amplifying batch {len(amplifying)} bytes: {a*1000:.0f} ms CPU ({as_}); ratio {a / max(p, 0.01):.2f}x (CPU time has 10 ms ticks)")
PY
kill "$api"; wait "$api" 2>/dev/null || true
