"""One-time ids for the PIN forms and their results (:mod:`jpki.ui.pins`).

A PIN form carries a fresh id from :data:`secrets`; its POST takes the id, so the same
body sent again (a reload, Back then Reload) is refused before the card is touched.
A result is kept under another fresh id for one GET (Post/Redirect/Get), so no
history entry is a POST with PIN values. Both are small and bounded: the oldest go
first. A result holds the rendered page only, never a PIN value.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

#: How many ids are kept at most: forms opened and not sent, results not yet shown.
LIMIT = 32


class OneTime:
    """Ids issued by :meth:`issue`, each with a value, and each taken at most once."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.held: OrderedDict[str, str] = OrderedDict()
        self.lock = threading.Lock()  # results are kept from a worker thread

    def issue(self, value: str = "") -> str:
        """A new id for ``value``; the oldest is forgotten past the limit."""
        key = secrets.token_urlsafe(16)
        with self.lock:
            self.held[key] = value
            while len(self.held) > self.limit:
                self.held.popitem(last=False)
        return key

    def take(self, key: str) -> str | None:
        """The value of ``key``, which is then forgotten; None if unknown or taken."""
        with self.lock:
            return self.held.pop(key, None)
