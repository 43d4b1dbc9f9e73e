"""The signature certificate on the page (``jpkitool ui``), after ① is entered: the
count first, the value checked before any card session, the lines ``cert show sign``
prints with the personal data hidden until asked, once, and the card left
unverified."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import httpx2 as httpx
import pytest

from cli_runner import jpkitool_inprocess
from jpki.i18n import t
from jpki.jst import JST
from jpki.words import pins as words
from pin_page import WRONG, Card, Page, fields
from ui_client import text_of

SIGN = "ABC123"  # the virtual card's ①
NOW = dt.datetime(2027, 1, 15, 12, 0, tzinfo=JST)


def form_id(page: Page) -> str:
    return page.form_id("certificate", "sign")


def send(page: Page, value: str, **boxes: str) -> httpx.Response:
    return page.send("/certificate/sign", form=form_id(page), current=value, **boxes)


def shown_lines(answer: httpx.Response) -> list[str]:
    """The result's lines: the certificate's, then how the card was left."""
    section = answer.text.split('id="pin-result"', 1)[1].split("</section>", 1)[0]
    found = re.findall(r"<(li|p)[^>]*>(.*?)</\1>", section, re.S)
    return [html.unescape(text) for _, text in found]


def printed(lang: str, *flags: str) -> list[str]:
    """What ``cert show sign`` prints on the virtual card at ``NOW``, unindented."""
    got = jpkitool_inprocess(
        "--lang",
        lang,
        "--now",
        NOW.isoformat(),
        "--emulator",
        "cert",
        "show",
        "sign",
        *flags,
        input=SIGN + "\n",
    )
    assert got.code == 0, got.err
    return [line.strip() for line in got.out.splitlines() if line.strip()]


def reveal_key(answer: httpx.Response) -> str:
    match = re.search(r'name="key" value="([^"]+)"', answer.text)
    assert match is not None
    return match.group(1)


def test_the_top_page_links_to_the_sign_certificate() -> None:
    from ui_client import signed_in

    client, _ = signed_in(lang="en")
    assert 'href="/certificate/sign"' in client.get("/").text
    assert t("ui.sign.link", "en") in text_of(client.get("/"))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_form_shows_the_count_first_and_spends_nothing(lang: str) -> None:
    card = Card()
    page = Page(card, lang)
    answer = page.get("/certificate/sign")
    assert answer.status_code == 200
    assert 'action="/certificate/sign"' in answer.text
    count = re.search(r'<p class="count" id="pin-count">[^<]*</p>', answer.text)
    assert count is not None and count.group(0) in page.get("/pin/verify?pin=sign").text
    assert any('name="current"' in f for f in fields(answer))
    assert any('name="form"' in f for f in fields(answer))
    assert card.state.pins["sign"].remaining == 5


@pytest.mark.parametrize("value", ["", "abc", "ABC-123", "A" * 17])
def test_a_malformed_value_opens_no_card_session(value: str) -> None:
    card = Card()
    page = Page(card)
    answer = send(page, value)
    assert answer.status_code == 400
    assert card.sessions == 0 and card.apdus == 0
    assert 'class="error-summary"' in answer.text
    assert all("value=" not in f for f in fields(answer) if 'type="password"' in f)


def test_a_locked_sign_pin_gets_no_form() -> None:
    card = Card(remaining={"sign": 0})
    answer = Page(card).get("/certificate/sign")
    assert 'name="current"' not in answer.text
    assert t("ui.pin.locked", "ja", pin=words.pin_name("sign", "ja")) in text_of(answer)


def test_a_card_without_sign_certificate_says_so(tmp_path: Path) -> None:
    card = Card(sign_certificate=False)
    answer = Page(card, "en").get("/certificate/sign")
    assert 'name="current"' not in answer.text
    state = tmp_path / "card.json"
    state.write_text('{"sign_certificate": false}')
    emulator = ("--emulator", "--emulator-state", str(state))
    cli = jpkitool_inprocess("--lang", "en", *emulator, "cert", "show", "sign")
    said = cli.err.strip().removeprefix("jpkitool: ")
    assert said and said.splitlines()[0] in text_of(answer)


def test_the_last_try_needs_its_box() -> None:
    card = Card(remaining={"sign": 1})
    page = Page(card)
    assert 'name="force"' in page.get("/certificate/sign").text
    refused = send(page, SIGN)
    assert refused.status_code == 409 and 'name="force"' in refused.text
    assert card.state.pins["sign"].remaining == 1 and card.virtual.verified == frozenset()
    done = send(page, SIGN, force="yes", offered_force="yes")
    assert t("ui.sign.show_personal", "ja") in text_of(done)
    assert card.state.pins["sign"].remaining == 5


def test_an_untrusted_count_needs_its_own_box_not_force() -> None:
    card = Card(answer={"sign": "6300"})
    page = Page(card, "en")
    (box,) = [f for f in fields(page.get("/certificate/sign")) if 'type="checkbox"' in f]
    assert 'name="accept_unknown_count"' in box
    refused = send(page, SIGN, force="yes")
    assert refused.status_code == 409 and "cannot be trusted (it answered 6300)" in refused.text
    assert card.virtual.verified == frozenset()
    done = send(page, SIGN, accept_unknown_count="yes", offered_accept_unknown_count="yes")
    assert t("ui.sign.show_personal", "en") in text_of(done)
    assert card.virtual.verified == frozenset()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_correct_value_shows_the_lines_of_cert_show_sign_personal_data_once(lang: str) -> None:
    card = Card()
    page = Page(card, lang, now=NOW)
    answer = send(page, SIGN)
    assert page.sent.status_code == 303
    assert page.sent.headers["location"].startswith("/pin/result/")
    hidden = [
        t("ui.sign.personal_hidden", lang) if line == t("cert.personal.hidden", lang) else line
        for line in printed(lang)
    ]
    assert shown_lines(answer) == hidden
    assert card.virtual.verified == frozenset()
    assert page.get(page.sent.headers["location"]).text.count("pin-result") == 0  # once
    key = reveal_key(answer)
    personal = page.send("/certificate/sign/personal", key=key)
    assert shown_lines(personal) == printed(lang, "--show-personal")
    again = page.send("/certificate/sign/personal", key=key)
    assert again.status_code == 410 and "pin-result" not in again.text
    assert card.sessions == 1
    page.nothing_echoed(SIGN)


def test_the_personal_data_is_only_in_the_answer_that_was_asked_for() -> None:
    page = Page(Card(), "en", now=NOW)
    answer = send(page, SIGN)
    personal = printed("en", "--show-personal")
    only = [line for line in personal if line not in printed("en")]
    assert only and not any(line in text_of(answer) for line in only)
    assert page.sent.headers["location"] not in text_of(answer)
    shown = page.send("/certificate/sign/personal", key=reveal_key(answer))
    assert all(line in text_of(shown) for line in only)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_wrong_value_spends_one_try_and_says_so(lang: str) -> None:
    card = Card()
    page = Page(card, lang)
    bad = "XYZ789"
    answer = send(page, bad)
    assert page.sent.status_code == 303
    assert card.state.pins["sign"].remaining == 4
    got = jpkitool_inprocess("--lang", lang, "--emulator", "cert", "show", "sign", input=bad + "\n")
    said = got.err.strip().splitlines()
    assert any(line.removeprefix("jpkitool: ") in text_of(answer) for line in said)
    assert card.virtual.verified == frozenset()
    page.nothing_echoed(bad, WRONG)


def test_a_form_sent_twice_reaches_no_card() -> None:
    card = Card()
    page = Page(card)
    key = form_id(page)
    page.send("/certificate/sign", form=key, current=SIGN)
    sessions = card.sessions
    again = page.send("/certificate/sign", form=key, current=SIGN)
    assert again.status_code == 409 and card.sessions == sessions
    assert 'href="/certificate/sign"' in again.text
    other = page.send("/certificate/sign", form=page.form_id("verify", "sign"), current=SIGN)
    assert other.status_code == 409 and card.sessions == sessions


def test_the_certificate_fields_are_escaped() -> None:
    from jpki.ui import signpage

    shown = signpage.hidden(["<b>x</b>", "  &y"], ["<i>"], "en", "c", "k")
    assert "<b>" not in shown and "&lt;b&gt;" in shown and "&lt;i&gt;" in shown


def test_a_certificate_unreadable_after_a_correct_value_says_so_and_how_the_card_was_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """① was sent and correct (no try spent), then the certificate could not be parsed:
    the CLI's line for it, not "no PIN was sent", and the card left unverified."""
    from jpki import cardcerts
    from jpki.errors import CertificateError
    from jpki.words.errors import certificate_error

    real = cardcerts.parse_certificate
    broken = CertificateError("sign", "truncated", "truncated")

    def parse(der: bytes, kind: str) -> object:
        if kind == "sign":
            raise broken
        return real(der, kind)

    monkeypatch.setattr(cardcerts, "parse_certificate", parse)
    card = Card()
    answer = send(Page(card, "en"), SIGN)
    lines = shown_lines(answer)
    assert certificate_error(broken, "en") in lines
    assert t("ui.pin.card_failed", "en") not in text_of(answer)
    assert len(lines) > 1  # how the card was left
    assert card.state.pins["sign"].remaining == 5 and card.virtual.verified == frozenset()
