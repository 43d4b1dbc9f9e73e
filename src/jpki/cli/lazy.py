"""A click group whose commands are imported when first used.

``jpkitool --help`` lists every command without importing one (the line of each
comes from :attr:`LazyGroup.describe`), and ``jpkitool retries`` imports only the
retries command's module and what it needs.
"""

from __future__ import annotations

import gettext
import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

import click


class LazyCommands(MutableMapping[str, click.Command]):
    """Command name -> command, imported from ``"module:attribute"`` on first access.

    Iterating, ``len`` and ``in`` import nothing; ``commands[name]`` imports the
    command's module (once) and calls ``on_load(name, command)``.
    """

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = dict(table)
        self._loaded: dict[str, click.Command] = {}
        self.on_load: Callable[[str, click.Command], None] = lambda name, command: None

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            module, _, attribute = self._table[name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self._table[name]} is not a click command")
            self._loaded[name] = command
            self.on_load(name, command)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._table[name] = ""
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._table[name]
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, name: object) -> bool:
        return name in self._table

    def loaded(self) -> dict[str, click.Command]:
        """The commands imported so far."""
        return dict(self._loaded)


class LazyGroup(click.Group):
    """A :class:`click.Group` over :class:`LazyCommands` (``lazy_commands``: name ->
    ``"module:attribute"``). Help lists a command before importing it, so a command in
    the table must not be hidden."""

    commands: LazyCommands

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(lazy_commands)
        #: A command's line in the list, by name, imported or not (set by
        #: :func:`jpki.cli.help.localize`).
        self.describe: Callable[[str], str] = lambda name: ""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.describe(name)) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section(gettext.gettext("Commands")):
                formatter.write_dl(rows)
