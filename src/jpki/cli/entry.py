"""The ``jpkitool`` console script: a bare ``--version`` is answered before click is
imported (importing click costs about as much as starting Python); everything else
goes to :func:`jpki.cli.main.main`."""

from __future__ import annotations

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
    closed by the command. A failed flush, or coverage measuring us, takes the
    normal way out.
    """
    code = main()
    if "coverage" in sys.modules:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)
