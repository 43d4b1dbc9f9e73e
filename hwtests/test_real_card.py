"""Read-only checks on a real My Number card: readers, retries, info."""

from __future__ import annotations

import json
import subprocess
import sys

import jpki
from apdu import pcsc


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jpki", *args], capture_output=True, text=True, timeout=60
    )


def test_reader_is_listed(hw_reader: str) -> None:
    names = pcsc.list_readers()
    assert pcsc.select_reader(hw_reader, names) in names


def test_retries_reads_every_counter_without_spending(hw_reader: str) -> None:
    with jpki.open_card(hw_reader) as card:
        first = jpki.read_retries(card)
    with jpki.open_card(hw_reader) as card:
        second = jpki.read_retries(card)
    assert first.token is not jpki.Token.UNKNOWN
    # Reading twice must give the same counts: nothing was spent.
    assert [p.remaining for p in first.pins] == [p.remaining for p in second.pins]
    print(f"APDUs for the full set: {first.apdus}")


def test_cli_retries_json(hw_reader: str) -> None:
    result = cli("--json", "--reader", hw_reader, "retries")
    assert result.returncode in (0, 4), result.stderr
    doc = json.loads(result.stdout)
    assert [p["id"] for p in doc["pins"]][:4] == ["sign", "auth", "juki", "cardinfo"]


def test_info(hw_reader: str) -> None:
    with jpki.open_card(hw_reader) as card:
        info = jpki.read_info(card)
    assert info.applications[0].present
    print(f"token={info.token.value} expiry={info.card_expiry} sign={info.sign_certificate}")
