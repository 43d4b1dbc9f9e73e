"""``jpkitool retries [PINS]...``: the remaining tries of every PIN (or of the PINs
named), without spending one."""

from __future__ import annotations

import click

from ...i18n import t
from ...retries import RetriesReport, read_retries
from ...words.guidance import advice
from ...words.retries import card_line, count_cell, keys_differ_line, pin_label, state_text
from .. import prefetch
from ..context import AppContext
from ..failures import Exit, finish
from ..pinname import PinNameType
from ..table import render


def render_text(report: RetriesReport) -> list[str]:
    lines = [card_line(report)]
    header = [t("retries.col.pin"), t("retries.col.remaining"), t("retries.col.state")]
    rows = [[pin_label(p), count_cell(p), state_text(p)] for p in report.pins]
    lines += render(header, rows)
    lines += [line for p in report.pins if (line := keys_differ_line(p)) is not None]
    advice_lines = advice(report)
    if advice_lines:
        lines.append("")
        lines += advice_lines
    return lines


@click.command("retries")
@click.argument("pins", nargs=-1, type=PinNameType(), metavar="[PINS]...")
@click.pass_obj
def command(app: AppContext, pins: tuple[str, ...]) -> None:
    report = prefetch.take(app.session_spec(), pins)
    if report is None:
        with app.card() as card:
            # Named PINs: those alone, without the 照合番号; none named: every counter.
            report = read_retries(card, pins) if pins else read_retries(card)
    app.show(report.to_dict(), lambda: render_text(report))
    finish(Exit.LOCKED if report.any_locked else Exit.OK)
