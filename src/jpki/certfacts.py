"""What the card's certificates say, beyond X.509: the sign certificate's holder facts
and the eras of its birth date, the auth certificate's policy. A sibling of
:mod:`jpki.profile`, part of the card's facts, read by the certificate parser and the
virtual card alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: The sign certificate's subjectAltName otherName OIDs -> the holder fact each
#: holds (a public program that read a JPKI test card; one of two other public
#: programs agrees on .5/.6, the other swaps them). UTF8String values.
HOLDER_OIDS = {
    "1.2.392.200149.8.5.5.1": "name",
    "1.2.392.200149.8.5.5.2": "name_flags",
    "1.2.392.200149.8.5.5.3": "sex",
    "1.2.392.200149.8.5.5.4": "birth_date",
    "1.2.392.200149.8.5.5.5": "address",
    "1.2.392.200149.8.5.5.6": "address_flags",
}
#: The certificate policy of the real auth certificate in ``shared/realdata``.
AUTH_POLICY_OID = "1.2.392.200149.8.5.1.3.30"


@dataclass(frozen=True)
class Era:
    """An era a birth date is written in: the digit that starts ``EYYYYMMDD`` in the
    sign certificate (then the Gregorian date), its names, its first day."""

    digit: str
    name: str
    name_ja: str
    first_day: dt.date


ERAS = (
    Era("1", "meiji", "明治", dt.date(1868, 1, 25)),
    Era("2", "taisho", "大正", dt.date(1912, 7, 30)),
    Era("3", "showa", "昭和", dt.date(1926, 12, 25)),
    Era("4", "heisei", "平成", dt.date(1989, 1, 8)),
    Era("5", "reiwa", "令和", dt.date(2019, 5, 1)),
)
