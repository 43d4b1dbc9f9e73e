"""Soak: many consecutive ``retries``, with memory and open file descriptors watched.

- through pcscd: ``--pcscd N`` (default 1,000) sessions, each as a command makes it
  (a new PC/SC context, connect, one transaction, read all counters, disconnect),
  against the virtual card served by a private pcscd + vpcd;
- in process: ``--inprocess N`` (default 10,000) sessions on the virtual card;
- as a user runs it: ``--cli N`` (default 0; the figure in docs/testing.md used 1,000) runs of
  ``jpkitool --reader ... retries`` as separate processes through the same pcscd,
  with pcscd's memory and descriptors watched (each run is a new process).

Prints failures, the median time per session, and, after the first tenth of the run
(the warm-up) and at the end, each after a full garbage collection: the Python
objects' memory blocks still allocated (``sys.getallocatedblocks``), the resident
memory (RSS) and the open descriptors of this process, and pcscd's RSS and
descriptors. Exits 1 when a session failed, a descriptor leaked, more than 1,000
blocks stayed allocated, or RSS grew by more than ``--max-growth-kib``.

Usage: ``.venv/bin/python benchmarks/soak.py [--pcscd 1000] [--inprocess 10000] [--cli 1000]``
"""

from __future__ import annotations

import argparse
import array
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jpki


def rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fds(pid: int | str = "self") -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@dataclass
class Soak:
    label: str
    sessions: int
    failures: int = 0
    #: Seconds per session, in an array: a list of floats would grow by an object each.
    times: array.array[float] = field(default_factory=lambda: array.array("d"))
    #: (rss KiB, fds, rss KiB of pcscd, its fds, allocated blocks): after warm-up, at end.
    warm: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    end: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    first_error: str = ""


def sample(other: int | None) -> tuple[int, int, int, int, int]:
    gc.collect()  # sessions leave reference cycles behind until the collector runs
    blocks = sys.getallocatedblocks()
    if other is None:
        return rss_kib(), fds(), 0, 0, blocks
    return rss_kib(), fds(), rss_kib(other), fds(other), blocks


def soak(label: str, sessions: int, one: Callable[[], None], other: int | None) -> Soak:
    result = Soak(label, sessions, times=array.array("d", bytes(8 * sessions)))
    warm_at = max(1, sessions // 10)
    for n in range(1, sessions + 1):
        start = time.perf_counter()
        try:
            one()
        except Exception as exc:  # counted and reported, the soak goes on
            result.failures += 1
            result.first_error = result.first_error or f"{type(exc).__name__}: {exc}"
        result.times[n - 1] = time.perf_counter() - start
        if n == warm_at:
            result.warm = sample(other)
    result.end = sample(other)
    return result


def report(r: Soak, max_growth: int) -> bool:
    median_ms = statistics.median(r.times) * 1000
    grow = r.end[0] - r.warm[0]
    print(f"{r.label}: {r.sessions:,} sessions, {r.failures} failed, "
          f"median {median_ms:.2f} ms per session, {sum(r.times):.1f} s in all")  # fmt: skip
    print(f"  this process: RSS {r.warm[0]:,} KiB after warm-up -> {r.end[0]:,} KiB at end "
          f"({grow:+,} KiB); open fds {r.warm[1]} -> {r.end[1]}")  # fmt: skip
    print(f"  Python blocks allocated: {r.warm[4]:,} -> {r.end[4]:,} ({r.end[4] - r.warm[4]:+,})")
    if r.warm[2]:
        print(f"  pcscd:        RSS {r.warm[2]:,} KiB -> {r.end[2]:,} KiB "
              f"({r.end[2] - r.warm[2]:+,} KiB); open fds {r.warm[3]} -> {r.end[3]}")  # fmt: skip
    if r.first_error:
        print(f"  first failure: {r.first_error}")
    flat = (
        r.end[1] <= r.warm[1]
        and r.end[3] <= r.warm[3]
        and grow <= max_growth
        and r.end[4] - r.warm[4] <= 1000
    )
    print(f"  verdict: {'flat' if flat and not r.failures else 'NOT FLAT or FAILED'}")
    return flat and not r.failures


def in_process(sessions: int) -> Soak:
    state = jpki.emulator.CardState()

    def one() -> None:
        with jpki.open_emulator(state) as card:
            report = jpki.read_retries(card)
        assert len(report.pins) == 8, report

    return soak("in process (virtual card)", sessions, one, None)


def through_pcscd(sessions: int, cli_runs: int = 0) -> list[Soak]:
    from jpki.emulator import VirtualCard
    from jpki.emulator.vpcd import VpcdBridge
    from pytest_jpkitool.pcscd import PcscdInstance

    with PcscdInstance() as pcscd:
        os.environ.update(pcscd.env)
        bridge = VpcdBridge(VirtualCard(jpki.emulator.CardState()), pcscd.port)
        bridge.start()
        try:
            reader = pcscd.wait_for_card(0)

            def one() -> None:
                with jpki.open_card(reader) as card:
                    report = jpki.read_retries(card)
                assert len(report.pins) == 8, report

            def cli() -> None:
                import subprocess

                run = subprocess.run(
                    [sys.executable, "-m", "jpki", "--reader", reader, "retries"],
                    capture_output=True,
                    env={**os.environ, **pcscd.env},
                    timeout=60,
                    check=False,
                )
                if run.returncode != 0:
                    raise RuntimeError(run.stderr.decode(errors="replace").strip())

            assert pcscd.proc is not None
            results = []
            if sessions:
                results.append(soak("through pcscd + vpcd", sessions, one, pcscd.proc.pid))
            if cli_runs:
                label = "jpkitool retries processes, through pcscd + vpcd"
                results.append(soak(label, cli_runs, cli, pcscd.proc.pid))
            return results
        finally:
            bridge.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pcscd", type=int, default=1000, metavar="N")
    parser.add_argument("--inprocess", type=int, default=10000, metavar="N")
    parser.add_argument("--cli", type=int, default=0, metavar="N")
    parser.add_argument("--max-growth-kib", type=int, default=2048)
    args = parser.parse_args()
    import jpki.emulator  # noqa: F401  (the soak uses the virtual card)

    ok = True
    if args.inprocess:
        ok &= report(in_process(args.inprocess), args.max_growth_kib)
    if args.pcscd or args.cli:
        for result in through_pcscd(args.pcscd, args.cli):
            ok &= report(result, args.max_growth_kib)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
