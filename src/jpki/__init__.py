"""jpkitool: the My Number Card (マイナンバーカード) over PC/SC.

The library API: :func:`open_card` (a real reader), :func:`open_emulator` (the
built-in virtual card) or :func:`open_transport` (anything else), then
:func:`read_retries` and :func:`read_info`, which return dataclasses.
"""

from .api import open_card, open_emulator, open_transport
from .card import CardRecord, KeyState, KeyStatus, MyNumberCard
from .errors import (
    CardError,
    JpkiError,
    NotMyNumberCardError,
    PinFormatError,
    PinLockedError,
    WrongPinError,
)
from .info import AppPresence, CardInfo, read_info
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
    "KeyState",
    "KeyStatus",
    "MyNumberCard",
    "NotMyNumberCardError",
    "Pin",
    "PinFormatError",
    "PinLockedError",
    "PinStatus",
    "RetriesReport",
    "Token",
    "WrongPinError",
    "__version__",
    "open_card",
    "open_emulator",
    "open_transport",
    "read_info",
    "read_retries",
]
