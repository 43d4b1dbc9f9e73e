"""A card that misbehaves at a chosen APDU, for fault-injection tests through pcscd + vpcd.

:class:`FaultyCard` wraps any card :class:`jpki.emulator.vpcd.VpcdBridge` serves and,
when its ``at``-th command APDU arrives (1-based; vpcd's power and ATR controls are
not counted), does what ``kind`` says:

- ``remove``: the card is pulled out: the vpcd connection is dropped unanswered
  (:class:`jpki.emulator.vpcd.CardPulled`) and stays down;
- ``stall``: no answer until :meth:`FaultyCard.release` (at most ``stall_limit``
  seconds), then ``6F00``;
- ``call``: ``action()`` runs first (e.g. stopping pcscd), then ``6F00``;
- ``hook``: ``action()`` runs (another program acting meanwhile), then the card
  answers as usual.

By default the wrapped card never sees the faulty command: the card did not get it.
``answered=True`` lets the card carry it out first (its state changes) and loses the
answer: the card got it, the program talking to it cannot know. Standard library only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import StrEnum

from jpki.emulator.vpcd import Card, CardPulled

#: What a card answers after a stall or an action, to a program that is long gone.
NO_DIAGNOSIS = b"\x6f\x00"


class FaultKind(StrEnum):
    REMOVE = "remove"
    STALL = "stall"
    CALL = "call"
    HOOK = "hook"


class FaultyCard:
    """``card``, with ``kind`` happening at its ``at``-th APDU (see the module docstring)."""

    def __init__(
        self,
        card: Card,
        kind: FaultKind | str | None = None,
        at: int = 0,
        *,
        answered: bool = False,
        action: Callable[[], None] | None = None,
        stall_limit: float = 120.0,
    ) -> None:
        self.card = card
        self.kind = FaultKind(kind) if kind is not None else None
        if self.kind in (FaultKind.CALL, FaultKind.HOOK) and action is None:
            raise ValueError(f"a {self.kind.value!r} fault needs an action")
        self.at = at
        self.answered = answered
        self.action = action
        self.stall_limit = stall_limit
        #: Every command APDU that arrived, the faulty one included.
        self.seen: list[bytes] = []
        #: Set when the fault happens.
        self.fired = threading.Event()
        self._released = threading.Event()

    @property
    def atr(self) -> bytes:
        return self.card.atr

    def power_on(self) -> None:
        self.card.power_on()

    def power_off(self) -> None:
        self.card.power_off()

    def warm_reset(self) -> None:
        self.card.warm_reset()

    def release(self) -> None:
        """End a stall (and any stall to come): the card answers ``6F00``."""
        self._released.set()

    def process(self, apdu: bytes) -> bytes:
        self.seen.append(bytes(apdu))
        if self.kind is None or len(self.seen) != self.at:
            return self.card.process(apdu)
        if self.kind is FaultKind.HOOK and self.action is not None:
            self.action()
            self.fired.set()
            return self.card.process(apdu)
        if self.answered:
            self.card.process(apdu)
        self.fired.set()
        if self.kind is FaultKind.REMOVE:
            raise CardPulled(f"pulled out at APDU {self.at}")
        if self.kind is FaultKind.STALL:
            self._released.wait(self.stall_limit)
        elif self.action is not None:
            self.action()
        return NO_DIAGNOSIS
