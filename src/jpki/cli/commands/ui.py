"""``jpkitool ui``: the local page (:mod:`jpki.ui`, docs/ui.md), served until Ctrl-C.

The web server is the optional extra ``jpkitool[ui]``: without it, one line says how
to install it and the exit status is 1. Nothing of it is imported by other commands.
Every page load reads the card afresh, so ``--record`` and ``--replay`` are refused.
"""

from __future__ import annotations

import sys

import click

from ...i18n import t
from ..context import AppContext
from ..failures import Exit, UsageFailure, finish


@click.command("ui")
@click.option("--no-browser", is_flag=True)
@click.option("--port", type=click.IntRange(0, 65535), default=0)
@click.pass_obj
def command(app: AppContext, no_browser: bool, port: int) -> None:
    if app.options.record or app.options.replay:
        raise UsageFailure("usage.ui_session")
    try:
        from ...ui import server, source
    except ModuleNotFoundError as exc:
        if (exc.name or "jpki").split(".")[0] == "jpki":
            raise
        app.note(f"jpkitool: {t('ui.needs_extra')}")
        finish(Exit.ERROR)
        return
    app.note(t("ui.started"))
    cards = source.from_spec(app.session_spec())
    server.serve(cards, app.options.lang, port, sys.stdout, not no_browser)
