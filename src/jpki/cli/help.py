"""``--help`` in the user's language: command and option texts from the catalogues.

click reads ``help`` when it formats the page, after :func:`jpki.i18n.set_language`
ran, so setting the attributes from ``help.command.<path>`` and
``help.option.<path>.<param>`` before parsing is enough. click's own words
("Usage:", "Options:", its error texts) stay in English: click ships no Japanese.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from ..i18n import has, t
from .wrap import CellContext


def walk(command: click.Command, path: str = "cli") -> Iterator[tuple[str, click.Command]]:
    """Every command under ``command`` (itself first) with its dotted catalogue path."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, name if path == "cli" else f"{path}.{name}")


def help_keys(path: str, command: click.Command) -> Iterator[tuple[str, click.Option | None]]:
    """The catalogue keys of a command's help and of its options' help."""
    yield f"help.command.{path}", None
    for param in command.params:
        if isinstance(param, click.Option):
            yield f"help.option.{path}.{param.name}", param


def localize(root: click.Command) -> None:
    """Set the help texts of ``root`` and everything under it in the current language."""
    # Subcommands inherit the root's help option names at run time; make theirs alike.
    names = root.context_settings.get("help_option_names", ["--help"])
    for path, command in walk(root):
        command.context_class = CellContext  # wrap by display width (Japanese)
        # click >= 8.1.8 keeps the help option it made, so its text can be set here.
        help_option = command.get_help_option(click.Context(command, help_option_names=names))
        if help_option is not None:
            help_option.help = t("help.show_help")
        for key, param in help_keys(path, command):
            if not has(key):
                continue
            if param is None:
                command.help = t(key)
                command.short_help = None
            else:
                param.help = t(key)
