"""Plain-text tables whose columns line up with Japanese (full-width) text."""

from __future__ import annotations

from collections.abc import Sequence

from .wrap import width, wrap_cells


def pad(text: str, cells: int) -> str:
    return text + " " * max(0, cells - width(text))


def fit(widths: Sequence[int], floors: Sequence[int], room: int) -> list[int]:
    """Column widths within ``room`` cells: the widest column gives up cells first,
    none below its floor (its header). Unchanged when they already fit."""
    out = list(widths)
    while sum(out) > room:
        shrinkable = [i for i, w in enumerate(out) if w > floors[i]]
        if not shrinkable:
            break
        i = max(shrinkable, key=lambda j: out[j])
        others = sorted((w for j, w in enumerate(out) if j != i), reverse=True)
        target = max(floors[i], others[0] if others else 0, out[i] - (sum(out) - room))
        out[i] = target if target < out[i] else out[i] - 1
    return out


def render(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    gap: int = 2,
    limit: int | None = None,
) -> list[str]:
    """Lines of a left-aligned table, header first. With ``limit``, cells too wide
    for it wrap within their column (by display width, words kept whole)."""
    all_rows = [list(header), *[list(r) for r in rows]]
    cols = max(len(r) for r in all_rows)
    widths = [max(width(r[i]) for r in all_rows if i < len(r)) for i in range(cols)]
    if limit is not None:
        floors = [width(header[i]) if i < len(header) else 1 for i in range(cols)]
        widths = fit(widths, floors, limit - gap * (cols - 1))
    lines = []
    for row in all_rows:
        cells = [
            wrap_cells(cell, widths[i]).splitlines() or [""] if width(cell) > widths[i] else [cell]
            for i, cell in enumerate(row)
        ]
        for n in range(max(len(c) for c in cells)):
            parts = [pad(c[n] if n < len(c) else "", widths[i]) for i, c in enumerate(cells)]
            lines.append((" " * gap).join(parts).rstrip())
    return lines
