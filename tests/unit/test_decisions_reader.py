"""Which reader jpkitool uses, and what it says when it cannot choose.

No ``--reader``: the only reader holding a card; with several, the one whose card
answers as a My Number card; still ambiguous: an error listing them. ``--reader``:
that reader (waiting for its card with ``--wait``). PC/SC is replaced by a fake
(no pcscd); each fake card is a function answering APDUs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apdu import (
    BaseTransport,
    CardRemovedError,
    CardUnresponsiveError,
    FunctionTransport,
    NoCardError,
    NoReaderError,
)
from jpki import connect
from jpki.emulator import CardState, EmulatorTransport, VirtualCard
from jpki.errors import AmbiguousCardError
from jpki.profile import Token

MY_NUMBER = "my-number"
OTHER = "other"
BROKEN = "broken"


class Pcsc:
    """Readers by name: ``None`` (no card), or the kind of card in it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, readers: dict[str, str | None]) -> None:
        from apdu import pcsc

        self.readers = readers
        self.opened: list[str] = []
        #: The ``timeout`` each connection was opened with.
        self.timeouts: list[float | None] = []
        self.waits: list[tuple[str | None, float]] = []
        self.closed: list[str] = []
        #: The reader a card arrives in while waiting.
        self.arrive = "Arrived"
        monkeypatch.setattr(pcsc, "list_readers", lambda: list(readers))
        monkeypatch.setattr(
            pcsc,
            "reader_states",
            lambda: [
                pcsc.ReaderState(i, name, kind is not None, b"\x3b" if kind else b"")
                for i, (name, kind) in enumerate(readers.items())
            ],
        )
        monkeypatch.setattr(pcsc, "PcscTransport", self.transport)
        monkeypatch.setattr(pcsc, "wait_for_card", self.wait_for_card)

    def transport(self, name: str, *, timeout: float | None = None) -> BaseTransport:
        self.opened.append(name)
        self.timeouts.append(timeout)
        kind = self.readers[name]
        if kind == MY_NUMBER:
            inner: BaseTransport = EmulatorTransport(VirtualCard(CardState.default()))
            return _Named(inner, name, self.closed)
        if kind == BROKEN:

            def mute(_: bytes) -> bytes:
                raise CardUnresponsiveError("mute")

            return _Named(FunctionTransport(mute, name), name, self.closed)
        return _Named(FunctionTransport(lambda _: b"\x6a\x82", name), name, self.closed)

    def wait_for_card(
        self, reader: str | None, timeout: float, on_wait: Callable[[], None] | None = None
    ) -> str:
        self.waits.append((reader, timeout))
        if on_wait is not None:
            on_wait()
        return reader or self.arrive


class _Named(BaseTransport):
    def __init__(self, inner: BaseTransport, name: str, closed: list[str]) -> None:
        self.inner, self._name, self._closed = inner, name, closed

    def transmit(self, apdu: bytes, *, secret: bool = False) -> bytes:
        return self.inner.transmit(apdu, secret=secret)

    def close(self) -> None:
        self._closed.append(self.name)


def test_the_only_reader_with_a_card_without_asking_the_card(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = Pcsc(monkeypatch, {"Empty": None, "Holder": OTHER})
    assert connect.choose_reader() == "Holder"
    assert fake.opened == []  # no card was probed


def test_several_cards_the_my_number_card_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = Pcsc(monkeypatch, {"A": OTHER, "B": MY_NUMBER, "C": None})
    assert connect.choose_reader() == "B"
    assert fake.opened == ["A", "B"]  # readers without a card are not opened
    assert sorted(fake.closed) == ["A", "B"]  # each probe's connection is closed


@pytest.mark.parametrize(
    ("readers", "listed"),
    [
        ({"A": MY_NUMBER, "B": MY_NUMBER}, ["A", "B"]),
        ({"A": MY_NUMBER, "B": MY_NUMBER, "C": OTHER}, ["A", "B"]),
        ({"A": OTHER, "B": OTHER}, ["A", "B"]),
        ({"A": OTHER, "B": BROKEN, "C": None}, ["A", "B"]),
    ],
)
def test_still_ambiguous_lists_the_candidates(
    monkeypatch: pytest.MonkeyPatch, readers: dict[str, str | None], listed: list[str]
) -> None:
    Pcsc(monkeypatch, readers)
    with pytest.raises(AmbiguousCardError) as caught:
        connect.choose_reader()
    assert caught.value.readers == listed
    assert ", ".join(listed) in str(caught.value)


def test_a_card_that_does_not_answer_is_not_a_my_number_card(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Pcsc(monkeypatch, {"A": BROKEN, "B": MY_NUMBER})
    assert connect.choose_reader() == "B"
    assert connect.answers_as_my_number("A") is False
    assert connect.answers_as_my_number("B") is True


def test_no_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    Pcsc(monkeypatch, {})
    with pytest.raises(NoReaderError, match=r"^no smart-card reader found$"):
        connect.choose_reader()


def test_no_card_names_the_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    Pcsc(monkeypatch, {"A": None, "B": None})
    with pytest.raises(NoCardError) as caught:
        connect.choose_reader()
    assert str(caught.value) == "no card in A, B"


@pytest.mark.parametrize("readers", [{}, {"A": None}])
def test_waiting_for_a_card_in_any_reader(
    monkeypatch: pytest.MonkeyPatch, readers: dict[str, str | None]
) -> None:
    fake = Pcsc(monkeypatch, readers)
    told: list[bool] = []
    assert connect.choose_reader(wait=5.0, on_wait=lambda: told.append(True)) == "Arrived"
    assert fake.waits == [(None, 5.0)] and told == [True]


def test_no_wait_when_a_card_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = Pcsc(monkeypatch, {"A": OTHER})
    assert connect.choose_reader(wait=5.0) == "A"
    assert fake.waits == []


def test_a_named_reader_is_used_as_named(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = Pcsc(monkeypatch, {"Sony RC-S380": None, "ACS ACR39U": OTHER})
    assert connect.choose_reader("acr39") == "ACS ACR39U"
    assert connect.choose_reader("0") == "Sony RC-S380"  # its card is not looked at
    assert fake.waits == [] and fake.opened == []
    told: list[bool] = []
    assert connect.choose_reader("rc-s380", wait=3.0, on_wait=lambda: told.append(True)) == (
        "Sony RC-S380"
    )
    assert fake.waits == [("Sony RC-S380", 3.0)] and told == [True]


def test_a_named_reader_that_is_not_there(monkeypatch: pytest.MonkeyPatch) -> None:
    Pcsc(monkeypatch, {"A": OTHER})
    with pytest.raises(NoReaderError):
        connect.choose_reader("zzz")


def test_connect_opens_the_chosen_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = Pcsc(monkeypatch, {"A": None, "B": MY_NUMBER})
    transport = connect.connect()
    assert transport.name == "B" and fake.opened == ["B"]
    assert connect.connect("A").name == "A"


def test_connect_waits_as_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = Pcsc(monkeypatch, {"A": None})
    fake.arrive = "A"
    told: list[bool] = []
    assert connect.connect(wait=7.5, on_wait=lambda: told.append(True)).name == "A"
    assert fake.waits == [(None, 7.5)] and told == [True]


def test_asking_whether_a_card_is_a_my_number_card_sends_one_select(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Pcsc(monkeypatch, {"B": MY_NUMBER})
    assert connect.probe_reader("B") == connect.Probe(True, None)
    assert connect.probe_reader("B", token=True) == connect.Probe(True, Token.CARD)


def test_probe_a_my_number_card_and_its_token() -> None:
    card = EmulatorTransport(VirtualCard(CardState.default()))
    assert connect.probe(card) == connect.Probe(True, None)
    assert connect.probe(card, token=True) == connect.Probe(True, Token.CARD)


def test_probe_another_card_reads_nothing_more() -> None:
    sent: list[bytes] = []

    def other(apdu: bytes) -> bytes:
        sent.append(apdu)
        return b"\x6a\x82"

    assert connect.probe(FunctionTransport(other), token=True) == connect.Probe(False, None)
    assert len(sent) == 1


def test_probe_reader_raises_transport_errors_that_answers_swallows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Pcsc(monkeypatch, {"A": BROKEN})
    with pytest.raises(CardUnresponsiveError):
        connect.probe_reader("A")
    assert connect.answers_as_my_number("A") is False

    from apdu import pcsc

    def removed(name: str, **_: Any) -> BaseTransport:
        raise CardRemovedError("gone")

    monkeypatch.setattr(pcsc, "PcscTransport", removed)
    assert connect.answers_as_my_number("A") is False


def test_the_timeout_asked_for_is_given_to_every_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--timeout``: the connection used, and every probe made to choose it."""
    fake = Pcsc(monkeypatch, {"A": OTHER, "B": MY_NUMBER})
    assert connect.connect(timeout=7.5).name == "B"
    assert fake.opened == ["A", "B", "B"] and fake.timeouts == [7.5, 7.5, 7.5]
    fake.timeouts.clear()
    assert connect.choose_reader(timeout=2.5) == "B" and fake.timeouts == [2.5, 2.5]
    fake.timeouts.clear()
    assert connect.probe_reader("B", timeout=3).my_number
    assert connect.answers_as_my_number("A", 4) is False
    assert connect.connect("A", timeout=5).name == "A"
    assert fake.timeouts == [3, 4, 5]
    fake.timeouts.clear()
    connect.connect()
    connect.probe_reader("B")
    assert fake.timeouts == [None, None, None, None]  # the default (JPKITOOL_CARD_TIMEOUT, 20 s)
