"""Time as the card and its users count it: Japan Standard Time, calendar days in
Japan, and times in JSON as ISO 8601 UTC. Standard library only, so that any module
may use it without loading the certificate libraries."""

from __future__ import annotations

import datetime

JST = datetime.timezone(datetime.timedelta(hours=9))


def _aware(value: datetime.datetime, name: str) -> datetime.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def days_left(not_after: datetime.datetime, now: datetime.datetime) -> int:
    """Calendar days in Japan (JST) from ``now``'s date to ``not_after``'s date.

    Negative once expired. J-LIS certificates end 23:59:59 JST (14:59:59Z): on that
    JST day the result is 0 and the certificate is still valid until the second
    passes. Both datetimes must be timezone-aware (``ValueError`` otherwise).
    """
    end = _aware(not_after, "not_after").astimezone(JST).date()
    today = _aware(now, "now").astimezone(JST).date()
    return (end - today).days


def iso_utc(when: datetime.datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix (the JSON form of every time), or ``None``."""
    if when is None:
        return None
    return when.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
