"""The page's PIN forms under Starlette's TestClient, on one virtual card: the card,
counting the PIN sessions opened and the APDUs sent, and a signed-in client."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
from starlette.testclient import TestClient

from jpki.api import open_transport
from jpki.card import MyNumberCard
from jpki.diagnosis import Diagnosis
from jpki.emulator import VirtualCard, build_state
from jpki.emulator.transport import EmulatorTransport
from jpki.retries import RetriesReport, read_retries
from jpki.ui import app
from jpki.ui.guard import Secrets
from jpki.ui.once import OneTime
from jpki.ui.source import CardSource
from ui_client import BASE, PORT

#: Distinctive values: a test searches every answer for them.
WRONG, NEW, SIGN_NEW = "9071", "5039", "QX7R2M9"


class Card:
    """One virtual card for the whole test; counts the PIN sessions opened and the
    APDUs they sent."""

    def __init__(self, **state: Any) -> None:
        self.state = build_state(**state)
        self.virtual = VirtualCard(self.state)
        self.sessions = 0
        self.apdus = 0

    @contextlib.contextmanager
    def session(self) -> Iterator[MyNumberCard]:
        self.sessions += 1
        with open_transport(EmulatorTransport(self.virtual)) as card:
            try:
                yield card
            finally:
                self.apdus += card.apdu_count

    def read_counts(self) -> RetriesReport:
        with open_transport(EmulatorTransport(self.virtual)) as card:
            return read_retries(card)


class Page:
    """A signed-in client of the page over ``card``; every answer kept. A POST carries a
    fresh form id unless given one, and its 303 to the result is followed."""

    def __init__(
        self,
        card: Card,
        lang: str = "ja",
        experimental: bool = False,
        session: Callable[[], contextlib.AbstractContextManager[MyNumberCard]] | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        self.card = card
        self.keys = Secrets()
        source = CardSource(
            card.read_counts, lambda: Diagnosis(()), open_pin_session=session or card.session
        )
        if now is not None:
            source.clock = lambda: now
        self.forms = OneTime()
        guard = app.build(source, lang, PORT, lambda: None, self.keys, experimental, self.forms)
        self.client = TestClient(guard, base_url=BASE, follow_redirects=False)
        assert self.client.get(f"/?token={self.keys.token}").status_code == 303
        self.answers: list[httpx.Response] = []

    def get(self, path: str) -> httpx.Response:
        answer = self.client.get(path)
        self.answers.append(answer)
        return answer

    def post(self, operation: str, pin: str, **fields: str) -> httpx.Response:
        form = {"pin": pin, "form": self.form_id(operation, pin)}
        return self.send(f"/pin/{operation}", **(form | fields))

    def send(self, path: str, **fields: str) -> httpx.Response:
        """A POST of ``fields`` and the CSRF token to ``path``; a 303 followed."""
        data = {"csrf": self.keys.csrf, **fields}
        answer = self.client.post(path, data=data, headers={"origin": BASE})
        self.answers.append(answer)
        self.sent = answer
        if answer.status_code == 303:
            return self.get(answer.headers["location"])
        return answer

    def form_id(self, operation: str, pin: str) -> str:
        """An id as a GET of the form would issue it, without reading the card."""
        return self.forms.issue(f"{operation} {pin}")

    def nothing_echoed(self, *values: str) -> None:
        for answer in self.answers:
            for value in values:
                assert value not in answer.text
                assert value.lower() not in answer.text


def fields(answer: httpx.Response) -> list[str]:
    return re.findall(r"<input [^>]*>", answer.text)
