"""The sentences both clients share (:mod:`jpki.words`), each rendering decision once,
in the language given (never the current one)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from jpki import i18n
from jpki.api import open_emulator
from jpki.cardcerts import CardCertificate
from jpki.certificate import CertificateInfo
from jpki.chain import ChainResult, ChainStatus, RootMatch
from jpki.diagnosis import Check, Diagnosis, Link
from jpki.errors import CardError, CertificateError
from jpki.expiry import ExpiryItem, ExpiryReport, ExpiryState
from jpki.i18n import t, tn
from jpki.retries import Advice, Code, PinStatus, RetriesReport, read_retries
from jpki.words import certs, doctor, errors, expiry, guidance, retries

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
END = dt.datetime(2027, 1, 6, 14, 59, 59, tzinfo=dt.UTC)  # 30 JST days after NOW
FP = ":".join(f"{n:02X}" for n in range(32))


def read(state: dict[str, Any] | None = None) -> RetriesReport:
    with open_emulator(state) as card:
        return read_retries(card)


def pin(report: RetriesReport, pin_id: str) -> PinStatus:
    return next(p for p in report.pins if p.id == pin_id)


# -- guidance and the tries-left table -------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_guidance_code_has_a_sentence_in_the_language(lang: str) -> None:
    assert set(guidance.KEYS) == set(Code)
    report = read({"pins": {"sign": {"remaining": 0}, "auth": {"remaining": 0}}})
    lines = guidance.advice(report, lang)
    both = t("guidance.list_separator", lang).join(
        [t("pin.sign.short", lang), t("pin.auth.short", lang)]
    )
    assert lines[0] == t("guidance.locked", lang, pins=both, pin=t("pin.sign.short", lang))
    assert guidance.advice(read(), lang) == []


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("code", list(Code))
def test_the_page_names_no_command_where_the_command_sentence_does(lang: str, code: Code) -> None:
    item = Advice(code, ("auth",))
    command, page = guidance.sentence(item, lang), guidance.sentence(item, lang, page=True)
    name = t("pin.auth.short", lang)
    assert command == t(guidance.KEYS[code], lang, pins=name, pin=name)  # the CLI's, as before
    if code in guidance.PAGE_KEYS:
        assert "verify-pin" in command and page == t(guidance.PAGE_KEYS[code], lang, pins=name)
    else:
        assert page == command
    assert "verify-pin" not in page and "change-pin" not in page and " --" not in page


def test_the_language_given_wins_over_the_current_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_current", "en")
    assert retries.card_line(read(), "ja") == t(
        "retries.title", "ja", reader="jpkitool virtual card", token=t("token.card", "ja")
    )


def test_a_numbered_pin_has_its_mark_and_a_key_two_spaces() -> None:
    report = read()
    assert retries.pin_label(pin(report, "auth"), "ja") == "② 利用者証明用電子証明書の暗証番号"
    other = next(p for p in report.pins if not p.pin.no)
    assert retries.pin_label(other, "en") == "   " + t(f"pin.{other.id}.name", "en")


def test_the_count_cell_says_what_the_card_gave() -> None:
    report = read({"pins": {"auth": {"remaining": 1}}})
    assert retries.count_cell(pin(report, "auth")) == "1/3"
    unknown_max = next(p for p in report.pins if p.max_tries is None)
    assert retries.count_cell(unknown_max).endswith("/?")
    odd = read({"quirks": {"answer_override": {"auth": "9000"}}})
    assert retries.count_cell(pin(odd, "auth")) == "-"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_state_of_an_unknown_count_names_its_status_word(lang: str) -> None:
    report = read({"quirks": {"answer_override": {"auth": "6A82"}}})
    text = retries.state_text(pin(report, "auth"), lang)
    assert text == t("state.unknown", lang, sw="6A82", desc=t("sw.6A82", lang))
    assert retries.state_text(pin(read(), "auth"), lang) == t("state.usable", lang)


def test_a_note_follows_the_state() -> None:
    report = read({"quirks": {"answer_override": {"auth": "9000"}}})
    text = retries.state_text(pin(report, "auth"), "en")
    assert text.endswith(" " + t("note.verified", "en"))


def test_the_keys_differ_line_only_when_the_two_keys_count_apart() -> None:
    assert retries.keys_differ_line(pin(read(), "juki"), "en") is None
    report = read({"pins": {"juki-common": {"remaining": 1}}})
    line = retries.keys_differ_line(pin(report, "juki"), "ja")
    assert line == tn("retries.keys_differ", 1, "ja", common="1", juki="3")
    assert retries.key_count(None) == "?"


# -- doctor ----------------------------------------------------------------------------


NO_CARD = Diagnosis((Check(Link.SERVICE), Check(Link.CARD, "fail", ("ACS ACR39U",))))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_doctor_marks_each_link_and_gives_the_fix_of_the_failed_one(lang: str) -> None:
    lines = doctor.lines(NO_CARD, lang)
    assert lines[0] == f"✓ {t('doctor.link.service', lang)}: {t('doctor.service.ok', lang)}"
    assert lines[1].startswith(f"✗ {t('doctor.link.card', lang)}: ")
    platform = doctor.current_platform()
    fix = t(f"doctor.fix.card.{platform}", lang)
    assert lines[2:] == [
        "",
        t("doctor.fix_title", lang),
        f"  {t(f'doctor.platform.{platform}', lang)}: {fix}",
    ]
    all_ok = doctor.lines(Diagnosis((Check(Link.SERVICE),)), lang)
    assert all_ok[-1] == t("doctor.all_ok", lang)


def test_doctor_repeats_the_readers_and_the_detail() -> None:
    check = Check(Link.SERVICE, "no-library", detail="libpcsclite.so.1")
    assert "libpcsclite.so.1" in doctor.detail(check, "en")


# -- expiry ----------------------------------------------------------------------------


def item(state: ExpiryState, days: int, item_id: str = "auth") -> ExpiryItem:
    return ExpiryItem(item_id, END, days, state)


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("state", list(ExpiryState)[:3])
def test_an_item_is_told_in_its_states_words(lang: str, state: ExpiryState) -> None:
    days = -3 if state is ExpiryState.EXPIRED else 30
    line = expiry.item_line(item(state, days), lang)
    assert line == t(
        f"expiry.state.{state.value}",
        lang,
        item=t("expiry.item.auth", lang),
        when="2027-01-06 23:59:59 JST (2027-01-06 14:59:59 UTC)",
        days=expiry.days_text(days, lang),
    )


def test_an_item_without_a_date_says_why() -> None:
    absent = ExpiryItem("sign", None, None, ExpiryState.UNKNOWN, absent=True)
    assert expiry.item_line(absent, "en") == t(
        "expiry.absent", "en", item=t("expiry.item.sign", "en")
    )
    guess = ExpiryItem("card", None, None, ExpiryState.UNKNOWN, estimate=dt.date(2031, 4, 10))
    assert "2031-04-10" in expiry.item_line(guess, "en")
    auth = ExpiryItem("auth", None, None, ExpiryState.UNKNOWN)
    card = dataclasses.replace(auth, id="card")
    assert expiry.item_line(auth, "ja") == t(
        "expiry.unknown_auth", "ja", item=t("expiry.item.auth", "ja")
    )
    assert expiry.item_line(card, "ja") == t(
        "expiry.unknown", "ja", item=t("expiry.item.card", "ja")
    )


def test_days_are_left_or_ago_never_negative() -> None:
    assert expiry.days_text(0, "en") == "0 days left"
    assert expiry.days_text(-1, "en") == "1 day ago"
    assert expiry.days_text(2519, "ja") == tn("cert.days_left", 2519, "ja", days=2519)


@pytest.mark.parametrize(
    ("states", "key"),
    [
        ((ExpiryState.OK, ExpiryState.OK), None),
        ((ExpiryState.OK, ExpiryState.EXPIRING), "expiry.advice.expiring"),
        ((ExpiryState.EXPIRING, ExpiryState.EXPIRED), "expiry.advice.expired"),
    ],
)
def test_the_advice_follows_the_worst_item(
    states: tuple[ExpiryState, ...], key: str | None
) -> None:
    items = tuple(item(state, 1 if state is not ExpiryState.EXPIRED else -1) for state in states)
    report = ExpiryReport("reader", NOW, 90, items)
    said = expiry.advice(report, "ja")
    if key == "expiry.advice.expiring":
        assert said == tn(key, 90, "ja", days=90)
    else:
        assert said == (None if key is None else t(key, "ja"))


# -- certificates ----------------------------------------------------------------------


def test_a_fingerprint_that_does_not_fit_goes_below_in_two_lines() -> None:
    assert certs.fingerprint_lines("cert.sha256", FP, lang="en") == [f"SHA-256: {FP}"]
    lines = certs.fingerprint_lines("cert.sha256", FP, lambda line: len(line) < 60, "  ", "en")
    assert lines == ["  SHA-256:", f"    {FP[:47]}:", f"    {FP[48:]}"]


def chain(status: ChainStatus, pinned: bool = True, expired: bool = False) -> ChainResult:
    root = RootMatch("auth", 3, FP, pinned) if status is ChainStatus.JLIS else None
    return ChainResult(status, True, True, root, expired, FP)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_chain_names_the_root_or_the_cas_fingerprint(lang: str) -> None:
    jlis = certs.chain_lines(chain(ChainStatus.JLIS), indent="  ", lang=lang)
    purpose = t("cert.purpose.auth", lang)
    assert jlis[0] == "  " + t("cert.chain.j-lis", lang, purpose=purpose, gen=3)
    assert jlis[1] == "    " + t("cert.chain.ca_sha256", lang, value=FP)
    unpinned = certs.chain_lines(chain(ChainStatus.JLIS, pinned=False), lang=lang)
    assert unpinned[0] == t("cert.chain.j-lis-unpinned", lang, purpose=purpose, gen=3)
    test_root = certs.chain_lines(chain(ChainStatus.NOT_JLIS_ROOT, expired=True), lang=lang)
    assert test_root[0] == t("cert.chain.not-j-lis-root", lang)
    assert test_root[-1] == t("cert.chain.root_expired", lang)
    assert certs.chain_lines(chain(ChainStatus.BAD_SIGNATURE), lang=lang) == [
        t("cert.chain.bad-signature", lang)
    ]


def auth_certificate() -> CardCertificate:
    from jpki.cardcerts import read_certificate

    with open_emulator() as card:
        return read_certificate(card, "auth")


def test_cert_show_lines_say_when_it_ended() -> None:
    cert = auth_certificate()
    info: CertificateInfo = cert.info
    later = info.not_after + dt.timedelta(days=2)
    lines = certs.show_lines(cert, None, later, False, lang="en")
    assert lines[0] == t("cert.title", "en", kind=t("cert.kind.auth", "en"))
    assert lines[5].startswith("Valid until: ") and lines[5].endswith(": EXPIRED 2 days ago")
    assert len(lines) == 8  # no chain, nothing personal on the auth certificate


def test_errors_are_told_in_the_language_given() -> None:
    line = errors.card_error(CardError("READ BINARY", 0x6A82), "ja")
    assert line == t(
        "error.card", "ja", operation="READ BINARY", sw="6A82", desc=t("sw.6A82", "ja")
    )
    assert errors.sw_text(0x63C2, "en") == tn("sw.63Cx", 2, "en", n=2)
    assert errors.sw_text(0x6A84, "ja") == "not enough memory space in the file"  # ISO's
    known = errors.certificate_error(CertificateError("auth", "truncated"), "ja")
    assert t("cert.kind.auth", "ja") in known
    assert "card.cer" in errors.certificate_error(CertificateError("card.cer", "x"), "en")
