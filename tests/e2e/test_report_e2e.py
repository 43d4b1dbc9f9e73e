"""``jpkitool doctor --report`` through pcscd and vpcd, as a card holder runs it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cli_runner import jpkitool

pytestmark = pytest.mark.pcscd

Serve = Callable[..., str]


def test_report_through_pcscd(
    serve_virtual_card: Serve, pcsc_env: dict[str, str], tmp_path: Path
) -> None:
    reader = serve_virtual_card()
    path = tmp_path / "report.jsonl"
    run = jpkitool("--json", "--reader", reader, "doctor", "--report", str(path), env=pcsc_env)
    assert run.code == 0, run.err
    doc = run.json
    assert doc["reader"] == reader and doc["query_form"] == "short"
    assert doc["read"]["verdict"] == "works" and doc["power_cycle"] == "done"
    header = json.loads(path.read_text("utf-8").splitlines()[0])
    assert header["origin"] is None and header["reader"] == reader


def test_report_with_a_pin_through_pcscd_never_writes_it(
    serve_virtual_card: Serve, pcsc_env: dict[str, str], tmp_path: Path
) -> None:
    reader = serve_virtual_card()
    path = tmp_path / "report.jsonl"
    run = jpkitool(
        "--json", "--reader", reader, "doctor", "--report", str(path),
        "--report-with-pin", "1", env=pcsc_env, input="abc123\n",
    )  # fmt: skip
    assert run.code == 0, run.err
    pin = run.json["pin"]
    assert pin["verify"] == "9000" and pin["card_left"] == "proven-clear"
    # vpcd hands pcscd's warm reset to the card as a reset: the key stays verified.
    assert pin["steps"] == {
        "reselect": "kept", "warm-reset": "kept", "reconnect": "not-tested",
        "isd": "cleared", "power-cycle": "cleared",
    }  # fmt: skip
    text = path.read_text("utf-8")
    assert b"ABC123".hex().upper() not in text and "abc123" not in text
    lines = [json.loads(line) for line in text.splitlines()[1:]]
    assert {"reset", "cycle"} <= {line.get("power") for line in lines}
