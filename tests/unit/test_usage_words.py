"""Nothing the user typed is repeated in a usage error, except paths and reader names:
a word in the wrong place may be a PIN (issue 15)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from cli_runner import jpkitool_inprocess as run
from jpki.cli.context import AppContext
from jpki.cli.failures import Exit
from jpki.cli.help import english_metavar, walk
from jpki.cli.main import cli
from jpki.cli.pinname import PinNameType
from jpki.cli.pinprompt import PinPrompter

#: Words that look like a PIN (②-④) and a ① password, and occur in no message.
WORDS = ("7294", "AB12CD34")
#: Text in each language, and JSON.
MODES = (("--lang", "en"), ("--lang", "ja"), ("--json", "--lang", "ja"))
COMMANDS = list(walk(cli))


class Reached(BaseException):
    """A case got past the usage checks to the card, a prompt, vpcd or a file."""


@pytest.fixture(autouse=True)
def nothing_is_reached(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def reached(*args: object, **kwargs: object) -> None:
        raise Reached(args)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(AppContext, "transport", reached)
    monkeypatch.setattr(PinPrompter, "ask", reached)
    monkeypatch.setattr("jpki.emulator.vpcd.serve", reached)
    monkeypatch.setattr("jpki.emulator.save_state", reached)


def valid(param: click.Parameter) -> str:
    """A value the argument takes."""
    if isinstance(param.type, click.Choice):
        return str(param.type.choices[0])
    if isinstance(param.type, PinNameType):
        return "auth"
    if is_path(param):
        return "state.json"
    raise AssertionError(f"{param.name}: give this test a value of {param.type!r}")


def is_path(param: click.Parameter) -> bool:
    """A file's name: a click path, or text shown as ``PATH`` in English (the files
    jpkitool writes, whose rule is :func:`apdu.outfile.check`'s)."""
    return isinstance(param.type, click.Path) or english_metavar(param) == "PATH"


def may_repeat(param: click.Parameter) -> bool:
    """Paths and reader names may be repeated (they say which file, which reader)."""
    return is_path(param) or param.name == "reader"


def cases(path: str, command: click.Command, word: str) -> Iterator[tuple[list[str], bool]]:
    """Command lines with ``word`` where it does not belong, and whether it may be repeated.

    A value that is taken is followed by a word the command refuses, so that nothing
    runs: an extra argument; after a group's options, one of its commands and that
    word (``readers`` for ``jpkitool``'s: its own checks, ``--now``, run first).
    """
    names = [] if path == "cli" else path.split(".")
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    valid_args = [valid(p) for p in arguments]
    tail = ["surplus"]
    if isinstance(command, click.Group):
        tail = ["readers" if path == "cli" else next(iter(command.commands)), "surplus"]
    yield [*names, *valid_args, word], False
    for unknown in (f"--{word}", f"-{word}", f"--pin={word}"):
        yield [*names, *valid_args, unknown], False
    for param in command.params:
        if isinstance(param, click.Option) and not (param.is_flag or param.count):
            option = max(param.opts, key=len)
            yield [*names, option, word, *valid_args, *tail], may_repeat(param)
        elif isinstance(param, click.Argument):
            given = [word if p is param else valid(p) for p in arguments]
            yield [*names, *given, *tail], may_repeat(param)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_no_usage_error_repeats_a_word_typed(path: str, command: click.Command) -> None:
    """Every command and sub-command, with the word as an extra argument, as an unknown
    option, and as the value of each option and argument (found from the commands)."""
    wrong = []
    for word in WORDS:
        for args, may in cases(path, command, word):
            for mode in MODES:
                r = run("--emulator", *mode, *args)
                said = r.out + r.err
                if r.code != Exit.USAGE or (word in said and not may):
                    wrong.append((args, mode, r.code, said))
                elif "--json" in mode:
                    assert r.json["error"]["code"] == "usage" and r.err == "", (args, said)
                else:
                    assert r.out == "" and len(r.err.strip().splitlines()) == 1, (args, said)
    assert wrong == []


#: Command lines with a word where it does not belong, and what is said in each language.
TOLD = [
    (["expiry", "--sign", "AB12CD34"], "unexpected extra argument", "余分な引数があります"),
    (["info", "7294"], "unexpected extra argument", "余分な引数があります"),
    (["cert", "show", "7294"],
     "invalid value for 'KIND': choose one of auth, auth-ca, sign, sign-ca",
     "'種類' の値が正しくありません: auth, auth-ca, sign, sign-ca のどれかを指定してください"),
    (["verify-pin", "--key", "7294", "sign"],
     "invalid value for '--key': choose one of ", "'--key' の値が正しくありません: "),
    (["info", "--warn-days", "AB12CD34"],
     "invalid value for '--warn-days': a whole number from 0 to 3650",
     "'--warn-days' の値が正しくありません: 0〜3650 の整数を指定してください"),
    (["emulator", "serve", "--vpcd-port", "7294x"],
     "invalid value for '--vpcd-port': a whole number from 1 to 65535",
     "'--vpcd-port' の値が正しくありません: 1〜65535 の整数を指定してください"),
    (["--timeout", "AB12CD34", "info"],
     "invalid value for '--timeout': a number of seconds from 0.1 to 3600",
     "'--timeout' の値が正しくありません: 0.1〜3600 の秒数を指定してください"),
    (["retries", "7294"], "invalid value for '[PINS]...': not a PIN kind",
     "暗証番号の種類ではありません"),
    (["info", "--7294"], "unknown option", "不明なオプションです"),
    (["info", "-7294"], "unknown option", "不明なオプションです"),
    (["info", "-pin"], "unknown option", "不明なオプションです"),
    (["info", "--pin=7294"], "No such option '--pin'", "'--pin' というオプションはありません"),
    (["7294"], "unknown command", "不明なコマンドです"),
    (["cert", "AB12CD34"], "unknown command", "不明なコマンドです"),
    (["--now", "7294", "info"], "--now takes an ISO 8601 time", "ISO 8601 形式の時刻"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "en", "ja"), TOLD, ids=[" ".join(c[0]) for c in TOLD])
def test_what_a_refused_word_is_told(args: list[str], en: str, ja: str) -> None:
    for lang, words in (("en", en), ("ja", ja)):
        r = run("--lang", lang, "--emulator", *args)
        assert r.code == Exit.USAGE and words in r.err, r.err
        assert len(r.err.strip().splitlines()) == 1
        assert "7294" not in r.err and "AB12CD34" not in r.err


def test_a_missing_choice_is_one_line() -> None:
    r = run("--lang", "en", "--emulator", "cert", "show")
    assert r.code == Exit.USAGE and len(r.err.strip().splitlines()) == 1, r.err
    assert "Missing argument" in r.err and "auth-ca" in r.err


def test_paths_and_unknown_words_without_a_digit_are_repeated() -> None:
    path = run("--lang", "en", "--emulator", "emulator", "init-state", ".")
    assert path.code == Exit.USAGE and "cannot write .: " in path.err
    typo = run("--lang", "en", "retires")
    assert typo.code == Exit.USAGE and "'retires'" in typo.err and "'retries'" in typo.err
