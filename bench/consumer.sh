#!/usr/bin/env bash
# Rows/s the consumer loads from a Kinesis stream into PostgreSQL, against two baselines measured in the same run on
# this machine, and the end-to-end latency at a steady rate:
#   read       the same records read from the emulator (GetRecords, every shard, 10,000 per call) without loading them
#   copy       psql \copy of the same rows (a CSV of the events table's columns) into the same, empty events table
#   consumer   the published consumer, started on the pre-filled stream and an empty database, until every row is in
#   latency    loaded_at - receivedAt p50/p99 while a writer puts a steady rate of events for a while
# Usage: bench/consumer.sh [events, default 200000] [shards, default 4] [steady events/s, default 2000] [steady seconds, default 20]
# Needs: dotnet, node, PostgreSQL 15 (apt-get install -y postgresql), the pinned emulators (npm ci --prefix tests/emulators).
# Traffic stays on 127.0.0.1; PostgreSQL and kinesalite are throwaway instances stopped at the end.
. "$(dirname "$0")/lib.sh"
events=${1:-200000}
shards=${2:-4}
rate=${3:-2000}
seconds=${4:-20}
pgbin=${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}
consumer_pid=""
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
at_exit '[ -n "$consumer_pid" ] && kill "$consumer_pid" 2>/dev/null'
at_exit '[ -f "$work/pg/PG_VERSION" ] && as_pg "$pgbin/pg_ctl" stop -D "$work/pg" -m immediate >/dev/null 2>&1'
need node python3 bc postgres emulators

publish src/Tracking.Consumer consumer

# PostgreSQL with its default durability settings, as a user would run it.
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$pgbin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 --locale=C >/dev/null
as_pg "$pgbin/pg_ctl" start -D "$work/pg" -w -l "$work/pg.log" -o "-p $pgport -k $work -c listen_addresses=127.0.0.1" >/dev/null
psql_() { psql -h 127.0.0.1 -p "$pgport" -U postgres -X -q -t -A "$@"; }

start_kinesalite

machine "node $(node --version); $("$pgbin/postgres" --version); kinesalite in memory, $shards shards"

rate_of() { echo "$1 / ($3 - $2)" | bc -l | xargs printf '%.0f'; }
consumer() { # stream database log [extra settings]
  local stream=$1 database=$2 log=$3; shift 3
  AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=bench DOTNET_ENVIRONMENT=Production \
    dotnet "$work/consumer/Tracking.Consumer.dll" --Consumer:Kinesis:StreamName="$stream" --Consumer:Kinesis:ServiceUrl="$kinesalite" \
    --Consumer:Kinesis:Region=us-east-1 --Consumer:Warehouse:ConnectionString="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=$database" \
    --Consumer:Http:Urls=http://127.0.0.1:0 --Logging:LogLevel:Default=Warning "$@" > "$log" 2>&1 &
  consumer_pid=$!
}
wait_rows() { # database expected deadline-seconds
  local deadline=$(( $(date +%s) + $3 ))
  until [ "$(psql_ -d "$1" -c 'SELECT count(*) FROM events' 2>/dev/null || echo 0)" -ge "$2" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "only $(psql_ -d "$1" -c 'SELECT count(*) FROM events') of $2 rows after $3 s" >&2; exit 1; }
    sleep 0.5 # polling count(*) costs the database CPU that the consumer needs; 0.5 s is the resolution of the end time
  done
}

# 1. Fill the stream with enriched events, and write the same rows as CSV for \copy.
node bench/kinesis.mjs fill "$kinesalite" bench-load "$shards" "$events" "$work/rows.csv"

# 2. Baseline: read everything back from the emulator.
start=$(now); read_count=$(node bench/kinesis.mjs read "$kinesalite" bench-load); end=$(now)
read_rate=$(rate_of "$read_count" "$start" "$end")

# 3. Baseline: \copy the same rows into the consumer's events table (schema made by the consumer on a scratch stream).
psql_ -d postgres -c 'CREATE DATABASE copy_baseline' -c 'CREATE DATABASE consumer_load' -c 'CREATE DATABASE consumer_latency'
node bench/kinesis.mjs create "$kinesalite" bench-empty 1
consumer bench-empty copy_baseline "$work/schema.log"
until psql_ -d copy_baseline -c 'SELECT 1 FROM consumer_schema_migrations' 2>/dev/null | grep -q 1; do sleep 0.1; done
kill "$consumer_pid"; wait "$consumer_pid" 2>/dev/null || true; consumer_pid=""
columns='message_id, type, event, name, user_id, anonymous_id, group_id, previous_id, "timestamp", original_timestamp, sent_at, received_at, source, context, properties, traits, integrations, loaded_at'
start=$(now); psql_ -d copy_baseline -c "\\copy events ($columns) FROM '$work/rows.csv' WITH (FORMAT csv)"; end=$(now)
copy_rows=$(psql_ -d copy_baseline -c 'SELECT count(*) FROM events')
copy_rate=$(rate_of "$copy_rows" "$start" "$end")

# 4. The consumer on the pre-filled stream, from process start to the last row committed.
start=$(now)
consumer bench-load consumer_load "$work/load.log"
wait_rows consumer_load "$events" 600
end=$(now)
first=$(psql_ -d consumer_load -c "SELECT extract(epoch FROM max(loaded_at) - min(loaded_at)) FROM events")
kill "$consumer_pid"; wait "$consumer_pid" 2>/dev/null || true; consumer_pid=""
consumer_rate=$(rate_of "$events" "$start" "$end")
loading_rate=$(echo "$events / $first" | bc -l | xargs printf '%.0f')
dups=$(psql_ -d consumer_load -c 'SELECT count(*) - count(DISTINCT message_id) FROM events')

# 5. Latency at a steady rate, with the consumer's default batching (Linger 1 s).
node bench/kinesis.mjs create "$kinesalite" bench-steady "$shards"
consumer bench-steady consumer_latency "$work/latency.log"
until psql_ -d consumer_latency -c 'SELECT 1 FROM shard_leases WHERE owner IS NOT NULL LIMIT 1' 2>/dev/null | grep -q 1; do sleep 0.1; done
node bench/kinesis.mjs steady "$kinesalite" bench-steady "$rate" "$seconds"
wait_rows consumer_latency $(( rate * seconds )) 120
latency=$(psql_ -d consumer_latency -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM loaded_at - received_at))::numeric, 3) || ' s p50, ' || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM loaded_at - received_at))::numeric, 3) || ' s p99, ' || count(*) || ' events' FROM events")

slower=$(( read_rate < copy_rate ? read_rate : copy_rate ))
printf '%-9s %10s rows/s   (%s records)\n' read "$read_rate" "$read_count"
printf '%-9s %10s rows/s   (%s rows)\n' copy "$copy_rate" "$copy_rows"
printf '%-9s %10s rows/s   (%s rows, process start to last commit; %s rows/s first to last commit; duplicates %s)\n' consumer "$consumer_rate" "$events" "$loading_rate" "$dups"
printf 'consumer / slower baseline: %.2f (goal >= 0.6)\n' "$(echo "$consumer_rate / $slower" | bc -l)"
printf 'latency at %s events/s for %s s: %s (goal p50 < 2 s)\n' "$rate" "$seconds" "$latency"
