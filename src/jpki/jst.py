"""Time as the card and its users count it: Japan Standard Time, calendar days in
Japan, and times in JSON as ISO 8601 UTC. Standard library only, so that any module
may use it without loading the certificate libraries."""

from __future__ import annotations

import datetime

_JST_OFFSET = datetime.timedelta(hours=9)
JST = datetime.timezone(_JST_OFFSET)
_DAY = datetime.timedelta(days=1)


def _aware(value: datetime.datetime, name: str) -> datetime.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def jst_ordinal(when: datetime.datetime) -> int:
    """The proleptic Gregorian ordinal (:meth:`datetime.date.toordinal`) of ``when``'s
    calendar day in Japan. Exact for every aware datetime, also where the JST date
    itself is not representable: from 9999-12-31T15:00Z on, JST is in year 10000, and a
    certificate may say 99991231235959Z (RFC 5280: no well-defined expiration date)."""
    offset = _aware(when, "when").utcoffset()
    assert offset is not None
    naive = when.replace(tzinfo=None)
    since_midnight = naive - datetime.datetime.combine(naive.date(), datetime.time())
    return naive.toordinal() + (since_midnight - offset + _JST_OFFSET) // _DAY


def days_left(not_after: datetime.datetime, now: datetime.datetime) -> int:
    """Calendar days in Japan (JST) from ``now``'s date to ``not_after``'s date.

    Negative once expired. J-LIS certificates end 23:59:59 JST (14:59:59Z): on that
    JST day the result is 0 and the certificate is still valid until the second
    passes. Both datetimes must be timezone-aware (``ValueError`` otherwise); any
    representable ones will do (no overflow near year 1 or 9999).
    """
    end = jst_ordinal(_aware(not_after, "not_after"))
    return end - jst_ordinal(_aware(now, "now"))


def jst_text(when: datetime.datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` of ``when`` in Japan, also in year 10000 (see
    :func:`jst_ordinal`), where :meth:`datetime.datetime.astimezone` overflows."""
    ordinal = jst_ordinal(when)
    utc = _aware(when, "when").astimezone(datetime.UTC)
    seconds = (utc.hour * 3600 + utc.minute * 60 + utc.second + 9 * 3600) % 86400
    if ordinal > datetime.date.max.toordinal():
        day = "10000-01-01"  # the only JST day past date.max a UTC datetime reaches
    else:
        day = datetime.date.fromordinal(ordinal).isoformat()
    hours, rest = divmod(seconds, 3600)
    return f"{day} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def iso_utc(when: datetime.datetime | None) -> str | None:
    """ISO 8601 in UTC, whole seconds, with a ``Z`` suffix (the JSON form of every
    time: ``2029-04-10T14:59:59Z``), or ``None``. A fraction of a second is cut off."""
    if when is None:
        return None
    utc = when.astimezone(datetime.UTC).replace(microsecond=0)
    return utc.isoformat().replace("+00:00", "Z")
