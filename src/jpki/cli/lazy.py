"""A click group whose commands are imported when first used.

``jpkitool --help`` lists every command without importing one (the short help
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
        self.on_load: Callable[[str, click.Command], None] | None = None

    def __getitem__(self, name: str) -> click.Command:
        command = self._loaded.get(name)
        if command is None:
            module, _, attribute = self._table[name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self._table[name]} is not a click command")
            self._loaded[name] = command
            if self.on_load is not None:
                self.on_load(name, command)
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._table.pop(name, None)
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._table
        yield from (name for name in self._loaded if name not in self._table)

    def __len__(self) -> int:
        return len(self._table.keys() | self._loaded.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._table or name in self._loaded

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
        #: The line of a command not imported yet in the list, by name (set by
        #: :func:`jpki.cli.help.localize`); ``None``: help imports the command to ask it.
        self.describe: Callable[[str], str] | None = None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        loaded = self.commands.loaded()
        describe = self.describe
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = loaded.get(name)
            if command is None and describe is not None:
                rows.append((name, describe(name)))
                continue
            command = command or self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section(gettext.gettext("Commands")):
                formatter.write_dl(rows)
