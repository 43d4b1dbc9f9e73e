"""Display width in terminal cells, which tables (:mod:`.table`) and wrapping
(:mod:`.wrap`) both measure text by: Japanese (full-width) characters take two."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Display width in terminal cells (East Asian wide and full-width count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
