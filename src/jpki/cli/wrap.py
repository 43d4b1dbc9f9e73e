"""Wrapping text by display width: Japanese (full-width) characters take two terminal
cells; English breaks at spaces. click wraps by character count, which lets Japanese help
spill past the terminal; :class:`CellFormatter` is click's formatter with this wrapping.

Where a line may break, best first: after 。、 (and the like); at a space (but
not after a number, ``4 暗証番号のロック``, nor before a particle, ``--force を付けて``,
and never inside a command, ``jpkitool retries``); before an opening or after a
closing bracket, and where a particle ends a word (``暗証番号を|変更``); then between
other wide characters, and last inside a word of one script (``確か|め``). A wide
character and a narrow one are never parted (``共通カードAP``, ``ICカード`` stay
whole), and in an English sentence a Japanese name is one word. Of the breaks that
fit, the best one that leaves the line full enough (:data:`SLACK`) is taken, else the
best in the line's second half, else the last that fits.
"""

from __future__ import annotations

import os
import shutil
import sys
import unicodedata
from collections.abc import Iterable, Iterator

import click

#: No line starts with these (JIS X 4051 line-start prohibition, the common subset).
NO_LINE_START = frozenset("、。，．・：；？！ー）」』】〕〉》”’)]},.:;!?")
#: No line ends with these.
NO_LINE_END = frozenset("（「『【〔〈《“‘([{")
#: A line may well end after these.
SENTENCE_END = frozenset("、。，．！？")
CLOSING = frozenset("）」』】〕〉》”’")

#: Unicode name prefixes of the scripts a Japanese word is made of.
SCRIPTS = (
    ("HIRAGANA", "hiragana"),
    ("KATAKANA", "katakana"),
    ("HALFWIDTH KATAKANA", "katakana"),
    ("CJK UNIFIED IDEOGRAPH", "kanji"),
)

#: Hiragana that ends a word: particles (を, には, から), and て, ば of a verb's form.
PARTICLE_END = frozenset("をにはがでとのもへやかてばら")

#: How good a break is (higher is better).
AFTER_PUNCTUATION = 4
SPACE = 3
BETWEEN_WORDS = 2
BETWEEN_WIDE = 1
INSIDE_WORD = 0
#: Taken only where nothing else fits: inside a command (``jpkitool retries``).
NEVER = -1
#: How much of the line a break may leave empty to be preferred to a later, worse one:
#: a share of the line, or a number of cells, whichever is more (never over half).
SLACK = {
    AFTER_PUNCTUATION: (0.3, 16),
    SPACE: (0.4, 0),
    BETWEEN_WORDS: (0.0, 20),
    BETWEEN_WIDE: (0.0, 10),
}


def width(text: str) -> int:
    """Display width in terminal cells (East Asian wide and full-width count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _slack(rank: int, limit: int) -> float:
    share, cells = SLACK.get(rank, (0.0, 0))
    return min(max(share * limit, cells), limit / 2)


def _wide(ch: str) -> bool:
    return width(ch) == 2


def _script(ch: str) -> str:
    """``hiragana``, ``katakana``, ``kanji`` or ``other`` (by the character's name)."""
    name = unicodedata.name(ch, "")
    for prefix, script in SCRIPTS:
        if name.startswith(prefix):
            return script
    return "kanji" if ch in "々〆" else "other"


def _rank(before: str, after: str) -> int:
    """How good a break is between the characters ``before`` and ``after`` (no space)."""
    if before in SENTENCE_END:
        return AFTER_PUNCTUATION
    if before in CLOSING or after in NO_LINE_END:
        return BETWEEN_WORDS
    a, b = _script(before), _script(after)
    if a == "hiragana" and b != "hiragana":  # 置き|換え is no break between words
        return BETWEEN_WORDS if before in PARTICLE_END else BETWEEN_WIDE
    if a == b and a != "other":  # 確か|め, マイナ|ンバー, かど|うか
        return INSIDE_WORD
    return BETWEEN_WIDE


def _pieces(word: str, japanese: bool) -> list[str]:
    """A whitespace-free word cut where a line may break: after 、。 and closing
    brackets, between wide characters (in Japanese text); never before closing or after
    opening punctuation, never between a wide and a narrow character."""
    out = [word[0]]
    for ch in word[1:]:
        before = out[-1][-1]
        breakable = before in SENTENCE_END | CLOSING or (  # 、 then a name: retries、info
            japanese and _wide(ch) and (_wide(before) or ch in NO_LINE_END)
        )
        if ch in NO_LINE_START or before in NO_LINE_END or not breakable:
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _is_japanese(text: str) -> bool:
    """Japanese text, as opposed to English with Japanese names in it."""
    wide = sum(1 for ch in text if _wide(ch))
    return wide > sum(1 for ch in text if ch.isascii() and ch.isalpha())


#: A breakable piece: its text, whether a space comes before it, and how good a break
#: before it is.
Token = tuple[str, bool, int]


def _tokens(paragraph: str) -> Iterator[Token]:
    """Every breakable piece of ``paragraph``."""
    japanese = _is_japanese(paragraph)
    last = ""  # the piece before
    for word in paragraph.split():
        for i, piece in enumerate(_pieces(word, japanese)):
            if i:
                yield piece, False, _rank(last[-1], piece[0])
            elif last == "jpkitool":  # a command to type stays whole
                yield piece, True, NEVER
            elif japanese and (last.isdigit() or _script(piece[0]) == "hiragana"):
                yield piece, True, BETWEEN_WIDE  # 4 暗証番号, --force を付けて
            else:
                yield piece, True, SPACE
            last = piece


def wrap_cells(text: str, limit: int, initial_indent: str = "", subsequent_indent: str = "") -> str:
    """``text`` wrapped to ``limit`` cells per line, paragraphs (blank lines) kept."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    indents = [initial_indent] + [subsequent_indent] * len(paragraphs)
    return "\n\n".join(
        "\n".join(_fill(_tokens(p), limit, first, subsequent_indent))
        for p, first in zip(paragraphs, indents, strict=False)
    )


def _join(indent: str, tokens: list[Token]) -> str:
    return indent + "".join(
        (" " if space and i else "") + piece for i, (piece, space, _) in enumerate(tokens)
    )


def _break_at(indent: str, line: list[Token], limit: int) -> int:
    """Where to end ``line`` (too wide): the best break that fits, in the line's last
    part if it has one there; the first break when none fits."""
    breaks = [k for k in range(1, len(line)) if line[k][2] > NEVER]
    room = {k: limit - width(_join(indent, line[:k])) for k in breaks}
    fits = [k for k in breaks if room[k] >= 0]
    if not fits:
        return breaks[0] if breaks else 1
    full = [k for k in fits if room[k] <= _slack(line[k][2], limit)]
    full = full or [k for k in fits if room[k] <= limit / 2]  # else in the line's second half
    return max(full, key=lambda k: (line[k][2], k)) if full else fits[-1]


def _fill(tokens: Iterable[Token], limit: int, first: str, rest: str) -> list[str]:
    lines: list[str] = []
    indent, line = first, []
    for token in tokens:
        line.append(token)
        while len(line) > 1 and width(_join(indent, line)) > limit:
            k = _break_at(indent, line, limit)
            lines.append(_join(indent, line[:k]).rstrip())
            indent, line = rest, line[k:]
    lines.append(_join(indent, line).rstrip())
    return lines


def output_width(err: bool = False) -> int | None:
    """Cells per line for text output (``err``: on stderr): ``COLUMNS`` when set, else
    the terminal's width when the stream is one; None (no wrapping) for a pipe or a file."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if (sys.stderr if err else sys.stdout).isatty():
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


def echo(text: str, err: bool = False) -> None:
    """``text`` on stdout (or stderr), long lines wrapped as :func:`output_width` says."""
    click.echo(wrap_lines(text, output_width(err)), err=err)


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
