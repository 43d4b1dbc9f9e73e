"""The virtual card as a session's card: :func:`open_virtual_card` is the opener
:func:`jpki.session.open_session` is given for ``SessionSpec.emulator`` (the core does
not import the virtual card; the entry points, :mod:`jpki.api` and the CLI, pass it).

The virtual card's state may be a state file: it is read when it exists (else the
default card is used) and written back only when the session changed the card, so
a read-only session leaves a partial file as the user wrote it, and creates none.
A session that may change the card (``may_change``) checks first that the file can
be written, so that a try is never spent on a card whose state would then be lost.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from .card import VirtualCard
from .state import CardState
from .transport import EmulatorTransport

if TYPE_CHECKING:
    from apdu import BaseTransport

    from ..session import SessionSpec


def open_virtual_card(spec: SessionSpec) -> tuple[BaseTransport, Callable[[], None]]:
    """The virtual card ``spec.emulator`` names (True: the default card; a
    :class:`CardState`, used as is; a state file's path), and what to call at the end
    (saving a state file the session changed)."""
    emulator = spec.emulator
    if isinstance(emulator, str | os.PathLike):
        state, save = state_file(emulator, writable=spec.may_change)
    elif emulator is True or isinstance(emulator, CardState):
        state, save = CardState() if emulator is True else emulator, lambda: None
    else:
        raise TypeError(f"not a virtual card: {emulator!r}")
    # The built-in card's certificates are built only when one is read (cryptography
    # costs more than --emulator retries itself); a given state's are built now, so
    # that one they cannot be made from fails before any PIN is asked.
    return EmulatorTransport(VirtualCard(state, prepare=emulator is not True)), save


def state_file(
    path: str | os.PathLike[str], *, writable: bool = False
) -> tuple[CardState, Callable[[], None]]:
    """The virtual card's state in ``path`` (the default card when there is no file),
    and a function that writes it if it changed since it was read or last written
    (see the module docstring). A bad file raises :class:`jpki.emulator.StateError`;
    a path no state file can be written to (a link to nothing, no folder) and, with
    ``writable``, an existing file that could not be replaced (read-only, in a folder
    that cannot be written) :class:`apdu.outfile.OutputError`."""
    from pathlib import Path  # here: pathlib costs ~5 ms at start, and a reader needs none

    from apdu.outfile import check

    from .statefile import dumps, load_state, save_state

    file = Path(path)
    exists = file.exists()
    state = load_state(file) if exists else CardState()  # (no device, FIFO, folder)
    if writable or not exists:
        check(file, streams=False, overwrite=exists)
    saved = dumps(state)

    def save() -> None:
        nonlocal saved
        now = dumps(state)
        if now != saved:
            save_state(state, file)
            saved = now

    return state, save
