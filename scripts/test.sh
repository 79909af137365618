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

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the build or a test host failed before any test could report
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
