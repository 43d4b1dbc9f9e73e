"""The built-in virtual My Number card (emulator only: no real card behind it).

``VirtualCard(state)`` answers command APDUs as docs/card.md describes the
card; :class:`CardState` is its memory (PINs, counters, holder, quirks), saved as
JSON with :func:`save_state` and read with :func:`load_state` (:mod:`.statefile`);
:class:`EmulatorTransport` plugs it under the APDU layer. The choices made where
public sources are silent are listed in :mod:`jpki.emulator.card`.

The names below are imported on first use (PEP 562), so that importing a light
submodule (``jpki.emulator.vpcd``) does not load the card and ``cryptography``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jpki.lazy import lazy_names

if TYPE_CHECKING:
    from .card import VirtualCard
    from .certs import certificates
    from .state import CardState, Holder, Quirks
    from .statefile import StateError, build_state, load_state, save_state
    from .transport import EmulatorTransport

#: Exported name -> submodule that defines it.
_LAZY = {
    "VirtualCard": "card",
    "certificates": "certs",
    "CardState": "state",
    "Holder": "state",
    "Quirks": "state",
    "StateError": "statefile",
    "build_state": "statefile",
    "load_state": "statefile",
    "save_state": "statefile",
    "EmulatorTransport": "transport",
}

__all__ = [
    "CardState",
    "EmulatorTransport",
    "Holder",
    "Quirks",
    "StateError",
    "VirtualCard",
    "build_state",
    "certificates",
    "load_state",
    "save_state",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
