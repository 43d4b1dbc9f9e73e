"""Recording sessions: file format, and PINs never reaching the file."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apdu import (
    ApduChannel,
    BaseTransport,
    CommandAPDU,
    TransportError,
)
from apdu.outfile import OutputError
from apdu.recording import RecordingTransport

ATR = bytes.fromhex("3BE000FF8131FE4514")


class Card(BaseTransport):
    """A reader with a scripted card; notes whether it was closed."""

    def __init__(self, answer: Callable[[bytes], bytes] | None = None) -> None:
        self._name = "Test Reader 00 00"
        self._atr = ATR
        self.answer = answer or (lambda apdu: b"\x90\x00")
        self.closed = False
        self.secrets: list[bool] = []

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        self.secrets.append(secret)
        return self.answer(apdu)

    def close(self, *, unpower: bool = False) -> None:
        self.closed = True


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_header_and_exchanges(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    card = Card(lambda apdu: b"\x63\xc3" if apdu[1] == 0x20 else b"\x90\x00")
    with RecordingTransport(card, path, tool_version="jpkitool 0.1.0") as rec:
        assert rec.name == "Test Reader 00 00"
        assert rec.atr == ATR
        assert rec.transmit(bytes.fromhex("00A4040C0AD392F000260100000001")) == b"\x90\x00"
        assert rec.transmit(bytes.fromhex("00200080")) == b"\x63\xc3"
        assert rec.count == 2
    assert card.closed
    header, *exchanges = lines(path)
    assert header["format"] == "jpkitool-session"
    assert header["version"] == 1
    assert header["tool"] == "jpkitool 0.1.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", header["created"])
    assert header["reader"] == "Test Reader 00 00"
    assert header["atr"] == "3BE000FF8131FE4514"
    assert header["origin"] is None
    assert header["redacted"]
    assert all(isinstance(item, str) for item in header["redacted"])
    assert [(e["i"], e["command"], e["response"]) for e in exchanges] == [
        (0, "00A4040C0AD392F000260100000001", "9000"),
        (1, "00200080", "63C3"),
    ]
    for e in exchanges:
        assert set(e) == {"i", "command", "response", "ms"}
        assert isinstance(e["ms"], float)
        assert e["ms"] >= 0
        assert round(e["ms"], 1) == e["ms"]


def test_origin(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    RecordingTransport(Card(), path, origin="emulator").close()
    assert lines(path)[0]["origin"] == "emulator"


def test_each_line_is_flushed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rec = RecordingTransport(Card(), path)
    assert len(lines(path)) == 1
    rec.transmit(bytes.fromhex("00B0000000"))
    assert len(lines(path)) == 2
    rec.close()


def pin_free(path: Path, pin: bytes) -> None:
    """Assert ``pin`` is nowhere in the file: not as ASCII, not as hex of either case."""
    content = path.read_bytes()
    assert pin not in content
    assert pin.hex().encode() not in content
    assert pin.hex().upper().encode() not in content
    spaced = " ".join(f"{b:02X}" for b in pin).encode()
    assert spaced not in content


def test_verify_pin_never_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with RecordingTransport(Card(), path) as rec:
        # not even marked secret: the VERIFY rule alone must hide it
        rec.transmit(bytes.fromhex("002000800431323334"))
    pin_free(path, b"1234")
    assert lines(path)[1]["command"] == "0020008004XXXXXXXX"


def test_change_pin_never_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    channel = ApduChannel(RecordingTransport(Card(), path))
    channel.send(CommandAPDU(0x00, 0x20, 0x00, 0x80, b"ABC123", secret=True))
    channel.send(CommandAPDU(0x00, 0x24, 0x01, 0x80, b"XYZ789"))
    channel.send(CommandAPDU(0x80, 0x32, 0x00, 0x80, b"4321"))
    channel.transport.close()
    for pin in (b"ABC123", b"XYZ789", b"4321"):
        pin_free(path, pin)


def test_secret_marked_command_never_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    card = Card()
    with RecordingTransport(card, path) as rec:
        rec.transmit(bytes.fromhex("00DA01020435363738"), secret=True)
    assert card.secrets == [True]
    pin_free(path, b"5678")
    assert lines(path)[1]["command"] == "00DA010204XXXXXXXX"


def test_malformed_verify_never_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with RecordingTransport(Card(), path) as rec:
        rec.transmit(bytes.fromhex("00200080063132333435"))  # Lc 6, 5 bytes
    pin_free(path, b"12345")


def test_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    RecordingTransport(Card(), path).close()
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_existing_file_is_replaced_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text("old content that is much longer than a header line\n" * 100)
    with pytest.raises(OutputError) as info:
        RecordingTransport(Card(), path)
    assert info.value.code == "exists" and len(path.read_text().splitlines()) == 100
    RecordingTransport(Card(), path, overwrite=True).close()
    assert len(lines(path)) == 1


def test_unwritable_path(tmp_path: Path) -> None:
    path = tmp_path / "missing-dir" / "s.jsonl"
    card = Card()
    with pytest.raises(OutputError) as info:
        RecordingTransport(card, path)
    assert (info.value.path, info.value.code) == (str(path), "no-folder")


def test_inner_errors_propagate_unrecorded(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"

    def broken(apdu: bytes) -> bytes:
        raise TransportError("card removed")

    with RecordingTransport(Card(broken), path) as rec, pytest.raises(TransportError):
        rec.transmit(bytes.fromhex("00B0000000"))
    assert len(lines(path)) == 1


def test_close_twice_and_transmit_after_close(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rec = RecordingTransport(Card(), path)
    rec.close()
    rec.close()
    with pytest.raises(TransportError):
        rec.transmit(bytes.fromhex("00B0000000"))
