"""Plain-text tables whose columns line up with Japanese (full-width) text."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    """Display width in terminal cells (East Asian wide and full-width count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, cells: int) -> str:
    return text + " " * max(0, cells - width(text))


def render(header: Sequence[str], rows: Sequence[Sequence[str]], gap: int = 2) -> list[str]:
    """Lines of a left-aligned table, header first."""
    all_rows = [list(header), *[list(r) for r in rows]]
    cols = max(len(r) for r in all_rows)
    widths = [max(width(r[i]) for r in all_rows if i < len(r)) for i in range(cols)]
    lines = []
    for row in all_rows:
        cells = [pad(cell, widths[i]) for i, cell in enumerate(row)]
        lines.append((" " * gap).join(cells).rstrip())
    return lines
