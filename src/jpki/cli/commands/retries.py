"""``jpkitool retries [PINS]...``: the remaining tries of every PIN (or of the PINs
named), without spending one."""

from __future__ import annotations

import click

from ... import profile
from ...i18n import t, tn
from ...keystatus import KeyState
from ...retries import PinStatus, RetriesReport, read_retries
from .. import prefetch
from ..advice import advice
from ..context import AppContext
from ..failures import Exit, finish, sw_text
from ..pinname import PinNameType
from ..table import render


def pin_label(status: PinStatus) -> str:
    no = status.pin.no
    mark = profile.CIRCLED[no] if no else "  "
    return f"{mark} {t(f'pin.{status.id}.name')}"


def state_text(status: PinStatus) -> str:
    note = next((k.note for k in status.keys if k.note), None)
    if status.state is KeyState.UNKNOWN:
        text = t("state.unknown", sw=f"{status.sw:04X}", desc=sw_text(status.sw))
    else:
        text = t(f"state.{status.state.value}")
    return text + " " + t(f"note.{note}") if note else text


def pin_count_cell(status: PinStatus) -> str:
    if status.remaining is None:
        return "-"
    top = status.max_tries if status.max_tries is not None else "?"
    return f"{status.remaining}/{top}"


def render_text(report: RetriesReport) -> list[str]:
    lines = [t("retries.title", reader=report.reader, token=t(f"token.{report.token.value}"))]
    header = [t("retries.col.pin"), t("retries.col.remaining"), t("retries.col.state")]
    rows = [[pin_label(p), pin_count_cell(p), state_text(p)] for p in report.pins]
    lines += render(header, rows)
    for p in report.pins:
        if p.keys_differ:
            left = {k.key.id: k.remaining for k in p.keys}
            common = left[profile.COMMON_SLOT.id]
            lines.append(
                tn(
                    "retries.keys_differ",
                    common if common is not None else 2,
                    common=key_count_cell(common),
                    juki=key_count_cell(left[profile.JUKI_SLOT.id]),
                )
            )
    advice_lines = advice(report)
    if advice_lines:
        lines.append("")
        lines += advice_lines
    return lines


def key_count_cell(remaining: int | None) -> str:
    return "?" if remaining is None else str(remaining)


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
