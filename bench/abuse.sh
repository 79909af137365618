#!/usr/bin/env bash
# What hostile clients cost the API, measured on the published app (issue "Hostile clients"):
#   memory   the sink down and the queue full, 128 connections posting 400 KB batches for N seconds:
#            the API's peak RSS against its configured bound (Durability=Memory, Queue:MaxBytes 256 MiB)
#   cpu      the amplification body (4,000 tiny messages sharing a 23,000-member context, ~479 KB) against
#            a plain batch of the same size: CPU-seconds of the API process per request, from /proc
# Usage: bench/abuse.sh [seconds, default 15]. Needs dotnet, wrk, python3. Traffic goes to 127.0.0.1 only.
. "$(dirname "$0")/lib.sh"
duration=${1:-15}
need wrk python3 curl
publish src/Tracking.Api api
machine

closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

# --- memory: the sink unreachable, the in-memory queue filled, then a flood of 400 KB bodies ---
python3 - "$work" <<'PY'
import json, sys
event = {"type": "track", "userId": "u", "event": "Flood", "properties": {"pad": "x" * 3900}}
open(sys.argv[1] + "/batch400k.json", "w").write(json.dumps({"batch": [event] * 100}))
PY
start_api "$work/api/Tracking.Api.dll" 5301 flood Tracking__Spool__Durability=Memory Tracking__Sink=Kinesis Tracking__Kinesis__StreamName=events \
  Tracking__Kinesis__ServiceUrl=http://127.0.0.1:$closed_port Tracking__Kinesis__Region=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y
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
printf 'memory   queue filled (first 503): RSS %s MiB\n' "$(rss_mib $api)"
threads=2 connections=128 BODY_FILE="$work/batch400k.json" load http://127.0.0.1:5301/v1/batch "$duration"
printf 'memory   %d requests (%d not 2xx) in %ss of 400 KB batches, 128 connections, sink down: peak RSS %s MiB, RSS after %s MiB; bound Tracking:Queue:MaxBytes 256 MiB\n' \
  "$requests" "$non2xx" "$duration" "$(peak_rss_mib $api)" "$(rss_mib $api)"
stop_api

# --- cpu: the amplification body against a plain batch of the same size ---
start_api "$work/api/Tracking.Api.dll" 5302 cpu
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
stop_api
