"""Opt-in: on a real card, a PIN command leaves the card unverified for a program that
stayed connected throughout (docs/card.md §6). SPENDS NO TRY when the PIN you give
is right. Runs only for ① or ④ with its value in ``JPKITOOL_HW_PIN_SIGN`` or
``JPKITOOL_HW_PIN_CARDINFO``, and only when that PIN's counter is full.

What it measures is what the project could not: whether this card keeps the verified
state through a warm reset (printed), and whether jpkitool's ending clears it.
"""

from __future__ import annotations

from typing import Any

import pytest

import jpki
from conftest import pin_to_risk
from jpki import profile
from jpki.card import CardLeft


class Other:
    """Another PC/SC program: connected (shared) before the command, kept after it."""

    def __init__(self, reader: str) -> None:
        from smartcard import scard as sc

        self.sc = sc
        _, self.ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
        _, readers = sc.SCardListReaders(self.ctx, [])
        name = next(r for r in readers if reader.lower() in r.lower())
        rv, self.card, self.proto = sc.SCardConnect(
            self.ctx, name, sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1
        )
        assert rv == sc.SCARD_S_SUCCESS, hex(rv)

    def send(self, apdu: bytes) -> tuple[bool, bytes]:
        """The answer's status word, and whether a reset had to be taken first."""
        sc: Any = self.sc
        rv, answer = sc.SCardTransmit(self.card, self.proto, list(apdu))
        reset = rv == sc.SCARD_W_RESET_CARD
        if reset:
            rv, self.proto = sc.SCardReconnect(
                self.card, sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1,
                sc.SCARD_LEAVE_CARD,
            )  # fmt: skip
            rv, answer = sc.SCardTransmit(self.card, self.proto, list(apdu))
        assert rv == sc.SCARD_S_SUCCESS, hex(rv)
        return reset, bytes(answer[-2:])

    def reads(self, file: profile.DataFile) -> bytes:
        """The status word of a one-byte read of ``file`` (9000: its key is open)."""
        self.send(bytes([0x00, 0xA4, 0x04, 0x0C, len(file.app.aid)]) + file.app.aid)
        _, sw = self.send(bytes([0x00, 0xB0, 0x80 | file.fid, 0x00, 0x01]))
        return sw

    def close(self) -> None:
        self.sc.SCardDisconnect(self.card, self.sc.SCARD_LEAVE_CARD)
        self.sc.SCardReleaseContext(self.ctx)


@pytest.mark.parametrize("kind", ["sign", "cardinfo"])
def test_the_other_program_finds_the_key_closed(hw_reader: str, kind: str) -> None:
    value = pin_to_risk(hw_reader, kind, "check the ending on a real card")
    other = Other(hw_reader)
    try:
        assert other.reads(profile.PROOF_FILES[kind]) == b"\x69\x82"
        with jpki.open_card(hw_reader) as card:
            result = jpki.verify_pin(card, kind, value)
        print(f"{kind}: verify-pin took {result.apdus} APDUs, card_left {result.card_left}")
        assert other.reads(profile.PROOF_FILES[kind]) == b"\x69\x82"
        assert result.card_left is CardLeft.PROVEN_CLEAR
    finally:
        other.close()
