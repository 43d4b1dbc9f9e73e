"""A transport to the virtual card, with no reader, pcscd or socket in between.

:class:`EmulatorTransport` hands each command to :meth:`VirtualCard.process`; the
card's latency setting still applies. Emulator only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from apdu import BaseTransport, TransportError

from .card import VirtualCard

NAME = "jpkitool virtual card"


class EmulatorTransport(BaseTransport):
    """``transmit`` -> ``card.process``. Connecting powers the card up if it is not (a
    second transport to the same card is a second program sharing it); the end of a
    transaction or connection after :meth:`request_unpower` powers it down."""

    def __init__(self, card: VirtualCard) -> None:
        self.card = card
        self._name = NAME
        self._closed = False
        card.power_on()

    @property
    def atr(self) -> bytes:
        return self.card.atr

    def transmit(self, apdu: bytes, *, secret: bool = False) -> bytes:
        if self._closed:
            raise TransportError("the virtual card's transport is closed")
        return self.card.process(bytes(apdu))

    def power_cycle(self) -> None:
        if self._closed:
            raise TransportError("the virtual card's transport is closed")
        self.card.power_off()
        self.card.power_on()
        self.unpower_pending = False

    def warm_reset(self) -> None:
        if self._closed:
            raise TransportError("the virtual card's transport is closed")
        self.card.warm_reset()

    def _reset_if_asked(self) -> None:
        if self.unpower_pending:
            self.unpower_pending = False
            self.card.power_off()  # as pcscd: the next connection powers it up
            self.card.power_on()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            yield
        finally:
            self._reset_if_asked()

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """No exclusivity to take; unpowers the card at the end after :meth:`request_unpower`."""
        return self._transaction()

    def close(self) -> None:
        if not self._closed:
            self._reset_if_asked()
        self._closed = True
