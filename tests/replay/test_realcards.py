"""Recordings of real cards (``tests/fixtures/realcards``) replayed against the virtual card.

Each file is a session recording (the format of :mod:`apdu.recording`) whose header
says where it came from (``origin``: a transcription from a public source, or a
report a card holder sent). Every command is sent to a virtual card, in the state the
header's ``virtual_card`` gives (a partial state file, :mod:`jpki.emulator.statefile`:
e.g. ``{"pins": {"auth": {"remaining": 2}}}``), and its answer must agree with the
recorded one: status word, length, and every byte the recording shows (``XX`` bytes
are hidden or not known: only their number counts). A VERIFY whose data is ``XX``
is sent with the virtual card's right value for the key it names when the recorded
answer was ``9000``, with a wrong one of the same length otherwise. Power lines are
applied to the virtual card (``cycle``: power off and on; ``reset``: warm reset).

An exchange where the virtual card is known to differ is listed in the header's
``known_differences`` (``{"i": N, "reason": "..."}``): it is still sent, and it must
still differ, so that the list cannot go stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apdu.redact import parse_pattern
from apdu.replay import ReplayTransport
from jpki import profile
from jpki.emulator import VirtualCard
from jpki.emulator.statefile import parse as parse_state
from jpki.profile import Application, PinSlot

REALCARDS = Path(__file__).resolve().parent.parent / "fixtures" / "realcards"
NAMES = sorted(p.name for p in REALCARDS.glob("*.jsonl"))


def load(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ReplayTransport(path).close(strict=False)  # a valid session file
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return lines[0], lines[1:]


def _key(app: Application | None, ef: int | None, p2: int) -> PinSlot:
    fid = ef if p2 == 0x80 else p2 & 0x1F
    for key in profile.PIN_SLOTS:
        if key.app is app and key.fid == fid:
            return key
    raise AssertionError(f"no key for P2 {p2:02X} (application {app}, EF {ef})")


def _wrong(right: str, length: int) -> bytes:
    value = (right * length)[:length]
    first = value[0]
    other = "0" if first != "0" else "1"
    return (other + value[1:]).encode("ascii")


def replay_on_virtual_card(path: Path) -> list[tuple[int, str, str]]:
    """Send the file's commands to a virtual card; the exchanges whose answer differs:
    ``(i, recorded, virtual card's)``."""
    header, lines = load(path)
    state = parse_state(header.get("virtual_card", {}))
    card = VirtualCard(state)
    card.power_on()
    app: Application | None = None
    ef: int | None = None
    differ: list[tuple[int, str, str]] = []
    for line in lines:
        if "power" in line:
            if line["power"] == "cycle":
                card.power_off()
                card.power_on()
            else:
                card.warm_reset()
            app, ef = None, None
            continue
        pattern = parse_pattern(line["command"])
        recorded = line["response"]
        if None in pattern:
            assert pattern[1] == 0x20 and pattern[4] is not None, "XX only in VERIFY data"
            key = _key(app, ef, pattern[3] or 0)
            right = state.slot(key).value
            length = sum(p is None for p in pattern)
            value = right.encode("ascii") if recorded == "9000" else _wrong(right, length)
            command = bytes(pattern[:4]) + bytes([len(value)]) + value  # type: ignore[arg-type]
        else:
            command = bytes(pattern)  # type: ignore[arg-type]
        answer = card.process(command).hex().upper()
        if not _agrees(recorded, answer):
            differ.append((line["i"], recorded, answer))
        if answer[-4:] == "9000" and command[1] == 0xA4:
            if command[2] == 0x04:
                aid = command[5 : 5 + command[4]]
                app = next((a for a in profile.APPLICATIONS if a.aid == aid), None)
                ef = None
            elif command[2] == 0x02:
                ef = int.from_bytes(command[5:7], "big")
    return differ


def _agrees(recorded: str, answer: str) -> bool:
    if len(recorded) != len(answer):
        return False
    return all(
        r == a or recorded[i : i + 2].upper() == "XX"
        for i in range(0, len(recorded), 2)
        for r, a in ((recorded[i : i + 2], answer[i : i + 2]),)
    )


def test_there_are_real_card_recordings_and_a_readme() -> None:
    assert len(NAMES) >= 3
    readme = (REALCARDS / "README.md").read_text("utf-8")
    for name in NAMES:
        assert name in readme


@pytest.mark.parametrize("name", NAMES)
def test_every_recording_says_where_it_came_from(name: str) -> None:
    header, lines = load(REALCARDS / name)
    assert isinstance(header["origin"], str) and header["origin"] != "emulator"
    assert header["origin"].startswith(("transcribed: ", "reported: "))
    assert header["personal"] is False
    for line in lines:  # never a PIN byte
        if "command" in line and line["command"][2:4] in ("20", "24"):
            assert set(line["command"][10:]) <= {"X"}


@pytest.mark.parametrize("name", NAMES)
def test_the_virtual_card_answers_as_the_real_card_did(name: str) -> None:
    header, _ = load(REALCARDS / name)
    known = {d["i"]: d["reason"] for d in header.get("known_differences", [])}
    differ = {i: (recorded, virtual) for i, recorded, virtual in replay_on_virtual_card(
        REALCARDS / name
    )}  # fmt: skip
    unexpected = {i: d for i, d in differ.items() if i not in known}
    assert not unexpected, f"the virtual card answers differently: {unexpected}"
    stale = set(known) - set(differ)
    assert not stale, f"listed as known differences but now agreeing: {sorted(stale)}"


def test_the_header_sets_the_virtual_card_and_a_wrong_value_is_sent_for_63cx(
    tmp_path: Path,
) -> None:
    _, lines = load(REALCARDS / "opensc-pr959-verify-then-query.jsonl")
    header = json.loads((REALCARDS / NAMES[0]).read_text("utf-8").splitlines()[0])
    header["virtual_card"] = {"pins": {"auth": {"remaining": 2}}}
    lines[2]["response"] = "63C1"  # a wrong PIN on a card with 2 tries left
    lines[3]["response"] = "63C1"
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in [header, *lines]), "utf-8")
    assert replay_on_virtual_card(path) == []
    lines[3]["response"] = "63C3"  # the virtual card counts: this must differ
    path.write_text("".join(json.dumps(x) + "\n" for x in [header, *lines]), "utf-8")
    assert replay_on_virtual_card(path) == [(3, "63C3", "63C1")]


def test_power_lines_reach_the_virtual_card(tmp_path: Path) -> None:
    header = json.loads((REALCARDS / NAMES[0]).read_text("utf-8").splitlines()[0])
    jpki = "00A4040C0AD392F000260100000001"
    lines = [
        {"i": 0, "command": jpki, "response": "9000"},
        {"i": 1, "command": "00A4020C02001B", "response": "9000"},
        {"i": 2, "command": "0020008006XXXXXXXXXXXX", "response": "9000"},
        {"i": 3, "power": "reset"},
        {"i": 4, "command": jpki, "response": "9000"},
        {"i": 5, "command": "00B0810001", "response": "XX9000"},  # still verified
        {"i": 6, "power": "cycle"},
        {"i": 7, "command": jpki, "response": "9000"},
        {"i": 8, "command": "00B0810001", "response": "6982"},  # cleared
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in [header, *lines]), "utf-8")
    assert replay_on_virtual_card(path) == []
