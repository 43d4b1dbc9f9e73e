"""Certificates of the virtual card: two emulator roots and the holder's auth and sign certs.

What a real card holds (docs/card.md §8, ``shared/realdata``): RSA-2048,
sha256WithRSAEncryption; the auth certificate's subject is ``C=JP, CN=<serial-like
string>`` without a name; its notAfter is 14:59:59Z (23:59:59 JST) on the holder's
5th birthday after issue, or the card's expiry if earlier (seeds); the sign
certificate carries name, sex, birth date and address in subjectAltName otherName
entries under ``1.2.392.200149.8.5.5.1``-``.6``.

Those OIDs and the eras of the birth date are the card's facts in
:data:`jpki.certfacts.HOLDER_OIDS` and :data:`jpki.certfacts.ERAS`: .2 and .6 hold one
``0``/``1`` substitute flag per character, .3 a JIS X 0303 digit, .4 ``EYYYYMMDD``;
a test card wrote them in the order 1, 4, 3, 5, 2, 6 (a public program that read it).

Emulator only: the roots are ``C=JP, O=JPKI-EMULATOR, OU=...`` and valid
2023-07-16 to 2033-07-15 (the dates of the J-LIS generation-3 roots); the sign
certificate's subject is ``C=JP, L=<prefecture>, L=<city>, CN=<serial-like string>``
(two public programs say the CN is an identifier, not a name); notBefore is the
issue date at 01:00:00Z (10:00 JST); a 29 February birthday falls on 28 February in
other years; serial numbers and CNs are hashes of the card serial and issue date.

No private key ships with jpkitool. The default state's four certificates are
shipped (:data:`SHIPPED`, public data, made with the keys the test kit
pytest-jpkitool holds); for any other state the four RSA keys are made at run time,
once a process (:func:`private_key`), so its certificates are the same bytes only
within one process (PKCS#1 v1.5 signatures; :func:`certificates` caches them).
A certificate the state gives (``CardState.certificates``) replaces the generated
one of that EF.

Seen on: ``shared/realdata`` (auth certificate layout, dates), a public program
reading a JPKI test card (SAN); everything else emulator only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import inspect
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from asn1crypto import core as asn1_core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .. import certfacts

if TYPE_CHECKING:
    from .state import CardState

#: The virtual card's keys (see :func:`private_key`).
KEY_NAMES = ("auth-root", "sign-root", "auth-user", "sign-user")

EMULATOR_ORG = "JPKI-EMULATOR"
#: Each root's organisational unit and serial number, by purpose.
ROOT_OU = {"auth": "JPKI for user authentication", "sign": "JPKI for digital signature"}
ROOT_SERIAL = {"auth": 0x0A01, "sign": 0x0A02}
ROOT_NOT_BEFORE = dt.datetime(2023, 7, 16, 0, 0, 0, tzinfo=dt.UTC)
ROOT_NOT_AFTER = dt.datetime(2033, 7, 15, 14, 59, 59, tzinfo=dt.UTC)

#: 23:59:59 JST, the end of a day in Japan, in UTC.
END_OF_DAY_JST = dt.time(14, 59, 59, tzinfo=dt.UTC)
#: notBefore time of day (emulator only: 10:00 JST).
ISSUE_TIME = dt.time(1, 0, 0, tzinfo=dt.UTC)
#: Certificate validity in birthdays (seeds: the 5th birthday after issue).
CERT_BIRTHDAYS = 5

AUTH_POLICY = ObjectIdentifier(certfacts.AUTH_POLICY_OID)

#: The sign certificate's subjectAltName otherName OIDs, by the holder fact each holds.
OID = {fact: ObjectIdentifier(oid) for oid, fact in certfacts.HOLDER_OIDS.items()}


# -- dates ----------------------------------------------------------------------


def birthday_in(year: int, birth: dt.date) -> dt.date:
    """The birthday of someone born on ``birth`` in ``year`` (29 Feb -> 28 Feb if not leap)."""
    try:
        return birth.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def nth_birthday_after(birth: dt.date, day: dt.date, n: int) -> dt.date:
    """The ``n``-th birthday strictly after ``day``."""
    year = day.year if birthday_in(day.year, birth) > day else day.year + 1
    return birthday_in(year + n - 1, birth)


def cert_not_after(birth: dt.date, issued: dt.date, card_expiry: dt.date) -> dt.datetime:
    """14:59:59Z on the 5th birthday after ``issued``, or on ``card_expiry`` if earlier."""
    last = min(nth_birthday_after(birth, issued, CERT_BIRTHDAYS), card_expiry)
    return dt.datetime.combine(last, END_OF_DAY_JST)


def era_birth_date(birth: dt.date) -> str:
    """``EYYYYMMDD``: the era digit, then the Gregorian date (``0`` before 明治)."""
    latest = [era.digit for era in certfacts.ERAS if birth >= era.first_day]
    return f"{latest[-1] if latest else 0}{birth:%Y%m%d}"


# -- keys -----------------------------------------------------------------------


#: The keys made or given so far in this process, by name (:func:`private_key`).
PRIVATE_KEYS: dict[str, rsa.RSAPrivateKey] = {}


def private_key(name: str) -> rsa.RSAPrivateKey:
    """One of the virtual card's RSA-2048 keys (:data:`KEY_NAMES`), made at run time
    (about 50 ms each) the first time a certificate of a state other than the default
    one is needed, unless a test kit put its own in :data:`PRIVATE_KEYS` first."""
    if name not in PRIVATE_KEYS:
        PRIVATE_KEYS[name] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return PRIVATE_KEYS[name]


# -- certificates ---------------------------------------------------------------


@dataclass(frozen=True)
class CertSubject:
    """The state fields the certificates depend on (the cache key)."""

    serial: str
    name: str
    sex: str
    birth_date: dt.date
    address: str
    prefecture_en: str
    city_en: str
    issued: dt.date
    card_expiry: dt.date

    @classmethod
    def of(cls, state: CardState) -> CertSubject:
        h = state.holder
        facts = {f.name: getattr(h, f.name) for f in dataclasses.fields(cls) if hasattr(h, f.name)}
        return cls(
            serial=state.serial, issued=state.cert_issued, card_expiry=state.card_expiry, **facts
        )


@dataclass(frozen=True)
class Certificates:
    """DER bytes of the four certificates on the card."""

    auth: bytes
    auth_ca: bytes
    sign: bytes
    sign_ca: bytes


def utf8_string(text: str) -> bytes:
    """DER UTF8String."""
    return bytes(asn1_core.UTF8String(text).dump())


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()


def identifier(*parts: object, length: int = 23) -> str:
    """A serial-like upper-case string (like the real auth CN ``840444E37PAFHN08220003A``)."""
    n = int.from_bytes(_digest(*parts), "big")
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # the digits of n in base 36, lowest first
    return "".join(alphabet[n // 36**i % 36] for i in range(length))


def _name(*attributes: tuple[ObjectIdentifier, str]) -> x509.Name:
    """``C=JP``, then ``attributes`` (OID, value) in order."""
    pairs = [(NameOID.COUNTRY_NAME, "JP"), *attributes]
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


def root_name(purpose: str) -> x509.Name:
    ou = ROOT_OU[purpose]
    return _name((NameOID.ORGANIZATION_NAME, EMULATOR_ORG), (NameOID.ORGANIZATIONAL_UNIT_NAME, ou))


def _key_usage(*granted: str) -> x509.KeyUsage:
    """A KeyUsage with only the ``granted`` flags (its parameters' names) set."""
    flags = inspect.signature(x509.KeyUsage).parameters
    return x509.KeyUsage(**{flag: flag in granted for flag in flags})


def _issue(
    purpose: str,
    subject: x509.Name,
    extensions: list[tuple[x509.ExtensionType, bool]],
    s: CertSubject | None = None,
) -> bytes:
    """A certificate under the ``purpose`` root, with ``extensions`` (extension, critical)
    and its key identifiers: the root itself (``s`` None) or the holder's for ``s``."""
    root_key = private_key(f"{purpose}-root")
    key = root_key if s is None else private_key(f"{purpose}-user")
    extensions = [*extensions, (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)]
    if s is None:
        serial, start, end = ROOT_SERIAL[purpose], ROOT_NOT_BEFORE, ROOT_NOT_AFTER
    else:
        serial = int.from_bytes(_digest(purpose, s.serial, s.issued)[:4], "big") | 0x01000000
        start = dt.datetime.combine(s.issued, ISSUE_TIME)
        end = cert_not_after(s.birth_date, s.issued, s.card_expiry)
        authority = x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key())
        extensions.append((authority, False))
    builder = x509.CertificateBuilder(
        issuer_name=root_name(purpose),
        subject_name=subject,
        public_key=key.public_key(),
        serial_number=serial,
        not_valid_before=start,
        not_valid_after=end,
        extensions=[x509.Extension(ext.oid, critical, ext) for ext, critical in extensions],
    )
    return builder.sign(root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@functools.cache
def _root(purpose: str) -> bytes:
    ca = x509.BasicConstraints(ca=True, path_length=None)
    usage = _key_usage("key_cert_sign", "crl_sign")
    return _issue(purpose, root_name(purpose), [(usage, True), (ca, True)])


def _auth_cert(s: CertSubject) -> bytes:
    subject = _name((NameOID.COMMON_NAME, identifier("auth", s.serial, s.issued)))
    policies = x509.CertificatePolicies([x509.PolicyInformation(AUTH_POLICY, None)])
    client_auth = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    extensions = [(_key_usage("digital_signature"), True), (client_auth, False), (policies, True)]
    return _issue("auth", subject, extensions, s)


def holder_attributes(s: CertSubject) -> list[tuple[ObjectIdentifier, str]]:
    """The sign certificate's otherName entries, in the order a test card wrote them."""
    return [
        (OID["name"], s.name),
        (OID["birth_date"], era_birth_date(s.birth_date)),
        (OID["sex"], s.sex),
        (OID["address"], s.address),
        (OID["name_flags"], "0" * len(s.name)),
        (OID["address_flags"], "0" * len(s.address)),
    ]


def _sign_cert(s: CertSubject) -> bytes:
    subject = _name(
        (NameOID.LOCALITY_NAME, s.prefecture_en),
        (NameOID.LOCALITY_NAME, s.city_en),
        (NameOID.COMMON_NAME, identifier("sign", s.serial, s.issued)),
    )
    san = x509.SubjectAlternativeName(
        [x509.OtherName(oid, utf8_string(value)) for oid, value in holder_attributes(s)]
    )
    usage = _key_usage("digital_signature", "content_commitment")  # non-repudiation
    return _issue("sign", subject, [(usage, True), (san, False)], s)


#: The default state's certificates, in :class:`Certificates` order, as PEM.
SHIPPED = "certificates.pem"


@functools.cache
def shipped() -> Certificates:
    """The default state's certificates (:data:`SHIPPED`)."""
    pem = resources.files(__package__).joinpath(SHIPPED).read_bytes()
    certs = x509.load_pem_x509_certificates(pem)
    return Certificates(*(c.public_bytes(serialization.Encoding.DER) for c in certs))


@functools.lru_cache(maxsize=32)
def made(s: CertSubject) -> Certificates:
    """The four certificates for ``s``, signed with :func:`private_key`'s keys."""
    return Certificates(_auth_cert(s), _root("auth"), _sign_cert(s), _root("sign"))


def certificates(state: CardState) -> Certificates:
    """The card's four certificates for ``state``.

    The ones the state gives (``state.certificates``), the others generated (cached
    on the fields they depend on; nothing is generated when all four are given).
    """
    given = {name.replace("-", "_"): der for name, der in state.certificates.items()}
    if len(given) == len(dataclasses.fields(Certificates)):
        return Certificates(**given)
    subject = CertSubject.of(state)
    ours = shipped() if subject == CertSubject.of(type(state)()) else made(subject)
    return dataclasses.replace(ours, **given) if given else ours


def certificate(state: CardState, name: str) -> bytes:
    """The DER of the card's certificate ``name`` (:data:`jpki.profile.CERTIFICATES`)."""
    der: bytes = getattr(certificates(state), name.replace("-", "_"))
    return der
