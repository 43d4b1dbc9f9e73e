"""The counters read while the CLI loads: only for a plain ``retries`` command line,
and taken only by the same reading."""

from __future__ import annotations

import pytest

from jpki.cli import prefetch


@pytest.mark.parametrize(
    ("args", "plain"),
    [
        (["retries"], (None, ())),
        (["--json", "retries"], (None, ())),
        (["--lang", "ja", "-r", "Virtual PCD 00 00", "retries"], ("Virtual PCD 00 00", ())),
        (["--reader=ACS", "--lang=en", "retries", "1", "AUTH", "③"], ("ACS", ("1", "auth", "3"))),
        (["retries", "2", "1"], (None, ("2", "1"))),
        (["-v", "retries"], None),
        (["--emulator", "retries"], None),
        (["--replay", "x.jsonl", "retries"], None),
        (["--record", "x.jsonl", "retries"], None),
        (["--wait", "5", "retries"], None),
        (["retries", "--json"], None),
        (["retries", "5039"], None),  # not a PIN kind (maybe a PIN): the normal path refuses it
        (["retries", "--help"], None),
        (["info"], None),
        (["--reader"], None),
        (["--json=1", "retries"], None),
        ([], None),
    ],
)
def test_only_a_plain_retries_is_read_ahead(
    args: list[str], plain: tuple[str | None, tuple[str, ...]] | None
) -> None:
    assert prefetch.plain_retries(args) == plain


def test_a_reading_is_taken_once_and_only_for_its_reader_and_pins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str | None, tuple[str, ...]]] = []

    def fake_read(reading: prefetch._Reading) -> None:
        calls.append((reading.reader, reading.pins))
        reading.report = "report"  # type: ignore[assignment]
        reading.engaged.set()
        reading.done.set()

    monkeypatch.setattr(prefetch, "_read", fake_read)
    prefetch.start(["-r", "A", "retries", "1"])
    assert prefetch.take("B", ("1",)) is None  # another reader: not this reading
    prefetch.start(["-r", "A", "retries", "1"])
    assert prefetch.take("A", ("1",)) == "report"
    assert prefetch.take("A", ("1",)) is None  # taken once
    prefetch.start(["-v", "retries"])
    assert prefetch.take(None, ()) is None
    assert calls == [("A", ("1",)), ("A", ("1",))]


def test_an_error_of_the_reading_is_raised_by_take(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(reading: prefetch._Reading) -> None:
        reading.error = RuntimeError("no card")
        reading.engaged.set()
        reading.done.set()

    monkeypatch.setattr(prefetch, "_read", failing)
    prefetch.start(["retries"])
    with pytest.raises(RuntimeError, match="no card"):
        prefetch.take(None, ())
