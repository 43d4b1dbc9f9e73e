"""``--help`` in the user's language.

Each command's and option's help is written once, in the catalogues
(``help.command.<path>``, ``help.option.<path>.<param>``), never in the decorators;
click reads ``help`` when it formats the page, so setting the attributes before
parsing is enough (a command the lazy group imports later is set as it is imported).
click's own words ("Usage:", "Options", "Show this message and exit.") come from
click's msgids in our catalogue (:func:`jpki.i18n.use_for_click`); its placeholders
(``[OPTIONS]``, ``TEXT``, an argument's ``KIND``) from ``help.metavar.<WORD>``.

A command's line in its group's list is the first sentence of its help, whole (click
would cut it by characters, which leaves a Japanese sentence as ``...``): the
formatter wraps it by display width.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterator

import click

from ..i18n import t
from .lazy import LazyGroup
from .wrap import CellContext

#: click's placeholders for a command's options and a group's command, in English.
OPTIONS_METAVAR = "[OPTIONS]"
SUBCOMMAND_METAVAR = "COMMAND [ARGS]..."
#: A placeholder's words: ``TEXT``, ``INTEGER RANGE``, ``KINDS`` of ``KINDS...``.
_METAVAR_WORD = re.compile(r"[A-Z][A-Z0-9]*(?: [A-Z][A-Z0-9]*)*")
#: Each parameter's placeholder in English, as first seen (localize sets ``metavar``).
_ENGLISH_METAVARS: dict[click.Parameter, str | None] = {}


def english_metavar(param: click.Parameter) -> str | None:
    """The placeholder click shows for ``param``, in English: as the code wrote it, else
    click's own (an option's type name, an argument's name); None where click shows the
    choices of an option, or nothing (a flag)."""
    if param in _ENGLISH_METAVARS:
        return _ENGLISH_METAVARS[param]
    value = param.metavar
    if value is None and isinstance(param, click.Option):
        if not (param.is_flag or param.count or isinstance(param.type, click.Choice)):
            value = param.type.name.upper()
    elif value is None and param.name is not None:  # an argument: click's decoration
        value = param.name.upper()
        value = value if param.required else f"[{value}]"
        value = value if param.nargs == 1 else f"{value}..."
    _ENGLISH_METAVARS[param] = value
    return value


def metavar(english: str) -> str:
    """A placeholder in the current language (``[OPTIONS]`` -> ``[オプション]``)."""
    return _METAVAR_WORD.sub(lambda m: t(f"help.metavar.{m.group()}"), english)


def first_sentence(text: str) -> str:
    """The first sentence of ``text``'s first paragraph: up to a ``。`` or a ``. ``
    outside brackets (``（KINDS: ... 1〜4。②③④ ...）`` is inside)."""
    paragraph = " ".join(text.split("\n\n", 1)[0].split())
    depth = 0
    for i, ch in enumerate(paragraph):
        depth += (ch in "（(「") - (ch in "）)」")
        end = ch == "。" or (ch == "." and paragraph[i + 1 : i + 2] in ("", " "))
        if end and depth <= 0:
            return paragraph[: i + 1]
    return paragraph


def walk(
    command: click.Command, path: str = "cli", *, load: bool = True
) -> Iterator[tuple[str, click.Command]]:
    """Every command under ``command`` (itself first) with its dotted catalogue path.

    ``load=False``: only the commands a :class:`LazyGroup` has imported so far.
    """
    yield path, command
    if isinstance(command, click.Group):
        names = list(command.commands)
        if load and isinstance(command, LazyGroup):
            names = list(command.lazy_commands)
        for name in names:
            command.get_command(click.Context(command), name)  # imports a lazy one
            yield from walk(command.commands[name], _child(path, name), load=load)


def _child(path: str, name: str) -> str:
    return name if path == "cli" else f"{path}.{name}"


def help_keys(path: str, command: click.Command) -> Iterator[tuple[str, click.Option | None]]:
    """The catalogue keys of a command's help and of its options' help."""
    yield f"help.command.{path}", None
    for param in command.params:
        # --version is click's own option, in click's own words (see localize).
        if isinstance(param, click.Option) and param.name != "version":
            yield f"help.option.{path}.{param.name}", param


def localize(root: click.Command) -> None:
    """Set the help texts of ``root`` and everything under it in the current language.

    Commands a :class:`LazyGroup` has not imported yet are set when it imports them
    (in the language current then); its help lists them from the catalogues.
    """
    # Subcommands inherit the root's help option names at run time; make theirs alike.
    names = root.context_settings.get("help_option_names", ["--help"])

    def prepare(top: str, command: click.Command) -> None:
        for path, sub in walk(command, top, load=False):
            _localize_one(path, sub, names)
            if isinstance(sub, LazyGroup):
                _follow(sub, path, prepare)

    prepare("cli", root)


def _follow(group: LazyGroup, path: str, prepare: Callable[[str, click.Command], None]) -> None:
    """``group``'s commands prepared as they are imported, and listed from the catalogue."""
    group.on_load = lambda name, command: prepare(_child(path, name), command)
    group.describe = lambda name: first_sentence(t(f"help.command.{_child(path, name)}"))


def _localize_one(path: str, command: click.Command, names: list[str]) -> None:
    command.context_class = CellContext  # wrap by display width (Japanese)
    command.options_metavar = metavar(OPTIONS_METAVAR)
    if isinstance(command, click.Group):
        command.subcommand_metavar = metavar(SUBCOMMAND_METAVAR)
    for param in command.params:
        english = english_metavar(param)
        if english is not None:
            param.metavar = metavar(english)
        if param.name == "version" and isinstance(param, click.Option):
            param.help = gettext.gettext("Show the version and exit.")
    # click >= 8.1.8 keeps the help option it made, so its text can be set here.
    help_option = command.get_help_option(click.Context(command, help_option_names=names))
    if help_option is not None:  # click made it once, in the language of that moment
        help_option.help = gettext.gettext("Show this message and exit.")
    for key, option in help_keys(path, command):
        if option is None:
            command.help = t(key)
            command.short_help = first_sentence(command.help)
        else:
            option.help = t(key)
