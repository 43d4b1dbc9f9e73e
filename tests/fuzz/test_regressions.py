"""The crashes the fuzz tests found (or that their findings pointed to), one test each.

Each was an exception other than the tool's typed errors:

- ``OverflowError`` in :func:`jpki.jst.days_left` for a notAfter from 9999-12-31T15:00Z
  on (RFC 5280's 99991231235959Z: "no well-defined expiration date"), whose date in
  Japan is in year 10000, and for such a "now";
- ``ValueError`` in the card-expiry estimate (auth notAfter + 5 years past 9999);
- ``OverflowError`` in the chain check's look-alike root match at such a notAfter,
  and in the CLI's Japan-time display of it (``info``, ``expiry``, ``cert show``);
- in state files: ``ValueError`` for a certificate path with a NUL, ``RuntimeError``
  for ``~user`` of no known user, and cryptography's ``InvalidVersion`` (not a
  ValueError) for a certificate whose version is not v1-v3.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

import jpki
from cli_runner import jpkitool_inprocess as run
from jpki.certificate import parse_certificate
from jpki.chain import ChainStatus, check_chain
from jpki.emulator import certificates, statefile
from jpki.emulator.certs import private_key
from jpki.emulator.statefile import StateError
from jpki.expiry import _years_later, expiry_item
from jpki.jst import days_left

from .strategies import Node, corpus, parse_tree

UTC = dt.UTC
NEVER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
NOW = dt.datetime(2025, 6, 1, tzinfo=UTC)


def test_days_left_at_the_end_of_time() -> None:
    assert days_left(NEVER, NOW) == (dt.date(9999, 12, 31) - dt.date(2025, 6, 1)).days + 1
    assert days_left(NOW, NEVER) == -days_left(NEVER, NOW)
    assert days_left(dt.datetime(1, 1, 1, tzinfo=UTC), NOW) < 0
    jst_morning = dt.datetime(2025, 6, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert days_left(jst_morning, dt.datetime(2025, 5, 31, 15, tzinfo=UTC)) == 0
    assert expiry_item("auth", NEVER, NOW, 90).state.value == "ok"


def test_card_estimate_past_year_9999() -> None:
    assert _years_later(NEVER, 5) is None
    assert _years_later(dt.datetime(9995, 1, 1, tzinfo=UTC), 5) is None
    assert _years_later(dt.datetime(9994, 2, 28, 15, tzinfo=UTC), 5) == dt.date(9999, 3, 1)
    assert _years_later(dt.datetime(2024, 2, 29, tzinfo=UTC), 5) == dt.date(2029, 2, 28)


def _auth_never_expiring() -> bytes:
    """The virtual card's auth certificate with notAfter 99991231235959Z (unsigned)."""
    root = parse_tree(corpus()[0])
    validity = root.children[0].children[4]  # type: ignore[index]
    validity.children[1] = Node(0x18, b"99991231235959Z")  # type: ignore[index]
    return root.encode()


def test_expiry_of_a_card_whose_auth_certificate_never_expires() -> None:
    der = _auth_never_expiring()
    assert parse_certificate(der).not_after == NEVER
    # No 共通カードAP: the card's date is estimated from the auth certificate's.
    state = statefile.build_state(certificates={"auth": der}, applications=["jpki"])
    with jpki.open_emulator(state) as card:
        report = jpki.read_expiry(card, NOW)
    assert report.item("card").estimate is None
    assert report.item("auth").days_left == days_left(NEVER, NOW)


@pytest.mark.parametrize("command", [["info"], ["expiry"], ["cert", "show", "auth"]])
def test_cli_shows_a_certificate_that_never_expires(tmp_path: Path, command: list[str]) -> None:
    """The commands that print a notAfter in Japan time (10000-01-01 08:59:59 JST)."""
    state = tmp_path / "card.json"
    der = base64.b64encode(_auth_never_expiring()).decode()
    state.write_text(f'{{"certificates": {{"auth": "{der}"}}}}')
    args = ["--emulator", "--emulator-state", str(state), "--lang", "en", "--now", NOW.isoformat()]
    result = run(*args, *command)
    assert "unexpected error" not in result.err, result.err
    assert "10000-01-01 08:59:59 JST" in result.out, result.out


def test_chain_with_a_look_alike_root_that_never_expires() -> None:
    """A self-signed CA with auth gen 2's subject, serial and first day (the root matched
    without a fingerprint), but notAfter 9999-12-31T23:59:59Z."""
    key = private_key("auth-root")
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "JPKI for user authentication"),
            x509.NameAttribute(
                NameOID.ORGANIZATIONAL_UNIT_NAME,
                "Japan Agency for Local Authority Information Systems",
            ),
        ]
    )

    def build(subject: x509.Name, serial: int) -> bytes:
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(dt.datetime(2019, 9, 14, 0, tzinfo=UTC))
            .not_valid_after(NEVER)
            .sign(key, hashes.SHA256())
        )
        return cert.public_bytes(Encoding.DER)

    ca = build(name, 0x0133C349)
    user = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "user")]), 7)
    result = check_chain(user, ca, NOW)
    assert result.ca_self_signed and result.root is None
    assert result.status is ChainStatus.NOT_JLIS_ROOT


def _v4(der: bytes) -> bytes:
    """``der`` with version 5 (v6) in its TBSCertificate: cryptography's InvalidVersion."""
    i = der.index(bytes.fromhex("a003020102"))
    return der[: i + 4] + b"\x05" + der[i + 5 :]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("a\x00b.pem", "os"),
        ("~no-such-user-jpkitool/auth.pem", "os"),
        (lambda: base64.b64encode(_v4(certificates_auth())).decode(), "certificate"),
        (lambda: _v4(certificates_auth()), "certificate"),
        ("v6.pem", "certificate"),
    ],
)
def test_state_file_certificates_that_crashed(tmp_path: Path, value: object, code: str) -> None:
    pem = (
        b"-----BEGIN CERTIFICATE-----\n"
        + base64.encodebytes(_v4(certificates_auth()))
        + b"-----END CERTIFICATE-----\n"
    )
    (tmp_path / "v6.pem").write_bytes(pem)
    given = value() if callable(value) else value
    with pytest.raises(StateError) as caught:
        statefile.parse({"certificates": {"auth": given}}, tmp_path)
    assert caught.value.code == code
    assert caught.value.field.startswith("certificates.auth")  # (": <path>" once it is read)


def certificates_auth() -> bytes:
    return certificates(statefile.build_state()).auth
