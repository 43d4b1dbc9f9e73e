"""Shared fixtures and the count of pcscd-backed tests.

The pcscd and virtual-card fixtures (``jpki_pcscd``, ``serve_card``,
``serve_virtual_card``, ``virtual_card_reader``) come from jpkitool's own pytest
plugin, :mod:`jpki.emulator.pytest_plugin`. The pcscd-backed tests are marked
``pcscd``; the session ends with a line counting them.
"""

from __future__ import annotations

from typing import Any

import pytest

from jpki.emulator.pcscd import PcscdInstance

_outcomes: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}


@pytest.fixture
def pcsc_env(jpki_pcscd: PcscdInstance) -> dict[str, str]:
    """Environment for a subprocess talking to the test pcscd."""
    return dict(jpki_pcscd.env)


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
