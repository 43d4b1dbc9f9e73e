"""The library entry points: open a card, then read from it.

Example::

    import jpki

    with jpki.open_card() as card:          # or jpki.open_emulator()
        report = jpki.read_retries(card)
    for pin in report.pins:
        print(pin.id, pin.remaining, pin.max_tries, pin.state)

``open_card`` builds its session with :func:`jpki.session.open_session`, as the CLI does.
This module and the CLI are the entry points: the only modules outside the virtual
card's package (:mod:`jpki.emulator`) that import it (:func:`virtual_card_opener`), a
contract of ``pyproject.toml``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from apdu import BaseTransport

from .card import MyNumberCard
from .errors import jpki_errors
from .session import EmulatorOpener, SessionSpec, closing, open_session

if TYPE_CHECKING:
    from .emulator import CardState


def virtual_card_opener(spec: SessionSpec) -> EmulatorOpener | None:
    """What :func:`jpki.session.open_session` opens ``spec``'s virtual card with; None
    (the virtual card not imported) when ``spec`` names none."""
    if not spec.uses_emulator:
        return None
    from .emulator.session import open_virtual_card

    return open_virtual_card


@contextlib.contextmanager
def open_card(
    reader: str | None = None,
    *,
    wait: float | None = None,
    on_wait: Callable[[], None] | None = None,
    timeout: float | None = None,
    emulator: bool | CardState | str | os.PathLike[str] = False,
    replay: str | os.PathLike[str] | None = None,
    record: str | os.PathLike[str] | None = None,
    trace: bool | TextIO = False,
    transaction: bool = True,
) -> Iterator[MyNumberCard]:
    """A session with the My Number card in ``reader`` (found automatically when None),
    in one PC/SC transaction (unless ``transaction`` is False). Everything it and the
    operations inside raise is a :class:`jpki.JpkiError`, except :class:`ValueError`
    for conflicting options and :class:`jpki.emulator.StateError` (a ValueError) for
    a bad state file.

    The options are those of :class:`jpki.session.SessionSpec`: ``timeout`` (seconds
    a PC/SC call may take; default 20 or ``JPKITOOL_CARD_TIMEOUT``), ``emulator`` (True,
    a CardState, or a state file saved back only when changed), ``replay``,
    ``record``, ``trace``, ``transaction``.
    """
    spec = SessionSpec(
        reader=reader,
        wait=wait,
        on_wait=on_wait,
        timeout=timeout,
        emulator=emulator,
        replay=replay,
        record=record,
        trace=trace,
        transaction=transaction,
    )
    with open_spec(spec) as card:
        yield card


@contextlib.contextmanager
def open_spec(spec: SessionSpec) -> Iterator[MyNumberCard]:
    """The session :func:`open_card` opens, from a :class:`jpki.session.SessionSpec`
    already built (the local page opens the command line's)."""
    with jpki_errors(), open_session(spec, virtual_card_opener(spec)) as transport:
        card = MyNumberCard(transport)
        try:
            yield card
        finally:  # a PIN command the caller's code broke off leaves no key verified
            card.unpower_if_pending()


@contextlib.contextmanager
def open_transport(transport: BaseTransport) -> Iterator[MyNumberCard]:
    """A session over any transport (a replay, a scripted card in tests, ...)."""
    with jpki_errors(), closing(transport):
        card = MyNumberCard(transport)
        try:
            yield card
        finally:
            card.unpower_if_pending()


@contextlib.contextmanager
def open_emulator(
    state: CardState | Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> Iterator[MyNumberCard]:
    """A session with the built-in virtual card: the default card when ``state`` is
    None; a :class:`jpki.emulator.CardState` used as is (changes visible to the
    caller); a state document, the dict a state file holds (docs/emulator.md; may be
    partial, checked as a state file is); or the path of a state file, saved back
    only when the card changed (as ``open_card(emulator=path)``). A bad document or
    file raises :class:`jpki.emulator.StateError` (a ValueError)."""
    emulator: bool | CardState | str | os.PathLike[str]
    if state is None:
        emulator = True
    elif isinstance(state, str | os.PathLike):
        emulator = state
    else:
        from .emulator import CardState
        from .emulator.statefile import parse

        # A mapping as the dict a state file's JSON gives.
        plain = dict(state) if isinstance(state, Mapping) else state
        emulator = state if isinstance(state, CardState) else parse(plain)
    with open_card(emulator=emulator, transaction=False) as card:
        yield card
