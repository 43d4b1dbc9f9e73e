"""PC/SC through pyscard: the only module that imports ``smartcard``.

Every PC/SC failure is mapped to a typed error of :mod:`apdu.errors` carrying the
PC/SC return code (``code``); no pyscard exception escapes.

Return codes and state flags are pyscard's own (``smartcard.scard``); this module
defines only what pyscard lacks (:data:`LOCAL_CONSTANTS`). Codes are compared as
unsigned 32-bit values (:func:`_code`): pyscard gives them as the platform's
``LONG``, which is negative on Windows (32-bit) and positive with pcsc-lite.
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


def _code(rv: int) -> int:
    """A PC/SC return code (pyscard's, or one of its ``SCARD_*`` constants) as unsigned."""
    return int(rv) & 0xFFFFFFFF


# -- What pyscard lacks (smartcard.scard 2.x), defined here ----------------------------
#: ``SCardStatus`` state bit "card present" (pcsc-lite ``SCARD_PRESENT``). pyscard
#: exports the ``SCARD_STATE_*`` flags of ``SCardGetStatusChange`` but not the
#: ``SCARD_ABSENT``/``SCARD_PRESENT``/... bits that ``SCardStatus`` returns.
SCARD_PRESENT = 0x0004
#: The special reader name that makes ``SCardGetStatusChange`` return when a reader
#: is added or removed (pcsc-lite and Windows). pyscard passes it through but has
#: no constant for it (its own ``PCSCCardRequest`` spells it out too).
PNP_NOTIFICATION = "\\\\?PnP?\\Notification"

#: Everything this module defines although it is PC/SC vocabulary, with the reason.
LOCAL_CONSTANTS: dict[str, str] = {
    "SCARD_PRESENT": "SCardStatus state bit; pyscard has only the SCARD_STATE_* flags",
    "PNP_NOTIFICATION": "pcsc-lite/Windows special reader name; no pyscard constant",
}

_ERRORS: dict[int, tuple[type[TransportError], str]] = {
    _code(sc.SCARD_E_NO_SERVICE): (
        ServiceUnavailableError,
        "the PC/SC service (pcscd) is not running",
    ),
    _code(sc.SCARD_E_SERVICE_STOPPED): (
        ServiceUnavailableError,
        "the PC/SC service (pcscd) stopped",
    ),
    _code(sc.SCARD_E_INVALID_HANDLE): (
        ServiceUnavailableError,
        "the PC/SC service lost the connection",
    ),
    _code(sc.SCARD_E_NO_READERS_AVAILABLE): (NoReaderError, "no reader available"),
    _code(sc.SCARD_E_UNKNOWN_READER): (NoReaderError, "unknown reader"),
    _code(sc.SCARD_E_READER_UNAVAILABLE): (NoReaderError, "reader unavailable"),
    _code(sc.SCARD_E_NO_SMARTCARD): (NoCardError, "no card in the reader"),
    _code(sc.SCARD_W_REMOVED_CARD): (CardRemovedError, "the card was removed"),
    _code(sc.SCARD_W_RESET_CARD): (CardRemovedError, "the card was reset by another program"),
    _code(sc.SCARD_E_SHARING_VIOLATION): (
        ReaderBusyError,
        "the reader is in use by another program",
    ),
    _code(sc.SCARD_W_UNRESPONSIVE_CARD): (CardUnresponsiveError, "the card does not respond"),
    _code(sc.SCARD_W_UNPOWERED_CARD): (CardUnresponsiveError, "the card is not powered"),
    _code(sc.SCARD_E_PROTO_MISMATCH): (CardUnresponsiveError, "no common protocol with the card"),
    _code(sc.SCARD_F_COMM_ERROR): (CardUnresponsiveError, "communication error with the card"),
    _code(sc.SCARD_E_NOT_TRANSACTED): (CardUnresponsiveError, "the exchange with the card failed"),
    _code(sc.SCARD_E_TIMEOUT): (CardUnresponsiveError, "the card timed out"),
}


def _is(rv: int, *codes: int) -> bool:
    """Whether ``rv`` is one of ``codes`` (``sc.SCARD_*`` constants), sign-agnostic."""
    return _code(rv) in {_code(c) for c in codes}


def _message(rv: int) -> str:
    """pyscard's text for a code this module does not map (``SCardGetErrorMessage``)."""
    code = _code(rv)
    # pyscard takes the code as the platform's LONG: unsigned fits pcsc-lite's 64-bit
    # long; a 32-bit LONG (Windows) needs the signed form.
    for value in (code, code - (1 << 32) if code & 0x80000000 else code):
        try:
            text = str(sc.SCardGetErrorMessage(value)).strip()
        except (OverflowError, TypeError, ValueError):
            continue
        if text:
            return text.rstrip(".")
    return f"PC/SC error 0x{code:08X}"


def error_for(rv: int, what: str, reader: str | None = None) -> TransportError:
    """The typed error for PC/SC return code ``rv`` raised while doing ``what``."""
    code = _code(rv)
    cls, text = _ERRORS.get(code) or (TransportError, _message(rv))
    where = f" ({reader})" if reader else ""
    err = cls(f"{what}{where}: {text} [0x{code:08X}]")
    err.code = code  # type: ignore[attr-defined]
    err.reader = reader  # type: ignore[attr-defined]
    return err


def _service_error(rv: int, what: str) -> TransportError:
    """``error_for`` for calls on a context alone (no card involved).

    There ``SCARD_F_COMM_ERROR`` means the socket to pcscd broke (the service
    stopped while a ``SCardGetStatusChange`` was waiting), not a card problem.
    """
    if _is(rv, sc.SCARD_F_COMM_ERROR):
        err = ServiceUnavailableError(
            f"{what}: the PC/SC service (pcscd) went away [0x{_code(rv):08X}]"
        )
        err.code = _code(rv)  # type: ignore[attr-defined]
        err.reader = None  # type: ignore[attr-defined]
        return err
    return error_for(rv, what)


def _check(rv: int, what: str, reader: str | None = None) -> None:
    if not _is(rv, sc.SCARD_S_SUCCESS):
        raise error_for(rv, what, reader)


#: Failures of an exchange that may mean the card was pulled out mid-exchange.
_AMBIGUOUS = frozenset(
    _code(c)
    for c in (sc.SCARD_E_NOT_TRANSACTED, sc.SCARD_F_COMM_ERROR, sc.SCARD_W_UNRESPONSIVE_CARD)
)


@contextlib.contextmanager
def _context() -> Iterator[Any]:
    try:
        rv, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    except Exception as exc:  # pyscard raises on some platforms
        raise ServiceUnavailableError(f"cannot reach the PC/SC service: {exc}") from None
    if not _is(rv, sc.SCARD_S_SUCCESS):
        raise error_for(rv, "connecting to the PC/SC service")
    try:
        yield ctx
    finally:
        sc.SCardReleaseContext(ctx)


def _list(ctx: Any) -> list[str]:
    rv, names = sc.SCardListReaders(ctx, [])
    if _is(rv, sc.SCARD_E_NO_READERS_AVAILABLE):
        return []
    if not _is(rv, sc.SCARD_S_SUCCESS):
        raise _service_error(rv, "listing readers")
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


def _present(event: int) -> bool:
    """Whether an ``SCardGetStatusChange`` event state shows a usable (not mute) card."""
    return bool(event & sc.SCARD_STATE_PRESENT) and not event & sc.SCARD_STATE_MUTE


def _states(ctx: Any, names: list[str]) -> list[ReaderState]:
    if not names:
        return []
    rv, states = sc.SCardGetStatusChange(ctx, 0, [(name, sc.SCARD_STATE_UNAWARE) for name in names])
    if _is(rv, sc.SCARD_E_TIMEOUT):
        states = [(name, 0, []) for name in names]
    elif not _is(rv, sc.SCARD_S_SUCCESS):
        raise _service_error(rv, "reading reader states")
    out = []
    for index, (name, event, atr) in enumerate(states):
        present = _present(event)
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


#: Longest single blocking ``SCardGetStatusChange`` in :func:`wait_for_card`. The
#: reader list is read again after each one: the fallback where the PnP notification
#: is missing or a reader came between the listing and the wait, and the bound on
#: how long Ctrl-C waits (Python handles the signal once the C call returns).
_RELIST_EVERY = 1.0


def wait_for_card(
    reader: str | None,
    timeout: float,
    on_wait: Callable[[], None] | None = None,
    poll: float = 0.2,
) -> str:
    """Block until a card is present (in ``reader``, or any reader); return the reader.

    One PC/SC context for the whole wait: pcscd wakes the blocking
    ``SCardGetStatusChange`` when a card is inserted or a reader comes or goes
    (:data:`PNP_NOTIFICATION`). ``on_wait`` is called once, when the first look
    finds no card. After ``timeout`` seconds: :class:`NoCardError`. ``poll`` is
    accepted for compatibility and unused: nothing polls.
    """
    del poll
    deadline = time.monotonic() + timeout
    looked = False
    use_pnp = True
    pnp_state = sc.SCARD_STATE_UNAWARE
    known: dict[str, int] = {}  # reader -> its last event state, given back as current
    with _context() as ctx:
        while True:
            known = {
                name: known.get(name, sc.SCARD_STATE_UNAWARE)
                for name in _list(ctx)
                if reader is None or name == reader
            }
            query = list(known.items())
            if use_pnp:
                query.append((PNP_NOTIFICATION, pnp_state))
            left = max(0.0, deadline - time.monotonic())
            states: list[tuple[str, int, list[int]]] = []
            if not looked and not known:
                rv = sc.SCARD_E_TIMEOUT  # no reader (yet): no card
            elif not query:
                time.sleep(min(left, _RELIST_EVERY))  # nothing to block on: re-list
                rv = sc.SCARD_E_TIMEOUT
            else:
                # Readers not seen before (UNAWARE) make it return at once.
                ms = int(min(left, _RELIST_EVERY) * 1000)
                rv, states = sc.SCardGetStatusChange(ctx, ms, query)
            if _is(rv, sc.SCARD_S_SUCCESS):
                for name, event, _atr in states:
                    current = event & ~sc.SCARD_STATE_CHANGED
                    if name == PNP_NOTIFICATION:
                        pnp_state = current
                    elif _present(event):
                        return str(name)
                    else:
                        known[name] = current
            elif _is(rv, sc.SCARD_E_UNKNOWN_READER):
                # A reader left between the listing and the call; or, when none did,
                # this PC/SC does not know the PnP name: re-list every second instead.
                if not set(known) - set(_list(ctx)):
                    if not use_pnp:  # not explained: do not spin on it
                        time.sleep(min(left, _RELIST_EVERY))
                    use_pnp = False
                if time.monotonic() >= deadline:
                    raise NoCardError(f"no card inserted within {timeout:g} s")
                continue
            elif not _is(rv, sc.SCARD_E_TIMEOUT):
                raise _service_error(rv, "waiting for a card")
            if time.monotonic() >= deadline:
                raise NoCardError(f"no card inserted within {timeout:g} s")
            if on_wait is not None and not looked:
                on_wait()
            looked = True


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
        if not _is(rv, sc.SCARD_S_SUCCESS):
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
            rv = sc.SCARD_W_REMOVED_CARD
        _check(rv, "exchanging with the card", self._name)
        if len(response) < 2:
            # Seen with vpcd when the card leaves mid-exchange: success, no status word.
            gone = self._card_gone()
            lost = sc.SCARD_W_REMOVED_CARD if gone else sc.SCARD_W_UNRESPONSIVE_CARD
            raise error_for(lost, "exchanging with the card", self._name)
        return bytes(response)

    def _card_gone(self, wait: float = 2.0) -> bool:
        """After a failed exchange: whether the card left (pcscd polls presence)."""
        deadline = time.monotonic() + wait
        while True:
            rv, _reader, state, _protocol, _atr = sc.SCardStatus(self._card)
            if _is(rv, sc.SCARD_W_REMOVED_CARD, sc.SCARD_E_NO_SMARTCARD):
                return True
            if _is(rv, sc.SCARD_S_SUCCESS) and not state & SCARD_PRESENT:
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
                if disposition == sc.SCARD_RESET_CARD and not _is(rv, sc.SCARD_S_SUCCESS):
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
            if disposition == sc.SCARD_RESET_CARD and not _is(rv, sc.SCARD_S_SUCCESS):
                # The reset did not happen: power the card off instead, so that it is
                # never left verified for the next program.
                sc.SCardDisconnect(self._card, sc.SCARD_UNPOWER_CARD)
            self._card = None
        if getattr(self, "_ctx", None) is not None:
            sc.SCardReleaseContext(self._ctx)
            self._ctx = None
