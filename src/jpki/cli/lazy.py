"""A click group whose commands are imported when first used.

``jpkitool --help`` lists every command without importing one (the line of each
comes from :attr:`LazyGroup.describe`), and ``jpkitool retries`` imports only the
retries command's module and what it needs.
"""

from __future__ import annotations

import gettext
import importlib
from collections.abc import Callable, Mapping
from typing import Any

import click


class LazyGroup(click.Group):
    """A :class:`click.Group` whose ``lazy_commands`` (name -> ``"module:attribute"``)
    are imported by :meth:`get_command` into ``commands``, once, then passed to
    ``on_load``. Help lists a command before importing it, so none may be hidden."""

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands)
        self.on_load: Callable[[str, click.Command], None] = lambda name, command: None
        #: A command's line in the list, by name, imported or not (set by
        #: :func:`jpki.cli.help.localize`).
        self.describe: Callable[[str], str] = lambda name: ""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy_commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands and name not in self.commands:
            module, _, attribute = self.lazy_commands[name].partition(":")
            self.commands[name] = getattr(importlib.import_module(module), attribute)
            self.on_load(name, self.commands[name])
        return self.commands.get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.describe(name)) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section(gettext.gettext("Commands")):
                formatter.write_dl(rows)
