"""The local page (``jpkitool ui``) under Starlette's TestClient, on the virtual card:
a signed-in client, a card source, and the requests the tests make."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
from starlette.testclient import TestClient

from jpki.api import open_emulator
from jpki.diagnosis import Check, Diagnosis, Link
from jpki.errors import NoCardError
from jpki.retries import RetriesReport, read_retries
from jpki.ui import app
from jpki.ui.guard import Secrets
from jpki.ui.source import CardSource, utc_now

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def emulated(state: dict[str, Any] | None = None, now: dt.datetime | None = None) -> CardSource:
    """The virtual card in ``state``, read afresh for every page (its certificates at
    ``now``, else at the current time)."""

    def read_counts() -> RetriesReport:
        with open_emulator(state) as card:
            return read_retries(card)

    clock = utc_now if now is None else lambda: now
    return CardSource(
        read_counts, lambda: Diagnosis(()), open_card=lambda: open_emulator(state), clock=clock
    )


def no_card() -> Diagnosis:
    return Diagnosis(
        (Check(Link.SERVICE), Check(Link.READER, readers=("ACS ACR39U",)), Check(Link.CARD, "fail"))
    )


def absent() -> RetriesReport:
    raise NoCardError("ACS ACR39U")


def client_for(
    source: CardSource, lang: str = "ja", on_quit: Callable[[], None] = lambda: None
) -> tuple[TestClient, Secrets]:
    keys = Secrets()
    guard = app.build(source, lang, PORT, on_quit, keys)
    return TestClient(guard, base_url=BASE, follow_redirects=False), keys


def signed_in(
    source: CardSource | None = None, lang: str = "ja", **kwargs: Any
) -> tuple[TestClient, Secrets]:
    client, keys = client_for(source or emulated(), lang, **kwargs)
    assert client.get(f"/?token={keys.token}").status_code == 303
    return client, keys


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def post(client: TestClient, path: str, fields: dict[str, str], **headers: str) -> httpx.Response:
    return client.post(path, data=fields, headers=headers)
