"""When the card and its certificates expire (``jpkitool expiry``, the page).

The states, and so the thresholds, are the library's (:func:`jpki.expiry.expiry_state`);
these are their sentences.
"""

from __future__ import annotations

import datetime as dt

from ..expiry import ExpiryItem, ExpiryReport, ExpiryState
from ..i18n import t, tn
from ..jst import jst_text


def both_zones(when: dt.datetime) -> str:
    """``2029-04-10 23:59:59 JST (2029-04-10 14:59:59 UTC)``."""
    jst = jst_text(when)  # (astimezone overflows past 9999-12-31T15:00Z)
    utc = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{jst} JST ({utc} UTC)"


def days_text(left: int, lang: str | None = None) -> str:
    """``855 days left``, ``1 day ago``."""
    if left < 0:
        return tn("cert.days_ago", -left, lang, days=-left)
    return tn("cert.days_left", left, lang, days=left)


def item_line(item: ExpiryItem, lang: str | None = None) -> str:
    """One item: its end and days left in its state's words, or why there is none."""
    name = t(f"expiry.item.{item.id}", lang)
    if item.absent:
        return t("expiry.absent", lang, item=name)
    if item.not_after is None:
        if item.estimate is not None:
            return t("expiry.estimate", lang, item=name, date=item.estimate.isoformat())
        return t("expiry.unknown_auth" if item.id == "auth" else "expiry.unknown", lang, item=name)
    assert item.days_left is not None
    return t(
        f"expiry.state.{item.state.value}",
        lang,
        item=name,
        when=both_zones(item.not_after),
        days=days_text(item.days_left, lang),
    )


def advice(report: ExpiryReport, lang: str | None = None) -> str | None:
    """What to do when something has expired or expires within the warning window."""
    worst = report.worst
    if worst is ExpiryState.EXPIRED:
        return t("expiry.advice.expired", lang)
    if worst is ExpiryState.EXPIRING:
        return tn("expiry.advice.expiring", report.warn_days, lang, days=report.warn_days)
    return None
