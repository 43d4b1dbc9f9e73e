"""ApduChannel over a scripted card: GET RESPONSE chains and Le corrections."""

from __future__ import annotations

import pytest

from apdu import ApduChannel, BaseTransport, CommandAPDU, EncodingError, FunctionTransport
from apdu.transport import MAX_GET_RESPONSE


class Script:
    """A card that expects exactly the listed commands and gives the listed answers."""

    def __init__(self, *pairs: tuple[str, str]) -> None:
        self.pairs = [(c.replace(" ", ""), r.replace(" ", "")) for c, r in pairs]
        self.sent: list[str] = []

    def __call__(self, apdu: bytes) -> bytes:
        text = apdu.hex().upper()
        self.sent.append(text)
        assert self.pairs, f"unexpected extra command {text}"
        expected, response = self.pairs.pop(0)
        assert text == expected
        return bytes.fromhex(response)

    def channel(self, *, extended: bool = True) -> ApduChannel:
        return ApduChannel(FunctionTransport(self, name="scripted"), extended=extended)

    def done(self) -> bool:
        return not self.pairs


def test_plain_exchange() -> None:
    card = Script(("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", "90 00"))
    channel = card.channel()
    response = channel.send(
        CommandAPDU(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("D392F000260100000001"))
    )
    assert response.ok
    assert response.data == b""
    assert channel.count == 1
    assert card.done()


def test_get_response_chain() -> None:
    part1 = bytes(range(16)).hex()
    part2 = bytes(range(16, 21)).hex()
    card = Script(
        ("00 A4 04 00 02 3F 00 00", "61 10"),
        ("00 C0 00 00 10", part1 + "61 05"),
        ("00 C0 00 00 05", part2 + "90 00"),
    )
    channel = card.channel()
    response = channel.send(CommandAPDU(0x00, 0xA4, 0x04, 0x00, b"\x3f\x00", le=256))
    assert response.sw == 0x9000
    assert response.data == bytes(range(21))
    assert card.sent == ["00A40400023F0000", "00C0000010", "00C0000005"]
    assert channel.count == 3
    assert card.done()


def test_data_before_61xx_is_kept() -> None:
    card = Script(
        ("00 B0 00 00 00", "AA BB 61 02"),
        ("00 C0 00 00 02", "CC DD 90 00"),
    )
    channel = card.channel()
    response = channel.send(CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=256))
    assert response.data == bytes.fromhex("AABBCCDD")
    assert response.ok
    assert channel.count == 2


def test_6100_asks_for_256_bytes() -> None:
    card = Script(
        ("00 B0 00 00 00", "61 00"),
        ("00 C0 00 00 00", "00" * 256 + "90 00"),
    )
    response = card.channel().send(CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=256))
    assert len(response.data) == 256
    assert card.done()


def test_wrong_le_is_resent() -> None:
    card = Script(
        ("00 B0 00 00 00", "6C 20"),
        ("00 B0 00 00 20", "11" * 32 + "90 00"),
    )
    channel = card.channel()
    response = channel.send(CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=256))
    assert response.data == b"\x11" * 32
    assert response.ok
    assert card.sent == ["00B0000000", "00B0000020"]
    assert channel.count == 2


def test_wrong_le_then_get_response() -> None:
    card = Script(
        ("00 B0 00 00 10", "6C 20"),
        ("00 B0 00 00 20", "11" * 16 + "61 10"),
        ("00 C0 00 00 10", "22" * 16 + "90 00"),
    )
    channel = card.channel()
    response = channel.send(CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=16))
    assert response.data == b"\x11" * 16 + b"\x22" * 16
    assert channel.count == 3


def test_get_response_answered_with_wrong_le() -> None:
    card = Script(
        ("00 B0 00 00 00", "61 10"),
        ("00 C0 00 00 10", "6C 08"),
        ("00 C0 00 00 08", "33" * 8 + "90 00"),
    )
    channel = card.channel()
    response = channel.send(CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=256))
    assert response.data == b"\x33" * 8
    assert channel.count == 3


def test_6cxx_without_le_is_returned_as_is() -> None:
    card = Script(("00 D6 00 00 01 AA", "6C 20"))
    channel = card.channel()
    response = channel.send(CommandAPDU(0x00, 0xD6, 0x00, 0x00, b"\xaa"))
    assert response.sw == 0x6C20
    assert channel.count == 1


@pytest.mark.parametrize(("cla", "get_response_cla"), [(0x00, "00"), (0x01, "01"), (0x80, "00")])
def test_get_response_class(cla: int, get_response_cla: str) -> None:
    card = Script(
        (f"{cla:02X} CA 00 00 00", "61 01"),
        (f"{get_response_cla} C0 00 00 01", "01 90 00"),
    )
    card.channel().send(CommandAPDU(cla, 0xCA, 0x00, 0x00, le=256))
    assert card.done()


def test_error_status_is_returned() -> None:
    card = Script(("00 20 00 80 04 31 32 33 34", "63 C2"))
    response = card.channel().send(CommandAPDU(0x00, 0x20, 0x00, 0x80, b"1234", secret=True))
    assert response.retries_left == 2


def test_extended_disabled_refuses_extended_commands() -> None:
    card = Script()
    channel = card.channel(extended=False)
    with pytest.raises(EncodingError):
        channel.send(CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=65536))
    assert channel.count == 0
    assert card.sent == []


def test_extended_command() -> None:
    card = Script(("00 B0 00 00 00 06 25", "44" * 1573 + "90 00"))
    response = card.channel().send(CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=1573))
    assert len(response.data) == 1573


def test_malformed_response() -> None:
    card = Script(("00 B0 00 00 00", "90"))
    with pytest.raises(EncodingError):
        card.channel().send(CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=256))


def test_endless_get_response_is_bounded() -> None:
    sent: list[bytes] = []

    def card(apdu: bytes) -> bytes:
        sent.append(apdu)
        return b"\x00\x61\x01"

    channel = ApduChannel(FunctionTransport(card))
    response = channel.send(CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=1))
    assert channel.count == 1 + MAX_GET_RESPONSE
    assert len(sent) == 1 + MAX_GET_RESPONSE
    assert response.sw == 0x6101


class SecretSpy(BaseTransport):
    """Notes the ``secret`` flag of every exchange."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.flags: list[tuple[str, bool]] = []

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        self.flags.append((apdu.hex().upper(), secret))
        return bytes.fromhex(self.answers.pop(0))


def test_secret_flag_reaches_the_transport_but_not_get_response() -> None:
    spy = SecretSpy(["6C04", "6102", "AABB9000"])
    channel = ApduChannel(spy)
    channel.send(CommandAPDU(0x00, 0x20, 0x00, 0x80, b"1234", le=256, secret=True))
    assert spy.flags == [
        ("00200080043132333400", True),
        ("00200080043132333404", True),
        ("00C0000002", False),
    ]
