"""Typed errors of the APDU layer.

Every failure a caller can meet below the card-specific code is one of these, so
that the CLI can turn it into one line and an exit status.
"""

from __future__ import annotations

from typing import Literal

from .jsonfile import FileFault


class ApduError(Exception):
    """Base class of every error raised by :mod:`apdu`."""


class EncodingError(ApduError, ValueError):
    """A command or response cannot be encoded or decoded (bad length, bad Le, ...)."""


class TransportError(ApduError):
    """The exchange with the card failed below the APDU level.

    ``code``: the PC/SC return code that said so, when one did; ``reader``: the
    reader's name, when known; ``timeout``: the seconds a call was given, when it
    was given up for taking longer."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reader: str | None = None,
        timeout: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reader = reader
        self.timeout = timeout


class ServiceUnavailableError(TransportError):
    """The PC/SC service (pcscd) is not running or cannot be reached."""


class ServiceStoppedError(ServiceUnavailableError):
    """The PC/SC service stopped during the session (``SCARD_E_SERVICE_STOPPED``, or
    its socket broke while a call waited)."""


class AccessDeniedError(ServiceUnavailableError):
    """The PC/SC service runs but refused this user: pcsc-lite built with polkit allows
    only a user at the machine's seat by default (not over SSH, nor a service user).
    pcsc-lite 2.0.1+ answers ``SCARD_W_SECURITY_VIOLATION``; 1.9.9 (Debian 12) closes
    the connection, which reads as no service while its socket accepts connections."""


class PcscLibraryError(ServiceUnavailableError):
    """The PC/SC client library (pyscard, or the libpcsclite it loads) cannot be loaded."""


class NoReaderError(TransportError):
    """No smart-card reader is connected, or none matches the requested name.

    ``spec``: the name or index asked for (None: no reader at all); ``readers``: the
    readers there are."""

    def __init__(
        self,
        message: str,
        *,
        spec: str | None = None,
        readers: tuple[str, ...] = (),
        code: int | None = None,
        reader: str | None = None,
    ) -> None:
        super().__init__(message, code=code, reader=reader)
        self.spec = spec
        self.readers = readers


class AmbiguousReaderError(NoReaderError):
    """A reader name fragment matches several readers."""

    def __init__(self, spec: str, matches: list[str]) -> None:
        super().__init__(f"{spec!r} matches several readers: {', '.join(matches)}", spec=spec)
        self.matches = matches


class NoCardError(TransportError):
    """The reader holds no card."""


class CardRemovedError(TransportError):
    """The card was removed (or reset) while it was in use."""


class ReaderBusyError(TransportError):
    """Another program holds the reader or the card exclusively."""


class CardUnresponsiveError(TransportError):
    """The card does not answer (no ATR, or a communication failure)."""


class SessionFileError(ApduError, FileFault):
    """A recorded session file is missing or invalid: a :class:`apdu.jsonfile.FileFault`
    (``path``, ``line``: the 1-based line when one line is at fault, ``field``, ``code``
    and ``params``)."""


class ReplayMismatchError(ApduError):
    """A replayed exchange differs from the recorded one."""

    def __init__(self, index: int, expected: str | None, actual: str) -> None:
        wanted = "no more exchanges recorded" if expected is None else f"expected {expected}"
        super().__init__(f"exchange {index}: {wanted}, got {actual}")
        self.index = index
        self.expected = expected
        self.actual = actual


class ReplayLeftoverError(ApduError):
    """Recorded exchanges were not used by the time the replay was closed."""

    def __init__(self, used: int, total: int) -> None:
        super().__init__(f"{total - used} of {total} recorded exchanges were not replayed")
        self.used = used
        self.total = total


#: Transport faults a recording marks and a replay raises again, by code.
Fault = Literal[
    "card-removed", "no-card", "card-unresponsive", "reader-busy", "no-service", "service-stopped"
]

FAULTS: dict[Fault, type[TransportError]] = {
    "card-removed": CardRemovedError,
    "no-card": NoCardError,
    "card-unresponsive": CardUnresponsiveError,
    "reader-busy": ReaderBusyError,
    "no-service": ServiceUnavailableError,
    "service-stopped": ServiceStoppedError,
}


_FAULT_CODES = {cls: code for code, cls in FAULTS.items()}


def fault_code(exc: BaseException) -> Fault | None:
    """The code of the most specific :data:`FAULTS` class ``exc`` is, or None."""
    return next((_FAULT_CODES[c] for c in type(exc).__mro__ if c in _FAULT_CODES), None)
