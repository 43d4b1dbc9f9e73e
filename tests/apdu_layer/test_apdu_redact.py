"""Redaction of secret data fields and matching of redacted commands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apdu import CommandAPDU, EncodingError
from apdu.redact import is_secret, parse_pattern, pattern_matches, redact_command


def matches(recorded_hex: str, actual: bytes) -> bool:
    return pattern_matches(parse_pattern(recorded_hex), actual)


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


@pytest.mark.parametrize(
    ("raw", "secret", "text"),
    [
        # VERIFY with a PIN, in any class
        ("00 20 00 80 04 31 32 33 34", False, "0020008004XXXXXXXX"),
        ("0C 20 00 80 04 31 32 33 34", False, "0C20008004XXXXXXXX"),
        ("80 20 00 80 04 31 32 33 34", False, "8020008004XXXXXXXX"),
        # CHANGE REFERENCE DATA, and its odd-INS form
        ("00 24 01 80 04 35 36 37 38", False, "0024018004XXXXXXXX"),
        ("00 25 01 80 04 35 36 37 38", False, "0025018004XXXXXXXX"),
        # JICSAP CHANGE KEY
        ("80 32 00 80 04 35 36 37 38", False, "8032008004XXXXXXXX"),
        # the tool's own secret flag, any instruction
        ("00 88 00 00 04 AA BB CC DD 00", True, "0088000004XXXXXXXX00"),
        ("00 A4 04 0C 02 3F 00", True, "00A4040C02XXXX"),
    ],
)
def test_redacted(raw: str, secret: bool, text: str) -> None:
    assert redact_command(h(raw), secret) == (text, True)


@pytest.mark.parametrize(
    "raw",
    [
        "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01",
        "00 B0 8A 00 00",
        "00 32 00 80 04 35 36 37 38",  # INS 32 in the ISO class: INCREASE, not CHANGE KEY
        "00 D6 00 00 02 31 32",
    ],
)
def test_not_redacted(raw: str) -> None:
    assert redact_command(h(raw), False) == (h(raw).hex().upper(), False)


def test_verify_without_data_has_nothing_to_hide() -> None:
    assert redact_command(h("00200080"), False) == ("00200080", False)
    assert is_secret(h("00200080"))


def test_le_stays_visible() -> None:
    text, redacted = redact_command(h("0020008004313233340A"), False)
    assert text == "0020008004XXXXXXXX0A"
    assert redacted


def test_extended_data() -> None:
    raw = CommandAPDU(0x00, 0x24, 0x01, 0x80, b"A" * 300, le=2).to_bytes()
    text, redacted = redact_command(raw, False)
    assert redacted
    assert text == "00240180" + "00012C" + "XX" * 300 + "0002"


@pytest.mark.parametrize(
    ("raw", "secret", "text"),
    [
        ("00 20 00 80 05 31 32 33 34", False, "00200080" + "XX" * 5),  # Lc says 5, 4 bytes
        ("00 24 01 80 31 32", False, "00240180XXXX"),
        ("00 88 00 00 09 31 32 33 34", True, "00880000" + "XX" * 5),
        ("00 20 00", False, "002000"),
        ("00 D6 00 00 05 31 32", False, "00D60000053132"),  # malformed but not secret
    ],
)
def test_unparsable_commands_never_leak(raw: str, secret: bool, text: str) -> None:
    assert redact_command(h(raw), secret)[0] == text


@given(st.binary(min_size=4, max_size=80), st.booleans())
def test_redacted_text_matches_its_command(raw: bytes, secret: bool) -> None:
    text, _ = redact_command(raw, secret)
    assert len(text) == 2 * len(raw)
    assert matches(text, raw)


@given(
    st.integers(0, 0xFF),
    st.sampled_from([0x20, 0x24]),
    st.binary(min_size=1, max_size=300),
    st.one_of(st.none(), st.integers(1, 65536)),
)
def test_pin_never_shows(cla: int, ins: int, pin: bytes, le: int | None) -> None:
    command = CommandAPDU(cla, ins, 0x00, 0x80, pin, le)
    raw = command.to_bytes()
    text, redacted = redact_command(raw, False)
    assert redacted
    start, end = CommandAPDU.data_span(raw)
    assert text[2 * start : 2 * end] == "XX" * len(pin)
    assert text[: 2 * start] == raw[:start].hex().upper()
    assert text[2 * end :] == raw[end:].hex().upper()


def test_matches() -> None:
    assert matches("00A4040C", h("00A4040C"))
    assert matches("00a4040c", h("00A4040C"))
    assert matches("0020008004XXXXXXXX", h("002000800431323334"))
    assert matches("0020008004xxxxxxxx", h("002000800439393939"))
    assert not matches("0020008004XXXXXXXX", h("002000810431323334"))
    assert not matches("0020008004XXXXXXXX", h("00200080043132333400"))
    assert not matches("00A4040C", h("00A4040D"))
    assert not matches("00A4040C", h("00A404"))


@pytest.mark.parametrize("text", ["0", "00A4G0", "00 A4", "0X", "X0", "00A4040C0"])
def test_bad_patterns(text: str) -> None:
    with pytest.raises(EncodingError):
        parse_pattern(text)
    with pytest.raises(EncodingError):
        matches(text, b"\x00\xa4")


def test_parse_pattern() -> None:
    assert parse_pattern("00XXff") == (0x00, None, 0xFF)
    assert parse_pattern("") == ()
