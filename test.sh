#!/usr/bin/env bash
# Builds everything from source and runs every test. CI runs this on a clean clone.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "==> building apps (AssemblyScript)"
./scripts/build-apps.sh

echo "==> building the solution"
dotnet build Mero.slnx -c Release -nologo -v quiet

echo "==> checking formatting"
dotnet format Mero.slnx --verify-no-changes --no-restore

echo "==> guest SDK tests (node)"
(cd sdk/assemblyscript && npm test --silent)

echo "==> .NET tests"
# trx results let the failures be printed again, briefly, after everything else has run.
results="$(mktemp -d /tmp/mero-test-results.XXXXXX)"
if ! dotnet test Mero.slnx -c Release --no-build -nologo -v quiet --blame \
    --logger trx --results-directory "$results" -- RunConfiguration.TestSessionTimeout=1500000; then
    python3 scripts/test-failures.py "$results"
    echo "==> tests failed (results in $results)"
    exit 1
fi
rm -rf "$results"

echo "==> all tests passed"
