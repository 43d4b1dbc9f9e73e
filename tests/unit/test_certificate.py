"""Certificate parsing: DER length, the real auth certificate, personal fields, errors, days."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pytest
from asn1crypto import pem
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, x25519
from cryptography.x509.oid import NameOID, ObjectIdentifier

from jpki.certificate import CertificateError, PersonalFields, der_length, parse_certificate
from jpki.emulator import CardState
from jpki.emulator import certs as emulator_certs
from jpki.errors import JpkiError
from jpki.jst import JST, days_left
from realdata import REALDATA
from tzinfos import NoOffset

UTC = dt.UTC

#: The real auth certificate's facts (openssl x509 -text on realdata/auth-cert-real.cer).
REAL_AUTH_SHA256 = (
    "44:9E:F3:F9:3B:E0:C5:42:53:30:AF:2B:41:C6:37:69:"
    "19:0A:A7:5A:71:32:23:D9:68:39:F6:53:71:04:00:7E"
)
JLIS_AUTH_DN = (
    "C=JP, O=JPKI, OU=JPKI for user authentication, "
    "OU=Japan Agency for Local Authority Information Systems"
)

OID_NAME = "1.2.392.200149.8.5.5.1"
OID_ADDRESS = "1.2.392.200149.8.5.5.5"


def realdata(name: str) -> bytes:
    if not REALDATA.is_dir():
        pytest.skip(f"{REALDATA} absent")
    data = (REALDATA / name).read_bytes()
    if data.startswith(b"-----"):
        _type, _headers, data = pem.unarmor(data)
    return data


# -- certificates made here (a throwaway EC key: fast) ---------------------------------

_KEY = ec.generate_private_key(ec.SECP256R1())
_SIMPLE = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])


def make_cert(
    *,
    subject: x509.Name = _SIMPLE,
    public_key: object = None,
    extensions: tuple[x509.ExtensionType, ...] = (),
    not_before: dt.datetime = dt.datetime(2024, 1, 1, tzinfo=UTC),
    not_after: dt.datetime = dt.datetime(2030, 1, 1, tzinfo=UTC),
) -> bytes:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(_SIMPLE)
        .public_key(public_key or _KEY.public_key())  # type: ignore[arg-type]
        .serial_number(7)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for ext in extensions:
        builder = builder.add_extension(ext, critical=False)
    return builder.sign(_KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def utf8(text: str) -> bytes:
    return emulator_certs.utf8_string(text)


def san(*entries: x509.GeneralName) -> x509.SubjectAlternativeName:
    return x509.SubjectAlternativeName(list(entries))


def other(oid: str, value: bytes) -> x509.OtherName:
    return x509.OtherName(ObjectIdentifier(oid), value)


def one_line_error(data: bytes, what: str = "certificate") -> CertificateError:
    with pytest.raises(CertificateError) as info:
        parse_certificate(data, what)
    err = info.value
    assert type(err) is CertificateError
    assert "\n" not in str(err)
    assert str(err) == f"{what}: {err.reason}"
    assert err.what == what
    return err


# -- CertificateError -----------------------------------------------------------------


def test_certificate_error_keeps_what_and_reason_on_one_line() -> None:
    err = CertificateError("auth", "bad\nthing")
    assert isinstance(err, JpkiError)
    assert err.what == "auth"
    assert err.reason == "bad\nthing"
    assert str(err) == "auth: bad thing"


# -- der_length -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "total"),
    [
        ("3000", 2),
        ("3005", 7),
        ("307F", 2 + 0x7F),
        ("308180", 3 + 0x80),
        ("3081FF00", 3 + 0xFF),
        ("30820621", 4 + 0x621),
        ("30820621FFFF", 4 + 0x621),
        ("3083010000", 5 + 0x10000),
        ("308400000100", 6 + 0x100),
        ("308401000000", 6 + 0x1000000),
    ],
)
def test_der_length(head: str, total: int) -> None:
    assert der_length(bytes.fromhex(head)) == total


def test_der_length_of_the_real_auth_certificate() -> None:
    der = realdata("auth-cert-real.cer")
    assert der_length(der[:6]) == len(der) == 1573


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        ("", "0 bytes, too short to hold a DER length"),
        ("30", "1 bytes, too short to hold a DER length"),
        ("3100", "not a DER SEQUENCE (tag 31)"),
        ("0282", "not a DER SEQUENCE (tag 02)"),
        ("3080", "indefinite length, not DER"),
        ("308500000000", "impossible DER length (5-byte length)"),
        ("30FF", "impossible DER length (127-byte length)"),
        ("3081", "2 bytes, too short to hold a 1-byte DER length"),
        ("308206", "3 bytes, too short to hold a 2-byte DER length"),
        ("3084000001", "5 bytes, too short to hold a 4-byte DER length"),
    ],
)
def test_der_length_errors(head: str, reason: str) -> None:
    with pytest.raises(CertificateError) as info:
        der_length(bytes.fromhex(head))
    assert info.value.reason == reason
    assert info.value.what == "certificate"


def test_der_length_names_what() -> None:
    with pytest.raises(CertificateError) as info:
        der_length(b"\x30\x80", "sign-ca")
    assert str(info.value) == "sign-ca: indefinite length, not DER"


def test_der_length_recognises_pem() -> None:
    with pytest.raises(CertificateError) as info:
        der_length(b"-----BEGIN CERTIFICATE-----")
    assert info.value.reason == "PEM text, expected DER"


# -- the real auth certificate ----------------------------------------------------------


def test_real_auth_certificate() -> None:
    der = realdata("auth-cert-real.cer")
    info = parse_certificate(der, "auth")
    assert info.der == der
    assert info.subject == "C=JP, CN=840444E37PAFHN08220003A"
    assert info.issuer == JLIS_AUTH_DN
    assert "JPKI for user authentication" in info.issuer
    assert info.serial == 0x012D57CA
    assert info.not_before == dt.datetime(2019, 7, 25, 15, 28, 6, tzinfo=UTC)
    assert info.not_after == dt.datetime(2024, 5, 2, 14, 59, 59, tzinfo=UTC)
    assert info.not_after.utcoffset() == dt.timedelta(0)
    assert info.not_before.utcoffset() == dt.timedelta(0)
    assert (info.key_type, info.key_bits) == ("RSA", 2048)
    assert info.sha256 == REAL_AUTH_SHA256
    assert info.sha256 == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert info.self_signed is False
    assert info.personal is None


def test_real_auth_pem_and_der_files_hold_the_same_certificate() -> None:
    assert realdata("auth-cert-real.pem") == realdata("auth-cert-real.cer")


def test_jlis_root_is_self_signed_by_name() -> None:
    info = parse_certificate(realdata("auth_ca_2015.pem"))
    assert info.self_signed is True
    assert info.subject == info.issuer == JLIS_AUTH_DN


# -- the emulator's certificates: personal fields -----------------------------------------


def test_sign_certificate_personal_fields() -> None:
    state = CardState()
    holder = state.holder
    info = parse_certificate(emulator_certs.certificates(state).sign, "sign")
    assert info.personal == PersonalFields(
        name=holder.name,
        name_flags="0" * len(holder.name),
        sex=holder.sex,
        birth_date=emulator_certs.era_birth_date(holder.birth_date),
        address=holder.address,
        address_flags="0" * len(holder.address),
    )
    assert info.subject.startswith("C=JP, L=")
    assert info.issuer == "C=JP, O=JPKI-EMULATOR, OU=JPKI for digital signature"


def test_repr_hides_personal_data_and_der() -> None:
    state = CardState()
    holder = state.holder
    der = emulator_certs.certificates(state).sign
    info = parse_certificate(der, "sign")
    assert info.personal is not None
    birth_date = info.personal.birth_date
    assert birth_date is not None
    for text in (repr(info), repr(info.personal), str(info)):
        assert holder.name not in text
        assert holder.address not in text
        assert birth_date not in text
        assert "der=" not in text
        assert der.hex()[:40] not in text
    assert repr(info.personal) == (
        "PersonalFields(name=<hidden>, name_flags=<hidden>, sex=<hidden>, "
        "birth_date=<hidden>, address=<hidden>, address_flags=<hidden>)"
    )


def test_repr_shows_absent_fields() -> None:
    fields = PersonalFields("架空", None, None, None, None, None)
    assert repr(fields) == (
        "PersonalFields(name=<hidden>, name_flags=None, sex=None, "
        "birth_date=None, address=None, address_flags=None)"
    )


def test_auth_certificate_of_the_emulator_has_no_personal_fields() -> None:
    info = parse_certificate(emulator_certs.certificates(CardState()).auth)
    assert info.personal is None
    assert info.issuer == "C=JP, O=JPKI-EMULATOR, OU=JPKI for user authentication"


def test_subject_alt_name_without_jpki_entries_is_not_personal() -> None:
    der = make_cert(
        extensions=(san(x509.DNSName("example.jp"), other("1.2.3.4", utf8("x"))),),
    )
    assert parse_certificate(der).personal is None


def test_partial_personal_fields() -> None:
    der = make_cert(
        extensions=(san(x509.DNSName("a.jp"), other(OID_ADDRESS, utf8("どこか"))),),
    )
    assert parse_certificate(der).personal == PersonalFields(None, None, None, None, "どこか", None)


def test_personal_field_that_is_not_text() -> None:
    der = make_cert(extensions=(san(other(OID_NAME, b"\x02\x01\x05")),))
    err = one_line_error(der, "sign")
    assert err.reason == f"subjectAltName {OID_NAME} is not a text string"


def test_personal_field_twice() -> None:
    der = make_cert(extensions=(san(other(OID_NAME, utf8("a")), other(OID_NAME, utf8("b"))),))
    err = one_line_error(der, "sign")
    assert err.reason == f"subjectAltName {OID_NAME} appears twice"


# -- names --------------------------------------------------------------------------------


def test_readable_name_short_names_order_and_escapes() -> None:
    A = x509.NameAttribute
    subject = x509.Name(
        [
            x509.RelativeDistinguishedName([A(NameOID.COUNTRY_NAME, "JP")]),
            x509.RelativeDistinguishedName([A(NameOID.STATE_OR_PROVINCE_NAME, "Tokyo")]),
            x509.RelativeDistinguishedName([A(NameOID.LOCALITY_NAME, "Chiyoda")]),
            x509.RelativeDistinguishedName([A(NameOID.STREET_ADDRESS, "1-2-3")]),
            x509.RelativeDistinguishedName([A(NameOID.ORGANIZATION_NAME, "Org, Inc.")]),
            x509.RelativeDistinguishedName([A(NameOID.ORGANIZATIONAL_UNIT_NAME, "a+b\\c")]),
            x509.RelativeDistinguishedName(
                [A(NameOID.COMMON_NAME, "Taro"), A(NameOID.SERIAL_NUMBER, "42")]
            ),
            x509.RelativeDistinguishedName([A(NameOID.SURNAME, "Yamada")]),
            x509.RelativeDistinguishedName([A(NameOID.GIVEN_NAME, "Taro")]),
            x509.RelativeDistinguishedName([A(NameOID.TITLE, "Dr")]),
            x509.RelativeDistinguishedName([A(NameOID.USER_ID, "u1")]),
            x509.RelativeDistinguishedName([A(NameOID.DOMAIN_COMPONENT, "jp")]),
            x509.RelativeDistinguishedName([A(NameOID.EMAIL_ADDRESS, "a@b.jp")]),
            x509.RelativeDistinguishedName([A(ObjectIdentifier("1.2.3.4.5"), "odd")]),
        ]
    )
    info = parse_certificate(make_cert(subject=subject))
    assert info.subject == (
        "C=JP, ST=Tokyo, L=Chiyoda, STREET=1-2-3, O=Org\\, Inc., OU=a\\+b\\\\c, "
        "serialNumber=42+CN=Taro, SN=Yamada, GN=Taro, title=Dr, UID=u1, DC=jp, "
        "emailAddress=a@b.jp, 1.2.3.4.5=odd"
    )
    assert info.issuer == "CN=test"
    assert info.self_signed is False


def test_readable_name_value_that_is_not_a_string() -> None:
    subject = x509.Name(
        [
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER,
                b"\x00\xab",
                _type=x509.name._ASN1Type.BitString,
            )
        ]
    )
    assert parse_certificate(make_cert(subject=subject)).subject.startswith("2.5.4.45=#03")


def test_self_signed_by_name_only() -> None:
    assert parse_certificate(make_cert(subject=_SIMPLE)).self_signed is True


# -- keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "key_type", "bits"),
    [
        (ec.generate_private_key(ec.SECP256R1()), "EC", 256),
        (ec.generate_private_key(ec.SECP384R1()), "EC", 384),
        (ec.generate_private_key(ec.SECP521R1()), "EC", 521),
        (dsa.generate_private_key(1024), "DSA", 1024),
        (ed25519.Ed25519PrivateKey.generate(), "Ed25519", 256),
        (ed448.Ed448PrivateKey.generate(), "Ed448", 456),
        (x25519.X25519PrivateKey.generate(), "x25519", 0),
    ],
)
def test_key_type_and_size(key: object, key_type: str, bits: int) -> None:
    info = parse_certificate(make_cert(public_key=key.public_key()))  # type: ignore[attr-defined]
    assert (info.key_type, info.key_bits) == (key_type, bits)


# -- not a certificate ------------------------------------------------------------------


def test_truncated() -> None:
    der = realdata("auth-cert-real.cer")
    err = one_line_error(der[:-1], "auth")
    assert err.reason == "truncated: 1572 of 1573 bytes"
    assert one_line_error(der[:6]).reason == "truncated: 6 of 1573 bytes"


def test_trailing_bytes() -> None:
    der = realdata("auth-cert-real.cer")
    assert one_line_error(der + b"\xff", "auth").reason == (
        "trailing data after the DER object (1 bytes)"
    )
    assert one_line_error(der + b"\x00" * 3).reason == (
        "trailing data after the DER object (3 bytes)"
    )


def test_wrong_outer_length() -> None:
    der = bytearray(realdata("auth-cert-real.cer"))
    assert der[:4] == bytes.fromhex("30820621")
    der[3] = 0x20  # claims one byte less: the last byte is left over
    assert "trailing data" in one_line_error(bytes(der)).reason
    der[3] = 0x22
    assert one_line_error(bytes(der)).reason == "truncated: 1573 of 1574 bytes"


def test_wrong_inner_length() -> None:
    der = bytearray(realdata("auth-cert-real.cer"))
    assert der[4:8] == bytes.fromhex("30820509")  # tbsCertificate
    der[7] = 0x08
    err = one_line_error(bytes(der), "auth")
    assert err.reason == "not a DER X.509 certificate"
    assert not isinstance(err, ValueError)
    assert err.__cause__ is not None


@pytest.mark.parametrize(
    "data",
    [
        bytes.fromhex("3003020101"),  # a SEQUENCE holding an INTEGER
        bytes.fromhex("3000"),
        b"\x30\x81\x80" + random.Random(1).randbytes(0x80),
        b"\x30\x82\x01\x00" + random.Random(2).randbytes(0x100),
    ],
)
def test_not_x509(data: bytes) -> None:
    assert one_line_error(data).reason == "not a DER X.509 certificate"


def test_random_bytes() -> None:
    rng = random.Random(0)
    for _ in range(50):
        data = rng.randbytes(rng.randrange(0, 300))
        err = one_line_error(data)
        assert len(str(err)) < 80


def test_pem_is_refused() -> None:
    if not REALDATA.is_dir():
        pytest.skip(f"{REALDATA} absent")
    text = (REALDATA / "auth-cert-real.pem").read_bytes()
    assert one_line_error(text).reason == "PEM text, expected DER"


@pytest.mark.parametrize(
    ("oid", "value"),
    [
        (x509.oid.ExtensionOID.KEY_USAGE, b"\x05\x00"),  # NULL, not a BIT STRING
        # a SEQUENCE OF PolicyInformation holding a NULL: only a full decode sees it
        (x509.oid.ExtensionOID.CERTIFICATE_POLICIES, b"\x30\x02\x05\x00"),
    ],
)
def test_malformed_extension_is_caught_at_parse_time(oid: ObjectIdentifier, value: bytes) -> None:
    der = make_cert(extensions=(x509.UnrecognizedExtension(oid, value),))
    assert one_line_error(der).reason == "not a DER X.509 certificate"


@pytest.mark.parametrize("field", ["notBefore", "notAfter"])
def test_date_that_python_cannot_hold(field: str) -> None:
    """Year 0000 (asn1crypto's extended_datetime): not a representable date."""
    year_2050 = dt.datetime(2050, 1, 1, tzinfo=UTC)
    if field == "notBefore":
        der = make_cert(not_before=year_2050, not_after=dt.datetime(2060, 1, 1, tzinfo=UTC))
    else:
        der = make_cert(not_after=year_2050)
    needle = b"\x18\x0f20500101000000Z"
    assert der.count(needle) == 1
    der = der.replace(needle, b"\x18\x0f00000101000000Z")
    assert one_line_error(der).reason == f"{field} is not a representable date"


# -- days_left --------------------------------------------------------------------------

END = dt.datetime(2024, 5, 2, 14, 59, 59, tzinfo=UTC)  # 23:59:59 JST, 2 May


@pytest.mark.parametrize(
    ("now", "left"),
    [
        (dt.datetime(2024, 5, 2, 14, 59, 59, tzinfo=UTC), 0),
        (dt.datetime(2024, 5, 2, 15, 0, 0, tzinfo=UTC), -1),
        (dt.datetime(2024, 5, 1, 14, 59, 59, tzinfo=UTC), 1),
        (dt.datetime(2024, 5, 1, 15, 0, 0, tzinfo=UTC), 0),  # JST date turns at 15:00Z
        (dt.datetime(2024, 5, 1, 14, 59, 59, tzinfo=UTC), 1),
        (dt.datetime(2024, 5, 1, 23, 0, 0, tzinfo=UTC), 0),
        (dt.datetime(2024, 5, 2, 0, 0, 0, tzinfo=UTC), 0),
        (dt.datetime(2024, 5, 3, 14, 59, 59, tzinfo=UTC), -1),
        (dt.datetime(2024, 5, 3, 15, 0, 0, tzinfo=UTC), -2),
        (dt.datetime(2023, 5, 2, 15, 0, 0, tzinfo=UTC), 365),
        (dt.datetime(2024, 5, 2, 0, 0, 0, tzinfo=JST), 0),
        (dt.datetime(2024, 5, 1, 23, 59, 59, tzinfo=JST), 1),
    ],
)
def test_days_left(now: dt.datetime, left: int) -> None:
    assert days_left(END, now) == left


def test_days_left_uses_the_jst_date_of_not_after() -> None:
    now = dt.datetime(2024, 5, 1, 16, 0, 0, tzinfo=UTC)  # 2 May 01:00 JST
    assert days_left(dt.datetime(2024, 5, 1, 15, 0, 0, tzinfo=UTC), now) == 0
    assert days_left(dt.datetime(2024, 5, 1, 14, 59, 59, tzinfo=UTC), now) == -1


@pytest.mark.parametrize("naive", ["not_after", "now"])
@pytest.mark.parametrize("tzinfo", [None, NoOffset()])
def test_days_left_refuses_naive_datetimes(naive: str, tzinfo: dt.tzinfo | None) -> None:
    values = {"not_after": END, "now": dt.datetime(2024, 1, 1, tzinfo=UTC)}
    values[naive] = values[naive].replace(tzinfo=tzinfo)
    with pytest.raises(ValueError, match=f"{naive} must be timezone-aware"):
        days_left(values["not_after"], values["now"])
