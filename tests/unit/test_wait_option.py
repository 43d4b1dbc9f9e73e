"""``--wait SECONDS``: a finite number from 0 to an hour; ``--timeout SECONDS`` from 0.1
to an hour; anything else is exit 2."""

from __future__ import annotations

import pytest

import apdu
from cli_runner import jpkitool_inprocess as run
from jpki.cli.failures import Exit
from jpki.cli.params import MAX_WAIT

#: Each option, values it refuses, and the range it names.
BAD = [
    ("--wait", v, "0", "0〜3600")
    for v in ["nan", "NaN", "inf", "-inf", "1e20", "-1", "3600.5", "abc", ""]
] + [
    ("--timeout", v, "0.1", "0.1〜3600")
    for v in ["nan", "inf", "1e20", "0", "0.05", "-1", "3601", "abc"]
]


@pytest.mark.parametrize(("option", "value", "low", "ja_range"), BAD)
def test_seconds_that_are_not_a_bounded_number_are_a_usage_error(
    option: str, value: str, low: str, ja_range: str
) -> None:
    for lang, words in (
        ("en", f"'{option}': a number of seconds from {low} to 3600"),
        ("ja", f"'{option}' の値が正しくありません: {ja_range} の秒数"),
    ):
        r = run("--lang", lang, option, value, "--emulator", "retries")
        assert r.code == Exit.USAGE and words in r.err, r.err
        assert len(r.err.strip().splitlines()) == 1 and f"'{value}'" not in r.err


@pytest.mark.parametrize(
    ("option", "value"),
    [("--wait", "0"), ("--wait", "2.5"), ("--wait", "3600"),
     ("--timeout", "0.1"), ("--timeout", "20"), ("--timeout", "3600")],
)  # fmt: skip
def test_bounded_seconds_are_taken(option: str, value: str) -> None:
    r = run("--lang", "en", option, value, "--emulator", "retries")
    assert r.code == Exit.OK, r.err
    assert MAX_WAIT == 3600


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
