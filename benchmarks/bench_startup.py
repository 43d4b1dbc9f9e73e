"""How long ``jpkitool`` takes to start, against ``python -c pass`` on the same interpreter.

Each row runs in a fresh process; the rows take turns, so a slow spell hits all of
them, and the median wall time of each is printed with its ratio to ``python -c
pass``. Rows: importing click and the standard modules every command needs (the
floor of any click command), ``--version``, ``--help``, ``retries`` replayed from a recorded session
(no card, no emulator), ``retries 1 2`` and ``retries`` on the in-process virtual
card (``--emulator``), and with ``--pcscd`` ``retries`` on the virtual card served
through a private pcscd + vpcd (the command itself loads no emulator code then).

The commands run with bytecode writing on (``PYTHONDONTWRITEBYTECODE`` removed) and
one warm-up round, as an installed jpkitool runs: compiled ``.pyc`` files, page cache.

Usage: ``.venv/bin/python benchmarks/bench_startup.py [--runs 11] [--pcscd] [--importtime]``
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = ROOT / "tests" / "fixtures" / "sessions"
FLOOR = "import click, dataclasses, datetime, gettext, json, pathlib"


def jpkitool() -> list[str]:
    """The console script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("jpkitool")
    return [str(script)] if script.exists() else [sys.executable, "-m", "jpki"]


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(LANG="C.UTF-8", **(extra or {}))
    return env


def rows(reader: str | None) -> list[tuple[str, list[str]]]:
    tool = jpkitool()
    table = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        # The floor of any click command: click and the standard modules every command needs.
        ("python: import click, pathlib, json, ...", [sys.executable, "-c", FLOOR]),
        ("jpkitool --version", [*tool, "--version"]),
        ("jpkitool --help", [*tool, "--help"]),
        (
            "jpkitool --replay retries-fresh retries",
            [*tool, "--replay", str(SESSIONS / "retries-fresh.jsonl"), "retries"],
        ),
        ("jpkitool --emulator retries 1 2", [*tool, "--emulator", "retries", "1", "2"]),
        ("jpkitool --emulator retries", [*tool, "--emulator", "retries"]),
    ]
    if reader is not None:
        table.append(("jpkitool retries (virtual card via pcscd)", [*tool, "retries"]))
    return table


def medians_ms(table: list[tuple[str, list[str]]], runs: int, env: dict[str, str]) -> list[float]:
    for _, cmd in table:  # warm-up: .pyc files written, page cache
        subprocess.run(cmd, env=env, capture_output=True, check=False)
    times: list[list[float]] = [[] for _ in table]
    for _ in range(runs):
        for i, (label, cmd) in enumerate(table):
            start = time.perf_counter()
            done = subprocess.run(cmd, env=env, capture_output=True, check=False)
            times[i].append(time.perf_counter() - start)
            if done.returncode not in (0, 4):
                raise SystemExit(f"{label}: exit {done.returncode}\n{done.stderr.decode()}")
    return [statistics.median(t) * 1000 for t in times]


@contextlib.contextmanager
def served_card() -> Iterator[tuple[str, dict[str, str]]]:
    """A default virtual card in a private pcscd: (reader name, environment)."""
    from jpki.emulator import CardState, VirtualCard
    from jpki.emulator.vpcd import VpcdBridge
    from pytest_jpkitool.pcscd import PcscdInstance

    with PcscdInstance() as pcscd:
        bridge = VpcdBridge(VirtualCard(CardState()), pcscd.port)
        bridge.start()
        try:
            yield pcscd.wait_for_card(0), dict(pcscd.env)
        finally:
            bridge.stop()


def importtime(cmd: list[str], env: dict[str, str], top: int = 12) -> None:
    """The slowest imports of one run, as ``python -X importtime`` reports them."""
    if cmd[0] != sys.executable:
        cmd = [sys.executable, "-X", "importtime", "-m", "jpki", *cmd[1:]]
    else:
        cmd = [sys.executable, "-X", "importtime", *cmd[1:]]
    err = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False).stderr
    lines = [line for line in err.splitlines() if line.startswith("import time:")][1:]
    cumulative = sorted(lines, key=lambda line: -int(line.split("|")[1]))
    for line in cumulative[:top]:
        print("    " + line.removeprefix("import time:").strip())


def report(table: list[tuple[str, list[str]]], runs: int, env: dict[str, str]) -> None:
    results = medians_ms(table, runs, env)
    print(f"{sys.executable}, median of {runs} runs each")
    for (label, _), ms in zip(table, results, strict=True):
        print(f"  {label:<44} {ms:7.1f} ms  {ms / results[0]:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--pcscd", action="store_true", help="also retries through pcscd + vpcd")
    parser.add_argument(
        "--importtime", action="store_true", help="also the slowest imports of each row"
    )
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        reader, extra = stack.enter_context(served_card()) if args.pcscd else (None, {})
        env = environment(extra)
        table = rows(reader)
        report(table, args.runs, env)
        if args.importtime:
            for label, cmd in table[1:]:
                print(f"  {label}: slowest imports (us, self | cumulative | module)")
                importtime(cmd, env)


if __name__ == "__main__":
    main()
