"""Chain checks: the real J-LIS chain, the emulator's, each failure, the roots table."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import pem
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.x509.oid import NameOID

from jpki.certificate import CertificateError, parse_certificate
from jpki.chain import ChainResult, ChainStatus, RootMatch, check_chain, match_root
from jpki.emulator import CardState
from jpki.emulator import certs as emulator_certs
from jpki.jst import JST
from jpki.roots import ROOTS, SUBJECTS, JlisRoot
from realdata import REALDATA
from tzinfos import NoOffset

#: The project's own description of the card, with its roots table (docs/card.md).
CARD_DOC = Path(__file__).resolve().parents[2] / "docs" / "card.md"
UTC = dt.UTC

#: docs/card.md (roots table), auth gen 1.
AUTH_GEN1_SHA256 = (
    "4D:CF:C4:CA:0A:AF:9F:B2:A3:08:1B:3F:0C:99:1C:32:"
    "0B:3A:CC:00:86:67:A3:41:EE:AE:C5:AF:1D:58:CA:7D"
)
#: Which realdata file is which root.
ROOT_FILES = {
    "auth_ca_2015.pem": ("auth", 1),
    "auth_ca_2023.pem": ("auth", 3),
    "sign_ca_2015.pem": ("sign", 1),
    "sign_ca_2023.pem": ("sign", 3),
}
IN_2020 = dt.datetime(2020, 1, 1, tzinfo=UTC)
IN_2026 = dt.datetime(2026, 1, 1, tzinfo=UTC)
#: auth gen 1 and sign gen 1 end here (23:59:59 JST, 19 October 2025).
GEN1_END = dt.datetime(2025, 10, 19, 14, 59, 59, tzinfo=UTC)


def realdata(name: str) -> bytes:
    if not REALDATA.is_dir():
        pytest.skip(f"{REALDATA} absent")
    data = (REALDATA / name).read_bytes()
    if data.startswith(b"-----"):
        _type, _headers, data = pem.unarmor(data)
    return data


def fingerprint(der: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def root(purpose: str, generation: int) -> JlisRoot:
    return next(r for r in ROOTS if (r.purpose, r.generation) == (purpose, generation))


def tamper_signature(der: bytes) -> bytes:
    """Flip one bit in the last byte (inside the signature BIT STRING)."""
    return der[:-1] + bytes([der[-1] ^ 0x01])


# -- certificates made here -------------------------------------------------------------

_ROOT_KEY = ec.generate_private_key(ec.SECP256R1())
_OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
_USER_KEY = ec.generate_private_key(ec.SECP256R1())


def dn(text: str) -> x509.Name:
    """``C=JP, O=..., OU=...`` -> Name (the simple attribute types used here)."""
    oids = {
        "C": NameOID.COUNTRY_NAME,
        "O": NameOID.ORGANIZATION_NAME,
        "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "CN": NameOID.COMMON_NAME,
    }
    attributes = []
    for part in text.split(", "):
        key, value = part.split("=", 1)
        attributes.append(x509.NameAttribute(oids[key], value))
    return x509.Name(attributes)


def make_cert(
    subject: str,
    issuer: str,
    public_key: Any,
    signing_key: Any,
    *,
    serial: int = 5,
    not_before: dt.datetime = dt.datetime(2024, 1, 1, tzinfo=UTC),
    not_after: dt.datetime = dt.datetime(2030, 1, 1, tzinfo=UTC),
    rsa_padding: Any = None,
) -> bytes:
    builder = (
        x509.CertificateBuilder()
        .subject_name(dn(subject))
        .issuer_name(dn(issuer))
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    algorithm = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = builder.sign(signing_key, algorithm, rsa_padding=rsa_padding)
    return cert.public_bytes(serialization.Encoding.DER)


ROOT_DN = "C=JP, O=TEST-ROOT"
USER_DN = "C=JP, CN=USER"


def ec_chain() -> tuple[bytes, bytes]:
    ca = make_cert(ROOT_DN, ROOT_DN, _ROOT_KEY.public_key(), _ROOT_KEY)
    user = make_cert(USER_DN, ROOT_DN, _USER_KEY.public_key(), _ROOT_KEY)
    return user, ca


# -- the real J-LIS chain ---------------------------------------------------------------


def test_real_auth_chain_is_jlis_gen_1() -> None:
    user = realdata("auth-cert-real.cer")
    ca = realdata("auth_ca_2015.pem")
    result = check_chain(user, ca, IN_2020)
    assert result == ChainResult(
        status=ChainStatus.JLIS,
        signature_ok=True,
        ca_self_signed=True,
        root=RootMatch("auth", 1, AUTH_GEN1_SHA256, pinned=True),
        root_expired=False,
        ca_sha256=AUTH_GEN1_SHA256,
    )
    assert result.status == "j-lis"


def test_real_root_expiry_is_reported_apart_from_the_signature() -> None:
    user = realdata("auth-cert-real.cer")
    ca = realdata("auth_ca_2015.pem")
    later = check_chain(user, ca, IN_2026)
    assert later.root_expired is True
    assert later.status is ChainStatus.JLIS
    assert later.signature_ok is True
    assert check_chain(user, ca, GEN1_END).root_expired is False
    assert check_chain(user, ca, GEN1_END + dt.timedelta(seconds=1)).root_expired is True
    # the same instant in JST: the comparison is between instants, not wall clocks
    assert check_chain(user, ca, GEN1_END.astimezone(JST)).root_expired is False


def test_real_auth_certificate_with_the_sign_root() -> None:
    result = check_chain(realdata("auth-cert-real.cer"), realdata("sign_ca_2015.pem"), IN_2020)
    assert result.status is ChainStatus.ISSUER_MISMATCH
    assert result.signature_ok is False
    assert result.ca_self_signed is True
    # the CA is still recognised: a caller can say "this is the sign root"
    assert result.root == RootMatch("sign", 1, root("sign", 1).sha256 or "", pinned=True)


def test_real_auth_certificate_with_a_newer_auth_root() -> None:
    """Same name as gen 1, another key: the names match but the signature does not."""
    result = check_chain(realdata("auth-cert-real.cer"), realdata("auth_ca_2023.pem"), IN_2026)
    assert result.status is ChainStatus.BAD_SIGNATURE
    assert result.signature_ok is False
    assert result.root is not None and result.root.generation == 3
    assert result.root_expired is False


def test_tampered_signature_byte() -> None:
    user = tamper_signature(realdata("auth-cert-real.cer"))
    result = check_chain(user, realdata("auth_ca_2015.pem"), IN_2020)
    assert result.status is ChainStatus.BAD_SIGNATURE
    assert result.signature_ok is False
    assert result.ca_self_signed is True
    assert result.root is not None and result.root.generation == 1


def test_tampered_root_is_no_longer_jlis() -> None:
    ca = tamper_signature(realdata("auth_ca_2015.pem"))
    result = check_chain(realdata("auth-cert-real.cer"), ca, IN_2020)
    assert result.status is ChainStatus.CA_NOT_SELF_SIGNED
    assert result.signature_ok is True
    assert result.ca_self_signed is False
    assert result.root is None
    assert result.ca_sha256 == fingerprint(ca)


# -- the emulator -----------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["auth", "sign"])
def test_emulator_chain_verifies_but_is_not_jlis(purpose: str) -> None:
    certs = emulator_certs.certificates(CardState())
    user, ca = getattr(certs, purpose), getattr(certs, f"{purpose}_ca")
    result = check_chain(user, ca, dt.datetime(2025, 1, 1, tzinfo=UTC))
    assert result.status is ChainStatus.NOT_JLIS_ROOT
    assert result.signature_ok is True
    assert result.ca_self_signed is True
    assert result.root is None
    assert result.root_expired is False
    assert result.ca_sha256 == fingerprint(ca)


def test_emulator_auth_certificate_with_its_sign_ca() -> None:
    certs = emulator_certs.certificates(CardState())
    result = check_chain(certs.auth, certs.sign_ca, dt.datetime(2025, 1, 1, tzinfo=UTC))
    assert result.status is ChainStatus.ISSUER_MISMATCH
    assert result.signature_ok is False


def test_emulator_root_expiry() -> None:
    certs = emulator_certs.certificates(CardState())
    end = emulator_certs.ROOT_NOT_AFTER
    assert check_chain(certs.auth, certs.auth_ca, end).root_expired is False
    late = check_chain(certs.auth, certs.auth_ca, end + dt.timedelta(seconds=1))
    assert late.root_expired is True
    assert late.status is ChainStatus.NOT_JLIS_ROOT


# -- each verdict with certificates made here ------------------------------------------


def test_ec_chain_verifies() -> None:
    user, ca = ec_chain()
    result = check_chain(user, ca, IN_2026)
    assert (result.status, result.signature_ok, result.ca_self_signed) == (
        ChainStatus.NOT_JLIS_ROOT,
        True,
        True,
    )


def test_rsa_pss_chain_verifies() -> None:
    root_key = emulator_certs.private_key("auth-root")
    user_key = emulator_certs.private_key("auth-user")
    pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
    ca = make_cert(ROOT_DN, ROOT_DN, root_key.public_key(), root_key, rsa_padding=pss)
    user = make_cert(USER_DN, ROOT_DN, user_key.public_key(), root_key, rsa_padding=pss)
    result = check_chain(user, ca, IN_2026)
    assert (result.status, result.signature_ok) == (ChainStatus.NOT_JLIS_ROOT, True)
    bad = check_chain(tamper_signature(user), ca, IN_2026)
    assert (bad.status, bad.signature_ok) == (ChainStatus.BAD_SIGNATURE, False)


def test_ec_signature_by_another_key() -> None:
    ca = make_cert(ROOT_DN, ROOT_DN, _ROOT_KEY.public_key(), _ROOT_KEY)
    user = make_cert(USER_DN, ROOT_DN, _USER_KEY.public_key(), _OTHER_KEY)
    result = check_chain(user, ca, IN_2026)
    assert (result.status, result.signature_ok) == (ChainStatus.BAD_SIGNATURE, False)


def test_ec_signature_checked_with_an_rsa_key() -> None:
    """The CA has an RSA key; the user certificate says ECDSA: not verified."""
    rsa_key = emulator_certs.private_key("auth-root")
    ca = make_cert(ROOT_DN, ROOT_DN, rsa_key.public_key(), rsa_key)
    user = make_cert(USER_DN, ROOT_DN, _USER_KEY.public_key(), _ROOT_KEY)
    result = check_chain(user, ca, IN_2026)
    assert (result.status, result.signature_ok, result.ca_self_signed) == (
        ChainStatus.BAD_SIGNATURE,
        False,
        True,
    )


def test_rsa_signature_checked_with_an_ec_key() -> None:
    rsa_key = emulator_certs.private_key("auth-root")
    ca = make_cert(ROOT_DN, ROOT_DN, _ROOT_KEY.public_key(), _ROOT_KEY)
    user = make_cert(USER_DN, ROOT_DN, _USER_KEY.public_key(), rsa_key)
    assert check_chain(user, ca, IN_2026).signature_ok is False


def test_other_key_types_are_not_verified() -> None:
    """Ed25519 verifies in principle, but this module checks RSA and ECDSA only."""
    key = ed25519.Ed25519PrivateKey.generate()
    ca = make_cert(ROOT_DN, ROOT_DN, key.public_key(), key)
    user = make_cert(USER_DN, ROOT_DN, _USER_KEY.public_key(), key)
    result = check_chain(user, ca, IN_2026)
    assert (result.status, result.signature_ok, result.ca_self_signed) == (
        ChainStatus.BAD_SIGNATURE,
        False,
        False,
    )


def test_ca_issued_by_another_ca() -> None:
    intermediate = make_cert("C=JP, O=MID", ROOT_DN, _OTHER_KEY.public_key(), _ROOT_KEY)
    user = make_cert(USER_DN, "C=JP, O=MID", _USER_KEY.public_key(), _OTHER_KEY)
    result = check_chain(user, intermediate, IN_2026)
    assert result.status is ChainStatus.CA_NOT_SELF_SIGNED
    assert (result.signature_ok, result.ca_self_signed, result.root) == (True, False, None)


def test_ca_names_itself_but_another_key_signed_it() -> None:
    ca = make_cert(ROOT_DN, ROOT_DN, _OTHER_KEY.public_key(), _ROOT_KEY)
    user = make_cert(USER_DN, ROOT_DN, _USER_KEY.public_key(), _OTHER_KEY)
    result = check_chain(user, ca, IN_2026)
    assert (result.status, result.signature_ok, result.ca_self_signed) == (
        ChainStatus.CA_NOT_SELF_SIGNED,
        True,
        False,
    )


def test_ca_signed_by_its_own_key_under_another_issuer_name() -> None:
    ca = make_cert(ROOT_DN, "C=JP, O=ELSEWHERE", _ROOT_KEY.public_key(), _ROOT_KEY)
    user = make_cert(USER_DN, ROOT_DN, _USER_KEY.public_key(), _ROOT_KEY)
    result = check_chain(user, ca, IN_2026)
    assert (result.status, result.ca_self_signed) == (ChainStatus.CA_NOT_SELF_SIGNED, False)


def test_bad_signature_comes_before_ca_not_self_signed() -> None:
    ca = make_cert(ROOT_DN, ROOT_DN, _OTHER_KEY.public_key(), _ROOT_KEY)
    user = make_cert(USER_DN, ROOT_DN, _USER_KEY.public_key(), _USER_KEY)
    result = check_chain(user, ca, IN_2026)
    assert (result.status, result.signature_ok, result.ca_self_signed) == (
        ChainStatus.BAD_SIGNATURE,
        False,
        False,
    )


def test_issuer_mismatch_with_a_good_signature() -> None:
    """The names decide the mismatch, even when the key would verify."""
    ca = make_cert(ROOT_DN, ROOT_DN, _ROOT_KEY.public_key(), _ROOT_KEY)
    user = make_cert(USER_DN, "C=JP, O=SOMEONE ELSE", _USER_KEY.public_key(), _ROOT_KEY)
    result = check_chain(user, ca, IN_2026)
    assert result.status is ChainStatus.ISSUER_MISMATCH
    assert result.signature_ok is True


def test_issuer_names_compare_as_rfc5280_says() -> None:
    """Case and spaces do not matter in a PrintableString/UTF8String name (RFC 5280 7.1)."""
    ca = make_cert("C=JP, O=Test  Root", "C=JP, O=Test  Root", _ROOT_KEY.public_key(), _ROOT_KEY)
    user = make_cert(USER_DN, "C=JP, O=TEST ROOT", _USER_KEY.public_key(), _ROOT_KEY)
    assert check_chain(user, ca, IN_2026).status is ChainStatus.NOT_JLIS_ROOT


def test_status_values() -> None:
    assert [s.value for s in ChainStatus] == [
        "issuer-mismatch",
        "bad-signature",
        "ca-not-self-signed",
        "j-lis",
        "not-j-lis-root",
    ]


# -- inputs that are not certificates, and now ------------------------------------------


def test_user_certificate_that_is_not_one() -> None:
    _user, ca = ec_chain()
    with pytest.raises(CertificateError) as info:
        check_chain(b"\x30\x03\x02\x01\x01", ca, IN_2026)
    assert info.value.what == "user certificate"


def test_ca_certificate_that_is_not_one() -> None:
    user, _ca = ec_chain()
    with pytest.raises(CertificateError) as info:
        check_chain(user, user[:-1], IN_2026)
    assert info.value.what == "CA certificate"


def _version_4(der: bytes) -> bytes:
    """asn1crypto reads version 4; cryptography refuses it."""
    v3 = bytes.fromhex("a003020102")
    assert der.count(v3) == 1
    return der.replace(v3, bytes.fromhex("a003020103"))


@pytest.mark.parametrize(("which", "what"), [(0, "user certificate"), (1, "CA certificate")])
def test_certificate_cryptography_cannot_read(which: int, what: str) -> None:
    pair = list(ec_chain())
    pair[which] = _version_4(pair[which])
    parse_certificate(pair[which])  # asn1crypto reads it
    with pytest.raises(CertificateError) as info:
        check_chain(pair[0], pair[1], IN_2026)
    assert (info.value.what, info.value.reason) == (what, "cannot be read for signature checks")


@pytest.mark.parametrize("tzinfo", [None, NoOffset()])
def test_now_must_be_aware(tzinfo: dt.tzinfo | None) -> None:
    user, ca = ec_chain()
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        check_chain(user, ca, dt.datetime(2026, 1, 1, tzinfo=tzinfo))


# -- auth gen 2: recognised without a fingerprint ---------------------------------------

GEN2 = root("auth", 2)
#: 00:00 JST on the first day, 23:59:59 JST on the last.
GEN2_START = dt.datetime(2019, 9, 13, 15, 0, 0, tzinfo=UTC)
GEN2_END = dt.datetime(2029, 9, 14, 14, 59, 59, tzinfo=UTC)


def gen2_lookalike(
    *,
    subject: str = SUBJECTS["auth"],
    serial: int = GEN2.serial,
    not_before: dt.datetime = GEN2_START,
    not_after: dt.datetime = GEN2_END,
    signing_key: Any = _ROOT_KEY,
) -> bytes:
    return make_cert(
        subject,
        subject,
        _ROOT_KEY.public_key(),
        signing_key,
        serial=serial,
        not_before=not_before,
        not_after=not_after,
    )


def test_auth_gen_2_by_name_serial_and_dates_unpinned() -> None:
    ca = gen2_lookalike()
    user = make_cert(USER_DN, SUBJECTS["auth"], _USER_KEY.public_key(), _ROOT_KEY)
    result = check_chain(user, ca, IN_2026)
    assert result.status is ChainStatus.JLIS
    assert result.root == RootMatch("auth", 2, fingerprint(ca), pinned=False)
    assert result.root_expired is False


def test_auth_gen_2_dates_are_japan_days() -> None:
    info = parse_certificate(gen2_lookalike(not_before=GEN2_START + dt.timedelta(hours=8)))
    assert match_root(info, self_signed=True) is not None


@pytest.mark.parametrize(
    "change",
    [
        {"serial": GEN2.serial + 1},
        {"subject": SUBJECTS["sign"]},
        {"subject": "C=JP, O=JPKI-TEST, OU=JPKI for user authentication"},
        {"not_before": GEN2_START - dt.timedelta(seconds=1)},  # 13 Sep in Japan
        {"not_before": GEN2_START + dt.timedelta(days=1)},
        {"not_after": GEN2_END + dt.timedelta(seconds=1)},  # 15 Sep in Japan
        {"not_after": GEN2_END - dt.timedelta(days=1)},
    ],
)
def test_auth_gen_2_lookalikes_that_differ(change: dict[str, Any]) -> None:
    info = parse_certificate(gen2_lookalike(**change))
    assert match_root(info, self_signed=True) is None


def test_auth_gen_2_needs_a_self_signed_ca() -> None:
    info = parse_certificate(gen2_lookalike())
    assert match_root(info, self_signed=False) is None
    ca = gen2_lookalike(signing_key=_OTHER_KEY)
    user = make_cert(USER_DN, SUBJECTS["auth"], _USER_KEY.public_key(), _ROOT_KEY)
    result = check_chain(user, ca, IN_2026)
    assert (result.status, result.root) == (ChainStatus.CA_NOT_SELF_SIGNED, None)


def test_pinned_roots_are_not_recognised_by_name() -> None:
    """A look-alike of auth gen 1 (same DN, serial, dates, another key) is not J-LIS."""
    gen1 = root("auth", 1)
    ca = make_cert(
        SUBJECTS["auth"],
        SUBJECTS["auth"],
        _ROOT_KEY.public_key(),
        _ROOT_KEY,
        serial=gen1.serial,
        not_before=dt.datetime(2015, 10, 20, 3, 8, 13, tzinfo=UTC),
        not_after=GEN1_END,
    )
    assert match_root(parse_certificate(ca), self_signed=True) is None


# -- the roots table, the realdata files and the protocol notes ------------------------


def test_roots_table_shape() -> None:
    assert [(r.purpose, r.generation) for r in ROOTS] == [
        ("auth", 1),
        ("auth", 2),
        ("auth", 3),
        ("sign", 1),
        ("sign", 2),
        ("sign", 3),
    ]
    assert [(r.purpose, r.generation) for r in ROOTS if r.sha256 is None] == [("auth", 2)]
    for r in ROOTS:
        assert r.subject == SUBJECTS[r.purpose]
        assert r.sha256 is None or re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", r.sha256)


@pytest.mark.parametrize("name", sorted(ROOT_FILES))
def test_each_realdata_root_matches_its_table_entry(name: str) -> None:
    der = realdata(name)
    purpose, generation = ROOT_FILES[name]
    entry = root(purpose, generation)
    info = parse_certificate(der, name)
    assert entry.sha256 == fingerprint(der) == info.sha256
    assert info.serial == entry.serial
    assert info.subject == info.issuer == entry.subject
    assert info.not_before.astimezone(JST).date() == entry.not_before
    assert info.not_after.astimezone(JST).date() == entry.not_after
    assert match_root(info, self_signed=False) == RootMatch(
        purpose, generation, info.sha256, pinned=True
    )
    result = check_chain(der, der, IN_2020)
    assert (result.status, result.ca_self_signed) == (ChainStatus.JLIS, True)


def _protocol_roots() -> dict[str, tuple[str, str, str, str]]:
    """docs/card.md's roots table: name -> (serial, valid, sha256 or "")."""
    rows = {}
    pattern = re.compile(
        r"^\| ((?:auth|sign) gen \d) \| `([0-9A-F]+)` \| (\S+) – (\S+) \| (.*) \|$"
    )
    for line in CARD_DOC.read_text(encoding="utf-8").splitlines():
        m = pattern.match(line)
        if m:
            fp = re.search(r"`((?:[0-9A-F]{2}:){31}[0-9A-F]{2})`", m.group(5))
            rows[m.group(1)] = (m.group(2), m.group(3), m.group(4), fp.group(1) if fp else "")
    return rows


def test_table_agrees_with_the_card_description() -> None:
    rows = _protocol_roots()
    by_name = {f"{r.purpose} gen {r.generation}": r for r in ROOTS}
    assert sorted(rows) == sorted(by_name)
    for name, r in by_name.items():
        serial, start, end, fp = rows[name]
        assert int(serial, 16) == r.serial, name
        assert (start, end) == (r.not_before.isoformat(), r.not_after.isoformat()), name
        assert fp == (r.sha256 or ""), name


def test_protocol_fingerprints_equal_the_files() -> None:
    rows = _protocol_roots()
    for name, (purpose, generation) in ROOT_FILES.items():
        assert rows[f"{purpose} gen {generation}"][3] == fingerprint(realdata(name)), name
    assert rows["auth gen 1"][3] == AUTH_GEN1_SHA256
