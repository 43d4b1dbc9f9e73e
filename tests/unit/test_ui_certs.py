"""The page's certificate sections and the auth certificate's download: what
``jpkitool expiry`` and ``cert show auth`` print, at the same thresholds, escaped, and
the download through the guard."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ssl
from typing import Any

import pytest

from cli_runner import jpkitool_inprocess
from jpki.api import open_emulator
from jpki.cardcerts import read_certificate, read_chain
from jpki.errors import CardError, CardRemovedError, CertificateError, NoCardError
from jpki.expiry import WARN_DAYS
from jpki.i18n import t, tn
from jpki.jst import JST
from jpki.ui import certview, page, source
from jpki.ui.source import CardSource
from jpki.words.errors import card_error, certificate_error
from ui_client import PORT, absent, emulated, no_card, signed_in, text_of

#: The virtual card's auth certificate ends on 2029-04-10 23:59:59 JST; its card on
#: 2034-04-10. These times are that many JST days before the certificate's end.
AUTH_END = dt.datetime(2029, 4, 10, 23, 59, 59, tzinfo=JST)


def days_before(days: int) -> dt.datetime:
    return (AUTH_END - dt.timedelta(days=days)).replace(hour=12, minute=0, second=0)


def printed(lang: str, now: dt.datetime, *command: str) -> list[str]:
    """The lines the command prints on the virtual card at ``now``, unindented."""
    got = jpkitool_inprocess("--lang", lang, "--now", now.isoformat(), "--emulator", *command)
    return [line.strip() for line in got.out.splitlines() if line.strip()]


# -- expiry ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("days", [WARN_DAYS + 1, WARN_DAYS, 30, -1])
def test_the_expiry_is_what_jpkitool_expiry_prints(lang: str, days: int) -> None:
    now = days_before(days)
    lines = printed(lang, now, "expiry")
    client, _ = signed_in(emulated(now=now), lang=lang)
    shown = text_of(client.get("/"))
    hint = t("expiry.sign_hint", lang)
    assert len(lines) >= 3 and all(line in shown for line in lines if line != hint)
    assert hint not in shown  # the page has no --sign


@pytest.mark.parametrize(
    ("days", "state"),
    [(WARN_DAYS + 1, "ok"), (WARN_DAYS, "expiring"), (0, "expiring"), (-1, "expired")],
)
def test_the_warning_comes_at_the_thresholds_of_expiry(days: int, state: str) -> None:
    now = days_before(days)
    client, _ = signed_in(emulated(now=now), lang="en")
    shown = client.get("/").text
    auth = shown.split('<ul class="dates">', 1)[1].split("</li>", 2)[1]
    assert f'<li class="expiry-{state}">' in auth
    words = {"ok": "valid until", "expiring": "EXPIRES SOON", "expired": "EXPIRED at"}
    assert words[state] in auth  # the words say it, not the colour alone
    status = jpkitool_inprocess("--now", now.isoformat(), "--emulator", "expiry").code
    assert status == {"ok": 0, "expiring": 6, "expired": 7}[state]
    expiring = tn("expiry.advice.expiring", WARN_DAYS, "en", days=WARN_DAYS)
    assert (expiring in shown) is (state == "expiring")
    assert (t("expiry.advice.expired", "en") in shown) is (state == "expired")


# -- the auth certificate --------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_details_are_what_cert_show_auth_prints(lang: str) -> None:
    now = days_before(400)
    lines = printed(lang, now, "cert", "show", "auth")  # not a terminal: unwrapped
    client, _ = signed_in(emulated(now=now), lang=lang)
    shown = text_of(client.get("/"))
    assert len(lines) >= 10 and all(line in shown for line in lines)
    with open_emulator() as card:
        sha256 = read_certificate(card, "auth").info.sha256
    assert t("cert.sha256", lang, value=sha256) in shown


def test_the_certificate_fields_are_escaped() -> None:
    with open_emulator() as card:
        chain = read_chain(card, "auth", days_before(10))
    cert = chain.certificate
    info = dataclasses.replace(cert.info, subject="C=JP, CN=<script>alert(1)</script>")
    chain = dataclasses.replace(chain, certificate=dataclasses.replace(cert, info=info))
    html = certview.certificate_section(chain, "en")
    assert "<script>" not in html and "CN=&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_certificate_that_cannot_be_read_is_one_line_as_the_cli_says(lang: str) -> None:
    refused = CardError("READ BINARY auth", 0x6A82)
    html = certview.certificate_section(refused, lang)
    assert f'<p class="failed">{card_error(refused, lang)}</p>' in html
    broken = CertificateError("auth", "truncated", "truncated")
    assert certificate_error(broken, lang) in certview.expiry_section(broken, lang)
    gone = NoCardError("reader")
    assert t("ui.unreadable", lang) in certview.certificate_section(gone, lang)


def test_a_smartphone_token_shows_why_its_certificate_is_not_read() -> None:
    client, _ = signed_in(emulated({"token": "android"}), lang="en")
    shown = text_of(client.get("/"))
    item = t("expiry.item.auth", "en")
    assert t("expiry.unknown_auth", "en", item=item) in shown
    assert "6982" in shown.split('id="certificate"', 1)[1]
    assert "/certificate/auth-certificate.pem" not in shown


def test_without_a_card_no_certificate_is_read() -> None:
    opened: list[int] = []

    def open_card() -> Any:
        opened.append(1)
        raise AssertionError("the certificates were read without a card")

    client, _ = signed_in(CardSource(absent, no_card, open_card=open_card))
    assert t("ui.no_card", "ja") in text_of(client.get("/"))
    assert opened == []


def test_a_card_gone_between_the_readings_is_one_line() -> None:
    def open_card() -> Any:
        raise NoCardError("reader")

    source = emulated()
    source.open_card = open_card
    certs = source.certificates()
    assert certs is not None and isinstance(certs.expiry, NoCardError)
    client, _ = signed_in(source, lang="en")
    assert text_of(client.get("/")).count(t("ui.unreadable", "en")) == 2


def test_a_card_lost_during_the_first_reading_is_not_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def lost(*args: Any, **kwargs: Any) -> Any:
        raise CardRemovedError("reader")

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the card was read again after it was lost")

    monkeypatch.setattr(source, "read_chain", lost)
    monkeypatch.setattr(source, "read_expiry", never)
    certs = emulated().certificates()
    assert certs is not None and isinstance(certs.auth, CardRemovedError)
    assert certs.expiry is certs.auth


def test_the_expiry_takes_the_auth_certificate_the_chain_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One page load reads the auth certificate once: the expiry is given it."""
    given: list[Any] = []
    real = source.read_expiry

    def spy(*args: Any, **kwargs: Any) -> Any:
        given.append(kwargs.get("auth"))
        return real(*args, **kwargs)

    monkeypatch.setattr(source, "read_expiry", spy)
    certs = emulated().certificates()
    assert certs is not None and not isinstance(certs.auth, Exception)
    assert given == [certs.auth.certificate]


# -- the download ----------------------------------------------------------------------


def auth_der() -> bytes:
    with open_emulator() as card:
        return read_certificate(card, "auth").info.der


@pytest.mark.parametrize(
    ("form", "media_type"), [("pem", "application/x-pem-file"), ("der", "application/pkix-cert")]
)
def test_the_auth_certificate_is_downloaded(form: str, media_type: str) -> None:
    client, _ = signed_in()
    got = client.get(f"/certificate/auth-certificate.{form}")
    assert got.status_code == 200
    assert got.headers["content-type"] == media_type
    assert got.headers["content-disposition"] == f'attachment; filename="auth-certificate.{form}"'
    assert got.headers["cache-control"] == "no-store"
    der = got.content if form == "der" else ssl.PEM_cert_to_DER_cert(got.text)
    assert der == auth_der()
    assert f'href="/certificate/auth-certificate.{form}"' in client.get("/").text


def test_the_download_needs_the_cookie_and_the_host() -> None:
    client, _ = signed_in()
    path = "/certificate/auth-certificate.der"
    assert client.get(path, headers={"host": f"evil.example:{PORT}"}).status_code == 421
    client.cookies.clear()
    assert client.get(path).status_code == 401


def test_only_the_two_forms_are_served() -> None:
    client, _ = signed_in()
    for name in ("auth-certificate.txt", "auth-certificate.", "sign-certificate.pem"):
        assert client.get(f"/certificate/{name}").status_code == 404


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_download_without_the_card_says_so_in_one_line(lang: str) -> None:
    def open_card() -> Any:
        raise NoCardError("reader")

    source = emulated()
    source.open_card = open_card
    client, _ = signed_in(source, lang=lang)
    got = client.get("/certificate/auth-certificate.pem")
    assert got.status_code == 503 and "attachment" not in got.headers.get("content-disposition", "")
    assert f'<p class="failed">{t("ui.unreadable", lang)}</p>' in got.text
    assert page.failed(lang, "x").count("<p") == 2
