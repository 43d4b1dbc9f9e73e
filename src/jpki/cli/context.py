"""The state shared by every command: options, language, and the card session."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from apdu import BaseTransport, outfile

from ..api import virtual_card_opener
from ..card import MyNumberCard
from ..i18n import t
from ..schema import document, error_document
from ..session import OptionConflict, SessionSpec, check_options, open_session
from .failures import UsageFailure
from .wrap import echo


def parse_now(text: str) -> dt.datetime:
    """An ISO 8601 time; without a zone it is UTC."""
    try:
        when = dt.datetime.fromisoformat(text)
        when = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
        # Far enough from the ends of the calendar for JST dates and day counts.
        return (when.astimezone(dt.UTC) + dt.timedelta(days=2)) - dt.timedelta(days=2)
    except (ValueError, OverflowError):
        raise UsageFailure("usage.bad_now") from None


@dataclass
class Options:
    reader: str | None = None
    json: bool = False
    lang: str = "en"
    verbose: bool = False
    record: str | None = None
    #: ``--record-personal``: the recording keeps personal data in the clear.
    record_personal: bool = False
    #: ``--overwrite``: an existing regular file named by ``--record``, ``cert export
    #: -o`` or ``emulator init-state`` is replaced.
    overwrite: bool = False
    replay: Path | None = None
    emulator: bool = False
    emulator_state: Path | None = None
    wait: float | None = None
    #: ``--timeout``: seconds an exchange with the card may take (None: the default).
    timeout: float | None = None
    #: ``--now``: an ISO 8601 time to take as now (tests, replays).
    now: str | None = None


def emit_json(fields: dict[str, Any]) -> None:
    """Print a JSON document, ``schema_version`` first: every document jpkitool prints,
    results and errors alike (usage errors too), goes through here (docs/json.md)."""
    click.echo(json.dumps(document(fields), ensure_ascii=False, indent=2))


def print_error(as_json: bool, code: str, message: str) -> None:
    """An error: one line on stderr, or with ``as_json`` the JSON error document."""
    if as_json:
        emit_json(error_document(code, message))
    else:
        echo(f"jpkitool: {message}", err=True)


class AppContext:
    """Options plus helpers to open the card and to print results."""

    def __init__(self, options: Options) -> None:
        self.options = options
        try:
            check_options(
                reader=bool(options.reader),
                emulator=options.emulator,
                replay=bool(options.replay),
                record=bool(options.record),
                record_personal=options.record_personal,
            )
        except OptionConflict as exc:
            raise UsageFailure(f"usage.{exc.reason}") from None
        if options.emulator_state and not options.emulator:
            raise UsageFailure("usage.state_needs_emulator")
        if options.record is not None:  # before the card, and before any PIN is asked
            outfile.check(options.record, streams=True, overwrite=options.overwrite)
        self._now = parse_now(options.now) if options.now is not None else None
        #: stdout carries data (``cert export``): messages go to stderr.
        self.stdout_is_data = False

    def now(self) -> dt.datetime:
        """The current time in UTC, or the one ``--now`` gave."""
        return self._now if self._now is not None else dt.datetime.now(dt.UTC)

    # -- output ---------------------------------------------------------------

    def show(self, document: dict[str, Any], text: Callable[[], Iterable[str]]) -> None:
        """A command's result: ``document`` with ``--json``, else the lines of ``text()``."""
        if self.options.json:
            emit_json(document)
        else:
            echo("\n".join(text()))

    def note(self, text: str) -> None:
        """A side remark on stderr (never in JSON output), wrapped as text output is."""
        echo(text, err=True)

    # -- the card -------------------------------------------------------------

    def _on_wait(self) -> None:
        if sys.stderr.isatty():
            click.echo(t("wait.insert_card"), err=True)

    def session_spec(self, transaction: bool = True, may_change: bool = False) -> SessionSpec:
        """The session the options ask for (the option conflicts were refused above);
        ``may_change``: the command may try or change a PIN, so an ``--emulator-state``
        file that could not be written is refused before anything is asked."""
        opts = self.options
        return SessionSpec(
            reader=opts.reader,
            wait=opts.wait,
            on_wait=self._on_wait,
            timeout=opts.timeout,
            emulator=opts.emulator_state if opts.emulator_state else opts.emulator,
            replay=opts.replay,
            record=opts.record,
            record_personal=opts.record_personal,
            overwrite=opts.overwrite,
            trace=opts.verbose,
            transaction=transaction,
            may_change=may_change,
        )

    def transport(
        self, transaction: bool = True, may_change: bool = False
    ) -> contextlib.AbstractContextManager[BaseTransport]:
        """The transport the options ask for, wrapped for recording and tracing; with
        ``transaction`` the whole session is one PC/SC transaction, without, the command
        opens its own (:meth:`jpki.card.MyNumberCard.transaction`)."""
        spec = self.session_spec(transaction, may_change)
        return open_session(spec, virtual_card_opener(spec))

    @contextlib.contextmanager
    def card(self, transaction: bool = True, may_change: bool = False) -> Iterator[MyNumberCard]:
        with self.transport(transaction, may_change) as transport:
            yield MyNumberCard(transport)
