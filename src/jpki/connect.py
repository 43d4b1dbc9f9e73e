"""Finding the reader that holds the My Number card, and connecting to it.

With no reader named: the only reader with a card; if several hold cards, the one
whose card answers SELECT of the JPKI application; if still ambiguous, an error
listing them.

:func:`probe` is the one test of "is this a My Number card", used here, by
``jpkitool readers`` and by ``jpkitool doctor``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apdu import BaseTransport, NoCardError, NoReaderError, TransportError
from apdu.transport import DEFAULT_TIMEOUT, valid_timeout

from . import profile
from .card import MyNumberCard
from .errors import AmbiguousCardError
from .profile import Token

if TYPE_CHECKING:
    from apdu.pcsc import ReaderState
    from apdu.pcsctransport import PcscTransport

# ``apdu.pcsc`` and ``apdu.pcsctransport`` are imported where they are used: importing
# them loads pyscard and libpcsclite, which raises PcscLibraryError on a machine
# without them.


def card_timeout() -> float:
    """``JPKITOOL_CARD_TIMEOUT`` when it is a number of seconds from 0.1 to 3600
    (:func:`apdu.transport.valid_timeout`), else :data:`DEFAULT_TIMEOUT` (any other
    value is ignored)."""
    try:
        value = float(os.environ.get("JPKITOOL_CARD_TIMEOUT", ""))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if valid_timeout(value) else DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Probe:
    """What :func:`probe` learnt: whether the card selects the JPKI application, and
    its token kind (read only when asked, and only from a My Number card)."""

    my_number: bool
    token: Token | None = None


def probe(transport: BaseTransport, *, token: bool = False) -> Probe:
    """Whether the card selects the JPKI application (no PIN; transport errors raise);
    with ``token``, also the token kind from JPKI EF 0006."""
    card = MyNumberCard(transport)
    if not card.select_app(profile.JPKI).ok:
        return Probe(False)
    return Probe(True, card.read_token() if token else None)


def probe_reader(reader: str, *, token: bool = False, timeout: float | None = None) -> Probe:
    """:func:`probe` of the card in ``reader``, over a brief shared connection
    (``timeout``: seconds a PC/SC call may take; None: :func:`card_timeout`)."""
    from apdu.pcsctransport import PcscTransport

    # In a transaction: a reset by another program (its PIN command ending) between
    # the connect and the SELECT is then taken in stride, as by any session.
    seconds = card_timeout() if timeout is None else timeout
    with PcscTransport(reader, timeout=seconds) as transport, transport.transaction():
        return probe(transport, token=token)


def reader_states(spec: str | None = None, names: list[str] | None = None) -> list[ReaderState]:
    """Every reader's PC/SC state (card present, ATR, count of card events), read
    without connecting to a card; with ``spec``, only the state of the reader it names
    (:func:`apdu.pcsc.select_reader` among ``names``, by default the readers listed)."""
    from apdu import pcsc

    states = pcsc.reader_states()
    if spec is not None:
        chosen = pcsc.select_reader(spec, [s.name for s in states] if names is None else names)
        states = [s for s in states if s.name == chosen]
    return states


def readers_with_card(names: list[str], spec: str | None = None) -> tuple[str, ...]:
    """The readers of ``names`` that hold a card; with ``spec``, of the one it names
    only (:func:`apdu.pcsc.select_reader`)."""
    return tuple(s.name for s in reader_states(spec, names) if s.card_present)


def probe_readers(
    readers: Iterable[str], timeout: float | None = None
) -> dict[str, Probe | TransportError]:
    """:func:`probe_reader` of each reader's card: what it learnt, or the error it met."""
    found: dict[str, Probe | TransportError] = {}
    for name in readers:
        try:
            found[name] = probe_reader(name, timeout=timeout)
        except TransportError as exc:
            found[name] = exc
    return found


def my_number_readers(found: dict[str, Probe | TransportError]) -> list[str]:
    """The readers of :func:`probe_readers` whose card selects the JPKI application."""
    return [name for name, seen in found.items() if isinstance(seen, Probe) and seen.my_number]


def choose_reader(
    spec: str | None = None,
    *,
    wait: float | None = None,
    on_wait: Callable[[], None] | None = None,
    timeout: float | None = None,
) -> str:
    """The name of the reader to use (see module docstring); ``timeout`` bounds each
    probe of a card, as :class:`apdu.pcsctransport.PcscTransport` takes it."""
    from apdu import pcsc

    names = pcsc.list_readers()
    if spec is not None:
        name = pcsc.select_reader(spec, names)
        if wait:
            pcsc.wait_for_card(name, wait, on_wait)
        return name
    if not names and not wait:
        raise NoReaderError("no smart-card reader found")
    with_card = readers_with_card(names) if names else ()
    if not with_card:
        if wait:
            try:
                return pcsc.wait_for_card(None, wait, on_wait)
            except NoCardError:
                if not pcsc.list_readers():  # waited for a card with no reader at all
                    raise NoReaderError("no smart-card reader found") from None
                raise
        raise NoCardError("no card in " + ", ".join(names))
    if len(with_card) == 1:
        return with_card[0]
    mine = my_number_readers(probe_readers(with_card, timeout))
    if len(mine) == 1:
        return mine[0]
    raise AmbiguousCardError(mine or list(with_card), my_number=bool(mine))


def connect(
    reader: str | None = None,
    *,
    wait: float | None = None,
    on_wait: Callable[[], None] | None = None,
    timeout: float | None = None,
) -> PcscTransport:
    """Connect (shared) to the chosen reader's card; ``timeout`` bounds every PC/SC
    call (None: :func:`card_timeout`)."""
    from apdu.pcsctransport import PcscTransport

    name = choose_reader(reader, wait=wait, on_wait=on_wait, timeout=timeout)
    return PcscTransport(name, timeout=card_timeout() if timeout is None else timeout)
