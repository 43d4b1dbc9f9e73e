#!/usr/bin/env bash
# Mutation testing of the card logic, in one command:
#
#     bash scripts/mutmut.sh            # a fresh run (the figure is for the tree as it is)
#     bash scripts/mutmut.sh --keep     # reuse mutants/ (only changed functions are re-run;
#                                       # a survivor is not re-run after a test is added)
#
# mutmut ([tool.mutmut] in pyproject.toml) mutates the top-level modules of src/jpki/
# (not the CLI or the emulator) and runs the fast tests against each
# mutant (`pytest -m 'not pcscd'`), one worker at a time. Then this prints the figures
# (total, killed, survived, timeout, the share caught), the survivors not judged
# equivalent, and tests/mutmut-equivalent.md, the survivors judged equivalent and why.
#
# Caught = killed + timeout (a mutant that makes a test hang is caught too).
# Environment: MUTMUT_CHILDREN (default 1) workers.
set -euo pipefail

cd "$(dirname "$0")/.."
MUTMUT=.venv/bin/mutmut
PYTHON=.venv/bin/python
EQUIVALENT=tests/mutmut-equivalent.md

if [ ! -x "$MUTMUT" ]; then
    echo "mutmut.sh: $MUTMUT not found: .venv/bin/pip install -e '.[dev]'" >&2
    exit 1
fi

if [ "${1:-}" != "--keep" ]; then
    rm -rf mutants
elif [ -d mutants ]; then
    # mutmut copies src/ anew but not the catalogues (.po, .mo), and maps each function
    # to the tests that ran it once: both go stale when code or tests move.
    "$PYTHON" hatch_build.py >/dev/null
    (cd src && find . \( -name '*.mo' -o -name '*.po' \) -exec cp --parents {} ../mutants/src/ \;)
    rm -f mutants/mutmut-stats.json
fi

status=0
"$MUTMUT" run --max-children "${MUTMUT_CHILDREN:-1}" || status=$?
if [ "$status" -ne 0 ]; then
    echo "mutmut.sh: mutmut run failed (exit $status)" >&2
    exit "$status"
fi
"$MUTMUT" export-cicd-stats >/dev/null
"$MUTMUT" results >mutants/survivors.txt

"$PYTHON" - "$EQUIVALENT" <<'EOF'
import json
import re
import sys
from pathlib import Path

stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
total = stats["total"]
killed, survived, timeout = stats["killed"], stats["survived"], stats["timeout"]
caught = killed + timeout
print()
print("== mutation testing of src/jpki/*.py against pytest -m 'not pcscd'")
print(f"total mutants:   {total}")
print(f"killed:          {killed}")
print(f"survived:        {survived}")
print(f"timeout:         {timeout}")
for key in ("no_tests", "suspicious", "segfault", "skipped"):
    if stats.get(key):
        print(f"{key.replace('_', ' ') + ':':<17}{stats[key]}")
share = 100 * caught / total if total else 0.0
print(f"caught:          {caught} of {total} = {share:.1f} %")

survivors = []
for line in Path("mutants/survivors.txt").read_text().splitlines():
    name, _, status = line.strip().rpartition(": ")
    if status == "survived":
        survivors.append(name)
equivalent_file = Path(sys.argv[1])
listed = set(re.findall(r"`(jpki\.[\w.]+__mutmut_\d+)`", equivalent_file.read_text("utf-8")))
unexplained = [n for n in survivors if n not in listed]
stale = sorted(listed - set(survivors))
equivalent = len(survivors) - len(unexplained)
print(f"survivors judged equivalent: {equivalent} (listed in {equivalent_file})")
if total:
    print(f"caught of the non-equivalent: {100 * caught / (total - equivalent):.1f} %")
print(f"survivors not judged equivalent: {len(unexplained)}")
for name in unexplained:
    print(f"    {name}  (.venv/bin/mutmut show {name})")
if stale:
    print(f"listed as equivalent but no longer surviving (the source moved on?): {len(stale)}")
    for name in stale:
        print(f"    {name}")
print()
print(f"== {equivalent_file}")
print(equivalent_file.read_text("utf-8"), end="")
EOF
