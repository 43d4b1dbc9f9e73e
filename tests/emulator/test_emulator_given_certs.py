"""Certificates given to the virtual card: real ones from ``shared/realdata``, filler after the DER.

Each card test is a conversation: ``>`` a command, ``<`` the expected answer (``*``
stands for any non-empty data before the status word). The real certificates are
read from ``shared/realdata`` beside the repository (never copied into it); the
tests that need them skip when it is absent.
"""

from __future__ import annotations

import base64
import datetime as dt
import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from jpki.emulator import (
    CardState,
    StateError,
    VirtualCard,
    build_state,
    certificates,
    load_state,
    save_state,
)
from jpki.emulator.certs import private_key
from jpki.emulator.statefile import dumps as dumps_state
from jpki.emulator.statefile import loads as loads_state
from jpki.emulator.statefile import parse as parse_state
from jpki.emulator.statefile import to_document
from realdata import REALDATA

from .conversation import JPKI, talk


def real(name: str) -> Path:
    """A file of ``shared/realdata`` (the test skips when it is absent)."""
    path = REALDATA / name
    if not path.is_file():
        pytest.skip("shared/realdata absent")
    return path


def der_of(name: str) -> bytes:
    """The DER of a realdata certificate (PEM or DER file)."""
    raw = real(name).read_bytes()
    if raw.startswith(b"-----"):
        return x509.load_pem_x509_certificate(raw).public_bytes(Encoding.DER)
    return raw


def long_certificate() -> bytes:
    """A certificate of more than 2048 bytes (many subjectAltName entries), emulator keys."""
    key = private_key("auth-user")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "long")])
    san = x509.SubjectAlternativeName([x509.DNSName(f"host{i:03d}.example.jp") for i in range(80)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2029, 6, 1, tzinfo=dt.UTC))
        .add_extension(san, critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.DER)


# -- the real certificates with 300 bytes of filler --------------------------------


def test_real_auth_certificate_whole_with_extended_le_then_6b00() -> None:
    der = der_of("auth-cert-real.cer")
    assert len(der) == 0x625  # 1573 bytes; + 300 filler = 0x751
    card = VirtualCard(build_state(certificates={"auth": der}, cert_filler=300))
    (whole,) = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 8A 00 00 00 00
        < * 90 00
        > 00 B0 07 51 01
        < 6B 00
        > 00 B0 07 50 00 00 00
        < 00 90 00
        """,
    )[1:2]
    assert whole == der + bytes(300)


def test_real_auth_certificate_in_256_byte_chunks_by_offset() -> None:
    der = der_of("auth-cert-real.cer")
    assert len(der) == 0x625
    card = VirtualCard(build_state(certificates={"auth": der}, cert_filler=300))
    chunks = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 0A
        < 90 00
        > 00 B0 00 00 00
        < * 90 00
        > 00 B0 01 00 00
        < * 90 00
        > 00 B0 02 00 00
        < * 90 00
        > 00 B0 03 00 00
        < * 90 00
        > 00 B0 04 00 00
        < * 90 00
        > 00 B0 05 00 00
        < * 90 00
        > 00 B0 06 00 00
        < * 90 00
        > 00 B0 07 00 00
        < * 90 00
        > 00 B0 07 51 00
        < 6B 00
        """,
    )[2:10]
    assert [len(c) for c in chunks] == [256] * 7 + [0x51]
    assert b"".join(chunks) == der + bytes(300)


def test_real_auth_ca_2015_whole_and_in_chunks() -> None:
    der = der_of("auth_ca_2015.pem")
    assert len(der) == 0x524  # 1316 bytes; + 300 filler = 0x650
    state = build_state(certificates={"auth-ca": real("auth_ca_2015.pem")}, cert_filler=300)
    card = VirtualCard(state)
    replies = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 A4 02 0C 02 00 0B
        < 90 00
        > 00 B0 00 00 00 00 00
        < * 90 00
        > 00 B0 00 00 00
        < * 90 00
        > 00 B0 01 00 00
        < * 90 00
        > 00 B0 02 00 00
        < * 90 00
        > 00 B0 03 00 00
        < * 90 00
        > 00 B0 04 00 00
        < * 90 00
        > 00 B0 05 00 00
        < * 90 00
        > 00 B0 06 00 00
        < * 90 00
        > 00 B0 06 50 00
        < 6B 00
        """,
    )
    whole, chunks = replies[2], replies[3:10]
    assert whole == der + bytes(300)
    assert [len(c) for c in chunks] == [256] * 6 + [0x50]
    assert b"".join(chunks) == whole


def test_real_certificates_under_the_get_response_quirk() -> None:
    der = der_of("auth_ca_2015.pem")
    state = build_state(
        certificates={"auth-ca": der}, cert_filler=300, quirks={"get_response": True}
    )
    replies = talk(
        VirtualCard(state),
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 8B 00 00 00 00
        < 61 00
        > 00 C0 00 00 00
        < * 61 00
        > 00 C0 00 00 00
        < * 61 00
        > 00 C0 00 00 00
        < * 61 00
        > 00 C0 00 00 00
        < * 61 00
        > 00 C0 00 00 00
        < * 61 00
        > 00 C0 00 00 00
        < * 61 50
        > 00 C0 00 00 50
        < * 90 00
        > 00 B0 00 00 00 00 00
        < 61 00
        > 00 B0 06 50 00
        < 6B 00
        """,
    )
    assert b"".join(replies[2:9]) == der + bytes(300)


def test_real_certificates_under_the_no_extended_quirk() -> None:
    der = der_of("auth-cert-real.cer")
    state = build_state(certificates={"auth": der}, cert_filler=300, quirks={"no_extended": True})
    replies = talk(
        VirtualCard(state),
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 8A 00 00 00 00
        < 67 00
        > 00 B0 8A 00 00
        < * 90 00
        > 00 B0 01 00 00
        < * 90 00
        > 00 B0 07 00 00
        < * 90 00
        > 00 B0 07 51 01
        < 6B 00
        """,
    )
    ef = der + bytes(300)
    first, second, last = replies[2:5]
    assert first + second == ef[:512]
    assert last == ef[0x700:] == bytes(0x51)  # the last of the filler


@pytest.mark.parametrize(("name", "sfi"), [("auth", 0x8A), ("auth-ca", 0x8B), ("sign-ca", 0x82)])
def test_a_given_certificate_replaces_that_ef_only(name: str, sfi: int) -> None:
    der = der_of("sign_ca_2023.pem")
    state = build_state(certificates={name: der}, cert_filler=0)
    made = certificates(CardState())  # the generated ones
    card = VirtualCard(state)
    replies = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 8A 00 00 00 00
        < * 90 00
        > 00 B0 8B 00 00 00 00
        < * 90 00
        > 00 B0 82 00 00 00 00
        < * 90 00
        """,
    )
    served = dict(zip((0x8A, 0x8B, 0x82), replies[1:], strict=True))
    generated = {0x8A: made.auth, 0x8B: made.auth_ca, 0x82: made.sign_ca}
    for ef, data in served.items():
        assert data == (der if ef == sfi else generated[ef])  # cert_filler 0: the DER alone


def test_given_sign_certificate_still_needs_the_sign_password() -> None:
    der = der_of("auth-cert-real.cer")
    card = VirtualCard(build_state(certificates={"sign": der}, cert_filler=2))
    (data,) = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 81 00 02
        < 69 82
        > 00 20 00 9B 06 41 42 43 31 32 33
        < 90 00
        > 00 B0 81 00 00 00 00
        < * 90 00
        > 00 B0 06 27 01
        < 6B 00
        """,
    )[3:4]
    assert data == der + b"\x00\x00"


# -- a certificate longer than 2048 bytes ---------------------------------------------


@pytest.mark.parametrize("filler", [None, 0, 300])
def test_certificate_longer_than_2048_bytes(filler: int | None) -> None:
    der = long_certificate()
    assert len(der) > 2048
    ef = der + bytes(filler or 0)  # null: no padding when the DER is longer than 2048
    end = len(ef)
    card = VirtualCard(build_state(certificates={"auth": der}, cert_filler=filler))
    replies = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 8A 00 00 00 00
        < * 90 00
        > 00 B0 08 00 00
        < * 90 00
        > 00 B0 {end - 1:04X} 00 00 00
        < * 90 00
        > 00 B0 {end:04X} 01
        < 6B 00
        """,
    )
    whole, after_2048, last = replies[1:4]
    assert whole == ef
    assert after_2048 == ef[2048 : 2048 + 256]
    assert last == ef[-1:]


def test_certificate_longer_than_2048_bytes_with_get_response() -> None:
    der = long_certificate()
    state = build_state(certificates={"auth": der}, quirks={"get_response": True})
    card = VirtualCard(state)
    talk(card, f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n> 00 B0 8A 00 00 00 00\n< 61 00")
    data = bytearray()
    while True:
        reply = card.process(bytes.fromhex("00 C0 00 00 00"))
        data += reply[:-2]
        if reply[-2:] == b"\x90\x00":
            break
        assert reply[-2] == 0x61
    assert bytes(data) == der


# -- file inputs, JSON, round trips ------------------------------------------------------


def test_pem_and_der_files_and_bytes_give_the_same_certificate() -> None:
    der = der_of("auth-cert-real.cer")
    from_pem = build_state(certificates={"auth": str(real("auth-cert-real.pem"))})
    from_der = build_state(certificates={"auth": str(real("auth-cert-real.cer"))})
    from_path = build_state(certificates={"auth": real("auth-cert-real.pem")})
    from_bytes = build_state(certificates={"auth": der})
    assert from_pem.certificates == {"auth": der}
    assert from_pem == from_der == from_path == from_bytes
    assert certificates(from_pem).auth == der


def test_base64_in_a_json_state_file(tmp_path: Path) -> None:
    der = der_of("auth_ca_2015.pem")
    path = tmp_path / "card.json"
    text = base64.b64encode(der).decode("ascii")
    path.write_text(json.dumps({"certificates": {"auth-ca": text}, "cert_filler": 300}), "utf-8")
    state = load_state(path)
    assert state.certificates == {"auth-ca": der} and state.cert_filler == 300
    (data,) = talk(
        VirtualCard(state),
        f"> 00 A4 04 0C 0A {JPKI}\n< 90 00\n> 00 B0 8B 00 00 00 00\n< * 90 00",
    )[1:]
    assert data == der + bytes(300)


def test_relative_path_in_a_state_file_is_from_its_folder(tmp_path: Path) -> None:
    relative = os.path.relpath(real("auth_ca_2015.pem"), tmp_path)
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"certificates": {"auth-ca": relative}}), "utf-8")
    assert load_state(path).certificates == {"auth-ca": der_of("auth_ca_2015.pem")}


def test_state_file_round_trip_keeps_the_certificates_as_base64(tmp_path: Path) -> None:
    der = der_of("auth-cert-real.cer")
    ca = der_of("auth_ca_2015.pem")
    state = build_state(
        certificates={"auth-ca": real("auth_ca_2015.pem"), "auth": der}, cert_filler=300
    )
    path = tmp_path / "card.json"
    save_state(state, path)
    doc = json.loads(path.read_text("utf-8"))
    assert doc["certificates"] == {
        "auth": base64.b64encode(der).decode("ascii"),
        "auth-ca": base64.b64encode(ca).decode("ascii"),
    }
    assert doc["cert_filler"] == 300
    assert str(REALDATA) not in path.read_text("utf-8")  # DER, never a path
    again = load_state(path)
    assert again == state and list(again.certificates) == ["auth", "auth-ca"]
    assert loads_state(dumps_state(state)) == state


def test_repr_leaves_the_certificates_out() -> None:
    der = der_of("auth-cert-real.cer")
    text = repr(build_state(certificates={"auth": der}, cert_filler=300))
    assert "certificates" not in text and "MII" not in text and "\\x" not in text
    assert len(text) < 2000 and "cert_filler=300" in text


# -- errors naming the field -------------------------------------------------------------


def test_bad_path_names_the_field(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(StateError) as caught:
        build_state(certificates={"auth": str(missing)})
    assert caught.value.field == f"certificates.auth: {missing}"
    assert (caught.value.code, caught.value.params["errno"]) == ("os", errno.ENOENT)
    assert str(caught.value) == f"certificates.auth: {missing}: No such file or directory"
    with pytest.raises(StateError) as caught:
        build_state(certificates={"auth": str(tmp_path)})
    assert str(caught.value) == f"certificates.auth: {tmp_path}: not a regular file"


@pytest.mark.parametrize(
    "content",
    [
        b"not a certificate\n",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"\x30\x03\x02\x01\x01",
        b"",
    ],
)
def test_non_certificate_file_names_the_field(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pem"
    path.write_bytes(content)
    with pytest.raises(StateError) as caught:
        build_state(certificates={"auth": str(path)})
    assert (caught.value.field, caught.value.code) == (f"certificates.auth: {path}", "certificate")
    assert str(caught.value) == (
        f"certificates.auth: {path}: not a certificate (a PEM or DER file, or base64 DER)"
    )


def test_state_file_with_a_bad_certificate_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text('{"certificates": {"auth": "nowhere.pem"}}', "utf-8")
    with pytest.raises(StateError) as caught:
        load_state(path)
    assert str(caught.value) == (
        f"{path}: certificates.auth: {tmp_path / 'nowhere.pem'}: No such file or directory"
    )
    assert "\n" not in str(caught.value)


def test_base64_that_is_not_a_certificate() -> None:
    text = base64.b64encode(b"\x30\x82\x01\x00" + bytes(256)).decode("ascii")
    with pytest.raises(StateError) as caught:
        parse_state({"certificates": {"sign": text}})
    assert str(caught.value) == (
        "certificates.sign: not a certificate (a PEM or DER file, or base64 DER)"
    )


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"certificates": {"auth": b"\x30\x00"}},
            "certificates.auth: not a certificate (a PEM or DER file, or base64 DER)",
        ),
        ({"certificates": {"auth": 3}}, 'certificates.auth: must be of the form "…"'),
        ({"certificates": {"auth-ca": ""}}, "certificates.auth-ca: must not be empty"),
        ({"certificates": {"root": "x.pem"}}, "certificates.root: unknown field"),
        ({"certificates": ["auth"]}, "certificates: must be of the form {…}"),
        ({"cert_filler": -1}, "cert_filler: must be a whole number from 0 to 32767"),
        ({"cert_filler": 32768}, "cert_filler: must be a whole number from 0 to 32767"),
        ({"cert_filler": True}, "cert_filler: must be a whole number from 0 to 32767"),
        ({"cert_filler": "300"}, "cert_filler: must be a whole number from 0 to 32767"),
    ],
)
def test_errors_name_the_field(given: dict[str, Any], message: str) -> None:
    with pytest.raises(StateError) as caught:
        build_state(**given)
    assert str(caught.value).startswith(message), str(caught.value)
    assert caught.value.field == message.split(":")[0]


# -- defaults unchanged ---------------------------------------------------------------------


def test_defaults_serve_the_generated_certificates_padded_to_2048() -> None:
    state = CardState()
    assert state.certificates == {} and state.cert_filler is None
    c = certificates(state)
    card = VirtualCard(state)
    replies = talk(
        card,
        f"""
        > 00 A4 04 0C 0A {JPKI}
        < 90 00
        > 00 B0 8A 00 00 00 00
        < * 90 00
        > 00 B0 8B 00 00 00 00
        < * 90 00
        > 00 20 00 9B 06 41 42 43 31 32 33
        < 90 00
        > 00 B0 81 00 00 00 00
        < * 90 00
        > 00 B0 82 00 00 00 00
        < * 90 00
        > 00 B0 08 00 01
        < 6B 00
        """,
    )
    auth, auth_ca, sign, sign_ca = replies[1], replies[2], replies[4], replies[5]
    assert auth == c.auth + bytes(2048 - len(c.auth))
    assert auth_ca == c.auth_ca + bytes(2048 - len(c.auth_ca))
    assert sign == c.sign + bytes(2048 - len(c.sign))
    assert sign_ca == c.sign_ca + bytes(2048 - len(c.sign_ca))


def test_default_state_file_holds_the_new_fields_empty() -> None:
    doc = to_document(CardState())
    assert doc["certificates"] == {} and doc["cert_filler"] is None
    assert parse_state(json.loads(json.dumps(doc))) == CardState()


def test_a_complete_file_without_these_fields_is_refused(tmp_path: Path) -> None:
    doc = to_document(CardState())
    del doc["certificates"], doc["cert_filler"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc), "utf-8")
    with pytest.raises(StateError) as caught:
        load_state(path)
    assert str(caught.value) == f"{path}: certificates: missing"
    del doc["format"]  # the fields that change only: fine
    path.write_text(json.dumps(doc), "utf-8")
    assert load_state(path) == CardState()
