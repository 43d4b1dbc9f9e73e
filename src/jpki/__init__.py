"""jpkitool: the My Number Card (マイナンバーカード) over PC/SC.

The library API: :func:`open_card` (a real reader), :func:`open_emulator` (the
built-in virtual card) or :func:`open_transport` (anything else), then
:func:`read_retries` and :func:`read_info`, which return dataclasses, and
:func:`verify_pin` and :func:`change_pin`, the only calls that may spend a try;
:func:`read_certificate`, :func:`check_chain` and :func:`read_expiry` for the
certificates and when things expire.
"""

import importlib
from typing import TYPE_CHECKING, Any

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
    ReaderError,
    SpendRefusedError,
    WeakPinError,
    WrongPinError,
)
from .info import AppPresence, CardInfo, read_info
from .pinops import KeyResult, Outcome, PinCommandResult, PinResult, change_pin, verify_pin
from .profile import PINS, Pin, Token
from .retries import PinStatus, RetriesReport, read_retries

if TYPE_CHECKING:
    from .cardcerts import (
        CardCertificate,
        CertificateChain,
        ExpiryItem,
        ExpiryReport,
        ExpiryState,
        read_certificate,
        read_chain,
        read_expiry,
    )
    from .certificate import CertificateError, CertificateInfo, parse_certificate
    from .chain import ChainResult, ChainStatus, RootMatch, check_chain

#: Names imported on first use: the certificate modules load asn1crypto and
#: cryptography, which ``import jpki`` (and the pytest plugin) should not pay for.
_LAZY = {
    **dict.fromkeys(
        ("CardCertificate", "CertificateChain", "ExpiryItem", "ExpiryReport", "ExpiryState",
         "read_certificate", "read_chain", "read_expiry"),
        ".cardcerts",
    ),
    **dict.fromkeys(("CertificateError", "CertificateInfo", "parse_certificate"), ".certificate"),
    **dict.fromkeys(("ChainResult", "ChainStatus", "RootMatch", "check_chain"), ".chain"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "PINS",
    "AppPresence",
    "CardCertificate",
    "CardError",
    "CardInfo",
    "CardRecord",
    "CertificateChain",
    "CertificateError",
    "CertificateInfo",
    "ChainResult",
    "ChainStatus",
    "ExpiryItem",
    "ExpiryReport",
    "ExpiryState",
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
    "ReaderError",
    "RetriesReport",
    "RootMatch",
    "SpendRefusedError",
    "Token",
    "WeakPinError",
    "WrongPinError",
    "__version__",
    "change_pin",
    "check_chain",
    "open_card",
    "open_emulator",
    "open_transport",
    "parse_certificate",
    "read_certificate",
    "read_chain",
    "read_expiry",
    "read_info",
    "read_retries",
    "verify_pin",
]
