"""When the card and its certificates expire: :func:`read_expiry` and its report.

A certificate ends at its notAfter (J-LIS: 23:59:59 JST, 14:59:59Z); the card at
23:59:59 JST on the date of the 共通カードAP record. Days are JST calendar days. Where
the card's date cannot be read, the seeds' rule of thumb ("certificate expiry = card
expiry − 5 years", adults) gives a rough guide, labelled as such and never used for the
exit status. The certificates are read by :mod:`jpki.cardcerts`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from apdu import SW

from .card import MyNumberCard
from .cardcerts import CardCertificate, read_certificate
from .errors import CardError, PinRequestError
from .jst import JST, days_left, iso_utc, jst_ordinal
from .pinplan import PinValue
from .pinresult import PinCommandResult
from .schema import document, nested

#: Default warning window, in days: time to book a visit to the office (the renewal
#: window itself is not in our sources).
WARN_DAYS = 90
#: The largest warning window taken: ten years, a certificate's longest life.
MAX_WARN_DAYS = 3650
#: The seeds' rule of thumb: certificate expiry = card expiry − 5 years (adults).
CARD_MINUS_CERT_YEARS = 5


class ExpiryState(StrEnum):
    OK = "ok"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


def expiry_state(not_after: dt.datetime | None, now: dt.datetime, warn_days: int) -> ExpiryState:
    """Expired once ``now`` is past ``not_after``; expiring within ``warn_days`` JST days."""
    if not_after is None:
        return ExpiryState.UNKNOWN
    if now > not_after:
        return ExpiryState.EXPIRED
    if days_left(not_after, now) <= warn_days:
        return ExpiryState.EXPIRING
    return ExpiryState.OK


def end_of_day_jst(day: dt.date) -> dt.datetime:
    """23:59:59 JST on ``day``, in UTC: when a card dated ``day`` stops being valid."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), JST).astimezone(dt.UTC)


def _years_later(when: dt.datetime, years: int) -> dt.date | None:
    """``when``'s JST date ``years`` later; ``None`` past year 9999 (a notAfter of
    99991231235959Z: RFC 5280's "no well-defined expiration date")."""
    ordinal = jst_ordinal(when)
    if ordinal > dt.date.max.toordinal():
        return None
    day = dt.date.fromordinal(ordinal)
    if day.year + years > dt.MAXYEAR:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class ExpiryItem:
    """When one thing stops being valid: ``card``, ``auth`` or ``sign``."""

    id: str
    not_after: dt.datetime | None
    days_left: int | None
    state: ExpiryState
    #: ``card``, when the record could not be read: the seeds' rough guide (auth
    #: certificate expiry + 5 years), never used for the exit status.
    estimate: dt.date | None = None
    #: ``sign``: the card has no sign certificate (issued under 15).
    absent: bool = False

    def _brief(self) -> str:
        """``auth 2029-04-09T14:59:59Z 1234d ok``: one item in a report's repr."""
        end = iso_utc(self.not_after) or "?"
        left = "?" if self.days_left is None else f"{self.days_left}d"
        text = f"{self.id} {end} {left} {self.state.value}"
        if self.estimate is not None:
            text += f" (estimate {self.estimate.isoformat()})"
        return text + " (absent)" if self.absent else text

    def __repr__(self) -> str:
        text = (
            f"ExpiryItem(id={self.id!r}, not_after={iso_utc(self.not_after)!r}, "
            f"days_left={self.days_left}, state={self.state.value!r}"
        )
        if self.estimate is not None:
            text += f", estimate='{self.estimate.isoformat()}'"
        if self.absent:
            text += ", absent=True"
        return text + ")"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps``: an item of ``expiry --json``."""
        return {
            **asdict(self),
            "not_after": iso_utc(self.not_after),
            "state": self.state.value,
            "estimate": self.estimate.isoformat() if self.estimate else None,
        }


@dataclass(frozen=True)
class ExpiryReport:
    reader: str
    now: dt.datetime
    warn_days: int
    items: tuple[ExpiryItem, ...]
    #: The verification of ① that opened the sign certificate (``None`` otherwise).
    verified: PinCommandResult | None = None

    @property
    def worst(self) -> ExpiryState:
        states = {i.state for i in self.items}
        worse = (ExpiryState.EXPIRED, ExpiryState.EXPIRING)
        return next((state for state in worse if state in states), ExpiryState.OK)

    def item(self, item_id: str) -> ExpiryItem:
        return next(i for i in self.items if i.id == item_id)

    def __repr__(self) -> str:
        items = ", ".join(i._brief() for i in self.items)
        return (
            f"ExpiryReport(reader={self.reader!r}, now={iso_utc(self.now)!r}, "
            f"warn_days={self.warn_days}, worst={self.worst.value!r}, items=[{items}])"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps``: the document ``expiry --json`` prints
        (``state`` is :attr:`worst`; docs/json.md)."""
        verified = self.verified
        return document(
            {
                "reader": self.reader,
                "now": iso_utc(self.now),
                "warn_days": self.warn_days,
                "state": self.worst.value,
                "items": [i.to_dict() for i in self.items],
                "verified": None if verified is None else nested(verified.to_dict()),
            }
        )


def expiry_item(
    item_id: str, not_after: dt.datetime | None, now: dt.datetime, warn_days: int
) -> ExpiryItem:
    left = days_left(not_after, now) if not_after is not None else None
    return ExpiryItem(item_id, not_after, left, expiry_state(not_after, now, warn_days))


def read_expiry(
    card: MyNumberCard,
    now: dt.datetime,
    warn_days: int = WARN_DAYS,
    *,
    sign: bool = False,
    sign_pin: PinValue | None = None,
    force: bool = False,
    accept_unknown_count: bool = False,
    auth: CardCertificate | None = None,
) -> ExpiryReport:
    """The card's expiry (no PIN), the auth certificate's (no PIN) and, with ``sign``,
    the sign certificate's (needs ① as ``sign_pin``; ``force`` and
    ``accept_unknown_count`` as in :func:`jpki.cardcerts.read_certificate`).
    ``auth``: the auth certificate, when the caller read it in this session already
    (it is not read again).
    ``warn_days`` is a whole number from 0 to :data:`MAX_WARN_DAYS`, as ``--warn-days``
    takes it (else :class:`PinRequestError` ``warn-days``)."""
    if type(warn_days) is not int or not 0 <= warn_days <= MAX_WARN_DAYS:
        raise PinRequestError("warn-days", repr(warn_days))
    card.require_jpki()
    verified = None
    try:
        auth_end: dt.datetime | None = (auth or read_certificate(card, "auth")).info.not_after
    except CardError as exc:
        if exc.sw != SW.SECURITY_STATUS_NOT_SATISFIED:
            raise
        auth_end = None  # a smartphone token: its auth certificate needs ② (§3)
    record = card.read_card_record()
    items: list[ExpiryItem] = []
    if record is not None and record.expiry is not None:
        items.append(expiry_item("card", end_of_day_jst(record.expiry), now, warn_days))
    else:
        guess = _years_later(auth_end, CARD_MINUS_CERT_YEARS) if auth_end else None
        items.append(ExpiryItem("card", None, None, ExpiryState.UNKNOWN, estimate=guess))
    items.append(expiry_item("auth", auth_end, now, warn_days))
    if sign and card.sign_certificate_present() is False:
        items.append(ExpiryItem("sign", None, None, ExpiryState.UNKNOWN, absent=True))
    elif sign:
        cert = read_certificate(
            card, "sign", sign_pin=sign_pin, force=force, accept_unknown_count=accept_unknown_count
        )
        items.append(expiry_item("sign", cert.info.not_after, now, warn_days))
        verified = cert.verified
    return ExpiryReport(card.transport.name, now, warn_days, tuple(items), verified)
