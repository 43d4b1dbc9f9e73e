"""The library entry points: open a card, then read from it.

Example::

    import jpki

    with jpki.open_card() as card:          # or jpki.open_emulator()
        report = jpki.read_retries(card)
    for pin in report.pins:
        print(pin.id, pin.remaining, pin.max_tries, pin.state)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from apdu import BaseTransport

from .card import MyNumberCard

if TYPE_CHECKING:
    from .emulator import CardState


@contextlib.contextmanager
def open_card(reader: str | None = None, *, wait: float | None = None) -> Iterator[MyNumberCard]:
    """A session with the My Number card in ``reader`` (found automatically when None)."""
    from .connect import connect

    transport = connect(reader, wait=wait)
    try:
        with transport.transaction():
            yield MyNumberCard(transport)
    finally:
        transport.close()


@contextlib.contextmanager
def open_transport(transport: BaseTransport) -> Iterator[MyNumberCard]:
    """A session over any transport (a replay, a scripted card in tests, ...)."""
    try:
        yield MyNumberCard(transport)
    finally:
        transport.close()


@contextlib.contextmanager
def open_emulator(state: CardState | None = None) -> Iterator[MyNumberCard]:
    """A session with the built-in virtual card (defaults when ``state`` is None)."""
    from .emulator import CardState, EmulatorTransport, VirtualCard

    card = VirtualCard(state if state is not None else CardState.default())
    with open_transport(EmulatorTransport(card)) as session:
        yield session
