"""The PIN guard: no PIN data leaves the process without a permit, and a permit
spends at most one try. Every decision here is one a user relies on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apdu import BaseTransport, CommandAPDU, FunctionTransport
from cli_runner import jpkitool_inprocess
from jpki import profile
from jpki.card import MyNumberCard
from jpki.emulator import VirtualCard, build_state
from jpki.emulator.transport import EmulatorTransport
from jpki.errors import PermitError, PinAbsentError, PinLockedError, SpendRefusedError
from jpki.keystatus import KeyState, KeyStatus
from jpki.permit import Refusal, refusal

AUTH = profile.AUTH_SLOT
USABLE, LAST, LOCKED, UNKNOWN = (
    KeyState.USABLE,
    KeyState.LAST_TRY,
    KeyState.LOCKED,
    KeyState.UNKNOWN,
)


def status(state: KeyState, sw: int, remaining: int | None = None) -> KeyStatus:
    return KeyStatus(AUTH, sw, remaining, state)


# -- the decision ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("st", "force", "expected"),
    [
        (status(USABLE, 0x63C3, 3), False, None),
        (status(USABLE, 0x63C2, 2), False, None),
        (status(LAST, 0x63C1, 1), False, Refusal.LAST_TRY),
        (status(LAST, 0x63C1, 1), True, None),
        (status(LOCKED, 0x63C0, 0), False, Refusal.LOCKED),
        (status(LOCKED, 0x63C0, 0), True, Refusal.LOCKED),  # force never unlocks
        (status(LOCKED, 0x6984, 0), True, Refusal.LOCKED),
        (status(UNKNOWN, 0x9000), False, Refusal.UNTRUSTED),
        (status(UNKNOWN, 0x9000), True, Refusal.UNTRUSTED),  # force: the last try only
        (status(UNKNOWN, 0x63C9), False, Refusal.UNTRUSTED),
        (status(UNKNOWN, 0x6300), False, Refusal.UNTRUSTED),
        (status(UNKNOWN, 0x6F00), False, Refusal.UNTRUSTED),
        (status(UNKNOWN, 0x6A88), False, Refusal.ABSENT),
        (status(UNKNOWN, 0x6A88), True, Refusal.ABSENT),  # nothing to try, even forced
        (status(UNKNOWN, 0x6A82), True, Refusal.ABSENT),
    ],
)
def test_refusal(st: KeyStatus, force: bool, expected: Refusal | None) -> None:
    assert refusal(st, force) is expected


@pytest.mark.parametrize(
    ("st", "expected"),
    [
        (status(UNKNOWN, 0x9000), None),
        (status(UNKNOWN, 0x63C9), None),
        (status(UNKNOWN, 0x6300), None),
        (status(UNKNOWN, 0x6F00), None),
        (status(LAST, 0x63C1, 1), Refusal.LAST_TRY),  # not its refusal to lift
        (status(LOCKED, 0x63C0, 0), Refusal.LOCKED),
        (status(UNKNOWN, 0x6A88), Refusal.ABSENT),  # no count to accept: no key at all
        (status(USABLE, 0x63C3, 3), None),
    ],
)
def test_accept_unknown_count_lifts_the_untrusted_refusal_alone(
    st: KeyStatus, expected: Refusal | None
) -> None:
    assert refusal(st, accept_unknown_count=True) is expected
    assert refusal(st, True, True) is (None if expected is Refusal.LAST_TRY else expected)


# -- the guard ---------------------------------------------------------------------


class Spy(BaseTransport):
    """Answers from a virtual card; records what reached it."""

    def __init__(self, **changes: Any) -> None:
        self.card = VirtualCard(build_state(**changes))
        self.card.power_on()
        self.sent: list[bytes] = []
        self._name = "spy"

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        self.sent.append(bytes(apdu))
        return self.card.process(bytes(apdu))


VERIFY_1234 = CommandAPDU(0x00, 0x20, 0x00, 0x98, b"1234")


@pytest.mark.parametrize(
    "command",
    [
        VERIFY_1234,
        CommandAPDU(0x00, 0x20, 0x00, 0x80, b"1234"),
        CommandAPDU(0x00, 0x24, 0x01, 0x80, b"5678"),
        CommandAPDU(0x80, 0x32, 0x00, 0x80, b"5678"),
        CommandAPDU(0x00, 0x2C, 0x00, 0x80, b"12345678"),
        CommandAPDU(0x00, 0xB0, 0x00, 0x00, b"\x01", secret=True),
    ],
)
def test_pin_data_without_a_permit_never_leaves_the_process(command: CommandAPDU) -> None:
    spy = Spy()
    card = MyNumberCard(spy)
    card.select_app(profile.JPKI)
    before = len(spy.sent)
    with pytest.raises(PermitError):
        card.send(command)
    with pytest.raises(PermitError):  # nor through the session's transport directly
        card.transport.transmit(command.to_bytes(), secret=command.secret)
    assert len(spy.sent) == before
    assert spy.card.state.pins["auth"].remaining == 3


def test_queries_without_data_pass_the_guard() -> None:
    spy = Spy()
    card = MyNumberCard(spy)
    card.select_app(profile.JPKI)
    assert card.send(CommandAPDU(0x00, 0x20, 0x00, 0x98)).sw == 0x63C3


def granted(spy: Spy, key: profile.PinSlot = AUTH, force: bool = False) -> tuple[MyNumberCard, Any]:
    card = MyNumberCard(spy)
    card.require_jpki()
    return card, card.permit(card.query_key(key), force=force)


def test_a_permit_spends_at_most_one_try() -> None:
    spy = Spy()
    card, permit = granted(spy)
    assert card.verify(permit, b"0000").sw == 0x63C2
    with pytest.raises(PermitError):
        card.verify(permit, b"0000")
    assert spy.card.state.pins["auth"].remaining == 2


def test_a_change_needs_a_correct_verify_under_the_same_permit() -> None:
    spy = Spy()
    card, permit = granted(spy)
    with pytest.raises(PermitError):
        card.change(permit, b"5039")
    assert card.verify(permit, b"0000").sw == 0x63C2  # wrong: still no change
    with pytest.raises(PermitError):
        card.change(permit, b"5039")
    assert spy.card.state.pins["auth"].value == "1234"


def test_a_correct_verify_allows_one_change() -> None:
    spy = Spy()
    card, permit = granted(spy)
    assert card.verify(permit, b"1234").ok
    assert card.change(permit, b"5039").ok
    with pytest.raises(PermitError):
        card.change(permit, b"7777")
    assert spy.card.state.pins["auth"].value == "5039"


def test_a_permit_is_for_its_own_key() -> None:
    spy = Spy()
    card, permit = granted(spy)
    with card._guard.using(permit), pytest.raises(PermitError):
        card.send(CommandAPDU(0x00, 0x20, 0x00, 0x9B, b"ABC123"))  # ① by SFI
    assert spy.card.state.pins["sign"].remaining == 5


def test_a_permit_needs_a_counter_read_in_this_transaction() -> None:
    spy = Spy()
    card = MyNumberCard(spy)
    card.require_jpki()
    made_up = KeyStatus(AUTH, 0x63C3, 3, USABLE)
    with pytest.raises(PermitError):
        card.permit(made_up)
    read = card.query_key(AUTH)
    with card.transaction():
        with pytest.raises(PermitError):  # read before the transaction began
            card.permit(read)
        fresh = card.query_key(AUTH)
        card.permit(fresh)
        with pytest.raises(PermitError):  # one permit per reading
            card.permit(fresh)
        permit = card.permit(card.query_key(AUTH))
    assert card.permits_issued == 2
    with pytest.raises(PermitError):  # a permit ends with its transaction
        card.verify(permit, b"1234")
    assert spy.card.state.pins["auth"].remaining == 3


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"remaining": {"auth": 0}}, PinLockedError),
        ({"remaining": {"auth": 1}}, SpendRefusedError),
        ({"answer": {"auth": "9000"}}, SpendRefusedError),
        ({"answer": {"auth": "63C9"}}, SpendRefusedError),
        ({"face_auth": True}, PinAbsentError),
    ],
)
def test_no_permit_when_refused(changes: dict[str, Any], error: type[Exception]) -> None:
    spy = Spy(**changes)
    card = MyNumberCard(spy)
    card.require_jpki()
    with pytest.raises(error):
        card.permit(card.query_key(AUTH))
    assert card.permits_issued == 0
    assert not card.unpower_pending


def test_a_permit_makes_the_card_unpowered_when_the_transaction_ends() -> None:
    card_model = VirtualCard(build_state())
    transport = EmulatorTransport(card_model)
    card = MyNumberCard(transport)
    with card.transaction():
        card.require_jpki()
        permit = card.permit(card.query_key(profile.SIGN_SLOT))
        assert card.verify(permit, b"ABC123").ok
        assert card_model._verified == {"sign"}
        assert card.unpower_pending
    assert card_model._verified == set()
    assert not card.unpower_pending


def test_reading_alone_leaves_the_card_as_it_was() -> None:
    card_model = VirtualCard(build_state())
    transport = EmulatorTransport(card_model)
    card = MyNumberCard(transport)
    with card.transaction():
        card.require_jpki()
        card.query_key(AUTH)
    assert card_model.selected_app is profile.JPKI  # no power cycle: selection kept
    assert not card.unpower_pending


# -- read-only commands never obtain a permit --------------------------------------

PIN_COMMANDS = {"change-pin", "verify-pin"}
STATES: list[dict[str, Any]] = [
    {},
    {"pins": {"auth": {"remaining": 1}, "sign": {"remaining": 0}}},
    {"quirks": {"answer_override": {"sign": "9000"}, "verified_query_9000": True}},
]
#: Serves a card, or writes a state file; ``ui`` serves a page until stopped (its
#: readings are checked in test_ui_page.py).
NO_CARD_SESSION = {"emulator", "ui"}


def test_every_read_only_command_never_obtains_a_permit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from jpki.cli.main import COMMANDS

    granted_to: list[str] = []
    original = MyNumberCard.permit

    def counting(
        self: MyNumberCard,
        st: KeyStatus,
        *,
        force: bool = False,
        accept_unknown_count: bool = False,
    ) -> Any:
        granted_to.append(st.key.id)
        return original(self, st, force=force, accept_unknown_count=accept_unknown_count)

    monkeypatch.setattr(MyNumberCard, "permit", counting)
    read_only = sorted(set(COMMANDS) - PIN_COMMANDS - NO_CARD_SESSION)
    assert {"retries", "info"} <= set(read_only)
    for name in read_only:
        for i, changes in enumerate(STATES):
            path = tmp_path / f"{name}-{i}.json"
            path.write_text(json.dumps(changes), "utf-8")
            jpkitool_inprocess("--emulator", "--emulator-state", str(path), name)
    assert granted_to == []
    # The counter works: a PIN command does obtain one.
    run = jpkitool_inprocess("--emulator", "verify-pin", "2", input="1234\n")
    assert run.code == 0, run.err
    assert granted_to == ["auth"]


def test_function_transports_are_guarded_too() -> None:
    sent: list[bytes] = []
    card = MyNumberCard(FunctionTransport(lambda apdu: sent.append(apdu) or b"\x90\x00"))
    with pytest.raises(PermitError):
        card.send(VERIFY_1234)
    assert sent == []
