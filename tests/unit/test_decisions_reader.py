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
    ReaderBusyError,
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
        from apdu import pcsc, pcsctransport

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
        monkeypatch.setattr(pcsctransport, "PcscTransport", self.transport)
        monkeypatch.setattr(pcsc, "wait_for_card", self.wait_for_card)

    def transport(self, name: str, *, timeout: float | None = None) -> BaseTransport:
        self.opened.append(name)
        self.timeouts.append(timeout)
        kind = self.readers[name]
        if kind == MY_NUMBER:
            inner: BaseTransport = EmulatorTransport(VirtualCard(CardState()))
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

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        return self.inner.transmit(apdu, secret=secret)

    def close(self, *, unpower: bool = False) -> None:
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
    assert connect.my_number_readers(connect.probe_readers(["A", "B"])) == ["B"]


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
    card = EmulatorTransport(VirtualCard(CardState()))
    assert connect.probe(card) == connect.Probe(True, None)
    assert connect.probe(card, token=True) == connect.Probe(True, Token.CARD)


def test_probe_another_card_reads_nothing_more() -> None:
    sent: list[bytes] = []

    def other(apdu: bytes) -> bytes:
        sent.append(apdu)
        return b"\x6a\x82"

    assert connect.probe(FunctionTransport(other), token=True) == connect.Probe(False, None)
    assert len(sent) == 1


def test_probe_reader_raises_transport_errors_that_probe_readers_keeps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Pcsc(monkeypatch, {"A": BROKEN})
    with pytest.raises(CardUnresponsiveError):
        connect.probe_reader("A")
    assert isinstance(connect.probe_readers(["A"])["A"], CardUnresponsiveError)
    assert connect.my_number_readers(connect.probe_readers(["A"])) == []

    from apdu import pcsctransport

    def removed(name: str, **_: Any) -> BaseTransport:
        raise CardRemovedError("gone")

    monkeypatch.setattr(pcsctransport, "PcscTransport", removed)
    assert isinstance(connect.probe_readers(["A"])["A"], CardRemovedError)


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
    assert connect.probe_readers(["A"], 4)["A"] == connect.Probe(False)
    assert connect.connect("A", timeout=5).name == "A"
    assert fake.timeouts == [3, 4, 5]
    fake.timeouts.clear()
    monkeypatch.delenv("JPKITOOL_CARD_TIMEOUT", raising=False)
    connect.connect()
    connect.probe_reader("B")
    assert fake.timeouts == [20.0, 20.0, 20.0, 20.0]  # the default
    fake.timeouts.clear()
    monkeypatch.setenv("JPKITOOL_CARD_TIMEOUT", "6")
    connect.connect()
    assert fake.timeouts == [6.0, 6.0, 6.0]  # the probes choosing it, then the connection


# -- the right message for the situation ----------------------------------------------


def said(exc: BaseException, lang: str) -> str:
    from jpki.cli.failures import classify
    from jpki.i18n import set_language

    set_language(lang)
    try:
        return classify(exc).message
    finally:
        set_language("en")


def test_waiting_with_no_reader_at_all_says_there_is_no_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from apdu import pcsc

    Pcsc(monkeypatch, {})

    def no_card(reader: str | None, timeout: float, on_wait: object = None) -> str:
        raise NoCardError(f"no card inserted within {timeout:g} s")

    monkeypatch.setattr(pcsc, "wait_for_card", no_card)
    with pytest.raises(NoReaderError) as caught:
        connect.choose_reader(wait=2)
    assert said(caught.value, "en").startswith("no smart-card reader found. Connect a reader")
    assert said(caught.value, "ja").startswith("ICカードリーダーが見つかりません。")
    Pcsc(monkeypatch, {"Empty": None})  # a reader, no card: still "no card"
    monkeypatch.setattr(pcsc, "wait_for_card", no_card)
    with pytest.raises(NoCardError):
        connect.choose_reader(wait=2)


def test_two_my_number_cards_are_said_to_be_two(monkeypatch: pytest.MonkeyPatch) -> None:
    Pcsc(monkeypatch, {"A": MY_NUMBER, "B": MY_NUMBER})
    with pytest.raises(AmbiguousCardError) as caught:
        connect.choose_reader()
    en, ja = said(caught.value, "en"), said(caught.value, "ja")
    assert en.startswith("several My Number Cards are inserted (A, B)") and "--reader" in en
    assert "none" not in en
    assert ja.startswith("マイナンバーカードが複数入っています（A, B）") and "--reader" in ja
    Pcsc(monkeypatch, {"A": OTHER, "B": OTHER})
    with pytest.raises(AmbiguousCardError) as other:
        connect.choose_reader()
    assert "none answers as a My Number Card" in said(other.value, "en")


@pytest.mark.parametrize(
    ("spec", "en", "ja"),
    [
        ("nosuch", "no reader matches 'nosuch' (readers: R0, R1)",
         "「nosuch」に当てはまるリーダーがありません"),
        ("7", "there is no reader 7 (readers: R0, R1)", "リーダー 7 はありません"),
    ],
)  # fmt: skip
def test_a_reader_not_found_is_said_in_the_users_language(spec: str, en: str, ja: str) -> None:
    from apdu import pcsc

    with pytest.raises(NoReaderError) as caught:
        pcsc.select_reader(spec, ["R0", "R1"])
    english, japanese = said(caught.value, "en"), said(caught.value, "ja")
    assert english.startswith(en) and english.count("no reader") == 1
    assert japanese.startswith(ja) and not {"no", "reader", "matches"} & set(japanese.split())


def test_a_user_pcscd_refuses_is_told_so_not_that_pcscd_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """pcsc-lite 1.9.9 with polkit closes the connection of a user not at the seat:
    SCardEstablishContext fails as if there were no service, while the socket listens."""
    import socket

    from smartcard import scard as sc

    from apdu import AccessDeniedError, ServiceUnavailableError, pcsc
    from jpki.diagnosis import diagnose

    path = str(tmp_path / "pcscd.comm")
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", path)
    monkeypatch.setattr(sc, "SCardEstablishContext", lambda scope: (sc.SCARD_F_COMM_ERROR, 0))
    with pytest.raises(ServiceUnavailableError) as nothing:  # no socket: not running
        pcsc.list_readers()
    assert not isinstance(nothing.value, AccessDeniedError)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(4)
        with pytest.raises(AccessDeniedError) as caught:
            pcsc.list_readers()
        (check,) = diagnose().checks
    assert (check.link, check.ok, check.fix) == ("service", False, "denied")
    assert "polkit" in said(caught.value, "en") and "polkit" in said(caught.value, "ja")
    # pcsc-lite 2.0.1+ says it outright
    assert isinstance(pcsc.error_for(sc.SCARD_W_SECURITY_VIOLATION, "x"), AccessDeniedError)


@pytest.mark.parametrize(("pin", "face"), [("sign", False), ("cardinfo", False), ("auth", True)])
def test_only_a_missing_2_speaks_of_the_face_authentication_card(pin: str, face: bool) -> None:
    from jpki.errors import PinAbsentError

    exc = PinAbsentError(pin, "no-reference-data", 0x6A88)
    assert ("顔認証マイナンバーカード" in said(exc, "en")) is face
    assert ("顔認証マイナンバーカード" in said(exc, "ja")) is face


# -- doctor's diagnosis, link by link (jpki.diagnosis) ---------------------------------


@pytest.mark.parametrize(
    ("readers", "reader", "found"),
    [
        ({}, None, [("service", "ok", ()), ("reader", "fail", ())]),
        (
            {"A": None},
            None,
            [("service", "ok", ()), ("reader", "ok", ("A",)), ("card", "fail", ())],
        ),
        (
            {"A": OTHER, "B": None},
            None,
            [
                ("service", "ok", ()),
                ("reader", "ok", ("A", "B")),
                ("card", "ok", ("A",)),
                ("jpki", "fail", ()),
            ],
        ),
        (
            {"A": BROKEN, "B": MY_NUMBER},
            None,
            [
                ("service", "ok", ()),
                ("reader", "ok", ("A", "B")),
                ("card", "ok", ("A", "B")),
                ("jpki", "card-error", ("A",)),  # a card that does not answer is named
            ],
        ),
        (
            {"A": MY_NUMBER, "B": MY_NUMBER},
            None,
            [
                ("service", "ok", ()),
                ("reader", "ok", ("A", "B")),
                ("card", "ok", ("A", "B")),
                ("jpki", "several", ("A", "B")),
            ],
        ),
        (
            {"A": MY_NUMBER, "B": MY_NUMBER},
            "B",
            [
                ("service", "ok", ()),
                ("reader", "ok", ("A", "B")),
                ("card", "ok", ("B",)),
                ("jpki", "ok", ("B",)),
            ],
        ),
        (
            {"A": MY_NUMBER, "B": None},
            "B",
            [("service", "ok", ()), ("reader", "ok", ("A", "B")), ("card", "fail", ())],
        ),
    ],
)
def test_the_diagnosis_stops_at_the_first_missing_link(
    monkeypatch: pytest.MonkeyPatch,
    readers: dict[str, str | None],
    reader: str | None,
    found: list[tuple[str, str, tuple[str, ...]]],
) -> None:
    from jpki.diagnosis import diagnose

    Pcsc(monkeypatch, readers)
    checks = diagnose(reader, timeout=3).checks
    assert [(c.link.value, c.code, c.readers) for c in checks] == found


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (lambda: ReaderBusyError("taken"), "busy"),
        (lambda: CardRemovedError("gone"), "card-error"),
    ],
)
def test_a_card_that_cannot_be_probed_is_named(
    monkeypatch: pytest.MonkeyPatch, error: Any, code: str
) -> None:
    from apdu import pcsctransport
    from jpki.diagnosis import diagnose

    Pcsc(monkeypatch, {"A": MY_NUMBER})

    def failing(name: str, **_: Any) -> BaseTransport:
        raise error()

    monkeypatch.setattr(pcsctransport, "PcscTransport", failing)
    last = diagnose().checks[-1]
    assert (last.link.value, last.code, last.readers) == ("jpki", code, ("A",))
    assert (last.detail != "") is (code == "card-error")


def test_a_reader_named_that_is_not_there_is_a_jpki_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from jpki.diagnosis import diagnose
    from jpki.errors import NoReaderError

    Pcsc(monkeypatch, {"A": MY_NUMBER})
    with pytest.raises(NoReaderError):
        diagnose("nowhere")
