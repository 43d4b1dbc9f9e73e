"""Asking for PINs: hidden on a terminal, one line per answer from a pipe.

When standard input is a terminal, click's hidden prompt (no echo) on stderr.
Otherwise one line is read from standard input per question, in the order asked,
even if a terminal is attached elsewhere (scripts and tests pipe answers, as with
ykman). Never from argv or the environment.
"""

from __future__ import annotations

import sys

import click

from .failures import UsageFailure


class PinPrompter:
    """Asks for one value at a time; never prints or logs it."""

    def __init__(self) -> None:
        self.interactive = sys.stdin is not None and sys.stdin.isatty()

    def ask(self, label: str) -> str:
        if self.interactive:
            value: str = click.prompt(label, hide_input=True, err=True, show_default=False)
            return value
        return self._read_line(label)

    @staticmethod
    def _read_line(label: str) -> str:
        """One line of standard input, read as bytes so that a decoding error can never
        carry the buffered answers into an error message."""
        stream = sys.stdin
        if stream is None:
            raise UsageFailure("usage.pin_input_missing", prompt=label)
        raw = getattr(stream, "buffer", None)
        if raw is None:  # a text stream with no bytes underneath (tests)
            line = stream.readline()
        else:
            data = raw.readline()
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError:
                raise UsageFailure("usage.pin_input_not_text", prompt=label) from None
        if not line:
            raise UsageFailure("usage.pin_input_missing", prompt=label)
        return line.rstrip("\r\n")
