"""PC/SC through pyscard: return codes, the readers, waiting for a card. The
connection to a card is :mod:`apdu.pcsctransport`; the two are the only modules that
import ``smartcard``, this one first (pyscard missing: :class:`PcscLibraryError`).

Every PC/SC failure is mapped to a typed error of :mod:`apdu.errors` carrying the
PC/SC return code (``code``); no pyscard exception escapes.

Return codes and state flags are pyscard's own (``smartcard.scard``); this module
defines only what pyscard lacks (:data:`LOCAL_CONSTANTS`). Codes are compared as
unsigned 32-bit values (:func:`unsigned`): pyscard gives them as the platform's
``LONG``, which is negative on Windows (32-bit) and positive with pcsc-lite.
"""

from __future__ import annotations

import contextlib
import os
import socket
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

try:
    from smartcard import scard as sc
except ImportError as exc:  # pyscard not installed, or libpcsclite.so.1 missing
    raise PcscLibraryError(str(exc)) from None


def unsigned(rv: int) -> int:
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

#: The typed error and text of each PC/SC return code this module maps.
_PCSC_ERRORS: dict[int, tuple[type[TransportError], str]] = {
    sc.SCARD_E_NO_SERVICE: (ServiceUnavailableError, "the PC/SC service (pcscd) is not running"),
    sc.SCARD_E_SERVICE_STOPPED: (ServiceStoppedError, "the PC/SC service (pcscd) stopped"),
    sc.SCARD_E_INVALID_HANDLE: (ServiceUnavailableError, "the PC/SC service lost the connection"),
    sc.SCARD_E_NO_READERS_AVAILABLE: (NoReaderError, "no reader available"),
    sc.SCARD_E_UNKNOWN_READER: (NoReaderError, "unknown reader"),
    sc.SCARD_E_READER_UNAVAILABLE: (NoReaderError, "reader unavailable"),
    sc.SCARD_E_NO_SMARTCARD: (NoCardError, "no card in the reader"),
    sc.SCARD_W_REMOVED_CARD: (CardRemovedError, "the card was removed"),
    sc.SCARD_W_RESET_CARD: (CardRemovedError, "the card was reset by another program"),
    sc.SCARD_W_SECURITY_VIOLATION: (
        AccessDeniedError,
        "the PC/SC service refused this user (polkit)",
    ),
    sc.SCARD_E_SHARING_VIOLATION: (ReaderBusyError, "the reader is in use by another program"),
    sc.SCARD_W_UNRESPONSIVE_CARD: (CardUnresponsiveError, "the card does not respond"),
    sc.SCARD_W_UNPOWERED_CARD: (CardUnresponsiveError, "the card is not powered"),
    sc.SCARD_E_PROTO_MISMATCH: (CardUnresponsiveError, "no common protocol with the card"),
    sc.SCARD_F_COMM_ERROR: (CardUnresponsiveError, "communication error with the card"),
    sc.SCARD_E_NOT_TRANSACTED: (CardUnresponsiveError, "the exchange with the card failed"),
    sc.SCARD_E_TIMEOUT: (CardUnresponsiveError, "the card timed out"),
}
_ERRORS = {unsigned(rv): error for rv, error in _PCSC_ERRORS.items()}


def is_code(rv: int, *codes: int) -> bool:
    """Whether ``rv`` is one of ``codes`` (``sc.SCARD_*`` constants), sign-agnostic."""
    return unsigned(rv) in {unsigned(c) for c in codes}


def _message(rv: int) -> str:
    """pyscard's text for a code this module does not map (``SCardGetErrorMessage``)."""
    code = unsigned(rv)
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
    code = unsigned(rv)
    cls, text = _ERRORS.get(code) or (TransportError, _message(rv))
    where = f" ({reader})" if reader else ""
    return cls(f"{what}{where}: {text} [0x{code:08X}]", code=code, reader=reader)


def _service_error(rv: int, what: str) -> TransportError:
    """``error_for`` for calls on a context alone (no card involved).

    There ``SCARD_F_COMM_ERROR`` means the socket to pcscd broke (the service
    stopped while a ``SCardGetStatusChange`` was waiting), not a card problem.
    """
    if is_code(rv, sc.SCARD_F_COMM_ERROR):
        return ServiceStoppedError(
            f"{what}: the PC/SC service (pcscd) went away [0x{unsigned(rv):08X}]", code=unsigned(rv)
        )
    return error_for(rv, what)


def check(rv: int, what: str, reader: str | None = None) -> None:
    if not is_code(rv, sc.SCARD_S_SUCCESS):
        raise error_for(rv, what, reader)


@contextlib.contextmanager
def context() -> Iterator[Any]:
    try:
        rv, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    except Exception as exc:  # pyscard raises on some platforms
        raise ServiceUnavailableError(f"cannot reach the PC/SC service: {exc}") from None
    if not is_code(rv, sc.SCARD_S_SUCCESS):
        raise establish_error(rv)
    try:
        yield ctx
    finally:
        sc.SCardReleaseContext(ctx)


def establish_error(rv: int) -> TransportError:
    """The error of a failed ``SCardEstablishContext``: pcsc-lite 1.9.9 refuses a user
    polkit does not allow by closing the connection (no service, or a broken one),
    while its socket still accepts connections: that is a refusal, not a missing
    service."""
    if is_code(rv, sc.SCARD_E_NO_SERVICE, sc.SCARD_F_COMM_ERROR):  # no card is involved yet
        rv = sc.SCARD_W_SECURITY_VIOLATION if service_listening() else sc.SCARD_E_NO_SERVICE
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
    if is_code(rv, sc.SCARD_E_NO_READERS_AVAILABLE):
        return []
    if not is_code(rv, sc.SCARD_S_SUCCESS):
        raise _service_error(rv, "listing readers")
    return list(names)


def list_readers() -> list[str]:
    """Names of the connected readers (empty when none)."""
    with context() as ctx:
        return _list(ctx)


@dataclass(frozen=True)
class ReaderState:
    """A reader as ``SCardGetStatusChange`` shows it; ``events`` counts the cards
    inserted and removed (the event state's upper 16 bits in pcsc-lite and Windows),
    so a card swapped for another between two looks is still seen; ``exclusive``: a
    program holds the card exclusively (a new connection is refused)."""

    index: int
    name: str
    card_present: bool
    atr: bytes
    events: int = 0
    exclusive: bool = False


def _present(event: int) -> bool:
    """Whether an ``SCardGetStatusChange`` event state shows a usable (not mute) card."""
    return bool(event & sc.SCARD_STATE_PRESENT) and not event & sc.SCARD_STATE_MUTE


def _states(ctx: Any, names: list[str]) -> list[ReaderState]:
    if not names:
        return []
    rv, states = sc.SCardGetStatusChange(ctx, 0, [(name, sc.SCARD_STATE_UNAWARE) for name in names])
    if is_code(rv, sc.SCARD_E_TIMEOUT):
        states = [(name, 0, []) for name in names]
    elif not is_code(rv, sc.SCARD_S_SUCCESS):
        raise _service_error(rv, "reading reader states")
    return [
        ReaderState(
            index,
            name,
            _present(event),
            bytes(atr) if _present(event) else b"",
            event >> 16 & 0xFFFF,
            bool(event & sc.SCARD_STATE_EXCLUSIVE),
        )
        for index, (name, event, atr) in enumerate(states)
    ]


def reader_states() -> list[ReaderState]:
    """Every reader with card presence and ATR, without connecting to any card."""
    with context() as ctx:
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
        problem = f"no reader with index {index}"
    else:
        exact = [r for r in readers if r.lower() == text.lower()]
        matches = exact or [r for r in readers if text.lower() in r.lower()]
        if exact or len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousReaderError(spec, matches)
        problem = f"no reader matches {spec!r}"
    readers_text = ", ".join(readers)
    raise NoReaderError(f"{problem} (readers: {readers_text})", spec=spec, readers=tuple(readers))


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
    with context() as ctx:
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
            if is_code(rv, sc.SCARD_S_SUCCESS):
                for name, event, _atr in states:
                    current = event & ~sc.SCARD_STATE_CHANGED
                    if name == PNP_NOTIFICATION:
                        pnp_state = current
                    elif _present(event):
                        return str(name)
                    else:
                        known[name] = current
            elif is_code(rv, sc.SCARD_E_UNKNOWN_READER):
                # A reader left between the listing and the call; or, when none did,
                # this PC/SC does not know the PnP name: re-list every second instead.
                if not set(known) - set(_list(ctx)):
                    if not use_pnp:  # not explained: do not spin on it
                        time.sleep(min(left, _RELIST_EVERY))
                    use_pnp = False
                if time.monotonic() >= deadline:
                    raise NoCardError(f"no card inserted within {timeout:g} s")
                continue
            elif not is_code(rv, sc.SCARD_E_TIMEOUT):
                raise _service_error(rv, "waiting for a card")
            if time.monotonic() >= deadline:
                raise NoCardError(f"no card inserted within {timeout:g} s")
            if on_wait is not None and not looked:
                on_wait()
            looked = True
