"""The card's certificates: reading them, and the chain to a J-LIS root (when they
expire: :mod:`jpki.expiry`).

Reading follows docs/card.md §8: the DER length from the first bytes, the rest
by one extended READ BINARY or 256-byte chunks (:meth:`MyNumberCard.read_ef`).
The auth certificate and both CA certificates are free to read; the sign
certificate needs ① verified in the same transaction (``6982`` otherwise), which
spends a try when the value is wrong: :func:`read_certificate` does that only
through :func:`jpki.pinops.run_plan`, with its guards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apdu import TransportError

from . import profile
from .card import MyNumberCard
from .certificate import CertificateInfo, parse_certificate
from .errors import JpkiError, PinAbsentError, PinRequestError
from .jst import days_left, iso_utc
from .pinops import run_plan
from .pinplan import PinValue, plan_verify
from .pinresult import PinCommandResult
from .schema import document, nested

if TYPE_CHECKING:
    from .chain import ChainResult

# cryptography (jpki.chain) is loaded only when a chain is checked.

#: The names :func:`read_certificate` takes.
KINDS = tuple(profile.CERTIFICATES)


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
            f"sha256='{self.info.sha256[:11]}...'{verified}{chain})"
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
    except TransportError:
        raise  # a fault: the transport removes the card's power at the end
    except Exception as exc:  # a wrong ①, a file that cannot be read: ① was sent
        if card.permits_issued > permits:
            left = card.leave_unverified([profile.SIGN_SLOT])
            if isinstance(exc, JpkiError) and isinstance(exc.result, PinCommandResult):
                exc.result = dataclasses.replace(
                    exc.result, card_left=left, left_steps=card.left_steps
                )
        raise
    if verified is not None:  # the sign key's ending
        card_left = card.leave_unverified([profile.SIGN_SLOT])
        verified = dataclasses.replace(verified, card_left=card_left, left_steps=card.left_steps)
    return CardCertificate(kind, parse_certificate(der, kind), verified)


@contextlib.contextmanager
def after_verify(verified: PinCommandResult | None) -> Iterator[None]:
    """A transport fault raised inside, after ① was verified, carries that
    verification as ``error.result`` (as :func:`jpki.verify_pin`'s faults do), so the
    caller can say that ① was sent and found correct: no try was spent."""
    try:
        yield
    except TransportError as exc:
        if verified is not None and isinstance(exc, JpkiError) and exc.result is None:
            exc.result = verified
        raise


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
    ca = None
    if kind in profile.CA_OF:
        with after_verify(user.verified):
            ca = read_certificate(card, profile.CA_OF[kind])
    result = check_chain(user.info.der, (ca or user).info.der, now)
    user = dataclasses.replace(user, chain=result, checked_at=now)
    return CertificateChain(user, ca or user, result)
