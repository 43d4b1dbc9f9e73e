"""Time zones the tests need and the standard library lacks."""

from __future__ import annotations

import datetime as dt


class NoOffset(dt.tzinfo):
    """A tzinfo that knows no offset: as good as naive."""

    def utcoffset(self, _when: dt.datetime | None) -> dt.timedelta | None:
        return None

    def dst(self, _when: dt.datetime | None) -> dt.timedelta | None:
        return None

    def tzname(self, _when: dt.datetime | None) -> str | None:
        return None
