"""Opt-in tests on a real card and reader, never in CI.

Run with ``JPKITOOL_HW_READER="<part of the reader name>" .venv/bin/pytest hwtests``.
The read-only tests never send VERIFY with data. ``test_change_pin_real.py`` changes
a PIN and changes it back, and runs only for a PIN whose current value you give in
``JPKITOOL_HW_PIN_<KIND>`` (see docs/testing.md, "On a real card").
"""

from __future__ import annotations

import os

import pytest


def pin_to_risk(reader: str, kind: str, purpose: str) -> str:
    """The current value of ``kind`` from ``JPKITOOL_HW_PIN_<KIND>``, once its counter
    is seen full; otherwise the test is skipped (a try is risked only with all left)."""
    import jpki
    from jpki import profile
    from jpki.retries import read_retries

    value = os.environ.get(f"JPKITOOL_HW_PIN_{kind.upper()}")
    if not value:
        pytest.skip(f"set JPKITOOL_HW_PIN_{kind.upper()} to {purpose}")
    with jpki.open_card(reader) as card:
        remaining = read_retries(card).pin(kind).remaining
    if remaining != profile.PINS_BY_ID[kind].max_tries:
        pytest.skip(f"{kind}: counter not full ({remaining}); not risking a try")
    return value


@pytest.fixture(scope="session")
def hw_reader() -> str:
    reader = os.environ.get("JPKITOOL_HW_READER")
    if not reader:
        pytest.skip("set JPKITOOL_HW_READER to run tests on a real card")
    return reader
