"""Certificate decisions: validity, expiry, the chain to a J-LIS root, and what
``cert show``/``expiry``/``info`` report.

The real J-LIS files (``shared/realdata``, beside the repository) are found by
looking up from this file, so these tests also run from a copy of the tree (the
mutation tests' ``mutants/``); they skip when the files are absent. Everything
else uses the virtual card's certificates or bytes built here.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from asn1crypto import pem

from jpki import open_emulator, profile
from jpki.card import MyNumberCard
from jpki.cardcerts import CardCertificate, read_certificate, read_chain
from jpki.certificate import CertificateError, CertificateInfo, parse_certificate, readable_name
from jpki.chain import ChainResult, ChainStatus, RootMatch, check_chain, match_root
from jpki.emulator import build_state
from jpki.emulator.certs import certificates
from jpki.errors import PinAbsentError, PinRequestError, SpendRefusedError
from jpki.expiry import ExpiryItem, ExpiryReport, ExpiryState, end_of_day_jst, read_expiry
from jpki.jst import iso_utc
from jpki.roots import JlisRoot
from jpki.schema import nested
from realdata import REALDATA

UTC = dt.UTC
JST = dt.timezone(dt.timedelta(hours=9))
CERTS = certificates(build_state())


def realdata(name: str) -> bytes:
    if not REALDATA.is_dir():
        pytest.skip("shared/realdata absent")
    data = (REALDATA / name).read_bytes()
    if data.startswith(b"-----"):
        _type, _headers, data = pem.unarmor(data)
    return data


@pytest.fixture
def far_from_japan(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's zone is Honolulu (UTC-10): nothing may depend on it."""
    monkeypatch.setenv("TZ", "Pacific/Honolulu")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# -- the real J-LIS chain ------------------------------------------------------------------

AUTH_GEN1 = (
    "4D:CF:C4:CA:0A:AF:9F:B2:A3:08:1B:3F:0C:99:1C:32:"
    "0B:3A:CC:00:86:67:A3:41:EE:AE:C5:AF:1D:58:CA:7D"
)
IN_2020 = dt.datetime(2020, 1, 1, tzinfo=UTC)


def test_the_real_auth_certificate_chains_to_the_pinned_auth_root() -> None:
    result = check_chain(realdata("auth-cert-real.cer"), realdata("auth_ca_2015.pem"), IN_2020)
    assert result.status is ChainStatus.JLIS
    assert result.root == RootMatch("auth", 1, AUTH_GEN1, pinned=True)
    assert result.to_dict() == {
        "status": "j-lis",
        "signature_ok": True,
        "ca_self_signed": True,
        "root": {"purpose": "auth", "generation": 1, "sha256": AUTH_GEN1, "pinned": True},
        "root_expired": False,
        "ca_sha256": AUTH_GEN1,
    }


@pytest.mark.parametrize(
    ("name", "purpose", "generation"),
    [
        ("auth_ca_2023.pem", "auth", 3),
        ("sign_ca_2015.pem", "sign", 1),
        ("sign_ca_2023.pem", "sign", 3),
    ],
)
def test_each_real_root_is_recognised_by_its_fingerprint(
    name: str, purpose: str, generation: int
) -> None:
    info = parse_certificate(realdata(name))
    assert match_root(info, self_signed=True) == RootMatch(
        purpose, generation, info.sha256, pinned=True
    )
    # pinned: recognised whatever the caller found about the signature
    assert match_root(info, self_signed=False) == RootMatch(
        purpose, generation, info.sha256, pinned=True
    )


def test_the_real_auth_certificate_facts() -> None:
    info = parse_certificate(realdata("auth-cert-real.cer"), "auth")
    assert info.not_after == dt.datetime(2024, 5, 2, 14, 59, 59, tzinfo=UTC)
    assert (info.key_type, info.key_bits) == ("RSA", 2048)
    assert info.self_signed is False and info.personal is None


# -- roots recognised (a table of one root made here) --------------------------------------


def test_a_root_pinned_by_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    import jpki.chain

    ca = parse_certificate(CERTS.auth_ca)
    fake = JlisRoot("auth", 7, ca.serial, dt.date(2000, 1, 1), dt.date(2000, 1, 2), ca.sha256)
    monkeypatch.setattr(jpki.chain, "ROOTS", (fake,))
    assert match_root(ca, self_signed=False) == RootMatch("auth", 7, ca.sha256, pinned=True)
    result = check_chain(CERTS.auth, CERTS.auth_ca, IN_2020)
    assert result.status is ChainStatus.JLIS
    assert result.root == RootMatch("auth", 7, ca.sha256, pinned=True)
    assert result.to_dict()["root"] == {
        "purpose": "auth",
        "generation": 7,
        "sha256": ca.sha256,
        "pinned": True,
    }


def test_the_virtual_card_chain_is_not_jlis() -> None:
    result = check_chain(CERTS.auth, CERTS.auth_ca, IN_2020)
    assert (result.status, result.root, result.signature_ok, result.ca_self_signed) == (
        ChainStatus.NOT_JLIS_ROOT,
        None,
        True,
        True,
    )
    d = result.to_dict()
    assert d["root"] is None and d["status"] == "not-j-lis-root"
    assert d["ca_sha256"] == parse_certificate(CERTS.auth_ca).sha256


@pytest.mark.parametrize("naive", [dt.datetime(2020, 1, 1)])
def test_the_time_of_a_chain_check_must_be_aware(naive: dt.datetime) -> None:
    with pytest.raises(ValueError, match=r"^now must be timezone-aware$"):
        check_chain(CERTS.auth, CERTS.auth_ca, naive)


# -- what cert show prints (--json) ----------------------------------------------------------


def test_cert_show_json_fields_of_the_auth_certificate() -> None:
    info = parse_certificate(CERTS.auth, "auth")
    d = CardCertificate("auth", info).to_dict()
    assert d == {
        "schema_version": 1,
        "kind": "auth",
        "subject": info.subject,
        "issuer": "C=JP, O=JPKI-EMULATOR, OU=JPKI for user authentication",
        "serial": f"{info.serial:X}",
        "not_before": iso_utc(info.not_before),
        "not_after": iso_utc(info.not_after),
        "days_left": None,
        "key": {"type": "RSA", "bits": 2048},
        "sha256": info.sha256,
        "self_signed": False,
        "chain": None,
        "personal": None,
        "verified": None,
    }
    assert d["not_after"].endswith("Z") and d["not_before"] < d["not_after"]
    json.dumps(d)


def test_the_sign_certificates_personal_data_is_hidden_unless_asked() -> None:
    state = build_state()
    info = parse_certificate(certificates(state).sign, "sign")
    assert info.personal is not None
    cert = CardCertificate("sign", info)
    hidden = cert.to_dict()
    assert hidden["personal"] == "<hidden>"
    assert "L=<hidden>" in hidden["subject"] and state.holder.address not in json.dumps(hidden)
    shown = cert.to_dict(personal=True)
    assert shown["personal"] == {
        "name": state.holder.name,
        "address": state.holder.address,
        "birth_date": state.holder.birth_date.isoformat(),
        "era": "showa",
        "sex": {"1": "male", "2": "female"}[state.holder.sex],
    }
    assert info.personal.birth_date == "3" + state.holder.birth_date.strftime("%Y%m%d")
    assert shown["subject"] == info.subject


def test_cert_show_with_the_chain_on_the_virtual_card() -> None:
    with open_emulator() as card:
        chain = read_chain(card, "auth", IN_2020)
    assert chain.certificate.kind == "auth" and chain.ca.kind == "auth-ca"
    assert chain.result.status is ChainStatus.NOT_JLIS_ROOT
    d = chain.to_dict()
    assert d["schema_version"] == 1
    assert d["certificate"] == nested(chain.certificate.to_dict())
    assert d["ca"] == nested(chain.ca.to_dict()) and d["result"] == chain.result.to_dict()
    assert d["certificate"]["chain"] == d["result"] and d["ca"]["chain"] is None
    text = repr(chain)
    assert text.startswith("CertificateChain(status='not-j-lis-root', root=None, ")
    named = type(chain)(chain.certificate, chain.ca, _with_root(chain.result))
    assert repr(named).startswith("CertificateChain(status='j-lis', root='auth gen 1', ")


def _with_root(result: ChainResult) -> ChainResult:
    return ChainResult(ChainStatus.JLIS, True, True, RootMatch("auth", 1, "AA", True), False, "AA")


def test_the_sign_chain_hides_the_holder_unless_asked() -> None:
    state = build_state()
    with open_emulator(state) as card:
        chain = read_chain(card, "sign", IN_2020, sign_pin="ABC123")
    assert chain.to_dict()["certificate"]["personal"] == "<hidden>"
    assert chain.to_dict(personal=True)["certificate"]["personal"]["name"] == state.holder.name
    assert chain.to_dict(personal=True)["ca"]["personal"] is None


# -- reading certificates: which PIN, which refusal ------------------------------------------


def test_an_unknown_certificate_kind_is_refused_before_the_card() -> None:
    with open_emulator() as card:
        start = card.apdu_count
        with pytest.raises(PinRequestError) as caught:
            read_certificate(card, "signature")
        assert card.apdu_count == start
    assert (caught.value.reason, caught.value.detail) == ("unknown-certificate", "signature")


@pytest.mark.parametrize(
    ("kind", "reason"), [("sign", "no-sign-certificate"), ("sign-ca", "no-sign-ca")]
)
def test_no_sign_certificate_is_said_without_asking_a_pin(kind: str, reason: str) -> None:
    with open_emulator(build_state(sign_certificate=False)) as card:
        with pytest.raises(PinAbsentError) as caught:
            read_certificate(card, kind, sign_pin="ABC123")
        assert card.permits_issued == 0
    assert (caught.value.pin_id, caught.value.reason) == ("sign", reason)


def test_the_sign_certificate_needs_the_sign_pin() -> None:
    with open_emulator() as card:
        with pytest.raises(PinRequestError) as caught:
            read_certificate(card, "sign")
        assert card.permits_issued == 0
    assert (caught.value.reason, caught.value.detail) == ("missing-current", "sign")


def test_the_sign_ca_needs_no_pin() -> None:
    with open_emulator() as card:
        cert = read_certificate(card, "sign-ca")
        assert card.permits_issued == 0
    assert cert.verified is None and cert.info.self_signed is True


def test_the_last_try_of_the_sign_pin_is_not_spent_without_force() -> None:
    state = build_state(remaining={"sign": 1})
    with open_emulator(state) as card, pytest.raises(SpendRefusedError):
        read_certificate(card, "sign", sign_pin="ABC123")
    with open_emulator(state) as card, pytest.raises(SpendRefusedError):
        read_chain(card, "sign", IN_2020, sign_pin="ABC123")
    with open_emulator(state) as card, pytest.raises(SpendRefusedError):
        read_expiry(card, IN_2020, sign=True, sign_pin="ABC123")
    assert state.pins["sign"].remaining == 1
    with open_emulator(state) as card:
        cert = read_certificate(card, "sign", sign_pin="ABC123", force=True)
    assert cert.verified is not None and cert.info.personal is not None
    with open_emulator(build_state(remaining={"sign": 1})) as card:
        assert read_chain(card, "sign", IN_2020, sign_pin="ABC123", force=True).certificate
    with open_emulator(build_state(remaining={"sign": 1})) as card:
        report = read_expiry(card, IN_2020, sign=True, sign_pin="ABC123", force=True)
    assert report.item("sign").state is ExpiryState.OK


class Filler:
    """A virtual card whose EF holds ``content`` instead of its certificate."""

    def __init__(self, fid: int, content: bytes) -> None:
        from jpki.emulator import EmulatorTransport, VirtualCard

        self.inner = EmulatorTransport(VirtualCard(build_state()))
        self.fid, self.content = fid, content
        self.current: int | None = None

    def __call__(self, apdu: bytes) -> bytes:
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        if ins == 0xA4 and p1 == 0x02:
            self.current = int.from_bytes(apdu[5:7], "big")
        if ins == 0xB0 and (self.current == self.fid if not p1 & 0x80 else p1 & 0x1F == self.fid):
            offset = 0 if p1 & 0x80 else (p1 << 8) | p2
            return self.content[offset : offset + 256] + b"\x90\x00"
        return self.inner.transmit(apdu)


def card_with(fid: int, content: bytes) -> MyNumberCard:
    from apdu import FunctionTransport

    return MyNumberCard(FunctionTransport(Filler(fid, content)), extended=False)


@pytest.mark.parametrize("broken", [CERTS.auth[:4] + b"\x02\x01\x05" * 10, b"\x30\x03\x02\x01\x05"])
def test_a_broken_certificate_file_names_the_certificate(broken: bytes) -> None:
    with pytest.raises(CertificateError) as caught:
        read_certificate(card_with(profile.AUTH_CERT.fid, broken), "auth")
    assert caught.value.what == "auth"


def tlv(tag: int, content: bytes) -> bytes:
    """DER TLV, the shortest length form."""
    n = len(content)
    size = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)])
    if n >= 0x80:
        size += n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + size + content


SEQ = 0x30


# -- parsing -------------------------------------------------------------------------------


def test_truncated_and_trailing_say_so_with_their_codes() -> None:
    der = CERTS.auth
    with pytest.raises(CertificateError) as caught:
        parse_certificate(der[:-10], "auth")
    e = caught.value
    assert (e.what, e.code, e.reason) == (
        "auth",
        "truncated",
        f"truncated: {len(der) - 10} of {len(der)} bytes",
    )
    with pytest.raises(CertificateError) as caught:
        parse_certificate(der + b"\x00\x00\x00", "auth")
    e = caught.value
    assert (e.what, e.code, e.reason) == (
        "auth",
        "trailing",
        "trailing data after the DER object (3 bytes)",
    )
    with pytest.raises(CertificateError) as caught:
        parse_certificate(b"\x31\x03abc")
    assert (caught.value.what, caught.value.code) == ("certificate", "bad-length")
    with pytest.raises(CertificateError) as caught:
        parse_certificate(b"\x30\x03\x02\x01\x05", "x")
    assert (caught.value.what, caught.value.code) == ("x", "not-x509")


def test_a_name_value_that_is_not_a_string_is_shown_as_hex() -> None:
    from asn1crypto import x509 as asn1_x509

    value = tlv(0x04, b"\xab\xcd")  # an OCTET STRING under an unknown attribute type
    der = tlv(SEQ, tlv(0x31, tlv(SEQ, tlv(0x06, b"\x2a\x03\x04") + value)))
    assert readable_name(asn1_x509.Name.load(der)) == "1.2.3.4=#0402ABCD"


def ec_self_signed(curve: Any, common_name: str, *extensions: Any) -> CertificateInfo:
    """A self-signed certificate on an EC key of ``curve``, parsed; ``extensions``
    are added as non-critical."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(curve)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2024, 1, 1, tzinfo=UTC))
        .not_valid_after(dt.datetime(2030, 1, 1, tzinfo=UTC))
    )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    built = builder.sign(key, hashes.SHA256())
    return parse_certificate(built.public_bytes(serialization.Encoding.DER))


def test_an_ec_key_size_is_a_whole_number_of_bits() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    info = ec_self_signed(ec.SECP384R1(), "EC")
    assert (info.key_type, info.key_bits) == ("EC", 384)
    assert json.dumps(CardCertificate("x", info).to_dict()["key"]) == '{"type": "EC", "bits": 384}'


def test_a_personal_entry_after_other_entries_is_still_read() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ObjectIdentifier

    utf8 = tlv(0x0C, "架空 太郎".encode())
    san = x509.SubjectAlternativeName(
        [
            x509.DNSName("example.jp"),
            x509.OtherName(ObjectIdentifier("1.2.3.4"), utf8),
            x509.OtherName(ObjectIdentifier("1.2.392.200149.8.5.5.1"), utf8),
        ]
    )
    info = ec_self_signed(ec.SECP256R1(), "S", san)
    assert info.personal is not None and info.personal.name == "架空 太郎"


# -- time: calendar days in Japan, whatever the machine's zone -------------------------------


@pytest.mark.usefixtures("far_from_japan")
def test_times_are_utc_and_days_are_japan_days_on_any_machine() -> None:
    info = parse_certificate(CERTS.auth)
    assert info.not_after.utcoffset() == dt.timedelta(0)
    assert info.not_before.utcoffset() == dt.timedelta(0)
    assert iso_utc(info.not_after) is not None and iso_utc(info.not_after).endswith("Z")
    assert iso_utc(dt.datetime(2030, 1, 1, 9, tzinfo=JST)) == "2030-01-01T00:00:00Z"
    end = end_of_day_jst(dt.date(2034, 4, 10))
    assert end.utcoffset() == dt.timedelta(0) and iso_utc(end) == "2034-04-10T14:59:59Z"


@pytest.mark.usefixtures("far_from_japan")
@pytest.mark.parametrize(
    ("when", "text"),
    [
        (dt.datetime(2029, 4, 10, 14, 59, 59, tzinfo=UTC), "2029-04-10 23:59:59"),
        (dt.datetime(2029, 4, 10, 15, 0, 0, tzinfo=UTC), "2029-04-11 00:00:00"),
        (dt.datetime(2029, 4, 10, 0, 1, 0, tzinfo=UTC), "2029-04-10 09:01:00"),
        (dt.datetime(2029, 4, 10, 9, 1, 2, tzinfo=JST), "2029-04-10 09:01:02"),
        (dt.datetime(9999, 12, 31, 0, 0, 0, tzinfo=UTC), "9999-12-31 09:00:00"),
        (dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "10000-01-01 08:59:59"),
    ],
)
def test_times_in_japan_as_shown(when: dt.datetime, text: str) -> None:
    from jpki.jst import jst_text

    assert jst_text(when) == text


@pytest.mark.parametrize("function", ["jst_text", "jst_ordinal"])
def test_a_time_without_a_zone_is_refused(function: str) -> None:
    import jpki.jst

    with pytest.raises(ValueError, match=r"^when must be timezone-aware$"):
        getattr(jpki.jst, function)(dt.datetime(2029, 4, 10))


@pytest.mark.usefixtures("far_from_japan")
@pytest.mark.parametrize(
    ("auth_end", "estimate"),
    [
        (dt.datetime(2029, 4, 10, 14, 59, 59, tzinfo=UTC), dt.date(2034, 4, 10)),
        # 23:59:59 JST on 29 February: five years later there is none, the 28th
        (dt.datetime(2028, 2, 29, 14, 59, 59, tzinfo=UTC), dt.date(2033, 2, 28)),
        # 00:30 JST on 1 March is still 28 February in UTC and in Honolulu
        (dt.datetime(2029, 2, 28, 15, 30, tzinfo=UTC), dt.date(2034, 3, 1)),
    ],
)
def test_the_card_estimate_when_its_record_cannot_be_read(
    auth_end: dt.datetime, estimate: dt.date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No 共通カードAP: the card's date is guessed from the auth certificate (+5 years,
    the seeds' rule of thumb), labelled as such and never used for the exit status."""
    from dataclasses import replace

    from jpki import expiry

    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    original = expiry.read_certificate

    def auth_ending(card: MyNumberCard, kind: str, **kw: object) -> CardCertificate:
        cert = original(card, kind, **kw)  # type: ignore[arg-type]
        return replace(cert, info=replace(cert.info, not_after=auth_end))

    monkeypatch.setattr(expiry, "read_certificate", auth_ending)
    with open_emulator(build_state(applications=["jpki", "cardinfo", "surface", "juki"])) as card:
        report = read_expiry(card, now)
    item = report.item("card")
    assert (item.not_after, item.days_left, item.state, item.estimate) == (
        None,
        None,
        ExpiryState.UNKNOWN,
        estimate,
    )
    assert report.worst is not ExpiryState.UNKNOWN


def test_no_estimate_without_the_auth_certificate() -> None:
    """A smartphone token: the auth certificate needs ②; no card record either."""
    state = build_state(token="android", applications=["jpki"])
    with open_emulator(state) as card:
        report = read_expiry(card, IN_2020)
    assert [(i.id, i.state, i.estimate) for i in report.items] == [
        ("card", ExpiryState.UNKNOWN, None),
        ("auth", ExpiryState.UNKNOWN, None),
    ]
    assert report.worst is ExpiryState.OK


def test_no_sign_certificate_is_reported_absent() -> None:
    with open_emulator(build_state(sign_certificate=False)) as card:
        report = read_expiry(card, IN_2020, sign=True)
    sign = report.item("sign")
    assert (sign.state, sign.absent, sign.not_after) == (ExpiryState.UNKNOWN, True, None)
    assert sign.to_dict()["absent"] is True


def test_expiry_reprs_say_what_is_missing() -> None:
    estimate = ExpiryItem("card", None, None, ExpiryState.UNKNOWN, estimate=dt.date(2034, 4, 10))
    absent = ExpiryItem("sign", None, None, ExpiryState.UNKNOWN, absent=True)
    end = dt.datetime(2029, 4, 10, 14, 59, 59, tzinfo=UTC)
    auth = ExpiryItem("auth", end, 42, ExpiryState.EXPIRING)
    assert repr(estimate) == (
        "ExpiryItem(id='card', not_after=None, days_left=None, state='unknown', "
        "estimate='2034-04-10')"
    )
    assert repr(absent) == (
        "ExpiryItem(id='sign', not_after=None, days_left=None, state='unknown', absent=True)"
    )
    assert repr(auth) == (
        "ExpiryItem(id='auth', not_after='2029-04-10T14:59:59Z', days_left=42, state='expiring')"
    )
    report = ExpiryReport("r", IN_2020, 90, (estimate, auth, absent))
    assert repr(report) == (
        "ExpiryReport(reader='r', now='2020-01-01T00:00:00Z', warn_days=90, worst='expiring', "
        "items=[card ? ? unknown (estimate 2034-04-10), "
        "auth 2029-04-10T14:59:59Z 42d expiring, sign ? ? unknown (absent)])"
    )
