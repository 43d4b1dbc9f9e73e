"""The state shared by every command: options, language, and the card session."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from apdu import BaseTransport

from .. import __version__
from ..card import MyNumberCard
from ..i18n import t
from .failures import Exit, UsageFailure, classify


def parse_now(text: str) -> dt.datetime:
    """An ISO 8601 time; without a zone it is UTC."""
    try:
        when = dt.datetime.fromisoformat(text)
        when = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
        # Far enough from the ends of the calendar for JST dates and day counts.
        return (when.astimezone(dt.UTC) + dt.timedelta(days=2)) - dt.timedelta(days=2)
    except (ValueError, OverflowError):
        raise UsageFailure("usage.bad_now", value=text) from None


@dataclass
class Options:
    reader: str | None = None
    json: bool = False
    lang: str = "en"
    verbose: bool = False
    record: Path | None = None
    replay: Path | None = None
    emulator: bool = False
    emulator_state: Path | None = None
    wait: float | None = None
    #: ``--now``: an ISO 8601 time to take as now (tests, replays).
    now: str | None = None


class AppContext:
    """Options plus helpers to open the card and to print results."""

    def __init__(self, options: Options) -> None:
        self.options = options
        if options.replay and (options.emulator or options.reader or options.record):
            raise UsageFailure("usage.replay_conflict")
        if options.emulator and options.reader:
            raise UsageFailure("usage.emulator_reader_conflict")
        if options.emulator_state and not options.emulator:
            raise UsageFailure("usage.state_needs_emulator")
        self._now = parse_now(options.now) if options.now is not None else None
        #: stdout carries data (``cert export``): messages go to stderr.
        self.stdout_is_data = False

    def now(self) -> dt.datetime:
        """The current time in UTC, or the one ``--now`` gave."""
        return self._now if self._now is not None else dt.datetime.now(dt.UTC)

    # -- output ---------------------------------------------------------------

    def echo(self, text: str = "") -> None:
        click.echo(text)

    def emit_json(self, document: dict[str, Any]) -> None:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))

    def note(self, text: str) -> None:
        """A side remark on stderr (never in JSON output)."""
        click.echo(text, err=True)

    # -- the card -------------------------------------------------------------

    def _on_wait(self) -> None:
        if sys.stderr.isatty():
            click.echo(t("wait.insert_card"), err=True)

    @contextlib.contextmanager
    def transport(self, transaction: bool = True) -> Iterator[BaseTransport]:
        """The transport the options ask for, wrapped for recording and tracing.

        With ``transaction`` the whole session is one PC/SC transaction; without, the
        command opens its own (:meth:`jpki.card.MyNumberCard.transaction`).
        """
        opts = self.options
        save: Any = None
        base: BaseTransport
        if opts.replay:
            from apdu.replay import ReplayTransport

            base = ReplayTransport(opts.replay)
        elif opts.emulator:
            from ..emulator import CardState, EmulatorTransport, VirtualCard, load_state

            path = opts.emulator_state
            state = load_state(path) if path and path.exists() else CardState.default()
            base = EmulatorTransport(VirtualCard(state))
            if path:
                from ..emulator import save_state

                before = state.to_json()

                def save() -> None:
                    # Only what changed is written back: a read-only command leaves a
                    # partial state file as the user wrote it.
                    if state.to_json() != before:
                        save_state(state, path)

        else:
            from ..connect import connect

            base = connect(opts.reader, wait=opts.wait, on_wait=self._on_wait)
        transport: BaseTransport = base
        finished = False
        try:
            if opts.record:
                from apdu.recording import RecordingTransport

                transport = RecordingTransport(
                    transport,
                    opts.record,
                    tool_version=f"jpkitool {__version__}",
                    origin="emulator" if opts.emulator else None,
                )
            if opts.verbose:
                from apdu.trace import TracingTransport

                transport = TracingTransport(transport)
            with transport.transaction() if transaction else contextlib.nullcontext():
                yield transport
            finished = True
        finally:
            if save is not None:
                save()
            if opts.replay:
                # Left-over exchanges are an error only when the command itself succeeded.
                base.close(strict=finished)  # type: ignore[call-arg]
            else:
                transport.close()

    @contextlib.contextmanager
    def card(self, transaction: bool = True) -> Iterator[MyNumberCard]:
        with self.transport(transaction) as transport:
            yield MyNumberCard(transport)

    # -- failures -------------------------------------------------------------

    def fail(self, exc: BaseException) -> Exit:
        """Print one line (or a JSON error) for ``exc``; return the exit status."""
        failure = classify(exc)
        if self.options.json:
            self.emit_json({"error": {"code": failure.code, "message": failure.message}})
        else:
            click.echo(f"jpkitool: {failure.message}", err=True)
        return failure.exit
