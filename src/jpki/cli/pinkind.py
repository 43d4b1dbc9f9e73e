"""The PIN-kind argument of ``retries``, ``verify-pin`` and ``change-pin``."""

from __future__ import annotations

from typing import Any

import click

from .. import profile
from ..i18n import t

#: ``sign|auth|juki|cardinfo`` and ``1``-``4``, as the metavar lists them.
KIND_CHOICES = list(profile.USER_PIN_NAMES)
#: ①-④, taken for the numbers they stand for.
CIRCLED_KINDS = {mark: str(no) for no, mark in profile.CIRCLED.items()}


class PinKind(click.ParamType):  # type: ignore[type-arg]  # generic since click 8.2
    """A PIN kind (``①``-``④`` become ``1``-``4``). A value that is not one is never
    repeated in the error: it may be a PIN typed on the command line by mistake."""

    name = "kind"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(KIND_CHOICES) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).lower()
        text = CIRCLED_KINDS.get(text, text)
        if text in KIND_CHOICES:
            return text
        self.fail(t("usage.not_a_kind"), param, ctx)
