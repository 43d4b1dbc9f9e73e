"""jpkitool: the My Number Card (マイナンバーカード) over PC/SC.

The library API: :func:`open_card` (a real reader), :func:`open_emulator` (the
built-in virtual card) or :func:`open_transport` (anything else), then
:func:`read_retries` and :func:`read_info`, which return dataclasses, and
:func:`verify_pin` and :func:`change_pin`, the only calls that may spend a try;
:func:`read_certificate`, :func:`check_chain` and :func:`read_expiry` for the
certificates and when things expire.
"""

from __future__ import annotations

from .lazy import lazy_names
from .version import __version__ as __version__

# Not ``typing.TYPE_CHECKING``: importing typing would cost ``jpkitool --version``
# about 8 ms of its 16 ms (2026-12-07); every other command imports typing anyway.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .api import open_card, open_emulator, open_transport
    from .card import CardRecord, KeyState, KeyStatus, MyNumberCard
    from .cardcerts import CardCertificate, CertificateChain, read_certificate, read_chain
    from .certificate import CertificateError, CertificateInfo, parse_certificate
    from .chain import ChainResult, ChainStatus, RootMatch, check_chain
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
    from .expiry import ExpiryItem, ExpiryReport, ExpiryState, read_expiry
    from .info import AppPresence, CardInfo, read_info
    from .pinops import change_pin, verify_pin
    from .pinresult import KeyResult, Outcome, PinCommandResult, PinResult
    from .profile import PINS, Pin, Token
    from .retries import PinStatus, RetriesReport, read_retries

#: Every name is imported on first use (PEP 562): ``jpkitool --version``, the pytest
#: plugin and each command load only the modules they need.
_LAZY = {
    **dict.fromkeys(("open_card", "open_emulator", "open_transport"), "api"),
    **dict.fromkeys(("CardRecord", "KeyState", "KeyStatus", "MyNumberCard"), "card"),
    **dict.fromkeys(
        ("CardCertificate", "CertificateChain", "read_certificate", "read_chain"), "cardcerts"
    ),
    **dict.fromkeys(("CertificateError", "CertificateInfo", "parse_certificate"), "certificate"),
    **dict.fromkeys(("ChainResult", "ChainStatus", "RootMatch", "check_chain"), "chain"),
    **dict.fromkeys(
        ("CardError", "JpkiError", "NotMyNumberCardError", "PermitError", "PinAbsentError",
         "PinFormatError", "PinLockedError", "PinRequestError", "ReaderError",
         "SpendRefusedError", "WeakPinError", "WrongPinError"),
        "errors",
    ),
    **dict.fromkeys(("ExpiryItem", "ExpiryReport", "ExpiryState", "read_expiry"), "expiry"),
    **dict.fromkeys(("AppPresence", "CardInfo", "read_info"), "info"),
    **dict.fromkeys(("change_pin", "verify_pin"), "pinops"),
    **dict.fromkeys(("KeyResult", "Outcome", "PinCommandResult", "PinResult"), "pinresult"),
    **dict.fromkeys(("PINS", "Pin", "Token"), "profile"),
    **dict.fromkeys(("PinStatus", "RetriesReport", "read_retries"), "retries"),
}  # fmt: skip


__getattr__, __dir__ = lazy_names(__name__, _LAZY)


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
