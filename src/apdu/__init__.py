"""Generic ISO/IEC 7816-4: command and response APDUs, status words, transports.

Nothing in this package knows about a particular card.
"""

from .command import EXTENDED_MAX, SHORT_MAX, CommandAPDU
from .errors import (
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
    ServiceUnavailableError,
    SessionFileError,
    TransportError,
)
from .ins import INS
from .recording import SESSION_FORMAT, SESSION_VERSION, RecordingTransport
from .redact import REDACTED, is_secret, matches, redact_command
from .replay import ReplayTransport
from .response import ResponseAPDU
from .status import STATUS_WORDS, SW, describe
from .trace import TracingTransport
from .transport import ApduChannel, BaseTransport, FunctionTransport, Transport, TransportWrapper

__all__ = [
    "EXTENDED_MAX",
    "INS",
    "REDACTED",
    "SESSION_FORMAT",
    "SESSION_VERSION",
    "SHORT_MAX",
    "STATUS_WORDS",
    "SW",
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
    "ServiceUnavailableError",
    "SessionFileError",
    "TracingTransport",
    "Transport",
    "TransportError",
    "TransportWrapper",
    "describe",
    "is_secret",
    "matches",
    "redact_command",
]
