#!/usr/bin/env bash
# The whole test suite: what `npm test` runs, and what CI runs from a clean clone.
#   1. Hardhat/chai tests with the gas report (and the gas baseline guard)
#   2. solhint on the production contracts, and a strict type check of all TypeScript
#   3. forge fuzz and invariant tests (started first, in the background: separate build folders)
#   4. coverage gate: 100% of lines and branches of the production contracts (started after the plain
#      compile, in the background: it builds into .coverage_artifacts and .coverage_cache and leaves the
#      TypeChain bindings alone, so the two runs share nothing they write)
# The background jobs use the second core while the plain tests run; their output follows at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

forge_log=$(mktemp)
forge_pid=""
if [ -f foundry.toml ]; then
  step "forge fuzz and invariant tests (in the background; output follows below)"
  npm run --silent test:forge > "$forge_log" 2>&1 &
  forge_pid=$!
fi

# Coverage leaves instrumented artifacts behind; never let a later plain run pick them up.
trap 'kill $(jobs -p) > /dev/null 2>&1 || true; npx hardhat clean > /dev/null 2>&1 || true' EXIT

step "compile"
npx hardhat compile --quiet

coverage_log=$(mktemp)
step "coverage gate (in the background; output follows below)"
npm run --silent coverage > "$coverage_log" 2>&1 &
coverage_pid=$!

step "Hardhat tests with gas report"
npx hardhat test

step "solhint"
npm run --silent lint:sol

step "TypeScript type check (tests, scripts, bench)"
npx tsc --noEmit -p tsconfig.json

if [ -f sdk/tsconfig.json ]; then
  step "SDK build and examples"
  npm run --silent build:sdk
  npm run --silent check:examples
fi

coverage_status=0
wait "$coverage_pid" || coverage_status=$?
step "coverage gate output"
cat "$coverage_log"
if [ "$coverage_status" -ne 0 ]; then
  echo "coverage gate failed (exit $coverage_status)"
  exit "$coverage_status"
fi

if [ -n "$forge_pid" ]; then
  forge_status=0
  wait "$forge_pid" || forge_status=$?
  step "forge output"
  cat "$forge_log"
  if [ "$forge_status" -ne 0 ]; then
    echo "forge tests failed (exit $forge_status)"
    exit "$forge_status"
  fi
fi
step "all checks passed"
