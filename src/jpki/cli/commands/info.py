"""``jpkitool info``: token kind, applications, sign certificate, card expiry (no PIN)."""

from __future__ import annotations

import datetime as dt

import click

from ...expiry import MAX_WARN_DAYS, WARN_DAYS, ExpiryState, end_of_day_jst, expiry_state
from ...i18n import get_language, t, tn
from ...info import CardInfo, read_info
from ...jst import days_left, jst_text
from ..context import AppContext
from ..failures import Exit, finish

#: ``info``'s and ``expiry``'s ``--warn-days``.
warn_days_option = click.option(
    "--warn-days", type=click.IntRange(0, MAX_WARN_DAYS), default=WARN_DAYS, show_default=True
)

#: The exit status of an expiry state (``info``, ``expiry``).
STATE_EXIT = {
    ExpiryState.OK: Exit.OK,
    ExpiryState.UNKNOWN: Exit.OK,
    ExpiryState.EXPIRING: Exit.EXPIRING,
    ExpiryState.EXPIRED: Exit.EXPIRED,
}


def status_of(info: CardInfo, now: dt.datetime, warn_days: int) -> Exit:
    """The worse of the card's and the auth certificate's expiry (library decision)."""
    card_end = end_of_day_jst(info.card_expiry) if info.card_expiry else None
    states = (expiry_state(when, now, warn_days) for when in (card_end, info.auth_not_after))
    return max(STATE_EXIT[state] for state in states)


def app_name(ja: str, en: str) -> str:
    return ja if get_language() == "ja" else f"{en} ({ja})"


def render_text(info: CardInfo, now: dt.datetime, status: Exit) -> list[str]:
    lines = [
        t("info.reader", reader=info.reader),
        t("info.token", token=t(f"token.{info.token.value}")),
        t("info.applications"),
    ]
    for a in info.applications:
        mark = t("info.present") if a.present else t("info.absent", sw=f"{a.sw:04X}")
        lines.append(f"  {app_name(a.app.name_ja, a.app.name_en)}: {mark}")
    sign = {True: "info.sign_yes", False: "info.sign_no", None: "info.sign_unknown"}
    lines.append(t(sign[info.sign_certificate]))
    if info.card_expiry is None:
        lines.append(t("info.expiry_unknown"))
    else:
        days = days_left(end_of_day_jst(info.card_expiry), now)
        key = "info.expiry_past" if days < 0 else "info.expiry"
        lines.append(tn(key, abs(days), date=info.card_expiry.isoformat(), days=abs(days)))
    if info.auth_not_after is None:
        lines.append(t("info.auth_expiry_unknown"))
    else:
        end = jst_text(info.auth_not_after)
        days = days_left(info.auth_not_after, now)
        key = "info.auth_expired" if days < 0 else "info.auth_expiry"
        lines.append(tn(key, abs(days), when=end, days=abs(days)))
    if status is Exit.EXPIRED:
        lines.append(t("info.expired"))
    elif status is Exit.EXPIRING:
        lines.append(t("info.expiring"))
    return lines


@click.command("info")
@warn_days_option
@click.pass_obj
def command(app: AppContext, warn_days: int) -> None:
    with app.card() as card:
        info = read_info(card)
    now = app.now()
    status = status_of(info, now, warn_days)
    app.show(info.to_dict(), lambda: render_text(info, now, status))
    finish(status)
