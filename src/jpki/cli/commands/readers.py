"""``jpkitool readers``: every reader, its card, and whether it is a My Number card."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import click

from apdu import TransportError

from ... import connect
from ...i18n import t
from ...profile import Token
from ..context import AppContext
from ..failures import classify
from ..table import render
from ..wrap import output_width


@dataclass(frozen=True)
class ReaderReport:
    index: int
    name: str
    card_present: bool
    atr: bytes
    my_number: bool | None
    token: Token | None
    error: str | None = None


def scan(timeout: float | None = None) -> list[ReaderReport]:
    from apdu import pcsc

    out = []
    for state in pcsc.reader_states():
        report = ReaderReport(state.index, state.name, state.card_present, state.atr, None, None)
        if state.card_present:  # (its ATR is empty otherwise)
            try:
                found = connect.probe_reader(state.name, token=True, timeout=timeout)
                report = replace(report, my_number=found.my_number, token=found.token)
            except TransportError as exc:
                report = replace(report, error=classify(exc).code)
        out.append(report)
    return out


def yes_no(value: bool | None) -> str:
    return t("common.unknown") if value is None else t("common.yes" if value else "common.no")


@click.command("readers")
@click.pass_obj
def command(app: AppContext) -> None:
    if app.options.emulator or app.options.replay:
        with app.transport() as transport:
            found = connect.probe(transport, token=True)
            reports = [
                ReaderReport(0, transport.name, True, transport.atr, found.my_number, found.token)
            ]
    else:
        reports = scan(app.options.timeout)
    app.show({"readers": [_json(r) for r in reports]}, lambda: render_text(reports))


def render_text(reports: list[ReaderReport]) -> list[str]:
    if not reports:
        return [t("readers.none")]
    columns = ("name", "card", "my_number", "token")
    header = ["#", *(t(f"readers.col.{column}") for column in columns), "ATR"]
    rows = [
        [
            str(r.index),
            r.name,
            yes_no(r.card_present),
            yes_no(r.my_number) if r.card_present else "-",
            t(f"token.{r.token.value}") if r.token else "-",
            r.atr.hex(" ").upper() if r.atr else "-",
        ]
        for r in reports
    ]
    return render(header, rows, limit=output_width())


def _json(r: ReaderReport) -> dict[str, Any]:
    atr = r.atr.hex().upper() if r.atr else None
    return {**asdict(r), "atr": atr, "token": r.token.value if r.token else None}
