"""Messages in Japanese and English, read with the standard :mod:`gettext`.

The catalogues are ``locale/<lang>/LC_MESSAGES/jpkitool.po``, compiled to ``.mo``
by the build (``hatch_build.py``). A message's msgid is a dotted key
(``state.locked``); both catalogues hold every key. ``ja.po`` also translates
click's own words ("Usage:", "Options", its errors), which click looks up with
:func:`gettext.gettext`; :func:`use_for_click` points that at our catalogue.

Only the CLI chooses and reads the current language.
"""

from __future__ import annotations

import gettext
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

DOMAIN = "jpkitool"
LOCALEDIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("ja", "en")
#: The environment variables gettext reads, in POSIX order (the first set one wins).
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_current = "en"


class MissingMessage(LookupError):
    """A key in neither catalogue: a bug (tests check every key), never printed as is."""


class MissingCatalogue(RuntimeError):
    """The compiled ``.mo`` files are absent: jpkitool was not built or installed."""


class _Strict(gettext.NullTranslations):
    """The last fallback: a key missing from English too is an error, not output."""

    def gettext(self, message: str) -> str:
        raise MissingMessage(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        raise MissingMessage(msgid1)


@cache
def translation(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang``; a key it lacks comes from English."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    try:
        catalogue = gettext.translation(DOMAIN, LOCALEDIR, languages=[lang])
    except FileNotFoundError:
        raise MissingCatalogue(
            f"jpkitool's message catalogues are not compiled in {LOCALEDIR}: reinstall "
            "jpkitool (pip install), or run 'python hatch_build.py' in a source checkout"
        ) from None
    catalogue.add_fallback(translation("en") if lang != "en" else _Strict())
    return catalogue


def _language_of(value: str) -> str | None:
    """``ja`` of ``ja_JP.UTF-8``; ``en`` for ``C``/``POSIX``; None when we lack it."""
    code = re.split(r"[._@-]", value)[0].lower()
    if code in ("c", "posix"):
        return "en"
    return code if code in LANGUAGES else None


def detect_language(
    env: Mapping[str, str] | None = None,
    system: Callable[[], str | None] | None = None,
) -> str:
    """The user's language, as gettext chooses it: the first of ``LANGUAGE``,
    ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set decides (``LANGUAGE`` may list
    several, ``ja:en``). When none is set, the system's UI language (Windows,
    macOS). English when nothing names a language we have."""
    env = os.environ if env is None else env
    value = next((env[var] for var in LOCALE_VARIABLES if env.get(var)), "")
    if value:
        return next(filter(None, map(_language_of, value.split(":"))), "en")
    ui = (system or system_ui_language)()
    return _language_of(ui or "") or "en"


def first_apple_language(out: str) -> str | None:
    """The first tag of ``defaults read -g AppleLanguages`` (a property list array,
    ``("ja-JP", "en-US")``), or None when it names none."""
    for item in out.strip().removeprefix("(").removesuffix(")").split(","):
        tag = item.strip().strip('"').strip()
        if tag and all(part.isascii() and part.isalnum() for part in tag.split("-")):
            return tag
    return None


def system_ui_language() -> str | None:
    """The desktop's language where the environment does not carry it (Windows, macOS)."""
    if sys.platform not in ("win32", "darwin"):
        return None
    import subprocess  # here: every command imports this module

    try:
        if sys.platform == "win32":
            import ctypes

            langid = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
            return "ja" if langid & 0x3FF == 0x11 else "en"  # LANG_JAPANESE
        out = subprocess.run(
            ["defaults", "read", "-g", "AppleLanguages"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        ).stdout
        return first_apple_language(out)
    except (OSError, subprocess.SubprocessError, AttributeError, ValueError):
        return None


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    _current = lang


def get_language() -> str:
    return _current


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The message ``key`` in the current (or given) language, formatted with ``values``."""
    text = translation(lang or _current).gettext(key)
    return text.format(**values) if values else text


def tn(key: str, count: int, lang: str | None = None, **values: object) -> str:
    """The form of ``key`` for ``count`` (``ngettext``), formatted with ``values``."""
    return translation(lang or _current).ngettext(key, key, count).format(**values)


def has(key: str) -> bool:
    """Whether ``key`` is a message (for optional ones: a status word's text)."""
    try:
        translation("en").gettext(key)
    except MissingMessage:
        return False
    return True


@contextmanager
def use_for_click(lang: str) -> Iterator[None]:
    """While inside, click's own :func:`gettext.gettext` lookups use our catalogue in
    ``lang`` (click reads the domain and ``LANGUAGE`` at every lookup). Restored after."""
    translation(lang)  # fail early and clearly when the catalogues are missing
    saved = gettext.textdomain(), os.environ.get("LANGUAGE")
    gettext.bindtextdomain(DOMAIN, str(LOCALEDIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = lang
    try:
        yield
    finally:
        gettext.textdomain(saved[0])
        if saved[1] is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = saved[1]
