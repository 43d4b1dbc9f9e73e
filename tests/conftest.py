"""Shared fixtures: a private pcscd with vpcd, and cards served into its readers.

The pcscd-backed tests are marked ``pcscd``; the session ends with a line counting
them. On CI (``CI=true``) a pcscd that cannot be started fails those tests
instead of skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.pcscd import HarnessError, PcscdInstance
from jpki.emulator.vpcd import Card, VpcdBridge

_outcomes: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}


@pytest.fixture(scope="session")
def pcscd() -> Iterator[PcscdInstance]:
    instance = PcscdInstance()
    try:
        instance.start()
    except HarnessError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"cannot start the test pcscd on CI: {exc}")
        pytest.skip(f"cannot start a test pcscd: {exc}")
    # libpcsclite reads this once per process: set before the first PC/SC call.
    os.environ.update(instance.env)
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def pcsc_env(pcscd: PcscdInstance) -> dict[str, str]:
    """Environment for a subprocess talking to the test pcscd."""
    return dict(pcscd.env)


ServeCard = Callable[..., str]


@pytest.fixture
def vpcd_card(pcscd: PcscdInstance) -> Iterator[ServeCard]:
    """``vpcd_card(card, slot=0)`` inserts ``card`` in a vpcd reader; returns its name."""
    served: list[tuple[VpcdBridge, int]] = []

    def serve(card: Card, slot: int = 0) -> str:
        bridge = VpcdBridge(card, pcscd.port + slot).start()
        served.append((bridge, slot))
        return pcscd.wait_for_card(slot)

    yield serve
    for bridge, slot in served:
        bridge.stop()
        pcscd.wait_for_no_card(slot)


def pytest_runtest_logreport(report: Any) -> None:
    if "pcscd" not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.passed:
            _outcomes["passed"] += 1
        elif report.skipped:
            _outcomes["skipped"] += 1
        else:
            _outcomes["failed"] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    o = _outcomes
    terminalreporter.write_line(
        f"pcscd-backed tests: {o['passed']} passed, {o['failed']} failed, {o['skipped']} skipped"
    )
