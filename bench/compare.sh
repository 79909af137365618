#!/usr/bin/env bash
# Compares the API built from another revision with the working tree's, for a change that might cost speed:
# /v1/track (one ~800-byte event, File sink) with each of the spool durabilities given, each build in turn,
# ROUNDS times (default 3), interleaved so the machine's drift falls on both; prints each run, each build's best
# and the ratio new/old per durability.
# Usage: bench/compare.sh REVISION [seconds per run, default 10] [durabilities, default "Write Memory"]
# Needs: dotnet, wrk, git. Traffic goes to 127.0.0.1 only; every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
revision=${1:?usage: bench/compare.sh REVISION [seconds] [durabilities]}
duration=${2:-10}
durabilities=${3:-Write Memory}
rounds=${ROUNDS:-3}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
git rev-parse --verify --quiet "$revision^{commit}" >/dev/null || { echo "not a revision: $revision" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; git worktree remove --force "$work/old-tree" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "building $revision and the working tree (Release)..."
git worktree add -q --detach "$work/old-tree" "$revision"
dotnet publish "$work/old-tree/src/Tracking.Api" -c Release -o "$work/old" -nologo -v quiet >/dev/null
dotnet publish src/Tracking.Api -c Release -o "$work/new" -nologo -v quiet >/dev/null

event='{"type":"track","userId":"user-000042","anonymousId":"8d6b0a34-54c1-4b9e-9f3a-2f7c1d0e5a61","event":"Product Added","properties":{"product_id":"507f1f77bcf86cd799439011","sku":"G-32","category":"Games","name":"Monopoly: 3rd Edition","brand":"Hasbro","variant":"200 pieces","price":18.99,"quantity":1,"coupon":"MAYDEALS","position":3,"url":"https://www.example.com/product/path","image_url":"https://www.example.com/product/path.jpg"},"context":{"app":{"name":"shop","version":"3.2.0","build":"3201"},"device":{"type":"ios","model":"iPhone15,2","manufacturer":"Apple"},"os":{"name":"iOS","version":"17.1"},"locale":"en-US","timezone":"Europe/Berlin","library":{"name":"analytics-ios","version":"4.1.8"}},"timestamp":"2026-11-21T10:15:30.000Z","sentAt":"2026-11-21T10:15:31.000Z","messageId":"c1f6a7e2-3b4d-4e5f-8a9b-0c1d2e3f4a5b"}'
printf '%s' "$event" > "$work/event.json"
export AUTH=$(printf 'bench_key:' | base64)

echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t2 -c64 -d${duration}s"
declare -A best
port=5300
for round in $(seq 1 "$rounds"); do
  for build in old new; do
    for durability in $durabilities; do
      port=$((port + 1))
      env ASPNETCORE_URLS=http://127.0.0.1:$port ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
        Tracking__WriteKeys__bench_key=bench Tracking__RateLimit__PermitsPerSecond=0 Tracking__RateLimit__PerAddressPermitsPerSecond=0 \
        Tracking__Limits__MaxConcurrentRequestsPerAddress=0 Tracking__File__Directory="$work/outbox" \
        Tracking__Spool__Durability="$durability" Tracking__Spool__Directory="$work/spool" \
        dotnet "$work/$build/Tracking.Api.dll" >"$work/api.log" 2>&1 &
      api=$!
      for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/health/live" && break; sleep 0.1; done
      # Warm-up, not counted: the JIT's tiering would otherwise be measured too.
      BODY_FILE="$work/event.json" wrk -t2 -c64 -d6s -s bench/post.lua "http://127.0.0.1:$port/v1/track" >/dev/null
      out=$(BODY_FILE="$work/event.json" wrk -t2 -c64 -d"${duration}s" --timeout 10s -s bench/post.lua "http://127.0.0.1:$port/v1/track" | grep '^RESULT')
      eval "${out#RESULT }"
      rps=$(( requests * 1000000 / duration_us ))
      printf 'round %d  %-3s %-7s %7d req/s  (non-2xx %d, errors %d)\n' "$round" "$build" "$durability" "$rps" "$non2xx" "$errors"
      key="$build-$durability"
      [ "$rps" -gt "${best[$key]:-0}" ] && best[$key]=$rps
      kill -TERM "$api"; wait "$api" 2>/dev/null || true
      rm -rf "$work/outbox" "$work/spool"
    done
  done
done

echo "-- best of $rounds rounds, /v1/track req/s: $revision (old) and the working tree (new)"
for durability in $durabilities; do
  printf '%-7s old %7d   new %7d   new/old %sx\n' "$durability" "${best[old-$durability]}" "${best[new-$durability]}" \
    "$(echo "scale=2; ${best[new-$durability]} / ${best[old-$durability]}" | bc -l)"
done
