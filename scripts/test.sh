#!/usr/bin/env bash
# Runs every test of the repository on a fresh machine: installs what the tests need, runs the
# .NET test projects (and, where present, the JavaScript suites), and ends with one line
# "N passed, N failed, N skipped" counted from the test runners' own reports.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

passed=0 failed=0 skipped=0 status=0

say() { printf '\n== %s\n' "$*"; }

# --- What the tests start: Kinesis emulators and the S3 emulator, pinned in tests/emulators ---
say "npm ci (tests/emulators)"
npm ci --prefix tests/emulators --no-audit --no-fund --loglevel=error || { echo "npm ci failed"; status=1; }

# --- PostgreSQL 15 for the consumer's tests (they start a throwaway cluster as the postgres user) ---
if [ ! -x "${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}/initdb" ]; then
  say "apt-get install postgresql"
  sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_="sudo"
  $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq postgresql >/dev/null || { echo "installing postgresql failed"; status=1; }
fi

# --- .NET -------------------------------------------------------------------------------
say "dotnet test"
if ! dotnet build TrackingApi.sln -c Release -warnaserror -nologo -v quiet; then
  echo "build failed"; status=1
else
  dotnet test TrackingApi.sln -c Release --no-build --nologo \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=1
fi

for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  total=$(value total); p=$(value passed); f=$(value failed); e=$(value error); t=$(value timeout); ne=$(value notExecuted)
  passed=$((passed + p)); failed=$((failed + f + e + t)); skipped=$((skipped + ne))
  # Tests that never reported (a crashed host) count as failed.
  missing=$((total - p - f - e - t - ne)); [ "$missing" -gt 0 ] && failed=$((failed + missing))
done

# --- tracker.js: unit tests in Node, end to end in headless Debian Chromium against the built API ---
say "tracker.js tests"
if ! command -v chromium >/dev/null 2>&1; then
  sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_="sudo"
  $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq chromium >/dev/null || { echo "installing chromium failed"; status=1; }
fi
tap_totals() { # adds a node --test TAP report's totals to the counts
  local f=$1 p f_ s c
  p=$(grep -E '^# pass [0-9]+' "$f" | tail -n 1 | grep -o '[0-9]*' || echo 0)
  f_=$(grep -E '^# fail [0-9]+' "$f" | tail -n 1 | grep -o '[0-9]*' || echo 0)
  c=$(grep -E '^# cancelled [0-9]+' "$f" | tail -n 1 | grep -o '[0-9]*' || echo 0)
  s=$(grep -E '^# (skipped|todo) [0-9]+' "$f" | grep -o '[0-9]*' | paste -sd+ - | bc 2>/dev/null || echo 0)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f_:-0} + ${c:-0})); skipped=$((skipped + ${s:-0}))
  if ! grep -qE '^# pass [0-9]+' "$f"; then failed=$((failed + 1)); fi   # the suite never reported
}
if npm ci --prefix tracker --no-audit --no-fund --loglevel=error; then
  for suite in unit e2e; do
    tap="$results/tracker-$suite.tap"
    if [ "$suite" = unit ]; then
      (cd tracker && node --test --test-reporter=tap test/*.test.mjs) >"$tap" 2>&1 || { status=1; cat "$tap"; }
    else
      (cd tracker && TRACKING_API_DLL="$root/src/Tracking.Api/bin/Release/net10.0/Tracking.Api.dll" \
        node --test --test-concurrency=1 --test-reporter=tap test/e2e/*.test.mjs) >"$tap" 2>&1 || { status=1; cat "$tap"; }
    fi
    echo "tracker $suite: $(grep -E '^# (pass|fail) ' "$tap" | tr '\n' ' ')"
    tap_totals "$tap"
  done
else
  echo "npm ci (tracker) failed"; status=1; failed=$((failed + 1))
fi

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the build or a test host failed before any test could report
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
