"""Every guidance branch: which route, for whom, and in which order, in both languages.

The routes are checked over every combination of ①'s and ②'s states (usable, last
try, locked, unknown, absent from the report) and every token kind, against the rule
the README states; the codes over locked, last-try and unknown PINs of every kind.
Reports are built directly (no card).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from jpki import profile
from jpki.i18n import get_language, set_language, t
from jpki.keystatus import KeyState, KeyStatus
from jpki.profile import Token
from jpki.retries import Advice, Code, PinStatus, RetriesReport, guidance, recovery_routes
from jpki.words.guidance import KEYS, advice

USABLE, LAST, LOCKED, UNKNOWN = (
    KeyState.USABLE,
    KeyState.LAST_TRY,
    KeyState.LOCKED,
    KeyState.UNKNOWN,
)
ABSENT = "absent"
PHONES = (Token.ANDROID, Token.IPHONE)
CARDS = (Token.CARD, Token.JUKI_CARD, Token.UNKNOWN)

#: A status word typical of each state (unknown: 6300 on a key with a limit).
SW_OF = {USABLE: 0x63C3, LAST: 0x63C1, LOCKED: 0x63C0, UNKNOWN: 0x6300}


@pytest.fixture(params=["en", "ja"])
def lang(request: pytest.FixtureRequest) -> Iterator[str]:
    before = get_language()
    set_language(request.param)
    yield request.param
    set_language(before)


def status(pin: profile.Pin, state: KeyState, sw: int | None = None) -> PinStatus:
    remaining = {USABLE: pin.max_tries or 10, LAST: 1, LOCKED: 0, UNKNOWN: None}[state]
    word = SW_OF[state] if sw is None else sw
    keys = tuple(KeyStatus(k, word, remaining, state) for k in pin.slots)
    return PinStatus(pin, keys, remaining, state)


def report(token: Token = Token.CARD, **states: KeyState | str) -> RetriesReport:
    """Every PIN usable except those named (``cardinfo_a=LOCKED``; ``sign=ABSENT``: left out)."""
    pins = []
    for pin in profile.PINS:
        state = states.get(pin.id.replace("-", "_"), USABLE)
        if state != ABSENT:
            assert isinstance(state, KeyState)
            pins.append(status(pin, state))
    return RetriesReport("reader", token, tuple(pins), 15)


def expected_routes(token: Token, sign: KeyState | str, auth: KeyState | str, other_locked: bool):
    """The README's rule, written out independently of the code."""
    if not (sign is LOCKED or auth is LOCKED or other_locked):
        return ()
    if token in PHONES:
        return ("smartphone",)
    working = (USABLE, LAST)
    extra: tuple[str, ...] = ()
    if sign is LOCKED and auth is LOCKED:
        extra = ("kiosk-needs-one",)
    elif sign is LOCKED and auth in working:
        extra = ("kiosk-sign",)
    elif auth is LOCKED and sign in working:
        extra = ("kiosk-auth",)
    return ("office", "guardian", *extra)


STATES = (USABLE, LAST, LOCKED, UNKNOWN, ABSENT)


@pytest.mark.parametrize("token", CARDS + PHONES)
@pytest.mark.parametrize("other", [None, "juki", "cardinfo", "cardinfo_b"])
def test_routes_for_every_state_of_sign_and_auth(token: Token, other: str | None) -> None:
    for sign, auth in itertools.product(STATES, STATES):
        states: dict[str, KeyState | str] = {"sign": sign, "auth": auth}
        if other is not None:
            states[other] = LOCKED
        got = recovery_routes(report(token, **states))
        assert got == expected_routes(token, sign, auth, other is not None), (sign, auth)


def test_both_locked_never_a_kiosk_and_a_phone_never_the_office() -> None:
    """The two mistakes once unnoticed: ①+② locked sent to a kiosk; a phone to the office."""
    both = recovery_routes(report(sign=LOCKED, auth=LOCKED))
    assert "kiosk-sign" not in both and "kiosk-auth" not in both
    assert both == ("office", "guardian", "kiosk-needs-one")
    for token in PHONES:
        assert recovery_routes(report(token, sign=LOCKED, auth=LOCKED)) == ("smartphone",)
        assert "office" not in recovery_routes(report(token, juki=LOCKED))


# -- the codes, in order -----------------------------------------------------------------


def codes(r: RetriesReport) -> list[tuple[str, tuple[str, ...]]]:
    return [(a.code.value, a.pins) for a in guidance(r)]


def test_nothing_to_say_when_all_usable() -> None:
    assert guidance(report()) == ()


def test_several_locked_pins_are_one_line_in_report_order() -> None:
    r = report(cardinfo=LOCKED, sign=LOCKED, juki=LOCKED)
    assert codes(r) == [
        ("locked", ("sign", "juki", "cardinfo")),
        ("office", ()),
        ("guardian", ()),
        ("kiosk-sign", ()),
        ("helpline", ()),
    ]


def test_a_locked_check_number_gets_the_office() -> None:
    assert codes(report(surface_b=LOCKED)) == [
        ("locked", ("surface-b",)),
        ("office", ()),
        ("guardian", ()),
        ("helpline", ()),
    ]


def test_smartphone_locked_gets_the_phone_and_the_helpline() -> None:
    assert codes(report(Token.IPHONE, auth=LOCKED)) == [
        ("locked", ("auth",)),
        ("smartphone", ()),
        ("helpline", ()),
    ]


def test_last_try_each_pin_then_one_do_not_guess() -> None:
    assert codes(report(sign=LAST, cardinfo=LAST)) == [
        ("last-try", ("sign",)),
        ("last-try", ("cardinfo",)),
        ("do-not-guess", ()),
    ]
    assert codes(report(auth=LAST)) == [("last-try", ("auth",)), ("do-not-guess", ())]


def test_unknown_pins_are_one_line_and_face_auth_only_for_auth_6a88() -> None:
    assert codes(report(sign=UNKNOWN, juki=UNKNOWN)) == [("unknown", ("sign", "juki"))]
    pins = tuple(
        status(p, UNKNOWN, 0x6A88) if p.id == "auth" else status(p, USABLE) for p in profile.PINS
    )
    face = RetriesReport("reader", Token.CARD, pins, 15)
    # 6A88: the card has no such key (absent), not an untrusted count
    assert codes(face) == [("absent", ("auth",)), ("face-auth", ())]
    # 6A88 on another PIN is not a face-authentication card
    pins = tuple(
        status(p, UNKNOWN, 0x6A88) if p.id == "sign" else status(p, USABLE) for p in profile.PINS
    )
    assert codes(RetriesReport("reader", Token.CARD, pins, 15)) == [("absent", ("sign",))]


def test_everything_at_once_in_order() -> None:
    r = report(auth=LOCKED, sign=LAST, juki=UNKNOWN, cardinfo=LAST)
    assert codes(r) == [
        ("locked", ("auth",)),
        ("office", ()),
        ("guardian", ()),
        ("kiosk-auth", ()),
        ("helpline", ()),
        ("last-try", ("sign",)),
        ("last-try", ("cardinfo",)),
        ("do-not-guess", ()),
        ("unknown", ("juki",)),
    ]


def test_advice_is_data_with_defaults() -> None:
    assert Advice(Code.OFFICE) == Advice(Code.OFFICE, ())
    assert {c.value for c in Code} == {
        "locked",
        "office",
        "guardian",
        "kiosk-sign",
        "kiosk-auth",
        "kiosk-needs-one",
        "smartphone",
        "helpline",
        "last-try",
        "do-not-guess",
        "unknown",
        "absent",
        "face-auth",
    }


# -- the sentences, in both languages --------------------------------------------------------


def test_every_code_has_a_sentence_in_both_languages(lang: str) -> None:
    assert set(KEYS) == set(Code)
    for code in Code:
        text = t(KEYS[code], pins=t("pin.auth.short"), pin=t("pin.auth.short"))
        assert text and "{" not in text


def test_json_guidance_has_the_codes_and_pins_the_sentences_render(lang: str) -> None:
    """``retries --json``'s ``guidance`` is the library's: codes and PINs, no sentence
    (the text output has them, in the chosen language)."""
    r = report(sign=LOCKED, juki=LOCKED, auth=LAST)
    items = r.to_dict()["guidance"]
    assert [i["code"] for i in items] == [
        "locked",
        "office",
        "guardian",
        "kiosk-sign",
        "helpline",
        "last-try",
        "do-not-guess",
    ]
    assert items[0] == {"code": "locked", "pins": ["sign", "juki"]}
    assert items[1] == {"code": "office", "pins": []}
    sep = ", " if lang == "en" else "、"
    names = sep.join([t("pin.sign.short"), t("pin.juki.short")])
    assert advice(r)[0] == t("guidance.locked", pins=names)
    assert len(advice(r)) == len(items)


def test_sentences_name_the_pins_in_the_language(lang: str) -> None:
    lines = advice(report(cardinfo=LOCKED, auth=LOCKED))
    if lang == "en":
        assert lines[0].startswith("Locked: ")
        assert ", " in lines[0]
    else:
        assert lines[0].startswith("ロックされています: ")
        assert "、" in lines[0]
    assert t("pin.auth.short") in lines[0] and t("pin.cardinfo.short") in lines[0]


# -- the flag the advice names is the one that lifts the refusal -------------------------------


def pins_with(pin_id: str, *sws: int) -> RetriesReport:
    """Every PIN usable but ``pin_id``, whose keys answered ``sws`` (one per key)."""
    out = []
    for p in profile.PINS:
        if p.id != pin_id:
            out.append(status(p, USABLE))
            continue
        keys = tuple(KeyStatus(k, sw, None, UNKNOWN) for k, sw in zip(p.slots, sws, strict=True))
        out.append(PinStatus(p, keys, None, UNKNOWN))
    return RetriesReport("reader", Token.CARD, tuple(out), 15)


@pytest.mark.parametrize("sw", [0x9000, 0x6300, 0x63C9, 0x6F00, 0x6982])
def test_an_untrusted_count_is_advised_accept_unknown_count(lang: str, sw: int) -> None:
    r = pins_with("auth", sw)
    assert codes(r) == [("unknown", ("auth",))]
    (line,) = advice(r)
    assert "--accept-unknown-count" in line
    assert ("add --force" if lang == "en" else "--force を付け") not in line


@pytest.mark.parametrize(
    ("pin_id", "sws"),
    [("sign", (0x6A88,)), ("cardinfo", (0x6A82,)), ("juki", (0x6A82, 0x6A82)),
     ("juki", (0x9000, 0x6A82))],
)  # fmt: skip
def test_a_key_the_card_lacks_is_advised_no_flag(
    lang: str, pin_id: str, sws: tuple[int, ...]
) -> None:
    """6A82/6A88: verify-pin refuses it whatever flag is given (permit.Refusal.ABSENT), so
    the advice names none and says what to do instead. ③ with one key absent is absent."""
    r = pins_with(pin_id, *sws)
    assert codes(r) == [("absent", (pin_id,))]
    (line,) = advice(r)
    assert "--force" not in line and "--accept-unknown-count" not in line
    assert ("municipal office" if lang == "en" else "市区町村の窓口") in line


def test_the_last_try_is_advised_force_alone(lang: str) -> None:
    lines = advice(report(auth=LAST))
    protect = lines[-1]
    assert "--force" in protect and "--accept-unknown-count" not in protect


def test_untrusted_and_absent_each_get_their_line_in_order() -> None:
    pins = tuple(
        status(p, UNKNOWN, 0x6A88)
        if p.id == "auth"
        else status(p, UNKNOWN, 0x9000)
        if p.id in ("sign", "cardinfo")
        else status(p, USABLE)
        for p in profile.PINS
    )
    r = RetriesReport("reader", Token.CARD, pins, 15)
    assert codes(r) == [("unknown", ("sign", "cardinfo")), ("absent", ("auth",)), ("face-auth", ())]
