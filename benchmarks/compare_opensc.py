"""jpkitool against OpenSC on the same card, at a real reader's pace.

Serves the virtual My Number card through a private pcscd + vpcd; the card answers
each APDU after ``--latency-ms`` (default 20 ms, a contact reader's pace) and counts
them. Each job runs ``--runs`` times (default 7) as a separate process, the jobs taking
turns; the table gives the median wall time, the APDUs the card saw, and for each
jpkitool job the ratio to the OpenSC job doing the same work. Last, the cold start
of ``jpkitool --version`` against ``python -c pass``.

``--baseline DIR`` also times the jpkitool of another checkout (``DIR/.venv/bin/jpkitool``,
e.g. a ``git worktree`` of an older commit) in the same turns, on the same card, and
adds a column: this tree's median over the baseline's. Interleaving the two keeps the
machine's load the same for both.

Needs the Debian packages pcscd, vsmartcard-vpcd and opensc (``pkcs15-tool``).

Usage: ``.venv/bin/python benchmarks/compare_opensc.py [--latency-ms 20] [--runs 7]
[--baseline DIR]``
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from jpki.emulator import CardState, VirtualCard


class CountingCard(VirtualCard):
    """The virtual card, counting the APDUs it answers."""

    def __init__(self, state: CardState) -> None:
        super().__init__(state)
        self.count = 0
        self._lock = threading.Lock()

    def process(self, apdu: bytes) -> bytes:
        with self._lock:
            self.count += 1
        return super().process(apdu)


@dataclass
class Job:
    name: str
    argv: list[str]
    times: list[float] = field(default_factory=list)
    apdus: list[int] = field(default_factory=list)
    #: The OpenSC job this one is compared with.
    versus: str | None = None
    #: The same job run by the baseline checkout's jpkitool (``--baseline``).
    before: Job | None = None


def jpkitool() -> list[str]:
    script = Path(sys.executable).with_name("jpkitool")
    return [str(script)] if script.exists() else [sys.executable, "-m", "jpki"]


def run_once(job: Job, card: CountingCard | None, env: dict[str, str], out: Path) -> None:
    out.unlink(missing_ok=True)
    before = card.count if card is not None else 0
    start = time.perf_counter()
    proc = subprocess.run(job.argv, env=env, capture_output=True, timeout=120, check=False)
    job.times.append(time.perf_counter() - start)
    if card is not None:
        job.apdus.append(card.count - before)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip()
        raise SystemExit(f"{job.name} failed ({proc.returncode}): {message}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="another checkout with its own .venv")
    args = parser.parse_args()
    baseline = None
    if args.baseline is not None:
        baseline = args.baseline / ".venv" / "bin" / "jpkitool"
        if not baseline.exists():
            raise SystemExit(f"{baseline} is missing")
    pkcs15 = shutil.which("pkcs15-tool")
    if pkcs15 is None:
        raise SystemExit("pkcs15-tool is missing (Debian: apt install opensc)")

    from jpki.emulator.vpcd import VpcdBridge
    from pytest_jpkitool.pcscd import PcscdInstance

    state = CardState()
    state.latency_ms = args.latency_ms
    card = CountingCard(state)
    with tempfile.TemporaryDirectory(prefix="jpkitool-bench-") as tmp, PcscdInstance() as pcscd:
        out = Path(tmp) / "auth.der"
        bridge = VpcdBridge(card, pcscd.port).start()
        try:
            reader = pcscd.wait_for_card(0)
            env = {**os.environ, **pcscd.env, "LANG": "C.UTF-8"}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            tool = [*jpkitool(), "--reader", reader]
            jobs = [
                Job("OpenSC pkcs15-tool --list-pins", [pkcs15, "--reader", reader, "--list-pins"]),
                Job(
                    "OpenSC pkcs15-tool --read-certificate 01",
                    [pkcs15, "--reader", reader, "--read-certificate", "01"],
                ),
                Job(
                    "jpkitool retries", [*tool, "retries"], versus="OpenSC pkcs15-tool --list-pins"
                ),
                Job(
                    "jpkitool retries 1 2",
                    [*tool, "retries", "1", "2"],
                    versus="OpenSC pkcs15-tool --list-pins",
                ),
                Job(
                    "jpkitool cert export auth",
                    [*tool, "cert", "export", "auth", "-o", str(out)],
                    versus="OpenSC pkcs15-tool --read-certificate 01",
                ),
                Job("jpkitool expiry", [*tool, "expiry"]),
            ]
            if baseline is not None:
                for job in [j for j in jobs if j.name.startswith("jpkitool ")]:
                    argv = [str(baseline), *job.argv[len(jpkitool()) :]]
                    job.before = Job(f"baseline {job.name}", argv)
                    jobs.append(job.before)
            for job in jobs:  # warm-up: page cache, compiled bytecode
                run_once(job, card, env, out)
                job.times.clear()
                job.apdus.clear()
            for _ in range(args.runs):
                for job in jobs:
                    run_once(job, card, env, out)
        finally:
            bridge.stop()

    cold = [Job("python -c pass", [sys.executable, "-c", "pass"]),
            Job("jpkitool --version", [*jpkitool(), "--version"])]  # fmt: skip
    if baseline is not None:
        cold.append(Job("baseline jpkitool --version", [str(baseline), "--version"]))
    plain = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for job in cold:
        run_once(job, None, plain, out)
        job.times.clear()
    for _ in range(max(args.runs, 11)):
        for job in cold:
            run_once(job, None, plain, out)

    by_name = {job.name: job for job in jobs}
    when = time.strftime("%Y-%m-%d")
    print(f"{when}, {platform.machine()} {platform.system()}, Python {platform.python_version()},"
          f" {os.cpu_count()} cores; virtual card through pcscd + vpcd at {args.latency_ms:g} ms"
          f" per APDU; median of {args.runs} runs")  # fmt: skip
    print()
    extra = ("  baseline | vs baseline |", "-----------|-------------|") if baseline else ("", "")
    print(f"| {'job':42} | {'median':>11} | APDUs | vs OpenSC |{extra[0]}")
    print(f"|{'-' * 44}|{'-' * 13}|-------|-----------|{extra[1]}")
    for job in jobs:
        if job.name.startswith("baseline "):
            continue
        median = statistics.median(job.times)
        apdus = statistics.median(job.apdus)
        ratio = ""
        if job.versus:
            ratio = f"{median / statistics.median(by_name[job.versus].times):.2f}x"
        row = f"| {job.name:42} | {ms(median):>11} | {apdus:5.0f} | {ratio:>9} |"
        if job.before is not None:
            then = statistics.median(job.before.times)
            row += f" {ms(then).strip():>9} | {median / then:10.2f}x |"
        elif baseline:
            row += f" {'':>9} | {'':>11} |"
        print(row)
    base, version, *then = (statistics.median(job.times) for job in cold)
    print()
    print(f"cold start (median of {max(args.runs, 11)}): python -c pass {ms(base).strip()}, "
          f"jpkitool --version {ms(version).strip()} ({version / base:.2f}x)"
          + (f", baseline {ms(then[0]).strip()}" if then else ""))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
