"""``jpkitool emulator``: serve the virtual card to pcscd, or write a state file."""

from __future__ import annotations

from pathlib import Path

import click

from ...i18n import t
from ..context import AppContext
from ..failures import UsageFailure


@click.group("emulator")
def command() -> None:
    """A group: its help is in the catalogues (``help.command.*``)."""


@command.command("serve")
@click.option(
    "--vpcd-port",
    type=click.IntRange(1, 65535),
    default=0x8C7B,
    show_default=True,
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.pass_obj
def serve(app: AppContext, vpcd_port: int, host: str, state_path: Path | None) -> None:
    from ...emulator import CardState, VirtualCard
    from ...emulator.vpcd import serve as serve_vpcd
    from ...session import state_file

    # Saved only if the card changed: a partial file nothing touched stays as written.
    state, save = state_file(state_path) if state_path else (CardState.default(), None)
    card = VirtualCard(state)

    def report(event: str) -> None:
        # Only once connected is the card served; until then, and after pcscd went
        # away, the bridge retries and says so once.
        key = "emulator.serving" if event == "connected" else "emulator.waiting"
        app.note(t(key, host=host, port=vpcd_port))

    try:
        serve_vpcd(card, vpcd_port, host, report)
    finally:
        if save is not None:
            save()
    app.note(t("emulator.stopped"))


@command.command("init-state")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True)
@click.pass_obj
def init_state(app: AppContext, path: Path, force: bool) -> None:
    from ...emulator import CardState, save_state

    if path.exists() and not force:
        raise UsageFailure("emulator.exists", path=str(path))
    save_state(CardState.default(), path)
    app.note(t("emulator.written", path=str(path)))
