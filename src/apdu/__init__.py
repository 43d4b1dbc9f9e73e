"""Generic ISO/IEC 7816-4: command and response APDUs, status words, transports.

Nothing in this package knows about a particular card.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .command import EXTENDED_MAX, SHORT_MAX, CommandAPDU
from .errors import (
    AccessDeniedError,
    AmbiguousReaderError,
    ApduError,
    CardRemovedError,
    CardUnresponsiveError,
    EncodingError,
    NoCardError,
    NoReaderError,
    PcscLibraryError,
    ReaderBusyError,
    ReplayLeftoverError,
    ReplayMismatchError,
    ServiceStoppedError,
    ServiceUnavailableError,
    SessionFileError,
    TransportError,
)
from .ins import INS
from .redact import redact_command
from .response import ResponseAPDU
from .status import STATUS_WORDS, SW, describe
from .transport import ApduChannel, BaseTransport, FunctionTransport, TransportWrapper

if TYPE_CHECKING:
    from .recording import RecordingTransport
    from .replay import ReplayTransport
    from .trace import TracingTransport

#: Imported on first use (PEP 562): a session that neither records, replays nor
#: traces does not load those modules.
_LAZY = {
    "RecordingTransport": "recording",
    "ReplayTransport": "replay",
    "TracingTransport": "trace",
}


def __getattr__(name: str) -> object:
    """A lazily loaded name (PEP 562): recording, replay and tracing on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "EXTENDED_MAX",
    "INS",
    "SHORT_MAX",
    "STATUS_WORDS",
    "SW",
    "AccessDeniedError",
    "AmbiguousReaderError",
    "ApduChannel",
    "ApduError",
    "BaseTransport",
    "CardRemovedError",
    "CardUnresponsiveError",
    "CommandAPDU",
    "EncodingError",
    "FunctionTransport",
    "NoCardError",
    "NoReaderError",
    "PcscLibraryError",
    "ReaderBusyError",
    "RecordingTransport",
    "ReplayLeftoverError",
    "ReplayMismatchError",
    "ReplayTransport",
    "ResponseAPDU",
    "ServiceStoppedError",
    "ServiceUnavailableError",
    "SessionFileError",
    "TracingTransport",
    "TransportError",
    "TransportWrapper",
    "describe",
    "redact_command",
]
