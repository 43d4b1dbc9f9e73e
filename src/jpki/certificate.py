"""X.509 certificates of the card, parsed with asn1crypto (docs/card.md §8).

A certificate file on the card may carry filler after the DER object: the reader
decodes the length from the first bytes (:func:`der_length`) and passes exactly that
many bytes to :func:`parse_certificate`, which accepts nothing else (no PEM, no
trailing bytes, no truncated object). Every field is decoded at parse time, so a
malformed certificate raises :class:`CertificateError` there and not later.

The sign certificate carries the holder's name, sex, birth date and address in
subjectAltName otherName entries under ``1.2.392.200149.8.5.5.1``-``.6`` (mapping in
:mod:`jpki.emulator.certs`; seen in a public program reading a JPKI test card, one
other program swaps .5 and .6). They are personal data: :class:`PersonalFields`
never shows them in its ``repr``.

Time: J-LIS certificates end at 23:59:59 JST (14:59:59Z, seen on the real auth
certificate in ``shared/realdata``); :func:`jpki.jst.days_left` counts calendar days in Japan.
Nothing here reads the clock: the caller gives ``now``.

Not checked here: signatures and the chain (:mod:`jpki.chain`), extensions' meaning.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from . import certfacts
from .errors import CertificateError as CertificateError

#: DER tag of a constructed SEQUENCE, the outer tag of a certificate.
SEQUENCE_TAG = 0x30
#: Longest length-of-length :func:`der_length` accepts (4 bytes: up to 4 GiB).
MAX_LENGTH_OF_LENGTH = 4

#: Short names of attribute types in a readable DN (RFC 4514 where it has one).
NAME_ATTRIBUTES = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.12": "title",
    "2.5.4.42": "GN",
    "0.9.2342.19200300.100.1.1": "UID",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
}

#: asn1crypto's public key algorithm names -> ours.
KEY_TYPES = {"rsa": "RSA", "ec": "EC", "dsa": "DSA", "ed25519": "Ed25519", "ed448": "Ed448"}
#: Bits of the named curves whose size is not 8 x the coordinate length.
EC_CURVE_BITS = {"secp521r1": 521}
#: Key sizes of the Edwards curves (RFC 8410 key lengths).
EDWARDS_BITS = {"ed25519": 256, "ed448": 456}


def der_length(head: bytes, what: str = "certificate") -> int:
    """Total length (header + content) of the DER object whose first bytes are ``head``.

    ``head`` holds at least 2 bytes; up to 6 are looked at (``30 84 LL LL LL LL``).
    Raises :class:`CertificateError` for: not a SEQUENCE (``0x30``), indefinite
    length (``0x80``), length-of-length > 4, or fewer bytes than needed to know the
    length. Non-minimal length encodings are accepted (the parser judges them).
    """
    if len(head) < 2:
        raise CertificateError(
            what, f"{len(head)} bytes, too short to hold a DER length", "bad-length"
        )
    if head[0] != SEQUENCE_TAG:
        if head.startswith(b"-----"):
            raise CertificateError(what, "PEM text, expected DER", "pem")
        raise CertificateError(what, f"not a DER SEQUENCE (tag {head[0]:02X})", "bad-length")
    first = head[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0:
        raise CertificateError(what, "indefinite length, not DER", "bad-length")
    if count > MAX_LENGTH_OF_LENGTH:
        raise CertificateError(what, f"impossible DER length ({count}-byte length)", "bad-length")
    if len(head) < 2 + count:
        raise CertificateError(
            what, f"{len(head)} bytes, too short to hold a {count}-byte DER length", "bad-length"
        )
    return 2 + count + int.from_bytes(head[2 : 2 + count], "big")


#: The era digit that starts a birth date (``EYYYYMMDD``) -> its name.
ERAS = {era.digit: era.name for era in certfacts.ERAS}
#: The sex code (JIS X 0303) by name.
SEXES = {"1": "male", "2": "female", "9": "not-applicable", "0": "unknown"}


@dataclass(frozen=True)
class PersonalFields:
    """The sign certificate's holder data (subjectAltName ``1.2.392.200149.8.5.5.1``-``.6``).

    ``name_flags``/``address_flags``: one ``0``/``1`` per character (1: a character
    substituted because it has no code point). ``sex``: a JIS X 0303 digit.
    ``birth_date``: ``EYYYYMMDD`` (era digit, then the Gregorian date). A field is
    ``None`` when its entry is absent. ``repr`` says which fields are present, never
    their values.
    """

    name: str | None
    name_flags: str | None
    sex: str | None
    birth_date: str | None
    address: str | None
    address_flags: str | None

    @property
    def birth_day(self) -> str | None:
        """The birth date as ``YYYY-MM-DD`` (the Gregorian date after the era digit);
        ``None`` when absent or not ``EYYYYMMDD``."""
        b = self.birth_date
        if b is None or len(b) != 9 or not b.isascii() or not b.isdigit():
            return None
        return f"{b[1:5]}-{b[5:7]}-{b[7:9]}"

    @property
    def era(self) -> str | None:
        """The era of the birth date: ``meiji``, ``taisho``, ``showa``, ``heisei`` or
        ``reiwa`` (its digit 1-5); ``None`` when absent or another digit."""
        if self.birth_day is None:
            return None
        assert self.birth_date is not None
        return ERAS.get(self.birth_date[0])

    @property
    def sex_name(self) -> str | None:
        """The sex code (JIS X 0303) by name: ``male`` (1), ``female`` (2),
        ``not-applicable`` (9), ``unknown`` (0); another code as written."""
        return None if self.sex is None else SEXES.get(self.sex, self.sex)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{key}={'<hidden>' if getattr(self, key) is not None else None}"
            for key in certfacts.HOLDER_OIDS.values()
        )
        return f"PersonalFields({shown})"


@dataclass(frozen=True)
class CertificateInfo:
    """What a certificate says, decoded (the signature is checked in :mod:`jpki.chain`)."""

    der: bytes = field(repr=False)
    #: Readable DN in the certificate's order, e.g. ``C=JP, O=JPKI, OU=..., CN=...``.
    subject: str
    issuer: str
    serial: int
    #: Timezone-aware, UTC.
    not_before: datetime.datetime
    not_after: datetime.datetime
    #: ``RSA``, ``EC``, ``DSA``, ``Ed25519``, ``Ed448`` or asn1crypto's name (``x25519``...).
    key_type: str
    #: 0 when the size of this kind of key is not known here.
    key_bits: int
    #: SHA-256 of :attr:`der`, ``4D:CF:C4:...`` (upper case, colon-separated).
    sha256: str
    #: Issuer and subject are the same name (RFC 5280 comparison); signature not checked.
    self_signed: bool
    #: ``None`` when the certificate has none of the JPKI subjectAltName entries.
    personal: PersonalFields | None


def fingerprint(der: bytes) -> str:
    """SHA-256 of ``der`` as ``4D:CF:C4:...`` (the form of docs/card.md §8)."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def _attribute_value(attr: Any) -> str:
    native = attr["value"].native
    if isinstance(native, str):
        return re.sub(r"([\\,+])", r"\\\1", native)
    return "#" + bytes(attr["value"].dump()).hex().upper()


def readable_name(name: Any) -> str:
    """``C=JP, O=JPKI, OU=...``: an asn1crypto Name in the certificate's order.

    Multi-valued RDNs are joined with ``+``; ``\\``, ``,`` and ``+`` inside a value are
    escaped with ``\\``; a value that is not a string is ``#`` and its DER in hex.
    """
    rdns = []
    for rdn in name.chosen:
        parts = []
        for attr in rdn:
            dotted = attr["type"].dotted
            parts.append(f"{NAME_ATTRIBUTES.get(dotted, dotted)}={_attribute_value(attr)}")
        rdns.append("+".join(parts))
    return ", ".join(rdns)


def _utc(value: Any, what: str, field_name: str) -> datetime.datetime:
    if not isinstance(value, datetime.datetime):
        raise CertificateError(what, f"{field_name} is not a representable date")
    return value.astimezone(datetime.UTC)


def _key(info: Any) -> tuple[str, int]:
    algorithm = info.algorithm
    key_type = KEY_TYPES.get(algorithm, str(algorithm))
    if algorithm == "rsa":
        return key_type, int(info["public_key"].parsed["modulus"].native).bit_length()
    if algorithm == "ec":
        _kind, curve = info.curve
        if curve in EC_CURVE_BITS:
            return key_type, EC_CURVE_BITS[curve]
        point = info["public_key"].native
        return key_type, (len(point) - 1) // 2 * 8
    if algorithm == "dsa":
        return key_type, int(info["algorithm"]["parameters"]["p"].native).bit_length()
    return key_type, EDWARDS_BITS.get(algorithm, 0)


def _personal(cert: Any, what: str) -> PersonalFields | None:
    san = cert.subject_alt_name_value
    if san is None:
        return None
    found: dict[str, str] = {}
    for general_name in san:
        if general_name.name != "other_name":
            continue
        oid = general_name.chosen["type_id"].dotted
        key = certfacts.HOLDER_OIDS.get(oid)
        if key is None:
            continue
        value = general_name.chosen["value"].native
        if not isinstance(value, str):
            raise CertificateError(what, f"subjectAltName {oid} is not a text string")
        if key in found:
            raise CertificateError(what, f"subjectAltName {oid} appears twice")
        found[key] = value
    if not found:
        return None
    return PersonalFields(**{key: found.get(key) for key in certfacts.HOLDER_OIDS.values()})


def _info(cert: Any, der: bytes, what: str) -> CertificateInfo:
    tbs = cert["tbs_certificate"]
    validity = tbs["validity"]
    key_type, key_bits = _key(tbs["subject_public_key_info"])
    return CertificateInfo(
        der=bytes(der),
        subject=readable_name(tbs["subject"]),
        issuer=readable_name(tbs["issuer"]),
        serial=int(tbs["serial_number"].native),
        not_before=_utc(validity["not_before"].native, what, "notBefore"),
        not_after=_utc(validity["not_after"].native, what, "notAfter"),
        key_type=key_type,
        key_bits=key_bits,
        sha256=fingerprint(der),
        self_signed=bool(tbs["issuer"] == tbs["subject"]),
        personal=_personal(cert, what),
    )


def parse_certificate(der: bytes, what: str = "certificate") -> CertificateInfo:
    """Decode exactly one DER X.509 certificate.

    Raises :class:`CertificateError` (never an asn1crypto error or a bare
    ``ValueError``) for anything that is not exactly one DER certificate; trailing
    bytes after the DER object are an error here (the reader strips filler before).
    ``what`` names the certificate in the error.
    """
    total = der_length(der[:6], what)
    if len(der) < total:
        raise CertificateError(what, f"truncated: {len(der)} of {total} bytes", "truncated")
    if len(der) > total:
        extra = len(der) - total
        raise CertificateError(
            what, f"trailing data after the DER object ({extra} bytes)", "trailing"
        )
    # Here, not at the top: der_length and CertificateError serve every EF read
    # (jpki.card), which should not load asn1crypto.
    from asn1crypto import x509 as asn1_x509

    try:
        cert = asn1_x509.Certificate.load(der, strict=True)
        cert.native  # noqa: B018 - decodes every field now, so errors surface here
        return _info(cert, der, what)
    except CertificateError:
        raise
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError...
        raise CertificateError(what, "not a DER X.509 certificate") from exc
