"""The card's facts, continued from :mod:`jpki.profile`: what values its keys take and
how a key's value is changed.

:class:`PinFormat` and the formats (① 's password, the digit PINs, the 照合番号) say
what a value must look like, checked before any byte reaches the card; :class:`Change`
is the command that changes a key's value after VERIFY. Each :class:`jpki.profile.PinSlot`
of the table names one of each; sources as in ``docs/card.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Change(Enum):
    """How a key's value is changed after VERIFY: CLA, INS and P1 of the command, whose
    P2 names the key (``80``: the current EF) and whose data is the new value only."""

    CHANGE_REFERENCE_DATA = (0x00, 0x24, 0x01)  # ①②④ (myna-rs, myna-go, myna-card)
    JICSAP_CHANGE_KEY = (0x80, 0x32, 0x00)  # ③ (myna-card only)
    NONE = (0, 0, 0)  # no command changes the key

    def __init__(self, cla: int, ins: int, p1: int) -> None:
        self.cla = cla
        self.ins = ins
        self.p1 = p1

    @property
    def experimental(self) -> bool:
        """Rests on one public source never seen run on a card: JICSAP CHANGE KEY, sent
        by myna-card alone and only in its mock tests (docs/card.md §7). ③ is changed at
        the municipal office; jpkitool sends it only when asked to (``experimental``)."""
        return self is Change.JICSAP_CHANGE_KEY


@dataclass(frozen=True)
class PinFormat:
    """What values a key accepts, checked before any byte reaches the card."""

    id: str
    pattern: str
    min_len: int
    max_len: int
    upper: bool = False

    def normalise(self, value: str) -> str:
        """The value as sent (① is upper-cased: J-LIS takes lower case as upper)."""
        return value.upper() if self.upper else value

    def valid(self, value: str) -> bool:
        """Whether ``value`` fits; non-ASCII is refused before upper-casing (``ß`` would
        otherwise become ``SS``)."""
        if not value.isascii():
            return False
        value = self.normalise(value)
        return bool(re.fullmatch(self.pattern, value)) and (
            self.min_len <= len(value) <= self.max_len
        )


DIGITS4 = PinFormat("digits4", r"[0-9]{4}", 4, 4)
#: ① : 6-16 of A-Z and 0-9, at least one letter and one digit (J-LIS password page).
SIGN_PASSWORD = PinFormat(
    "sign-password", r"(?=.*[A-Z])(?=.*[0-9])[A-Z0-9]{6,16}", 6, 16, upper=True
)
#: 照合番号A: the 12-digit My Number.
DIGITS12 = PinFormat("digits12", r"[0-9]{12}", 12, 12)
#: 照合番号B: birth YYMMDD (era year) + expiry year YYYY + 4-digit security code.
DIGITS14 = PinFormat("digits14", r"[0-9]{14}", 14, 14)
#: 券面事項確認AP birth-date key: YYMMDD in the era year (myna-card).
DIGITS6 = PinFormat("digits6", r"[0-9]{6}", 6, 6)
