"""Spending a try: when it is refused, which error names which PIN, and what the
guard lets through. Complements test_permit.py with the error each refusal becomes
and the guard's rules one by one (each named in its message).
"""

from __future__ import annotations

import pytest

from apdu import BaseTransport, CommandAPDU
from jpki import profile
from jpki.card import MyNumberCard
from jpki.emulator import VirtualCard, build_state
from jpki.errors import CardError, PermitError, PinAbsentError, PinLockedError, SpendRefusedError
from jpki.keystatus import KeyState, KeyStatus
from jpki.permit import Refusal, SpendPermit, refusal, refuse

AUTH, SIGN, JUKI, COMMON = (
    profile.AUTH_SLOT,
    profile.SIGN_SLOT,
    profile.JUKI_SLOT,
    profile.COMMON_SLOT,
)
USABLE, LAST, LOCKED, UNKNOWN = (
    KeyState.USABLE,
    KeyState.LAST_TRY,
    KeyState.LOCKED,
    KeyState.UNKNOWN,
)


def st(key: profile.PinSlot, state: KeyState, sw: int, remaining: int | None = None) -> KeyStatus:
    return KeyStatus(key, sw, remaining, state)


# -- refusals and their errors ---------------------------------------------------------------


def test_without_force_the_last_try_and_untrusted_counts_are_refused() -> None:
    """``force`` defaults to False: the careful choice is the default."""
    assert refusal(st(AUTH, LAST, 0x63C1, 1)) is Refusal.LAST_TRY
    assert refusal(st(AUTH, UNKNOWN, 0x9000)) is Refusal.UNTRUSTED
    with pytest.raises(SpendRefusedError):
        refuse(st(AUTH, LAST, 0x63C1, 1))
    refuse(st(AUTH, LAST, 0x63C1, 1), True)  # forced: goes ahead
    refuse(st(AUTH, USABLE, 0x63C3, 3))


@pytest.mark.parametrize(
    ("status", "pin_id", "key_id"),
    [
        (st(AUTH, LOCKED, 0x63C0, 0), "auth", "auth"),
        (st(SIGN, LOCKED, 0x6983, 0), "sign", "sign"),
        (st(COMMON, LOCKED, 0x6984, 0), "juki", "juki-common"),
        (st(JUKI, LOCKED, 0x63C0, 0), "juki", "juki"),
    ],
)
def test_locked_names_the_pin_and_its_key(status: KeyStatus, pin_id: str, key_id: str) -> None:
    with pytest.raises(PinLockedError) as raised:
        refuse(status)
    error = raised.value
    assert (error.pin_id, error.key_id, error.just_locked, error.remaining) == (
        pin_id,
        key_id,
        False,
        0,
    )


@pytest.mark.parametrize(
    ("sw", "reason"), [(0x6A82, "no-application"), (0x6A88, "no-reference-data")]
)
def test_absent_says_why_and_keeps_the_status_word(sw: int, reason: str) -> None:
    status = st(COMMON, UNKNOWN, sw)
    with pytest.raises(PinAbsentError) as raised:
        refuse(status, True)
    error = raised.value
    assert (error.pin_id, error.reason, error.sw) == ("juki", reason, sw)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (st(COMMON, LAST, 0x63C1, 1), "last-try"),
        (st(COMMON, UNKNOWN, 0x6300), "untrusted"),
        (st(COMMON, UNKNOWN, 0x63C9), "untrusted"),
    ],
)
def test_refused_names_pin_key_reason_and_status_word(status: KeyStatus, reason: str) -> None:
    with pytest.raises(SpendRefusedError) as raised:
        refuse(status)
    error = raised.value
    assert (error.pin_id, error.key_id, error.reason, error.sw) == (
        "juki",
        "juki-common",
        reason,
        status.sw,
    )


def test_a_key_of_no_user_pin_is_named_by_its_own_id() -> None:
    status = st(profile.CARDINFO_BLOCKED_SLOT, LOCKED, 0x63C0, 0)
    with pytest.raises(PinLockedError) as raised:
        refuse(status)
    assert raised.value.pin_id == "cardinfo-0012"


# -- the guard, rule by rule -----------------------------------------------------------------


class Card(BaseTransport):
    """The virtual card, recording what reached it."""

    def __init__(self, **changes: object) -> None:
        self.model = VirtualCard(build_state(**changes))
        self.model.power_on()
        self.sent: list[bytes] = []
        self._name = "card"

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        self.sent.append(bytes(apdu))
        return self.model.process(bytes(apdu))


def granted(
    key: profile.PinSlot = AUTH, **changes: object
) -> tuple[MyNumberCard, SpendPermit, Card]:
    inner = Card(**changes)
    card = MyNumberCard(inner)
    card.require_jpki()
    status = card.query_key(key)
    permit = card.permit(status)
    assert permit.before is status and permit.key is key
    return card, permit, inner


def test_no_permit_in_use_is_named() -> None:
    card, _, _ = granted()
    with pytest.raises(PermitError, match=r"^PIN data without a permit to spend a try"):
        card.send(CommandAPDU(0x00, 0x20, 0x00, 0x80, b"1234"))


def test_one_verify_per_permit_and_it_is_counted() -> None:
    card, permit, inner = granted()
    assert card.verify(permit, b"0000").sw == 0x63C2
    assert permit.verifies_left == 0 and permit.verified is False
    with pytest.raises(PermitError, match=r"^a permit spends at most one try$"):
        card.verify(permit, b"1234")
    assert inner.model.state.pins["auth"].remaining == 2


def test_one_change_after_a_correct_verify_and_it_is_counted() -> None:
    card, permit, _ = granted()
    with pytest.raises(
        PermitError, match=r"^a change needs a correct VERIFY under the same permit"
    ):
        card.change(permit, b"5039")
    assert card.verify(permit, b"1234").ok and permit.verified is True
    assert card.change(permit, b"5039").ok
    assert permit.changes_left == 0


def test_a_refused_change_leaves_the_verification_as_it_was() -> None:
    inner = Card()
    card = MyNumberCard(inner)
    card.require_jpki()
    permit = card.permit(card.query_key(AUTH))
    assert card.verify(permit, b"1234").ok
    assert card.change(permit, b"12").sw == 0x6A80  # a value the card refuses
    assert permit.verified is True and permit.changes_left == 0


def test_commands_without_pin_data_pass_the_guard_whatever_their_data() -> None:
    inner = Card()
    card = MyNumberCard(inner)
    select = bytes.fromhex("00A4040C0AD392F000260100000001")
    assert card.transport.transmit(select)[-2:] == b"\x90\x00"
    assert inner.sent[-1] == select


def test_another_key_is_named_in_the_refusal() -> None:
    card, permit, _ = granted()
    with (
        card._guard.using(permit),
        pytest.raises(PermitError, match=r"^the permit is for key auth, not P2 9B$"),
    ):
        card.send(CommandAPDU(0x00, 0x20, 0x00, 0x9B, b"ABC123"))


def test_an_instruction_this_tool_never_sends_with_pin_data() -> None:
    card, permit, inner = granted()
    before = len(inner.sent)
    with (
        card._guard.using(permit),
        pytest.raises(PermitError, match=r"^INS 2C with PIN data is not sent by this tool$"),
    ):
        card.send(CommandAPDU(0x00, 0x2C, 0x00, 0x80, b"12345678"))
    assert len(inner.sent) == before


def test_a_permit_needs_the_counter_just_read() -> None:
    inner = Card()
    card = MyNumberCard(inner)
    card.require_jpki()
    with pytest.raises(PermitError, match=r"^auth: read the counter in this transaction first$"):
        card.permit(KeyStatus(AUTH, 0x63C3, 3, USABLE))


def test_permits_are_closed_when_the_selection_is_forgotten() -> None:
    card, permit, _ = granted()
    card.forget_selection()
    assert permit.open is False
    with pytest.raises(PermitError, match="expired"):
        card.verify(permit, b"1234")


def test_a_key_that_cannot_be_changed() -> None:
    card, permit, inner = granted(profile.CARDINFO_B_SLOT)
    assert card.verify(permit, b"60041020345678").ok
    before = len(inner.sent)
    with pytest.raises(PermitError, match=r"^cardinfo-b cannot be changed$"):
        card.change(permit, b"12345678901234")
    assert len(inner.sent) == before


@pytest.mark.parametrize(
    ("fail", "operation"),
    [("select_app", "SELECT AP"), ("select_ef", "SELECT EF")],
)
def test_verify_stops_when_the_key_cannot_be_selected(fail: str, operation: str) -> None:
    """A VERIFY with data is only sent once the key's EF is the current one."""
    card, permit, inner = granted()
    sent: list[bytes] = []

    class Refusing(BaseTransport):
        def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
            sent.append(bytes(apdu))
            p1 = apdu[2]
            if apdu[1] == 0xA4 and (p1 == 0x04) == (fail == "select_app"):
                return b"\x6a\x82"
            return inner.transmit(apdu, secret=secret)

    card._guard.inner = Refusing()
    card.forget_selection()  # the application is selected again
    permit.open = True
    with pytest.raises(CardError) as caught:
        card.verify(permit, b"1234")
    assert (caught.value.operation, caught.value.sw) == (operation, 0x6A82)
    assert all(a[1] != 0x20 for a in sent)
    assert inner.model.state.pins["auth"].remaining == 3
