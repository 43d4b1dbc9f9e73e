"""A connection to the card in one reader, through pyscard (:mod:`apdu.pcsc` maps
its return codes and finds the readers).

Every call on the connection runs in a worker thread with a deadline, so that a card
or a pcscd that stops answering ends in a typed error, not a hang.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .errors import (
    CardUnresponsiveError,
    ReaderBusyError,
    ServiceUnavailableError,
    TransportError,
)
from .pcsc import (
    SCARD_PRESENT,
    check,
    context,
    error_for,
    establish_error,
    is_code,
    unsigned,
)
from .transport import DEFAULT_TIMEOUT, BaseTransport, check_timeout

# isort: split
# After apdu.pcsc, which raises PcscLibraryError when pyscard cannot be loaded.
from smartcard import scard as sc

#: How long :meth:`PcscTransport.close` waits for a call still under way.
_CLOSE_GRACE = 2.0


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


#: ``SCardStatus`` answers meaning this process lost pcscd (stopped, or restarted).
_SERVICE_GONE = frozenset(
    unsigned(c)
    for c in (
        sc.SCARD_E_NO_SERVICE,
        sc.SCARD_E_SERVICE_STOPPED,
        sc.SCARD_F_COMM_ERROR,
        sc.SCARD_E_INVALID_HANDLE,
    )
)
#: Codes of a failed call on an open connection after which the card or the service
#: is looked at (:meth:`PcscTransport._diagnose`): those, and the failures of an
#: exchange that may mean the card was pulled out mid-exchange.
_LOOK_AFTER = _SERVICE_GONE | {
    unsigned(c)
    for c in (sc.SCARD_E_NOT_TRANSACTED, sc.SCARD_F_COMM_ERROR, sc.SCARD_W_UNRESPONSIVE_CARD)
}


class PcscTransport(BaseTransport):
    """A connection to the card in one reader.

    Shared by default, so other programs keep working; transactions end, and ``close``
    leaves, the card as it is (``SCARD_LEAVE_CARD``) for the same reason, unless
    ``close(unpower=True)`` (``SCARD_UNPOWER_CARD``).

    Every call is bounded by ``timeout`` seconds (:data:`DEFAULT_TIMEOUT` when None):
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
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self._worker = _Worker(f"pcsc {reader}")
        try:
            try:
                rv, self._ctx = self._call(sc.SCardEstablishContext, sc.SCARD_SCOPE_USER)
            except _Overrun:
                raise self._overrun(
                    ServiceUnavailableError, "connecting to the PC/SC service", "pcscd"
                ) from None
            if not is_code(rv, sc.SCARD_S_SUCCESS):
                raise establish_error(rv)
            try:
                rv, card, self._protocol = self._call(
                    sc.SCardConnect, self._ctx, reader, self._share, self._protocols
                )
            except _Overrun:
                raise self._connect_overrun() from None
            check(rv, "connecting to the card", reader)
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
            code=unsigned(sc.SCARD_E_TIMEOUT),
            reader=self._name,
            timeout=self.timeout,
        )

    def _connect_overrun(self) -> TransportError:
        """pcscd holds a connection back while another program's transaction lasts; a
        reader nobody uses points at the card instead (no answer to the reset)."""
        with contextlib.suppress(TransportError):
            with context() as ctx:
                rv, states = sc.SCardGetStatusChange(ctx, 0, [(self._name, sc.SCARD_STATE_UNAWARE)])
            if is_code(rv, sc.SCARD_S_SUCCESS) and states and states[0][1] & sc.SCARD_STATE_INUSE:
                return self._overrun(
                    ReaderBusyError, "connecting to the card", "another program's transaction"
                )
        return self._overrun(CardUnresponsiveError, "connecting to the card")

    def _session_check(self, rv: int, what: str) -> None:
        """``check`` for calls on the open connection: pcscd gone now means it stopped."""
        if is_code(rv, sc.SCARD_E_NO_SERVICE):
            rv = sc.SCARD_E_SERVICE_STOPPED
        check(rv, what, self._name)

    def _status(self) -> tuple[int, bytes]:
        try:
            rv, _reader, _state, _protocol, atr = self._call(sc.SCardStatus, self._card)
        except _Overrun:
            raise self._overrun(CardUnresponsiveError, "reading the card status") from None
        return int(rv), bytes(atr)

    def _read_atr(self, *, at_connect: bool = False) -> None:
        rv, atr = self._status()
        if at_connect and is_code(rv, sc.SCARD_W_RESET_CARD):
            # Another program's reset landed between our connect and this call
            # (seen with pcscd when the connect waited for that program's
            # transaction): nothing was sent yet, so take note and carry on.
            self._reconnect(sc.SCARD_LEAVE_CARD, "reconnecting after another program's reset")
            rv, atr = self._status()
        check(rv, "reading the card status", self._name)
        self._atr = atr

    def _reconnect(self, disposition: int, what: str) -> None:
        try:
            rv, self._protocol = self._call(
                sc.SCardReconnect, self._card, self._share, self._protocols, disposition
            )
        except _Overrun:
            raise self._overrun(CardUnresponsiveError, what) from None
        self._session_check(rv, what)

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        if self._card is None:
            raise TransportError(f"the connection to {self._name} is closed")
        try:
            rv, response = self._call(sc.SCardTransmit, self._card, self._protocol, list(apdu))
        except _Overrun:
            raise self._overrun(CardUnresponsiveError, "exchanging with the card") from None
        if unsigned(rv) in _LOOK_AFTER:
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
            absent = is_code(status, sc.SCARD_S_SUCCESS) and not state & SCARD_PRESENT
            if absent or is_code(status, sc.SCARD_W_REMOVED_CARD, sc.SCARD_E_NO_SMARTCARD):
                return int(sc.SCARD_W_REMOVED_CARD)
            if unsigned(status) in _SERVICE_GONE:
                return int(sc.SCARD_E_SERVICE_STOPPED)
            if time.monotonic() >= deadline:
                return rv
            time.sleep(0.05)

    def power_cycle(self, *, warm: bool = False) -> None:
        """``SCardReconnect`` with ``SCARD_UNPOWER_CARD`` (``SCARD_RESET_CARD`` when
        ``warm``): pcsc-lite powers the card down and up again (``winscard.c``), keeps
        this handle's transaction, and tells every other handle ``SCARD_W_RESET_CARD``."""
        what = "resetting the card" if warm else "removing the card's power"
        self._reconnect(sc.SCARD_RESET_CARD if warm else sc.SCARD_UNPOWER_CARD, what)
        self._read_atr()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Exclusive access (SCardBeginTransaction) around several exchanges."""
        rv = self._begin()
        if is_code(rv, sc.SCARD_W_RESET_CARD):
            # Another program reset the card (its PIN command ended) while this one
            # waited to begin: nothing of this transaction was sent yet. Take note of
            # the reset (SCardReconnect, leaving the card) and begin again; whatever
            # the session knew of the card's state is forgotten at every transaction.
            self._reconnect(sc.SCARD_LEAVE_CARD, "reconnecting after another program's reset")
            rv = self._begin()
        self._session_check(rv, "starting a transaction")
        try:
            yield
        finally:
            if self._card is not None and not self._worker.abandoned:
                with contextlib.suppress(_Overrun):
                    self._call(
                        sc.SCardEndTransaction,
                        self._card,
                        sc.SCARD_LEAVE_CARD,
                        timeout=_CLOSE_GRACE,
                    )

    def _begin(self) -> int:
        try:
            return int(self._call(sc.SCardBeginTransaction, self._card))
        except _Overrun:
            raise self._overrun(
                ReaderBusyError, "starting a transaction", "another program's transaction"
            ) from None

    def close(self, *, unpower: bool = False) -> None:
        """Disconnect and release the context; a call that overran is not waited for
        (the connection goes when the process ends, and pcscd resets the card)."""
        try:
            if self._card is not None:
                card, self._card = self._card, None
                disposition = sc.SCARD_UNPOWER_CARD if unpower else sc.SCARD_LEAVE_CARD
                self._call(sc.SCardDisconnect, card, disposition, timeout=_CLOSE_GRACE)
            if self._ctx is not None:
                self._call(sc.SCardReleaseContext, self._ctx, timeout=_CLOSE_GRACE)
        except _Overrun:
            pass
        finally:
            self._card = self._ctx = None
            if not self._worker.abandoned:
                self._worker.stop()
