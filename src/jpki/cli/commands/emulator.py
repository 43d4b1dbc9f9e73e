"""``jpkitool emulator``: serve the virtual card to pcscd, or write a state file."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import t
from ..context import AppContext


@click.group("emulator")
def command() -> None:
    """A group: its help is in the catalogues (``help.command.*``)."""


@command.command("serve")
@click.option("--vpcd-port", type=click.IntRange(1, 65535), default=0x8C7B, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def serve(app: AppContext, vpcd_port: int, host: str, state_path: Path | None) -> None:
    from ...emulator import CardState, VirtualCard
    from ...emulator.session import state_file
    from ...emulator.vpcd import serve as serve_vpcd

    # Saved after each command that changed the card, before it is answered (a
    # SIGKILL loses nothing answered); a save that fails ends serving unanswered.
    if state_path is not None:
        state, save = state_file(state_path, writable=True)
        card = VirtualCard(state, on_change=save)
    else:
        card, save = VirtualCard(CardState()), None

    def report(event: str) -> None:
        # "Serving" only once vpcd has spoken to the card; until then (vpcd cannot be
        # reached, or another card holds the port), and after pcscd went away, the
        # bridge retries and says so once.
        key = "emulator.serving" if event == "connected" else "emulator.waiting"
        app.note(t(key, host=host, port=vpcd_port))

    serve_vpcd(card, vpcd_port, host, report)
    if save is not None:
        save()  # (nothing is left to save: every change was saved as it happened)
    app.note(t("emulator.stopped"))


@command.command("init-state")
@click.argument("path")
@click.pass_obj
def init_state(app: AppContext, path: str) -> None:
    from apdu.outfile import check

    from ...emulator import CardState, save_state

    check(path, streams=False, overwrite=app.options.overwrite)  # before the work
    save_state(CardState(), path)
    app.note(t("emulator.written", path=str(path)))
