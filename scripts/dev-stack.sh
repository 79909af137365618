#!/usr/bin/env bash
# The whole pipeline on this machine, without Docker or a cloud account: a throwaway PostgreSQL 15
# cluster (standing in for Redshift), kinesalite (Kinesis) and s3rver (S3) on 127.0.0.1, then the API
# with its Kinesis sink and the consumer loading PostgreSQL. Prints where to look; Ctrl-C stops it all.
#
# Ports (override with the variables): API 8080, consumer health 8081, kinesalite 4567, s3rver 4569,
# PostgreSQL 5433. State lives in DEV_STACK_DIR (default: a temporary folder, deleted on exit unless
# DEV_STACK_KEEP=1). The status page and the debugger open with an admin key generated for this run
# (ADMIN_KEY chooses it); the consumer gets one of its own, which the API's status page uses.
# Needs dotnet, node and PostgreSQL 15 (apt-get install -y postgresql).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

api_port=${API_PORT:-8080}
consumer_port=${CONSUMER_PORT:-8081}
kinesis_port=${KINESIS_PORT:-4567}
s3_port=${S3_PORT:-4569}
pg_port=${PG_PORT:-5433}
stream=${STREAM_NAME:-events}
pg_bin=${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}
state=${DEV_STACK_DIR:-$(mktemp -d -t tracking-dev-stack-XXXXXX)}
mkdir -p "$state"

# Random, 32 characters; the API and the consumer take 16 to 1,024.
new_key() { head -c 24 /dev/urandom | base64 | tr '+/' '-_'; }
admin_key=${ADMIN_KEY:-$(new_key)}
consumer_key=$(new_key)
[ ${#admin_key} -ge 16 ] || { echo "error: ADMIN_KEY must be at least 16 characters" >&2; exit 2; }

pids=()
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_all() {
  trap - EXIT INT TERM
  echo
  echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -d "$state/pg" ] && as_postgres "$pg_bin/pg_ctl" stop -D "$state/pg" -m fast -w >/dev/null 2>&1 || true
  if [ "${DEV_STACK_KEEP:-0}" != 1 ]; then rm -rf "$state"; else echo "state kept in $state"; fi
  echo "stopped"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

wait_for() { # url what [tries]
  for _ in $(seq 1 "${3:-300}"); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "error: $2 did not come up ($1); its log: $state/$2.log" >&2
  tail -n 20 "$state/$2.log" >&2 || true
  exit 1
}

[ -x "$pg_bin/initdb" ] || { echo "error: PostgreSQL 15 is not installed ($pg_bin/initdb): apt-get install -y postgresql" >&2; exit 2; }
[ -d tests/emulators/node_modules ] || npm ci --prefix tests/emulators --no-audit --no-fund --loglevel=error

echo "building the API and the consumer (Release)..."
dotnet build src/Tracking.Api -c Release -nologo -v quiet >/dev/null
dotnet build src/Tracking.Consumer -c Release -nologo -v quiet >/dev/null

echo "starting PostgreSQL on 127.0.0.1:$pg_port..."
mkdir -p "$state/pg" "$state/pg-socket"
[ "$(id -u)" -eq 0 ] && chown postgres "$state" "$state/pg" "$state/pg-socket"
as_postgres "$pg_bin/initdb" -D "$state/pg" -U postgres -A trust -E UTF8 --locale=C >"$state/initdb.log" 2>&1
as_postgres "$pg_bin/pg_ctl" start -D "$state/pg" -w -l "$state/pg/server.log" \
  -o "-p $pg_port -k $state/pg-socket -c listen_addresses=127.0.0.1" >/dev/null
as_postgres "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE tracking" >/dev/null

echo "starting kinesalite on 127.0.0.1:$kinesis_port and s3rver on 127.0.0.1:$s3_port..."
node tests/emulators/start-kinesalite.js --port "$kinesis_port" >"$state/kinesalite.log" 2>&1 &
pids+=($!)
mkdir -p "$state/s3"
node tests/emulators/node_modules/s3rver/bin/s3rver.js --directory "$state/s3" --port "$s3_port" --address 127.0.0.1 --silent >"$state/s3rver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$kinesis_port/" && break; sleep 0.1; done

# kinesalite checks that requests are signed, not the signature: any credentials do.
kinesis() { # operation json
  curl -s -X POST "http://127.0.0.1:$kinesis_port/" -H "X-Amz-Target: Kinesis_20131202.$1" \
    -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Date: 20260101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0' -d "$2"
}
kinesis CreateStream "{\"StreamName\":\"$stream\",\"ShardCount\":2}" >/dev/null
for _ in $(seq 1 100); do kinesis DescribeStreamSummary "{\"StreamName\":\"$stream\"}" | grep -q '"ACTIVE"' && break; sleep 0.1; done

export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
echo "starting the API on http://localhost:$api_port (Kinesis sink, Development: any write key)..."
env ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS="http://127.0.0.1:$api_port" \
  Tracking__Sink=Kinesis Tracking__Kinesis__StreamName="$stream" Tracking__Kinesis__ServiceUrl="http://127.0.0.1:$kinesis_port" \
  Tracking__Spool__Directory="$state/spool" Tracking__File__Directory="$state/outbox" \
  Tracking__AdminKey="$admin_key" \
  Tracking__Status__ConsumerUrl="http://127.0.0.1:$consumer_port" Tracking__Status__ConsumerKey="$consumer_key" \
  dotnet src/Tracking.Api/bin/Release/net10.0/Tracking.Api.dll >"$state/api.log" 2>&1 &
pids+=($!)

echo "starting the consumer (health on http://localhost:$consumer_port)..."
env Consumer__Kinesis__StreamName="$stream" Consumer__Kinesis__ServiceUrl="http://127.0.0.1:$kinesis_port" Consumer__Kinesis__Region=us-east-1 \
  Consumer__Warehouse__ConnectionString="Host=127.0.0.1;Port=$pg_port;Database=tracking;Username=postgres" \
  Consumer__Http__Urls="http://127.0.0.1:$consumer_port" Consumer__Batching__Linger=00:00:00.500 \
  Consumer__AdminKey="$consumer_key" \
  dotnet src/Tracking.Consumer/bin/Release/net10.0/Tracking.Consumer.dll >"$state/consumer.log" 2>&1 &
pids+=($!)

wait_for "http://127.0.0.1:$api_port/health/ready" api
wait_for "http://127.0.0.1:$consumer_port/health/ready" consumer

cat <<TXT

The pipeline is running (logs in $state):
  API          http://localhost:$api_port          (any write key in Development)
  Swagger UI   http://localhost:$api_port/swagger
  demo page    http://localhost:$api_port/demo/
  readiness    http://localhost:$api_port/health/ready   consumer: http://localhost:$consumer_port/health/ready
  status page  http://localhost:$api_port/status      (traffic, delivery, spool, the consumer's lag per shard)
  debugger     http://localhost:$api_port/debugger    (events accepted and refused, as they arrive)
  admin key    $admin_key
               Open either page and paste the admin key into the login form; scripts send it as
               'Authorization: Bearer <key>' (curl -H "Authorization: Bearer $admin_key" http://localhost:$api_port/status.json).
               The consumer's /status.json and /metrics take their own key: $consumer_key
  Kinesis      http://127.0.0.1:$kinesis_port (stream '$stream', 2 shards)   S3: http://127.0.0.1:$s3_port

Send an event:
  curl -s http://localhost:$api_port/v1/track -u 'my-write-key:' -H 'Content-Type: application/json' \\
    -d '{"userId":"user-42","event":"Order Completed","properties":{"revenue":49.9}}'

The latest events in PostgreSQL, a second or two later:
  psql -h 127.0.0.1 -p $pg_port -U postgres tracking -c 'SELECT received_at, type, event, user_id, source FROM events ORDER BY loaded_at DESC LIMIT 10'

Ctrl-C stops everything.
dev-stack ready
TXT

wait -n "${pids[@]}" || true
echo "error: a process of the stack exited; see the logs in $state" >&2
exit 1
