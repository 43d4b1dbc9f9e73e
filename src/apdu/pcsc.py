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
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import (
    AccessDeniedError,
    AmbiguousReaderError,
    CardRemovedError,
    CardUnresponsiveError,
    NoCardError,
    NoReaderError,
    PcscLibraryError,
    ReaderBusyError,
    ServiceStoppedError,
    ServiceUnavailableError,
    TransportError,
)
from .transport import BaseTransport, check_timeout, valid_timeout

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
    "PCSCD_SOCKET": "pcsc-lite's socket path (PCSCLITE_CSOCK_NAME's default); not in pyscard",
}

_ERRORS: dict[int, tuple[type[TransportError], str]] = {
    _code(sc.SCARD_E_NO_SERVICE): (
        ServiceUnavailableError,
        "the PC/SC service (pcscd) is not running",
    ),
    _code(sc.SCARD_E_SERVICE_STOPPED): (
        ServiceStoppedError,
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
    _code(sc.SCARD_W_SECURITY_VIOLATION): (
        AccessDeniedError,
        "the PC/SC service refused this user (polkit)",
    ),
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
    return cls(f"{what}{where}: {text} [0x{code:08X}]", code=code, reader=reader)


def _service_error(rv: int, what: str) -> TransportError:
    """``error_for`` for calls on a context alone (no card involved).

    There ``SCARD_F_COMM_ERROR`` means the socket to pcscd broke (the service
    stopped while a ``SCardGetStatusChange`` was waiting), not a card problem.
    """
    if _is(rv, sc.SCARD_F_COMM_ERROR):
        return ServiceStoppedError(
            f"{what}: the PC/SC service (pcscd) went away [0x{_code(rv):08X}]", code=_code(rv)
        )
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
        raise _establish_error(rv)
    try:
        yield ctx
    finally:
        sc.SCardReleaseContext(ctx)


def _establish_error(rv: int) -> TransportError:
    """The error of a failed ``SCardEstablishContext``: pcsc-lite 1.9.9 refuses a user
    polkit does not allow by closing the connection (no service, or a broken one),
    while its socket still accepts connections: that is a refusal, not a missing
    service."""
    if _is(rv, sc.SCARD_E_NO_SERVICE, sc.SCARD_F_COMM_ERROR):  # no card is involved yet
        listening = service_listening()
        rv = sc.SCARD_W_SECURITY_VIOLATION if listening else sc.SCARD_E_NO_SERVICE
    return error_for(rv, "connecting to the PC/SC service")


#: pcsc-lite's socket, unless ``PCSCLITE_CSOCK_NAME`` names another.
PCSCD_SOCKET = "/run/pcscd/pcscd.comm"


def service_listening() -> bool:
    """Whether pcsc-lite's socket accepts a connection (Linux and the like only)."""
    path = os.environ.get("PCSCLITE_CSOCK_NAME", PCSCD_SOCKET)
    family = getattr(socket, "AF_UNIX", None)
    if family is None:
        return False
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


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
        raise NoReaderError(
            f"no reader with index {index} (readers: {', '.join(readers)})",
            spec=spec,
            readers=tuple(readers),
        )
    exact = [r for r in readers if r.lower() == text.lower()]
    if exact:
        return exact[0]
    matches = [r for r in readers if text.lower() in r.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AmbiguousReaderError(spec, matches)
    raise NoReaderError(
        f"no reader matches {spec!r} (readers: {', '.join(readers)})",
        spec=spec,
        readers=tuple(readers),
    )


#: Longest single blocking ``SCardGetStatusChange`` in :func:`wait_for_card`. The
#: reader list is read again after each one: the fallback where the PnP notification
#: is missing or a reader came between the listing and the wait, and the bound on
#: how long Ctrl-C waits (Python handles the signal once the C call returns).
_RELIST_EVERY = 1.0


def wait_for_card(
    reader: str | None,
    timeout: float,
    on_wait: Callable[[], None] | None = None,
) -> str:
    """Block until a card is present (in ``reader``, or any reader); return the reader.

    One PC/SC context for the whole wait: pcscd wakes the blocking
    ``SCardGetStatusChange`` when a card is inserted or a reader comes or goes
    (:data:`PNP_NOTIFICATION`). ``on_wait`` is called once, when the first look
    finds no card. After ``timeout`` seconds: :class:`NoCardError`.
    """
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


#: Seconds one call on a card connection (an exchange, a transaction, a reset) may
#: take before it is given up. pcsc-lite's client waits for pcscd without a limit,
#: and so does vpcd for its card (seen with pcsc-lite 1.9.9, vsmartcard-vpcd 3.3: a
#: card that answers after 100 s makes SCardTransmit return after 100 s); a reader
#: driver's own limit (CCID: the card's waiting time) may come first. The commands
#: of this tool take well under a second on a card.
DEFAULT_TIMEOUT = 20.0
#: How long :meth:`PcscTransport.close` waits for a call still under way.
_CLOSE_GRACE = 2.0


def card_timeout() -> float:
    """``JPKITOOL_CARD_TIMEOUT`` when it is a number of seconds from 0.1 to 3600
    (:func:`apdu.transport.valid_timeout`), else :data:`DEFAULT_TIMEOUT` (any other
    value is ignored)."""
    try:
        value = float(os.environ.get("JPKITOOL_CARD_TIMEOUT", ""))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if valid_timeout(value) else DEFAULT_TIMEOUT


class _Overrun(Exception):
    """A PC/SC call did not return in time; it goes on in the worker thread."""


class _Job:
    def __init__(self, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.func = func
        self.args = args
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.func(*self.args)
        except BaseException as exc:  # handed to the caller
            self.error = exc
        finally:
            self.done.set()


class _Worker:
    """One daemon thread making every PC/SC call of a connection, so that the caller
    can stop waiting for one (a deadline, Ctrl-C). A call that overran is left to
    run: being a daemon, the thread never keeps the process alive, and no later
    call is queued behind it (:attr:`abandoned`)."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._last: _Job | None = None
        self.abandoned = False
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            job.run()

    def call(self, timeout: float, func: Callable[..., Any], *args: Any) -> Any:
        """``func(*args)`` on the worker; :class:`_Overrun` after ``timeout`` seconds."""
        last = self._last
        if self.abandoned or (last is not None and not last.done.wait(timeout)):
            self.abandoned = True
            raise _Overrun
        job = self._last = _Job(func, args)
        self._jobs.put(job)
        if not job.done.wait(timeout):  # Ctrl-C raises here and leaves the job running
            self.abandoned = True
            raise _Overrun
        if job.error is not None:
            raise job.error
        return job.result

    def stop(self) -> None:
        self._jobs.put(None)


#: Codes of a failed call on an open connection after which the card or the service
#: is looked at (:meth:`PcscTransport._diagnose`).
_LOOK_AFTER = _AMBIGUOUS | frozenset(
    _code(c) for c in (sc.SCARD_E_NO_SERVICE, sc.SCARD_E_SERVICE_STOPPED, sc.SCARD_E_INVALID_HANDLE)
)
#: ``SCardStatus`` answers meaning this process lost pcscd (stopped, or restarted).
_SERVICE_GONE = frozenset(
    _code(c)
    for c in (
        sc.SCARD_E_NO_SERVICE,
        sc.SCARD_E_SERVICE_STOPPED,
        sc.SCARD_F_COMM_ERROR,
        sc.SCARD_E_INVALID_HANDLE,
    )
)


class PcscTransport(BaseTransport):
    """A connection to the card in one reader.

    Shared by default, so other programs keep working; ``close`` leaves the card
    powered (``SCARD_LEAVE_CARD``) for the same reason, unless :meth:`request_unpower`
    asked for ``SCARD_UNPOWER_CARD`` at the end of the transaction or connection
    (and no :meth:`power_cycle` did it since). A warm reset (``SCARD_RESET_CARD``)
    is never asked for: it leaves a My Number card verified (myna-card, measured).

    Every call is bounded by ``timeout`` seconds (:func:`card_timeout` when None):
    an exchange the card does not answer in time raises :class:`CardUnresponsiveError`,
    a transaction another program holds that long :class:`ReaderBusyError`, and the
    connection is not used again (pcscd resets the card when this process ends).
    """

    def __init__(
        self, reader: str, *, exclusive: bool = False, timeout: float | None = None
    ) -> None:
        check_timeout(timeout)
        self._name = reader
        self._share = sc.SCARD_SHARE_EXCLUSIVE if exclusive else sc.SCARD_SHARE_SHARED
        self._protocols = sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1
        self._card: Any = None
        self._ctx: Any = None
        self.timeout = card_timeout() if timeout is None else timeout
        self._worker = _Worker(f"pcsc {reader}")
        try:
            try:
                rv, self._ctx = self._call(sc.SCardEstablishContext, sc.SCARD_SCOPE_USER)
            except _Overrun:
                raise self._overrun(
                    ServiceUnavailableError, "connecting to the PC/SC service", "pcscd"
                ) from None
            if not _is(rv, sc.SCARD_S_SUCCESS):
                raise _establish_error(rv)
            try:
                rv, card, self._protocol = self._call(
                    sc.SCardConnect, self._ctx, reader, self._share, self._protocols
                )
            except _Overrun:
                raise self._connect_overrun() from None
            _check(rv, "connecting to the card", reader)
            self._card = card
            self._read_atr(at_connect=True)
        except BaseException:
            self.close()
            raise

    # -- calls with a deadline ---------------------------------------------------

    def _call(self, func: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        return self._worker.call(self.timeout if timeout is None else timeout, func, *args)

    def _overrun(
        self, cls: type[TransportError], what: str, party: str = "the card"
    ) -> TransportError:
        return cls(
            f"{what} ({self._name}): {party} did not answer within {self.timeout:g} s",
            code=_code(sc.SCARD_E_TIMEOUT),
            reader=self._name,
            timeout=self.timeout,
        )

    def _connect_overrun(self) -> TransportError:
        """pcscd holds a connection back while another program's transaction lasts; a
        reader nobody uses points at the card instead (no answer to the reset)."""
        with contextlib.suppress(TransportError):
            with _context() as ctx:
                rv, states = sc.SCardGetStatusChange(ctx, 0, [(self._name, sc.SCARD_STATE_UNAWARE)])
            if _is(rv, sc.SCARD_S_SUCCESS) and states and states[0][1] & sc.SCARD_STATE_INUSE:
                return self._overrun(
                    ReaderBusyError, "connecting to the card", "another program's transaction"
                )
        return self._overrun(CardUnresponsiveError, "connecting to the card")

    def _session_check(self, rv: int, what: str) -> None:
        """``_check`` for calls on the open connection: pcscd gone now means it stopped."""
        if _is(rv, sc.SCARD_E_NO_SERVICE):
            rv = sc.SCARD_E_SERVICE_STOPPED
        _check(rv, what, self._name)

    def _status(self) -> tuple[int, bytes]:
        try:
            rv, _reader, _state, _protocol, atr = self._call(sc.SCardStatus, self._card)
        except _Overrun:
            raise self._overrun(CardUnresponsiveError, "reading the card status") from None
        return int(rv), bytes(atr)

    def _read_atr(self, *, at_connect: bool = False) -> None:
        rv, atr = self._status()
        if at_connect and _is(rv, sc.SCARD_W_RESET_CARD):
            # Another program's reset landed between our connect and this call
            # (seen with pcscd when the connect waited for that program's
            # transaction): nothing was sent yet, so take note and carry on.
            self._take_reset()
            rv, atr = self._status()
        _check(rv, "reading the card status", self._name)
        self._atr = atr

    def _take_reset(self) -> None:
        """Acknowledge another program's reset (SCardReconnect, leaving the card)."""
        self._reconnect(sc.SCARD_LEAVE_CARD, "reconnecting after another program's reset")

    def _reconnect(self, disposition: int, what: str) -> None:
        try:
            rv, self._protocol = self._call(
                sc.SCardReconnect, self._card, self._share, self._protocols, disposition
            )
        except _Overrun:
            raise self._overrun(CardUnresponsiveError, what) from None
        self._session_check(rv, what)

    def transmit(self, apdu: bytes, *, secret: bool = False) -> bytes:
        if self._card is None:
            raise TransportError(f"the connection to {self._name} is closed")
        try:
            rv, response = self._call(sc.SCardTransmit, self._card, self._protocol, list(apdu))
        except _Overrun:
            raise self._overrun(CardUnresponsiveError, "exchanging with the card") from None
        if _code(rv) in _LOOK_AFTER:
            rv = self._diagnose(rv)
        self._session_check(rv, "exchanging with the card")
        if len(response) < 2:
            # Seen with vpcd when the card leaves mid-exchange: success, no status word.
            lost = self._diagnose(sc.SCARD_W_UNRESPONSIVE_CARD)
            raise error_for(lost, "exchanging with the card", self._name)
        return bytes(response)

    def _diagnose(self, rv: int, wait: float = 2.0) -> int:
        """After a failed exchange: ``SCARD_W_REMOVED_CARD`` if the card left (pcscd
        polls presence), ``SCARD_E_SERVICE_STOPPED`` if pcscd went away, else ``rv``."""
        deadline = time.monotonic() + wait
        while True:
            try:
                status, _reader, state, _protocol, _atr = self._call(
                    sc.SCardStatus, self._card, timeout=min(self.timeout, wait)
                )
            except _Overrun:
                return rv
            if _is(status, sc.SCARD_W_REMOVED_CARD, sc.SCARD_E_NO_SMARTCARD):
                return int(sc.SCARD_W_REMOVED_CARD)
            if _is(status, sc.SCARD_S_SUCCESS) and not state & SCARD_PRESENT:
                return int(sc.SCARD_W_REMOVED_CARD)
            if _code(status) in _SERVICE_GONE:
                return int(sc.SCARD_E_SERVICE_STOPPED)
            if time.monotonic() >= deadline:
                return rv
            time.sleep(0.05)

    def power_cycle(self) -> None:
        """``SCardReconnect`` with ``SCARD_UNPOWER_CARD``: pcsc-lite powers the card down
        and up again (``winscard.c``), keeps this handle's transaction, and tells every
        other handle ``SCARD_W_RESET_CARD``."""
        self._reconnect(sc.SCARD_UNPOWER_CARD, "removing the card's power")
        self.unpower_pending = False
        self._read_atr()

    def warm_reset(self) -> None:
        """``SCardReconnect`` with ``SCARD_RESET_CARD``: a warm reset, the card kept
        powered (``doctor --report-with-pin`` only; a pending :meth:`request_unpower`
        stays pending)."""
        self._reconnect(sc.SCARD_RESET_CARD, "resetting the card")
        self._read_atr()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        rv = self._begin()
        if _is(rv, sc.SCARD_W_RESET_CARD):
            # Another program reset the card (its PIN command ended) while this one
            # waited to begin: nothing of this transaction was sent yet. Take note of
            # the reset (SCardReconnect, leaving the card) and begin again; whatever
            # the session knew of the card's state is forgotten at every transaction.
            self._take_reset()
            rv = self._begin()
        self._session_check(rv, "starting a transaction")
        try:
            yield
        finally:
            if self._card is not None and not self._worker.abandoned:
                disposition = self._disposition()
                try:
                    rv = self._call(
                        sc.SCardEndTransaction, self._card, disposition, timeout=_CLOSE_GRACE
                    )
                except _Overrun:
                    rv = sc.SCARD_E_TIMEOUT
                if disposition == sc.SCARD_UNPOWER_CARD and not _is(rv, sc.SCARD_S_SUCCESS):
                    self.unpower_pending = True  # not done: close() unpowers

    def _disposition(self) -> int:
        """``SCARD_UNPOWER_CARD`` once after :meth:`request_unpower`, else
        ``SCARD_LEAVE_CARD``."""
        if self.unpower_pending:
            self.unpower_pending = False
            return int(sc.SCARD_UNPOWER_CARD)
        return int(sc.SCARD_LEAVE_CARD)

    def _begin(self) -> int:
        try:
            return int(self._call(sc.SCardBeginTransaction, self._card))
        except _Overrun:
            raise self._overrun(
                ReaderBusyError, "starting a transaction", "another program's transaction"
            ) from None

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Exclusive access (SCardBeginTransaction) around several exchanges."""
        return self._transaction()

    def close(self) -> None:
        """Disconnect and release the context; a call that overran is not waited for
        (the connection goes when the process ends, and pcscd resets the card)."""
        try:
            if self._card is not None:
                self._disconnect()
            if self._ctx is not None:
                self._call(sc.SCardReleaseContext, self._ctx, timeout=_CLOSE_GRACE)
        except _Overrun:
            pass
        finally:
            self._card = self._ctx = None
            if not self._worker.abandoned:
                self._worker.stop()

    def _disconnect(self) -> None:
        card, disposition = self._card, self._disposition()
        self._card = None
        self._call(sc.SCardDisconnect, card, disposition, timeout=_CLOSE_GRACE)
