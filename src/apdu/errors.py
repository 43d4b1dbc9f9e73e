"""Typed errors of the APDU layer.

Every failure a caller can meet below the card-specific code is one of these, so
that the CLI can turn it into one line and an exit status.
"""

from __future__ import annotations


class ApduError(Exception):
    """Base class of every error raised by :mod:`apdu`."""


class EncodingError(ApduError, ValueError):
    """A command or response cannot be encoded or decoded (bad length, bad Le, ...)."""


class TransportError(ApduError):
    """The exchange with the card failed below the APDU level."""


class ServiceUnavailableError(TransportError):
    """The PC/SC service (pcscd) is not running or cannot be reached."""


class PcscLibraryError(ServiceUnavailableError):
    """The PC/SC client library (pyscard, or the libpcsclite it loads) cannot be loaded."""


class NoReaderError(TransportError):
    """No smart-card reader is connected, or none matches the requested name."""


class AmbiguousReaderError(NoReaderError):
    """A reader name fragment matches several readers."""

    def __init__(self, spec: str, matches: list[str]) -> None:
        super().__init__(f"{spec!r} matches several readers: {', '.join(matches)}")
        self.spec = spec
        self.matches = matches


class NoCardError(TransportError):
    """The reader holds no card."""


class CardRemovedError(TransportError):
    """The card was removed (or reset) while it was in use."""


class ReaderBusyError(TransportError):
    """Another program holds the reader or the card exclusively."""


class CardUnresponsiveError(TransportError):
    """The card does not answer (no ATR, or a communication failure)."""


class SessionFileError(ApduError):
    """A recorded session file is missing, corrupted or of an unknown format."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class ReplayMismatchError(ApduError):
    """A replayed exchange differs from the recorded one."""

    def __init__(self, index: int, expected: str | None, actual: str) -> None:
        if expected is None:
            msg = f"exchange {index}: no more exchanges recorded, got {actual}"
        else:
            msg = f"exchange {index}: expected {expected}, got {actual}"
        super().__init__(msg)
        self.index = index
        self.expected = expected
        self.actual = actual


class ReplayLeftoverError(ApduError):
    """Recorded exchanges were not used by the time the replay was closed."""

    def __init__(self, used: int, total: int) -> None:
        super().__init__(f"{total - used} of {total} recorded exchanges were not replayed")
        self.used = used
        self.total = total
