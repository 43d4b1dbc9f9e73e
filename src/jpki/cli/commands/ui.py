"""``jpkitool ui``: the local page (:mod:`jpki.ui`, docs/ui.md), served until Ctrl-C.

The web server is the optional extra ``jpkitool[ui]``: without it, one line says how
to install it and the exit status is 1. Nothing of it is imported by other commands.
Every page load reads the card afresh, so ``--record`` and ``--replay`` are refused.
``--emulator`` alone is one default virtual card for the server's life, so a try spent
or a PIN changed on the page shows on the next page. ``--experimental`` lets the page
change ③, as ``change-pin --experimental`` does.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import click

from ...i18n import t
from ..context import AppContext
from ..failures import Exit, UsageFailure, finish


@click.command("ui")
@click.option("--no-browser", is_flag=True)
@click.option("--port", type=click.IntRange(0, 65535), default=0)
@click.option("--experimental", is_flag=True)
@click.pass_obj
def command(app: AppContext, no_browser: bool, port: int, experimental: bool) -> None:
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
    spec = app.session_spec()
    if spec.emulator is True:
        from ...emulator import CardState

        spec = replace(spec, emulator=CardState())
    cards = source.from_spec(spec)
    server.serve(
        cards, app.options.lang, port, sys.stdout, not no_browser, experimental=experimental
    )
