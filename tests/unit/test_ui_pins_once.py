"""A PIN form sent once (a review finding): each form's one-time id, refused when sent
again, unknown or for another form, with no card session; the result by a 303 to a
page shown once, with no PIN value; the errors a page operation can meet said in the
page's language, as the CLI says them; and one source for each of the page's
decisions (the current value checked once, ③'s switch)."""

from __future__ import annotations

import contextlib
import errno
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from cli_runner import jpkitool_inprocess
from jpki import errors as je
from jpki import i18n, pinplan
from jpki.card import MyNumberCard
from jpki.cli.failures import classify
from jpki.i18n import t
from jpki.profile import Pin
from jpki.session import SessionSpec
from jpki.ui import app, source
from jpki.ui.guard import Secrets
from jpki.ui.once import OneTime
from jpki.words.failures import access_text
from pin_page import SIGN_NEW, WRONG, Card, Page
from ui_client import BASE, PORT, text_of

# -- a form sent again (review finding) ---------------------------------------------
# The answer to a PIN POST was the result page itself (200): its history entry was a
# POST, so a reload (or Back, then Reload) sent the same body again and spent another
# try. Now each form carries a one-time id, and the result comes by a 303 to a GET.


def test_a_change_sent_again_by_a_reload_spends_no_try() -> None:
    card = Card()
    page = Page(card, "en")
    sent = {"current": "1234", "new": "5827", "again": "5827"}
    sent["form"] = page.form_id("change", "cardinfo")
    assert page.post("change", "cardinfo", **sent).status_code == 200
    assert card.state.pins["cardinfo"].value == "5827"
    before, sessions = card.state.pins["cardinfo"].remaining, card.sessions
    again = page.post("change", "cardinfo", **sent)  # what the browser sends on a reload
    assert card.state.pins["cardinfo"].remaining == before and card.sessions == sessions
    assert again.status_code == 409 and t("ui.pin.form_used", "en") in text_of(again)
    assert 'href="/pin/change?pin=cardinfo"' in again.text


def test_a_wrong_value_sent_again_by_a_reload_spends_no_second_try() -> None:
    card = Card()
    page = Page(card, "en")
    form = page.form_id("verify", "auth")
    page.post("verify", "auth", current=WRONG, form=form)
    assert card.state.pins["auth"].remaining == 2
    page.post("verify", "auth", current=WRONG, form=form)  # a reload of the result page
    assert card.state.pins["auth"].remaining == 2


def test_a_used_form_id_reaches_no_card() -> None:
    card = Card()
    page = Page(card, "en")
    form = page.form_id("verify", "auth")
    assert page.post("verify", "auth", current="12", form=form).status_code == 400
    refused = page.post("verify", "auth", current=WRONG, form=form)
    assert refused.status_code == 409 and card.sessions == 0 and card.apdus == 0
    page.nothing_echoed(WRONG)


@pytest.mark.parametrize("form", ["", "made-up", "other"])
def test_an_unknown_form_id_reaches_no_card(form: str) -> None:
    card = Card()
    page = Page(card, "en")
    if form == "other":  # issued, but for another form
        form = page.form_id("change", "auth")
    refused = page.post("verify", "auth", current=WRONG, form=form)
    assert refused.status_code == 409 and card.sessions == 0 and card.apdus == 0
    assert t("ui.pin.form_used", "en") in text_of(refused)


def test_each_form_shown_has_a_new_id_and_an_error_page_issues_another() -> None:
    page = Page(Card(), "en")
    ids = [re.findall(r'name="form" value="([^"]+)"', page.get("/pin/verify?pin=auth").text)]
    ids.append(re.findall(r'name="form" value="([^"]+)"', page.get("/pin/verify?pin=auth").text))
    again = page.post("verify", "auth", current="12", form=ids[0][0])
    ids.append(re.findall(r'name="form" value="([^"]+)"', again.text))
    assert [len(i) for i in ids] == [1, 1, 1] and len({i[0] for i in ids}) == 3
    assert page.post("verify", "auth", current="1234", form=ids[2][0]).status_code == 200


def test_the_result_comes_by_a_303_and_is_shown_once_without_a_pin() -> None:
    card = Card()
    page = Page(card, "en")
    shown = page.post("change", "sign", current="ABC123", new=SIGN_NEW, again=SIGN_NEW)
    assert page.sent.status_code == 303 and page.sent.text == ""
    location = page.sent.headers["location"]
    assert location.startswith("/pin/result/") and "ABC123" not in location
    assert t("pins.change.done", "en", pin=t("pin.sign.short", "en"), count="5/5") in text_of(shown)
    later = page.get(location)
    assert later.status_code == 200 and text_of(later) == text_of(page.get("/pin/result/x"))
    assert t("ui.pin.result_shown", "en") in text_of(later) and 'href="/"' in later.text
    page.nothing_echoed("ABC123", SIGN_NEW)


def test_the_oldest_ids_are_forgotten_past_the_limit() -> None:
    ids = OneTime(limit=2)
    first, second, third = ids.issue("a"), ids.issue("b"), ids.issue("c")
    assert ids.take(first) is None and ids.take(second) == "b" and ids.take(third) == "c"
    assert ids.take(third) is None


# -- the errors a page operation can meet, in the page's language ---------------------


class Failing(contextlib.AbstractContextManager[MyNumberCard]):
    """A PIN session that fails as it opens, with ``exc``."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def __call__(self) -> Failing:
        return self

    def __enter__(self) -> MyNumberCard:
        raise self.exc

    def __exit__(self, *args: object) -> None:
        return None


@pytest.mark.parametrize(
    ("exc", "key", "values"),
    [
        (je.CardRemovedError("removed"), "error.card_removed", {}),
        (je.ReaderBusyError("busy"), "error.reader_busy", {}),
        (je.ReaderBusyError("held", timeout=5), "error.reader_held", {"seconds": "5"}),
        (je.CardUnresponsiveError("slow", timeout=5), "error.no_answer", {"seconds": "5"}),
        (je.ServiceStoppedError("stopped"), "error.service_stopped", {}),
    ],
)
def test_a_card_failure_is_said_in_japanese_as_the_cli_says_it(
    exc: Exception, key: str, values: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    card = Card()
    page = Page(card, "ja", session=Failing(exc))
    line = t(key, "ja", **values)
    assert line == access_text(exc, "ja")  # the sentence jpkitool prints for it
    monkeypatch.setattr(i18n, "_current", "ja")
    assert classify(exc).message == line
    for answer in (page.get("/pin/verify?pin=auth"), page.post("verify", "auth", current=WRONG)):
        shown = text_of(answer)
        assert line + t("ui.pin.card_failed", "ja") in shown and str(exc) not in shown
    assert card.state.pins["auth"].remaining == 3
    page.nothing_echoed(WRONG)


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ENOSPC, "No space left on device", "/tmp/card.json"),
        ValueError("state file broken"),
    ],
)
def test_a_state_file_failure_is_one_line_not_a_server_error(exc: Exception) -> None:
    page = Page(Card(), "en", session=Failing(exc))
    line = access_text(exc, "en")
    for answer in (page.get("/pin/verify?pin=auth"), page.post("verify", "auth", current=WRONG)):
        assert answer.status_code == 200 and line in text_of(answer)
    page.nothing_echoed(WRONG)


def test_a_bad_state_file_is_said_as_the_cli_says_it(tmp_path: Path) -> None:
    state = tmp_path / "card.json"
    state.write_text('{"pins": {"auth": {"remaining": "many"}}}', "utf-8")
    spec = SessionSpec(emulator=str(state))
    keys, forms = Secrets(), OneTime()
    guard = app.build(source.from_spec(spec), "ja", PORT, lambda: None, keys, forms=forms)
    client = TestClient(guard, base_url=BASE, follow_redirects=True)
    assert client.get(f"/?token={keys.token}").status_code == 200
    cli = jpkitool_inprocess(
        "--lang", "ja", "--emulator-state", str(state), "--emulator", "retries"
    )
    line = cli.err.strip().removeprefix("jpkitool: ")
    assert cli.code == 2 and line.startswith("仮想カードの状態ファイル")
    form = forms.issue("verify auth")
    data = {"csrf": keys.csrf, "pin": "auth", "current": WRONG, "form": form}
    for answer in (
        client.get("/pin/verify?pin=auth"),
        client.post("/pin/verify", data=data, headers={"origin": BASE}),
    ):
        assert answer.status_code == 200 and line in text_of(answer)


# -- one source for each decision -----------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "fields"),
    [("verify", {}), ("change", {"new": "5827", "again": "5827"})],
)
def test_the_current_value_is_checked_once(
    operation: str, fields: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    encode = pinplan.encode_value

    def counted(pin: Pin, value: object) -> bytes:
        seen.append(value)
        return encode(pin, value)

    monkeypatch.setattr(pinplan, "encode_value", counted)
    page = Page(Card(), "en")
    assert page.post(operation, "cardinfo", current="1234", **fields).status_code == 200
    assert seen.count("1234") == 1


def test_a_malformed_current_value_is_listed_with_the_new_values_errors() -> None:
    card = Card()
    page = Page(card, "en")
    answer = page.post("change", "cardinfo", current="12", new="1111", again="5827")
    assert answer.status_code == 400 and card.sessions == 0
    links = re.findall(r'<a href="#(\w+)">', answer.text)
    assert links == ["current", "new", "again"]


def test_the_menu_and_the_forms_take_the_change_switch_from_one_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse_all(keys: dict[str, object], experimental: bool) -> None:
        raise je.PinRequestError("experimental", next(iter(keys)))

    monkeypatch.setattr(pinplan, "check_experimental", refuse_all)
    card = Card()
    page = Page(card, "en", experimental=True)
    menu = page.get("/pin").text
    assert "/pin/change" not in menu and "/pin/verify?pin=sign" in menu
    assert t("ui.pin.juki_experimental", "en") in text_of(page.get("/pin"))
    assert "<form" not in page.get("/pin/change?pin=sign").text and card.sessions == 0
