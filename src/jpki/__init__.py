"""jpkitool: the My Number Card (マイナンバーカード) over PC/SC.

The library API: :func:`open_card` (a real reader), :func:`open_emulator` (the
built-in virtual card) or :func:`open_transport` (anything else), then
:func:`read_retries` and :func:`read_info`, which return dataclasses, and
:func:`verify_pin` and :func:`change_pin`, the only calls that may spend a try.
"""

from .api import open_card, open_emulator, open_transport
from .card import CardRecord, KeyState, KeyStatus, MyNumberCard
from .errors import (
    CardError,
    JpkiError,
    NotMyNumberCardError,
    PermitError,
    PinAbsentError,
    PinFormatError,
    PinLockedError,
    PinRequestError,
    SpendRefusedError,
    WeakPinError,
    WrongPinError,
)
from .info import AppPresence, CardInfo, read_info
from .pinops import KeyResult, Outcome, PinCommandResult, PinResult, change_pin, verify_pin
from .profile import PINS, Pin, Token
from .retries import PinStatus, RetriesReport, read_retries

__version__ = "0.1.0"

__all__ = [
    "PINS",
    "AppPresence",
    "CardError",
    "CardInfo",
    "CardRecord",
    "JpkiError",
    "KeyResult",
    "KeyState",
    "KeyStatus",
    "MyNumberCard",
    "NotMyNumberCardError",
    "Outcome",
    "PermitError",
    "Pin",
    "PinAbsentError",
    "PinCommandResult",
    "PinFormatError",
    "PinLockedError",
    "PinRequestError",
    "PinResult",
    "PinStatus",
    "RetriesReport",
    "SpendRefusedError",
    "Token",
    "WeakPinError",
    "WrongPinError",
    "__version__",
    "change_pin",
    "open_card",
    "open_emulator",
    "open_transport",
    "read_info",
    "read_retries",
    "verify_pin",
]
