"""The card's certificates: reading, the chain to a J-LIS root, and expiry.

Reading follows jpki-protocol.md §6: the DER length from the first bytes, the rest
by one extended READ BINARY or 256-byte chunks (:meth:`MyNumberCard.read_ef`).
The auth certificate and both CA certificates are free to read; the sign
certificate needs ① verified in the same transaction (``6982`` otherwise), which
spends a try when the value is wrong: :func:`read_certificate` does that only
through :func:`jpki.pinops.run_plan`, with its guards.

Expiry: a certificate ends at its notAfter (J-LIS: 23:59:59 JST, 14:59:59Z); the
card at 23:59:59 JST on the date of the 共通カードAP record. Days are JST calendar
days. Where the card's date cannot be read, the seeds' rule of thumb ("certificate
expiry = card expiry − 5 years", adults) gives a rough guide, labelled as such and
never used for the exit status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from . import profile
from .card import MyNumberCard
from .certificate import JST, CertificateInfo, days_left, parse_certificate
from .chain import ChainResult, check_chain
from .errors import CardError, PinAbsentError, PinRequestError
from .pinops import PinCommandResult, plan_verify, run_plan

#: The names :func:`read_certificate` takes.
KINDS = tuple(profile.CERTIFICATES)
#: Default warning window, in days: time to book a visit to the office (the renewal
#: window itself is not in our sources).
WARN_DAYS = 90
#: The seeds' rule of thumb: certificate expiry = card expiry − 5 years (adults).
CARD_MINUS_CERT_YEARS = 5


@dataclass(frozen=True)
class CardCertificate:
    kind: str
    info: CertificateInfo
    #: The verification of ① that opened the sign certificate (``None`` otherwise).
    verified: PinCommandResult | None = None


def _sign_needs_pin(
    card: MyNumberCard, kind: str, sign_pin: str | None, force: bool
) -> PinCommandResult | None:
    if kind not in ("sign", "sign-ca"):
        return None
    if card.sign_certificate_present() is False:
        reason = "no-sign-certificate" if kind == "sign" else "no-sign-ca"
        raise PinAbsentError(profile.SIGN.id, reason)
    if kind != "sign":
        return None
    if sign_pin is None:
        raise PinRequestError("missing-current", profile.SIGN.id)
    return run_plan(card, plan_verify(profile.SIGN, sign_pin), force=force)


def read_certificate(
    card: MyNumberCard, kind: str, *, sign_pin: str | None = None, force: bool = False
) -> CardCertificate:
    """Read and parse ``auth``, ``auth-ca``, ``sign`` or ``sign-ca``.

    ``sign`` verifies ``sign_pin`` first (inside the caller's transaction; the card
    is reset when it ends) with the guards of :func:`jpki.verify_pin`.
    """
    if kind not in profile.CERTIFICATES:
        raise PinRequestError("unknown-certificate", kind)
    card.require_jpki()
    verified = _sign_needs_pin(card, kind, sign_pin, force)
    file = profile.CERTIFICATES[kind]
    der = card.read_ef(file.app, file.fid, kind, personal=file.personal)
    return CardCertificate(kind, parse_certificate(der, kind), verified)


@dataclass(frozen=True)
class CertificateChain:
    certificate: CardCertificate
    ca: CardCertificate
    result: ChainResult


def read_chain(
    card: MyNumberCard,
    kind: str,
    now: dt.datetime,
    *,
    sign_pin: str | None = None,
    force: bool = False,
) -> CertificateChain:
    """Read a user certificate (``auth`` or ``sign``) and its CA; check the chain at ``now``."""
    user = read_certificate(card, kind, sign_pin=sign_pin, force=force)
    ca = read_certificate(card, profile.CA_OF[kind])
    return CertificateChain(user, ca, check_chain(user.info.der, ca.info.der, now))


# -- expiry ---------------------------------------------------------------------------


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


def _years_later(when: dt.datetime, years: int) -> dt.date:
    day = when.astimezone(JST).date()
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


@dataclass(frozen=True)
class ExpiryReport:
    reader: str
    now: dt.datetime
    warn_days: int
    items: tuple[ExpiryItem, ...]

    @property
    def worst(self) -> ExpiryState:
        states = {i.state for i in self.items}
        for state in (ExpiryState.EXPIRED, ExpiryState.EXPIRING):
            if state in states:
                return state
        return ExpiryState.OK

    def item(self, item_id: str) -> ExpiryItem:
        return next(i for i in self.items if i.id == item_id)


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
    sign_pin: str | None = None,
    force: bool = False,
) -> ExpiryReport:
    """The card's expiry (no PIN), the auth certificate's (no PIN) and, with ``sign``,
    the sign certificate's (needs ① as ``sign_pin``)."""
    card.require_jpki()
    try:
        auth_end: dt.datetime | None = read_certificate(card, "auth").info.not_after
    except CardError as exc:
        if exc.sw != 0x6982:
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
    if sign:
        if card.sign_certificate_present() is False:
            items.append(ExpiryItem("sign", None, None, ExpiryState.UNKNOWN, absent=True))
        else:
            cert = read_certificate(card, "sign", sign_pin=sign_pin, force=force)
            items.append(expiry_item("sign", cert.info.not_after, now, warn_days))
    return ExpiryReport(card.transport.name, now, warn_days, tuple(items))
