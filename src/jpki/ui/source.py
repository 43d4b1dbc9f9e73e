"""What the page shows of the card: every PIN's tries left, or what ``doctor`` says.

The page is the library's second client: it reads the counts with
:func:`jpki.retries.read_retries`, in a session opened by :func:`jpki.api.open_spec`
from the CLI's :class:`jpki.session.SessionSpec`, as ``jpkitool retries`` does, so no
try is ever spent. When the card cannot be read (no pcscd, no reader, no card, not a
My Number card), the diagnosis of :mod:`jpki.diagnosis` says which link is missing.
One card operation at a time: a page loaded twice waits for the first to finish, and a
PIN check or change (:mod:`jpki.ui.pins`) takes the same lock for its session.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

from ..api import open_spec
from ..card import MyNumberCard
from ..diagnosis import Diagnosis, diagnose, diagnose_transport
from ..errors import JpkiError
from ..retries import RetriesReport, read_retries
from ..session import SessionSpec

#: What a look at the card found: the counts, or why there are none (the diagnosis;
#: the error itself when even the diagnosis failed, a reader named that is not there).
Reading = RetriesReport | Diagnosis | JpkiError


@dataclass
class CardSource:
    """Reads the card afresh for every page; ``read`` and ``diagnose`` may be given
    (tests), else they come from ``spec``."""

    read_counts: Callable[[], RetriesReport]
    find_fault: Callable[[], Diagnosis]
    #: Opens a session for a PIN command (no transaction of its own: the command opens
    #: its own, as ``verify-pin`` and ``change-pin`` do).
    open_pin_session: Callable[[], AbstractContextManager[MyNumberCard]] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def read(self) -> Reading:
        with self._lock:
            try:
                return self.read_counts()
            except JpkiError:
                pass
            try:
                return self.find_fault()
            except JpkiError as exc:
                return exc

    @contextlib.contextmanager
    def pin_session(self) -> Iterator[MyNumberCard]:
        """The card for a PIN check or change, held under the readings' lock."""
        if self.open_pin_session is None:
            raise RuntimeError("this card source has no PIN session")
        with self._lock, self.open_pin_session() as card:
            yield card


def from_spec(spec: SessionSpec) -> CardSource:
    """The card ``spec`` names (a reader, the virtual card), as the CLI opens it."""

    def read_counts() -> RetriesReport:
        with open_spec(spec) as card:
            return read_retries(card)

    def find_fault() -> Diagnosis:
        if spec.uses_emulator or spec.replay is not None:
            with open_spec(spec) as card:
                return diagnose_transport(card.transport)
        return diagnose(spec.reader, spec.timeout)

    pin_spec = replace(spec, transaction=False, may_change=True)
    return CardSource(read_counts, find_fault, lambda: open_spec(pin_spec))
