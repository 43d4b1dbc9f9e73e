"""Command APDU encoding and decoding (ISO/IEC 7816-4 cases 1-4, short and extended)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from apdu import EXTENDED_MAX, SHORT_MAX, CommandAPDU, EncodingError


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def _data(n: int) -> bytes:
    return bytes(i & 0xFF for i in range(n))


BYTE = st.integers(0, 0xFF)
DATA = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([0, 1, 254, 255, 256, 257, 4096, 65534, 65535]).map(_data),
)
LE = st.one_of(st.none(), st.integers(1, EXTENDED_MAX), st.sampled_from([1, 255, 256, 257]))


@st.composite
def commands(draw: st.DrawFn) -> CommandAPDU:
    data = draw(DATA)
    le = draw(LE)
    fits_short = len(data) < SHORT_MAX and (le is None or le <= SHORT_MAX)
    extended = draw(st.sampled_from([None, True, False] if fits_short else [None, True]))
    return CommandAPDU(draw(BYTE), draw(BYTE), draw(BYTE), draw(BYTE), data, le, extended=extended)


@given(commands())
def test_round_trip(command: CommandAPDU) -> None:
    raw = command.to_bytes()
    parsed = CommandAPDU.parse(raw)
    assert parsed == command
    assert parsed.to_bytes() == raw
    assert command.to_bytes() == raw
    assert bytes(command) == raw
    if command.data or command.le is not None:  # not case 1, which has no length field
        assert parsed.is_extended == command.is_extended


@given(commands())
def test_data_span_locates_the_data(command: CommandAPDU) -> None:
    raw = command.to_bytes()
    start, end = CommandAPDU.data_span(raw)
    assert raw[start:end] == command.data
    assert raw[:4] == command.header


@given(st.binary(max_size=600))
@example(h("00B0000000"))
@example(h("00B0000000FFFF"))
@example(h("0020008000"))
@example(h("00200080000000"))
def test_parse_is_exact_or_raises_encoding_error(raw: bytes) -> None:
    try:
        command = CommandAPDU.parse(raw)
    except EncodingError:
        return
    assert command.to_bytes() == raw


@given(st.binary(min_size=4, max_size=4), st.binary(min_size=1, max_size=300))
def test_parse_of_any_body_never_fails_otherwise(header: bytes, body: bytes) -> None:
    with contextlib.suppress(EncodingError):
        CommandAPDU.parse(header + body)


@pytest.mark.parametrize(
    ("command", "encoded"),
    [
        (
            CommandAPDU(0x00, 0xA4, 0x04, 0x0C, h("D392F000260100000001")),
            "00A4040C0AD392F000260100000001",
        ),
        (CommandAPDU(0x00, 0x20, 0x00, 0x80), "00200080"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=1), "00B0000001"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=255), "00B00000FF"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=256), "00B0000000"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=257), "00B00000000101"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=65535), "00B0000000FFFF"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=65536), "00B00000000000"),
        (CommandAPDU(0x00, 0x88, 0x00, 0x00, h("AABB"), le=256), "0088000002AABB00"),
        (CommandAPDU(0x00, 0x88, 0x00, 0x00, h("AABB"), le=65536), "00880000000002AABB0000"),
        (CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=256, extended=True), "00B00000000100"),
        (CommandAPDU(0x00, 0xD6, 0x00, 0x00, h("01"), extended=True), "00D600000000" + "0101"),
    ],
)
def test_known_encodings(command: CommandAPDU, encoded: str) -> None:
    assert command.to_bytes().hex().upper() == encoded
    assert CommandAPDU.parse(h(encoded)) == command


def test_lc_255_is_short_256_is_extended() -> None:
    short = CommandAPDU(0x00, 0xD6, 0x00, 0x00, _data(255)).to_bytes()
    assert short[:5] == h("00D60000FF")
    assert len(short) == 4 + 1 + 255
    extended = CommandAPDU(0x00, 0xD6, 0x00, 0x00, _data(256)).to_bytes()
    assert extended[:7] == h("00D60000000100")
    assert len(extended) == 4 + 3 + 256


def test_largest_data_field() -> None:
    command = CommandAPDU(0x00, 0xD6, 0x00, 0x00, _data(65535), le=65536)
    raw = command.to_bytes()
    assert raw[4:7] == h("00FFFF")
    assert raw[-2:] == h("0000")
    assert CommandAPDU.parse(raw) == command


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": bytes(65536)},
        {"le": 0},
        {"le": 65537},
        {"le": -1},
        {"le": "x"},
        {"le": 1.0},
        {"le": True},
        {"data": "1234"},
        {"data": [1, 2]},
        {"data": bytes(256), "extended": False},
        {"le": 257, "extended": False},
    ],
)
def test_invalid_fields(kwargs: dict[str, Any]) -> None:
    with pytest.raises(EncodingError):
        CommandAPDU(0x00, 0xB0, 0x00, 0x00, **kwargs)


@pytest.mark.parametrize(
    "header",
    [
        (256, 0, 0, 0),
        (0, 256, 0, 0),
        (0, 0, -1, 0),
        (0, 0, 0, 0x100),
        ("0", 0, 0, 0),
        (0.0, 0, 0, 0),
    ],
)
def test_invalid_header_bytes(header: tuple[Any, Any, Any, Any]) -> None:
    with pytest.raises(EncodingError):
        CommandAPDU(*header)


def test_encoding_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        CommandAPDU(256, 0, 0, 0)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "00",
        "00A404",
        "00A4040C05D392F000",  # Lc 5, 4 data bytes
        "00A4040C02D392F000",  # Lc 2, 4 data bytes
        "00B0000000FF",  # extended marker with one length byte
        "00D6000000000001",  # extended Lc of zero
        "00D6000000000301",  # extended Lc 3, 1 data byte
        "00D60000000002AABB00",  # extended Lc 2 with a 1-byte Le
    ],
)
def test_parse_malformed(raw: str) -> None:
    with pytest.raises(EncodingError):
        CommandAPDU.parse(h(raw))
    with pytest.raises(EncodingError):
        CommandAPDU.data_span(h(raw))


def test_with_le_keeps_the_secret_flag() -> None:
    command = CommandAPDU(0x00, 0x20, 0x00, 0x80, b"1234", secret=True)
    again = command.with_le(16)
    assert again.secret
    assert again.le == 16
    assert again.data == b"1234"


def test_repr_hides_secret_data() -> None:
    text = repr(CommandAPDU(0x00, 0x20, 0x00, 0x80, b"1234", secret=True))
    assert "31323334" not in text
    assert "1234" not in text
    assert "4 secret bytes" in text


@pytest.mark.parametrize(
    ("cla", "ins"), [(0x00, 0x20), (0x00, 0x24), (0x00, 0x2C), (0x80, 0x32), (0x0C, 0x21)]
)
def test_repr_hides_pin_data_even_without_the_secret_flag(cla: int, ins: int) -> None:
    text = repr(CommandAPDU(cla, ins, 0x00, 0x81, b"5039"))
    assert "35303339" not in text and "5039" not in text and "4 secret bytes" in text
    shown = repr(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, b"5039"))  # SELECT: nothing secret
    assert "35303339" in shown


def test_secret_does_not_change_the_encoding() -> None:
    plain = CommandAPDU(0x00, 0x20, 0x00, 0x80, b"1234")
    secret = CommandAPDU(0x00, 0x20, 0x00, 0x80, b"1234", secret=True)
    assert plain.to_bytes() == secret.to_bytes() == h("002000800431323334")
