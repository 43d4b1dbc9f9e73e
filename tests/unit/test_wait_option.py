"""``--wait SECONDS``: a finite number from 0 to an hour; anything else is exit 2."""

from __future__ import annotations

import pytest

from cli_runner import jpkitool_inprocess as run
from jpki.cli.failures import Exit
from jpki.cli.params import MAX_WAIT


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e20", "-1", "3600.5", "abc", ""])
def test_a_wait_that_is_not_a_bounded_number_is_a_usage_error(value: str) -> None:
    for lang, words in (("en", "is not a number of seconds from 0 to 3600"),
                        ("ja", "0〜3600 の秒数ではありません")):  # fmt: skip
        r = run("--lang", lang, "--wait", value, "--emulator", "retries")
        assert r.code == Exit.USAGE and words in r.err, r.err
        assert len(r.err.strip().splitlines()) == 1


@pytest.mark.parametrize("value", ["0", "2.5", "3600"])
def test_a_bounded_wait_is_taken(value: str) -> None:
    r = run("--lang", "en", "--wait", value, "--emulator", "retries")
    assert r.code == Exit.OK, r.err
    assert MAX_WAIT == 3600
