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
    from .api import open_card as open_card
    from .api import open_emulator as open_emulator
    from .api import open_transport as open_transport
    from .card import CardRecord as CardRecord
    from .card import MyNumberCard as MyNumberCard
    from .cardcerts import CardCertificate as CardCertificate
    from .cardcerts import CertificateChain as CertificateChain
    from .cardcerts import read_certificate as read_certificate
    from .cardcerts import read_chain as read_chain
    from .certificate import CertificateInfo as CertificateInfo
    from .certificate import parse_certificate as parse_certificate
    from .chain import ChainResult as ChainResult
    from .chain import ChainStatus as ChainStatus
    from .chain import RootMatch as RootMatch
    from .chain import check_chain as check_chain
    from .errors import CardError as CardError
    from .errors import CertificateError as CertificateError
    from .errors import JpkiError as JpkiError
    from .errors import NotMyNumberCardError as NotMyNumberCardError
    from .errors import PermitError as PermitError
    from .errors import PinAbsentError as PinAbsentError
    from .errors import PinFormatError as PinFormatError
    from .errors import PinLockedError as PinLockedError
    from .errors import PinRequestError as PinRequestError
    from .errors import ReaderError as ReaderError
    from .errors import SpendRefusedError as SpendRefusedError
    from .errors import WeakPinError as WeakPinError
    from .errors import WrongPinError as WrongPinError
    from .expiry import ExpiryItem as ExpiryItem
    from .expiry import ExpiryReport as ExpiryReport
    from .expiry import ExpiryState as ExpiryState
    from .expiry import read_expiry as read_expiry
    from .info import AppPresence as AppPresence
    from .info import CardInfo as CardInfo
    from .info import read_info as read_info
    from .keystatus import KeyState as KeyState
    from .keystatus import KeyStatus as KeyStatus
    from .pinops import change_pin as change_pin
    from .pinops import verify_pin as verify_pin
    from .pinresult import KeyResult as KeyResult
    from .pinresult import Outcome as Outcome
    from .pinresult import PinCommandResult as PinCommandResult
    from .pinresult import PinResult as PinResult
    from .profile import PINS as PINS
    from .profile import Pin as Pin
    from .profile import Token as Token
    from .retries import PinStatus as PinStatus
    from .retries import RetriesReport as RetriesReport
    from .retries import read_retries as read_retries

#: Every public name by its submodule, imported on first use (PEP 562): ``jpkitool
#: --version``, the pytest plugin and each command load only the modules they need.
#: The imports above, for type checkers, name the same (a test checks).
_LAZY = {
    name: module
    for module, names in {
        "api": "open_card open_emulator open_transport",
        "card": "CardRecord MyNumberCard",
        "cardcerts": "CardCertificate CertificateChain read_certificate read_chain",
        "certificate": "CertificateInfo parse_certificate",
        "chain": "ChainResult ChainStatus RootMatch check_chain",
        "errors": "CardError CertificateError JpkiError NotMyNumberCardError PermitError "
        "PinAbsentError PinFormatError PinLockedError PinRequestError ReaderError "
        "SpendRefusedError WeakPinError WrongPinError",
        "expiry": "ExpiryItem ExpiryReport ExpiryState read_expiry",
        "info": "AppPresence CardInfo read_info",
        "keystatus": "KeyState KeyStatus",
        "pinops": "change_pin verify_pin",
        "pinresult": "KeyResult Outcome PinCommandResult PinResult",
        "profile": "PINS Pin Token",
        "retries": "PinStatus RetriesReport read_retries",
    }.items()
    for name in names.split()
}

__getattr__, __dir__ = lazy_names(__name__, _LAZY)
__all__ = ["__version__", *_LAZY]
