"""Opt-in tests on a real card and reader: read-only, never in CI.

Run with ``JPKITOOL_HW_READER="<part of the reader name>" .venv/bin/pytest hwtests``.
Nothing here sends VERIFY with data, so no PIN try is ever spent.
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
