"""How many APDUs and how long ``retries`` takes, against the peer approach.

The peer approach (myna's ``pin status``, OpenSC) selects the application, selects
the PIN EF and sends the query, for every PIN. Both run on the virtual card with a
per-APDU latency like a real reader's (default 30 ms), in-process and, with
``--pcscd``, also through a private pcscd + vpcd.

Usage: ``.venv/bin/python benchmarks/bench_retries.py [--latency-ms 30] [--runs 7] [--pcscd]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from apdu import BaseTransport, CommandAPDU
from jpki import profile
from jpki.card import MyNumberCard
from jpki.emulator import CardState, EmulatorTransport, VirtualCard
from jpki.retries import read_retries


def peer_style(card: MyNumberCard) -> int:
    """SELECT AP + SELECT EF + VERIFY for each key, as the best-known peers do."""
    start = card.apdu_count
    for pin in profile.PINS:
        for key in pin.slots:
            card.forget_selection()
            card.select_app(key.app)
            card.select_ef(key.fid)
            card.send(CommandAPDU(0x00, profile.INS_VERIFY, 0x00, 0x80))
    return card.apdu_count - start


def ours(card: MyNumberCard) -> int:
    return read_retries(card).apdus


def measure(
    make: Callable[[], BaseTransport], job: Callable[[MyNumberCard], int], runs: int
) -> tuple[int, float]:
    times, apdus = [], 0
    for _ in range(runs):
        transport = make()
        try:
            t0 = time.perf_counter()
            apdus = job(MyNumberCard(transport))
            times.append(time.perf_counter() - t0)
        finally:
            transport.close()
    return apdus, statistics.median(times)


def report(label: str, make: Callable[[], BaseTransport], runs: int) -> None:
    a_ours, t_ours = measure(make, ours, runs)
    a_peer, t_peer = measure(make, peer_style, runs)
    print(f"{label}:")
    print(f"  jpkitool retries : {a_ours:3d} APDUs, median {t_ours * 1000:7.1f} ms")
    print(f"  peer approach    : {a_peer:3d} APDUs, median {t_peer * 1000:7.1f} ms")
    print(f"  ratio peer/ours  : {a_peer / a_ours:.2f}x APDUs, {t_peer / t_ours:.2f}x time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pcscd", action="store_true", help="also measure through pcscd + vpcd")
    args = parser.parse_args()

    def state() -> CardState:
        s = CardState()
        s.latency_ms = args.latency_ms
        return s

    print(f"per-APDU latency {args.latency_ms} ms, {args.runs} runs each, medians")
    report("in-process", lambda: EmulatorTransport(VirtualCard(state())), args.runs)
    if args.pcscd:
        import os

        from apdu.pcsctransport import PcscTransport
        from jpki.emulator.vpcd import VpcdBridge
        from pytest_jpkitool.pcscd import PcscdInstance

        with PcscdInstance() as pcscd:
            os.environ.update(pcscd.env)
            bridge = VpcdBridge(VirtualCard(state()), pcscd.port)
            bridge.start()
            try:
                reader = pcscd.wait_for_card(0)
                report("through pcscd + vpcd", lambda: PcscTransport(reader), args.runs)
            finally:
                bridge.stop()


if __name__ == "__main__":
    main()
