"""The virtual card's access rules are the profile's: every file guarded by keys in
``profile.DATA_FILES`` answers 6982 until one of them is verified, and not after."""

from __future__ import annotations

import pytest

from apdu import INS, SW, CommandAPDU, ResponseAPDU
from jpki import profile
from jpki.emulator import VirtualCard, build_state
from jpki.keyformats import Change

GUARDED = [(f, k) for f in profile.DATA_FILES for k in f.guarded_by]


def send(card: VirtualCard, command: CommandAPDU) -> ResponseAPDU:
    return ResponseAPDU.parse(card.process(command.to_bytes()))


def read(card: VirtualCard, f: profile.DataFile, select_app: bool = True) -> int:
    """SELECT (the application too, unless told not to: that clears what was verified)."""
    if select_app:
        send(card, profile.select_app(f.app.aid))
    assert send(card, CommandAPDU(0x00, 0xA4, 0x02, 0x0C, f.fid.to_bytes(2, "big"))).ok
    ins = INS.READ_RECORD if f.record else INS.READ_BINARY
    p1, p2 = (1, 0x04) if f.record else (0, 0)
    return send(card, CommandAPDU(0x00, ins, p1, p2, le=256)).sw


@pytest.mark.parametrize(("f", "key_id"), GUARDED, ids=[f"{f.id}-{k}" for f, k in GUARDED])
def test_a_guarded_file_opens_with_each_of_its_keys(f: profile.DataFile, key_id: str) -> None:
    state = build_state()
    card = VirtualCard(state)
    card.power_on()
    assert read(card, f) == SW.SECURITY_STATUS_NOT_SATISFIED
    key = profile.SLOTS_BY_ID[key_id]
    value = state.pins[key_id].value.encode()
    send(card, profile.select_app(f.app.aid))
    send(card, CommandAPDU(0x00, 0xA4, 0x02, 0x0C, key.fid.to_bytes(2, "big")))
    assert send(card, CommandAPDU(0x00, INS.VERIFY, 0x00, 0x80, value)).ok
    assert read(card, f, select_app=False) == SW.OK


@pytest.mark.parametrize("f", [f for f in profile.DATA_FILES if not f.guarded_by])
def test_a_free_file_reads_without_a_pin(f: profile.DataFile) -> None:
    card = VirtualCard(build_state())
    card.power_on()
    assert read(card, f) == SW.OK


def test_on_a_smartphone_the_auth_certificate_needs_auth() -> None:
    card = VirtualCard(build_state(token="android"))
    card.power_on()
    assert profile.AUTH_CERT.guarded_on_phone_by == ("auth",)
    assert read(card, profile.AUTH_CERT) == SW.SECURITY_STATUS_NOT_SATISFIED


def test_change_methods_are_headers_in_the_table() -> None:
    assert (Change.CHANGE_REFERENCE_DATA.cla, Change.CHANGE_REFERENCE_DATA.ins,
            Change.CHANGE_REFERENCE_DATA.p1) == (0x00, 0x24, 0x01)  # fmt: skip
    assert profile.JUKI_SLOT.change.value == (0x80, 0x32, 0x00)
