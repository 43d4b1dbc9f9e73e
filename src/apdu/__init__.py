"""Generic ISO/IEC 7816-4: command and response APDUs, status words, transports.

Nothing in this package knows about a particular card. Recording, replaying and
tracing a session are imported from their modules (:mod:`apdu.recording`,
:mod:`apdu.replay`, :mod:`apdu.trace`), so that a session doing none loads none.
"""

from __future__ import annotations

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
    "ReplayLeftoverError",
    "ReplayMismatchError",
    "ResponseAPDU",
    "ServiceStoppedError",
    "ServiceUnavailableError",
    "SessionFileError",
    "TransportError",
    "TransportWrapper",
    "describe",
    "redact_command",
]
