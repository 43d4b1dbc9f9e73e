"""The PIN-name argument of ``retries``, ``verify-pin`` and ``change-pin``."""

from __future__ import annotations

from typing import Any

import click

from .. import profile
from ..i18n import t

#: ``sign|auth|juki|cardinfo`` and ``1``-``4``, as the metavar lists them (①-④ too
#: are taken: :data:`jpki.profile.USER_PIN_NAMES`).
PIN_NAMES = [name for name in profile.USER_PIN_NAMES if name.isascii()]


class PinNameType(click.ParamType):  # type: ignore[type-arg]  # generic since click 8.2
    """A PIN's name, converted to its id. A value that is not one is never repeated in
    the error: it may be a PIN typed on the command line by mistake."""

    name = "pin"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(PIN_NAMES) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        pin = profile.USER_PIN_NAMES.get(str(value).lower())
        if pin is not None:
            return pin.id
        self.fail(t("usage.not_a_kind"), param, ctx)
