"""read_ef: one way to read a transparent file of any length, APDU by APDU."""

from __future__ import annotations

import pytest

from apdu import CardRemovedError, CardUnresponsiveError, FunctionTransport
from jpki import profile
from jpki.card import MyNumberCard
from jpki.certificate import CertificateError
from jpki.emulator import VirtualCard, build_state
from jpki.emulator.certs import certificates
from jpki.errors import CardError

SELECT_JPKI = "00A4040C0AD392F000260100000001"
AUTH = profile.AUTH_CERT


class EF:
    """A card with one transparent EF (JPKI 000A) holding ``content``, answering READ
    BINARY by SFI and by offset, short and (optionally) extended."""

    def __init__(self, content: bytes, *, extended: bool = True, reader_extended: bool = True):
        self.content = content
        self.extended = extended
        self.reader_extended = reader_extended
        self.sent: list[str] = []

    def __call__(self, apdu: bytes) -> bytes:
        self.sent.append(apdu.hex().upper())
        if apdu[1] == 0xA4:
            return b"\x90\x00"
        assert apdu[1] == 0xB0
        is_extended = len(apdu) == 7
        if is_extended and not self.reader_extended:
            raise CardUnresponsiveError("the reader does not carry extended APDUs")
        if is_extended and not self.extended:
            return b"\x67\x00"
        offset = apdu[3] if apdu[2] & 0x80 else (apdu[2] << 8) | apdu[3]
        le = int.from_bytes(apdu[5:7], "big") or 65536 if is_extended else apdu[4] or 256
        if offset >= len(self.content):
            return b"\x6b\x00"
        return self.content[offset : offset + le] + b"\x90\x00"


DER = certificates(build_state()).auth


def test_one_extended_read_gives_exactly_the_der_object() -> None:
    ef = EF(DER + b"\x00" * 300)
    card = MyNumberCard(FunctionTransport(ef))
    assert card.read_ef(profile.JPKI, AUTH.fid, "auth") == DER
    assert ef.sent == [SELECT_JPKI, "00B08A0000" + "0000"]
    assert card.extended is True


@pytest.mark.parametrize("reader_extended", [True, False])
def test_without_extended_length_256_byte_chunks_and_it_is_remembered(
    reader_extended: bool,
) -> None:
    ef = EF(DER + b"\xff" * 50, extended=False, reader_extended=reader_extended)
    card = MyNumberCard(FunctionTransport(ef))
    assert card.read_ef(profile.JPKI, AUTH.fid, "auth") == DER
    chunks = -(-len(DER) // 256)
    assert ef.sent[:3] == [SELECT_JPKI, "00B08A00000000", "00B08A0000"]
    assert len(ef.sent) == 2 + chunks
    assert ef.sent[3] == "00B0010000"  # offset 256 by P1-P2, the EF being current
    assert card.extended is False
    ef.sent.clear()
    card.read_ef(profile.JPKI, profile.AUTH_CA_CERT.fid, "auth-ca")
    assert not any(len(a) == 14 for a in ef.sent)  # no extended try again


def test_a_card_removed_during_an_extended_read_is_not_retried() -> None:
    def gone(apdu: bytes) -> bytes:
        if apdu[1] == 0xA4:
            return b"\x90\x00"
        raise CardRemovedError("gone")

    with pytest.raises(CardRemovedError):
        MyNumberCard(FunctionTransport(gone)).read_ef(profile.JPKI, AUTH.fid)


@pytest.mark.parametrize(
    ("quirks", "apdus"),
    [
        ({}, 2),  # SELECT JPKI + one extended READ BINARY
        ({"no_extended": True}, 2 + 4),  # + the refused extended try, 4 chunks
        ({"no_extended": True, "get_response": True}, 2 + 4 * 2),  # each chunk 61xx + C0
        ({"no_sfi": True}, 4),  # SFI refused: SELECT EF + READ
    ],
)
def test_the_virtual_card_in_every_form(quirks: dict[str, bool], apdus: int) -> None:
    state = build_state(quirks=quirks)
    vc = VirtualCard(state)
    vc.power_on()
    sent: list[bytes] = []

    def send(apdu: bytes) -> bytes:
        sent.append(apdu)
        return vc.process(apdu)

    card = MyNumberCard(FunctionTransport(send))
    assert card.read_ef(profile.JPKI, AUTH.fid, "auth") == certificates(state).auth
    assert len(sent) == apdus, [a.hex() for a in sent]


def test_a_truncated_file_is_a_certificate_error() -> None:
    ef = EF(DER[:700], extended=False)
    card = MyNumberCard(FunctionTransport(ef))
    with pytest.raises(CertificateError) as err:
        card.read_ef(profile.JPKI, AUTH.fid, "auth")
    assert "truncated" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "content",
    [
        b"\x04\x82\x06\x20" + b"\x00" * 100,  # not a SEQUENCE
        b"\x30\x80" + b"\x00" * 100,  # indefinite length
        b"\x30\x85\x01\x02\x03\x04\x05" + b"\x00" * 100,  # length of length 5
        b"",  # empty
    ],
)
def test_an_impossible_der_length_is_a_certificate_error(content: bytes) -> None:
    card = MyNumberCard(FunctionTransport(EF(content)))
    with pytest.raises(CertificateError):
        card.read_ef(profile.JPKI, AUTH.fid, "auth")


def test_a_refused_read_is_a_card_error() -> None:
    def refuse(apdu: bytes) -> bytes:
        return b"\x90\x00" if apdu[1] == 0xA4 and apdu[2] == 0x04 else b"\x69\x82"

    with pytest.raises(CardError) as err:
        MyNumberCard(FunctionTransport(refuse)).read_ef(profile.JPKI, profile.SIGN_CERT.fid)
    assert err.value.sw == 0x6982


def test_read_small_is_the_same_first_read() -> None:
    ef = EF(b"JPKIAPICCTOKEN2".ljust(32, b" ") + b"\x00" * 32)
    card = MyNumberCard(FunctionTransport(ef))
    resp = card.read_small(profile.JPKI, profile.TOKEN_INFO.fid, 32)
    assert resp.data.startswith(b"JPKIAPICCTOKEN2")
    assert ef.sent == [SELECT_JPKI, "00B0860020"]
