"""The APDU trace: readable lines, secrets redacted."""

from __future__ import annotations

import io
import re

import pytest

from apdu import ApduChannel, CommandAPDU, FunctionTransport, TransportError
from apdu.trace import TracingTransport, format_command, format_response


def card(apdu: bytes) -> bytes:
    if apdu[1] == 0x20:
        return b"\x63\xc2"
    if apdu[1] == 0xB0:
        return b"\x30\x82\x90\x00"
    return b"\x90\x00"


def test_lines() -> None:
    out = io.StringIO()
    channel = ApduChannel(TracingTransport(FunctionTransport(card), out))
    channel.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("D392F000260100000001")))
    channel.send(CommandAPDU(0x00, 0x20, 0x00, 0x80, b"1234", secret=True))
    channel.send(CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=2))
    lines = out.getvalue().splitlines()
    assert lines[0] == "> 00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"
    assert re.fullmatch(r"< 90 00  \(9000: normal processing\)  \d+\.\d ms", lines[1])
    assert lines[2] == "> 00 20 00 80 04 XX XX XX XX"
    assert re.fullmatch(
        r"< 63 C2  \(63C2: verification failed, 2 tries left\)  \d+\.\d ms", lines[3]
    )
    assert lines[4] == "> 00 B0 00 00 02"
    assert lines[5].startswith("< 30 82 90 00  (9000: normal processing)  ")
    assert len(lines) == 6


def test_pin_never_shown_even_unmarked() -> None:
    out = io.StringIO()
    TracingTransport(FunctionTransport(card), out).transmit(bytes.fromhex("002401800435363738"))
    text = out.getvalue()
    assert "35 36 37 38" not in text
    assert "5678" not in text
    assert "> 00 24 01 80 04 XX XX XX XX" in text


def test_default_stream_is_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    TracingTransport(FunctionTransport(card)).transmit(bytes.fromhex("00A4040C023F00"))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("> 00 A4 04 0C 02 3F 00\n< 90 00  (9000")


def test_errors_are_traced_and_raised() -> None:
    def removed(apdu: bytes) -> bytes:
        raise TransportError("card removed")

    out = io.StringIO()
    with pytest.raises(TransportError):
        TracingTransport(FunctionTransport(removed), out).transmit(bytes.fromhex("00B0000000"))
    assert out.getvalue().splitlines() == ["> 00 B0 00 00 00", "! TransportError: card removed"]


def test_format_helpers() -> None:
    assert format_command(bytes.fromhex("00880000020102"), secret=True) == "> 00 88 00 00 02 XX XX"
    assert (
        format_response(b"\x6a\x82", 1.25)
        == "< 6A 82  (6A82: file or application not found)  1.2 ms"
    )
    assert "malformed" in format_response(b"\x90", 0.0)
    assert "malformed" in format_response(b"", 0.0)


def test_forwards_name_atr_and_close() -> None:
    closed: list[bool] = []

    class Inner(FunctionTransport):
        def close(self, *, unpower: bool = False) -> None:
            closed.append(True)

    inner = Inner(card, name="Reader X")
    inner._atr = b"\x3b\x00"
    tracer = TracingTransport(inner, io.StringIO())
    assert tracer.name == "Reader X"
    assert tracer.atr == b"\x3b\x00"
    tracer.close()
    assert closed == [True]
