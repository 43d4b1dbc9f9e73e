"""verify_pin and change_pin on the virtual card, APDU by APDU."""

from __future__ import annotations

from typing import Any

import pytest

from apdu import FunctionTransport
from jpki import change_pin, profile, verify_pin
from jpki.card import CardLeft, MyNumberCard
from jpki.emulator import CardState, VirtualCard, build_state
from jpki.errors import (
    CardError,
    PinAbsentError,
    PinFormatError,
    PinLockedError,
    PinRequestError,
    SpendRefusedError,
    WeakPinError,
    WrongPinError,
)
from jpki.pinops import attempt_error
from jpki.pinplan import plan_change
from jpki.pinresult import Outcome, PinCommandResult


class Session:
    """A virtual card behind a recording function transport."""

    def __init__(self, state: CardState | None = None, **changes: Any) -> None:
        self.state = state if state is not None else build_state(**changes)
        self.card = VirtualCard(self.state)
        self.card.power_on()
        self.sent: list[str] = []
        self.session = MyNumberCard(FunctionTransport(self._send))

    def _send(self, apdu: bytes) -> bytes:
        self.sent.append(apdu.hex().upper())
        return self.card.process(apdu)

    def value(self, key: str) -> str:
        return self.state.pins[key].value

    def left(self, key: str) -> int:
        return self.state.pins[key].remaining

    def verifies_with_data(self) -> list[str]:
        return [a for a in self.sent if a[2:4] == "20" and len(a) > 8]

    def fresh_check(self, key: str, value: str) -> bool:
        """Whether ``value`` verifies on a freshly powered card (spends a try if wrong)."""
        other = Session(self.state)
        pin = profile.PIN_OF_SLOT[key]
        try:
            verify_pin(other.session, pin, value, keys=[key] if len(pin.slots) > 1 else None)
        except WrongPinError:
            return False
        return True


SELECT_JPKI = "00A4040C0AD392F000260100000001"


def test_change_auth_apdu_by_apdu() -> None:
    s = Session()
    result = change_pin(s.session, "auth", "1234", "5039")
    assert s.sent == [
        SELECT_JPKI,
        "00B0860020",  # token label
        "00200098",  # ② counter, no data
        "00A4020C020018",  # SELECT EF ②
        "00200080" + "04" + b"1234".hex().upper(),  # VERIFY current
        "00240180" + "04" + b"5039".hex().upper(),  # CHANGE REFERENCE DATA, new only
        "00A4020C020018",  # SELECT EF ② again
        "00200080" + "04" + b"5039".hex().upper(),  # VERIFY new: the change confirmed
        "00200098",  # counter again
        "00A4040C07A0000001510000",  # SELECT the ISD: JPKI left
        "00A4040C07A0000001510000",  # this card has no power to cycle: left once more
    ]
    assert result.apdus == 11 and result.card_left is CardLeft.CLEARED_UNPROVEN
    assert result.left_steps == ("select",)
    assert s.value("auth") == "5039" and s.left("auth") == 3
    assert [p.id for p in result.done] == ["auth"]
    (key,) = result.pins[0].keys
    assert key.outcome is Outcome.CHANGED
    assert (key.before.remaining, key.after and key.after.remaining) == (3, 3)
    assert s.fresh_check("auth", "5039") and not s.fresh_check("auth", "1234")


def test_change_with_a_card_that_answers_9000_after_verify() -> None:
    s = Session(quirks={"verified_query_9000": True})
    result = change_pin(s.session, "2", "1234", "5039")
    (key,) = result.pins[0].keys
    assert key.outcome is Outcome.CHANGED and key.after is not None
    assert key.after.sw == 0x9000 and key.after.note == "verified"
    assert s.value("auth") == "5039"


def test_change_juki_changes_both_keys_with_jicsap_change_key() -> None:
    s = Session()
    result = change_pin(s.session, "juki", "1234", "5039", experimental=True)
    assert s.value("juki") == "5039" and s.value("juki-common") == "5039"
    changes = [a for a in s.sent if a.startswith(("8032", "0024"))]
    assert changes == ["80320080" + "04" + b"5039".hex().upper()] * 2
    assert [k.outcome for k in result.pins[0].keys] == [Outcome.CHANGED] * 2


def test_sign_typed_in_lower_case_is_stored_in_upper_case() -> None:
    s = Session()
    change_pin(s.session, "1", "abc123", "k7q2m9x")
    assert s.value("sign") == "K7Q2M9X"
    assert "00200080" + "06" + b"ABC123".hex().upper() in s.sent


def test_wrong_current_pin_spends_exactly_one_try() -> None:
    s = Session()
    with pytest.raises(WrongPinError) as err:
        change_pin(s.session, "auth", "9999", "5039")
    assert err.value.remaining == 2 and err.value.attempts_remaining == 2
    assert s.left("auth") == 2 and s.value("auth") == "1234"
    assert len(s.verifies_with_data()) == 1
    assert not any(a.startswith("0024") for a in s.sent)
    result = err.value.result
    assert isinstance(result, PinCommandResult)
    assert result.pins[0].keys[0].outcome is Outcome.WRONG
    assert result.not_done == (profile.AUTH,)


def test_the_attempt_that_locks_says_so() -> None:
    s = Session(remaining={"auth": 1})
    with pytest.raises(PinLockedError) as err:
        change_pin(s.session, "auth", "9999", "5039", force=True)
    assert err.value.just_locked and s.left("auth") == 0


@pytest.mark.parametrize(
    ("pin", "new", "error"),
    [
        ("auth", "12a4", PinFormatError),
        ("auth", "12345", PinFormatError),
        ("auth", "１２３４", PinFormatError),  # full-width digits
        ("auth", "1111", WeakPinError),
        ("auth", "1234", WeakPinError),
        ("auth", "9876", WeakPinError),
        ("sign", "abcdef", PinFormatError),
        ("sign", "ABC123", WeakPinError),
        ("sign", "ßß1234", PinFormatError),  # would upper-case to SSSS1234
    ],
)
def test_bad_new_values_are_refused_before_any_apdu(
    pin: str, new: str, error: type[Exception]
) -> None:
    s = Session()
    current = "ABC123" if pin == "sign" else "1234"
    with pytest.raises(error) as err:
        change_pin(s.session, pin, current, new)
    assert s.sent == []
    assert new not in str(err.value) and new not in repr(err.value)


def test_allow_weak_lifts_the_refusal_only() -> None:
    s = Session()
    change_pin(s.session, "auth", "1234", "1111", allow_weak=True)
    assert s.value("auth") == "1111"
    with pytest.raises(PinFormatError):
        change_pin(Session().session, "auth", "1234", "111", allow_weak=True)


def test_a_malformed_current_value_is_refused_before_any_apdu() -> None:
    s = Session()
    with pytest.raises(PinFormatError):
        change_pin(s.session, "auth", "12", "5039")
    with pytest.raises(PinFormatError):
        verify_pin(s.session, "sign", "abc")
    assert s.sent == []


def test_date_like_values_are_accepted_with_a_warning() -> None:
    s = Session()
    result = change_pin(s.session, "auth", "1234", "0410")
    assert result.warnings == ("date-like",) and s.value("auth") == "0410"
    assert change_pin(Session().session, "auth", "1234", "5039").warnings == ()


def test_last_try_is_refused_without_force_and_nothing_is_sent() -> None:
    s = Session(remaining={"auth": 1})
    with pytest.raises(SpendRefusedError) as err:
        change_pin(s.session, "auth", "1234", "5039")
    assert err.value.reason == "last-try"
    assert s.verifies_with_data() == [] and s.left("auth") == 1
    change_pin(s.session, "auth", "1234", "5039", force=True)
    assert s.value("auth") == "5039" and s.left("auth") == 3


@pytest.mark.parametrize("answer", ["9000", "6300", "63C9", "6F00"])
def test_untrusted_counts_are_refused_without_force(answer: str) -> None:
    s = Session(answer={"auth": answer})
    with pytest.raises(SpendRefusedError) as err:
        verify_pin(s.session, "auth", "1234")
    assert err.value.reason == "untrusted" and s.verifies_with_data() == []


def test_locked_is_refused_even_with_force() -> None:
    s = Session(remaining={"cardinfo": 0})
    with pytest.raises(PinLockedError) as err:
        change_pin(s.session, ["2", "3", "4"], "1234", "5039", force=True, experimental=True)
    assert not err.value.just_locked
    assert s.verifies_with_data() == []  # ② was not changed either: all checked first
    assert s.value("auth") == "1234"


def test_several_kinds_stop_at_the_first_wrong_current_pin() -> None:
    s = Session()
    s.state.pins["juki"].value = "4321"  # ③'s second key (住基AP)
    with pytest.raises(WrongPinError) as err:
        change_pin(s.session, ["4", "3", "2"], "1234", "5039", experimental=True)
    assert (err.value.pin_id, err.value.key_id) == ("juki", "juki")
    result = err.value.result
    assert isinstance(result, PinCommandResult)
    outcomes = {k.key.id: k.outcome for p in result.pins for k in p.keys}
    assert outcomes == {
        "auth": Outcome.CHANGED,
        "juki-common": Outcome.CHANGED,
        "juki": Outcome.WRONG,
        "cardinfo": Outcome.NOT_TRIED,
    }
    assert [p.id for p in result.done] == ["auth"]
    assert result.pins[1].partly_done
    assert s.value("juki-common") == "5039" and s.value("juki") == "4321"
    assert s.value("cardinfo") == "1234" and s.left("juki") == 2
    # --key finishes ③.
    change_pin(s.session, "3", "4321", "5039", keys=["juki"], experimental=True)
    assert s.value("juki") == "5039"


def test_several_kinds_with_a_current_value_each() -> None:
    s = Session()
    s.state.pins["cardinfo"].value = "8642"
    change_pin(s.session, ["2", "4"], {"auth": "1234", "cardinfo": "8642"}, "5039")
    assert s.value("auth") == s.value("cardinfo") == "5039"
    with pytest.raises(PinRequestError):
        plan_change(["2", "4"], {"auth": "5039"}, "7046")


@pytest.mark.parametrize(
    ("kinds", "keys", "reason"),
    [
        (["1", "2"], None, "mixed-formats"),
        (["5"], None, "unknown-pin"),
        (["cardinfo-a"], None, "unknown-pin"),
        ([], None, "no-pin"),
        (["2"], ["juki"], "key-needs-juki"),
        (["3"], ["auth"], "unknown-key"),
    ],
)
def test_requests_that_cannot_be_done_are_refused_before_the_card(
    kinds: list[str], keys: list[str] | None, reason: str
) -> None:
    s = Session()
    with pytest.raises(PinRequestError) as err:
        change_pin(s.session, kinds, "ABC123", "K7Q2M9", keys=keys)
    assert err.value.reason == reason and s.sent == []


@pytest.mark.parametrize(
    ("changes", "pin", "reason"),
    [
        ({"sign_certificate": False}, "sign", "no-sign-certificate"),
        ({"face_auth": True}, "auth", "no-reference-data"),
        ({"token": "android"}, "auth", "smartphone"),
        ({"token": "iphone"}, "sign", "smartphone"),
        ({"token": "juki-card"}, "auth", "juki-card"),
        ({"applications": ["jpki", "surface", "juki", "common"]}, "cardinfo", "no-application"),
    ],
)
def test_a_pin_the_card_does_not_have_is_refused_without_sending_a_pin(
    changes: dict[str, Any], pin: str, reason: str
) -> None:
    s = Session(**changes)
    current = "ABC123" if pin == "sign" else "1234"
    with pytest.raises(PinAbsentError) as err:
        verify_pin(s.session, pin, current, force=True)
    assert err.value.reason == reason
    assert s.verifies_with_data() == []


def test_verify_juki_reports_each_key_and_stops_at_the_first_wrong() -> None:
    s = Session()
    result = verify_pin(s.session, "3", "1234")
    assert [k.outcome for k in result.pins[0].keys] == [Outcome.VERIFIED, Outcome.VERIFIED]
    s.state.pins["juki-common"].value = "4321"  # the first key tried: 共通カードAP
    with pytest.raises(WrongPinError) as err:
        verify_pin(s.session, "3", "1234")
    result = err.value.result
    assert isinstance(result, PinCommandResult)
    assert [(k.key.id, k.outcome) for k in result.pins[0].keys] == [
        ("juki-common", Outcome.WRONG),
        ("juki", Outcome.NOT_TRIED),
    ]
    assert s.left("juki-common") == 2 and s.left("juki") == 3


def test_verify_correct_restores_the_count() -> None:
    s = Session(remaining={"sign": 2})
    result = verify_pin(s.session, "sign", "abc123")
    after = result.pins[0].keys[0].after
    assert after is not None and after.remaining == 5 and s.left("sign") == 5


def test_a_change_the_card_rejects_is_a_card_error() -> None:
    s = Session()
    real = s.card.process

    def refuse_change(apdu: bytes) -> bytes:
        return b"\x69\x85" if apdu[1] == 0x24 else real(apdu)

    s.card.process = refuse_change  # type: ignore[method-assign]
    with pytest.raises(CardError) as err:
        change_pin(s.session, "auth", "1234", "5039")
    assert err.value.sw == 0x6985
    result = err.value.result
    assert isinstance(result, PinCommandResult)
    assert result.pins[0].keys[0].outcome is Outcome.FAILED


def test_no_value_in_reprs_of_plans_and_results() -> None:
    plan = plan_change("auth", "8264", "7049")
    assert "8264" not in repr(plan) and "7049" not in repr(plan)
    assert "38323634" not in repr(plan).upper()
    s = Session()
    s.state.pins["auth"].value = "8264"
    result = change_pin(s.session, "auth", "8264", "7049")
    text = repr(result)
    assert "8264" not in text and "7049" not in text


@pytest.mark.parametrize(
    ("sw", "error", "remaining"),
    [
        (0x63C2, WrongPinError, 2),
        (0x63C1, WrongPinError, 1),
        (0x63C0, PinLockedError, 0),
        (0x6984, PinLockedError, 0),
        (0x6983, PinLockedError, 0),
        (0x6A80, CardError, None),
        (0x6982, CardError, None),
    ],
)
def test_what_a_rejected_verify_means(
    sw: int, error: type[Exception], remaining: int | None
) -> None:
    err = attempt_error(profile.JUKI_PIN, profile.COMMON_SLOT, sw)
    assert type(err) is error
    if isinstance(err, WrongPinError):
        assert (err.remaining, err.pin_id, err.key_id) == (remaining, "juki", "juki-common")
    if isinstance(err, PinLockedError):
        assert err.just_locked and err.key_id == "juki-common"
    if isinstance(err, CardError):
        assert err.sw == sw


def test_apdus_of_change_pin_2_3_4() -> None:
    s = Session()
    result = change_pin(s.session, ["2", "3", "4"], "1234", "5039", experimental=True)
    # token + 4 counters (with 4 SELECT AP), then per key SELECT AP + SELECT EF +
    # VERIFY + CHANGE + SELECT EF + VERIFY new + counter, then SELECT ISD and ④'s
    # proof (SELECT AP, READ BINARY 1 byte; this scripted card has no power to cycle,
    # so the ISD is selected once more)
    assert result.apdus == len(s.sent) == 41
    assert len(s.verifies_with_data()) == 8  # the current value, then the new one, per key
