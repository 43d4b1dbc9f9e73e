"""One flag, one meaning: ``--force`` (``force``) lifts the refusal of the last try and
nothing else; ``--accept-unknown-count`` (``accept_unknown_count``) lifts the refusal of
a count the card did not report reliably and nothing else. Each exit-8 message names
the flag that lifts it, in both languages, for every command that may spend a try of
①: verify-pin, change-pin, cert show sign, cert export sign, expiry --sign.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli_runner import jpkitool_inprocess as run
from jpki import open_emulator, verify_pin
from jpki.cardcerts import read_certificate, read_chain
from jpki.cli.failures import Exit
from jpki.emulator import build_state
from jpki.errors import SpendRefusedError
from jpki.expiry import read_expiry

NOW = "2026-11-25T03:00:00Z"
#: The card answers 9000 to ①'s query (count not given): untrusted.
UNTRUSTED = {"quirks": {"answer_override": {"sign": "9000"}}}
#: ① at its last try.
LAST_TRY = {"pins": {"sign": {"remaining": 1}}}

#: Every command that may spend a try of ①, with what it reads from standard input.
COMMANDS: dict[str, tuple[list[str], str]] = {
    "verify-pin": (["verify-pin", "1"], "ABC123\n"),
    "change-pin": (["change-pin", "1"], "ABC123\nK7Q2M9X\nK7Q2M9X\n"),
    "cert show sign": (["cert", "show", "sign"], "ABC123\n"),
    "cert export sign": (["cert", "export", "sign", "-o", "{out}"], "ABC123\n"),
    "expiry --sign": (["expiry", "--sign"], "ABC123\n"),
}

#: The flag each exit-8 message must name, and the one it must not tell the user to add.
NAMES = {
    "untrusted": ("--accept-unknown-count", "Add --accept-unknown-count"),
    "last-try": ("--force", "run again with --force"),
}
NAMES_JA = {
    "untrusted": ("--accept-unknown-count", "--accept-unknown-count を付けてください"),
    "last-try": ("--force", "--force を付けて再実行してください"),
}


def options(tmp_path: Path, state: dict[str, Any], lang: str) -> list[str]:
    path = tmp_path / "card.json"
    path.write_text(json.dumps(state), "utf-8")
    return ["--lang", lang, "--now", NOW, "--emulator", "--emulator-state", str(path)]


def command_args(tmp_path: Path, command: str) -> tuple[list[str], str]:
    """The command's arguments (an export goes to a file of ``tmp_path``) and its input."""
    args, stdin = COMMANDS[command]
    return [a.format(out=tmp_path / "sign.pem") for a in args], stdin


def sign_left(tmp_path: Path) -> int:
    doc = json.loads((tmp_path / "card.json").read_text("utf-8"))
    return int(doc.get("pins", {}).get("sign", {}).get("remaining", 5))


# -- the library -------------------------------------------------------------------------


def test_force_does_not_lift_an_untrusted_count() -> None:
    state = build_state(answer={"auth": "9000"})
    with open_emulator(state) as card, pytest.raises(SpendRefusedError) as caught:
        verify_pin(card, "auth", "1234", force=True)
    assert (caught.value.reason, caught.value.lifted_by) == ("untrusted", "accept_unknown_count")
    with open_emulator(state) as card:
        assert verify_pin(card, "auth", "1234", accept_unknown_count=True).done


def test_accept_unknown_count_does_not_lift_the_last_try() -> None:
    state = build_state(remaining={"auth": 1})
    with open_emulator(state) as card, pytest.raises(SpendRefusedError) as caught:
        verify_pin(card, "auth", "1234", accept_unknown_count=True)
    assert (caught.value.reason, caught.value.lifted_by) == ("last-try", "force")
    assert state.pins["auth"].remaining == 1
    with open_emulator(state) as card:
        assert verify_pin(card, "auth", "1234", force=True).done


def test_both_flags_lift_both_refusals_and_never_a_lock() -> None:
    from jpki.errors import PinLockedError

    state = build_state(remaining={"auth": 0})
    with open_emulator(state) as card, pytest.raises(PinLockedError):
        verify_pin(card, "auth", "1234", force=True, accept_unknown_count=True)


@pytest.mark.parametrize("read", ["certificate", "chain", "expiry"])
def test_the_certificate_readers_take_the_two_flags_apart(read: str) -> None:
    import datetime as dt

    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)

    def go(state: Any, **flags: bool) -> object:
        with open_emulator(state) as card:
            if read == "certificate":
                return read_certificate(card, "sign", sign_pin="ABC123", **flags)
            if read == "chain":
                return read_chain(card, "sign", now, sign_pin="ABC123", **flags)
            return read_expiry(card, now, sign=True, sign_pin="ABC123", **flags)

    untrusted = build_state(answer={"sign": "9000"})
    with pytest.raises(SpendRefusedError) as caught:
        go(untrusted, force=True)
    assert caught.value.reason == "untrusted"
    assert go(untrusted, accept_unknown_count=True)
    last = build_state(remaining={"sign": 1})
    with pytest.raises(SpendRefusedError) as caught:
        go(last, accept_unknown_count=True)
    assert caught.value.reason == "last-try" and last.pins["sign"].remaining == 1
    assert go(last, force=True)


# -- the command line --------------------------------------------------------------------


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    ("state", "given", "reason"),
    [
        (UNTRUSTED, [], "untrusted"),
        (UNTRUSTED, ["--force"], "untrusted"),  # --force is not the flag for this
        (LAST_TRY, [], "last-try"),
        (LAST_TRY, ["--accept-unknown-count"], "last-try"),  # nor this for the last try
    ],
)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_exit_8_names_the_flag_that_lifts_it(
    tmp_path: Path, command: str, state: dict[str, Any], given: list[str], reason: str, lang: str
) -> None:
    args, stdin = command_args(tmp_path, command)
    r = run(*options(tmp_path, state, lang), *args, *given, input=stdin)
    assert r.code == Exit.REFUSED, r.err
    (line,) = [x for x in r.err.splitlines() if x.startswith("jpkitool:")]
    flag, advice = (NAMES if lang == "en" else NAMES_JA)[reason]
    assert advice in line, line
    other = "--force" if flag == "--accept-unknown-count" else "--accept-unknown-count"
    assert f"{other} を付け" not in line and f"with {other}" not in line
    assert f"Add {other}" not in line
    assert sign_left(tmp_path) == (1 if state is LAST_TRY else 5)
    js = run(*options(tmp_path, state, lang), "--json", *args, *given, input=stdin)
    assert js.code == Exit.REFUSED and js.json["error"]["code"] == "refused"


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    ("state", "given"),
    [(UNTRUSTED, ["--accept-unknown-count"]), (LAST_TRY, ["--force"])],
)
def test_the_right_flag_lets_the_command_run(
    tmp_path: Path, command: str, state: dict[str, Any], given: list[str]
) -> None:
    args, stdin = command_args(tmp_path, command)
    r = run(*options(tmp_path, state, "en"), *args, *given, input=stdin)
    assert r.code == Exit.OK, r.err


@pytest.mark.parametrize(
    "args",
    [
        ["verify-pin"],
        ["change-pin"],
        ["cert", "show"],
        ["cert", "export"],
        ["expiry"],
    ],
)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_command_with_force_has_accept_unknown_count_and_help_tells_them_apart(
    args: list[str], lang: str
) -> None:
    r = run("--lang", lang, *args, "--help")
    assert r.code == 0
    text = " ".join(r.out.split())
    assert "--force" in text and "--accept-unknown-count" in text


# -- what retries advises, and that it is true ---------------------------------------------


@pytest.mark.parametrize(
    ("answer", "code", "flag"),
    [("9000", "unknown", "--accept-unknown-count"), ("6300", "unknown", "--accept-unknown-count"),
     ("6A82", "absent", None), ("6A88", "absent", None)],
)  # fmt: skip
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_retries_advises_the_flag_that_lets_verify_pin_try(
    tmp_path: Path, answer: str, code: str, flag: str | None, lang: str
) -> None:
    """The advice for ② names the flag that makes verify-pin try it, or none when none
    does: with that flag (or every flag) verify-pin tries it, or still refuses."""
    state = {"quirks": {"answer_override": {"auth": answer}}}
    opts = options(tmp_path, state, lang)
    js = run(*opts, "--json", "retries")
    advice = [g for g in js.json["guidance"] if g["code"] in ("unknown", "absent")]
    assert [(g["code"], g["pins"]) for g in advice] == [(code, ["auth"])]
    text = run(*opts, "retries").out  # the sentence: in the text output alone
    assert ("--accept-unknown-count" in text) is (flag is not None)
    assert ("add --force" if lang == "en" else "--force を付け") not in text
    given = [flag] if flag else ["--force", "--accept-unknown-count"]
    tried = run(*opts, "verify-pin", "2", *given, input="1234\n")
    assert tried.code == (Exit.OK if flag else Exit.ERROR), tried.err
