#!/usr/bin/env bash
# Compares the API built from another revision with the working tree's (or with a second revision), for a change that
# might cost speed: each endpoint given with each spool durability given, each build in turn, ROUNDS times (default
# 3), interleaved so the machine's drift falls on both; prints each run, each build's best and the ratio new/old.
# Endpoints (ENDPOINTS, default "track batch batch-spaced"):
#   track         POST /v1/track, one ~800-byte event, compact JSON
#   batch         POST /v1/batch, 100 such events (83 KB), compact JSON
#   batch-spaced  the same batch as Python's json.dumps writes it, ", " and ": " between tokens (90 KB)
#   batch-gzip    batch-spaced, gzipped (Content-Encoding: gzip)
# With a build that reports them (tracking.spool.syncs, tracking.spool.synced_requests on /metrics) each Fsync run
# also prints syncs/s and requests per sync.
# Usage: bench/compare.sh REVISION [seconds per run, default 10] [durabilities, default "Write Memory"]
#   NEW=REVISION2 compares two revisions instead of REVISION and the working tree (for a bisection).
#   WARMUP (default 6) seconds of unmeasured load before each run; CONNECTIONS (default 32) for wrk -t1.
# Needs: dotnet, wrk, git, python3. Traffic goes to 127.0.0.1 only; every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
revision=${1:?usage: bench/compare.sh REVISION [seconds] [durabilities]}
duration=${2:-10}
durabilities=${3:-Write Memory}
rounds=${ROUNDS:-3}
endpoints=${ENDPOINTS:-track batch batch-spaced}
warmup=${WARMUP:-6}
connections=${CONNECTIONS:-32}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
git rev-parse --verify --quiet "$revision^{commit}" >/dev/null || { echo "not a revision: $revision" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; git worktree remove --force "$work/old-tree" 2>/dev/null || true; git worktree remove --force "$work/new-tree" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "building $revision and ${NEW:-the working tree} (Release)..."
git worktree add -q --detach "$work/old-tree" "$revision"
dotnet publish "$work/old-tree/src/Tracking.Api" -c Release -o "$work/old" -nologo -v quiet >/dev/null
if [ -n "${NEW:-}" ]; then
  git worktree add -q --detach "$work/new-tree" "$NEW"
  dotnet publish "$work/new-tree/src/Tracking.Api" -c Release -o "$work/new" -nologo -v quiet >/dev/null
else
  dotnet publish src/Tracking.Api -c Release -o "$work/new" -nologo -v quiet >/dev/null
fi

python3 bench/bodies.py "$work"
declare -A body encoding per
body[track]=event.json; per[track]=1
body[batch]=batch.json; per[batch]=100
body[batch-spaced]=batch-spaced.json; per[batch-spaced]=100
body[batch-gzip]=batch-spaced.json.gz; per[batch-gzip]=100; encoding[batch-gzip]=gzip
path_of() { case $1 in track) echo /v1/track ;; *) echo /v1/batch ;; esac; }
export AUTH=$(printf 'bench_key:' | base64)
admin=bench-admin-key-0123456789abcdef

# One counter from /metrics (Prometheus text), 0 when the build does not have it.
metric() { { curl -fs -H "Authorization: Bearer $admin" "http://127.0.0.1:$1/metrics" 2>/dev/null || true; } | awk -v name="$2" '$1 ~ "^"name {sum += $2} END {printf "%d", sum}'; }

echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t1 -c$connections -d${duration}s"
declare -A best
port=5300
for round in $(seq 1 "$rounds"); do
  for build in old new; do
    for durability in $durabilities; do
      port=$((port + 1))
      env ASPNETCORE_URLS=http://127.0.0.1:$port ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
        Tracking__WriteKeys__bench_key=bench Tracking__RateLimit__PermitsPerSecond=0 Tracking__RateLimit__PerAddressPermitsPerSecond=0 \
        Tracking__Limits__MaxConcurrentRequestsPerAddress=0 Tracking__File__Directory="$work/outbox" Tracking__AdminKey=$admin \
        Tracking__Spool__Durability="$durability" Tracking__Spool__Directory="$work/spool" \
        dotnet "$work/$build/Tracking.Api.dll" >"$work/api.log" 2>&1 &
      api=$!
      for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/health/live" && break; sleep 0.1; done
      for endpoint in $endpoints; do
        url="http://127.0.0.1:$port$(path_of "$endpoint")"
        # Warm-up, not counted: the JIT's tiering would otherwise be measured too.
        ENCODING=${encoding[$endpoint]:-} BODY_FILE="$work/${body[$endpoint]}" wrk -t1 -c"$connections" -d"${warmup}s" -s bench/post.lua "$url" >/dev/null
        syncs0=$(metric $port tracking_spool_syncs); synced0=$(metric $port tracking_spool_synced_requests)
        out=$(ENCODING=${encoding[$endpoint]:-} BODY_FILE="$work/${body[$endpoint]}" wrk -t1 -c"$connections" -d"${duration}s" --timeout 10s -s bench/post.lua "$url" | grep '^RESULT')
        syncs=$(( $(metric $port tracking_spool_syncs) - syncs0 )); synced=$(( $(metric $port tracking_spool_synced_requests) - synced0 ))
        eval "${out#RESULT }"
        # Only answers that accepted the events count: a build that refuses a body (400, 415, 503) is not faster for it.
        rps=$(( (requests - non2xx) * 1000000 / duration_us ))
        sync_note=""
        [ "$syncs" -gt 0 ] && sync_note=$(printf '  %d syncs/s, %.1f requests/sync' $(( syncs / duration )) "$(echo "$synced / $syncs" | bc -l)")
        printf 'round %d  %-3s %-7s %-12s %7d req/s %9d events/s  p99 %6.1f ms  (non-2xx %d, errors %d)%s\n' "$round" "$build" "$durability" "$endpoint" \
          "$rps" $(( rps * per[$endpoint] )) "$(echo "$p99_us/1000" | bc -l)" "$non2xx" "$errors" "$sync_note"
        key="$build-$durability-$endpoint"
        [ "$rps" -gt "${best[$key]:-0}" ] && best[$key]=$rps
      done
      kill -TERM "$api"; wait "$api" 2>/dev/null || true
      rm -rf "$work/outbox" "$work/spool"
    done
  done
done

echo "-- best of $rounds rounds, events/s: $revision (old) and ${NEW:-the working tree} (new)"
for durability in $durabilities; do
  for endpoint in $endpoints; do
    o=${best[old-$durability-$endpoint]}; n=${best[new-$durability-$endpoint]}
    printf '%-7s %-12s old %9d   new %9d   new/old %sx\n' "$durability" "$endpoint" $(( o * per[$endpoint] )) $(( n * per[$endpoint] )) \
      "$(echo "scale=2; $n / $o" | bc -l)"
  done
done
