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

from apdu import ApduError, BaseTransport

from .card import MyNumberCard
from .errors import JpkiError, as_jpki_error

if TYPE_CHECKING:
    from .emulator import CardState


@contextlib.contextmanager
def closing(transport: BaseTransport) -> Iterator[None]:
    """Close ``transport`` at the end; after a failure, an error of the closing itself
    (a replay's left-over exchanges) does not hide the one that happened first."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(ApduError):
            transport.close()
        raise
    transport.close()


@contextlib.contextmanager
def jpki_errors() -> Iterator[None]:
    """Inside the block, an :mod:`apdu` error comes out as a :class:`jpki.ReaderError`
    (still an instance of its own class): everything the library raises is a
    :class:`jpki.JpkiError`."""
    try:
        yield
    except ApduError as exc:
        if isinstance(exc, JpkiError):
            raise
        raise as_jpki_error(exc) from exc


@contextlib.contextmanager
def open_card(reader: str | None = None, *, wait: float | None = None) -> Iterator[MyNumberCard]:
    """A session with the My Number card in ``reader`` (found automatically when None),
    in one PC/SC transaction. Everything it and the operations inside raise is a
    :class:`jpki.JpkiError`."""
    from .connect import connect

    with jpki_errors():
        transport = connect(reader, wait=wait)
        with closing(transport), transport.transaction():
            yield MyNumberCard(transport)


@contextlib.contextmanager
def open_transport(transport: BaseTransport) -> Iterator[MyNumberCard]:
    """A session over any transport (a replay, a scripted card in tests, ...)."""
    with jpki_errors(), closing(transport):
        yield MyNumberCard(transport)


@contextlib.contextmanager
def open_emulator(state: CardState | None = None) -> Iterator[MyNumberCard]:
    """A session with the built-in virtual card (defaults when ``state`` is None)."""
    from .emulator import CardState, EmulatorTransport, VirtualCard

    card = VirtualCard(state if state is not None else CardState.default())
    with open_transport(EmulatorTransport(card)) as session:
        yield session
