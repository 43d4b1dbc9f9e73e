"""Shared fixtures and the count of pcscd-backed tests.

The pcscd and virtual-card fixtures (``jpki_pcscd``, ``serve_card``,
``serve_virtual_card``, ``virtual_card_reader``) come from jpkitool's test kit,
pytest-jpkitool (``testkit/``), loaded because it is installed. The pcscd-backed
tests are marked
``pcscd``; the session ends with a line counting them.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from outcomes import FAILED
from pytest_jpkitool.keys import use_emulator_keys
from pytest_jpkitool.pcscd import PcscdInstance

# The virtual card signs with the test kit's keys: every state's certificates are the
# same bytes in every run (a random key could put a PIN's digits in a hex dump).
use_emulator_keys()

# Hypothesis profiles. "ci", the default: hypothesis's own 100 examples per test and
# no deadline (a shared 2-core machine makes timings noisy); the fuzz tests take their
# own smaller count from tests/fuzz/budget.py. "fuzz": 10,000 examples per fuzz test
# (tests/fuzz/, docs/testing.md, "Fuzzing"). Chosen with --hypothesis-profile=NAME, else with
# the HYPOTHESIS_PROFILE environment variable.
settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_outcomes: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}


def pytest_report_header(config: pytest.Config) -> str | None:
    """Said once, at the top of the run: the tests that read shared/realdata skip."""
    from realdata import REALDATA

    if REALDATA.is_dir():
        return None
    return (
        f"shared/realdata not found (looked for {REALDATA}): the tests that read the "
        "J-LIS roots and the real auth certificate skip"
    )


@pytest.fixture(autouse=True)
def no_inherited_columns() -> None:
    """Importing readline (pdb does) exports ``COLUMNS`` and ``LINES`` behind
    ``os.environ``'s back, and every subprocess inherited them: jpkitool then wrapped its
    output at 80 columns where a test expects a pipe's lines. A test that wants a width
    sets ``COLUMNS`` itself (``monkeypatch.setenv``, or the subprocess's ``env``)."""
    for name in ("COLUMNS", "LINES"):
        if name not in os.environ:
            os.unsetenv(name)


@pytest.fixture
def pcsc_env(jpki_pcscd: PcscdInstance) -> dict[str, str]:
    """Environment for a subprocess talking to the test pcscd."""
    return dict(jpki_pcscd.env)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    """Note a failed set-up or call on the test (:func:`outcomes.failed`)."""
    outcome = yield
    if outcome.get_result().failed:
        item.stash[FAILED] = True


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
