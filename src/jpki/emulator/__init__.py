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
    from .card import VirtualCard as VirtualCard
    from .certs import certificates as certificates
    from .state import CardState as CardState
    from .state import Holder as Holder
    from .state import Quirks as Quirks
    from .statefile import StateError as StateError
    from .statefile import build_state as build_state
    from .statefile import load_state as load_state
    from .statefile import save_state as save_state
    from .transport import EmulatorTransport as EmulatorTransport

#: Exported name -> submodule that defines it.
_LAZY = {
    name: module
    for module, names in {
        "card": "VirtualCard",
        "certs": "certificates",
        "state": "CardState Holder Quirks",
        "statefile": "StateError build_state load_state save_state",
        "transport": "EmulatorTransport",
    }.items()
    for name in names.split()
}

__getattr__, __dir__ = lazy_names(__name__, _LAZY)
__all__ = [*_LAZY]
