"""PC/SC through pyscard: the only module that imports ``smartcard``.

Every PC/SC failure is mapped to a typed error of :mod:`apdu.errors` carrying the
PC/SC return code (``code``); no pyscard exception escapes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import (
    AmbiguousReaderError,
    CardRemovedError,
    CardUnresponsiveError,
    NoCardError,
    NoReaderError,
    PcscLibraryError,
    ReaderBusyError,
    ServiceUnavailableError,
    TransportError,
)
from .transport import BaseTransport

try:
    from smartcard import scard as sc
except ImportError as exc:  # pyscard not installed, or libpcsclite.so.1 missing
    raise PcscLibraryError(str(exc)) from None

# PC/SC return codes (pcsc-lite pcsclite.h / winscard), as unsigned 32-bit values.
S_SUCCESS = 0x00000000
E_INVALID_HANDLE = 0x80100003
E_UNKNOWN_READER = 0x80100009
E_TIMEOUT = 0x8010000A
E_SHARING_VIOLATION = 0x8010000B
E_NO_SMARTCARD = 0x8010000C
E_PROTO_MISMATCH = 0x8010000F
F_COMM_ERROR = 0x80100013
E_NOT_TRANSACTED = 0x80100016
E_READER_UNAVAILABLE = 0x80100017
E_NO_SERVICE = 0x8010001D
E_SERVICE_STOPPED = 0x8010001E
E_NO_READERS_AVAILABLE = 0x8010002E
W_UNRESPONSIVE_CARD = 0x80100066
W_UNPOWERED_CARD = 0x80100067
W_RESET_CARD = 0x80100068
W_REMOVED_CARD = 0x80100069

_ERRORS: dict[int, tuple[type[TransportError], str]] = {
    E_NO_SERVICE: (ServiceUnavailableError, "the PC/SC service (pcscd) is not running"),
    E_SERVICE_STOPPED: (ServiceUnavailableError, "the PC/SC service (pcscd) stopped"),
    E_INVALID_HANDLE: (ServiceUnavailableError, "the PC/SC service lost the connection"),
    E_NO_READERS_AVAILABLE: (NoReaderError, "no reader available"),
    E_UNKNOWN_READER: (NoReaderError, "unknown reader"),
    E_READER_UNAVAILABLE: (NoReaderError, "reader unavailable"),
    E_NO_SMARTCARD: (NoCardError, "no card in the reader"),
    W_REMOVED_CARD: (CardRemovedError, "the card was removed"),
    W_RESET_CARD: (CardRemovedError, "the card was reset by another program"),
    E_SHARING_VIOLATION: (ReaderBusyError, "the reader is in use by another program"),
    W_UNRESPONSIVE_CARD: (CardUnresponsiveError, "the card does not respond"),
    W_UNPOWERED_CARD: (CardUnresponsiveError, "the card is not powered"),
    E_PROTO_MISMATCH: (CardUnresponsiveError, "no common protocol with the card"),
    F_COMM_ERROR: (CardUnresponsiveError, "communication error with the card"),
    E_NOT_TRANSACTED: (CardUnresponsiveError, "the exchange with the card failed"),
    E_TIMEOUT: (CardUnresponsiveError, "the card timed out"),
}


def _code(rv: int) -> int:
    return int(rv) & 0xFFFFFFFF


def error_for(rv: int, what: str, reader: str | None = None) -> TransportError:
    """The typed error for PC/SC return code ``rv`` raised while doing ``what``."""
    code = _code(rv)
    cls, text = _ERRORS.get(code, (TransportError, f"PC/SC error 0x{code:08X}"))
    where = f" ({reader})" if reader else ""
    err = cls(f"{what}{where}: {text} [0x{code:08X}]")
    err.code = code  # type: ignore[attr-defined]
    err.reader = reader  # type: ignore[attr-defined]
    return err


def _check(rv: int, what: str, reader: str | None = None) -> None:
    if _code(rv) != S_SUCCESS:
        raise error_for(rv, what, reader)


#: SCardStatus state bit "card present" (pcsc-lite SCARD_PRESENT; pyscard omits it).
_STATUS_PRESENT = 0x0004

#: Failures of an exchange that may mean the card was pulled out mid-exchange.
_AMBIGUOUS = frozenset({E_NOT_TRANSACTED, F_COMM_ERROR, W_UNRESPONSIVE_CARD})


@contextlib.contextmanager
def _context() -> Iterator[Any]:
    try:
        rv, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    except Exception as exc:  # pyscard raises on some platforms
        raise ServiceUnavailableError(f"cannot reach the PC/SC service: {exc}") from None
    if _code(rv) != S_SUCCESS:
        raise error_for(rv, "connecting to the PC/SC service")
    try:
        yield ctx
    finally:
        sc.SCardReleaseContext(ctx)


def _list(ctx: Any) -> list[str]:
    rv, names = sc.SCardListReaders(ctx, [])
    if _code(rv) == E_NO_READERS_AVAILABLE:
        return []
    _check(rv, "listing readers")
    return list(names)


def list_readers() -> list[str]:
    """Names of the connected readers (empty when none)."""
    with _context() as ctx:
        return _list(ctx)


@dataclass(frozen=True)
class ReaderState:
    index: int
    name: str
    card_present: bool
    atr: bytes


def _states(ctx: Any, names: list[str]) -> list[ReaderState]:
    if not names:
        return []
    rv, states = sc.SCardGetStatusChange(ctx, 0, [(name, sc.SCARD_STATE_UNAWARE) for name in names])
    if _code(rv) == E_TIMEOUT:
        states = [(name, 0, []) for name in names]
    else:
        _check(rv, "reading reader states")
    out = []
    for index, (name, event, atr) in enumerate(states):
        present = bool(event & sc.SCARD_STATE_PRESENT) and not event & sc.SCARD_STATE_MUTE
        out.append(ReaderState(index, name, present, bytes(atr) if present else b""))
    return out


def reader_states() -> list[ReaderState]:
    """Every reader with card presence and ATR, without connecting to any card."""
    with _context() as ctx:
        return _states(ctx, _list(ctx))


def select_reader(spec: str | None, readers: list[str]) -> str:
    """The reader named by ``spec``: an index, or a case-insensitive part of the name."""
    if not readers:
        raise NoReaderError("no smart-card reader found")
    if spec is None:
        return readers[0]
    text = spec.strip()
    if text.isdigit():
        index = int(text)
        if index < len(readers):
            return readers[index]
        raise NoReaderError(f"no reader with index {index} (readers: {', '.join(readers)})")
    exact = [r for r in readers if r.lower() == text.lower()]
    if exact:
        return exact[0]
    matches = [r for r in readers if text.lower() in r.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AmbiguousReaderError(spec, matches)
    raise NoReaderError(f"no reader matches {spec!r} (readers: {', '.join(readers)})")


def wait_for_card(
    reader: str | None,
    timeout: float,
    on_wait: Callable[[], None] | None = None,
    poll: float = 0.2,
) -> str:
    """Block until a card is present (in ``reader``, or any reader); return the reader."""
    deadline = time.monotonic() + timeout
    told = False
    while True:
        with _context() as ctx:
            for state in _states(ctx, _list(ctx)):
                if state.card_present and (reader is None or state.name == reader):
                    return state.name
        if time.monotonic() >= deadline:
            raise NoCardError(f"no card inserted within {timeout:g} s")
        if on_wait is not None and not told:
            on_wait()
            told = True
        time.sleep(poll)


class PcscTransport(BaseTransport):
    """A connection to the card in one reader.

    Shared by default, so other programs keep working; ``close`` leaves the card
    powered (``SCARD_LEAVE_CARD``) for the same reason, unless :meth:`request_reset`
    asked for ``SCARD_RESET_CARD`` at the end of the transaction or connection.
    """

    def __init__(self, reader: str, *, exclusive: bool = False) -> None:
        self._name = reader
        self._share = sc.SCARD_SHARE_EXCLUSIVE if exclusive else sc.SCARD_SHARE_SHARED
        self._protocols = sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1
        self._card: Any = None
        rv, self._ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
        if _code(rv) != S_SUCCESS:
            raise error_for(rv, "connecting to the PC/SC service")
        try:
            rv, card, self._protocol = sc.SCardConnect(
                self._ctx, reader, self._share, self._protocols
            )
            _check(rv, "connecting to the card", reader)
            self._card = card
            self._read_atr()
        except BaseException:
            self.close()
            raise

    def _read_atr(self) -> None:
        rv, _reader, _state, _protocol, atr = sc.SCardStatus(self._card)
        _check(rv, "reading the card status", self._name)
        self._atr = bytes(atr)

    def transmit(self, apdu: bytes, *, secret: bool = False) -> bytes:
        if self._card is None:
            raise TransportError(f"the connection to {self._name} is closed")
        rv, response = sc.SCardTransmit(self._card, self._protocol, list(apdu))
        if _code(rv) in _AMBIGUOUS and self._card_gone():
            rv = W_REMOVED_CARD
        _check(rv, "exchanging with the card", self._name)
        if len(response) < 2:
            # Seen with vpcd when the card leaves mid-exchange: success, no status word.
            lost = W_REMOVED_CARD if self._card_gone() else W_UNRESPONSIVE_CARD
            raise error_for(lost, "exchanging with the card", self._name)
        return bytes(response)

    def _card_gone(self, wait: float = 2.0) -> bool:
        """After a failed exchange: whether the card left (pcscd polls presence)."""
        deadline = time.monotonic() + wait
        while True:
            rv, _reader, state, _protocol, _atr = sc.SCardStatus(self._card)
            if _code(rv) in (W_REMOVED_CARD, E_NO_SMARTCARD):
                return True
            if _code(rv) == S_SUCCESS and not state & _STATUS_PRESENT:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def reconnect(self) -> None:
        rv, self._protocol = sc.SCardReconnect(
            self._card, self._share, self._protocols, sc.SCARD_RESET_CARD
        )
        _check(rv, "resetting the card", self._name)
        self._read_atr()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        rv = sc.SCardBeginTransaction(self._card)
        _check(rv, "starting a transaction", self._name)
        try:
            yield
        finally:
            if self._card is not None:
                disposition = self._disposition()
                rv = sc.SCardEndTransaction(self._card, disposition)
                if disposition == sc.SCARD_RESET_CARD and _code(rv) != S_SUCCESS:
                    self.reset_pending = True  # not done: close() resets (or unpowers)

    def _disposition(self) -> int:
        """``SCARD_RESET_CARD`` once after :meth:`request_reset`, else ``SCARD_LEAVE_CARD``."""
        if self.reset_pending:
            self.reset_pending = False
            return int(sc.SCARD_RESET_CARD)
        return int(sc.SCARD_LEAVE_CARD)

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Exclusive access (SCardBeginTransaction) around several exchanges."""
        return self._transaction()

    def close(self) -> None:
        if self._card is not None:
            disposition = self._disposition()
            rv = sc.SCardDisconnect(self._card, disposition)
            if disposition == sc.SCARD_RESET_CARD and _code(rv) != S_SUCCESS:
                # The reset did not happen: power the card off instead, so that it is
                # never left verified for the next program.
                sc.SCardDisconnect(self._card, sc.SCARD_UNPOWER_CARD)
            self._card = None
        if getattr(self, "_ctx", None) is not None:
            sc.SCardReleaseContext(self._ctx)
            self._ctx = None
