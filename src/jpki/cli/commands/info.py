"""``jpkitool info``: token kind, applications, sign certificate, card expiry (no PIN)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ...i18n import get_language, t
from ...info import CardInfo, read_info
from ..context import AppContext
from ..exitcodes import Exit
from ..main_support import finish

#: Default warning window before the card's expiry, in days: time to book a visit
#: to the office (the renewal window itself is not in our sources).
WARN_DAYS = 90


def expiry_status(expiry: dt.date | None, today: dt.date, warn_days: int) -> Exit:
    if expiry is None:
        return Exit.OK
    if expiry < today:
        return Exit.EXPIRED
    if (expiry - today).days <= warn_days:
        return Exit.EXPIRING
    return Exit.OK


def app_name(app_id: str, ja: str, en: str) -> str:
    return ja if get_language() == "ja" else f"{en} ({ja})"


def render_text(info: CardInfo, today: dt.date, status: Exit) -> list[str]:
    lines = [
        t("info.reader", reader=info.reader),
        t("info.token", token=t(f"token.{info.token.value}")),
        t("info.applications"),
    ]
    for a in info.applications:
        mark = t("info.present") if a.present else t("info.absent", sw=f"{a.sw:04X}")
        lines.append(f"  {app_name(a.app.id, a.app.name_ja, a.app.name_en)}: {mark}")
    sign = {True: "info.sign_yes", False: "info.sign_no", None: "info.sign_unknown"}
    lines.append(t(sign[info.sign_certificate]))
    if info.card_expiry is None:
        lines.append(t("info.expiry_unknown"))
    else:
        days = (info.card_expiry - today).days
        lines.append(t("info.expiry", date=info.card_expiry.isoformat(), days=days))
        if status is Exit.EXPIRED:
            lines.append(t("info.expired"))
        elif status is Exit.EXPIRING:
            lines.append(t("info.expiring"))
    return lines


def to_json(info: CardInfo, today: dt.date) -> dict[str, Any]:
    expiry = info.card_expiry
    return {
        "reader": info.reader,
        "atr": info.atr.hex().upper(),
        "token": info.token.value,
        "applications": [
            {
                "id": a.app.id,
                "aid": a.app.aid.hex().upper(),
                "present": a.present,
                "sw": f"{a.sw:04X}",
            }
            for a in info.applications
        ],
        "sign_certificate": info.sign_certificate,
        "card_expiry": expiry.isoformat() if expiry else None,
        "days_left": (expiry - today).days if expiry else None,
    }


@click.command("info")
@click.option(
    "--warn-days",
    type=click.IntRange(min=0),
    default=WARN_DAYS,
    show_default=True,
    help="Exit 6 when the card expires within this many days.",
)
@click.pass_obj
def command(app: AppContext, warn_days: int) -> None:
    """Show the token kind, applications, sign certificate and card expiry (no PIN).

    Exit status 6 when the card expires within --warn-days, 7 when it has expired.
    """
    with app.card() as card:
        info = read_info(card)
    today = dt.date.today()
    status = expiry_status(info.card_expiry, today, warn_days)
    if app.options.json:
        app.emit_json(to_json(info, today))
    else:
        app.echo("\n".join(render_text(info, today, status)))
    finish(status)
