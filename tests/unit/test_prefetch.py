"""The counters read while the CLI loads: only for a plain ``retries`` command line,
and taken only by a command whose session and PINs are the reading's."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from jpki.cli import prefetch
from jpki.session import SessionSpec


@pytest.mark.parametrize(
    ("args", "plain"),
    [
        (["retries"], (None, ())),
        (["--json", "retries"], (None, ())),
        (["--lang", "ja", "-r", "Virtual PCD 00 00", "retries"], ("Virtual PCD 00 00", ())),
        (
            ["--reader=ACS", "--lang=en", "retries", "1", "AUTH", "③"],
            ("ACS", ("sign", "auth", "juki")),
        ),
        (["retries", "2", "1"], (None, ("auth", "sign"))),
        (["-v", "retries"], None),
        (["--emulator", "retries"], None),
        (["--replay", "x.jsonl", "retries"], None),
        (["--record", "x.jsonl", "retries"], None),
        (["--wait", "5", "retries"], None),
        (["--timeout", "5", "retries"], None),
        (["retries", "--json"], None),
        (["retries", "5039"], None),  # not a PIN name (maybe a PIN): the normal path refuses it
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
    found = prefetch.plain_retries(args)
    assert (None if found is None else (found[0].reader, found[1])) == plain
    if found is not None:
        assert found[0] == SessionSpec(reader=found[0].reader)


class FakeReading(prefetch.Reading):
    def run(self) -> None:
        self.report = ("report", self.spec.reader, self.pins)  # type: ignore[assignment]
        self.engaged.set()


def test_a_reading_is_taken_once_and_only_for_its_session_and_pins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(prefetch, "Reading", FakeReading)
    same = dataclasses.replace(SessionSpec(reader="A"), on_wait=print)
    prefetch.start(["-r", "A", "retries", "1"])
    assert prefetch.take(SessionSpec(reader="B"), ("sign",)) is None  # another reader
    prefetch.start(["-r", "A", "retries", "1"])
    assert prefetch.take(same, ("auth",)) is None  # other PINs
    prefetch.start(["-r", "A", "retries", "1"])
    assert prefetch.take(dataclasses.replace(same, timeout=5.0), ("sign",)) is None
    prefetch.start(["-r", "A", "retries", "1"])
    assert prefetch.take(same, ("sign",)) == ("report", "A", ("sign",))
    assert prefetch.take(same, ("sign",)) is None  # taken once
    prefetch.start(["-v", "retries"])
    assert prefetch.take(SessionSpec(), ()) is None


def test_an_error_of_the_reading_is_raised_by_take(monkeypatch: pytest.MonkeyPatch) -> None:
    class Failing(prefetch.Reading):
        def run(self) -> None:
            self.error = RuntimeError("no card")
            self.engaged.set()

    monkeypatch.setattr(prefetch, "Reading", Failing)
    prefetch.start(["retries"])
    with pytest.raises(RuntimeError, match="no card"):
        prefetch.take(SessionSpec(), ())


def test_a_reading_nobody_takes_ends_before_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefetch, "Reading", FakeReading)
    prefetch.start(["retries", "9"])  # not plain: nothing started
    assert prefetch._reading is None
    prefetch.start(["retries"])
    reading = prefetch._reading
    assert reading is not None
    prefetch.wait()
    assert not reading.is_alive()
    prefetch._reading = None


def test_ctrl_c_while_the_reading_opens_the_card_is_reported_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """:func:`prefetch.start` waits up to 2 s for the card to open (a reader held by
    another program's transaction, pcscd starting on demand), before click's error
    handling is in place: a Ctrl-C then is said as any Ctrl-C is ("interrupted", in
    the user's language), not as a traceback (found by review)."""
    from jpki.cli import entry
    from jpki.cli.failures import classify

    class Interrupted(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            raise KeyboardInterrupt  # Ctrl-C while the card is being opened

    class Opening(FakeReading):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)  # type: ignore[arg-type]
            self.engaged = Interrupted()

        def run(self) -> None:
            pass

    monkeypatch.setattr(prefetch, "Reading", Opening)
    try:
        code = entry.main(["retries"])
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C came out of jpkitool as a traceback")
    finally:
        prefetch._reading = None
    assert code == classify(KeyboardInterrupt()).exit
    assert capsys.readouterr().err.strip() != ""


def test_ctrl_c_while_waiting_for_a_reading_ends_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stuck(FakeReading):
        def join(self, timeout: float | None = None) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr(prefetch, "Reading", Stuck)
    prefetch.start(["retries"])
    try:
        prefetch.wait()  # returns: the Ctrl-C is not raised again here
    finally:
        prefetch._reading = None
