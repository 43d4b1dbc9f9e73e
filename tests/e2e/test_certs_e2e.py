"""``cert show``, ``cert export`` and ``expiry`` end to end: subprocess → pyscard →
pcscd → vpcd → virtual card, including the real J-LIS certificates of
``shared/realdata`` served by the virtual card."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cli_runner import jpkitool
from e2e.test_emulator_serve_e2e import pkcs15_tool
from jpki import profile
from jpki.emulator import VirtualCard, build_state
from jpki.emulator.certs import certificates
from realdata import REALDATA

pytestmark = pytest.mark.pcscd

#: J-LIS auth root, generation 1 (docs/card.md §8).
AUTH_GEN1_SHA256 = (
    "4D:CF:C4:CA:0A:AF:9F:B2:A3:08:1B:3F:0C:99:1C:32:"
    "0B:3A:CC:00:86:67:A3:41:EE:AE:C5:AF:1D:58:CA:7D"
)

Serve = Callable[..., str]


@pytest.fixture
def realdata() -> Path:
    if not (REALDATA / "auth-cert-real.cer").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{REALDATA} is missing on CI")
        pytest.skip(f"{REALDATA} is absent")
    return REALDATA


def test_the_real_auth_certificate_served_by_a_61xx_card_without_extended_length(
    serve_virtual_card: Serve, pcsc_env: dict[str, str], realdata: Path, tmp_path: Path
) -> None:
    real = (realdata / "auth-cert-real.cer").read_bytes()
    reader = serve_virtual_card(
        certificates={"auth": realdata / "auth-cert-real.cer",
                      "auth-ca": realdata / "auth_ca_2015.pem"},
        cert_filler=300,
        quirks={"get_response": True, "no_extended": True},
    )  # fmt: skip
    env = pcsc_env
    en = jpkitool("--lang", "en", "--reader", reader, "expiry", env=env)
    assert en.code == 7, en.err
    auth_line = next(line for line in en.out.splitlines() if "User-authentication" in line)
    assert "EXPIRED" in auth_line
    assert "2024-05-02 23:59:59 JST (2024-05-02 14:59:59 UTC)" in auth_line
    assert "municipal office" in en.out
    js = jpkitool("--json", "--reader", reader, "expiry", env=env)
    assert js.code == 7 and js.json["state"] == "expired"
    auth = next(i for i in js.json["items"] if i["id"] == "auth")
    assert auth["not_after"] == "2024-05-02T14:59:59Z" and auth["state"] == "expired"
    ja = jpkitool("--lang", "ja", "--reader", reader, "expiry", env=env)
    assert ja.code == 7 and "期限切れ" in ja.out and "市区町村の窓口" in ja.out

    show = jpkitool("--json", "--reader", reader, "cert", "show", "auth", env=env)
    assert show.code == 0, show.err
    chain = show.json["chain"]
    assert chain["status"] == "j-lis" and chain["signature_ok"] is True
    assert chain["root"] == {
        "purpose": "auth", "generation": 1, "sha256": AUTH_GEN1_SHA256, "pinned": True,
    }  # fmt: skip
    assert show.json["not_after"] == "2024-05-02T14:59:59Z"

    out = tmp_path / "auth.der"
    exported = jpkitool("--reader", reader, "cert", "export", "auth", "--format", "der",
                        "-o", str(out), env=env)  # fmt: skip
    assert exported.code == 0, exported.err
    assert out.read_bytes() == real
    pem = jpkitool("--reader", reader, "cert", "export", "auth", env=env)
    assert x509.load_pem_x509_certificate(pem.out.encode()).public_bytes(Encoding.DER) == real


def test_export_to_stdout_as_der_is_the_card_bytes(
    virtual_card_reader: str, pcsc_env: dict[str, str]
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jpki", "--reader", virtual_card_reader, "cert", "export",
         "auth-ca", "--format", "der"],
        capture_output=True, env={**os.environ, **pcsc_env}, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == certificates(build_state()).auth_ca


@pytest.mark.opensc
def test_opensc_reads_the_same_auth_certificate_as_cert_export(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    reader = serve_virtual_card()
    ours = jpkitool("--reader", reader, "cert", "export", "auth", env=pcsc_env)
    assert ours.code == 0, ours.err
    theirs = pkcs15_tool("--reader", reader, "--read-certificate", "01", env=pcsc_env)
    assert theirs.returncode == 0, theirs.stderr
    a = x509.load_pem_x509_certificate(ours.out.encode()).public_bytes(Encoding.DER)
    b = x509.load_pem_x509_certificate(theirs.stdout.encode()).public_bytes(Encoding.DER)
    assert a == b


def test_an_auth_certificate_expiring_in_30_days(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date().isoformat()
    reader = serve_virtual_card(card_expiry=soon)
    js = jpkitool("--json", "--reader", reader, "expiry", "--warn-days", "90", env=pcsc_env)
    assert js.code == 6, js.out + js.err
    auth = next(i for i in js.json["items"] if i["id"] == "auth")
    assert auth["state"] == "expiring" and 29 <= auth["days_left"] <= 30
    relaxed = jpkitool("--json", "--reader", reader, "expiry", "--warn-days", "10", env=pcsc_env)
    assert relaxed.code == 0 and relaxed.json["state"] == "ok"
    en = jpkitool("--lang", "en", "--reader", reader, "expiry", env=pcsc_env)
    assert en.code == 6 and "EXPIRES SOON" in en.out and "within 90 days" in en.out


class BrokenCertificateCard(VirtualCard):
    """The auth certificate EF holds ``content`` instead of the certificate."""

    def __init__(self, content: bytes, **changes: Any) -> None:
        super().__init__(build_state(**changes))
        self.broken = content

    def _content(self, f: Any) -> bytes:
        if f is profile.AUTH_CERT:
            return self.broken
        return super()._content(f)


@pytest.mark.parametrize(
    "content",
    [
        certificates(build_state()).auth[:700],  # truncated in the middle
        b"\x30\x82\x7f\x00" + certificates(build_state()).auth[4:],  # wrong DER length
        b"\x31\x82\x03\x84" + certificates(build_state()).auth[4:],  # not a SEQUENCE
    ],
)
def test_a_broken_certificate_file_is_one_line_and_exit_1(
    serve_card: Serve, pcsc_env: dict[str, str], content: bytes
) -> None:
    reader = serve_card(BrokenCertificateCard(content))
    for lang in ("en", "ja"):
        for args in (["cert", "show", "auth"], ["expiry"], ["cert", "export", "auth"]):
            r = jpkitool("--lang", lang, "--reader", reader, *args, env=pcsc_env)
            assert r.code == 1, (args, r.out, r.err)
            assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    js = jpkitool("--json", "--reader", reader, "expiry", env=pcsc_env)
    assert js.code == 1 and js.json["error"]["code"] == "certificate"


def test_cert_show_sign_asks_for_the_sign_pin(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    state = build_state()
    reader = serve_virtual_card(state)
    r = jpkitool("--lang", "en", "--reader", reader, "cert", "show", "sign", env=pcsc_env,
                 input="abc123\n")  # fmt: skip
    assert r.code == 0, r.err
    assert "tries left 5/5" in r.err
    assert "hidden" in r.out and state.holder.name not in r.out
    shown = jpkitool("--json", "--reader", reader, "cert", "show", "sign", "--show-personal",
                     env=pcsc_env, input="ABC123\n")  # fmt: skip
    assert shown.code == 0 and shown.json["personal"]["name"] == state.holder.name
    wrong = jpkitool("--json", "--reader", reader, "cert", "show", "sign", env=pcsc_env,
                     input="ZZZ999\n")  # fmt: skip
    assert wrong.code == 3 and wrong.json["error"]["remaining"] == 4
    assert state.pins["sign"].remaining == 4
    signed = jpkitool("--json", "--reader", reader, "expiry", "--sign", env=pcsc_env,
                      input="ABC123\n")  # fmt: skip
    assert signed.code == 0, signed.out
    assert [i["id"] for i in signed.json["items"]] == ["card", "auth", "sign"]
    assert state.pins["sign"].remaining == 5
