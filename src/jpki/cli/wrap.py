"""Wrapping text by display width: Japanese (full-width) characters take two terminal
cells and may break between any two of them; English breaks at spaces. click wraps by
character count, which lets Japanese help spill past the terminal; :class:`CellFormatter`
is click's formatter with this wrapping.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable, Iterator

import click

from .table import width

#: No line starts with these (JIS X 4051 line-start prohibition, the common subset).
NO_LINE_START = frozenset("、。，．・：；？！ー）」』】〕〉》”’)]},.:;!?")
#: No line ends with these.
NO_LINE_END = frozenset("（「『【〔〈《“‘([{")


def _wide(ch: str) -> bool:
    return width(ch) == 2


def _pieces(word: str) -> list[str]:
    """A whitespace-free word cut where a line may break: between wide characters,
    never before closing or after opening punctuation."""
    out: list[str] = []
    for ch in word:
        glue = bool(out) and (
            ch in NO_LINE_START
            or out[-1][-1] in NO_LINE_END
            or not (_wide(ch) or _wide(out[-1][-1]))
        )
        if glue:
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _tokens(paragraph: str) -> Iterator[tuple[str, bool]]:
    """``(piece, space_before)`` for every breakable piece of ``paragraph``."""
    for word in paragraph.split():
        for i, piece in enumerate(_pieces(word)):
            yield piece, i == 0


def wrap_cells(text: str, limit: int, initial_indent: str = "", subsequent_indent: str = "") -> str:
    """``text`` wrapped to ``limit`` cells per line, paragraphs (blank lines) kept."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    out: list[str] = []
    for n, paragraph in enumerate(paragraphs):
        out.extend(_fill(_tokens(paragraph), limit, initial_indent if n == 0 else
                         subsequent_indent, subsequent_indent))  # fmt: skip
        if n < len(paragraphs) - 1:
            out.append("")
    return "\n".join(out)


def _fill(tokens: Iterable[tuple[str, bool]], limit: int, first: str, rest: str) -> list[str]:
    lines: list[str] = []
    line, empty = first, True
    for piece, space in tokens:
        add = (" " if space and not empty else "") + piece
        if not empty and width(line + add) > limit:
            lines.append(line.rstrip())
            line, empty = rest + piece, False
        else:
            line, empty = line + add, False
    lines.append(line.rstrip())
    return lines


def output_width() -> int | None:
    """Cells per line for text output: ``COLUMNS`` when set, else the terminal's width
    when stdout is one; None (no wrapping) for a pipe or a file."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if sys.stdout.isatty():
            return shutil.get_terminal_size().columns
    except (AttributeError, ValueError, OSError):
        pass
    return None


def wrap_lines(text: str, limit: int | None) -> str:
    """Each line of ``text`` wider than ``limit`` wrapped by display width; the
    continuation lines hang two cells under the line's own indent."""
    if limit is None:
        return text
    out = []
    for line in text.split("\n"):
        if width(line) <= limit:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        out.append(wrap_cells(line.strip(), limit, indent, indent + "  "))
    return "\n".join(out)


class CellFormatter(click.HelpFormatter):
    """click's help formatter, wrapping by display width."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write(wrap_cells(text, self.width, indent, indent))
        self.write("\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first_col = min(max((width(a) for a, _ in rows), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        hang = " " * (first_col + self.current_indent)
        text_width = max(self.width - first_col - 2, 10)
        for term, text in rows:
            self.write(f"{indent}{term}")
            if not text:
                self.write("\n")
                continue
            if width(term) <= first_col - col_spacing:
                self.write(" " * (first_col - width(term)))
            else:
                self.write("\n" + hang)
            lines = wrap_cells(text, text_width).splitlines() or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write((hang + line).rstrip() + "\n")


class CellContext(click.Context):
    formatter_class = CellFormatter
