"""Opt-in tests on a real card and reader, never in CI.

Run with ``JPKITOOL_HW_READER="<part of the reader name>" .venv/bin/pytest hwtests``.
The read-only tests never send VERIFY with data. ``test_change_pin_real.py`` changes
a PIN and changes it back, and runs only for a PIN whose current value you give in
``JPKITOOL_HW_PIN_<KIND>`` (see docs/testing.md, "On a real card").
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def hw_reader() -> str:
    reader = os.environ.get("JPKITOOL_HW_READER")
    if not reader:
        pytest.skip("set JPKITOOL_HW_READER to run tests on a real card")
    return reader
