"""A command that verified a PIN leaves the card unverified for the next program, and
says only what is proven (docs/card.md §4b): another application selected, the power
cycled, a throwaway command, and for ① and ④ a read the key guards refused (6982).

The virtual card behaves as the public reports describe: a warm reset, a second
connection and a re-SELECT of the same application keep a key verified; another
application or a power cycle clear it. The "other program" here is a second
transport to the same virtual card, connected before the command and kept after it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apdu import ApduChannel, CardUnresponsiveError, CommandAPDU, FunctionTransport
from cli_runner import jpkitool_inprocess as run
from jpki import profile
from jpki.api import open_transport
from jpki.card import CardLeft, MyNumberCard
from jpki.cardcerts import read_certificate
from jpki.cli.failures import Exit
from jpki.emulator import EmulatorTransport, VirtualCard, build_state
from jpki.pinops import change_pin, verify_pin

#: What the other program tries: the sign certificate (needs ①) and the basic four
#: facts of the 券面事項入力補助AP (need ④).
GUARDED = {"sign": profile.SIGN_CERT, "cardinfo": profile.CARDINFO_ATTRS}


def other_reads(channel: ApduChannel, file: profile.DataFile) -> bool:
    """Whether the other program reads one byte of ``file`` (its key verified)."""
    assert channel.send(CommandAPDU(0, 0xA4, 4, 0x0C, file.app.aid)).ok
    return channel.send(CommandAPDU(0, 0xB0, 0x80 | file.fid, 0, le=1)).ok


def the_old_ending(card: MyNumberCard, keys: object) -> CardLeft:
    """What jpkitool did before: a warm reset at the end (and said it was clear)."""
    transport: Any = card.transport
    while hasattr(transport, "inner"):
        transport = transport.inner
    transport.card.warm_reset()
    card.unpower_pending = False  # the old transport reset warmly, too
    return CardLeft.PROVEN_CLEAR


@pytest.mark.parametrize("old", [False, True], ids=["now", "warm-reset-ending"])
@pytest.mark.parametrize(
    ("run_command", "pin"),
    [
        (lambda c: verify_pin(c, "1", "ABC123"), "sign"),
        (lambda c: verify_pin(c, "4", "1234"), "cardinfo"),
        (lambda c: change_pin(c, "1", "ABC123", "K7M2Q9"), "sign"),
        (lambda c: read_certificate(c, "sign", sign_pin="ABC123"), "sign"),
    ],
    ids=["verify-pin-1", "verify-pin-4", "change-pin-1", "cert-show-sign"],
)
def test_the_other_program_cannot_use_the_key_afterwards(
    monkeypatch: pytest.MonkeyPatch, run_command: Any, pin: str, old: bool
) -> None:
    virtual = VirtualCard(build_state())
    other = ApduChannel(EmulatorTransport(virtual))  # connected throughout
    assert not other_reads(other, GUARDED[pin])
    if old:
        monkeypatch.setattr(MyNumberCard, "leave_unverified", the_old_ending)
    card = MyNumberCard(EmulatorTransport(virtual))
    with card.transaction():
        run_command(card)
    # with the old ending the other program could use the key: the test catches it
    assert other_reads(other, GUARDED[pin]) is old
    assert card.card_left is (None if old else CardLeft.PROVEN_CLEAR)


def test_2_and_3_have_no_proof_and_say_so() -> None:
    virtual = VirtualCard(build_state())
    card = MyNumberCard(EmulatorTransport(virtual))
    with card.transaction():
        result = verify_pin(card, "2", "1234")
    assert result.card_left is CardLeft.CLEARED_UNPROVEN and virtual.verified == frozenset()
    with card.transaction():
        result = change_pin(card, ["2", "4"], "1234", "5039")
    assert result.card_left is CardLeft.CLEARED_UNPROVEN  # ④ proven, ② not


def test_a_wrong_pin_is_left_too_and_keeps_its_error() -> None:
    virtual = VirtualCard(build_state())
    card = MyNumberCard(EmulatorTransport(virtual))
    with card.transaction(), pytest.raises(Exception) as caught:
        verify_pin(card, "1", "WRONG1")
    assert caught.value.result.card_left is CardLeft.PROVEN_CLEAR  # type: ignore[attr-defined]


def test_a_card_that_stays_verified_is_reported_and_nothing_claims_it_clear(
    tmp_path: Path,
) -> None:
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"quirks": {"sticky_verified": True}}), "utf-8")
    opts = ["--emulator", "--emulator-state", str(path)]
    r = run("--lang", "en", *opts, "verify-pin", "1", input="ABC123\n")
    assert r.code == Exit.MAY_BE_VERIFIED == 9
    assert "take it out of the reader now" in r.out
    assert "no verified state remains" not in r.out + r.err and "cleared" not in r.out
    js = run("--json", *opts, "verify-pin", "1", input="ABC123\n")
    assert (js.code, js.json["card_left"]) == (9, "may-be-verified")
    ja = run("--lang", "ja", *opts, "cert", "show", "sign", input="ABC123\n")
    assert ja.code == 9 and "リーダーから取り出してください" in ja.out
    for args in (["expiry", "--sign"], ["cert", "export", "sign"]):
        r = run("--json", *opts, *args, input="ABC123\n")
        assert (r.code, r.json["verified"]["card_left"]) == (9, "may-be-verified"), args


def test_the_proof_answered_9000_is_may_be_verified() -> None:
    """A card that lets the other program read after the power cycle (sticky)."""
    virtual = VirtualCard(build_state(quirks={"sticky_verified": True}))
    card = MyNumberCard(EmulatorTransport(virtual))
    with card.transaction():
        result = verify_pin(card, "4", "1234")
    assert result.card_left is CardLeft.MAY_BE_VERIFIED


def test_neither_step_taking_effect_is_may_be_verified() -> None:
    """A card that answers 6A82 to every SELECT and cannot cycle its power."""
    card = MyNumberCard(FunctionTransport(lambda apdu: b"\x6a\x82"))
    assert card.leave_unverified([profile.AUTH_SLOT]) is CardLeft.MAY_BE_VERIFIED
    assert card.leave_unverified([]) is CardLeft.MAY_BE_VERIFIED


def test_a_6f00_after_the_power_cycle_is_absorbed_by_the_throwaway() -> None:
    virtual = VirtualCard(build_state(quirks={"power_up_6f00": True}))
    other = ApduChannel(EmulatorTransport(virtual))
    card = MyNumberCard(EmulatorTransport(virtual))
    with card.transaction():
        result = verify_pin(card, "1", "ABC123")
    assert result.card_left is CardLeft.PROVEN_CLEAR  # the proof was not the one at 6F00
    assert other.send(CommandAPDU(0, 0xA4, 4, 0x0C, profile.JPKI.aid)).ok  # nor the other


# -- a change is confirmed on the card ------------------------------------------------


def test_a_change_the_card_did_not_keep_is_said_and_not_retried(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"quirks": {"change_not_kept": True}}), "utf-8")
    opts = ["--emulator", "--emulator-state", str(path)]
    js = run("--json", *opts, "change-pin", "2", input="1234\n5039\n5039\n")
    assert js.code == Exit.ERROR
    doc = js.json
    assert doc["error"]["code"] == "unconfirmed" and doc["confirmed"] is False
    (key,) = doc["pins"][0]["keys"]
    assert (key["outcome"], key["confirmed"], key["after"]["remaining"]) == (
        "unconfirmed",
        False,
        2,
    )
    pins = json.loads(path.read_text("utf-8"))["pins"]["auth"]
    assert (pins["value"], pins["remaining"]) == ("1234", 2)  # one try, no second attempt
    en = run("--lang", "en", *opts, "change-pin", "2", input="1234\n5039\n5039\n")
    assert en.code == 1
    assert "did not accept the new PIN right after it" in en.err and "(2 tries left)" in en.err
    assert "old PIN may still be the valid one" in en.err
    ja = run("--lang", "ja", *opts, "change-pin", "2", input="1234\n5039\n5039\n")
    assert ja.code == 1 and "古い暗証番号がまだ有効な可能性があります（残り 2 回）" in ja.err


def test_a_kept_change_is_confirmed_at_no_cost() -> None:
    virtual = VirtualCard(build_state())
    card = MyNumberCard(EmulatorTransport(virtual))
    with card.transaction():
        result = change_pin(card, "2", "1234", "5039")
    (key,) = result.pins[0].keys
    assert key.confirmed is True and key.after is not None and key.after.remaining == 3
    assert result.to_dict()["confirmed"] is True


def test_what_is_said_names_only_the_steps_that_took_effect() -> None:
    """A card whose power cannot be cycled: cleared by the SELECT alone, said so, and
    the connection closed with the power removed when the transaction ends."""
    from jpki.i18n import set_language
    from jpki.words.pins import card_left_lines

    set_language("en")
    virtual = VirtualCard(build_state())
    virtual.power_on()
    unpowered: list[bool] = []

    class Transport(FunctionTransport):
        def close(self, *, unpower: bool = False) -> None:
            unpowered.append(unpower)

    card = MyNumberCard(Transport(virtual.process))
    with card.transaction():
        result = verify_pin(card, "2", "1234")
        assert card.unpower_pending  # the safety net is set again
    assert (result.card_left, result.left_steps) == (CardLeft.CLEARED_UNPROVEN, ("select",))
    assert unpowered == [True] and not card.unpower_pending
    (line,) = card_left_lines(result.card_left, result.left_steps)
    assert "(another application selected)" in line and "power" not in line


def test_a_card_that_may_be_verified_is_left_again_with_the_safety_net_set() -> None:
    virtual = VirtualCard(build_state(quirks={"sticky_verified": True}))
    transport = EmulatorTransport(virtual)
    card = MyNumberCard(transport)
    with card.transaction():
        assert verify_pin(card, "1", "ABC123").card_left is CardLeft.MAY_BE_VERIFIED
        assert card.unpower_pending  # removed again when the transaction ends
        assert virtual.selected_app is profile.ISD  # the proof's JPKI left once more


def test_a_recording_that_fails_in_the_ending_does_not_hide_the_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any error of one step of the ending is that step not done, never an escape."""
    virtual = VirtualCard(build_state())
    card = MyNumberCard(EmulatorTransport(virtual))

    def broken() -> None:
        raise OSError("disk full")

    monkeypatch.setattr(card.transport, "power_cycle", broken)
    with card.transaction():
        result = verify_pin(card, "2", "1234")
    assert result.card_left is CardLeft.CLEARED_UNPROVEN and result.left_steps == ("select",)


def test_a_wrong_sign_pin_for_the_certificate_is_left_too() -> None:
    from jpki.errors import WrongPinError

    virtual = VirtualCard(build_state())
    card = MyNumberCard(EmulatorTransport(virtual))
    with card.transaction(), pytest.raises(WrongPinError) as caught:
        read_certificate(card, "sign", sign_pin="WRONG1")
    result = caught.value.result  # type: ignore[attr-defined]
    assert result.card_left is CardLeft.PROVEN_CLEAR and card.card_left is CardLeft.PROVEN_CLEAR


# -- the ending's decisions, one by one ------------------------------------------------


@pytest.mark.parametrize(("sw", "closed"), [("6982", True), ("9000", False), ("6A82", None)])
def test_a_proof_read_is_closed_open_or_unknown(sw: str, closed: bool | None) -> None:
    def answer(apdu: bytes) -> bytes:
        if apdu[1] == 0xB0:  # the one-byte read
            return bytes.fromhex(("30" if sw == "9000" else "") + sw)
        return b"\x90\x00"

    card = MyNumberCard(FunctionTransport(answer))
    assert card._closed(profile.SIGN_CERT) is closed


def test_the_isd_first_else_the_first_application_not_verified() -> None:
    selected: list[bytes] = []

    def answer(apdu: bytes) -> bytes:
        selected.append(apdu[5:])
        return b"\x6a\x82" if apdu[5:] in (profile.ISD.aid, profile.CARDINFO.aid) else b"\x90\x00"

    card = MyNumberCard(FunctionTransport(answer))
    # ① verified in JPKI: not JPKI again; the ISD and CARDINFO refuse; SURFACE answers
    assert card._leave_applications({profile.JPKI})
    assert selected == [profile.ISD.aid, profile.CARDINFO.aid, profile.SURFACE.aid]
    selected.clear()
    refuse_all = MyNumberCard(FunctionTransport(lambda apdu: b"\x6a\x82"))
    assert not refuse_all._leave_applications({profile.JPKI})


def test_an_unconfirmed_change_keeps_the_card_answer() -> None:
    from jpki.errors import ChangeUnconfirmedError

    virtual = VirtualCard(build_state(quirks={"change_not_kept": True}))
    card = MyNumberCard(EmulatorTransport(virtual))
    with card.transaction(), pytest.raises(ChangeUnconfirmedError) as caught:
        change_pin(card, "2", "1234", "5039")
    (key,) = caught.value.result.pins[0].keys  # type: ignore[attr-defined]
    assert (key.sw, key.confirmed, key.after.remaining) == (0x63C2, False, 2)
    assert caught.value.remaining == 2


class _Breaks(EmulatorTransport):
    """The virtual card's transport, failing the first command with instruction ``ins``
    sent while a key of ``after`` is verified (the reader stops answering)."""

    def __init__(self, card: VirtualCard, ins: int, after: str) -> None:
        super().__init__(card)
        self.ins, self.after = ins, after

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        if apdu[1] == self.ins and self.after in self.card.verified:
            raise CardUnresponsiveError("the card did not answer")
        return super().transmit(apdu, secret=secret, personal=personal)


@pytest.mark.parametrize(
    ("ins", "after", "operation"),
    [
        (0x24, "auth", lambda card: change_pin(card, "auth", "1234", "5039")),
        (0xB0, "sign", lambda card: read_certificate(card, "sign", sign_pin="ABC123")),
    ],
    ids=["change-pin-broken-off", "sign-certificate-read-broken-off"],
)
def test_a_library_session_broken_off_after_a_verify_leaves_no_key_verified(
    ins: int, after: str, operation: Any
) -> None:
    """The safety net is the session's too, not only ``card.transaction()``'s: a
    library caller's session (``open_transport``, as ``open_card``) whose PIN command
    broke off after a correct VERIFY ends with the card's power removed."""
    virtual = VirtualCard(build_state())
    with pytest.raises(CardUnresponsiveError), open_transport(_Breaks(virtual, ins, after)) as card:
        operation(card)
    assert virtual.verified == set()
