"""Certificates in as few round trips as card and reader allow (issue 10, part 3).

Counted through the CLI (``-v`` traces every APDU) on the virtual card: with
extended length, the auth certificate is SELECT JPKI + one READ BINARY; on a card
that answers ``61xx`` and carries no extended length, the real 1573-byte certificate
takes 16. What a session learnt (no extended length, no short-EF form) is used for
every later file, never probed again.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from cli_runner import jpkitool_inprocess as run
from jpki.emulator import build_state
from jpki.emulator.certs import certificates
from realdata import REALDATA

REAL_AUTH = REALDATA / "auth-cert-real.cer"
NOW = "2026-01-01T00:00:00Z"
NO_EXTENDED = {"no_extended": True}
T0_LIKE = {"no_extended": True, "get_response": True}  # 61xx + GET RESPONSE, 256 at most


def chunks(size: int) -> int:
    return -(-size // 256)


GENERATED = certificates(build_state())
AUTH, AUTH_CA = len(GENERATED.auth), len(GENERATED.auth_ca)


def trace(tmp_path: Path, state: dict[str, Any], *command: str) -> list[bytes]:
    """The command APDUs ``jpkitool -v --emulator ... COMMAND`` sent."""
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state), "utf-8")
    r = run("--emulator", "--emulator-state", str(path), "--now", NOW, "-v", *command)
    assert r.code in (0, 6, 7), r.err
    return [bytes.fromhex(line[2:]) for line in r.err.splitlines() if line.startswith("> ")]


def export(tmp_path: Path, state: dict[str, Any]) -> list[bytes]:
    out = str(tmp_path / "auth.der")
    return trace(tmp_path, state, "cert", "export", "auth", "--format", "der", "-o", out)


def extended_reads(sent: list[bytes]) -> int:
    return sum(1 for a in sent if a[1] == 0xB0 and len(a) == 7)


def sfi_reads(sent: list[bytes]) -> int:
    return sum(1 for a in sent if a[1] == 0xB0 and a[2] & 0x80)


@pytest.mark.parametrize(
    ("quirks", "export_apdus", "expiry_apdus"),
    [
        # SELECT JPKI + one extended READ BINARY; expiry adds SELECT COMMON + READ RECORD
        ({}, 2, 4),
        # + the refused extended try, then 256-byte chunks by offset
        (NO_EXTENDED, 2 + chunks(AUTH), 4 + chunks(AUTH)),
        # each chunk 61xx + GET RESPONSE, and so is the record
        (T0_LIKE, 2 + 2 * chunks(AUTH), 5 + 2 * chunks(AUTH)),
        # the short-EF form refused: + SELECT EF (learnt on the first file)
        ({"no_sfi": True}, 4, 6),
    ],
)
def test_auth_certificate_and_expiry_apdu_counts(
    tmp_path: Path, quirks: dict[str, bool], export_apdus: int, expiry_apdus: int
) -> None:
    sent = export(tmp_path, {"quirks": quirks})
    assert len(sent) == export_apdus, [a.hex() for a in sent]
    if quirks.get("no_extended"):
        assert extended_reads(sent) == 1  # refused once, then 256-byte reads only
    sent = trace(tmp_path, {"quirks": quirks}, "expiry")
    assert len(sent) == expiry_apdus, [a.hex() for a in sent]


def test_with_extended_length_the_auth_certificate_is_two_apdus(tmp_path: Path) -> None:
    sent = export(tmp_path, {})
    assert [a.hex().upper() for a in sent] == [
        "00A4040C0AD392F000260100000001",  # SELECT JPKI
        "00B08A00000000",  # READ BINARY EF 000A by SFI, Le 65536: the whole file
    ]
    assert (tmp_path / "auth.der").read_bytes() == GENERATED.auth


@pytest.mark.skipif(not REAL_AUTH.exists(), reason="shared/realdata is not beside the checkout")
@pytest.mark.parametrize(
    ("quirks", "apdus"),
    [({}, 2), (NO_EXTENDED, 9), (T0_LIKE, 16), ({**T0_LIKE, "no_sfi": True}, 18)],
)
def test_the_real_1573_byte_certificate(
    tmp_path: Path, quirks: dict[str, bool], apdus: int
) -> None:
    der = REAL_AUTH.read_bytes()
    assert len(der) == 1573
    given = {"auth": base64.b64encode(der).decode()}
    sent = export(tmp_path, {"quirks": quirks, "certificates": given})
    # T0_LIKE: SELECT, the refused extended try, then seven 256-byte chunks with their
    # GET RESPONSE (the filler after the DER object is never read).
    assert len(sent) == apdus, [a.hex() for a in sent]
    assert (tmp_path / "auth.der").read_bytes() == der


@pytest.mark.parametrize(
    ("quirks", "apdus"),
    [
        ({}, 3),  # SELECT JPKI, one extended read per file
        (NO_EXTENDED, 2 + chunks(AUTH) + chunks(AUTH_CA)),
        ({"no_sfi": True}, 6),  # SELECT JPKI; SFI try, SELECT EF, READ; SELECT EF, READ
    ],
)
def test_a_second_file_in_the_session_is_not_probed_again(
    tmp_path: Path, quirks: dict[str, bool], apdus: int
) -> None:
    sent = trace(tmp_path, {"quirks": quirks}, "cert", "show", "auth")  # auth, then auth-ca
    assert len(sent) == apdus, [a.hex() for a in sent]
    if quirks.get("no_extended"):
        assert extended_reads(sent) == 1
    if quirks.get("no_sfi"):
        assert sfi_reads(sent) == 1


def test_info_reads_the_auth_certificate_once_per_form(tmp_path: Path) -> None:
    default = trace(tmp_path, {}, "info")
    no_extended = trace(tmp_path, {"quirks": NO_EXTENDED}, "info")
    # one read became the refused extended try and the 256-byte chunks
    assert len(no_extended) - len(default) == chunks(AUTH)
    assert extended_reads(no_extended) == 1
