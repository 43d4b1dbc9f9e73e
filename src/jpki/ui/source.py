"""What the page shows of the card: every PIN's tries left, or what ``doctor`` says.

The page is the library's second client: it reads the counts with
:func:`jpki.retries.read_retries`, in a session opened by :func:`jpki.api.open_spec`
from the CLI's :class:`jpki.session.SessionSpec`, as ``jpkitool retries`` does, so no
try is ever spent. When the card cannot be read (no pcscd, no reader, no card, not a
My Number card), the diagnosis of :mod:`jpki.diagnosis` says which link is missing.
One card operation at a time: a page loaded twice waits for the first to finish.
Between two readings the page's script looks at the readers (:mod:`jpki.ui.live`),
without the card.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..api import open_spec
from ..diagnosis import Diagnosis, diagnose, diagnose_transport
from ..errors import JpkiError
from ..retries import RetriesReport, read_retries
from ..session import SessionSpec
from . import live

#: What a look at the card found: the counts, or why there are none (the diagnosis;
#: the error itself when even the diagnosis failed, a reader named that is not there).
Reading = RetriesReport | Diagnosis | JpkiError


@dataclass
class CardSource:
    """Reads the card afresh for every page; ``look`` tells the readers' state
    (:func:`jpki.ui.live.status`: no card session, no lock). Tests give the three, else
    :func:`from_spec` makes them."""

    read_counts: Callable[[], RetriesReport]
    find_fault: Callable[[], Diagnosis]
    look: Callable[[], dict[str, Any]] = field(default=lambda: live.VIRTUAL)

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

    if spec.uses_emulator or spec.replay is not None:
        return CardSource(read_counts, find_fault)
    return CardSource(read_counts, find_fault, lambda: live.status(spec.reader))
