"""The virtual card's certificates: validity dates, content, and reading them over the card."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

from apdu import ApduChannel, CommandAPDU
from jpki.emulator import CardState, EmulatorTransport, VirtualCard, certificates
from jpki.emulator.certs import (
    cert_not_after,
    era_birth_date,
    nth_birthday_after,
    utf8_string,
)
from jpki.emulator.statefile import parse as parse_state
from realdata import REALDATA

JPKI = bytes.fromhex("D392F000260100000001")
D = dt.date


# -- dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "issued", "fifth"),
    [
        (D(1985, 4, 10), D(2024, 6, 1), D(2029, 4, 10)),  # birthday already past this year
        (D(1985, 8, 10), D(2024, 6, 1), D(2028, 8, 10)),  # birthday still to come: 1st
        (D(1985, 6, 1), D(2024, 6, 1), D(2029, 6, 1)),  # issued on the birthday: not counted
        (D(1985, 6, 2), D(2024, 6, 1), D(2028, 6, 2)),  # the day after issue counts
        (D(2000, 2, 29), D(2024, 6, 1), D(2029, 2, 28)),  # 29 Feb: 28 Feb in other years
        (D(2000, 2, 29), D(2023, 6, 1), D(2028, 2, 29)),  # ... and 29 Feb in leap years
        (D(2000, 2, 29), D(2024, 2, 28), D(2028, 2, 29)),
    ],
)
def test_fifth_birthday_after_issue(birth: dt.date, issued: dt.date, fifth: dt.date) -> None:
    assert nth_birthday_after(birth, issued, 5) == fifth
    assert cert_not_after(birth, issued, D(2099, 1, 1)) == dt.datetime(
        fifth.year, fifth.month, fifth.day, 14, 59, 59, tzinfo=dt.UTC
    )


def test_not_after_is_capped_at_the_card_expiry() -> None:
    got = cert_not_after(D(1985, 4, 10), D(2024, 6, 1), D(2027, 12, 24))
    assert got == dt.datetime(2027, 12, 24, 14, 59, 59, tzinfo=dt.UTC)


def test_the_rule_matches_the_real_auth_certificate() -> None:
    path = REALDATA / "auth-cert-real.pem"
    if not path.exists():
        pytest.skip("shared/realdata absent")
    real = x509.load_pem_x509_certificate(path.read_bytes())
    issued = real.not_valid_before_utc + dt.timedelta(hours=9)  # JST day of issue
    after = real.not_valid_after_utc
    birth = D(1970, after.month, after.day)  # only month and day matter
    assert cert_not_after(birth, issued.date(), D(2099, 1, 1)) == after


@pytest.mark.parametrize(
    ("birth", "text"),
    [
        (D(1980, 2, 17), "319800217"),
        (D(1989, 1, 7), "319890107"),
        (D(1989, 1, 8), "419890108"),
        (D(2019, 5, 1), "520190501"),
        (D(1920, 1, 1), "219200101"),
        (D(1900, 1, 1), "119000101"),
    ],
)
def test_era_birth_date(birth: dt.date, text: str) -> None:
    assert era_birth_date(birth) == text


def test_card_certificates_follow_state_dates() -> None:
    s = parse_state(
        {
            "holder": {"birth_date": "2000-02-29"},
            "cert_issued": "2024-06-01",
            "card_expiry": "2034-02-28",
        }
    )
    auth = x509.load_der_x509_certificate(certificates(s).auth)
    assert auth.not_valid_before_utc == dt.datetime(2024, 6, 1, 1, 0, 0, tzinfo=dt.UTC)
    assert auth.not_valid_after_utc == dt.datetime(2029, 2, 28, 14, 59, 59, tzinfo=dt.UTC)
    capped = parse_state({"card_expiry": "2026-03-31"})
    sign = x509.load_der_x509_certificate(certificates(capped).sign)
    assert sign.not_valid_after_utc == dt.datetime(2026, 3, 31, 14, 59, 59, tzinfo=dt.UTC)


# -- content -----------------------------------------------------------------------


def _load(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


def _verify(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    key = issuer.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert cert.signature_hash_algorithm is not None
    key.verify(
        cert.signature,
        cert.tbs_certificate_bytes,
        padding.PKCS1v15(),
        cert.signature_hash_algorithm,
    )


def test_roots() -> None:
    c = certificates(CardState())
    for der, ou in (
        (c.auth_ca, "JPKI for user authentication"),
        (c.sign_ca, "JPKI for digital signature"),
    ):
        root = _load(der)
        assert root.subject == root.issuer
        assert root.subject.rfc4514_string() == f"OU={ou},O=JPKI-EMULATOR,C=JP"
        assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.key_cert_sign and usage.crl_sign
        assert root.not_valid_before_utc.date() == D(2023, 7, 16)
        assert root.not_valid_after_utc == dt.datetime(2033, 7, 15, 14, 59, 59, tzinfo=dt.UTC)
        _verify(root, root)


def test_auth_certificate() -> None:
    c = certificates(CardState())
    cert, root = _load(c.auth), _load(c.auth_ca)
    assert cert.issuer == root.subject
    assert [a.oid for a in cert.subject] == [NameOID.COUNTRY_NAME, NameOID.COMMON_NAME]
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert isinstance(cn, str) and len(cn) == 23 and cn.isalnum() and cn.upper() == cn
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    assert cert.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.content_commitment
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    _verify(cert, root)


def test_sign_certificate() -> None:
    c = certificates(CardState())
    cert, root = _load(c.sign), _load(c.sign_ca)
    assert cert.issuer == root.subject
    assert [(a.oid, a.value) for a in cert.subject][:3] == [
        (NameOID.COUNTRY_NAME, "JP"),
        (NameOID.LOCALITY_NAME, "Tokyo-to"),
        (NameOID.LOCALITY_NAME, "Chiyoda-ku"),
    ]
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    assert cert.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    others = [(n.type_id.dotted_string, n.value) for n in san if isinstance(n, x509.OtherName)]
    assert others == [
        ("1.2.392.200149.8.5.5.1", utf8_string("架空 花子")),
        ("1.2.392.200149.8.5.5.4", utf8_string("319850410")),
        ("1.2.392.200149.8.5.5.3", utf8_string("2")),
        ("1.2.392.200149.8.5.5.5", utf8_string("東京都千代田区架空町一丁目２番３号")),
        ("1.2.392.200149.8.5.5.2", utf8_string("00000")),
        ("1.2.392.200149.8.5.5.6", utf8_string("0" * 17)),
    ]
    _verify(cert, root)
    assert cert.fingerprint(hashes.SHA256()) != _load(c.auth).fingerprint(hashes.SHA256())


def test_certificates_are_deterministic_and_follow_the_holder() -> None:
    a = certificates(CardState())
    b = certificates(CardState())
    assert a == b
    other = certificates(parse_state({"holder": {"name": "仮名 太郎"}}))
    assert other.auth == a.auth and other.sign != a.sign and other.sign_ca == a.sign_ca


def test_second_card_is_fast() -> None:
    VirtualCard(CardState())
    start = time.perf_counter()
    VirtualCard(CardState())
    assert time.perf_counter() - start < 0.05


# -- reading them over the card ----------------------------------------------------


def _read_der(channel: ApduChannel, p1_sfi: int) -> bytes:
    """Read the head, decode the DER length, then read the rest in 256-byte chunks."""
    head = channel.send(CommandAPDU(0x00, 0xB0, p1_sfi, 0x00, le=4))
    assert head.ok and head.data[:2] == b"\x30\x82"
    total = int.from_bytes(head.data[2:4], "big") + 4
    data = bytearray(head.data)
    while len(data) < total:
        offset = len(data)
        resp = channel.send(
            CommandAPDU(0x00, 0xB0, offset >> 8, offset & 0xFF, le=min(256, total - offset))
        )
        assert resp.ok
        data += resp.data
    return bytes(data)


@pytest.mark.parametrize("quirks", [{}, {"get_response": True}, {"no_extended": True}])
def test_certificates_read_over_the_card_parse(quirks: dict[str, bool]) -> None:
    state = parse_state({"quirks": quirks})
    channel = ApduChannel(EmulatorTransport(VirtualCard(state)), extended=False)
    assert channel.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, JPKI)).ok
    auth = _read_der(channel, 0x8A)
    assert auth == certificates(state).auth
    assert _load(auth).subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "JP"
    assert channel.send(CommandAPDU(0x00, 0x20, 0x00, 0x9B, b"ABC123")).ok
    sign = _read_der(channel, 0x81)
    assert _load(sign).issuer.rfc4514_string().startswith("OU=JPKI for digital signature")


def test_whole_certificate_ef_in_one_extended_read() -> None:
    state = CardState()
    channel = ApduChannel(EmulatorTransport(VirtualCard(state)))
    assert channel.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, JPKI)).ok
    resp = channel.send(CommandAPDU(0x00, 0xB0, 0x8B, 0x00, le=65536))
    assert resp.ok and len(resp.data) == 2048
    total = int.from_bytes(resp.data[2:4], "big") + 4
    assert _load(resp.data[:total]).subject == _load(certificates(state).auth_ca).subject
    with pytest.raises(ValueError):
        _load(resp.data)  # the filler is not part of the certificate
