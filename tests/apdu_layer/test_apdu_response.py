"""Response APDUs and status words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apdu import STATUS_WORDS, EncodingError, ResponseAPDU, describe


def test_parse_status_only() -> None:
    response = ResponseAPDU.parse(bytes.fromhex("9000"))
    assert response.data == b""
    assert response.sw == 0x9000
    assert response.sw1 == 0x90
    assert response.sw2 == 0x00
    assert response.ok
    assert response.sw_hex == "9000"
    assert describe(response.sw) == "normal processing"


def test_parse_data_and_status() -> None:
    response = ResponseAPDU.parse(bytes.fromhex("3082062163C2"))
    assert response.data == bytes.fromhex("30820621")
    assert response.sw == 0x63C2
    assert not response.ok


@given(st.binary(max_size=300), st.integers(0, 0xFFFF))
def test_round_trip(data: bytes, sw: int) -> None:
    response = ResponseAPDU(data, sw)
    assert ResponseAPDU.parse(response.to_bytes()) == response


@pytest.mark.parametrize("raw", [b"", b"\x90"])
def test_too_short(raw: bytes) -> None:
    with pytest.raises(EncodingError):
        ResponseAPDU.parse(raw)


@pytest.mark.parametrize("n", range(16))
def test_retries_left(n: int) -> None:
    assert ResponseAPDU(b"", 0x63C0 | n).retries_left == n


@pytest.mark.parametrize("sw", [0x9000, 0x6300, 0x63B1, 0x63D0, 0x6984, 0x6983, 0x62C1])
def test_no_retries_left(sw: int) -> None:
    assert ResponseAPDU(b"", sw).retries_left is None


@pytest.mark.parametrize(("sw", "n"), [(0x6101, 1), (0x6110, 16), (0x61FF, 255), (0x6100, 256)])
def test_more_available(sw: int, n: int) -> None:
    response = ResponseAPDU(b"", sw)
    assert response.more_available == n
    assert response.correct_le is None


@pytest.mark.parametrize(("sw", "n"), [(0x6C01, 1), (0x6C20, 32), (0x6CFF, 255), (0x6C00, 256)])
def test_correct_le(sw: int, n: int) -> None:
    response = ResponseAPDU(b"", sw)
    assert response.correct_le == n
    assert response.more_available is None


def test_neither_more_nor_le_for_success() -> None:
    response = ResponseAPDU(b"\x01", 0x9000)
    assert response.more_available is None
    assert response.correct_le is None


def test_repr() -> None:
    assert repr(ResponseAPDU(b"\xab", 0x6A82)) == "ResponseAPDU(data=AB, sw=6A82)"


@pytest.mark.parametrize(
    ("sw", "text"),
    [
        (0x9000, "normal processing"),
        (0x6982, "security status not satisfied"),
        (0x6983, "authentication method blocked"),
        (0x6984, "reference data not usable (blocked)"),
        (0x6A82, "file or application not found"),
        (0x6B00, "wrong parameters P1-P2 (offset outside the file)"),
        (0x6300, "warning: verification failed (no retry counter)"),
        (0x6881, "logical channel not supported"),
    ],
)
def test_describe_exact(sw: int, text: str) -> None:
    assert describe(sw) == text


@pytest.mark.parametrize(
    ("sw", "text"),
    [
        (0x63C2, "verification failed, 2 tries left"),
        (0x63C1, "verification failed, 1 try left"),
        (0x6101, "1 more byte available (GET RESPONSE)"),
        (0x6C01, "wrong Le, 1 byte available"),
        (0x63C0, "verification failed, 0 tries left"),
        (0x63CF, "verification failed, 15 tries left"),
        (0x6110, "16 more bytes available (GET RESPONSE)"),
        (0x6100, "256 more bytes available (GET RESPONSE)"),
        (0x6C20, "wrong Le, 32 bytes available"),
        (0x6C00, "wrong Le, 256 bytes available"),
        (0x6A99, "wrong parameters P1-P2"),
        (0x6999, "command not allowed"),
        (0x6201, "warning, non-volatile memory unchanged"),
        (0x6301, "warning, non-volatile memory changed"),
        (0x6602, "security-related issue"),
    ],
)
def test_describe_patterns(sw: int, text: str) -> None:
    assert describe(sw) == text


@pytest.mark.parametrize("sw", [0x0000, 0x1234, 0x9001, 0xFFFF, 0x6000])
def test_describe_unknown(sw: int) -> None:
    assert describe(sw) == "unknown status"


def test_every_listed_word_is_described_as_listed() -> None:
    for sw, text in STATUS_WORDS.items():
        assert describe(sw) == text


@given(st.integers(0, 0xFFFF))
def test_describe_never_fails(sw: int) -> None:
    assert describe(sw)
