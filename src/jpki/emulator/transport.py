"""A transport to the virtual card, with no reader, pcscd or socket in between.

:class:`EmulatorTransport` hands each command to :meth:`VirtualCard.process`; the
card's latency setting still applies. Emulator only.
"""

from __future__ import annotations

from apdu import BaseTransport, TransportError

from .card import VirtualCard


class EmulatorTransport(BaseTransport):
    """``transmit`` -> ``card.process``. Connecting powers the card up if it is not (a
    second transport to the same card is a second program sharing it); closing with
    ``unpower`` powers it down (and, as pcscd, up for the next connection)."""

    _name = "jpkitool virtual card"

    def __init__(self, card: VirtualCard) -> None:
        self.card = card
        self._closed = False
        card.power_on()

    @property
    def atr(self) -> bytes:
        return self.card.atr

    def _check_open(self) -> None:
        if self._closed:
            raise TransportError("the virtual card's transport is closed")

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        self._check_open()
        return self.card.process(bytes(apdu))

    def power_cycle(self, *, warm: bool = False) -> None:
        self._check_open()
        if warm:
            self.card.warm_reset()
        else:
            self.card.power_off()
            self.card.power_on()

    def close(self, *, unpower: bool = False) -> None:
        if unpower and not self._closed:
            self.power_cycle()
        self._closed = True
