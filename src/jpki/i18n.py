"""Message catalogues in Japanese and English.

Every user-facing sentence lives in ``locale/<lang>.toml`` under a dotted key;
code asks for it with :func:`t`. Both catalogues must hold the same keys with the
same placeholders (a test checks).
"""

from __future__ import annotations

import os
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("ja", "en")
_current = "en"


def detect_language(env: Mapping[str, str] | None = None) -> str:
    """``ja`` when the POSIX locale (LC_ALL, then LC_MESSAGES, then LANG) starts with ``ja``."""
    env = os.environ if env is None else env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    _current = lang


def get_language() -> str:
    return _current


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, by dotted key."""
    text = resources.files("jpki").joinpath("locale", f"{lang}.toml").read_text("utf-8")
    return _flatten(tomllib.loads(text))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The message ``key`` in the current (or given) language, formatted with ``values``."""
    lang = lang or _current
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue("en").get(key, key)
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in catalogue("en")
