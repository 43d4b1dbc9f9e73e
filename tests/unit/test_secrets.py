"""No PIN in any output: every command that asks for a PIN, run with ``-v``,
``--record`` and ``--json``, with Python logging at DEBUG; the PIN is looked for as
typed, as hex and as spaced hex in stdout, stderr, the log and the recording."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click
import pytest

from cli_runner import jpkitool_inprocess as run
from jpki.cli.main import cli

#: PIN values of the virtual card in these tests (none is a value another field holds).
SIGN, AUTH, JUKI, CARDINFO = "Q8W2E6", "8264", "3917", "6158"
NEW = {"sign": "Z4X7C1", "auth": "7049", "juki": "2583", "cardinfo": "4726"}
WRONG = "9517"

#: Every command that asks for a PIN, with what it is given on standard input.
ASKING = {
    "change-pin 1": (["change-pin", "1"], [SIGN, NEW["sign"], NEW["sign"]]),
    "change-pin 2": (["change-pin", "2"], [AUTH, NEW["auth"], NEW["auth"]]),
    "change-pin 3": (["change-pin", "3", "--experimental"], [JUKI, NEW["juki"], NEW["juki"]]),
    "change-pin 4": (["change-pin", "4"], [CARDINFO, NEW["cardinfo"], NEW["cardinfo"]]),
    "change-pin wrong": (["change-pin", "2"], [WRONG, NEW["auth"], NEW["auth"]]),
    "verify-pin 1": (["verify-pin", "1"], [SIGN]),
    "verify-pin 2 wrong": (["verify-pin", "2"], [WRONG]),
    "verify-pin 3": (["verify-pin", "3"], [JUKI]),
    "cert show sign": (["cert", "show", "sign"], [SIGN]),
    "cert export sign": (["cert", "export", "sign"], [SIGN]),
    "expiry --sign": (["expiry", "--sign"], [SIGN]),
}
SECRETS = [SIGN, AUTH, JUKI, CARDINFO, WRONG, *NEW.values()]


def forms(value: str) -> list[str]:
    raw = value.encode()
    return [value, value.lower(), raw.hex(), raw.hex().upper(), " ".join(f"{b:02X}" for b in raw)]


def card(tmp_path: Path) -> list[str]:
    path = tmp_path / "card.json"
    pins = {"sign": SIGN, "auth": AUTH, "juki": JUKI, "juki-common": JUKI, "cardinfo": CARDINFO}
    doc = {"pins": {key: {"value": value} for key, value in pins.items()}}
    path.write_text(json.dumps(doc), "utf-8")
    return ["--emulator", "--emulator-state", str(path)]


@pytest.mark.parametrize("fmt", [[], ["--json"]], ids=["text", "json"])
@pytest.mark.parametrize("name", sorted(ASKING))
def test_no_pin_in_any_output(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, fmt: list[str]
) -> None:
    args, answers = ASKING[name]
    if args[:2] == ["cert", "export"]:  # binary on stdout needs a real stdout: a file
        args = [*args, "-o", str(tmp_path / "sign.der")]
    record = tmp_path / "session.jsonl"
    caplog.set_level(logging.DEBUG)
    r = run(*fmt, "-v", "--record", str(record), *card(tmp_path), *args,
            input="".join(a + "\n" for a in answers))  # fmt: skip
    assert r.code in (0, 3), r.err
    assert "XX XX XX XX" in r.err  # the trace ran, and shows a PIN's length only
    text = r.out + r.err + caplog.text + record.read_text("utf-8")
    leaked = [f for value in SECRETS for f in forms(value) if f in text]
    assert leaked == []


def test_every_command_that_asks_for_a_pin_is_covered(tmp_path: Path) -> None:
    """A command given nothing on stdin fails asking for a PIN: each one that does
    is in ASKING, so a new PIN-taking command cannot be left out of the test above."""
    covered = {" ".join(args[:2]) for args, _ in ASKING.values()}
    candidates = [["change-pin", "1"], ["verify-pin", "1"], ["expiry", "--sign"],
                  ["expiry"], ["retries"], ["info"], ["readers"], ["doctor"]]  # fmt: skip
    cert = cli.get_command(click.Context(cli), "cert")  # loaded here, whatever ran before
    candidates += [["cert", sub, kind] for sub in cert.commands  # type: ignore[union-attr]
                   for kind in ("auth", "sign")]  # fmt: skip
    asking = set()
    for args in candidates:
        r = run("--lang", "en", *card(tmp_path), *args, input="")
        if "on standard input" in r.err:
            asking.add(" ".join(args[:2]))
    assert {"change-pin 1", "verify-pin 1", "cert show", "cert export", "expiry --sign"} <= asking
    assert asking <= covered
