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
. "$(dirname "$0")/lib.sh"
revision=${1:?usage: bench/compare.sh REVISION [seconds] [durabilities]}
duration=${2:-10}
durabilities=${3:-Write Memory}
rounds=${ROUNDS:-3}
endpoints=${ENDPOINTS:-track batch batch-spaced}
warmup=${WARMUP:-6}
connections=${CONNECTIONS:-32}
need wrk python3 bc curl
git rev-parse --verify --quiet "$revision^{commit}" >/dev/null || { echo "not a revision: $revision" >&2; exit 2; }
at_exit 'git worktree remove --force "$work/old-tree" 2>/dev/null; git worktree remove --force "$work/new-tree" 2>/dev/null'

echo "building $revision and ${NEW:-the working tree} (Release)..."
git worktree add -q --detach "$work/old-tree" "$revision"
publish "$work/old-tree/src/Tracking.Api" old
if [ -n "${NEW:-}" ]; then
  git worktree add -q --detach "$work/new-tree" "$NEW"
  publish "$work/new-tree/src/Tracking.Api" new
else
  publish src/Tracking.Api new
fi

python3 bench/bodies.py "$work"
declare -A body encoding per
body[track]=event.json; per[track]=1
body[batch]=batch.json; per[batch]=100
body[batch-spaced]=batch-spaced.json; per[batch-spaced]=100
body[batch-gzip]=batch-spaced.json.gz; per[batch-gzip]=100; encoding[batch-gzip]=gzip
path_of() { case $1 in track) echo /v1/track ;; *) echo /v1/batch ;; esac; }

machine "wrk -t$threads -c$connections -d${duration}s"
declare -A best
port=5300
for round in $(seq 1 "$rounds"); do
  for build in old new; do
    for durability in $durabilities; do
      port=$((port + 1))
      # The same folders for both builds (outbox, spool), emptied after each run.
      start_api "$work/$build/Tracking.Api.dll" $port run Tracking__Spool__Durability="$durability"
      for endpoint in $endpoints; do
        url="http://127.0.0.1:$port$(path_of "$endpoint")"
        # Warm-up, not counted: the JIT's tiering would otherwise be measured too.
        ENCODING=${encoding[$endpoint]:-} BODY_FILE="$work/${body[$endpoint]}" warm "$url" "$warmup"
        syncs0=$(metric $port tracking_spool_syncs); synced0=$(metric $port tracking_spool_synced_requests)
        # Only answers that accepted the events count: a build that refuses a body (400, 415, 503) is not faster for it.
        ENCODING=${encoding[$endpoint]:-} BODY_FILE="$work/${body[$endpoint]}" load "$url" "$duration"
        syncs=$(( $(metric $port tracking_spool_syncs) - syncs0 )); synced=$(( $(metric $port tracking_spool_synced_requests) - synced0 ))
        sync_note=""
        [ "$syncs" -gt 0 ] && sync_note=$(printf '  %d syncs/s, %.1f requests/sync' $(( syncs / duration )) "$(echo "$synced / $syncs" | bc -l)")
        printf 'round %d  %-3s %-7s %-12s %7d req/s %9d events/s  p99 %6.1f ms  (non-2xx %d, errors %d)%s\n' "$round" "$build" "$durability" "$endpoint" \
          "$rps" $(( rps * per[$endpoint] )) "$(ms "$p99_us")" "$non2xx" "$errors" "$sync_note"
        key="$build-$durability-$endpoint"
        [ "$rps" -gt "${best[$key]:-0}" ] && best[$key]=$rps
      done
      stop_api
      rm -rf "$work/outbox-run" "$work/spool-run"
    done
  done
done

echo "-- best of $rounds rounds, events/s: $revision (old) and ${NEW:-the working tree} (new)"
for durability in $durabilities; do
  for endpoint in $endpoints; do
    o=${best[old-$durability-$endpoint]}; n=${best[new-$durability-$endpoint]}
    printf '%-7s %-12s old %9d   new %9d   new/old %sx\n' "$durability" "$endpoint" $(( o * per[$endpoint] )) $(( n * per[$endpoint] )) \
      "$(ratio "$n" "$o")"
  done
done
