"""Checking and changing a PIN on the page, on the virtual card through the guard: every
guard of ``verify-pin``/``change-pin`` (the count first, locked, the last try, an
untrusted count, malformed and weak values with no card session, the new value twice,
③ only with ``--experimental``), the result as the CLI says it, the card left
unverified, and no PIN value in any answer."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from apdu import CardRemovedError, TransportWrapper
from cli_runner import jpkitool_inprocess
from jpki.api import open_transport
from jpki.card import MyNumberCard
from jpki.emulator import CardState
from jpki.emulator.transport import EmulatorTransport
from jpki.errors import WrongPinError
from jpki.i18n import t
from jpki.pinops import run_plan
from jpki.pinplan import plan_verify
from jpki.retries import RetriesReport
from jpki.session import SessionSpec
from jpki.ui import app, server, source
from jpki.ui.guard import Secrets
from jpki.ui.once import OneTime
from jpki.ui.source import CardSource
from pin_page import NEW, SIGN_NEW, WRONG, Card, Page, fields
from ui_client import BASE, PORT, text_of

# -- the way in, the form -----------------------------------------------------------


def test_the_top_page_links_to_the_pin_forms() -> None:
    page = Page(Card())
    assert 'href="/pin"' in page.get("/").text
    menu = page.get("/pin").text
    for pin in ("sign", "auth", "juki", "cardinfo"):
        assert f'href="/pin/verify?pin={pin}"' in menu
    for pin in ("sign", "auth", "cardinfo"):
        assert f'href="/pin/change?pin={pin}"' in menu
    assert 'href="/pin/change?pin=juki"' not in menu
    assert "--experimental" in text_of(page.get("/pin"))
    assert 'href="/pin/change?pin=juki"' in Page(Card(), experimental=True).get("/pin").text


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_form_shows_the_count_first_with_fields_fit_for_the_pin(lang: str) -> None:
    card = Card()
    page = Page(card, lang)
    auth = page.get("/pin/verify?pin=auth")
    assert t("pins.before", lang, pin=t("pin.auth.short", lang), count="3/3") in text_of(auth)
    assert card.sessions == 1 and card.state.pins["auth"].remaining == 3
    (field,) = [f for f in fields(auth) if 'type="password"' in f]
    for attribute in ('id="current"', 'autocomplete="off"', 'inputmode="numeric"'):
        assert attribute in field
    assert "value=" not in field and "onpaste" not in auth.text
    assert '<label for="current">' in auth.text and 'type="checkbox"' not in auth.text
    assert '<script src="/static/pin.js" defer></script>' in auth.text
    sign = page.get("/pin/change?pin=sign")
    shown = [f for f in fields(sign) if 'type="password"' in f]
    assert len(shown) == 3 and all('inputmode="text"' in f for f in shown)
    assert all(f'<label for="{n}">' in sign.text for n in ("current", "new", "again"))


def test_pin_js_is_served_by_the_page_itself() -> None:
    page = Page(Card())
    answer = page.get("/static/pin.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert "script-src 'self'" in answer.headers["content-security-policy"]


# -- checking -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_wrong_pin_spends_one_try_and_shows_the_count(lang: str) -> None:
    card = Card()
    page = Page(card, lang)
    shown = text_of(page.post("verify", "auth", current=WRONG))
    assert card.state.pins["auth"].remaining == 2
    name = t("pin.auth.short", lang)
    assert t("error.wrong_pin", lang, pin=name, remaining=2) in shown
    assert t("pins.verify.not_done", lang, pin=name) in shown
    assert t("ui.pin.next.wrong", lang) in shown
    assert "2/3" in text_of(page.get("/"))
    assert card.virtual.verified == frozenset()
    page.nothing_echoed(WRONG)


def test_a_correct_pin_is_reported_as_the_cli_reports_it_and_the_card_left_unverified() -> None:
    card = Card(remaining={"auth": 2})
    page = Page(card, "en")
    shown = text_of(page.post("verify", "auth", current="1234"))
    assert "② user-authentication PIN: correct. Tries left: 3/3." in shown
    assert t("card_left.cleared-unproven", "en", steps="").split("(")[0] in shown
    assert t("ui.pin.next.verified", "en") in shown
    assert card.virtual.verified == frozenset() and card.state.pins["auth"].remaining == 3
    page.nothing_echoed("1234")


@pytest.mark.parametrize("value", ["", "123", "12345", "12a4", "１２３４"])
def test_a_malformed_value_is_refused_with_no_card_session(value: str) -> None:
    card = Card()
    page = Page(card)
    answer = page.post("verify", "auth", current=value)
    assert answer.status_code == 400 and card.sessions == 0 and card.apdus == 0
    assert 'role="alert"' in answer.text and 'tabindex="-1"' in answer.text
    assert '<a href="#current">' in answer.text and 'aria-invalid="true"' in answer.text
    assert all("value=" not in f or 'type="hidden"' in f for f in fields(answer))
    if value:
        page.nothing_echoed(value)


def test_a_locked_pin_is_refused_before_and_when_sent() -> None:
    card = Card(remaining={"auth": 0})
    page = Page(card)
    form = page.get("/pin/verify?pin=auth")
    assert "ロックされています" in form.text and "<form" not in form.text
    answer = page.post("verify", "auth", current="1234", force="yes", accept_unknown_count="yes")
    assert "ロックされています" in answer.text and card.state.pins["auth"].remaining == 0
    assert card.virtual.verified == frozenset()


def test_the_last_try_needs_its_own_box_ticked_in_the_same_request() -> None:
    card = Card(remaining={"auth": 1})
    page = Page(card, "en")
    form = page.get("/pin/verify?pin=auth")
    (box,) = [f for f in fields(form) if 'type="checkbox"' in f]
    assert 'name="force"' in box and "checked" not in box
    refused = page.post("verify", "auth", current=WRONG, accept_unknown_count="yes")
    assert refused.status_code == 409 and card.state.pins["auth"].remaining == 1
    assert "ONE try left" in refused.text and '<a href="#force">' in refused.text
    (box,) = [f for f in fields(refused) if 'type="checkbox"' in f]
    assert "checked" not in box  # never carried over
    malformed = page.post("verify", "auth", current="12", force="yes", offered_force="yes")
    (box,) = [f for f in fields(malformed) if 'type="checkbox"' in f]
    assert malformed.status_code == 400 and "checked" not in box
    assert card.state.pins["auth"].remaining == 1
    spent = text_of(page.post("verify", "auth", current=WRONG, force="yes"))
    assert card.state.pins["auth"].remaining == 0
    assert t("error.pins.just_locked", "en", pin=t("pin.auth.short", "en")) in spent
    page.nothing_echoed(WRONG)


def test_an_untrusted_count_needs_its_own_box_not_force() -> None:
    card = Card(answer={"cardinfo": "6300"})
    page = Page(card, "en")
    form = page.get("/pin/verify?pin=cardinfo")
    (box,) = [f for f in fields(form) if 'type="checkbox"' in f]
    assert 'name="accept_unknown_count"' in box
    refused = page.post("verify", "cardinfo", current="1234", force="yes")
    assert refused.status_code == 409 and "cannot be trusted (it answered 6300)" in refused.text
    assert card.state.pins["cardinfo"].remaining == 3 and card.apdus > 0
    done = text_of(page.post("verify", "cardinfo", current="1234", accept_unknown_count="yes"))
    assert "④" in done and ": correct." in done


# -- changing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "again", "field", "words"),
    [
        ("1111", "1111", "new", "too easy to guess (one character repeated)"),
        ("1357", "1357", "new", "the same as the current one"),
        ("12", "12", "new", "required format (4 digits)"),
        (NEW, "5093", "again", "the two entries of the new PIN differ"),
    ],
)
def test_a_refused_new_value_sends_nothing(new: str, again: str, field: str, words: str) -> None:
    card = Card(pins={"cardinfo": {"value": "1357"}})
    page = Page(card, "en")
    answer = page.post("change", "cardinfo", current="1357", new=new, again=again)
    assert answer.status_code == 400 and card.sessions == 0 and card.apdus == 0
    assert words in text_of(answer) and f'<a href="#{field}">' in answer.text
    assert card.state.pins["cardinfo"].value == "1357"
    page.nothing_echoed(*{new, again} - {"1357", "12"})


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_change_is_made_confirmed_and_reported(lang: str) -> None:
    card = Card()
    page = Page(card, lang)
    shown = text_of(page.post("change", "sign", current="abc123", new=SIGN_NEW, again=SIGN_NEW))
    assert card.state.pins["sign"].value == SIGN_NEW
    assert t("pins.change.done", lang, pin=t("pin.sign.short", lang), count="5/5") in shown
    assert t("ui.pin.next.changed", lang) in shown and t("ui.pin.next_title", lang) in shown
    assert card.virtual.verified == frozenset()
    page.nothing_echoed(SIGN_NEW, "ABC123")


def test_a_wrong_current_pin_changes_nothing() -> None:
    card = Card()
    page = Page(card, "en")
    shown = text_of(page.post("change", "auth", current=WRONG, new=NEW, again=NEW))
    assert card.state.pins["auth"].value == "1234" and card.state.pins["auth"].remaining == 2
    assert "② user-authentication PIN: not changed." in shown and "tries left: 2" in shown
    page.nothing_echoed(WRONG, NEW)


def test_juki_is_changed_only_behind_the_experimental_switch() -> None:
    card = Card()
    page = Page(card, "en")
    assert "--experimental" in text_of(page.get("/pin/change?pin=juki"))
    refused = page.post("change", "juki", current="1234", new=NEW, again=NEW)
    assert "--experimental" in text_of(refused) and card.sessions == 0
    assert card.state.pins["juki"].value == "1234"
    checked = text_of(page.post("verify", "juki", current="1234"))
    assert ": correct." in checked  # checking ③ needs no switch, as verify-pin
    allowed = Page(card, "en", experimental=True)
    shown = text_of(allowed.post("change", "juki", current="1234", new=NEW, again=NEW))
    assert card.state.pins["juki"].value == NEW and card.state.pins["juki-common"].value == NEW
    assert ": changed." in shown


def test_a_post_without_the_csrf_token_reaches_no_card() -> None:
    card = Card()
    page = Page(card)
    answer = page.client.post(
        "/pin/verify", data={"pin": "auth", "current": WRONG}, headers={"origin": BASE}
    )
    assert answer.status_code == 403 and card.sessions == 0
    assert card.state.pins["auth"].remaining == 3


def test_an_unknown_pin_or_operation_is_refused_without_the_card() -> None:
    card = Card()
    page = Page(card)
    assert page.get("/pin/verify?pin=surface").status_code == 404
    assert page.post("reset", "auth", current="1234").status_code == 404
    assert card.sessions == 0


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(
    ("command", "form", "answers"),
    [
        (["verify-pin", "auth"], {"current": WRONG}, [WRONG]),
        (["verify-pin", "cardinfo"], {"current": "1234"}, ["1234"]),
        (
            ["change-pin", "sign"],
            {"current": "ABC123", "new": SIGN_NEW},
            ["ABC123", SIGN_NEW, SIGN_NEW],
        ),
    ],
)
def test_the_page_says_what_the_command_prints(
    lang: str, command: list[str], form: dict[str, str], answers: list[str]
) -> None:
    """The same sentences (jpki.words.pins): every line of the command's result and its
    error line are on the page."""
    run = jpkitool_inprocess(
        "--lang", lang, "--emulator", *command, input="".join(f"{a}\n" for a in answers)
    )
    operation = "change" if command[0] == "change-pin" else "verify"
    if "new" in form:
        form["again"] = form["new"]
    shown = text_of(Page(Card(), lang).post(operation, command[1], **form))
    lines = run.out.splitlines() + [
        line.removeprefix("jpkitool: ") for line in run.err.splitlines() if "jpkitool:" in line
    ]
    assert lines and all(f"<p>{line}</p>" in shown for line in lines)


class Removed(TransportWrapper):
    """The card pulled out as a VERIFY with data is sent (its answer never comes)."""

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        if apdu[1] == 0x20 and len(apdu) > 5:
            self.inner.transmit(apdu, secret=secret, personal=personal)
            raise CardRemovedError("pulled out")
        return self.inner.transmit(apdu, secret=secret, personal=personal)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_fault_after_the_pin_was_sent_says_what_is_not_known(lang: str) -> None:
    card = Card()

    @contextlib.contextmanager
    def session() -> Iterator[MyNumberCard]:
        with open_transport(Removed(EmulatorTransport(card.virtual))) as opened:
            yield opened

    page = Page(card, lang, session=session)
    shown = text_of(page.post("verify", "auth", current=WRONG))
    name = t("pin.auth.short", lang)
    assert t("pins.fault.unknown.verify", lang, pin=name, no=2) in shown
    assert t("error.card_removed", lang) in shown and "pulled out" not in shown
    assert t("ui.pin.next.unknown", lang) in shown and card.state.pins["auth"].remaining == 2
    page.nothing_echoed(WRONG)


def test_jpkitool_ui_passes_its_switch_and_keeps_one_demo_card(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--experimental`` reaches the page; ``--emulator`` is one card for the server's
    life, so a try spent on the page shows on the next page."""
    served: dict[str, Any] = {}

    def serve(source: CardSource, *args: Any, experimental: bool = False) -> None:
        served.update(source=source, experimental=experimental)

    monkeypatch.setattr(server, "serve", serve)
    assert jpkitool_inprocess("--emulator", "ui", "--no-browser", "--experimental").code == 0
    source: CardSource = served["source"]
    assert served["experimental"] is True
    with source.pin_session() as card, card.transaction():
        plan = plan_verify("auth", WRONG)
        with pytest.raises(WrongPinError):
            run_plan(card, plan)
    report = source.read()
    assert isinstance(report, RetriesReport)
    assert [p.remaining for p in report.pins if p.id == "auth"] == [2]
    jpkitool_inprocess("--emulator", "ui", "--no-browser")
    assert served["experimental"] is False


def test_the_servers_trace_shows_no_pin_value() -> None:
    """``jpkitool -v ui``: the card's exchanges are traced as the commands trace them,
    with the PIN data hidden."""
    trace = io.StringIO()
    spec = SessionSpec(emulator=CardState(), trace=trace)
    keys, forms = Secrets(), OneTime()
    guard = app.build(source.from_spec(spec), "en", PORT, lambda: None, keys, forms=forms)
    client = TestClient(guard, base_url=BASE, follow_redirects=False)
    assert client.get(f"/?token={keys.token}").status_code == 303
    sent = [
        {"pin": "auth", "current": WRONG},
        {"pin": "sign", "current": "ABC123", "new": SIGN_NEW, "again": SIGN_NEW},
    ]
    for operation, data in zip(("verify", "change"), sent, strict=True):
        form = forms.issue(f"{operation} {data['pin']}")
        answer = client.post(
            f"/pin/{operation}",
            data={"csrf": keys.csrf, "form": form, **data},
            headers={"origin": BASE},
        )
        assert answer.status_code == 303
    logged = trace.getvalue()
    assert "00 20 00" in logged.upper() or "002000" in logged.upper()
    for value in (WRONG, "ABC123", SIGN_NEW):
        spelled = value.encode().hex()
        assert value not in logged and spelled not in logged.replace(" ", "").lower()
