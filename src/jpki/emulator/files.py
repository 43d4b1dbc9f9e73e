"""The bytes of the virtual card's data files, built from its state.

Which files exist and who may read them is :mod:`jpki.profile`'s; this module only
lays out their contents. All of it is emulator only (no public dump of a card):

- EF ``0006``: the token label space-padded to 32 bytes, then 32 bytes ``00``.
- EF ``0008``: ``8F 8F 00``; without a sign certificate ``00 8F 00``.
- Certificate EFs: the DER padded with ``00`` to 2048 bytes (no padding when the DER
  is longer), or the DER and ``cert_filler`` bytes ``00`` when the state sets it.
  What real cards hold after the DER is not published.
- 共通カードAP ``0001`` (a record): ``01 1C`` + serial + municipality + expiry
  ``YYYYMMDD``.
- 券面事項入力補助AP ``0001``: ``FF 10 0C`` + the 12 digits of the My Number;
  ``0002``: ``FF 20 L`` + ``DF 21`` (four 2-byte offsets of the next TLVs from the
  start of the file, a guess) + ``DF 22`` name, ``DF 23`` address, ``DF 24`` birth
  ``YYYYMMDD``, ``DF 25`` sex, UTF-8 (tags per jsapdu; the offsets' meaning is not
  published).

The 券面事項入力補助AP files are BER-TLV with the card's own tags, written by
:func:`tlv`: asn1crypto writes DER, whose tag ``FF 10`` would be the one byte ``F0``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import profile
from ..profile import DataFile

if TYPE_CHECKING:
    from .state import CardState

#: Size of a certificate EF by default: DER, then ``00`` filler (emulator only).
CERT_EF_SIZE = 2048
#: Filler byte after a certificate's DER (emulator only: real cards' filler is unknown).
CERT_FILLER = 0x00
#: Size of EF 0006: the 32-byte label, then ``00`` filler (emulator only).
TOKEN_EF_SIZE = 64
#: EF 0008 without a sign certificate: first byte not ``8F`` (emulator only: ``00``).
CERT_FLAGS_NO_SIGN = bytes([0x00, profile.CERT_FLAG_PRESENT, 0x00])
CERT_FLAGS_BOTH = bytes([profile.CERT_FLAG_PRESENT, profile.CERT_FLAG_PRESENT, 0x00])

#: Tags of the 券面事項入力補助AP files (jsapdu).
MY_NUMBER_TAG = b"\xff\x10"
ATTRIBUTES_TAG = b"\xff\x20"
OFFSETS_TAG = b"\xdf\x21"
NAME_TAG = b"\xdf\x22"
ADDRESS_TAG = b"\xdf\x23"
BIRTH_DATE_TAG = b"\xdf\x24"
SEX_TAG = b"\xdf\x25"

#: Certificate EF -> its name (:data:`jpki.profile.CERTIFICATES`, ``CardState.certificates``).
_CERT_NAME = {ef: name for name, ef in profile.CERTIFICATES.items()}


def tlv(tag: bytes, value: bytes) -> bytes:
    """One BER-TLV data object (length in 1 to 3 bytes: up to 65535)."""
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return tag + length + value


def pad(data: bytes, size: int) -> bytes:
    """``data`` followed by ``00`` up to ``size`` bytes."""
    if len(data) > size:  # pragma: no cover - the label is 32 bytes
        raise ValueError(f"{len(data)} bytes do not fit an EF of {size}")
    return data + b"\x00" * (size - len(data))


def cert_ef(der: bytes, filler: int | None) -> bytes:
    """A certificate EF: the DER, then ``filler`` bytes, or padding to :data:`CERT_EF_SIZE`."""
    n = max(0, CERT_EF_SIZE - len(der)) if filler is None else filler
    return der + bytes([CERT_FILLER]) * n


def token_ef(token: profile.Token) -> bytes:
    """EF 0006: the token's label, space-padded, then ``00`` filler."""
    label = profile.TOKEN_LABEL_OF[token].encode("ascii")
    return pad(label.ljust(profile.TOKEN_LABEL_LEN, b" "), TOKEN_EF_SIZE)


def card_record(state: CardState) -> bytes:
    """The 共通カードAP record: serial, municipality, card expiry."""
    body = (state.serial + state.municipality + f"{state.card_expiry:%Y%m%d}").encode("ascii")
    return bytes([profile.CARD_RECORD_TAG, profile.CARD_RECORD_LEN - 2]) + body


def attributes_ef(state: CardState) -> bytes:
    """券面事項入力補助AP EF 0002: offsets, then name, address, birth date and sex."""
    h = state.holder
    items = [
        tlv(NAME_TAG, h.name.encode("utf-8")),
        tlv(ADDRESS_TAG, h.address.encode("utf-8")),
        tlv(BIRTH_DATE_TAG, f"{h.birth_date:%Y%m%d}".encode("ascii")),
        tlv(SEX_TAG, h.sex.encode("ascii")),
    ]
    offsets_len = 2 * len(items)
    body_len = len(tlv(OFFSETS_TAG, bytes(offsets_len))) + sum(len(i) for i in items)
    header = len(tlv(ATTRIBUTES_TAG, bytes(body_len))) - body_len
    offsets, pos = bytearray(), header + len(OFFSETS_TAG) + 1 + offsets_len
    for item in items:
        offsets += pos.to_bytes(2, "big")
        pos += len(item)
    return tlv(ATTRIBUTES_TAG, tlv(OFFSETS_TAG, bytes(offsets)) + b"".join(items))


def ef_image(f: DataFile, state: CardState) -> bytes:
    """The whole content of data file ``f`` on a card in ``state``."""
    if f in _CERT_NAME:
        from .certs import certificate  # here: cryptography loads only when needed

        return cert_ef(certificate(state, _CERT_NAME[f]), state.cert_filler)
    if f is profile.TOKEN_INFO:
        return token_ef(state.token)
    if f is profile.CERT_FLAGS:
        return CERT_FLAGS_BOTH if state.sign_certificate else CERT_FLAGS_NO_SIGN
    if f is profile.CARD_RECORD:
        return card_record(state)
    if f is profile.CARDINFO_MYNUMBER:
        return tlv(MY_NUMBER_TAG, state.my_number.encode("ascii"))
    if f is profile.CARDINFO_ATTRS:
        return attributes_ef(state)
    raise LookupError(f.id)  # pragma: no cover - every profile file is handled above
