"""``jpkitool ui``'s read-only page and its server: the counts, the guidance, the
diagnosis, the address printed, the idle stop and the missing extra."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import logging
import stat
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2 as httpx
import pytest

from cli_runner import jpkitool_inprocess
from jpki.api import open_emulator
from jpki.card import MyNumberCard
from jpki.diagnosis import Check, Diagnosis, Link
from jpki.errors import NoCardError
from jpki.i18n import t
from jpki.retries import RetriesReport, read_retries
from jpki.ui import server
from jpki.ui.guard import Guard, Secrets
from jpki.ui.source import CardSource
from jpki.words.doctor import current_platform
from ui_client import BASE, PORT, absent, emulated, no_card, post, signed_in, text_of

# -- the page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("ja", ["利用可", "署名用電子証明書の暗証番号"]),
        ("en", ["usable", "Signature certificate PIN (署名用)"]),
    ],
)
def test_the_counts_are_shown_in_the_language(lang: str, words: list[str]) -> None:
    client, _ = signed_in(lang=lang)
    shown = text_of(client.get("/"))
    assert f'<html lang="{lang}">' in shown and t("ui.title", lang) in shown
    assert shown.count("5/5") == 1 and shown.count("3/3") == 3
    assert all(word in shown for word in words)


def test_the_language_is_switched_by_a_post_not_by_the_address() -> None:
    client, keys = signed_in()
    assert "利用可" in client.get("/?lang=en").text
    post(client, "/lang", {"csrf": keys.csrf, "lang": "en"}, origin=BASE)
    assert "usable" in client.get("/").text
    post(client, "/lang", {"csrf": keys.csrf, "lang": "fr"}, origin=BASE)
    assert "usable" in client.get("/").text


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(
    "pins",
    [
        {"sign": {"remaining": 0}},
        {"auth": {"remaining": 1}},
        {"sign": {"remaining": 0}, "auth": {"remaining": 0}},
    ],
)
def test_the_guidance_is_the_one_retries_prints_but_for_commands(
    lang: str, pins: dict[str, Any], tmp_path: Path
) -> None:
    state = tmp_path / "card.json"
    state.write_text(json.dumps({"pins": pins}), "utf-8")
    cli = jpkitool_inprocess(
        "--lang", lang, "--emulator-state", str(state), "--emulator", "retries"
    )
    advice = cli.out.split("\n\n", 1)[1].strip().splitlines()
    assert advice
    client, _ = signed_in(emulated({"pins": pins}), lang=lang)
    shown = text_of(client.get("/"))
    for line in advice:  # the lines naming a command have the page's own sentence
        assert (line.strip() in shown) != ("verify-pin" in line)
    assert "verify-pin" not in shown and "--force" not in shown
    if "auth" in pins and pins["auth"]["remaining"] == 1:
        assert t("guidance.page.last_try_protect", lang) in shown


@pytest.mark.parametrize(
    "pins", [{}, {"sign": {"remaining": 1}}, {"auth": {"remaining": 0}}, {"juki": {"remaining": 1}}]
)
def test_the_page_never_obtains_a_permit(
    pins: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the page asked for a permit to send a PIN")

    monkeypatch.setattr(MyNumberCard, "permit", refused)
    client, _ = signed_in(emulated({"pins": pins}))
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_table_says_what_retries_prints(lang: str, tmp_path: Path) -> None:
    """③'s two keys counting apart, and a count the card did not give with its status
    word's meaning: the lines and cells of ``retries``."""
    pins = {"juki-common": {"remaining": 1}}
    state = {"pins": pins, "quirks": {"answer_override": {"auth": "6A82"}}}
    path = tmp_path / "card.json"
    path.write_text(json.dumps(state), "utf-8")
    cli = jpkitool_inprocess("--lang", lang, "--emulator-state", str(path), "--emulator", "retries")
    differ = t("retries.keys_differ", lang).split("{", 1)[0]
    (line,) = [line for line in cli.out.splitlines() if line.startswith(differ)]
    unknown = t("state.unknown", lang, sw="6A82", desc=t("sw.6A82", lang))
    assert unknown in cli.out
    client, _ = signed_in(emulated(state), lang=lang)
    shown = text_of(client.get("/"))
    assert f"<p>{line}</p>" in shown and f"<td>{unknown}</td>" in shown


def test_a_locked_pin_is_marked_locked() -> None:
    client, _ = signed_in(emulated({"pins": {"auth": {"remaining": 0}}}))
    shown = client.get("/").text
    assert '<tr class="state-locked"><th scope="row">② 利用者証明用電子証明書' in shown
    assert t("guidance.kiosk_auth", "ja")[:20] in shown


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_without_a_card_the_page_says_what_doctor_would(lang: str) -> None:
    client, _ = signed_in(CardSource(absent, no_card), lang=lang)
    shown = text_of(client.get("/"))
    assert t("doctor.card.fail", lang) in shown and t("ui.no_card", lang) in shown
    assert f"{t('doctor.link.reader', lang)}: ACS ACR39U" in shown
    assert t(f"doctor.fix.card.{current_platform()}", lang) in shown


def test_when_even_the_diagnosis_fails_its_error_is_shown() -> None:
    def failing() -> Diagnosis:
        raise NoCardError("<ACS>")

    client, _ = signed_in(CardSource(absent, failing))
    shown = client.get("/")
    assert shown.status_code == 200 and "<ACS>" not in shown.text
    assert "リーダーにカードがありません。" in shown.text  # the CLI's line, in the page's language


def test_what_the_card_says_is_escaped() -> None:
    def read_counts() -> RetriesReport:
        with open_emulator() as card:
            report = read_retries(card)
        return dataclasses.replace(report, reader='<img src=x onerror="alert(1)">')

    client, _ = signed_in(CardSource(read_counts, no_card))
    shown = client.get("/").text
    assert "<img" not in shown and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown
    diagnosed = Diagnosis((Check(Link.SERVICE, "no-library", detail="<b>libpcsclite</b>"),))
    client, _ = signed_in(CardSource(absent, lambda: diagnosed))
    assert "&lt;b&gt;libpcsclite&lt;/b&gt;" in client.get("/").text


# -- the server -------------------------------------------------------------------------


def test_the_server_prints_the_address_opens_the_browser_and_leaves_no_file(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    opened: list[Path] = []
    browsed = threading.Event()
    out = io.StringIO()

    def browse(uri: str) -> None:
        path = Path(uri.removeprefix("file://"))
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert out.getvalue().count("\n") == 1  # the address was printed first
        opened.append(path)
        browsed.set()

    run = threading.Thread(
        target=server.serve, args=(emulated(), "ja", 0, out, True, browse), daemon=True
    )
    run.start()
    assert browsed.wait(60)
    address = out.getvalue().splitlines()[0]
    assert address.startswith("http://127.0.0.1:") and "/?token=" in address
    base, token = address.split("/?token=", 1)
    redirect = html.unescape(opened[0].read_text("utf-8"))
    assert f'action="{base}/signin"' in redirect and f'value="{token}"' in redirect
    assert "token=" not in redirect  # the token is posted, in no address
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as http:
        try:
            assert http.get("/").status_code == 401
            assert http.post("/signin", data={"token": token}).status_code == 303
            shown = http.get("/")
            assert "利用可" in shown.text
        finally:  # stop the server whatever happened
            csrf = shown.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            got = http.post("/quit", data={"csrf": csrf}, headers={"origin": base})
    assert got.status_code == 200
    run.join(60)
    assert not run.is_alive()
    ours = ("uvicorn", "starlette", "jpki")
    server_logs = [r.getMessage() for r in caplog.records if r.name.startswith(ours)]
    assert server_logs == []  # no request line, header, cookie or token
    assert not opened[0].exists() and not opened[0].parent.exists()


async def nothing(scope: Any, receive: Any, send: Any) -> None:
    return None


def test_the_server_stops_after_fifteen_idle_minutes_from_the_last_request() -> None:
    now = [0.0]
    guard = Guard(nothing, PORT, Secrets(), b"", clock=lambda: now[0])
    target = SimpleNamespace(should_exit=False)

    class Minutes:
        """``done`` never set: each look comes a minute later; a request at minute 10."""

        def wait(self, timeout: float) -> bool:
            assert timeout == 30.0
            now[0] += 60
            if now[0] == 600:
                guard.last_request = now[0]
            return False

    server.watch_idle(target, guard, Minutes())  # type: ignore[arg-type]
    assert target.should_exit and now[0] == 600 + 15 * 60


# -- without the extra ------------------------------------------------------------------


def test_without_the_extra_one_line_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import jpki.ui

    for name in [m for m in sys.modules if m.startswith("jpki.ui.")]:
        monkeypatch.delitem(sys.modules, name)
        monkeypatch.delattr(jpki.ui, name.rsplit(".", 1)[1], raising=False)
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "starlette", None)  # type: ignore[arg-type]
    got = jpkitool_inprocess("--lang", "en", "--emulator", "ui", "--no-browser")
    assert got.code == 1 and got.out == ""
    assert (
        got.err
        == "jpkitool: jpkitool ui needs the optional web server: pip install 'jpkitool[ui]'\n"
    )
    ja = jpkitool_inprocess("--lang", "ja", "--emulator", "ui")
    assert ja.code == 1 and ja.err.count("\n") == 1 and "pip install 'jpkitool[ui]'" in ja.err


@pytest.mark.parametrize("option", ["--record", "--replay"])
def test_record_and_replay_are_refused(option: str, tmp_path: Path) -> None:
    session = tmp_path / "session.jsonl"
    if option == "--replay":
        session.write_text("", "utf-8")
    args = ["--emulator"] if option == "--record" else []
    got = jpkitool_inprocess("--lang", "en", *args, option, str(session), "ui", "--no-browser")
    assert got.code == 2 and got.out == ""
    assert "--record and --replay do not apply" in got.err
    assert session.exists() is (option == "--replay")  # nothing recorded
