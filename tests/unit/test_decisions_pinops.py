"""PIN commands: what is refused before the card, which PIN an error names, what each
key's outcome is, and what ``--json`` says about it. On the virtual card, with a
scripted answer where the virtual card would not give one.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apdu import FunctionTransport
from jpki import profile
from jpki.card import MyNumberCard
from jpki.emulator import CardState, VirtualCard, build_state
from jpki.errors import (
    CardError,
    PermitError,
    PinAbsentError,
    PinFormatError,
    PinLockedError,
    PinRequestError,
    SpendRefusedError,
    WeakPinError,
    WrongPinError,
)
from jpki.keystatus import KeyState
from jpki.pinops import attempt_error, change_pin, read_counters, run_plan, verify_pin
from jpki.pinplan import (
    check_new_value,
    encode_value,
    plan_change,
    plan_verify,
    resolve_keys,
    resolve_pins,
)
from jpki.pinresult import Outcome, PinCommandResult

Answer = Callable[[bytes], bytes | None]


def session(state: CardState | None = None, answer: Answer | None = None) -> MyNumberCard:
    """The virtual card; ``answer`` may reply to an APDU instead of it (None: let it)."""
    card = VirtualCard(state if state is not None else build_state())
    card.power_on()

    def send(apdu: bytes) -> bytes:
        if answer is not None:
            scripted = answer(apdu)
            if scripted is not None:
                return scripted
        return card.process(apdu)

    return MyNumberCard(FunctionTransport(send, "virtual"))


def is_change(apdu: bytes) -> bool:
    return apdu[1] in (0x24, 0x32)


def is_verify_with_data(apdu: bytes) -> bool:
    return apdu[1] == 0x20 and len(apdu) > 5


# -- refused before the card ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["9", "5", "pin", "cardinfo-a", "surface-b", ""])
def test_an_unknown_kind_is_named(kind: str) -> None:
    with pytest.raises(PinRequestError) as caught:
        resolve_pins([kind])
    assert (caught.value.reason, caught.value.detail) == ("unknown-pin", kind)


def test_a_check_number_is_no_user_pin_even_as_an_object() -> None:
    with pytest.raises(PinRequestError) as caught:
        resolve_pins([profile.CARDINFO_A])
    assert caught.value.reason == "unknown-pin"


def test_kinds_by_number_or_name_once_each_in_order() -> None:
    assert resolve_pins(["4", "AUTH", "2", profile.SIGN]) == (
        profile.SIGN,
        profile.AUTH,
        profile.CARDINFO_PIN,
    )
    with pytest.raises(PinRequestError) as caught:
        resolve_pins([])
    assert caught.value.reason == "no-pin"


def test_keys_only_for_juki_and_only_its_own() -> None:
    assert resolve_keys([profile.JUKI_PIN], ["juki-common"]) == {"juki": (profile.COMMON_SLOT,)}
    assert resolve_keys([profile.AUTH], None) == {"auth": (profile.AUTH_SLOT,)}
    with pytest.raises(PinRequestError) as caught:
        resolve_keys([profile.JUKI_PIN], ["juki", "juki-x"])
    assert (caught.value.reason, caught.value.detail) == ("unknown-key", "juki-x")
    with pytest.raises(PinRequestError) as caught:
        resolve_keys([profile.AUTH], ["auth"])
    assert caught.value.reason == "key-needs-juki"


@pytest.mark.parametrize(
    ("pin", "value", "sent"),
    [
        (profile.AUTH, "0123", b"0123"),
        (profile.SIGN, "abc123", b"ABC123"),
        (profile.SIGN, "Ab12Cd34Ef56Gh78", b"AB12CD34EF56GH78"),
    ],
)
def test_a_value_is_sent_as_ascii(pin: profile.Pin, value: str, sent: bytes) -> None:
    assert encode_value(pin, value) == sent


@pytest.mark.parametrize(
    ("pin", "value"),
    [
        (profile.AUTH, "123"),
        (profile.AUTH, "12345"),
        (profile.AUTH, "12a4"),
        (profile.AUTH, "１２３４"),
        (profile.SIGN, "ABCDEF"),
        (profile.SIGN, "123456"),
        (profile.SIGN, "AB12"),
        (profile.SIGN, "A" * 16 + "1"),
        (profile.SIGN, "ÄBC123"),
    ],
)
def test_a_value_of_the_wrong_format_names_the_pin_and_rule(pin: profile.Pin, value: str) -> None:
    with pytest.raises(PinFormatError) as caught:
        encode_value(pin, value)
    assert (caught.value.pin_id, caught.value.rule) == (pin.id, pin.format.id)
    assert value not in str(caught.value)


def test_a_weak_new_value_names_the_pin_and_the_weakness() -> None:
    with pytest.raises(WeakPinError) as caught:
        check_new_value([profile.JUKI_PIN, profile.CARDINFO_PIN], "1212", False)
    assert (caught.value.pin_id, caught.value.weakness) == ("juki", "pattern")
    assert check_new_value([profile.AUTH], "3434", True) == (b"3434", ())
    assert check_new_value([profile.AUTH], "1225", False) == (b"1225", ("date-like",))
    with pytest.raises(PinRequestError) as caught:
        check_new_value([profile.SIGN, profile.AUTH], "5039", False)
    assert caught.value.reason == "mixed-formats"


def test_a_weak_value_is_refused_unless_allowed() -> None:
    with pytest.raises(WeakPinError):
        plan_change("auth", "1234", "1111")
    assert plan_change("auth", "1234", "1111", allow_weak=True).new == b"1111"


def test_a_current_value_for_each_pin_or_the_missing_one_is_named() -> None:
    plan = plan_change(["2", "4"], {"auth": "1234", "cardinfo": "4321"}, "5039")
    assert plan.currents == {"auth": b"1234", "cardinfo": b"4321"}
    with pytest.raises(PinRequestError) as caught:
        plan_change(
            ["2", "3", "4"], {"auth": "1234", "cardinfo": "4321"}, "5039", experimental=True
        )
    assert (caught.value.reason, caught.value.detail) == ("missing-current", "juki")


@pytest.mark.parametrize(
    ("pins", "keys"),
    [("3", None), ("juki", ["juki"]), ("juki", ["juki-common"]), (["2", "3", "4"], None)],
)
def test_a_change_of_3_needs_experimental(pins: str | list[str], keys: list[str] | None) -> None:
    """③'s JICSAP CHANGE KEY rests on one public source (myna-card, mock tests only): no
    plan without ``experimental=True``, and :func:`change_pin` sends nothing."""
    with pytest.raises(PinRequestError) as caught:
        plan_change(pins, "1234", "5039", keys=keys)
    assert (caught.value.reason, caught.value.detail) == ("experimental", "juki")
    assert plan_change(pins, "1234", "5039", keys=keys, experimental=True).pins
    sent: list[bytes] = []
    with pytest.raises(PinRequestError):
        change_pin(session(answer=lambda a: sent.append(a)), pins, "1234", "5039", keys=keys)
    assert sent == []


def test_only_the_jicsap_change_key_is_experimental() -> None:
    assert [k.id for k in profile.PIN_SLOTS if k.change.experimental] == ["juki", "juki-common"]
    assert [p.id for p in profile.USER_PINS if p.experimental_change] == ["juki"]
    assert plan_change(["2", "4"], "1234", "5039").pins == (profile.AUTH, profile.CARDINFO_PIN)


# -- refused before a try is spent ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "pins", "reason"),
    [
        ({"token": "android"}, ("cardinfo", "auth"), "smartphone"),
        ({"token": "iphone"}, ("juki",), "smartphone"),
        ({"token": "juki-card"}, ("juki",), "juki-card"),
    ],
)
def test_a_token_without_the_pins_names_the_first_pin_asked(
    changes: dict[str, str], pins: tuple[str, ...], reason: str
) -> None:
    card = session(build_state(**changes))
    with pytest.raises(PinAbsentError) as caught:
        read_counters(card, resolve_pins(pins))
    assert (caught.value.pin_id, caught.value.reason) == (resolve_pins(pins)[0].id, reason)


def test_no_sign_certificate_names_the_sign_pin() -> None:
    card = session(build_state(sign_certificate=False))
    with pytest.raises(PinAbsentError) as caught:
        read_counters(card, (profile.SIGN, profile.AUTH))
    assert (caught.value.pin_id, caught.value.reason) == ("sign", "no-sign-certificate")


def test_counters_of_every_key_of_the_pins_by_default() -> None:
    card = session(build_state(remaining={"juki-common": 2}))
    counters = read_counters(card, (profile.AUTH, profile.JUKI_PIN))
    assert counters.reader == "virtual"
    assert {pin: [(s.key.id, s.remaining) for s in st] for pin, st in counters.keys.items()} == {
        "auth": [("auth", 3)],
        "juki": [("juki-common", 2), ("juki", 3)],  # 共通カードAP first: more sources
    }


def test_the_common_card_key_of_3_goes_first() -> None:
    """③: the 共通カードAP key (more sources) is queried and verified before the 住基AP
    key (myna-card alone); a wrong value stops before the 住基AP key is tried."""
    assert profile.JUKI_PIN.slots == (profile.COMMON_SLOT, profile.JUKI_SLOT)
    sent: list[bytes] = []

    def spy(apdu: bytes) -> None:
        sent.append(apdu)

    state = build_state()
    state.pins["juki-common"].value = "4321"
    with pytest.raises(WrongPinError) as caught:
        verify_pin(session(state, spy), "3", "1234")
    aids = {profile.COMMON.aid: "common", profile.JUKI.aid: "juki"}
    selected = [aids[a[5:]] for a in sent if a[1:3] == b"\xa4\x04" and a[5:] in aids]
    # the counters (common, then juki), then the VERIFY of the common key alone
    assert selected == ["common", "juki", "common"]
    assert [a for a in sent if is_verify_with_data(a)] == [bytes.fromhex("002000800431323334")]
    assert caught.value.key_id == "juki-common" and state.pins["juki"].remaining == 3


def test_the_last_try_is_not_spent_by_default() -> None:
    state = build_state(remaining={"auth": 1})
    with pytest.raises(SpendRefusedError):
        run_plan(session(state), plan_verify("auth", "1234"))
    with pytest.raises(SpendRefusedError):
        verify_pin(session(state), "auth", "1234")
    assert state.pins["auth"].remaining == 1
    assert run_plan(session(state), plan_verify("auth", "1234"), force=True).done


# -- what a rejected VERIFY means --------------------------------------------------------------


@pytest.mark.parametrize(
    ("sw", "error", "fields"),
    [
        (0x63C2, WrongPinError, {"pin_id": "juki", "key_id": "juki-common", "remaining": 2}),
        (0x63C1, WrongPinError, {"pin_id": "juki", "key_id": "juki-common", "remaining": 1}),
        (0x63C0, PinLockedError, {"pin_id": "juki", "key_id": "juki-common", "just_locked": True}),
        (0x6983, PinLockedError, {"pin_id": "juki", "key_id": "juki-common", "just_locked": True}),
        (0x6984, PinLockedError, {"pin_id": "juki", "key_id": "juki-common", "just_locked": True}),
        (0x6F00, CardError, {"operation": "VERIFY", "sw": 0x6F00}),
        (0x6300, CardError, {"operation": "VERIFY", "sw": 0x6300}),
        (0x6A80, CardError, {"operation": "VERIFY", "sw": 0x6A80}),
    ],
)
def test_attempt_error(sw: int, error: type[Exception], fields: dict[str, object]) -> None:
    e = attempt_error(profile.JUKI_PIN, profile.COMMON_SLOT, sw)
    assert type(e) is error
    assert {name: getattr(e, name) for name in fields} == fields


@pytest.mark.parametrize(
    ("sw", "outcome", "after"),
    [
        (b"\x63\xc1", Outcome.WRONG, (1, KeyState.LAST_TRY)),
        (b"\x63\xc0", Outcome.LOCKED, (0, KeyState.LOCKED)),
        (b"\x69\x83", Outcome.LOCKED, None),
        (b"\x6f\x00", Outcome.FAILED, None),
    ],
)
def test_the_count_after_a_rejected_verify_comes_from_its_answer(
    sw: bytes, outcome: Outcome, after: tuple[int, KeyState] | None
) -> None:
    card = session(answer=lambda apdu: sw if is_verify_with_data(apdu) else None)
    with pytest.raises(Exception) as caught:
        verify_pin(card, "auth", "1234")
    result = caught.value.result  # type: ignore[attr-defined]
    key = result.pins[0].keys[0]
    assert key.outcome is outcome and key.sw == int.from_bytes(sw, "big")
    got = None if key.after is None else (key.after.remaining, key.after.state)
    assert got == after


def test_a_change_the_card_refuses_is_reported_failed() -> None:
    card = session(answer=lambda apdu: b"\x6a\x80" if is_change(apdu) else None)
    with pytest.raises(CardError) as caught:
        change_pin(card, "auth", "1234", "5039")
    assert (caught.value.operation, caught.value.sw) == ("CHANGE", 0x6A80)
    key = caught.value.result.pins[0].keys[0]  # type: ignore[attr-defined]
    assert (key.key, key.outcome, key.after, key.sw) == (
        profile.AUTH_SLOT,
        Outcome.FAILED,
        None,
        0x6A80,
    )
    assert key.before.remaining == 3 and key.before.key is profile.AUTH_SLOT


def test_keys_after_the_first_failure_are_not_tried_and_listed() -> None:
    state = build_state()
    with pytest.raises(WrongPinError) as caught:
        change_pin(session(state), ["2", "3", "4"], {"auth": "9999", "juki": "1234",
                   "cardinfo": "1234"}, "5039", experimental=True)  # fmt: skip
    result = caught.value.result
    assert [(k.key.id, k.outcome) for p in result.pins for k in p.keys] == [  # type: ignore[attr-defined]
        ("auth", Outcome.WRONG),
        ("juki-common", Outcome.NOT_TRIED),
        ("juki", Outcome.NOT_TRIED),
        ("cardinfo", Outcome.NOT_TRIED),
    ]
    assert state.pins["juki"].value == "1234" and state.pins["juki-common"].remaining == 3


def test_a_broken_exchange_keeps_the_count_read_before() -> None:
    from apdu import CardRemovedError

    def removed(apdu: bytes) -> bytes | None:
        if is_change(apdu):
            raise CardRemovedError("card removed")
        return None

    with pytest.raises(CardRemovedError) as caught:
        change_pin(session(answer=removed), "auth", "1234", "5039")
    key = caught.value.result.pins[0].keys[0]  # type: ignore[attr-defined]
    assert key.outcome is Outcome.INTERRUPTED
    assert key.before is not None and key.before.remaining == 3


def test_verify_one_key_of_juki() -> None:
    result = verify_pin(session(), "juki", "1234", keys=["juki-common"])
    assert [k.key.id for k in result.pins[0].keys] == ["juki-common"]
    assert result.done == (profile.JUKI_PIN,)


# -- what --json and repr say ------------------------------------------------------------


def test_json_of_a_change_that_stopped_half_way() -> None:
    state = build_state()
    state.pins["juki"].value = "4321"  # the 住基AP key, changed second
    with pytest.raises(WrongPinError) as caught:
        change_pin(session(state), "juki", "1234", "5039", experimental=True)
    d = caught.value.result.to_dict()  # type: ignore[attr-defined]
    pin = d["pins"][0]
    assert (pin["id"], pin["no"], pin["done"], pin["partly_done"]) == ("juki", 3, False, True)
    assert [(k["id"], k["outcome"], k["done"]) for k in pin["keys"]] == [
        ("juki-common", "changed", True),
        ("juki", "wrong", False),
    ]
    assert (d["changed"], d["not_changed"]) == ([], ["juki"])


def test_json_of_a_verification() -> None:
    d = verify_pin(session(), "auth", "1234").to_dict()
    assert (d["operation"], d["verified"], d["not_verified"]) == ("verify", ["auth"], [])
    key = d["pins"][0]["keys"][0]
    assert (key["outcome"], key["done"], key["sw"]) == ("verified", True, "9000")


def test_repr_shows_the_date_warning() -> None:
    result = change_pin(session(), "auth", "1234", "1225")
    assert result.warnings == ("date-like",)
    # 7, then the confirm (SELECT EF, VERIFY) and the ending (SELECT ISD, a proof-less
    # ②: this scripted card cannot cycle its power, so no throwaway, and the ISD is
    # selected once more for the power to be removed when the transaction ends)
    assert repr(result).endswith("pins=[auth changed], apdus=11, warnings=['date-like'])")
    plain = change_pin(session(), "auth", "1234", "5039")
    assert repr(plain).endswith("pins=[auth changed], apdus=11)")


# -- an exchange that breaks off: what is known about the key ---------------------------------


def raising_on(test: Callable[[bytes], bool], error: Exception) -> Answer:
    def answer(apdu: bytes) -> bytes | None:
        if test(apdu):
            raise error
        return None

    return answer


def test_a_key_whose_ef_cannot_be_selected_was_not_tried() -> None:
    state = build_state()

    def select_ef_refused(apdu: bytes) -> bytes | None:
        return b"\x6a\x82" if apdu[1] == 0xA4 and apdu[2] == 0x02 else None

    with pytest.raises(CardError) as caught:
        verify_pin(session(state, select_ef_refused), "auth", "1234")
    assert (caught.value.operation, caught.value.sw) == ("SELECT EF", 0x6A82)
    key = caught.value.result.pins[0].keys[0]  # type: ignore[attr-defined]
    assert (key.outcome, key.interrupted_at, key.after) == (Outcome.NOT_TRIED, None, None)
    assert state.pins["auth"].remaining == 3


@pytest.mark.parametrize(
    ("lost", "stage"), [(is_verify_with_data, "verify"), (is_change, "change")]
)
def test_a_command_whose_answer_never_came_is_interrupted_there(
    lost: Callable[[bytes], bool], stage: str
) -> None:
    from apdu import CardRemovedError

    removed = raising_on(lost, CardRemovedError("removed"))
    with pytest.raises(CardRemovedError) as caught:
        change_pin(session(answer=removed), "auth", "1234", "5039")
    key = caught.value.result.pins[0].keys[0]  # type: ignore[attr-defined]
    assert (key.outcome, key.interrupted_at) == (Outcome.INTERRUPTED, stage)
    assert key.to_dict()["interrupted_at"] == stage


def test_a_change_that_could_not_be_sent_is_verified_not_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = build_state()

    def unsendable(self: MyNumberCard, permit: object, new: bytes) -> None:
        raise PermitError("not sent")

    monkeypatch.setattr(MyNumberCard, "change", unsendable)
    with pytest.raises(PermitError) as caught:
        change_pin(session(state), "auth", "1234", "5039")
    assert isinstance(caught.value.result, PinCommandResult)
    key = caught.value.result.pins[0].keys[0]
    assert (key.key, key.outcome, key.after, key.sw, key.interrupted_at) == (
        profile.AUTH_SLOT,
        Outcome.FAILED,
        None,
        0x9000,
        None,
    )
    assert key.before.remaining == 3 and state.pins["auth"].value == "1234"


def test_a_count_that_cannot_be_read_again_leaves_the_change_reported() -> None:
    from apdu import CardUnresponsiveError

    state = build_state()
    changed = False

    def after_the_change(apdu: bytes) -> bytes | None:
        nonlocal changed
        if is_change(apdu):
            changed = True
        elif changed and apdu[1] == 0x20:
            raise CardUnresponsiveError("mute")
        return None

    with pytest.raises(CardUnresponsiveError) as caught:
        change_pin(session(state, after_the_change), "auth", "1234", "5039")
    key = caught.value.result.pins[0].keys[0]  # type: ignore[attr-defined]
    assert (key.outcome, key.after, key.sw) == (Outcome.CHANGED, None, 0x9000)
    assert caught.value.result.done == (profile.AUTH,)  # type: ignore[attr-defined]
    assert state.pins["auth"].value == "5039"


def test_a_key_refused_its_permit_is_not_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    from jpki.errors import PermitError

    def no_permit(self: MyNumberCard, status: object, **overrides: bool) -> None:
        raise PermitError("no")

    monkeypatch.setattr(MyNumberCard, "permit", no_permit)
    with pytest.raises(PermitError) as caught:
        change_pin(session(), ["2", "3"], "1234", "5039", experimental=True)
    result = caught.value.result  # type: ignore[attr-defined]
    assert [(k.key.id, k.outcome) for p in result.pins for k in p.keys] == [
        ("auth", Outcome.NOT_TRIED),
        ("juki-common", Outcome.NOT_TRIED),
        ("juki", Outcome.NOT_TRIED),
    ]
    first = result.pins[0].keys[0]
    assert first.before is not None and first.before.key is profile.AUTH_SLOT


@pytest.mark.parametrize("name", ["2", "auth", "AUTH", "②"])
def test_the_library_takes_every_name_the_cli_takes(name: str) -> None:
    """One table of PIN names (profile.USER_PIN_NAMES) for the CLI and the library."""
    from jpki.cli.pinname import PinNameType
    from jpki.retries import named_pins

    assert PinNameType().convert(name, None, None) == "auth"
    assert named_pins(name) == (profile.AUTH,) == resolve_pins([name])
