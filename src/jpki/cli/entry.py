"""The ``jpkitool`` console script: a bare ``--version`` is answered before click is
imported (importing click costs about as much as starting Python); everything else
goes to :func:`jpki.cli.main.main`."""

from __future__ import annotations

import contextlib
import os
import sys

from .. import __version__

#: The arguments answered here, and the line click's ``version_option`` prints for them
#: (in English whatever the language: click fixes its message when the option is made).
VERSION_ARGS = (["--version"], ["-V"])
VERSION_LINE = f"jpkitool, version {__version__}"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args in VERSION_ARGS:
        sys.stdout.write(VERSION_LINE + "\n")
        return 0
    from . import prefetch

    prefetch.start(args)  # a plain `retries` reads the card while click loads
    from .main import main as run_click

    return run_click(args)


def run() -> None:
    """Console-script entry point (``python -m jpki``).

    Once the output is flushed the process ends at once (``os._exit``): the
    interpreter's own tear-down (module clean-up, collection) adds about 17 ms to
    every command and does nothing for us, since every file and card connection was
    closed by the command. A stream that is closed (None) or cannot be flushed (a
    reader that went away) loses what it had left, as it would at a normal exit, and
    the status stays the command's. Under coverage the normal way out is taken.
    """
    code = main()
    if "coverage" in sys.modules:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.flush()
    os._exit(code)
