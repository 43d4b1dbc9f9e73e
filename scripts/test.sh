#!/usr/bin/env bash
# The test command (CI runs it through .ci/run): install, lint, type-check, test.
set -euo pipefail

cd "$(dirname "$0")/.."
bash scripts/install.sh

echo "== ruff"
.venv/bin/ruff check src testkit tests hwtests benchmarks
.venv/bin/ruff format --check src testkit tests hwtests benchmarks
echo "== mypy"
.venv/bin/mypy
echo "== import contracts"
.venv/bin/lint-imports
echo "== pytest"
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit "$status"
