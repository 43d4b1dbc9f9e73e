"""Option value types of our own (click's lack a check we need)."""

from __future__ import annotations

import math

import click

from ..i18n import t

#: The longest --wait: an hour. Longer is a mistake (1e20), not a plan.
MAX_WAIT = 3600.0


class Seconds(click.ParamType):  # type: ignore[type-arg]
    """A finite number of seconds from ``minimum`` to ``MAX_WAIT`` (click's FloatRange
    lets ``nan`` through, and ``inf`` would wait forever)."""

    name = "seconds"

    def __init__(self, minimum: float = 0.0) -> None:
        self.minimum = minimum

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            seconds = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            seconds = math.nan
        if not math.isfinite(seconds) or not self.minimum <= seconds <= MAX_WAIT:
            shown = {"min": f"{self.minimum:g}", "max": f"{MAX_WAIT:g}"}
            self.fail(t("usage.seconds", **shown), param, ctx)  # never the value
        return seconds
