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
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
connections=${2:-32}
root=$(pwd)
work=$(mktemp -d)
kinesalite_pid=""
trap '[ -n "$kinesalite_pid" ] && kill "$kinesalite_pid" 2>/dev/null; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
command -v node >/dev/null || { echo "node is missing: apt-get install -y nodejs npm" >&2; exit 2; }
[ -d tests/emulators/node_modules/kinesalite ] || { echo "kinesalite is missing: npm ci --prefix tests/emulators" >&2; exit 2; }

echo "building (Release)..."
dotnet publish src/Tracking.Api -c Release -o "$work/api" -nologo -v quiet >/dev/null

# 64 different batches of 100 events; wrk cycles through them. No messageId: the API gives each event its own.
node -e '
  for (let b = 0; b < 64; b++) {
    const batch = [];
    for (let i = 0; i < 100; i++) {
      batch.push({ type: "track", anonymousId: `device-${b}-${i}`, event: "Product Added",
        properties: { product_id: "507f1f77bcf86cd799439011", sku: "G-32", category: "Games", name: "Monopoly: 3rd Edition",
          price: 18.99, quantity: 1, coupon: "MAYDEALS", url: "https://www.example.com/product/path" },
        context: { app: { name: "shop", version: "3.2.0" }, os: { name: "iOS", version: "17.1" }, locale: "en-US",
          library: { name: "analytics-ios", version: "4.1.8" } },
        timestamp: "2026-11-21T10:15:30.000Z" });
    }
    console.log(JSON.stringify({ batch, sentAt: "2026-11-21T10:15:31.000Z" }));
  }' > "$work/bodies.ndjson"

cat > "$work/bodies.lua" <<'LUA'
local bodies = {}
for line in io.lines(os.getenv("BODIES_FILE")) do bodies[#bodies + 1] = line end
local next_body = 0
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Basic " .. os.getenv("AUTH") }
request = function()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[next_body])
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status))
end
LUA

# A tiny Kinesis client for the emulator (kinesalite checks the SigV4 header's shape, not its signature).
cat > "$work/kinesis.js" <<'JS'
const [command, url, stream, shards] = process.argv.slice(2);
const call = async (target, body) => {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: {
    'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `Kinesis_20131202.${target}`, 'X-Amz-Date': '20261121T000000Z',
    'Authorization': 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0' } });
  const text = await response.text();
  const json = text ? JSON.parse(text) : {};
  if (!response.ok) throw new Error(`${target}: ${JSON.stringify(json)}`);
  return json;
};
const deadline = Date.now() + 120_000;
(async () => {
  if (command === 'create') {
    await call('CreateStream', { StreamName: stream, ShardCount: Number(shards) });
    while ((await call('DescribeStreamSummary', { StreamName: stream })).StreamDescriptionSummary.StreamStatus !== 'ACTIVE') {
      if (Date.now() > deadline) throw new Error('stream not ACTIVE');
      await new Promise(r => setTimeout(r, 50));
    }
  } else if (command === 'count') {
    let count = 0;
    for (const shard of (await call('ListShards', { StreamName: stream })).Shards) {
      let iterator = (await call('GetShardIterator', { StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
      for (;;) {
        const page = await call('GetRecords', { ShardIterator: iterator, Limit: 10000 });
        count += page.Records.length;
        iterator = page.NextShardIterator;
        if (page.Records.length === 0 || Date.now() > deadline) break;
      }
    }
    console.log(count);
  }
})().catch(e => { console.error(e.message); process.exit(1); });
JS

export AUTH=$(printf 'bench_key:' | base64)
wait_for() { for _ in $(seq 1 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
now() { date +%s.%N; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }

node tests/emulators/start-kinesalite.js --port 0 --createStreamMs 50 --shardLimit 50 > "$work/kinesalite.log" 2>&1 &
kinesalite_pid=$!
for _ in $(seq 1 100); do grep -q 'Listening at' "$work/kinesalite.log" && break; sleep 0.1; done
kinesalite=$(grep -o 'http://[0-9.:]*' "$work/kinesalite.log" | head -n 1)/
[ "$kinesalite" != "/" ] || { echo "kinesalite did not start: $(cat "$work/kinesalite.log")" >&2; exit 1; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(dotnet --version) SDK; node $(node --version); wrk -t2 -c$connections -d${duration}s; kinesalite in memory, 4 shards"

run() { # name, then extra environment for the API
  local name=$1; shift
  local outbox="$work/outbox-$name" port=$((5200 + RANDOM % 700))
  env ASPNETCORE_URLS=http://127.0.0.1:$port ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Tracking__WriteKeys__bench_key=bench Tracking__RateLimit__PermitsPerSecond=0 Tracking__RateLimit__PerAddressPermitsPerSecond=0 Tracking__File__Directory="$outbox" \
    Tracking__Queue__MaxEvents=50000 shutdownTimeoutSeconds=90 "$@" \
    dotnet "$work/api/Tracking.Api.dll" > "$work/api-$name.log" 2>&1 &
  local api=$!
  wait_for "http://127.0.0.1:$port/health/live"
  local started out kinesalite_cpu_before
  kinesalite_cpu_before=$(cpu_seconds "$kinesalite_pid")
  started=$(now)
  out=$(BODIES_FILE="$work/bodies.ndjson" wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s "$work/bodies.lua" "http://127.0.0.1:$port/v1/batch" | grep '^RESULT')
  local peak
  peak=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$api/status")
  kill -TERM "$api"
  # The API's CPU time is read until it exits (drain included); it is gone once wait returns.
  local api_cpu=0
  for _ in $(seq 1 500); do
    [ -r "/proc/$api/stat" ] && [ "$(awk '{print $3}' "/proc/$api/stat" 2>/dev/null)" != Z ] || break
    api_cpu=$(cpu_seconds "$api" 2>/dev/null || echo "$api_cpu"); sleep 0.2
  done
  wait "$api" 2>/dev/null || true
  local drained
  drained=$(now)
  local kinesalite_cpu
  kinesalite_cpu=$(echo "$(cpu_seconds "$kinesalite_pid") - $kinesalite_cpu_before" | bc -l)
  eval "${out#RESULT }"
  local accepted=$(( (requests - non2xx - errors) * 100 ))
  local delivered
  if [ "$name" = file ]; then
    delivered=$(find "$outbox" -name '*.ndjson' -not -path '*/.inprogress/*' -exec cat {} + | wc -l)
  else
    delivered=$(node "$work/kinesis.js" count "$kinesalite" "$stream")
  fi
  local seconds
  seconds=$(echo "$drained - $started" | bc -l)
  printf '%-18s delivered %8d events in %5.1f s = %7.0f events/s   (accepted %d; load %d s, then drain %.1f s; 503s %d, errors %d; p50 %.1f ms, p99 %.1f ms; API peak RSS %s MiB; CPU s: API %s, kinesalite %.1f)\n' \
    "$name" "$delivered" "$seconds" "$(echo "$delivered / $seconds" | bc -l)" "$accepted" "$duration" "$(echo "$seconds - $duration" | bc -l)" \
    "$non2xx" "$errors" "$(echo "$p50_us/1000" | bc -l)" "$(echo "$p99_us/1000" | bc -l)" "$peak" "$api_cpu" "$kinesalite_cpu"
  # wrk stops counting at its deadline while up to one request per connection is still being answered (and accepted).
  if [ "$delivered" -lt "$accepted" ] || [ "$delivered" -gt $((accepted + connections * 100)) ]; then
    echo "  !! delivered does not match accepted; API log:"; tail -n 20 "$work/api-$name.log"
  fi
}

run file Tracking__Sink=File

run_kinesis() { # name, then extra environment for the API
  local name=$1; shift
  stream="bench-$name-$RANDOM"
  node "$work/kinesis.js" create "$kinesalite" "$stream" 4
  run "$name" Tracking__Sink=Kinesis Tracking__Kinesis__StreamName="$stream" Tracking__Kinesis__ServiceUrl="$kinesalite" \
    Tracking__Kinesis__Region=us-east-1 AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=bench-secret "$@"
}

stream=""
run_kinesis kinesis
run_kinesis kinesis-unbounded Tracking__Kinesis__ShardRecordsPerSecond=1000000 Tracking__Kinesis__ShardBytesPerSecond=1073741824
