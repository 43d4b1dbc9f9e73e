"""Does a card's user certificate chain to a J-LIS production root? (docs/card.md §8)

:func:`check_chain` takes the user certificate (auth or sign) and the CA certificate
read from the card, and reports separately:

- the names: the user certificate's issuer must equal the CA's subject (RFC 5280
  comparison, asn1crypto);
- the signature: the user certificate's signature verifies with the CA's public key
  (cryptography; RSA PKCS#1 v1.5 or PSS with the certificate's hash algorithm, or
  ECDSA). Any other key type is reported as not verified;
- the CA is self-signed: its issuer equals its subject and its own key verifies its
  signature;
- the root: the CA certificate is a J-LIS production root of :mod:`jpki.roots`,
  pinned by SHA-256 fingerprint or, for auth gen 2 whose fingerprint no source
  gives, by subject DN + serial + validity dates (JST) and a valid self-signature
  (``pinned`` False: anyone can make a look-alike; say so when it matters);
- expiry of the root (``root_expired``), against ``now``: never from the clock.

Purpose: the root's purpose (``auth``/``sign``) is the table's; the user certificate
carries no purpose of its own beyond its issuer name, which must equal the root's
subject, so a caller that expects an ``auth`` chain compares ``result.root.purpose``.

Not checked: key usage, basic constraints, the user certificate's own validity
(:func:`jpki.jst.days_left`), revocation. Test cards (``O=JPKI-TEST``) and the
emulator (``O=JPKI-EMULATOR``) verify but are :attr:`ChainStatus.NOT_JLIS_ROOT`.

Seen on: ``shared/realdata`` (a real auth certificate and the auth gen 1 root).
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .certificate import CertificateError, CertificateInfo, parse_certificate
from .jst import jst_ordinal
from .roots import ROOTS, JlisRoot


class ChainStatus(StrEnum):
    """The verdict, the first that applies in this order."""

    #: The user certificate's issuer is not the CA's subject (the wrong CA file).
    ISSUER_MISMATCH = "issuer-mismatch"
    #: The user certificate's signature does not verify with the CA's key.
    BAD_SIGNATURE = "bad-signature"
    #: The CA certificate is not self-signed (names differ or its signature fails).
    CA_NOT_SELF_SIGNED = "ca-not-self-signed"
    #: Everything verifies and the CA is a J-LIS production root.
    JLIS = "j-lis"
    #: Everything verifies but the root is not a J-LIS production root (JPKI-TEST,
    #: the emulator's JPKI-EMULATOR roots, anything else).
    NOT_JLIS_ROOT = "not-j-lis-root"


@dataclass(frozen=True)
class RootMatch:
    """The J-LIS root the CA certificate is."""

    purpose: str
    generation: int
    #: The CA certificate's fingerprint.
    sha256: str
    #: False: recognised by DN + serial + validity (auth gen 2), not by fingerprint.
    pinned: bool


@dataclass(frozen=True)
class ChainResult:
    status: ChainStatus
    signature_ok: bool
    ca_self_signed: bool
    #: The J-LIS root the CA certificate is, whatever the status (``None``: not one).
    root: RootMatch | None
    #: The CA certificate's notAfter is before ``now`` (independent of the signature).
    root_expired: bool
    ca_sha256: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``cert show --json``'s ``chain``)."""
        return {**asdict(self), "status": self.status.value}


def _load_crypto(der: bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except Exception as exc:  # ValueError, InvalidVersion...
        raise CertificateError(what, "cannot be read for signature checks") from exc


def signature_verifies(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """``cert``'s signature verifies with ``issuer``'s public key (names not compared).

    RSA (PKCS#1 v1.5 or PSS, as the certificate says) and ECDSA, with the
    certificate's hash algorithm. Any other key or a mismatched algorithm: False.
    """
    try:
        key = issuer.public_key()
        params = cert.signature_algorithm_parameters
        hash_algorithm = cert.signature_hash_algorithm
        if hash_algorithm is None:
            return False
        if isinstance(key, rsa.RSAPublicKey) and isinstance(params, padding.PKCS1v15 | padding.PSS):
            key.verify(cert.signature, cert.tbs_certificate_bytes, params, hash_algorithm)
            return True
        if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(params, ec.ECDSA):
            key.verify(cert.signature, cert.tbs_certificate_bytes, params)
            return True
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return False


def _unpinned_match(root: JlisRoot, ca: CertificateInfo) -> bool:
    return (
        ca.subject == root.subject
        and ca.serial == root.serial
        and jst_ordinal(ca.not_before) == root.not_before.toordinal()
        and jst_ordinal(ca.not_after) == root.not_after.toordinal()  # no overflow at 9999
    )


def match_root(ca: CertificateInfo, *, self_signed: bool) -> RootMatch | None:
    """The J-LIS root ``ca`` is, or ``None``.

    By fingerprint for a root whose fingerprint is known (pinned); a root without
    one (auth gen 2) by subject DN, serial and validity dates (JST), and only when
    ``self_signed`` (the caller checked that ``ca`` names itself as issuer and its
    own key verifies its signature).
    """
    for root in ROOTS:
        if root.sha256 is not None:
            if root.sha256 == ca.sha256:
                return RootMatch(root.purpose, root.generation, ca.sha256, pinned=True)
        elif self_signed and _unpinned_match(root, ca):
            return RootMatch(root.purpose, root.generation, ca.sha256, pinned=False)
    return None


def _status(
    names_match: bool, signature_ok: bool, ca_self_signed: bool, root: RootMatch | None
) -> ChainStatus:
    if not names_match:
        return ChainStatus.ISSUER_MISMATCH
    if not signature_ok:
        return ChainStatus.BAD_SIGNATURE
    if not ca_self_signed:
        return ChainStatus.CA_NOT_SELF_SIGNED
    if root is None:
        return ChainStatus.NOT_JLIS_ROOT
    return ChainStatus.JLIS


def check_chain(user_der: bytes, ca_der: bytes, now: datetime.datetime) -> ChainResult:
    """Check that ``user_der`` was issued by ``ca_der``, a self-signed J-LIS root, at ``now``.

    Raises :class:`jpki.certificate.CertificateError` when either is not a
    certificate, ``ValueError`` when ``now`` is naive.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    parse_certificate(user_der, "user certificate")
    ca_info = parse_certificate(ca_der, "CA certificate")
    user = _load_crypto(user_der, "user certificate")
    ca = _load_crypto(ca_der, "CA certificate")
    # Both were fully decoded by parse_certificate: loading again cannot fail.
    names_match = bool(
        asn1_x509.Certificate.load(user_der).issuer == asn1_x509.Certificate.load(ca_der).subject
    )
    signature_ok = signature_verifies(user, ca)
    ca_self_signed = ca_info.self_signed and signature_verifies(ca, ca)
    root = match_root(ca_info, self_signed=ca_self_signed)
    return ChainResult(
        status=_status(names_match, signature_ok, ca_self_signed, root),
        signature_ok=signature_ok,
        ca_self_signed=ca_self_signed,
        root=root,
        root_expired=ca_info.not_after < now,
        ca_sha256=ca_info.sha256,
    )
