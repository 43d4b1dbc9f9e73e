"""The ``jpkitool`` console script.

A bare ``--version`` is answered before click is imported: importing click and the
CLI costs about as much as starting Python. Everything else goes to
:func:`jpki.cli.main.main`.
"""

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
        if sys.stdout is None:  # started with stdout closed (>&-): nothing to say it on
            return 0
        try:
            sys.stdout.write(VERSION_LINE + "\n")
            sys.stdout.flush()
            return 0
        except OSError:
            pass  # click says it again, and reports the failure in the user's language
    from . import prefetch

    try:
        prefetch.start(args)  # a plain `retries` reads the card while click loads
        interrupted = False
    except KeyboardInterrupt:  # while the card opened: reported as any Ctrl-C
        interrupted = True
    try:
        from .main import main as run_click

        return run_click(args, interrupted=interrupted)
    finally:
        prefetch.wait()


def run() -> None:
    """Console-script entry point (``python -m jpki``): exit with the command's status.

    Output still buffered that cannot be written (a reader gone from the pipe, a full
    disk) is dropped, as at any exit, without a traceback and without changing the
    status: the stream is pointed at ``os.devnull`` (the Python documentation's advice
    for SIGPIPE), so the interpreter's own flush at exit has nothing to fail on.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
    sys.exit(code)
