"""Replaying the recorded sessions in ``tests/fixtures/sessions`` (the mock reader).

Each session was recorded by ``tests/fixtures/record_sessions.py`` from jpkitool
run against the virtual card through pcscd; beside it, ``.expected.json`` holds
what the command printed and its exit status. Replaying must give the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from apdu.replay import ReplayTransport
from cli_runner import jpkitool_inprocess
from jpki import open_transport, read_retries

SESSIONS = Path(__file__).resolve().parent.parent / "fixtures" / "sessions"
NAMES = sorted(p.name.removesuffix(".jsonl") for p in SESSIONS.glob("*.jsonl"))


def expected(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SESSIONS / f"{name}.expected.json").read_text("utf-8"))
    return doc


def test_there_are_sessions_of_every_command() -> None:
    assert len(NAMES) >= 10
    commands = {expected(n)["command"][0] for n in NAMES}
    assert commands == {"retries", "info", "change-pin", "verify-pin", "cert", "expiry"}
    outcomes = {(expected(n)["command"][0], expected(n)["exit"]) for n in NAMES}
    for command in ("change-pin", "verify-pin"):
        assert {(command, 0), (command, 3), (command, 8)} <= outcomes  # right, wrong, refused


@pytest.mark.parametrize("name", NAMES)
def test_replay_gives_the_recorded_answer(name: str) -> None:
    want = expected(name)
    answers = "".join(a + "\n" for a in want.get("answers", []))
    run = jpkitool_inprocess(
        "--json",
        "--lang",
        "en",
        "--replay",
        str(SESSIONS / f"{name}.jsonl"),
        "--now",
        want["now"],
        *want["command"],
        input=answers,
    )
    assert run.code == want["exit"], run.err
    assert run.json == want["stdout"]
    assert run.err == ""


@pytest.mark.parametrize("name", NAMES)
def test_sessions_are_marked_as_made_by_the_emulator(name: str) -> None:
    header = json.loads((SESSIONS / f"{name}.jsonl").read_text("utf-8").splitlines()[0])
    assert header["format"] == "jpkitool-session"
    assert header["origin"] == "emulator via pcscd"
    assert header["reader"] == "Virtual PCD 00 00"


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("retries-")])
def test_recorded_retries_never_carry_verify_data(name: str) -> None:
    lines = (SESSIONS / f"{name}.jsonl").read_text("utf-8").splitlines()[1:]
    commands = [bytes.fromhex(json.loads(line)["command"]) for line in lines]
    verifies = [c for c in commands if c[1] == 0x20]
    assert all(len(c) == 4 for c in verifies)
    if name != "retries-no-jpki":  # that card stops at SELECT JPKI
        assert len(verifies) >= 9


PIN_SESSIONS = [n for n in NAMES if n.startswith(("change-pin-", "verify-pin-"))]


@pytest.mark.parametrize("name", PIN_SESSIONS)
def test_recorded_pin_sessions_hold_no_pin(name: str) -> None:
    lines = (SESSIONS / f"{name}.jsonl").read_text("utf-8").splitlines()
    exchanges = [json.loads(line) for line in lines[1:]]
    commands = [e["command"] for e in exchanges if "power" not in e]
    carrying = [c for c in commands if c[2:4] in ("20", "24", "32") and len(c) > 8]
    for c in carrying:
        lc = int(c[8:10], 16)
        assert c[10:] == "XX" * lc, c
    if expected(name)["exit"] == 8:  # refused: no PIN was sent at all
        assert carrying == []
    else:
        assert carrying


def test_a_pin_session_replays_in_text_too() -> None:
    run = jpkitool_inprocess(
        "--lang", "ja", "--replay", str(SESSIONS / "change-pin-2-3-4-partial.jsonl"),
        "change-pin", "2", "3", "4", "--same-current", "--experimental",
        input="0000\n7046\n7046\n",
    )  # fmt: skip
    assert run.code == 3
    assert "② 利用者証明用電子証明書の暗証番号: 変更しました" in run.out
    assert "--key juki" in run.out and "住基AP" in run.err


def test_library_replay_in_text_mode() -> None:
    with open_transport(ReplayTransport(SESSIONS / "retries-sign2-auth1.jsonl")) as card:
        report = read_retries(card)
    assert report.pin("sign").remaining == 2
    assert report.pin("auth").remaining == 1
    assert report.apdus == 15


def test_japanese_text_from_a_replay() -> None:
    run = jpkitool_inprocess(
        "--lang", "ja", "--replay", str(SESSIONS / "retries-cardinfo-locked.jsonl"), "retries"
    )
    assert run.code == 4
    assert "ロック中" in next(line for line in run.out.splitlines() if "④" in line)


def test_replaying_another_command_names_the_deviating_exchange() -> None:
    # retries reads EF 0006 by SFI after SELECT JPKI; info does the same, then
    # READ BINARY of 0008 where retries queried ① instead.
    run = jpkitool_inprocess(
        "--lang", "en", "--replay", str(SESSIONS / "retries-fresh.jsonl"), "info"
    )
    assert run.code == 1
    assert run.out == ""
    line = run.err.strip()
    assert len(line.splitlines()) == 1
    assert "exchange 2" in line and "expected 0020009B" in line and "got 00B0880003" in line


def test_corrupted_recording_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    lines = (SESSIONS / "retries-fresh.jsonl").read_text("utf-8").splitlines()
    lines[4] = lines[4][:-9]  # a truncated line
    broken.write_text("\n".join(lines) + "\n", "utf-8")
    for lang, words in (("en", "cannot use the recorded session"), ("ja", "記録")):
        run = jpkitool_inprocess("--lang", lang, "--replay", str(broken), "retries")
        assert run.code == 2
        assert len(run.err.strip().splitlines()) == 1
        assert f"{broken}:5" in run.err and words in run.err
    js = jpkitool_inprocess("--json", "--replay", str(broken), "retries")
    assert js.code == 2 and js.json["error"]["code"] == "session-file"


def test_left_over_exchanges_are_reported(tmp_path: Path) -> None:
    longer = tmp_path / "longer.jsonl"
    shutil.copy(SESSIONS / "retries-fresh.jsonl", longer)
    with longer.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"i": 15, "command": "00A4040C00", "response": "9000"}) + "\n")
    run = jpkitool_inprocess("--lang", "en", "--replay", str(longer), "retries")
    assert run.code == 1
    assert "1 of 16 recorded exchanges were not replayed" in run.err
