"""Replaying session files: the mock reader, its checks, and record -> replay."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest

from apdu import (
    ApduChannel,
    CardRemovedError,
    CommandAPDU,
    FunctionTransport,
    ReplayLeftoverError,
    ReplayMismatchError,
    SessionFileError,
    TransportError,
)
from apdu.recording import RecordingTransport
from apdu.replay import ReplayTransport

HEADER: dict[str, Any] = {
    "format": "jpkitool-session",
    "version": 1,
    "tool": "jpkitool 0.1.0",
    "created": "2025-01-01T00:00:00Z",
    "reader": "Test Reader 00 00",
    "atr": "3BE000FF8131FE4514",
    "redacted": ["data field of VERIFY commands"],
    "origin": None,
}

EXCHANGES: list[dict[str, Any]] = [
    {"i": 0, "command": "00A4040C0AD392F000260100000001", "response": "9000", "ms": 10.5},
    {"i": 1, "command": "00A4020C020018", "response": "9000", "ms": 3.0},
    {"i": 2, "command": "0020008004XXXXXXXX", "response": "9000", "ms": 40.2},
    {"i": 3, "command": "00B0000004", "response": "308206219000", "ms": 5.1},
]


def write(path: Path, *objects: Any, raw_lines: tuple[str, ...] = ()) -> Path:
    text = "".join(json.dumps(o) + "\n" for o in objects) + "".join(raw_lines)
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def session(tmp_path: Path) -> Path:
    return write(tmp_path / "session.jsonl", HEADER, *EXCHANGES)


def test_happy_path(session: Path) -> None:
    replay = ReplayTransport(session)
    assert replay.name == "Test Reader 00 00"
    assert replay.atr == bytes.fromhex("3BE000FF8131FE4514")
    assert replay.header == HEADER
    assert replay.remaining == 4
    assert replay.transmit(bytes.fromhex("00A4040C0AD392F000260100000001")) == b"\x90\x00"
    assert replay.transmit(bytes.fromhex("00A4020C020018")) == b"\x90\x00"
    # any PIN matches the placeholders
    assert replay.transmit(bytes.fromhex("002000800439393939"), secret=True) == b"\x90\x00"
    assert replay.transmit(bytes.fromhex("00B0000004")) == bytes.fromhex("308206219000")
    assert replay.remaining == 0
    replay.close()


class Powered(FunctionTransport):
    """A scripted card whose power can be cycled (``cycles`` counts them)."""

    def __init__(self, fail: Exception | None = None) -> None:
        super().__init__(lambda apdu: b"\x90\x00", name="R")
        self.cycles = 0
        self.resets = 0
        self.fail = fail

    def power_cycle(self, *, warm: bool = False) -> None:
        if warm:
            self.resets += 1
            return
        self.cycles += 1
        if self.fail is not None:
            raise self.fail


def test_a_power_cycle_is_recorded_and_replayed_in_its_place(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    inner = Powered()
    with RecordingTransport(inner, path) as rec:
        rec.transmit(bytes.fromhex("00A4040C00"))
        rec.power_cycle()
        rec.transmit(bytes.fromhex("00A40000"))
    assert inner.cycles == 1
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert [set(line) for line in lines] == [
        {"i", "command", "response", "ms"},
        {"i", "power", "ms"},
        {"i", "command", "response", "ms"},
    ]
    assert lines[1]["power"] == "cycle" and lines[1]["i"] == 1
    with ReplayTransport(path) as replay:
        replay.transmit(bytes.fromhex("00A4040C00"))
        with pytest.raises(ReplayMismatchError) as early:
            replay.transmit(bytes.fromhex("00A40000"))  # the power cycle was recorded here
        assert (early.value.index, early.value.expected) == (1, "power cycle")
        replay.power_cycle()
        with pytest.raises(ReplayMismatchError) as late:
            replay.power_cycle()  # a command was recorded here
        assert (late.value.expected, late.value.actual) == ("00A40000", "power cycle")
        replay.transmit(bytes.fromhex("00A40000"))
        with pytest.raises(ReplayMismatchError) as after:
            replay.power_cycle()
        assert after.value.expected is None


def test_a_warm_reset_is_recorded_and_replayed_apart_from_a_power_cycle(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    inner = Powered()
    with RecordingTransport(inner, path) as rec:
        rec.power_cycle(warm=True)
        rec.power_cycle()
    assert (inner.resets, inner.cycles) == (1, 1)
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert [(line["i"], line["power"]) for line in lines] == [(0, "reset"), (1, "cycle")]
    with ReplayTransport(path) as replay:
        with pytest.raises(ReplayMismatchError) as wrong:
            replay.power_cycle()  # a warm reset was recorded here
        assert (wrong.value.expected, wrong.value.actual) == ("warm reset", "power cycle")
        replay.power_cycle(warm=True)
        replay.power_cycle()


def test_a_transport_without_a_warm_reset_says_so() -> None:
    with pytest.raises(TransportError, match="cannot reset"):
        FunctionTransport(lambda apdu: b"\x90\x00").power_cycle(warm=True)


def test_a_power_cycle_that_failed_replays_its_fault(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rec = RecordingTransport(Powered(CardRemovedError("gone")), path)
    with pytest.raises(CardRemovedError):
        rec.power_cycle()
    rec.close()
    line = json.loads(path.read_text().splitlines()[1])
    assert (line["power"], line["fault"]) == ("cycle", "card-removed")
    with ReplayTransport(path) as replay, pytest.raises(CardRemovedError):
        replay.power_cycle()


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        ({"i": 0, "power": "off"}, "power", "choice"),
        ({"i": 0, "power": ["cycle"]}, "power", "choice"),
        ({"i": 0, "power": "cycle", "command": "00A40000"}, "command", "unknown"),
        ({"i": 0, "power": "cycle", "response": "9000"}, "response", "unknown"),
    ],
)
def test_a_bad_power_line_is_refused(
    tmp_path: Path, line: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(SessionFileError) as info:
        ReplayTransport(write(tmp_path / "s.jsonl", HEADER, line))
    assert (info.value.field, info.value.code, info.value.line) == (field, code, 2)


def test_through_a_channel(session: Path) -> None:
    channel = ApduChannel(ReplayTransport(session))
    assert channel.send(CommandAPDU(0, 0xA4, 4, 0x0C, bytes.fromhex("D392F000260100000001"))).ok
    assert channel.send(CommandAPDU(0, 0xA4, 2, 0x0C, bytes.fromhex("0018"))).ok
    assert channel.send(CommandAPDU(0, 0x20, 0, 0x80, b"1234", secret=True)).ok
    assert channel.send(CommandAPDU(0, 0xB0, 0, 0, le=4)).data == bytes.fromhex("30820621")


def test_mismatch_names_the_first_deviating_exchange(session: Path) -> None:
    replay = ReplayTransport(session)
    replay.transmit(bytes.fromhex("00A4040C0AD392F000260100000001"))
    with pytest.raises(ReplayMismatchError) as info:
        replay.transmit(bytes.fromhex("00A4020C02001B"))
    assert info.value.index == 1
    assert info.value.expected == "00A4020C020018"
    assert info.value.actual == "00A4020C02001B"
    assert "exchange 1" in str(info.value)
    assert replay.remaining == 3


def test_mismatch_of_length(session: Path) -> None:
    replay = ReplayTransport(session)
    replay.transmit(bytes.fromhex("00A4040C0AD392F000260100000001"))
    replay.transmit(bytes.fromhex("00A4020C020018"))
    with pytest.raises(ReplayMismatchError) as info:
        replay.transmit(bytes.fromhex("00200080053132333435"), secret=True)
    assert info.value.index == 2
    assert info.value.expected == "0020008004XXXXXXXX"
    assert info.value.actual == "0020008005XXXXXXXXXX"


def test_mismatch_hides_the_actual_pin(session: Path) -> None:
    replay = ReplayTransport(session)
    with pytest.raises(ReplayMismatchError) as info:
        replay.transmit(bytes.fromhex("002000800431323334"))  # VERIFY where SELECT was recorded
    assert info.value.index == 0
    assert info.value.actual == "0020008004XXXXXXXX"
    assert "31323334" not in str(info.value)


def test_mismatch_hides_bytes_the_recording_hid(tmp_path: Path) -> None:
    recorded = {"i": 0, "command": "00DA0102XXXXXXXX", "response": "9000"}
    replay = ReplayTransport(write(tmp_path / "s.jsonl", HEADER, recorded))
    with pytest.raises(ReplayMismatchError) as info:
        # secret flag forgotten on the replay side, and another P2
        replay.transmit(bytes.fromhex("00DA010335363738"))
    assert info.value.actual == "00DA0103XXXXXXXX"


def test_exhausted(session: Path) -> None:
    replay = ReplayTransport(session)
    for e in EXCHANGES:
        replay.transmit(bytes.fromhex(e["command"].replace("X", "0")))
    with pytest.raises(ReplayMismatchError) as info:
        replay.transmit(bytes.fromhex("002000800431323334"))
    assert info.value.index == 4
    assert info.value.expected is None
    assert info.value.actual == "0020008004XXXXXXXX"


def test_leftover_exchanges_at_close(session: Path) -> None:
    replay = ReplayTransport(session)
    replay.transmit(bytes.fromhex("00A4040C0AD392F000260100000001"))
    assert replay.remaining == 3
    with pytest.raises(ReplayLeftoverError) as info:
        replay.close()
    assert (info.value.used, info.value.total) == (1, 4)
    replay.close()  # a second close does nothing


def test_leftover_not_strict(session: Path) -> None:
    replay = ReplayTransport(session)
    replay.close(strict=False)
    with pytest.raises(TransportError):
        replay.transmit(bytes.fromhex("00A4040C0AD392F000260100000001"))


def test_context_manager_reports_leftovers(session: Path) -> None:
    with pytest.raises(ReplayLeftoverError), ReplayTransport(session):
        pass


def test_context_manager_keeps_the_first_error(session: Path) -> None:
    with pytest.raises(ReplayMismatchError), ReplayTransport(session) as replay:
        replay.transmit(bytes.fromhex("00B0000000"))


def test_no_exchanges(tmp_path: Path) -> None:
    replay = ReplayTransport(write(tmp_path / "s.jsonl", HEADER))
    assert replay.remaining == 0
    replay.close()


def test_lower_case_hex_is_accepted(tmp_path: Path) -> None:
    exchange = {"i": 0, "command": "00a4040c02xx00", "response": "6a82"}
    replay = ReplayTransport(write(tmp_path / "s.jsonl", HEADER, exchange))
    assert replay.transmit(bytes.fromhex("00A4040C023F00")) == b"\x6a\x82"


def test_ms_is_optional(tmp_path: Path) -> None:
    exchange = {"i": 0, "command": "00B0000000", "response": "9000"}
    ReplayTransport(write(tmp_path / "s.jsonl", HEADER, exchange))


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    exchange = {"i": 0, "command": "00B0000000", "response": "9000", "note": "x"}
    ReplayTransport(write(tmp_path / "s.jsonl", {**HEADER, "extra": 1}, exchange))


def test_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(
        (json.dumps(HEADER) + "\r\n" + json.dumps(EXCHANGES[0]) + "\r\n").encode("utf-8")
    )
    assert ReplayTransport(path).remaining == 1


# -- corrupted files ------------------------------------------------------------


def broken(**changes: Any) -> dict[str, Any]:
    exchange = dict(EXCHANGES[1])
    for key, value in changes.items():
        if value is ...:
            del exchange[key]
        else:
            exchange[key] = value
    return exchange


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (broken(command=...), "command: missing"),
        (broken(response=...), "response: missing"),
        (broken(i=...), "i: missing"),
        (broken(command="00A4020C02001"), "command: must be written like 00A4040C"),
        (broken(command="00A4020C02001G"), "command: must be written like 00A4040C"),
        (broken(command="00 A4 02 0C"), "command: must be written like 00A4040C"),
        (broken(command="00A402"), "command: must be written like 00A4040C"),
        (broken(command=1234), 'command: must be of the form "…"'),
        (broken(response="90XX"), "response: must be written like 9000"),
        (broken(response="900"), "response: must be written like 9000"),
        (broken(response="90"), "response: must be written like 9000"),
        (broken(response=None), 'response: must be of the form "…"'),
        (broken(i="1"), "i: must be one of 1"),
        (broken(i=True), "i: must be one of 1"),
        (broken(i=2), "i: must be one of 1"),
        (broken(ms="fast"), "ms: must be a number from 0 to 86400000"),
        (broken(ms=float("nan")), "ms: must be a number from 0 to 86400000"),
        (broken(ms=-1), "ms: must be a number from 0 to 86400000"),
        (["not", "an", "object"], "must be of the form {…}"),
    ],
)
def test_bad_exchange_line(tmp_path: Path, bad: Any, reason: str) -> None:
    path = write(tmp_path / "s.jsonl", HEADER, EXCHANGES[0], bad, EXCHANGES[2])
    with pytest.raises(SessionFileError) as info:
        ReplayTransport(path)
    assert info.value.path == str(path)
    assert info.value.line == 3
    assert str(info.value) == f"{path}:3: {reason}"


def test_truncated_json_line(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", HEADER, EXCHANGES[0], raw_lines=('{"i": 1, "comm',))
    with pytest.raises(SessionFileError) as info:
        ReplayTransport(path)
    assert (info.value.path, info.value.line) == (str(path), 3)
    assert "not valid JSON" in info.value.reason


def test_empty_line_in_the_middle(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", HEADER, raw_lines=("\n", json.dumps(EXCHANGES[0]) + "\n"))
    with pytest.raises(SessionFileError) as info:
        ReplayTransport(path)
    assert (info.value.line, info.value.field, info.value.reason) == (2, "", "must not be empty")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(json.dumps(HEADER).encode() + b"\n\xff\xfe\n")
    with pytest.raises(SessionFileError) as info:
        ReplayTransport(path)
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({**HEADER, "version": 2}, "version: must be one of 1"),
        ({**HEADER, "version": "1"}, "version: must be one of 1"),
        ({**HEADER, "format": "pcsc-trace"}, "format: must be one of jpkitool-session"),
        ({k: v for k, v in HEADER.items() if k != "version"}, "version: missing"),
        ({k: v for k, v in HEADER.items() if k != "reader"}, "reader: missing"),
        ({k: v for k, v in HEADER.items() if k != "format"}, "format: missing"),
        ({**HEADER, "atr": "3BE"}, "atr: must be written like 3BE000FF8131FE4514"),
        ({**HEADER, "atr": 59}, 'atr: must be of the form "…"'),
        ({**HEADER, "redacted": "PINs"}, "redacted: must be of the form […]"),
        ({**HEADER, "redacted": ["PIN", 1]}, 'redacted[1]: must be of the form "…"'),
        ({**HEADER, "origin": 1}, 'origin: must be of the form "…"'),
        (EXCHANGES[0], "format: missing"),
        ("jpkitool-session", "must be of the form {…}"),
    ],
)
def test_bad_header(tmp_path: Path, header: Any, reason: str) -> None:
    path = write(tmp_path / "s.jsonl", header, EXCHANGES[0])
    with pytest.raises(SessionFileError) as info:
        ReplayTransport(path)
    assert (info.value.path, info.value.line) == (str(path), 1)
    assert str(info.value) == f"{path}:1: {reason}"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"")
    with pytest.raises(SessionFileError) as info:
        ReplayTransport(path)
    assert (info.value.path, info.value.line, info.value.code) == (str(path), None, "empty")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.jsonl"
    with pytest.raises(SessionFileError) as info:
        ReplayTransport(path)
    assert (info.value.path, info.value.line, info.value.code) == (str(path), None, "os")
    assert info.value.params["errno"] == errno.ENOENT


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SessionFileError) as info:
        ReplayTransport(tmp_path)
    assert (info.value.line, info.value.code) == (None, "not-file")
    assert info.value.params == {"kind": "directory"}


# -- record, then replay --------------------------------------------------------


def scripted_card(apdu: bytes) -> bytes:
    """A tiny card: SELECT ok, VERIFY 1234 ok else 63C2, READ BINARY via 61xx."""
    ins = apdu[1]
    if ins == 0xA4:
        return b"\x90\x00"
    if ins == 0x20:
        return b"\x90\x00" if apdu[5:] == b"1234" else b"\x63\xc2"
    if ins == 0xB0:
        return b"\x61\x04"
    if ins == 0xC0:
        return bytes.fromhex("30820621") + b"\x90\x00"
    return b"\x6d\x00"


def conversation(channel: ApduChannel, pin: bytes) -> list[str]:
    answers = [
        channel.send(CommandAPDU(0, 0xA4, 4, 0x0C, bytes.fromhex("D392F000260100000001"))),
        channel.send(CommandAPDU(0, 0x20, 0, 0x80, pin, secret=True)),
        channel.send(CommandAPDU(0, 0xB0, 0x8A, 0, le=256)),
    ]
    return [r.data.hex() + r.sw_hex for r in answers]


def test_record_then_replay(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    inner = FunctionTransport(scripted_card, name="Scripted Reader")
    with RecordingTransport(inner, path, tool_version="test") as rec:
        live = conversation(ApduChannel(rec), b"1234")
    assert b"1234" not in path.read_bytes()
    assert b"31323334" not in path.read_bytes()

    with ReplayTransport(path) as replay:
        assert replay.name == "Scripted Reader"
        assert replay.header["tool"] == "test"
        assert replay.remaining == 4
        assert conversation(ApduChannel(replay), b"1234") == live
    assert live == ["9000", "9000", "308206219000"]


def test_replay_then_record_again_is_identical(tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    second = tmp_path / "second.jsonl"
    with RecordingTransport(FunctionTransport(scripted_card, name="R"), first) as rec:
        conversation(ApduChannel(rec), b"0000")
    with RecordingTransport(ReplayTransport(first), second) as rec:
        conversation(ApduChannel(rec), b"9999")

    def exchanges(path: Path) -> list[tuple[str, str]]:
        rows = [json.loads(line) for line in path.read_text().splitlines()[1:]]
        return [(r["command"], r["response"]) for r in rows]

    assert exchanges(first) == exchanges(second)
    assert json.loads(second.read_text().splitlines()[0])["reader"] == "R"
