"""The bytes of the virtual card's data files, built from its state.

Which files exist and who may read them is :mod:`jpki.profile`'s, and so are the
layouts public sources show (the 共通カードAP record, the 券面事項入力補助AP's tags);
this module lays out the contents. Emulator only (no public dump of a card):

- EF ``0006``: the token label space-padded to 32 bytes, then 32 bytes ``00``.
- EF ``0008``: ``8F 8F 00``; without a sign certificate ``00 8F 00``.
- Certificate EFs: the DER padded with ``00`` to 2048 bytes (no padding when the DER
  is longer), or the DER and ``cert_filler`` bytes ``00`` when the state sets it.
  What real cards hold after the DER is not published.
- 券面事項入力補助AP ``0002``: the offsets in ``DF 21`` count from the start of the
  file (a guess).

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
#: Size of EF 0006: the 32-byte label, then ``00`` filler (emulator only).
TOKEN_EF_SIZE = 64

#: Certificate EF -> its name (:data:`jpki.profile.CERTIFICATES`, ``CardState.certificates``).
_CERT_NAME = {ef: name for name, ef in profile.CERTIFICATES.items()}


def tlv(tag: bytes, value: bytes) -> bytes:
    """One BER-TLV data object (length in 1 to 3 bytes: up to 65535)."""
    n = len(value)
    if n < 0x80:
        return tag + bytes([n]) + value
    size = 1 if n < 0x100 else 2
    return tag + bytes([0x80 | size]) + n.to_bytes(size, "big") + value


def attributes_ef(state: CardState) -> bytes:
    """券面事項入力補助AP EF 0002: offsets, then name, address, birth date and sex."""
    h = state.holder
    text = {**vars(h), "birth_date": f"{h.birth_date:%Y%m%d}"}
    items = [tlv(tag, text[name].encode("utf-8")) for name, tag in profile.ATTRIBUTE_TAGS.items()]
    offsets_len = 2 * len(items)
    body_len = len(tlv(profile.ATTRIBUTE_OFFSETS_TAG, bytes(offsets_len))) + sum(map(len, items))
    header = len(tlv(profile.ATTRIBUTES_TAG, bytes(body_len))) - body_len
    offsets, pos = bytearray(), header + len(profile.ATTRIBUTE_OFFSETS_TAG) + 1 + offsets_len
    for item in items:
        offsets += pos.to_bytes(2, "big")
        pos += len(item)
    body = tlv(profile.ATTRIBUTE_OFFSETS_TAG, bytes(offsets)) + b"".join(items)
    return tlv(profile.ATTRIBUTES_TAG, body)


def ef_image(f: DataFile, state: CardState) -> bytes:
    """The whole content of data file ``f`` on a card in ``state``."""
    if f in _CERT_NAME:
        from .certs import certificate  # here: cryptography loads only when needed

        der, filler = certificate(state, _CERT_NAME[f]), state.cert_filler
        return der.ljust(CERT_EF_SIZE, b"\x00") if filler is None else der + bytes(filler)
    if f is profile.TOKEN_INFO:  # the label, space-padded, then 00 filler
        label = profile.TOKEN_LABEL_OF[state.token].encode("ascii")
        return label.ljust(profile.TOKEN_LABEL_LEN, b" ").ljust(TOKEN_EF_SIZE, b"\x00")
    if f is profile.CERT_FLAGS:  # without a sign certificate the first byte is not 8F: 00 here
        present = profile.CERT_FLAG_PRESENT
        return bytes([present if state.sign_certificate else 0x00, present, 0x00])
    if f is profile.CARD_RECORD:
        body = state.serial + state.municipality + f"{state.card_expiry:%Y%m%d}"
        return bytes([profile.CARD_RECORD_TAG, profile.CARD_RECORD_LEN - 2]) + body.encode("ascii")
    if f is profile.CARDINFO_MYNUMBER:
        return tlv(profile.MY_NUMBER_TAG, state.my_number.encode("ascii"))
    if f is profile.CARDINFO_ATTRS:
        return attributes_ef(state)
    raise LookupError(f.id)  # pragma: no cover - every profile file is handled above
