"""The message catalogues as the tests read them: the ``.po`` sources, through Babel."""

from __future__ import annotations

import importlib.util
import string
from functools import cache
from pathlib import Path
from types import ModuleType

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "jpki" / "locale"
CLICK_NOTE = "click's own message (click looks it up with gettext)"


@cache
def po(lang: str) -> Catalog:
    with (LOCALE / lang / "LC_MESSAGES" / "jpkitool.po").open("rb") as f:
        return read_po(f)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def is_clicks(message: object) -> bool:
    return CLICK_NOTE in getattr(message, "auto_comments", ())


@cache
def catalogue(lang: str) -> dict[str, tuple[str, ...]]:
    """Our messages of one language (not click's): key -> its forms (one unless plural)."""
    out: dict[str, tuple[str, ...]] = {}
    for message in po(lang):
        if not message.id or is_clicks(message):
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        out[key] = tuple(forms)
    return out


def build_hook() -> ModuleType:
    """``hatch_build.py``, the build step that compiles the catalogues."""
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
