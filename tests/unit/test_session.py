"""The one session builder (jpki.session) behind open_card and the CLI, and the one
probe of "is this a My Number card" behind reader choice, readers and doctor."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import apdu
import jpki
from apdu import BaseTransport, FunctionTransport
from apdu.outfile import OutputError
from apdu.recording import RecordingTransport
from apdu.replay import ReplayTransport
from apdu.trace import TracingTransport
from cli_runner import jpkitool_inprocess as run
from jpki import connect
from jpki.api import virtual_card_opener
from jpki.emulator import CardState, EmulatorTransport, StateError, VirtualCard
from jpki.emulator.session import open_virtual_card, state_file
from jpki.session import SessionSpec, open_session

SESSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "sessions"
PARTIAL = '{"pins": {"auth": {"remaining": 1}}}\n'


class SpyTransport(BaseTransport):
    """The virtual card, counting transactions and closes."""

    def __init__(self) -> None:
        self.inner = EmulatorTransport(VirtualCard(CardState()))
        self._name = "spy reader"
        self.transactions = 0
        self.closed = 0

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        return self.inner.transmit(apdu, secret=secret)

    @contextlib.contextmanager
    def _counted(self) -> Iterator[None]:
        self.transactions += 1
        yield

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        return self._counted()

    def close(self, *, unpower: bool = False) -> None:
        self.closed += 1


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> SpyTransport:
    """A reader session (``connect.connect``) that is the spy transport."""
    spy = SpyTransport()
    seen: list[tuple[Any, ...]] = []

    def fake_connect(reader: str | None = None, **kwargs: Any) -> SpyTransport:
        seen.append((reader, kwargs))
        return spy

    monkeypatch.setattr(connect, "connect", fake_connect)
    spy.seen = seen  # type: ignore[attr-defined]
    return spy


# -- the builder --------------------------------------------------------------------


def test_emulator_session_is_the_virtual_card() -> None:
    with open_session(SessionSpec(emulator=True), open_virtual_card) as transport:
        assert isinstance(transport, EmulatorTransport)
        report = jpki.read_retries(jpki.MyNumberCard(transport))
    assert report.reader == "jpkitool virtual card" and report.pin("sign").remaining == 5


def test_the_core_opens_the_virtual_card_only_with_the_opener_it_is_given() -> None:
    """jpki.session does not import the virtual card: the entry points hand it the
    opener (jpki.api.virtual_card_opener), which imports the card only when asked."""
    with pytest.raises(ValueError, match="opener"), open_session(SessionSpec(emulator=True)):
        pass
    assert virtual_card_opener(SessionSpec(emulator=True)) is open_virtual_card
    assert virtual_card_opener(SessionSpec(replay="x.jsonl")) is None
    with pytest.raises(TypeError, match="not a virtual card"):
        open_virtual_card(SessionSpec(emulator=42))


def test_an_emulator_state_object_is_used_as_is() -> None:
    state = CardState()
    with jpki.open_card(emulator=state) as card, pytest.raises(jpki.WrongPinError):
        jpki.verify_pin(card, "auth", "9999", force=True)
    assert state.pins["auth"].remaining == 2


def test_replay_session_plays_the_file_and_checks_left_overs() -> None:
    spec = SessionSpec(replay=SESSIONS / "retries-fresh.jsonl")
    with open_session(spec) as transport:
        assert isinstance(transport, ReplayTransport)
        jpki.read_retries(jpki.MyNumberCard(transport))
    with pytest.raises(apdu.ReplayLeftoverError), open_session(spec):
        pass
    # After a failure the first error stands; left-overs are not reported.
    with pytest.raises(KeyError), open_session(spec):
        raise KeyError("first")


def test_record_and_trace_wrap_the_card(tmp_path: Path) -> None:
    record = tmp_path / "s.jsonl"
    trace = io.StringIO()
    with open_session(
        SessionSpec(emulator=True, record=record, trace=trace), open_virtual_card
    ) as transport:
        assert isinstance(transport, TracingTransport)
        assert isinstance(transport.inner, RecordingTransport)
        assert isinstance(transport.inner.inner, EmulatorTransport)
        jpki.read_retries(jpki.MyNumberCard(transport))
    header, *exchanges = [json.loads(line) for line in record.read_text().splitlines()]
    assert header["origin"] == "emulator" and header["tool"].startswith("jpkitool ")
    assert exchanges and trace.getvalue().startswith("> 00 A4 04 0C")
    # The recording replays.
    with open_session(SessionSpec(replay=record)) as transport:
        jpki.read_retries(jpki.MyNumberCard(transport))


def test_trace_true_writes_to_stderr_at_the_time(capsys: pytest.CaptureFixture[str]) -> None:
    with open_session(SessionSpec(emulator=True, trace=True), open_virtual_card) as transport:
        connect.probe(transport)
    assert "> 00 A4 04 0C" in capsys.readouterr().err


def test_reader_session_and_the_transaction_flag(spy: SpyTransport) -> None:
    def on_wait() -> None:
        pass

    with open_session(SessionSpec(reader="acr", wait=2.0, on_wait=on_wait)) as transport:
        assert transport is spy and spy.transactions == 1
    seen = [("acr", {"wait": 2.0, "on_wait": on_wait, "timeout": None})]
    assert spy.seen == seen  # type: ignore[attr-defined]
    assert spy.closed == 1
    with open_session(SessionSpec(transaction=False)) as transport:
        assert spy.transactions == 1
    assert spy.closed == 2
    with jpki.open_card() as card:
        assert card.transport.name == "spy reader" and spy.transactions == 2
    with jpki.open_card(timeout=7.5):
        assert spy.seen[-1][1]["timeout"] == 7.5  # type: ignore[attr-defined]


def test_a_failure_to_start_recording_closes_the_card(spy: SpyTransport, tmp_path: Path) -> None:
    with (
        pytest.raises(OutputError),
        open_session(SessionSpec(record=tmp_path / "missing" / "s.jsonl")),
    ):
        pass
    assert spy.closed == 1 and spy.transactions == 0


def test_conflicting_options_are_refused() -> None:
    for kwargs in (
        {"replay": "x.jsonl", "emulator": True},
        {"replay": "x.jsonl", "reader": "0"},
        {"replay": "x.jsonl", "record": "y.jsonl"},
        {"emulator": True, "reader": "0"},
    ):
        with pytest.raises(ValueError):
            SessionSpec(**kwargs)
    assert SessionSpec(emulator=True, reader="").uses_emulator  # as the CLI: no reader given


@pytest.mark.parametrize("timeout", [0, 0.05, -1, 3601, float("inf"), float("nan"), True, "5"])
def test_a_timeout_out_of_range_is_refused(timeout: object) -> None:
    """As the CLI's --timeout: 0.1 to 3600 seconds (inf would overflow a wait, 0 would
    fail every call at once)."""
    with pytest.raises(ValueError, match="timeout"):
        SessionSpec(reader="0", timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        jpki.open_card("0", timeout=timeout).__enter__()  # type: ignore[arg-type]
    for fine in (0.1, 20, 3600):
        assert SessionSpec(reader="0", timeout=fine).timeout == fine


def test_only_the_built_in_virtual_card_builds_its_certificates_late(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--emulator`` alone: built when one is read; a given state: built at once,
    so a state they cannot be made from fails before any PIN is asked."""
    prepared: list[bool] = []
    real = VirtualCard.__init__

    def init(self: VirtualCard, state: Any, *, prepare: bool = True) -> None:
        prepared.append(prepare)
        real(self, state, prepare=prepare)

    monkeypatch.setattr(VirtualCard, "__init__", init)
    for emulator in (True, CardState()):
        with open_session(SessionSpec(emulator=emulator), open_virtual_card):
            pass
    assert prepared == [False, True]


# -- the state file -----------------------------------------------------------------


def test_state_saved_only_when_changed(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text(PARTIAL, "utf-8")
    with open_session(SessionSpec(emulator=path), open_virtual_card) as transport:
        report = jpki.read_retries(jpki.MyNumberCard(transport))
    assert report.pin("auth").remaining == 1
    assert path.read_text("utf-8") == PARTIAL  # read-only: the partial file as written
    with open_session(SessionSpec(emulator=str(path)), open_virtual_card) as transport:
        jpki.verify_pin(jpki.MyNumberCard(transport), "auth", "1234", force=True)
    saved = json.loads(path.read_text("utf-8"))
    assert saved["format"] == "jpkitool-virtual-card" and saved["pins"]["auth"]["remaining"] == 3


def test_state_saved_after_a_failure_too(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    with jpki.open_card(emulator=path) as card, pytest.raises(jpki.WrongPinError):
        jpki.verify_pin(card, "auth", "9999", force=True)
    assert json.loads(path.read_text("utf-8"))["pins"]["auth"]["remaining"] == 2


def test_a_missing_state_file_is_not_created_by_a_read(tmp_path: Path) -> None:
    path = tmp_path / "none.json"
    with jpki.open_card(emulator=path) as card:
        assert jpki.read_retries(card).pin("auth").remaining == 3
    assert not path.exists()


def test_state_file_helper(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text(PARTIAL, "utf-8")
    state, save = state_file(path)
    save()
    assert path.read_text("utf-8") == PARTIAL
    state.pins["sign"].remaining = 4
    save()
    assert json.loads(path.read_text("utf-8"))["pins"]["sign"]["remaining"] == 4
    path.write_text('{"pins": 3}', "utf-8")
    with pytest.raises(StateError) as err:
        state_file(path)
    assert err.value.field == "pins"


# -- the library entry points -------------------------------------------------------


def test_open_card_replay_and_its_errors_are_jpki_errors(tmp_path: Path) -> None:
    with jpki.open_card(replay=SESSIONS / "retries-fresh.jsonl") as card:
        assert jpki.read_retries(card).pin("sign").remaining == 5
    with pytest.raises(jpki.JpkiError) as err, jpki.open_card(replay=tmp_path / "none.jsonl"):
        pass
    assert isinstance(err.value, apdu.SessionFileError)
    with (
        pytest.raises(jpki.JpkiError) as err,
        jpki.open_card(replay=SESSIONS / "retries-fresh.jsonl") as card,
    ):
        jpki.read_info(card)
    assert isinstance(err.value, apdu.ReplayMismatchError)


def test_open_emulator_keeps_working() -> None:
    state = CardState()
    with jpki.open_emulator(state) as card, pytest.raises(jpki.WrongPinError):
        jpki.verify_pin(card, "sign", "ZZZ999", force=True)
    assert state.pins["sign"].remaining == 4


# -- the one probe ------------------------------------------------------------------


class FakePcsc:
    """Two readers with cards: a My Number card and another card."""

    NAMES = ("Reader A", "Reader B")

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from apdu import pcsc, pcsctransport

        states = [
            pcsc.ReaderState(0, "Reader A", True, bytes.fromhex("3BE000FF8131FE4514")),
            pcsc.ReaderState(1, "Reader B", True, bytes.fromhex("3B00")),
        ]
        monkeypatch.setattr(pcsc, "list_readers", lambda: list(self.NAMES))
        monkeypatch.setattr(pcsc, "reader_states", lambda: list(states))
        monkeypatch.setattr(pcsctransport, "PcscTransport", self.transport)

    @staticmethod
    def transport(name: str, **_: Any) -> BaseTransport:
        if name == "Reader A":
            return EmulatorTransport(VirtualCard(CardState()))
        return FunctionTransport(lambda _: bytes.fromhex("6A82"), name)


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of connect.probe, by the name of what it probed."""
    calls: list[str] = []
    real = connect.probe

    def spy(transport: BaseTransport, *, token: bool = False) -> connect.Probe:
        calls.append(transport.name)
        return real(transport, token=token)

    monkeypatch.setattr(connect, "probe", spy)
    return calls


def test_reader_choice_readers_and_doctor_use_the_one_probe(
    monkeypatch: pytest.MonkeyPatch, probes: list[str]
) -> None:
    from jpki.cli.commands import readers
    from jpki.diagnosis import diagnose

    FakePcsc(monkeypatch)
    assert connect.choose_reader() == "Reader A"
    assert len(probes) == 2
    reports = readers.scan()
    assert [(r.name, r.my_number) for r in reports] == [("Reader A", True), ("Reader B", False)]
    assert reports[0].token == jpki.Token.CARD and reports[1].token is None
    assert len(probes) == 4
    checks = diagnose().checks
    assert checks[-1].link == "jpki" and checks[-1].ok
    assert len(probes) == 6


def test_readers_and_doctor_on_the_virtual_card_use_the_one_probe(probes: list[str]) -> None:
    assert run("--json", "--emulator", "readers").json["readers"][0]["my_number"] is True
    assert probes == ["jpkitool virtual card"]
    assert run("--json", "--emulator", "doctor").json["ok"] is True
    assert probes == ["jpkitool virtual card"] * 2


def test_probe_reads_the_token_only_when_asked() -> None:
    count = 0

    def card(command: bytes) -> bytes:
        nonlocal count
        count += 1
        return inner.transmit(command)

    inner = EmulatorTransport(VirtualCard(CardState()))
    assert connect.probe(FunctionTransport(card)) == connect.Probe(True)
    assert count == 1
    found = connect.probe(FunctionTransport(card), token=True)
    assert found == connect.Probe(True, jpki.Token.CARD) and count > 2
