"""The page's live view (jpki.ui.live): ``GET /status`` from PC/SC's reader states, with
no card session and no APDU, behind the guard; its polls do not keep the server up;
the page carries the script and the region where it speaks."""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from typing import Any

import pytest
from starlette.testclient import TestClient

from apdu import PcscLibraryError, ServiceUnavailableError, pcsc
from jpki import connect
from jpki.diagnosis import Diagnosis
from jpki.i18n import t
from jpki.retries import RetriesReport
from jpki.session import SessionSpec
from jpki.ui import app, live, source
from jpki.ui.guard import Guard, Secrets
from jpki.ui.source import CardSource
from ui_client import BASE, PORT, absent, client_for, emulated, signed_in

ATR = bytes.fromhex("3BE000FF8131FE4514")
READER = "ACS ACR39U"


class Readers:
    """A fake of ``apdu.pcsc.reader_states``: readers whose cards a test inserts and
    removes, with pcsc-lite's count of those events."""

    def __init__(self, *names: str) -> None:
        self.cards = dict.fromkeys(names, False)
        self.events = dict.fromkeys(names, 0)
        self.held: set[str] = set()  # cards a program holds exclusively

    def put(self, name: str, present: bool) -> None:
        self.cards[name] = present
        self.events[name] += 1

    def __call__(self) -> list[pcsc.ReaderState]:
        return [
            pcsc.ReaderState(
                i, name, present, ATR if present else b"", self.events[name], name in self.held
            )
            for i, (name, present) in enumerate(self.cards.items())
        ]


@pytest.fixture
def readers(monkeypatch: pytest.MonkeyPatch) -> Readers:
    """One reader, no card yet; opening a card connection fails the test."""
    fake = Readers(READER)
    monkeypatch.setattr(pcsc, "reader_states", fake)

    def no_card_session(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the status connected to a card")

    monkeypatch.setattr("apdu.pcsctransport.PcscTransport.__init__", no_card_session)
    return fake


def unread() -> RetriesReport:
    raise AssertionError("the status read the card")


def undiagnosed() -> Diagnosis:
    raise AssertionError("the status diagnosed the card")


# -- the status -------------------------------------------------------------------------


def test_the_status_follows_a_card_removed_and_inserted_without_a_card_session(
    readers: Readers,
) -> None:
    look = source.from_spec(SessionSpec(reader=None)).look
    empty = look()
    assert empty == {
        "missing": "card",
        "cards": 0,
        "readers": [{"name": READER, "card": False, "atr": "", "events": 0, "exclusive": False}],
    }
    readers.put(READER, True)
    inserted = look()
    assert inserted["missing"] is None and inserted["cards"] == 1
    assert inserted["readers"] == [
        {"name": READER, "card": True, "atr": "3BE000FF8131FE4514", "events": 1, "exclusive": False}
    ]
    readers.put(READER, False)
    assert look()["missing"] == "card" and look() != empty
    readers.put(READER, True)
    again = look()
    assert again["cards"] == 1 and again != inserted  # a swap between two looks shows


def test_a_card_held_exclusively_by_another_program_changes_the_status(
    readers: Readers,
) -> None:
    """What makes a reading fail as busy; and its end, when the card can be read."""
    readers.put(READER, True)
    free = live.status()
    readers.held.add(READER)
    held = live.status()
    assert held["readers"][0]["exclusive"] is True and held != free
    readers.held.clear()
    assert live.status() == free


def test_a_named_reader_is_the_only_one_looked_at(readers: Readers) -> None:
    readers.cards["Other reader"] = True
    readers.events["Other reader"] = 1
    assert live.status()["cards"] == 1
    named = live.status("acr39")
    assert named["missing"] == "card" and [r["name"] for r in named["readers"]] == [READER]
    assert live.status("nothing like it")["missing"] == "reader"


def test_a_reader_named_by_index_counts_in_the_list_given_else_in_the_states(
    readers: Readers,
) -> None:
    """``choose_reader`` and ``doctor`` resolve ``--reader 1`` in the list they read
    first; the page in the states it reads."""
    readers.cards["Other reader"] = False
    readers.events["Other reader"] = 0
    assert [s.name for s in connect.reader_states("1")] == ["Other reader"]
    assert [s.name for s in connect.reader_states("1", ["X", READER])] == [READER]
    assert [s.name for s in connect.reader_states()] == [READER, "Other reader"]


@pytest.mark.parametrize(
    ("found", "link"),
    [
        ([], "reader"),
        (ServiceUnavailableError("no pcscd"), "service"),
        (PcscLibraryError("no libpcsclite"), "service"),
    ],
)
def test_a_missing_link_is_named_as_doctor_names_it(
    found: Any, link: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def states() -> list[pcsc.ReaderState]:
        if isinstance(found, Exception):
            raise found
        return list(found)

    monkeypatch.setattr(pcsc, "reader_states", states)
    assert live.status() == {"missing": link, "cards": 0, "readers": []}


def test_the_virtual_card_is_never_removed() -> None:
    assert source.from_spec(SessionSpec(emulator=True)).look() == live.VIRTUAL
    assert CardSource(unread, undiagnosed).look() == live.VIRTUAL


def test_pcsc_lites_event_count_and_exclusive_hold_are_read_from_the_event_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The event states a private pcscd gave for a vpcd reader after one insertion
    (``0x10022``), while another program held it exclusively (``0x100A2``), and after
    the removal that followed (``0x20012``)."""
    sc = pcsc.sc
    answers = iter([0x10022, 0x100A2, 0x20012])
    monkeypatch.setattr(sc, "SCardEstablishContext", lambda scope: (sc.SCARD_S_SUCCESS, 1))
    monkeypatch.setattr(sc, "SCardReleaseContext", lambda ctx: sc.SCARD_S_SUCCESS)
    monkeypatch.setattr(sc, "SCardListReaders", lambda ctx, g: (sc.SCARD_S_SUCCESS, [READER]))

    def status_change(ctx: int, ms: int, query: list[tuple[str, int]]) -> Any:
        assert ms == 0 and query == [(READER, sc.SCARD_STATE_UNAWARE)]
        return sc.SCARD_S_SUCCESS, [(READER, next(answers), list(ATR))]

    monkeypatch.setattr(sc, "SCardGetStatusChange", status_change)
    assert pcsc.reader_states() == [pcsc.ReaderState(0, READER, True, ATR, 1)]
    assert pcsc.reader_states() == [pcsc.ReaderState(0, READER, True, ATR, 1, True)]
    assert pcsc.reader_states() == [pcsc.ReaderState(0, READER, False, b"", 2)]


# -- GET /status ------------------------------------------------------------------------


def test_status_answers_json_behind_the_guard(readers: Readers) -> None:
    cards = CardSource(unread, undiagnosed, lambda: live.status(None))
    client, keys = client_for(cards)
    assert client.get("/status").status_code == 401
    assert client.get(f"/?token={keys.token}").status_code == 303
    assert client.get("/status", headers={"host": f"evil.example:{PORT}"}).status_code == 421
    before = client.get("/status")
    assert before.headers["content-type"] == "application/json"
    assert before.headers["cache-control"] == "no-store"
    readers.put(READER, True)
    after = client.get("/status").json()
    assert before.json()["cards"] == 0 and after["cards"] == 1
    assert client.post("/status", headers={"origin": BASE}).status_code == 403


def test_status_answers_while_a_card_operation_holds_the_card() -> None:
    """A PIN operation holds the source's lock for its whole session: the status
    does not wait for it."""
    cards = CardSource(unread, undiagnosed, lambda: {"missing": None, "cards": 1})
    client, _ = signed_in(cards)
    with cards._lock:
        answered = threading.Event()

        def ask() -> None:
            assert client.get("/status").json()["cards"] == 1
            answered.set()

        asker = threading.Thread(target=ask)
        asker.start()
        asker.join(60)
    assert answered.is_set()


def test_polling_logs_nothing(readers: Readers, caplog: pytest.LogCaptureFixture) -> None:
    client, _ = signed_in(CardSource(unread, undiagnosed, lambda: live.status(None)))
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            assert client.get("/status").status_code == 200
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "asyncio"))]
    assert server_side == []  # (the test client logs its own requests)


# -- the idle stop ----------------------------------------------------------------------


def test_polls_do_not_keep_the_server_up_but_the_page_does() -> None:
    """A tab forgotten open polls /status every 2 s: that is nobody's use."""
    now = [0.0]
    keys = Secrets()
    page = app.build(emulated(), "ja", PORT, lambda: None, keys)
    guard = Guard(page.app, PORT, keys, b"", clock=lambda: now[0])
    client = TestClient(guard, base_url=BASE, follow_redirects=False)
    assert client.get(f"/?token={keys.token}").status_code == 303
    now[0] = 100.0
    assert client.get("/status").status_code == 200
    assert guard.last_request == 0.0
    assert client.get("/").status_code == 200  # the script loads the page after a change
    assert guard.last_request == 100.0


# -- the page and its script ------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_page_has_the_script_and_a_live_region_in_its_language(lang: str) -> None:
    client, _ = signed_in(lang=lang)
    shown = client.get("/").text
    assert '<script src="/static/live.js" defer></script>' in shown
    region = re.search(r'<p id="live"([^>]*)></p>', shown)
    assert region is not None and shown.index(region.group(0)) < shown.index("<main>")
    attributes = dict(re.findall(r'([a-z-]+)="([^"]*)"', region.group(1)))
    assert attributes["aria-live"] == "polite" and attributes["role"] == "status"
    for name in live.SENTENCES:
        assert html.unescape(attributes[f"data-{name}"]) == t(f"ui.live.{name}", lang)
    assert html.unescape(attributes["data-stopped"]) == t("ui.stopped", lang)


def test_the_page_carries_the_status_looked_at_before_its_reading() -> None:
    """A card inserted while the page reads the card: the script's first look differs
    from the page's, and the page is read again."""
    done: list[str] = []

    def look() -> dict[str, Any]:
        done.append("look")
        return {"missing": None, "cards": 1, "readers": [{"name": 'リーダー "1"', "card": True}]}

    def find_fault() -> Diagnosis:
        done.append("read")
        return Diagnosis(())

    client, _ = signed_in(CardSource(absent, find_fault, look))
    done.clear()
    shown = client.get("/").text
    assert done == ["look", "read"]
    seen = re.search(r' data-seen="([^"]*)"', shown)
    assert seen is not None and json.loads(html.unescape(seen.group(1))) == look()


def test_the_removal_is_said_in_japanese_first() -> None:
    assert t("ui.live.removed", "ja") == "カードが取り出されました。"
    assert t("ui.live.removed", "en") == "The card was removed."


def test_the_script_is_served_by_the_page_and_polls_status() -> None:
    client, _ = signed_in()
    script = client.get("/static/live.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert 'fetch("/status"' in script.text and "aria-live" not in script.text
    assert client.get("/static/other.js").status_code == 404
