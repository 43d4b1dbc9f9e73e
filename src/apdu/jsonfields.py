"""Checking the fields of a JSON document a user gives.

Each check takes the value and ``where`` (the field's dotted path, for errors) and
gives the value read, or raises an :class:`apdu.jsonfile.FileFault` naming the field
and one of :data:`apdu.jsonfile.PROBLEMS`. The factories (:func:`in_range`,
:func:`like`, :func:`choice`) make a check from a field's bounds.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from .jsonfile import FileFault, type_fault

#: A check: ``(value, where) -> value read``.
Check = Callable[[Any, str], Any]


def typed(value: Any, where: str, wanted: type) -> Any:
    """``value`` if it is a ``wanted`` (``dict``, ``list``, ``str``, ``bool``)."""
    if not isinstance(value, wanted):
        raise type_fault(where, wanted)
    return value


def in_range(low: float, high: float, whole: bool = True) -> Check:
    """A whole number (or, ``whole`` False, any finite one) from ``low`` to ``high``."""

    def check(value: Any, where: str) -> Any:
        integer = isinstance(value, int) and not isinstance(value, bool)
        real = not whole and isinstance(value, float) and math.isfinite(value)
        if (integer or real) and low <= value <= high:
            return value if whole else float(value)
        raise FileFault(where, "whole" if whole else "number", low=low, high=high)

    return check


def like(pattern: str, example: str, read: Callable[[str], Any] = str, hex_: bool = False) -> Check:
    """A string matching ``pattern`` (``hex_``: spaces and colons dropped, upper case),
    given to ``read`` (a ValueError of it: a ``like`` fault, showing ``example``)."""

    def check(value: Any, where: str) -> Any:
        given = typed(value, where, str)
        given = re.sub(r"[\s:]", "", given).upper() if hex_ else given
        with contextlib.suppress(ValueError):
            if re.fullmatch(pattern, given):
                return read(given)
        raise FileFault(where, "like", example=example)

    return check


def choice(values: Iterable[Any]) -> Check:
    """One of ``values`` (``true`` is not ``1``)."""
    allowed = tuple(values)

    def check(value: Any, where: str) -> Any:
        if isinstance(value, bool) or value not in allowed:
            raise FileFault(where, "choice", choices=allowed)
        return value

    return check
