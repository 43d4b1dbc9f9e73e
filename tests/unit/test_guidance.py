"""Guidance under the retries table: which recovery route fits which card state, in both languages.

Reports are built directly (no card), except one read from the in-process virtual card.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from jpki import open_emulator, read_retries
from jpki.emulator import build_state
from jpki.i18n import get_language, set_language, t
from jpki.keystatus import KeyState, KeyStatus
from jpki.profile import PINS, Token
from jpki.retries import Code, PinStatus, RetriesReport, recovery_routes
from jpki.words.guidance import advice

USABLE, LAST, LOCKED, UNKNOWN = (
    KeyState.USABLE,
    KeyState.LAST_TRY,
    KeyState.LOCKED,
    KeyState.UNKNOWN,
)

OFFICE = ("office", "guardian")

#: Words that only the given route's sentence holds, per language.
MARK = {
    "en": {
        "office": "municipal office (市区町村の窓口) resets",
        "guardian": "legal representative",
        "kiosk-sign": "署名用パスワードの初期化・再設定",
        "kiosk-auth": "not every store or operator offers the ② reset yet",
        "kiosk-needs-one": "needs one of ① and ② working",
        "smartphone": "from the smartphone itself",
    },
    "ja": {
        "office": "お住まいの市区町村の窓口で再設定",
        "guardian": "法定代理人",
        "kiosk-sign": "署名用パスワードの初期化・再設定",
        "kiosk-auth": "すべての店舗・事業者で利用できるわけではありません",
        "kiosk-needs-one": "どちらか一方の暗証番号が分かっている必要があります",
        "smartphone": "スマートフォンから手続き",
    },
}
KIOSK_ROUTES = ("kiosk-sign", "kiosk-auth", "kiosk-needs-one")


@pytest.fixture(params=["en", "ja"])
def lang(request: pytest.FixtureRequest) -> Iterator[str]:
    before = get_language()
    set_language(request.param)
    yield request.param
    set_language(before)


def _status(pin_id: str, state: KeyState) -> PinStatus:
    pin = next(p for p in PINS if p.id == pin_id)
    most = pin.max_tries or 10
    remaining = {USABLE: most, LAST: 1, LOCKED: 0, UNKNOWN: None}[state]
    sw = 0x6A88 if remaining is None else 0x63C0 | remaining
    keys = tuple(KeyStatus(k, sw, remaining, state) for k in pin.slots)
    return PinStatus(pin, keys, remaining, state)


def build(
    states: Mapping[str, KeyState], token: Token = Token.CARD, absent: tuple[str, ...] = ()
) -> RetriesReport:
    """Every PIN usable except those in ``states``; ``absent`` PINs are left out of the report."""
    pins = tuple(_status(p.id, states.get(p.id, USABLE)) for p in PINS if p.id not in absent)
    return RetriesReport("test reader", token, pins, 15)


def report(
    token: Token = Token.CARD, *, absent: tuple[str, ...] = (), **states: KeyState
) -> RetriesReport:
    return build(states, token, absent)


def text(r: RetriesReport) -> str:
    return "\n".join(advice(r))


def offered(r: RetriesReport, lang: str) -> set[str]:
    """The routes whose words appear in the printed advice."""
    out = text(r)
    return {route for route, words in MARK[lang].items() if words in out}


# -- the decision ----------------------------------------------------------------


def test_nothing_locked_no_route_and_no_advice() -> None:
    assert recovery_routes(report()) == ()
    assert advice(report()) == []


@pytest.mark.parametrize("sign", [USABLE, LAST])
def test_auth_locked_sign_working_office_and_kiosk_for_auth(sign: KeyState) -> None:
    assert recovery_routes(report(auth=LOCKED, sign=sign)) == (*OFFICE, "kiosk-auth")


@pytest.mark.parametrize("auth", [USABLE, LAST])
def test_sign_locked_auth_working_office_and_kiosk_for_sign(auth: KeyState) -> None:
    assert recovery_routes(report(sign=LOCKED, auth=auth)) == (*OFFICE, "kiosk-sign")


def test_both_locked_office_only_and_says_why() -> None:
    assert recovery_routes(report(sign=LOCKED, auth=LOCKED)) == (*OFFICE, "kiosk-needs-one")


def test_auth_locked_sign_unknown_or_absent_office_only() -> None:
    assert recovery_routes(report(auth=LOCKED, sign=UNKNOWN)) == OFFICE
    assert recovery_routes(report(auth=LOCKED, absent=("sign",))) == OFFICE


def test_sign_locked_auth_unknown_or_absent_office_only() -> None:
    assert recovery_routes(report(sign=LOCKED, auth=UNKNOWN)) == OFFICE
    assert recovery_routes(report(sign=LOCKED, absent=("auth",))) == OFFICE


@pytest.mark.parametrize("pin", ["juki", "cardinfo"])
def test_juki_or_cardinfo_locked_never_kiosk(pin: str) -> None:
    assert recovery_routes(build({pin: LOCKED})) == OFFICE
    # with ① and ② both working, still no kiosk route for ③/④
    assert recovery_routes(build({pin: LOCKED, "sign": LAST, "auth": LAST})) == OFFICE


def test_cardinfo_locked_with_sign_locked_keeps_the_kiosk_for_sign() -> None:
    assert recovery_routes(report(sign=LOCKED, cardinfo=LOCKED)) == (*OFFICE, "kiosk-sign")


@pytest.mark.parametrize("token", [Token.ANDROID, Token.IPHONE])
@pytest.mark.parametrize(
    "states",
    [{"auth": LOCKED}, {"sign": LOCKED}, {"sign": LOCKED, "auth": LOCKED}],
)
def test_smartphone_token_smartphone_line_only(token: Token, states: dict[str, KeyState]) -> None:
    assert recovery_routes(build(states, token)) == ("smartphone",)


# -- the sentences, in both languages ----------------------------------------------


def test_auth_locked_sign_usable_text(lang: str) -> None:
    r = report(auth=LOCKED)
    assert offered(r, lang) == {"office", "guardian", "kiosk-auth"}
    lines = advice(r)
    assert lines == [
        t("guidance.locked", pins=t("pin.auth.short")),
        t("guidance.office"),
        t("guidance.guardian"),
        t("guidance.kiosk_auth"),
        t("guidance.helpline"),
    ]
    kiosk_auth = lines[3]
    assert "JPKI暗証番号リセットアプリ" in kiosk_auth and "23:00" in kiosk_auth
    assert ("Seven-Eleven" if lang == "en" else "セブン-イレブン") in kiosk_auth
    assert ("entering ①" if lang == "en" else "① の暗証番号を入力") in kiosk_auth


def test_sign_locked_auth_usable_text(lang: str) -> None:
    r = report(sign=LOCKED)
    assert offered(r, lang) == {"office", "guardian", "kiosk-sign"}
    assert t("guidance.kiosk") in advice(r)
    assert "JPKI暗証番号リセットアプリ" in text(r) and "24" in text(r)


def test_both_locked_text_office_only(lang: str) -> None:
    r = report(sign=LOCKED, auth=LOCKED)
    assert offered(r, lang) == {"office", "guardian", "kiosk-needs-one"}
    assert "JPKI暗証番号リセットアプリ" not in text(r)


def test_auth_locked_sign_unknown_text_no_kiosk(lang: str) -> None:
    r = report(auth=LOCKED, sign=UNKNOWN)
    assert offered(r, lang) == {"office", "guardian"}
    assert "JPKI暗証番号リセットアプリ" not in text(r)
    # (6A88 on ①: the card has no sign key, e.g. issued under 15: no flag helps)
    assert t("guidance.absent", pins=t("pin.sign.short")) in advice(r)


def test_cardinfo_locked_text_no_kiosk(lang: str) -> None:
    r = report(cardinfo=LOCKED)
    assert offered(r, lang) == {"office", "guardian"}
    assert ("kiosk-sign" if lang == "en" else "キオスク") not in text(r)


def test_smartphone_text_no_office(lang: str) -> None:
    r = report(Token.ANDROID, auth=LOCKED)
    assert offered(r, lang) == {"smartphone"}
    assert t("guidance.office") not in advice(r)
    assert t("guidance.guardian") not in advice(r)
    assert "0120-95-0178" in text(r)


def test_helpline_gives_its_hours(lang: str) -> None:
    line = t("guidance.helpline")
    assert line in advice(report(cardinfo=LOCKED))
    assert "0120-95-0178" in line
    if lang == "en":
        assert "weekdays 9:30–20:00" in line
        assert "weekends and holidays 9:30–17:30" in line
        assert "New Year" in line
    else:
        assert "平日 9:30〜20:00" in line
        assert "土日祝日 9:30〜17:30" in line
        assert "年末年始を除く" in line


def test_last_try_points_to_verify_and_change_pin(lang: str) -> None:
    r = report(auth=LAST, juki=LAST)
    lines = advice(r)
    protect = t("guidance.last_try_protect")
    assert lines == [
        t("guidance.last_try", pin=t("pin.auth.short")),
        t("guidance.last_try", pin=t("pin.juki.short")),
        protect,
    ]
    assert "jpkitool verify-pin N" in protect and "jpkitool change-pin N" in protect
    assert "--force" in protect
    assert ("municipal office" if lang == "en" else "市区町村の窓口") in protect
    assert "\n" not in protect


def test_unknown_auth_keeps_the_face_auth_line(lang: str) -> None:
    lines = advice(report(auth=UNKNOWN))  # 6A88: no such key, as on a face-auth card
    assert lines == [
        t("guidance.absent", pins=t("pin.auth.short")),
        t("guidance.face_auth"),
    ]


@pytest.mark.parametrize("sw", [0x9000, 0x63C9, 0x6300])
def test_untrusted_auth_count_is_not_blamed_on_a_face_auth_card(sw: int) -> None:
    base = report(auth=UNKNOWN)
    auth = base.pin("auth")
    odd = PinStatus(auth.pin, tuple(KeyStatus(k.key, sw, None, UNKNOWN) for k in auth.keys),
                    None, UNKNOWN)  # fmt: skip
    r = RetriesReport("test reader", Token.CARD, tuple(
        odd if p.id == "auth" else p for p in base.pins), 15)  # fmt: skip
    assert advice(r) == [t("guidance.unknown", pins=t("pin.auth.short"))]


def test_no_dropped_route_key_is_left_in_the_catalogue() -> None:
    from jpki.i18n import has
    from jpki.words.guidance import KEYS

    assert not has("guidance.kiosk_needs_auth")
    for route in (*OFFICE, *KIOSK_ROUTES, "smartphone"):
        assert has(KEYS[Code(route)])


# -- read from the in-process virtual card -----------------------------------------


def test_card_without_sign_certificate_auth_locked_gives_no_kiosk(lang: str) -> None:
    with open_emulator(build_state(sign_certificate=False, remaining={"auth": 0})) as card:
        r = read_retries(card)
    assert r.pin("sign").state is UNKNOWN and r.pin("auth").state is LOCKED
    assert recovery_routes(r) == OFFICE
    assert offered(r, lang) == {"office", "guardian"}


def test_virtual_card_auth_locked_gives_kiosk_for_auth(lang: str) -> None:
    with open_emulator(build_state(remaining={"auth": 0})) as card:
        r = read_retries(card)
    assert recovery_routes(r) == (*OFFICE, "kiosk-auth")
    assert offered(r, lang) == {"office", "guardian", "kiosk-auth"}


# -- guidance as data --------------------------------------------------------------


def test_guidance_is_codes_without_language() -> None:
    from jpki.retries import Advice, Code, guidance

    r = report(sign=LOCKED, cardinfo=LAST)
    assert guidance(r) == (
        Advice(Code.LOCKED, ("sign",)),
        Advice(Code.OFFICE),
        Advice(Code.GUARDIAN),
        Advice(Code.KIOSK_SIGN),
        Advice(Code.HELPLINE),
        Advice(Code.LAST_TRY, ("cardinfo",)),
        Advice(Code.DO_NOT_GUESS),
    )
    assert [a.code for a in guidance(report(auth=LOCKED))][3] is Code.KIOSK_AUTH
    assert Code.KIOSK_NEEDS_ONE in {a.code for a in guidance(report(auth=LOCKED, sign=LOCKED))}
    assert guidance(report()) == ()


def test_the_library_guidance_does_not_read_the_language() -> None:
    import jpki.retries as module

    assert "i18n" not in module.__dict__ and not hasattr(module, "t")


def test_retries_json_carries_the_kiosk_code_when_sign_is_locked(tmp_path: object) -> None:
    import json
    from pathlib import Path

    from cli_runner import jpkitool_inprocess

    state = Path(str(tmp_path)) / "card.json"
    state.write_text(json.dumps({"pins": {"sign": {"remaining": 0}}}), "utf-8")
    for lang in ("en", "ja"):
        r = jpkitool_inprocess(
            "--json", "--lang", lang, "--emulator", "--emulator-state", str(state), "retries"
        )
        assert r.code == 4
        codes = [g["code"] for g in r.json["guidance"]]
        assert codes == ["locked", "office", "guardian", "kiosk-sign", "helpline"]
        assert r.json["guidance"][3] == {"code": "kiosk-sign", "pins": []}
        text = jpkitool_inprocess(
            "--lang", lang, "--emulator", "--emulator-state", str(state), "retries"
        )
        assert t("guidance.kiosk", lang=lang) in text.out
        assert r.json["guidance"][0]["pins"] == ["sign"]
