"""Typed errors of the APDU layer.

Every failure a caller can meet below the card-specific code is one of these, so
that the CLI can turn it into one line and an exit status.
"""

from __future__ import annotations

from typing import Any, Literal


class ApduError(Exception):
    """Base class of every error raised by :mod:`apdu`."""


class EncodingError(ApduError, ValueError):
    """A command or response cannot be encoded or decoded (bad length, bad Le, ...)."""


class TransportError(ApduError):
    """The exchange with the card failed below the APDU level."""


class ServiceUnavailableError(TransportError):
    """The PC/SC service (pcscd) is not running or cannot be reached."""


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
        self, message: str, *, spec: str | None = None, readers: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
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


#: Why a session file cannot be used (:attr:`SessionFileError.code`).
SessionReason = Literal[
    "not-found",
    "cannot-read",
    "not-regular",
    "too-large",
    "empty-file",
    "utf16",
    "not-utf8",
    "empty-line",
    "bad-json",
    "duplicate-key",
    "too-deep",
    "number-too-long",
    "not-object",
    "no-header",
    "missing-key",
    "bad-format",
    "bad-version",
    "wrong-type",
    "redacted-not-strings",
    "not-hex",
    "not-int",
    "not-string",
    "not-number",
    "bad-index",
    "command-too-short",
    "response-too-short",
    "bad-fault",
    "response-and-fault",
    "bad-power",
    "other",
]

#: English text of each reason, formatted with the error's parameters (lists joined).
SESSION_REASONS: dict[SessionReason, str] = {
    "not-found": "no such file",
    "cannot-read": "cannot read: {strerror}",
    "not-regular": "not a regular file ({kind})",
    "too-large": "{size} bytes, more than the {limit} a session file may have",
    "empty-file": "empty file",
    "utf16": "UTF-16 text: save it as UTF-8",
    "not-utf8": "not UTF-8 text",
    "empty-line": "empty line",
    "bad-json": "not valid JSON ({detail}, column {column})",
    "duplicate-key": "key {key!r} given twice",
    "too-deep": "nested too deeply",
    "number-too-long": "a number with too many digits",
    "not-object": "not a JSON object",
    "no-header": "no header: the first line must be the session header",
    "missing-key": "missing key {key!r}",
    "bad-format": "format is {value!r}, expected {expected!r}",
    "bad-version": "unsupported version {version} (this tool reads version {supported})",
    "wrong-type": "{key!r} has the wrong type",
    "redacted-not-strings": "'redacted' must be a list of strings",
    "not-hex": "{key!r} is not hex",
    "not-int": "{key!r} must be an integer",
    "not-string": "{key!r} must be a string",
    "not-number": "{key!r} must be a number",
    "bad-index": "exchange index {index}, expected {expected}",
    "command-too-short": "'command' is shorter than a 4-byte header",
    "response-too-short": "'response' is shorter than a status word",
    "bad-fault": "unknown fault {value!r} (known: {known})",
    "response-and-fault": "a line holds 'response' or 'fault', not both",
    "bad-power": "a power line says 'power': 'cycle' or 'reset' and holds no command or response",
    "other": "{reason}",
}


def english(template: str, params: dict[str, Any]) -> str:
    """``template`` formatted with ``params``, lists and tuples joined with commas."""
    values = {
        name: ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
        for name, value in params.items()
    }
    return template.format(**values)


class SessionFileError(ApduError):
    """A recorded session file is missing, corrupted, of an unknown format, or cannot
    be written.

    ``code`` (:data:`SessionReason`) and ``params`` say what is wrong, for messages in
    any language; ``reason`` says it in English. A ``code`` that is not one of
    :data:`SessionReason` is taken as an English reason (code ``other``). ``line``:
    the 1-based line, when one line is at fault.
    """

    def __init__(self, path: str, line: int | None, code: str, **params: Any) -> None:
        if code not in SESSION_REASONS:
            code, params = "other", {"reason": code}
        self.code: SessionReason = code  # type: ignore[assignment]
        self.params = params
        self.reason = english(SESSION_REASONS[self.code], params)
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {self.reason}")
        self.path = path
        self.line = line


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


#: Transport faults a recording marks and a replay raises again, by code.
Fault = Literal["card-removed", "no-card", "card-unresponsive", "reader-busy", "no-service"]

FAULTS: dict[Fault, type[TransportError]] = {
    "card-removed": CardRemovedError,
    "no-card": NoCardError,
    "card-unresponsive": CardUnresponsiveError,
    "reader-busy": ReaderBusyError,
    "no-service": ServiceUnavailableError,
}


def fault_code(exc: BaseException) -> Fault | None:
    """The code of the most specific :data:`FAULTS` class ``exc`` is, or None."""
    for cls in type(exc).__mro__:
        for code, kind in FAULTS.items():
            if kind is cls:
                return code
    return None
