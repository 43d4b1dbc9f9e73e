"""The page's live view of the readers: ``GET /status``, polled by ``static/live.js``.

The status is what PC/SC's reader states say (:func:`jpki.connect.reader_states`):
each reader, whether it holds a card, the card's ATR, the reader's count of cards
inserted and removed, and whether a program holds the card exclusively (what makes a
reading fail as busy); or which of ``doctor``'s first links is missing (``service``,
``reader``, ``card``). No card is connected and no APDU is sent, so a look never
spends anything, never takes the card lock of :class:`jpki.ui.source.CardSource`, and
goes on beside a PIN operation's session. The script compares each answer with the
one before: when it differs, it loads the page again, and the card is read then, once.

A reader merely in use (shared) is left out: the page's own readings, which share
the card, change it, and the script would read the card again after each of its own
readings. The in-process
virtual card (``--emulator``) cannot be removed: its status is :data:`VIRTUAL`.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from apdu import NoReaderError, TransportError

from .. import connect
from ..i18n import t

#: The status of the in-process virtual card, which is never removed.
VIRTUAL: dict[str, Any] = {"missing": None, "cards": 1, "readers": [], "virtual": True}

#: The sentences the script shows in the live region, by the name of their data
#: attribute (``data-removed``...), from the catalogue key ``ui.live.NAME``.
SENTENCES = ("removed", "inserted", "changed", "held")


def missing(link: str) -> dict[str, Any]:
    return {"missing": link, "cards": 0, "readers": []}


def status(reader: str | None = None) -> dict[str, Any]:
    """The readers and cards now (only the reader ``reader`` names, when given)."""
    try:
        states = connect.reader_states(reader)
    except NoReaderError:  # the one named is not there (several match: also none chosen)
        return missing("reader")
    except TransportError:  # no pcscd, no PC/SC library, access refused
        return missing("service")
    if not states:
        return missing("reader")
    readers = [
        {
            "name": s.name,
            "card": s.card_present,
            "atr": s.atr.hex().upper(),
            "events": s.events,
            "exclusive": s.exclusive,
        }
        for s in states
    ]
    cards = sum(s.card_present for s in states)
    return {"missing": None if cards else "card", "cards": cards, "readers": readers}


def region(lang: str, seen: dict[str, Any] | None = None) -> str:
    """The ``aria-live`` region where the script says what changed: empty (and hidden)
    until then; its sentences wait in data attributes, in the page's language, and
    ``data-seen`` holds the status looked at before the page's reading, which the
    script's first look is compared with (without it, the first look is the start)."""
    keys = {name: f"ui.live.{name}" for name in SENTENCES} | {"stopped": "ui.stopped"}
    data = "".join(f' data-{name}="{escape(t(key, lang))}"' for name, key in keys.items())
    if seen is not None:
        data += f' data-seen="{escape(json.dumps(seen, ensure_ascii=False))}"'
    return f'<p id="live" class="live" role="status" aria-live="polite"{data}></p>\n'
