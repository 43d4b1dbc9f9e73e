"""``--wait SECONDS``: a finite number from 0 to an hour; ``--timeout SECONDS`` from 0.1
to an hour; anything else is exit 2."""

from __future__ import annotations

import pytest

import apdu
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


@pytest.mark.parametrize("value", ["nan", "inf", "1e20", "0", "0.05", "-1", "3601", "abc"])
def test_a_timeout_that_is_not_a_bounded_number_is_a_usage_error(value: str) -> None:
    for lang, words in (("en", "is not a number of seconds from 0.1 to 3600"),
                        ("ja", "0.1〜3600 の秒数ではありません")):  # fmt: skip
        r = run("--lang", lang, "--timeout", value, "--emulator", "retries")
        assert r.code == Exit.USAGE and words in r.err, r.err
        assert len(r.err.strip().splitlines()) == 1


def test_the_timeout_reaches_the_reader_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--timeout`` is what every PC/SC call of the session is given."""
    from jpki import connect

    seen: list[float | None] = []

    def refuse(reader: str | None = None, **kw: object) -> object:
        seen.append(kw.get("timeout"))  # type: ignore[arg-type]
        raise apdu.NoReaderError("no reader")

    monkeypatch.setattr(connect, "connect", refuse)
    for args, expected in ((["--timeout", "2.5"], 2.5), ([], None)):
        r = run("--lang", "en", *args, "retries", "1")
        assert r.code == Exit.NO_CARD, r.err
        assert seen.pop() == expected
