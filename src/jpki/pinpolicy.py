"""Checks on a NEW PIN value for ``change-pin``, made before any byte reaches the card.

The value is first normalised with ``pin.format.normalise`` (① is upper-cased) and
checked with ``pin.format.valid``. An invalid value has no weakness and is not
date-like. A valid value may have one weakness (refused unless ``--allow-weak``)
and may be date-like (accepted with a warning).

Rules for the 4-digit PINs ②③④:

- REPEATED: one digit four times (``1111``).
- SEQUENCE: every step is +1 (mod 10), or every step is −1 (mod 10):
  ``1234``, ``0123``, ``7890``, ``8901``, ``9876``, ``3210``, ``0987``.
- PATTERN: a 2-digit unit twice (``1212``, ``0101``, ``2020``).
- Nothing else is weak: ``1235``, ``1357``, ``2468``, ``2580`` (keypad column) pass.
- Date-like: MMDD that is a calendar date (Feb 29 allowed), YYYY in 1900–2099,
  or YYMM with MM in 01–12.

Rules for the sign password ①, applied to the upper-cased value:

- REPEATED: all characters but at most one are the same (``AAAAA1``, ``111111A``).
- SEQUENCE and KEYBOARD: each pair of neighbouring characters is a step.
  A step is continuous when both are digits differing by 0 or ±1 (mod 10),
  or both are letters differing by 0 or ±1 (no wrap from Z to A).
  Otherwise it is continuous when the two are neighbours on one keyboard row
  (``1234567890``, ``QWERTYUIOP``, ``ASDFGHJKL``, ``ZXCVBNM``) or in one keyboard
  column (``1QAZ``, ``2WSX``, ``3EDC``, ``4RFV``, ``5TGB``, ``6YHN``, ``7UJM``,
  ``8IK``, ``9OL``, ``0P``); a column step may join a digit and a letter.
  Every other step is a break, so a letter–digit change is a break outside columns.
  At most one break makes the value weak: KEYBOARD if a keyboard step was
  needed, else SEQUENCE. ``ABC123``, ``A12345``, ``123ABC`` are SEQUENCE;
  ``QWERTY1``, ``ASDF12``, ``1QAZ2WSX`` are KEYBOARD.
- PATTERN: the value is a shorter unit repeated at least twice (``AB12AB12``,
  ``A1A1A1``). Interleaved runs that are not a repeated unit (``A1B2C3``) pass.
- COMMON_WORD: the letters of the value, in order, are exactly one of
  :data:`COMMON_WORDS` (``PASSWORD1``, ``PASS1WORD2``). No leetspeak mapping.
- Date-like: six consecutive digits read as YYMMDD with a real month and day
  (Feb 29 allowed, any YY). A YYYYMMDD date ends in such six digits, so it is covered.

When several weaknesses apply the first in REPEATED, SEQUENCE, KEYBOARD, PATTERN,
COMMON_WORD order is reported.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from jpki import keyformats, profile


class Weakness(StrEnum):
    """Why a new PIN value is refused; the values are stable codes."""

    REPEATED = "repeated"
    SEQUENCE = "sequence"
    KEYBOARD = "keyboard"
    PATTERN = "pattern"
    COMMON_WORD = "common-word"


@dataclass(frozen=True)
class NewPinCheck:
    """The outcome of :func:`check_new_pin`."""

    valid: bool
    weakness: Weakness | None
    date_like: bool


#: Words whose letters, in order, make a ① value COMMON_WORD.
COMMON_WORDS: frozenset[str] = frozenset(
    {
        "PASSWORD",
        "PASSWD",
        "PASS",
        "QWERTY",
        "MYNUMBER",
        "MYNA",
        "JPKI",
        "ADMIN",
        "LETMEIN",
        "WELCOME",
    }
)

_KEY_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
_KEY_COLUMNS = ("1QAZ", "2WSX", "3EDC", "4RFV", "5TGB", "6YHN", "7UJM", "8IK", "9OL", "0P")
_KEY_NEIGHBOURS: frozenset[tuple[str, str]] = frozenset(
    pair
    for line in _KEY_ROWS + _KEY_COLUMNS
    for a, b in pairwise(line)
    for pair in ((a, b), (b, a))
)

_DIGITS = frozenset("0123456789")
#: Days per month, February in a leap year.
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SIX_DIGITS = re.compile(r"(?=([0-9]{6}))")

_SEQ = "seq"
_KEY = "key"
_BREAK = "break"


def check_new_pin(pin: profile.Pin, value: str) -> NewPinCheck:
    """Check a new value for ①-④; raises ValueError for a PIN of another format."""
    fmt = pin.format
    if fmt not in (keyformats.DIGITS4, keyformats.SIGN_PASSWORD):
        raise ValueError(f"no new-PIN policy for format {fmt.id!r}")
    value = fmt.normalise(value)
    if not fmt.valid(value):
        return NewPinCheck(valid=False, weakness=None, date_like=False)
    if fmt == keyformats.DIGITS4:
        return NewPinCheck(True, _digits4_weakness(value), _digits4_date_like(value))
    return NewPinCheck(True, _password_weakness(value), _password_date_like(value))


def _is_month_day(mm: int, dd: int) -> bool:
    return 1 <= mm <= 12 and 1 <= dd <= _DAYS_IN_MONTH[mm - 1]


def _is_repeated_unit(value: str) -> bool:
    """True when ``value`` is a shorter unit repeated at least twice."""
    return value in (value + value)[1:-1]


def _digits4_weakness(value: str) -> Weakness | None:
    if len(set(value)) == 1:
        return Weakness.REPEATED
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(value)}
    if steps in ({1}, {9}):
        return Weakness.SEQUENCE
    if _is_repeated_unit(value):
        return Weakness.PATTERN
    return None


def _digits4_date_like(value: str) -> bool:
    hi, lo = int(value[:2]), int(value[2:])
    return _is_month_day(hi, lo) or 1900 <= int(value) <= 2099 or 1 <= lo <= 12


def _step(a: str, b: str) -> str:
    """How two neighbouring characters of a ① value follow: sequence, keyboard or break."""
    a_digit, b_digit = a in _DIGITS, b in _DIGITS
    if a_digit and b_digit:
        if (int(b) - int(a)) % 10 in (0, 1, 9):
            return _SEQ
    elif not a_digit and not b_digit and abs(ord(b) - ord(a)) <= 1:
        return _SEQ
    if (a, b) in _KEY_NEIGHBOURS:
        return _KEY
    return _BREAK


def _password_weakness(value: str) -> Weakness | None:
    if Counter(value).most_common(1)[0][1] >= len(value) - 1:
        return Weakness.REPEATED
    steps = [_step(a, b) for a, b in pairwise(value)]
    if steps.count(_BREAK) <= 1:
        return Weakness.KEYBOARD if _KEY in steps else Weakness.SEQUENCE
    if _is_repeated_unit(value):
        return Weakness.PATTERN
    if "".join(c for c in value if c not in _DIGITS) in COMMON_WORDS:
        return Weakness.COMMON_WORD
    return None


def _password_date_like(value: str) -> bool:
    return any(
        _is_month_day(int(m.group(1)[2:4]), int(m.group(1)[4:6]))
        for m in _SIX_DIGITS.finditer(value)
    )
