"""The card's certificates: reading, the chain to a J-LIS root, and expiry.

Reading follows docs/card.md §8: the DER length from the first bytes, the rest
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

import contextlib
import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from apdu import SW

from . import profile
from .card import MyNumberCard
from .certificate import CertificateInfo, parse_certificate
from .errors import CardError, JpkiError, PinAbsentError, PinRequestError, ReaderError
from .jst import JST, days_left, iso_utc, jst_ordinal
from .pinops import run_plan
from .pinplan import PinValue, plan_verify
from .pinresult import PinCommandResult
from .schema import document, nested

if TYPE_CHECKING:
    from .chain import ChainResult

# cryptography (jpki.chain) is loaded only when a chain is checked.

#: The names :func:`read_certificate` takes.
KINDS = tuple(profile.CERTIFICATES)
#: Default warning window, in days: time to book a visit to the office (the renewal
#: window itself is not in our sources).
WARN_DAYS = 90
#: The largest warning window taken: ten years, a certificate's longest life.
MAX_WARN_DAYS = 3650
#: The seeds' rule of thumb: certificate expiry = card expiry − 5 years (adults).
CARD_MINUS_CERT_YEARS = 5


def _short_sha256(sha256: str) -> str:
    """The first 4 bytes of a ``4D:CF:C4:...`` fingerprint, for reprs."""
    return sha256[:11] + "..."


def hide_localities(subject: str, placeholder: str) -> str:
    """``subject`` with every ``L=`` value replaced: in the sign certificate they come
    from the holder's address."""
    return re.sub(r"\bL=(?:[^,\\]|\\.)*", "L=" + placeholder, subject)


#: What :meth:`CardCertificate.to_dict` puts for a hidden personal value.
HIDDEN = "<hidden>"


@dataclass(frozen=True)
class CardCertificate:
    kind: str
    info: CertificateInfo
    #: The verification of ① that opened the sign certificate (``None`` otherwise).
    verified: PinCommandResult | None = None
    #: The chain to a J-LIS root, checked at :attr:`checked_at` (:func:`read_chain`).
    chain: ChainResult | None = None
    checked_at: dt.datetime | None = None

    def __repr__(self) -> str:
        # Never the subject: the sign certificate's holds the holder's address.
        verified = ", verified=True" if self.verified is not None else ""
        chain = "" if self.chain is None else f", chain={self.chain.status.value!r}"
        return (
            f"CardCertificate(kind={self.kind!r}, serial='{self.info.serial:X}', "
            f"not_after={iso_utc(self.info.not_after)!r}, "
            f"sha256={_short_sha256(self.info.sha256)!r}{verified}{chain})"
        )

    def to_dict(self, *, personal: bool = False) -> dict[str, Any]:
        """Plain data for ``json.dumps``: the document ``cert show --json`` prints
        (docs/json.md; no DER: it is ``info.der``).

        The sign certificate's personal data (and the localities of its subject, from
        the holder's address) are ``"<hidden>"`` unless ``personal`` is true.
        """
        info = self.info
        subject = info.subject
        fields: Any = None
        if info.personal is not None:
            p = info.personal
            if personal:
                fields = {
                    "name": p.name,
                    "address": p.address,
                    "birth_date": p.birth_day,
                    "era": p.era,
                    "sex": p.sex_name,
                }
            else:
                fields = HIDDEN
                subject = hide_localities(subject, HIDDEN)
        checked = self.checked_at
        return document(
            {
                "kind": self.kind,
                "subject": subject,
                "issuer": info.issuer,
                "serial": f"{info.serial:X}",
                "not_before": iso_utc(info.not_before),
                "not_after": iso_utc(info.not_after),
                "days_left": None if checked is None else days_left(info.not_after, checked),
                "key": {"type": info.key_type, "bits": info.key_bits},
                "sha256": info.sha256,
                "self_signed": info.self_signed,
                "chain": None if self.chain is None else self.chain.to_dict(),
                "personal": fields,
                "verified": None if self.verified is None else nested(self.verified.to_dict()),
            }
        )


def _sign_needs_pin(
    card: MyNumberCard,
    kind: str,
    sign_pin: PinValue | None,
    force: bool,
    accept_unknown_count: bool,
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
    plan = plan_verify(profile.SIGN, sign_pin)
    return run_plan(card, plan, force=force, accept_unknown_count=accept_unknown_count, leave=False)


def read_certificate(
    card: MyNumberCard,
    kind: str,
    *,
    sign_pin: PinValue | None = None,
    force: bool = False,
    accept_unknown_count: bool = False,
) -> CardCertificate:
    """Read and parse ``auth``, ``auth-ca``, ``sign`` or ``sign-ca``.

    ``sign`` verifies ``sign_pin`` first (inside the caller's transaction) with the
    guards of :func:`jpki.verify_pin` (``force`` spends ①'s last try,
    ``accept_unknown_count`` a try on a count the card did not report reliably),
    reads, then leaves the card unverified (:meth:`MyNumberCard.leave_unverified`;
    ``verified.card_left`` says how).
    """
    if kind not in profile.CERTIFICATES:
        raise PinRequestError("unknown-certificate", kind)
    card.require_jpki()
    permits = card.permits_issued
    verified = None
    file = profile.CERTIFICATES[kind]
    try:
        verified = _sign_needs_pin(card, kind, sign_pin, force, accept_unknown_count)
        with after_verify(verified):
            der = card.read_ef(file.app, file.fid, kind, personal=file.personal)
    except ReaderError:
        raise  # a fault: the transport removes the card's power at the end
    except Exception as exc:  # a wrong ①, a file that cannot be read: ① was sent
        if card.permits_issued > permits:
            left = card.leave_unverified([profile.SIGN_KEY])
            if isinstance(exc, JpkiError) and isinstance(exc.result, PinCommandResult):
                exc.result = dataclasses.replace(
                    exc.result, card_left=left, left_steps=card.left_steps
                )
        raise
    if verified is not None:
        verified = _left(card, verified)
    return CardCertificate(kind, parse_certificate(der, kind), verified)


def _left(card: MyNumberCard, verified: PinCommandResult) -> PinCommandResult:
    """``verified`` once the card was left unverified (the sign key's ending)."""
    card_left = card.leave_unverified([profile.SIGN_KEY])
    return dataclasses.replace(verified, card_left=card_left, left_steps=card.left_steps)


@contextlib.contextmanager
def after_verify(verified: PinCommandResult | None) -> Iterator[None]:
    """A transport fault raised inside, after ① was verified, carries that
    verification as ``error.result`` (as :func:`jpki.verify_pin`'s faults do), so the
    caller can say that ① was sent and found correct: no try was spent."""
    try:
        yield
    except ReaderError as exc:
        if verified is not None and exc.result is None:
            exc.result = verified
        raise


#: Certificates :func:`read_not_after` reads: those free to read on a card.
FREE_KINDS = ("auth", "auth-ca")


def read_not_after(card: MyNumberCard, kind: str = "auth") -> dt.datetime:
    """notAfter of ``auth`` or ``auth-ca`` (what ``info`` shows)."""
    if kind not in FREE_KINDS:
        raise PinRequestError("unknown-certificate", kind)
    card.require_jpki()
    file = profile.CERTIFICATES[kind]
    return parse_certificate(card.read_ef(file.app, file.fid, kind), kind).not_after


@dataclass(frozen=True)
class CertificateChain:
    certificate: CardCertificate
    ca: CardCertificate
    result: ChainResult

    def __repr__(self) -> str:
        root = self.result.root
        root_text = "None" if root is None else f"'{root.purpose} gen {root.generation}'"
        return (
            f"CertificateChain(status={self.result.status.value!r}, root={root_text}, "
            f"certificate={self.certificate!r}, ca={self.ca!r})"
        )

    def to_dict(self, *, personal: bool = False) -> dict[str, Any]:
        """Plain data for ``json.dumps``: both certificates as ``cert show --json``
        prints them (each with the chain as ``chain``), and ``result``, the chain."""
        return document(
            {
                "certificate": nested(self.certificate.to_dict(personal=personal)),
                "ca": nested(self.ca.to_dict()),
                "result": self.result.to_dict(),
            }
        )


def read_chain(
    card: MyNumberCard,
    kind: str,
    now: dt.datetime,
    *,
    sign_pin: PinValue | None = None,
    force: bool = False,
    accept_unknown_count: bool = False,
) -> CertificateChain:
    """Read a user certificate (``auth`` or ``sign``) and its CA; check the chain at ``now``
    (``sign``: ① verified as :func:`read_certificate` does). A CA certificate
    (``auth-ca``, ``sign-ca``) is checked against itself: ``ca`` is the same certificate.
    :attr:`CardCertificate.chain` holds the result."""
    from .chain import check_chain

    user = read_certificate(
        card, kind, sign_pin=sign_pin, force=force, accept_unknown_count=accept_unknown_count
    )
    if kind in profile.CA_OF:
        with after_verify(user.verified):
            ca = read_certificate(card, profile.CA_OF[kind])
    else:
        ca = user
    result = check_chain(user.info.der, ca.info.der, now)
    user = dataclasses.replace(user, chain=result, checked_at=now)
    ca = user if kind not in profile.CA_OF else ca
    return CertificateChain(user, ca, result)


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
            "id": self.id,
            "not_after": iso_utc(self.not_after),
            "days_left": self.days_left,
            "state": self.state.value,
            "estimate": self.estimate.isoformat() if self.estimate else None,
            "absent": self.absent,
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
        for state in (ExpiryState.EXPIRED, ExpiryState.EXPIRING):
            if state in states:
                return state
        return ExpiryState.OK

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
) -> ExpiryReport:
    """The card's expiry (no PIN), the auth certificate's (no PIN) and, with ``sign``,
    the sign certificate's (needs ① as ``sign_pin``; ``force`` and
    ``accept_unknown_count`` as in :func:`read_certificate`)."""
    check_warn_days(warn_days)
    card.require_jpki()
    verified = None
    try:
        auth_end: dt.datetime | None = read_certificate(card, "auth").info.not_after
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
    if sign:
        if card.sign_certificate_present() is False:
            items.append(ExpiryItem("sign", None, None, ExpiryState.UNKNOWN, absent=True))
        else:
            cert = read_certificate(
                card,
                "sign",
                sign_pin=sign_pin,
                force=force,
                accept_unknown_count=accept_unknown_count,
            )
            items.append(expiry_item("sign", cert.info.not_after, now, warn_days))
            verified = cert.verified
    return ExpiryReport(card.transport.name, now, warn_days, tuple(items), verified)


def check_warn_days(warn_days: object) -> int:
    """``warn_days`` if it is a whole number from 0 to :data:`MAX_WARN_DAYS` (what the
    CLI's ``--warn-days`` takes); else :class:`PinRequestError` ``warn-days``."""
    if isinstance(warn_days, bool) or not isinstance(warn_days, int):
        raise PinRequestError("warn-days", repr(warn_days))
    if not 0 <= warn_days <= MAX_WARN_DAYS:
        raise PinRequestError("warn-days", str(warn_days))
    return warn_days
