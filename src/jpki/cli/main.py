"""``jpkitool``: the click group, global options and the top-level error handler."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from apdu.transport import MIN_TIMEOUT

from .. import __version__
from ..i18n import LANGUAGES, detect_language, set_language, t, use_for_click
from .context import AppContext, Options, print_error
from .failures import Exit, ExitWith, classify, usage_detail
from .help import localize
from .lazy import LazyGroup
from .params import Seconds

#: What click (>= 8.2) raises for a bare ``jpkitool``; older click prints the help itself.
NO_ARGS_IS_HELP: type[click.UsageError] = getattr(
    click.exceptions, "NoArgsIsHelpError", type("NeverRaised", (click.UsageError,), {})
)

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

#: Every command, imported only when it runs or asks for its own help
#: (:class:`LazyGroup`; ``jpkitool --help`` lists them from the catalogues).
COMMANDS = {
    "retries": "jpki.cli.commands.retries:command",
    "verify-pin": "jpki.cli.commands.pins:verify_command",
    "change-pin": "jpki.cli.commands.pins:change_command",
    "info": "jpki.cli.commands.info:command",
    "expiry": "jpki.cli.commands.certs:expiry_command",
    "cert": "jpki.cli.commands.certs:cert_group",
    "readers": "jpki.cli.commands.readers:command",
    "doctor": "jpki.cli.commands.doctor:command",
    "emulator": "jpki.cli.commands.emulator:command",
    "ui": "jpki.cli.commands.ui:command",
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings=CONTEXT_SETTINGS)
@click.option("-r", "--reader", metavar="TEXT")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=click.Choice(LANGUAGES))
@click.option("-v", "--verbose", is_flag=True)
@click.option("--record", metavar="PATH")
@click.option("--record-personal", is_flag=True)
@click.option("--overwrite", is_flag=True)
@click.option("--replay", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--emulator", is_flag=True)
@click.option("--emulator-state", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--wait", type=Seconds(), metavar="SECONDS")
@click.option("--timeout", type=Seconds(minimum=MIN_TIMEOUT), metavar="SECONDS")
@click.option("--now", metavar="ISO8601", hidden=True)
@click.version_option(__version__, "-V", "--version", prog_name="jpkitool")
@click.pass_context
def cli(ctx: click.Context, /, **options: Any) -> None:
    options["lang"] = options["lang"] or detect_language()
    set_language(options["lang"])
    ctx.obj = AppContext(Options(json=options.pop("as_json"), **options))


def _global_options() -> tuple[frozenset[str], frozenset[str]]:
    """The names of ``cli``'s options that take a value, and of its flags."""
    valued: set[str] = set()
    flags: set[str] = set()
    for param in cli.params:
        if isinstance(param, click.Option):
            names = {*param.opts, *param.secondary_opts}
            (flags if param.is_flag or param.count else valued).update(names)
    return frozenset(valued), frozenset(flags)


def hoist_global_options(argv: list[str]) -> list[str]:
    """Move global options written after the command name in front of it.

    ``jpkitool retries --json`` then means ``jpkitool --json retries``. Arguments
    after ``--`` are left alone, and so is everything when no command name is found.
    """
    with_value, flags = _global_options()
    i = 0
    while i < len(argv) and argv[i] not in COMMANDS:
        if argv[i] == "--":
            return argv
        i += 2 if argv[i] in with_value else 1
    if i >= len(argv):
        return argv
    moved: list[str] = []
    kept: list[str] = []
    j = i + 1
    while j < len(argv) and argv[j] != "--":
        arg = argv[j]
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if name in flags and "=" not in arg:
            moved.append(arg)
        elif name in with_value:
            span = 1 if "=" in arg else 2
            moved += argv[j : j + span]
            j += span - 1
        else:
            kept.append(arg)
        j += 1
    return [*argv[:i], *moved, argv[i], *kept, *argv[j:]]


def _early_options(argv: list[str]) -> tuple[bool, str]:
    """``--json`` and ``--lang`` as given, for errors found before click parsed them."""
    as_json = "--json" in argv
    lang = detect_language()
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGUAGES:
            lang = argv[i + 1]
        elif arg.startswith("--lang=") and arg[7:] in LANGUAGES:
            lang = arg[7:]
    return as_json, lang


def tolerant_streams() -> None:
    """A terminal in Shift_JIS or EUC-JP has no ① (and others we print): such a
    character comes out as ``?`` instead of ending the command with an error."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and encoding not in ("utf8", "utf_8"):
            reconfigure(errors="replace")


def main(argv: list[str] | None = None, *, interrupted: bool = False) -> int:
    """Run the CLI; return (and, as a script, exit with) the exit status.
    ``interrupted``: Ctrl-C came before the command line was parsed (while
    :mod:`jpki.cli.prefetch` opened the card): say so as for any Ctrl-C."""
    tolerant_streams()
    args = hoist_global_options(sys.argv[1:] if argv is None else list(argv))
    as_json, lang = _early_options(args)
    set_language(lang)
    if interrupted:
        failure = classify(KeyboardInterrupt())
        _report(None, as_json, failure.code, failure.message)
        return failure.exit
    with use_for_click(lang):
        localize(cli)
        return _run(args, as_json)


def _run(args: list[str], as_json: bool) -> int:
    ctx: click.Context | None = None
    try:
        ctx = cli.make_context("jpkitool", args)
        with ctx:
            cli.invoke(ctx)
        return Exit.OK
    except ExitWith as done:
        return done.status
    except click.exceptions.Exit as done:  # --help, --version
        return done.exit_code
    except NO_ARGS_IS_HELP as exc:  # plain `jpkitool`: the help, as --help gives it
        if as_json:
            _report(None, True, "usage", t("usage.missing_command"))
            return Exit.USAGE
        click.echo(exc.format_message())
        return Exit.OK
    except click.UsageError as exc:
        message = usage_detail(exc)
        if not as_json and exc.ctx is not None:
            message += t("usage.hint", command=exc.ctx.command_path)
        _report(ctx, as_json, "usage", message)
        return Exit.USAGE
    except (Exception, KeyboardInterrupt) as exc:
        failure = classify(exc)
        _report(ctx, as_json, failure.code, failure.message)
        return failure.exit


def _report(ctx: click.Context | None, as_json: bool, code: str, message: str) -> None:
    """One line on stderr, or a JSON error: ``--json`` as parsed when the command line
    was, else as first seen (``as_json``)."""
    if ctx is not None and isinstance(ctx.obj, AppContext):
        as_json = ctx.obj.options.json
    print_error(as_json, code, message)
