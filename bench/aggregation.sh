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
[ -d tests/emulators/node_modules/kinesalite ] && [ -d tests/emulators/node_modules/aws-kinesis-agg ] || { echo "kinesalite or aws-kinesis-agg is missing: npm ci --prefix tests/emulators" >&2; exit 2; }

echo "building (Release)..."
dotnet publish src/Tracking.Api -c Release -o "$work/api" -nologo -v quiet >/dev/null

# 64 different batches of 100 events, 25 from each of 4 devices; wrk cycles through them. No messageId: the API gives each event its own.
node -e '
  for (let b = 0; b < 64; b++) {
    const batch = [];
    for (let i = 0; i < 100; i++) {
      batch.push({ type: "track", anonymousId: `device-${b}-${i % 4}`, event: "Product Added",
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
const [command, url, stream, shards, root] = process.argv.slice(2);
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
    let count = 0, records = 0;
    for (const shard of (await call('ListShards', { StreamName: stream })).Shards) {
      let iterator = (await call('GetShardIterator', { StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
      for (;;) {
        const page = await call('GetRecords', { ShardIterator: iterator, Limit: 10000 });
        for (const record of page.Records) {
          records++;
          if (Buffer.from(record.Data, 'base64').subarray(0, 4).toString('hex') === 'f3899ac2') {
            require(`${root}/tests/emulators/node_modules/aws-kinesis-agg`).deaggregateSync(record, true, (err, users) => {
              if (err) throw err;
              count += users.length;
            });
          } else {
            count++;
          }
        }
        iterator = page.NextShardIterator;
        if (page.Records.length === 0 || Date.now() > deadline) break;
      }
    }
    console.log(`${count} ${records}`);
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

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(dotnet --version) SDK; node $(node --version); wrk -t2 -c$connections -d${duration}s; kinesalite in memory, 1 shard; load average $(cut -d" " -f1-3 /proc/loadavg)"

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
  local delivered records
  read -r delivered records < <(node "$work/kinesis.js" count "$kinesalite" "$stream" 0 "$root")
  local seconds
  seconds=$(echo "$drained - $started" | bc -l)
  printf '%-18s delivered %8d events in %8d records in %5.1f s = %7.0f events/s per shard   (accepted %d; load %d s, then drain %.1f s; 503s %d, errors %d; p50 %.1f ms, p99 %.1f ms; API peak RSS %s MiB; CPU s: API %s, kinesalite %.1f)\n' \
    "$name" "$delivered" "$records" "$seconds" "$(echo "$delivered / $seconds" | bc -l)" "$accepted" "$duration" "$(echo "$seconds - $duration" | bc -l)" \
    "$non2xx" "$errors" "$(echo "$p50_us/1000" | bc -l)" "$(echo "$p99_us/1000" | bc -l)" "$peak" "$api_cpu" "$kinesalite_cpu"
  # wrk stops counting at its deadline while up to one request per connection is still being answered (and accepted).
  if [ "$delivered" -lt "$accepted" ] || [ "$delivered" -gt $((accepted + connections * 100)) ]; then
    echo "  !! delivered does not match accepted; API log:"; tail -n 20 "$work/api-$name.log"
  fi
}

run_kinesis() { # name, then extra environment for the API
  local name=$1; shift
  stream="bench-$name-$RANDOM"
  node "$work/kinesis.js" create "$kinesalite" "$stream" 1
  run "$name" Tracking__Sink=Kinesis Tracking__Kinesis__StreamName="$stream" Tracking__Kinesis__ServiceUrl="$kinesalite" \
    Tracking__Kinesis__Region=us-east-1 AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=bench-secret "$@"
}

stream=""
run_kinesis plain
run_kinesis aggregated Tracking__Kinesis__Aggregation=true
