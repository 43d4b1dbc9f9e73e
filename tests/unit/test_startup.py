"""Each command imports only what it needs (issue 10, part 1).

``--version`` and ``--help`` load no pyscard, ``cryptography``, asn1crypto or
emulator code; ``retries`` and ``info`` (replayed: no emulator, no reader) load no
``cryptography``, asn1crypto or emulator either; a command module is imported only
when that command runs or shows its own help. Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

from cli_runner import jpkitool_inprocess
from jpki.cli.help import walk
from jpki.cli.lazy import LazyGroup
from jpki.cli.main import COMMANDS, cli, hoist_global_options, main

SESSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "sessions"
#: What no command loads unless it needs it (prefixes: ``x`` covers ``x.*``).
CRYPTO = ("cryptography", "asn1crypto")
EMULATOR = ("jpki.emulator",)
PYSCARD = ("smartcard", "apdu.pcsc")
#: The command modules (loaded only by their own command).
COMMAND_MODULES = ("jpki.cli.commands.",)


def _matching(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def modules_after(
    *args: str, entry: str = "jpki.cli.main", env: dict[str, str] | None = None
) -> tuple[int, set[str]]:
    """Exit status and ``sys.modules`` after ``jpkitool ARGS`` in a fresh interpreter."""
    code = (
        "import contextlib, io, json, sys\n"
        f"from {entry} import main\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        f"    status = main({list(args)!r})\n"
        "print(json.dumps([int(status), sorted(sys.modules)]))\n"
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    full_env.update(env or {})
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=full_env
    ).stdout
    status, modules = json.loads(out)
    return status, set(modules)


@pytest.mark.parametrize(
    "args",
    [["--version"], ["-V"], ["--help"], ["--lang", "ja", "--help"], ["--lang", "en"]],
)
def test_version_and_help_load_no_card_library_and_no_command(args: list[str]) -> None:
    status, loaded = modules_after(*args)
    assert status in (0, 2)
    assert _matching(loaded, CRYPTO + EMULATOR + PYSCARD) == []
    assert [m for m in loaded if m.startswith(COMMAND_MODULES)] == []
    assert _matching(loaded, ("apdu.replay", "apdu.recording", "apdu.trace")) == []


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_the_console_script_answers_version_without_click(flag: str) -> None:
    status, loaded = modules_after(flag, entry="jpki.cli.entry")
    assert status == 0
    assert _matching(loaded, ("click", "jpki.cli.main", *CRYPTO, *PYSCARD)) == []


def test_the_console_script_prints_what_click_prints() -> None:
    from jpki.cli.entry import main as entry_main

    outputs = []
    for run in (entry_main, main):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert run(["--version"]) == 0
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1] and outputs[0].startswith("jpkitool, version ")


def test_retries_loads_no_crypto_no_emulator_no_pyscard() -> None:
    status, loaded = modules_after("--replay", str(SESSIONS / "retries-fresh.jsonl"), "retries")
    assert status == 0
    assert _matching(loaded, CRYPTO + EMULATOR + PYSCARD) == []
    assert _matching(loaded, ("starlette", "uvicorn", "jpki.ui")) == []  # the ui extra
    commands = sorted(m for m in loaded if m.startswith(COMMAND_MODULES))
    assert commands == ["jpki.cli.commands.retries"]


@pytest.mark.parametrize("args", [["retries"], ["retries", "1", "2"], ["info"]])
def test_the_virtual_card_loads_no_certificate_code_unless_one_is_read(args: list[str]) -> None:
    """``--emulator retries`` builds no certificate: cryptography and asn1crypto cost
    more than the rest of the command; ``info`` reads the auth certificate, so it does."""
    status, loaded = modules_after("--emulator", *args)
    assert status == 0
    crypto = _matching(loaded, (*CRYPTO, "jpki.emulator.certs"))
    assert (crypto != []) is (args == ["info"]), crypto


def test_retries_of_some_pins_loads_no_crypto_either(tmp_path: Path) -> None:
    session = tmp_path / "retries-1-2.jsonl"
    recorded = jpkitool_inprocess("--emulator", "--record", str(session), "retries", "1", "2")
    assert recorded.code == 0, recorded.err
    status, loaded = modules_after("--replay", str(session), "--json", "retries", "①", "auth")
    assert status == 0
    assert _matching(loaded, CRYPTO + EMULATOR + PYSCARD) == []


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["--replay", str(SESSIONS / "retries-no-jpki.jsonl"), "retries"], 5),
        (["retries"], 5),  # no pcscd
        (["readers"], 5),
        (["doctor"], 5),
        (["--lang", "ja", "retries", "1234"], 2),
    ],
)
def test_an_error_loads_no_crypto_and_no_emulator(
    args: list[str], status: int, tmp_path: Path
) -> None:
    nowhere = {"PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    got, loaded = modules_after(*args, env=nowhere)
    assert got == status
    assert _matching(loaded, CRYPTO + EMULATOR) == []


# -- the lazy group ---------------------------------------------------------------------


def test_every_command_is_in_the_table_and_loads() -> None:
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
    assert cli.get_command(ctx, "nothing") is None


def test_global_options_are_hoisted_without_loading_a_command() -> None:
    code = (
        "import json, sys\n"
        "from jpki.cli.main import hoist_global_options\n"
        "moved = hoist_global_options(['retries', '1', '--json'])\n"
        "loaded = [m for m in sys.modules if m.startswith('jpki.cli.commands.')]\n"
        "print(json.dumps([moved, loaded]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    moved, loaded = json.loads(out)
    assert moved == ["--json", "retries", "1"]
    assert loaded == []
    assert hoist_global_options(["cert", "show", "auth", "-v"]) == ["-v", "cert", "show", "auth"]


def _help(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main([*args, "--help"]) == 0
    return out.getvalue()


def _fresh_group(monkeypatch: pytest.MonkeyPatch) -> LazyGroup:
    """``cli`` as if no command were imported yet."""
    monkeypatch.setattr(cli, "commands", {})
    return cli


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_help_lists_the_same_texts_before_and_after_the_commands_load(
    lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    group = _fresh_group(monkeypatch)
    lazy = _help("--lang", lang)
    assert group.commands == {}
    for name in COMMANDS:
        assert f"  {name} " in lazy
    list(walk(cli))  # loads every command
    assert sorted(group.commands) == sorted(COMMANDS)
    assert _help("--lang", lang) == lazy


def test_a_command_loaded_later_gets_its_help_in_the_current_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fresh_group(monkeypatch)
    japanese = _help("--lang", "ja", "retries")
    assert "使い方" in japanese and "残り回数" in japanese
    english = _help("--lang", "en", "retries")
    assert "Usage:" in english and "tries" in english


def test_a_lazy_command_loads_once_and_only_when_asked() -> None:
    loads: list[str] = []
    group = LazyGroup(lazy_commands={"retries": "jpki.cli.commands.retries:command"})
    group.on_load = lambda name, command: loads.append(name)
    ctx = click.Context(group)
    assert group.list_commands(ctx) == ["retries"] and group.commands == {} and loads == []
    first = group.get_command(ctx, "retries")
    assert group.get_command(ctx, "retries") is first and group.commands == {"retries": first}
    assert loads == ["retries"]
    assert group.get_command(ctx, "nothing") is None


def _script(redirect: str, args: str = "--emulator retries") -> subprocess.CompletedProcess[str]:
    command = f"{shlex.quote(sys.executable)} -m jpki {args} {redirect}"
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", ["--version", "--emulator retries"])
def test_output_that_cannot_be_written_is_one_line(args: str) -> None:
    """To a full disk (``>/dev/full``) and to a pipe with no reader, ``--version``
    (written without click) and a command both end in one line and exit 1, with no
    traceback, and nothing more at the interpreter's exit."""
    full = _script(">/dev/full", args)
    read_end, write_end = os.pipe()
    os.close(read_end)  # no reader at all: every write fails with EPIPE
    with os.fdopen(write_end, "wb") as pipe:
        broken = subprocess.run(
            [sys.executable, "-m", "jpki", *args.split()],
            stdout=pipe,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    for done in (full, broken):
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("jpkitool: ") and done.stderr.count("\n") == 1


@pytest.mark.parametrize("closed", ["1", "2"])
def test_the_console_script_with_a_closed_stream_ends_quietly(closed: str) -> None:
    """Through a real process started with the descriptor closed (``>&-``, ``2>&-``):
    Python then has no such stream (None)."""
    done = _script(f"{closed}>&-")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_the_installed_script_goes_through_run() -> None:
    """The console script must call ``run`` (which exits with the status), not ``main``."""
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {"jpkitool": "jpki.cli.entry:run"}
