"""Decisions about a retry counter, as read without spending a try.

Every query answer (63Cx, 63C0, 6983, 6984, 9000, 6300, anything else) on keys with
and without a known maximum; ③'s two keys combined into one status; the report's
"any PIN locked" (exit 4). No card: answers are built directly.
"""

from __future__ import annotations

import pytest

from apdu import ResponseAPDU
from jpki import profile
from jpki.keystatus import KeyState, KeyStatus, brief_count, interpret_query, is_count_answer
from jpki.profile import Token
from jpki.retries import PinStatus, RetriesReport, combine

USABLE, LAST, LOCKED, UNKNOWN = (
    KeyState.USABLE,
    KeyState.LAST_TRY,
    KeyState.LOCKED,
    KeyState.UNKNOWN,
)

SIGN = profile.SIGN_SLOT  # max 5
AUTH = profile.AUTH_SLOT  # max 3
NO_MAX = profile.CARDINFO_A_SLOT  # no published maximum
JUKI, COMMON = profile.JUKI_SLOT, profile.COMMON_SLOT


def answer(key: profile.PinSlot, sw: int) -> KeyStatus:
    return interpret_query(key, ResponseAPDU(b"", sw))


def triple(status: KeyStatus) -> tuple[int | None, KeyState, str | None]:
    return status.remaining, status.state, status.note


# -- one key: every answer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "sw", "expected"),
    [
        # 63Cx: x tries left, up to the key's maximum
        (AUTH, 0x63C3, (3, USABLE, None)),
        (AUTH, 0x63C2, (2, USABLE, None)),
        (AUTH, 0x63C1, (1, LAST, None)),
        (SIGN, 0x63C5, (5, USABLE, None)),
        (SIGN, 0x63C1, (1, LAST, None)),
        # 63C0 and the two "blocked" words: locked, 0 left
        (AUTH, 0x63C0, (0, LOCKED, None)),
        (AUTH, 0x6983, (0, LOCKED, None)),
        (AUTH, 0x6984, (0, LOCKED, None)),
        (NO_MAX, 0x6983, (0, LOCKED, None)),
        (NO_MAX, 0x63C0, (0, LOCKED, None)),
        # more than the maximum cannot be true
        (AUTH, 0x63C4, (None, UNKNOWN, "over-max")),
        (AUTH, 0x63C9, (None, UNKNOWN, "over-max")),
        (SIGN, 0x63C6, (None, UNKNOWN, "over-max")),
        # no maximum known: any count is believed
        (NO_MAX, 0x63CF, (15, USABLE, None)),
        (NO_MAX, 0x63C1, (1, LAST, None)),
        # 9000 before any VERIFY: verified in this session, no count
        (AUTH, 0x9000, (None, UNKNOWN, "verified")),
        (NO_MAX, 0x9000, (None, UNKNOWN, "verified")),
        # 6300: no counter; believable only on a key with no known limit
        (AUTH, 0x6300, (None, UNKNOWN, "no-limit-claimed")),
        (NO_MAX, 0x6300, (None, USABLE, "no-limit")),
        # anything else: unknown, no note
        (AUTH, 0x6A88, (None, UNKNOWN, None)),
        (AUTH, 0x6A82, (None, UNKNOWN, None)),
        (AUTH, 0x6982, (None, UNKNOWN, None)),
        (AUTH, 0x6D00, (None, UNKNOWN, None)),
        (NO_MAX, 0x6A86, (None, UNKNOWN, None)),
    ],
)
def test_every_query_answer(key: profile.PinSlot, sw: int, expected: tuple[object, ...]) -> None:
    status = answer(key, sw)
    assert triple(status) == expected
    assert status.sw == sw and status.key is key


@pytest.mark.parametrize("sw", [0x6983, 0x6984, 0x63C0])
def test_blocked_answers_are_locked_never_unknown(sw: int) -> None:
    status = answer(AUTH, sw)
    assert status.locked is True
    assert status.to_dict()["locked"] is True and status.to_dict()["remaining"] == 0


def test_6300_on_a_key_with_a_limit_is_never_usable() -> None:
    status = answer(AUTH, 0x6300)
    assert status.state is UNKNOWN and status.locked is None


@pytest.mark.parametrize(
    ("state", "locked"), [(USABLE, False), (LAST, False), (LOCKED, True), (UNKNOWN, None)]
)
def test_key_locked_is_none_when_the_count_is_unknown(state: KeyState, locked: bool | None) -> None:
    assert KeyStatus(AUTH, 0x63C3, 3, state).locked is locked


@pytest.mark.parametrize(
    ("sw", "is_count"),
    [
        (0x63C3, True),
        (0x63C0, True),
        (0x63CF, True),
        (0x6983, True),
        (0x6984, True),
        (0x9000, False),  # verified, count not given: asked again in the long form
        (0x6300, True),
        (0x6A82, False),
        (0x6A86, False),
        (0x6A88, False),
        (0x6700, False),
        (0x6982, False),
        (0x6D00, False),
    ],
)
def test_which_answers_are_counts(sw: int, is_count: bool) -> None:
    """A count answer ends the query; anything else, 9000 included, makes the card fall
    back to SELECT EF."""
    assert is_count_answer(ResponseAPDU(b"", sw)) is is_count


def test_key_status_to_dict_names_the_key_and_its_application() -> None:
    assert answer(COMMON, 0x63C2).to_dict() == {
        "id": "juki-common",
        "application": "common",
        "remaining": 2,
        "max": 3,
        "locked": False,
        "state": "usable",
        "sw": "63C2",
        "note": None,
    }
    assert answer(AUTH, 0x6300).to_dict()["note"] == "no-limit-claimed"
    assert answer(AUTH, 0x6300).to_dict()["locked"] is None


def test_key_status_repr_has_the_count_not_the_profile() -> None:
    text = repr(answer(AUTH, 0x63C1))
    assert text == "KeyStatus(key='auth', remaining=1, max_tries=3, state='last-try', sw='63C1')"
    assert "note='over-max'" in repr(answer(AUTH, 0x63C7))


# -- ③: two keys, one PIN --------------------------------------------------------------


def juki(a: int, b: int) -> PinStatus:
    """③ from the two keys' answers."""
    return combine(profile.JUKI_PIN, (answer(JUKI, a), answer(COMMON, b)))


def view(p: PinStatus) -> tuple[int | None, KeyState, bool]:
    return p.remaining, p.state, p.keys_differ


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # same count: that count, no difference
        (0x63C3, 0x63C3, (3, USABLE, False)),
        (0x63C1, 0x63C1, (1, LAST, False)),
        (0x63C0, 0x63C0, (0, LOCKED, False)),
        # different counts: the lower wins, whichever key has it
        (0x63C3, 0x63C2, (2, USABLE, True)),
        (0x63C2, 0x63C3, (2, USABLE, True)),
        (0x63C3, 0x63C1, (1, LAST, True)),
        (0x63C1, 0x63C3, (1, LAST, True)),
        # one locked: locked, whatever the other says
        (0x63C3, 0x63C0, (0, LOCKED, True)),
        (0x63C0, 0x63C3, (0, LOCKED, True)),
        (0x6983, 0x63C2, (0, LOCKED, True)),
        (0x63C1, 0x6984, (0, LOCKED, True)),
        (0x6983, 0x6984, (0, LOCKED, False)),
        # one unknown: the known one decides, and the keys are said to differ
        (0x63C3, 0x6A88, (3, USABLE, True)),
        (0x6A88, 0x63C3, (3, USABLE, True)),
        (0x9000, 0x63C1, (1, LAST, True)),
        (0x63C0, 0x6300, (0, LOCKED, True)),
        (0x6300, 0x63C2, (2, USABLE, True)),
        # both unknown: unknown (never usable), no difference claimed
        (0x6A88, 0x6A88, (None, UNKNOWN, False)),
        (0x9000, 0x6300, (None, UNKNOWN, False)),
        (0x63C9, 0x63C7, (None, UNKNOWN, False)),
    ],
)
def test_juki_combination(a: int, b: int, expected: tuple[object, ...]) -> None:
    assert view(juki(a, b)) == expected


def test_juki_status_word_is_the_deciding_keys() -> None:
    assert juki(0x63C2, 0x63C3).sw == 0x63C2
    assert juki(0x63C3, 0x63C1).sw == 0x63C1
    assert juki(0x63C3, 0x63C0).sw == 0x63C0
    assert juki(0x6983, 0x63C3).sw == 0x6983
    assert juki(0x6A88, 0x63C3).sw == 0x63C3
    # nothing decided (both unknown): the first key's word
    assert juki(0x6A82, 0x6A88).sw == 0x6A82


def test_juki_status_word_matches_the_count_shown_when_both_keys_are_usable() -> None:
    status = juki(0x63C3, 0x63C2)
    assert status.remaining == 2
    assert status.sw == 0x63C2


def test_juki_locked_is_none_only_when_both_are_unknown() -> None:
    assert juki(0x6A88, 0x6A88).locked is None
    assert juki(0x6A88, 0x63C0).locked is True
    assert juki(0x63C3, 0x63C3).locked is False


def test_keys_with_no_count_but_trusted_keep_their_state() -> None:
    """Two keys without a known limit answering 6300 (no counter): usable, no count."""
    pin = profile.Pin("test", None, (profile.CARDINFO_A_SLOT, profile.SURFACE_A_SLOT), "", "")
    both = combine(
        pin, (answer(profile.CARDINFO_A_SLOT, 0x6300), answer(profile.SURFACE_A_SLOT, 0x6300))
    )
    assert view(both) == (None, USABLE, False)
    # one with a count, one without: the count is shown, the keys differ
    mixed = combine(
        pin, (answer(profile.CARDINFO_A_SLOT, 0x6300), answer(profile.SURFACE_A_SLOT, 0x63C4))
    )
    assert view(mixed) == (4, USABLE, True)
    # one without a count but trusted, the other unknown: the trusted one decides
    half = combine(
        pin, (answer(profile.CARDINFO_A_SLOT, 0x6300), answer(profile.SURFACE_A_SLOT, 0x6A88))
    )
    assert view(half) == (None, USABLE, True) and half.pin is pin and len(half.keys) == 2


def test_one_key_pin_is_that_key() -> None:
    status = combine(profile.AUTH, (answer(AUTH, 0x63C1),))
    assert view(status) == (1, LAST, False)
    assert status.sw == 0x63C1 and status.max_tries == 3 and status.id == "auth"
    unknown = combine(profile.AUTH, (answer(AUTH, 0x6300),))
    assert view(unknown) == (None, UNKNOWN, False) and unknown.locked is None


def test_juki_to_dict_lists_both_keys_and_the_difference() -> None:
    d = juki(0x63C3, 0x63C1).to_dict()
    assert d["id"] == "juki" and d["no"] == 3
    assert d["remaining"] == 1 and d["state"] == "last-try" and d["sw"] == "63C1"
    assert d["max"] == 3 and d["locked"] is False and d["keys_differ"] is True
    assert [k["id"] for k in d["keys"]] == ["juki", "juki-common"]
    assert [k["remaining"] for k in d["keys"]] == [3, 1]


def test_juki_repr_shows_both_keys() -> None:
    text = repr(juki(0x63C3, 0x63C1))
    assert "keys=[juki 3/3 usable, juki-common 1/3 last-try], keys_differ=True" in text
    assert "keys=" not in repr(combine(profile.AUTH, (answer(AUTH, 0x63C3),)))


@pytest.mark.parametrize(
    ("remaining", "most", "state", "text"),
    [
        (5, 5, USABLE, "5/5 usable"),
        (None, 3, UNKNOWN, "?/3 unknown"),
        (10, None, USABLE, "10/? usable"),
        (None, None, UNKNOWN, "?/? unknown"),
    ],
)
def test_brief_count(remaining: int | None, most: int | None, state: KeyState, text: str) -> None:
    assert brief_count(remaining, most, state) == text


# -- the report: is anything locked (exit 4)? ------------------------------------------------


def report(**sws: int) -> RetriesReport:
    """Every PIN usable (its maximum, or 10) except those given a status word."""
    pins = []
    for pin in profile.PINS:
        keys = tuple(
            answer(k, sws.get(pin.id.replace("-", "_"), 0x63C0 | (k.max_tries or 10)))
            for k in pin.slots
        )
        pins.append(combine(pin, keys))
    return RetriesReport("reader", Token.CARD, tuple(pins), 15)


def test_nothing_locked() -> None:
    assert report().any_locked is False
    assert report().to_dict()["any_locked"] is False


@pytest.mark.parametrize("pin", ["sign", "auth", "juki", "cardinfo"])
@pytest.mark.parametrize("sw", [0x63C0, 0x6983, 0x6984])
def test_any_of_one_to_four_locked(pin: str, sw: int) -> None:
    r = report(**{pin: sw})
    assert r.any_locked is True
    assert r.to_dict()["any_locked"] is True


@pytest.mark.parametrize("pin", ["cardinfo_a", "cardinfo_b", "surface_a", "surface_b"])
def test_a_check_number_locked_is_not_a_locked_pin(pin: str) -> None:
    """The 照合番号 are not ①-④: one locked does not make ``retries`` exit 4."""
    assert report(**{pin: 0x63C0}).any_locked is False


def test_unknown_or_last_try_is_not_locked() -> None:
    assert report(auth=0x6300, sign=0x63C1, juki=0x9000).any_locked is False


def test_report_pin_by_id() -> None:
    r = report(auth=0x63C1)
    assert r.pin("auth").remaining == 1
    assert r.pin("sign").remaining == 5
    with pytest.raises(KeyError) as caught:
        r.pin("nothing")
    assert caught.value.args == ("nothing",)


def test_report_to_dict_and_repr() -> None:
    r = report(juki=0x63C2)
    d = r.to_dict()
    assert d["reader"] == "reader" and d["token"] == "card" and d["apdus"] == 15
    assert [p["id"] for p in d["pins"]] == [p.id for p in profile.PINS]
    text = repr(r)
    assert text.startswith("RetriesReport(reader='reader', token='card', pins=[sign 5/5 usable")
    assert "juki 2/3 usable" in text and text.endswith("apdus=15)")
    differ = RetriesReport("r", Token.CARD, (juki(0x63C3, 0x63C2),), 1)
    assert "juki 2/3 usable (keys differ)" in repr(differ)


# -- which PINs a report holds, and what it cost ----------------------------------------------


def test_pins_by_id_number_or_circled_number_in_the_cards_order() -> None:
    from jpki.retries import named_pins

    assert named_pins(None) == profile.PINS
    assert named_pins(["surface-b", "③", "1", "AUTH"]) == (
        profile.SIGN,
        profile.AUTH,
        profile.JUKI_PIN,
        profile.SURFACE_B,
    )
    assert named_pins("4") == (profile.CARDINFO_PIN,)
    assert named_pins(profile.CARDINFO_A) == (profile.CARDINFO_A,)


@pytest.mark.parametrize("name", ["5", "⑤", "pin", "", "juki-common"])
def test_a_name_that_is_no_pin_is_named_back(name: str) -> None:
    from jpki.errors import PinRequestError
    from jpki.retries import named_pins

    with pytest.raises(PinRequestError) as caught:
        named_pins([name])
    assert (caught.value.reason, caught.value.detail) == ("unknown-pin", name)


def test_a_pin_of_another_table_is_refused() -> None:
    from jpki.errors import PinRequestError
    from jpki.retries import named_pins

    other = profile.Pin("other", None, (profile.CARDINFO_BLOCKED_SLOT,), "", "")
    with pytest.raises(PinRequestError) as caught:
        named_pins([other])
    assert caught.value.reason == "unknown-pin"
    with pytest.raises(PinRequestError) as caught:
        named_pins([])
    assert caught.value.reason == "no-pin"


def test_each_report_counts_its_own_apdus() -> None:
    from jpki import open_emulator
    from jpki.retries import read_retries

    with open_emulator() as card:
        first = read_retries(card)
        second = read_retries(card, ["auth"])
    assert first.apdus == 15
    assert 0 < second.apdus < first.apdus
    assert [p.id for p in second.pins] == ["auth"]
