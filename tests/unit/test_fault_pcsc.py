"""apdu.pcsc under faults, with pyscard's calls replaced: an exchange or a transaction
that never ends is given up after the timeout, pcscd going away mid-exchange is
"service stopped", a removed card "card removed"; and how the CLI words each."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from apdu import (
    CardRemovedError,
    CardUnresponsiveError,
    ReaderBusyError,
    ServiceUnavailableError,
    pcsc,
    pcsctransport,
)
from apdu.pcsc import sc
from apdu.pcsctransport import PcscTransport
from jpki import connect
from jpki.cli.failures import Exit, classify
from jpki.i18n import get_language, set_language

OK = sc.SCARD_S_SUCCESS
READER = "Fake Reader 00 00"


@pytest.fixture(autouse=True)
def english() -> Any:
    before = get_language()
    set_language("en")
    yield
    set_language(before)


class FakePcsc:
    """pyscard's calls for one reader; ``block`` names calls that never return
    (until :meth:`release`); ``answers`` gives the return code of a call."""

    def __init__(self, *, block: tuple[str, ...] = (), **answers: Any) -> None:
        self.block = block
        self.answers = answers
        self.calls: list[str] = []
        #: The disposition of each SCardReconnect.
        self.reconnects: list[int] = []
        self.threads: set[int] = set()
        self.released = threading.Event()

    def _enter(self, name: str) -> Any:
        self.calls.append(name)
        self.threads.add(threading.get_ident())
        if name in self.block:
            self.released.wait(30)
        return self.answers.get(name, OK)

    def release(self) -> None:
        self.released.set()

    def _reconnect(self, card: Any, share: Any, protocols: Any, init: int) -> Any:
        self.reconnects.append(init)
        return self._enter("SCardReconnect"), 2

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def status(card: Any) -> Any:
            rv = self._enter("SCardStatus")
            return rv, READER, pcsc.SCARD_PRESENT | 0x20, 2, [0x3B, 0x00]

        fakes = {
            "SCardEstablishContext": lambda scope: (self._enter("SCardEstablishContext"), 1),
            "SCardReleaseContext": lambda ctx: self._enter("SCardReleaseContext"),
            "SCardConnect": lambda ctx, r, share, p: (self._enter("SCardConnect"), 2, 2),
            "SCardStatus": status,
            "SCardTransmit": lambda card, p, apdu: (self._enter("SCardTransmit"), [0x90, 0x00]),
            "SCardBeginTransaction": lambda card: self._enter("SCardBeginTransaction"),
            "SCardEndTransaction": lambda card, d: self._enter("SCardEndTransaction"),
            "SCardDisconnect": lambda card, d: self._enter("SCardDisconnect"),
            "SCardReconnect": self._reconnect,
            "SCardGetStatusChange": lambda ctx, ms, q: (
                OK,
                [(READER, self.answers.get("reader_state", sc.SCARD_STATE_PRESENT), [])],
            ),
        }
        for name, fake in fakes.items():
            monkeypatch.setattr(sc, name, fake)


def timed(func: Any, *args: Any) -> tuple[BaseException | None, float]:
    start = time.monotonic()
    try:
        func(*args)
    except Exception as exc:
        return exc, time.monotonic() - start
    return None, time.monotonic() - start


def test_an_unanswered_exchange_is_given_up_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakePcsc(block=("SCardTransmit",))
    fake.install(monkeypatch)
    transport = PcscTransport(READER, timeout=0.3)
    try:
        exc, seconds = timed(transport.transmit, b"\x00\xa4\x04\x0c")
        assert isinstance(exc, CardUnresponsiveError)
        assert 0.3 <= seconds < 1.5
        assert exc.code == 0x8010000A and exc.timeout == 0.3  # type: ignore[attr-defined]
        assert "did not answer within 0.3 s" in str(exc)
        # The connection is not used again, and closing it does not wait.
        again, seconds = timed(transport.transmit, b"\x00\xa4\x04\x0c")
        assert isinstance(again, CardUnresponsiveError) and seconds < 0.1
        _, seconds = timed(transport.close)
        assert seconds < 0.1
        assert "SCardDisconnect" not in fake.calls
    finally:
        fake.release()
    failure = classify(exc)
    assert (failure.code, failure.exit) == ("card-unresponsive", Exit.ERROR)
    assert "did not answer within 0.3 s" in failure.message


def test_every_call_of_a_connection_is_made_on_one_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakePcsc()
    fake.install(monkeypatch)
    with PcscTransport(READER, timeout=5) as transport:
        with transport.transaction():
            assert transport.transmit(b"\x00\xa4\x04\x0c") == b"\x90\x00"
        transport.power_cycle()
        transport.power_cycle(warm=True)
    assert fake.calls[0] == "SCardEstablishContext" and fake.calls[-1] == "SCardReleaseContext"
    assert len(fake.threads) == 1 and threading.get_ident() not in fake.threads


def test_a_transaction_held_elsewhere_is_reader_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePcsc(block=("SCardBeginTransaction",))
    fake.install(monkeypatch)
    transport = PcscTransport(READER, timeout=0.3)
    try:
        with pytest.raises(ReaderBusyError) as info, transport.transaction():
            pytest.fail("the transaction was not held back")
        transport.close()
    finally:
        fake.release()
    assert info.value.timeout == 0.3  # type: ignore[attr-defined]
    assert "SCardEndTransaction" not in fake.calls
    failure = classify(info.value)
    assert (failure.code, failure.exit) == ("reader-busy", Exit.ERROR)
    assert "kept the card to itself for 0.3 s" in failure.message


@pytest.mark.parametrize(
    ("state", "error"),
    [
        (sc.SCARD_STATE_PRESENT | sc.SCARD_STATE_INUSE, ReaderBusyError),
        (sc.SCARD_STATE_PRESENT, CardUnresponsiveError),
    ],
)
def test_a_connection_held_back(
    monkeypatch: pytest.MonkeyPatch, state: int, error: type[Exception]
) -> None:
    """pcscd holds SCardConnect back during another program's transaction (the reader
    is in use); with nobody using the reader it is the card."""
    fake = FakePcsc(block=("SCardConnect",), reader_state=state)
    fake.install(monkeypatch)
    try:
        with pytest.raises(error):
            PcscTransport(READER, timeout=0.3)
    finally:
        fake.release()


@pytest.mark.parametrize(
    ("transmit", "status", "error", "code"),
    [
        # pcscd killed mid-exchange: pcsc-lite 1.9.9 answers F_COMM_ERROR, then NO_SERVICE
        (sc.SCARD_F_COMM_ERROR, sc.SCARD_E_NO_SERVICE, ServiceUnavailableError, 0x8010001E),
        (sc.SCARD_E_NO_SERVICE, sc.SCARD_E_NO_SERVICE, ServiceUnavailableError, 0x8010001E),
        (sc.SCARD_F_COMM_ERROR, sc.SCARD_W_REMOVED_CARD, CardRemovedError, 0x80100069),
        (sc.SCARD_E_NOT_TRANSACTED, sc.SCARD_E_NO_SMARTCARD, CardRemovedError, 0x80100069),
    ],
)
def test_what_a_failed_exchange_was(
    monkeypatch: pytest.MonkeyPatch, transmit: int, status: int, error: type, code: int
) -> None:
    fake = FakePcsc()
    fake.install(monkeypatch)
    transport = PcscTransport(READER, timeout=5)
    fake.answers.update(SCardTransmit=transmit, SCardStatus=status)
    exc, seconds = timed(transport.transmit, b"\x00\xa4\x04\x0c")
    transport.close()
    assert isinstance(exc, error) and exc.code == code  # type: ignore[attr-defined]
    assert seconds < 1


def test_pcscd_stopping_is_said_so() -> None:
    stopped = pcsc.error_for(sc.SCARD_E_SERVICE_STOPPED, "exchanging with the card", READER)
    never = pcsc.error_for(sc.SCARD_E_NO_SERVICE, "connecting to the PC/SC service")
    assert (classify(stopped).code, classify(stopped).exit) == ("no-service", Exit.NO_CARD)
    assert "stopped during the operation" in classify(stopped).message
    assert "does not respond" not in classify(stopped).message
    assert "is not running" in classify(never).message


def test_an_unexplained_failure_is_not_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure neither the card's presence nor pcscd explains stays as PC/SC said it."""
    fake = FakePcsc()
    fake.install(monkeypatch)
    transport = PcscTransport(READER, timeout=5)
    fake.answers.update(SCardTransmit=sc.SCARD_W_UNRESPONSIVE_CARD)
    monkeypatch.setattr(transport, "_diagnose", lambda rv, wait=2.0: rv)
    with pytest.raises(CardUnresponsiveError) as info:
        transport.transmit(b"\x00\xa4\x04\x0c")
    transport.close()
    assert info.value.timeout is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, 20.0),
        ("2.5", 2.5),
        ("0.1", 0.1),
        ("3600", 3600.0),
        ("0", 20.0),
        ("-1", 20.0),
        ("nan", 20.0),
        ("inf", 20.0),
        ("1e9", 20.0),
        ("ten", 20.0),
    ],
)
def test_the_timeout_setting(
    monkeypatch: pytest.MonkeyPatch, value: str | None, seconds: float
) -> None:
    if value is None:
        monkeypatch.delenv("JPKITOOL_CARD_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("JPKITOOL_CARD_TIMEOUT", value)
    assert connect.card_timeout() == seconds
    assert connect.DEFAULT_TIMEOUT == pcsctransport.DEFAULT_TIMEOUT == 20.0  # the one value


def test_a_worker_left_behind_takes_no_more_calls() -> None:
    worker = pcsctransport._Worker("test")
    gate = threading.Event()
    with pytest.raises(pcsctransport._Overrun):
        worker.call(0.05, gate.wait, 5)
    assert worker.abandoned
    with pytest.raises(pcsctransport._Overrun):
        worker.call(5, lambda: None)
    gate.set()
    other = pcsctransport._Worker("test")
    assert other.call(1, lambda x: x + 1, 1) == 2
    with pytest.raises(ZeroDivisionError):
        other.call(1, lambda: 1 / 0)
    other.stop()


def test_a_reset_by_another_program_before_the_transaction_is_taken_in_stride(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another program's PIN command ended with a reset while this one waited to
    begin: reconnect (leaving the card) and begin again; nothing was sent before."""
    fake = FakePcsc()
    fake.install(monkeypatch)
    answers = iter([sc.SCARD_W_RESET_CARD, OK])

    def begin(card: Any) -> Any:
        fake._enter("SCardBeginTransaction")
        return next(answers)

    monkeypatch.setattr(sc, "SCardBeginTransaction", begin)
    with PcscTransport(READER, timeout=5) as transport, transport.transaction():
        assert transport.transmit(b"\x00\xa4\x04\x0c") == b"\x90\x00"
    assert fake.reconnects == [sc.SCARD_LEAVE_CARD]
    assert fake.calls.count("SCardBeginTransaction") == 2
    # A reset seen again right after is an error, not a loop.
    answers = iter([sc.SCARD_W_RESET_CARD, sc.SCARD_W_RESET_CARD])
    with (
        PcscTransport(READER, timeout=5) as transport,
        pytest.raises(CardRemovedError),
        transport.transaction(),
    ):
        pass


def test_a_reset_by_another_program_right_after_connecting_is_taken_in_stride(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pcscd let the connect through when another program's transaction ended with a
    reset, and the first status call reports that reset (seen in the concurrency
    tests): reconnect (leaving the card) and read the status again."""
    fake = FakePcsc()
    fake.install(monkeypatch)
    answers = iter([sc.SCARD_W_RESET_CARD, OK])

    def status(card: Any) -> Any:
        fake._enter("SCardStatus")
        return next(answers), READER, pcsc.SCARD_PRESENT | 0x20, 2, [0x3B, 0x00]

    monkeypatch.setattr(sc, "SCardStatus", status)
    with PcscTransport(READER, timeout=5) as transport:
        assert transport.atr == bytes([0x3B, 0x00])
    assert fake.reconnects == [sc.SCARD_LEAVE_CARD]
    assert fake.calls.count("SCardStatus") == 2
    # Twice in a row is an error, not a loop; a reset later (after exchanges) is
    # never taken in stride by the status call.
    answers = iter([sc.SCARD_W_RESET_CARD, sc.SCARD_W_RESET_CARD])
    with pytest.raises(CardRemovedError):
        PcscTransport(READER, timeout=5)


@pytest.mark.parametrize("timeout", [0, -1, 3601, float("inf"), float("nan")])
def test_a_connection_refuses_a_timeout_out_of_range(
    monkeypatch: pytest.MonkeyPatch, timeout: float
) -> None:
    fake = FakePcsc()
    fake.install(monkeypatch)
    with pytest.raises(ValueError, match="timeout"):
        PcscTransport(READER, timeout=timeout)
    assert fake.calls == []  # refused before any PC/SC call
