"""Generic ISO/IEC 7816-4: command and response APDUs, status words, transports.

Nothing in this package knows about a particular card.
"""

from .command import EXTENDED_MAX, SHORT_MAX, CommandAPDU
from .errors import (
    ApduError,
    CardRemovedError,
    CardUnresponsiveError,
    EncodingError,
    NoCardError,
    NoReaderError,
    ReaderBusyError,
    ReplayLeftoverError,
    ReplayMismatchError,
    ServiceUnavailableError,
    SessionFileError,
    TransportError,
)
from .response import ResponseAPDU
from .status import STATUS_WORDS, describe
from .transport import ApduChannel, BaseTransport, FunctionTransport, Transport, TransportWrapper

__all__ = [
    "EXTENDED_MAX",
    "SHORT_MAX",
    "STATUS_WORDS",
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
    "ReaderBusyError",
    "ReplayLeftoverError",
    "ReplayMismatchError",
    "ResponseAPDU",
    "ServiceUnavailableError",
    "SessionFileError",
    "Transport",
    "TransportError",
    "TransportWrapper",
    "describe",
]
