"""Which language messages are in when no locale variable says: the desktop's, on
Windows and macOS (elsewhere none). The platform and its calls are faked, so these
run on any machine; and the library's lazily imported names resolve on first use.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
from typing import Any

import pytest

import jpki
from jpki import i18n


class Windll:
    def __init__(self, langid: int) -> None:
        self.kernel32 = self
        self.langid = langid

    def GetUserDefaultUILanguage(self) -> int:
        return self.langid


@pytest.mark.parametrize(
    ("langid", "lang"),
    [
        (0x0411, "ja"),  # ja-JP
        (0x0011, "ja"),  # LANG_JAPANESE, neutral
        (0x0409, "en"),  # en-US
        (0x0809, "en"),  # en-GB
        (0x0412, "en"),  # ko-KR: not a language we have
        (0x0410, "en"),  # it-IT: one off from Japanese
        (0x0012, "en"),
    ],
)
def test_windows_ui_language(monkeypatch: pytest.MonkeyPatch, langid: int, lang: str) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "windll", Windll(langid), raising=False)
    assert i18n.system_ui_language() == lang
    assert i18n.detect_language({}) == lang


def test_windows_without_the_call_is_no_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delattr(ctypes, "windll", raising=False)
    assert i18n.system_ui_language() is None
    assert i18n.detect_language({}) == "en"


class Defaults:
    """``subprocess.run`` as macOS's ``defaults`` answers it (or fails)."""

    def __init__(self, out: str = "", fail: BaseException | None = None) -> None:
        self.out, self.fail = out, fail
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def __call__(self, args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append((args, kwargs))
        if self.fail is not None:
            raise self.fail
        return subprocess.CompletedProcess(args, 0, stdout=self.out, stderr="")


MULTILINE = '(\n    "ja-JP",\n    "en-JP"\n)\n'


@pytest.mark.parametrize(
    ("out", "first"),
    [
        (MULTILINE, "ja-JP"),
        ('(\n    "en-US",\n    "ja-JP"\n)\n', "en-US"),
        ("(ja,en)", "ja"),
        ('("ja-JP","en")', "ja-JP"),
        ("", None),
        ("(\n)\n", None),
        ("()", None),
        ('(\n    "",\n    "en"\n)', "en"),
        ("(\n    zh-Hant-TW\n)", "zh-Hant-TW"),
        ('("(", ")")', None),
        ("(ja-JP; rm)", None),
    ],
)
def test_macos_first_preferred_language(
    monkeypatch: pytest.MonkeyPatch, out: str, first: str | None
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    fake = Defaults(out)
    monkeypatch.setattr(subprocess, "run", fake)
    assert i18n.system_ui_language() == first
    # read once, bounded in time, a non-zero exit not raised, text captured
    assert fake.calls == [
        (
            ["defaults", "read", "-g", "AppleLanguages"],
            {"capture_output": True, "text": True, "timeout": 2, "check": False},
        )
    ]


def test_macos_language_decides_when_no_variable_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(subprocess, "run", Defaults(MULTILINE))
    assert i18n.detect_language({}) == "ja"
    assert i18n.detect_language({"LANG": "C"}) == "en"
    # an empty list of preferred languages: English
    monkeypatch.setattr(subprocess, "run", Defaults("(\n)\n"))
    assert i18n.detect_language({}) == "en"


@pytest.mark.parametrize(
    "fail", [FileNotFoundError("defaults"), subprocess.TimeoutExpired("defaults", 2)]
)
def test_macos_without_an_answer_is_no_language(
    monkeypatch: pytest.MonkeyPatch, fail: BaseException
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(subprocess, "run", Defaults(fail=fail))
    assert i18n.system_ui_language() is None
    assert i18n.detect_language({}) == "en"


@pytest.mark.parametrize("platform", ["linux", "freebsd14", "cygwin"])
def test_other_systems_have_no_desktop_language(
    monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    fake = Defaults(MULTILINE)
    monkeypatch.setattr(subprocess, "run", fake)
    monkeypatch.setattr(ctypes, "windll", Windll(0x0411), raising=False)
    assert i18n.system_ui_language() is None
    assert fake.calls == []


def test_a_missing_message_names_its_key() -> None:
    with pytest.raises(i18n.MissingMessage) as caught:
        i18n.t("no.such.key")
    assert caught.value.args == ("no.such.key",)
    with pytest.raises(i18n.MissingMessage) as caught:
        i18n.tn("no.such.plural", 2)
    assert caught.value.args == ("no.such.plural",)


def test_plural_forms_follow_the_count() -> None:
    one = i18n.tn("sw.63Cx", 1, lang="en", n=1)
    two = i18n.tn("sw.63Cx", 2, lang="en", n=2)
    assert one != two and "1" in one and "2" in two


# -- the library's names, imported on first use ---------------------------------------------


def test_every_public_name_resolves_to_its_modules_object(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    for name, module in jpki._LAZY.items():
        monkeypatch.delitem(jpki.__dict__, name, raising=False)  # as on first use
        value = getattr(jpki, name)
        assert value is getattr(importlib.import_module(f"jpki.{module}"), name), name
        assert jpki.__dict__[name] is value  # kept: the next use costs nothing


def test_the_type_checkers_imports_name_the_lazy_table() -> None:
    """``jpki/__init__.py`` imports each public name under TYPE_CHECKING (as ``X as X``, an
    explicit re-export) from the module its lazy table names, and nothing else."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(jpki.__file__).read_text(encoding="utf-8"))
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    imported = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1, ast.unparse(node)
        for alias in node.names:
            assert alias.asname == alias.name, ast.unparse(node)
            imported[alias.name] = node.module
    assert imported == jpki._LAZY
    assert sorted(jpki.__all__) == sorted(["__version__", *jpki._LAZY])


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match=r"^module 'jpki' has no attribute 'nothing'$"):
        jpki.nothing  # type: ignore[attr-defined]  # noqa: B018


def test_dir_lists_the_lazy_names() -> None:
    names = dir(jpki)
    assert set(jpki.__all__) <= set(names)
    assert names == sorted(names)


def test_only_the_two_languages_can_be_chosen() -> None:
    before = i18n.get_language()
    with pytest.raises(ValueError, match=r"^unsupported language 'fr'$"):
        i18n.set_language("fr")
    assert i18n.get_language() == before


def test_lazy_names_import_on_first_use_and_keep_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The helper itself (``jpki`` made its own at import time)."""
    from jpki.lazy import lazy_names
    from jpki.retries import read_retries

    monkeypatch.delitem(jpki.__dict__, "read_retries", raising=False)
    getattr_, dir_ = lazy_names("jpki", {"read_retries": "retries"})
    assert getattr_("read_retries") is read_retries
    assert jpki.__dict__["read_retries"] is read_retries
    with pytest.raises(AttributeError, match=r"^module 'jpki' has no attribute 'info'$"):
        getattr_("info")
    names = dir_()
    assert "read_retries" in names and "__version__" in names and names == sorted(names)


def test_lazy_names_import_from_the_named_submodule() -> None:
    """A name only the helper's table holds comes from its submodule, not the package."""
    from jpki.keystatus import interpret_query
    from jpki.lazy import lazy_names

    assert "interpret_query" not in jpki._LAZY
    getattr_, _ = lazy_names("jpki", {"interpret_query": "keystatus"})
    try:
        assert getattr_("interpret_query") is interpret_query
    finally:
        jpki.__dict__.pop("interpret_query", None)
