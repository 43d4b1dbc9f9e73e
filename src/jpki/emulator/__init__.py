"""The built-in virtual My Number card (emulator only: no real card behind it).

``VirtualCard(state)`` answers command APDUs as jpki-protocol.md describes the
card; :class:`CardState` is its memory (PINs, counters, holder, quirks), saved as
JSON with :func:`save_state` and read with :func:`load_state`;
:class:`EmulatorTransport` plugs it under the APDU layer. The choices made where
public sources are silent are listed in :mod:`jpki.emulator.card`.
"""

from .card import VirtualCard
from .certs import Certificates, certificates
from .state import (
    CardState,
    Holder,
    KeySlot,
    Quirks,
    StateError,
    build_state,
    load_state,
    save_state,
)
from .transport import EmulatorTransport

__all__ = [
    "CardState",
    "Certificates",
    "EmulatorTransport",
    "Holder",
    "KeySlot",
    "Quirks",
    "StateError",
    "VirtualCard",
    "build_state",
    "certificates",
    "load_state",
    "save_state",
]
