"""Message catalogues: gettext .po/.mo, both languages complete, plurals, click in
Japanese, locale detection."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from catalogues import LOCALE, build_hook, catalogue, is_clicks, placeholders, po
from cli_runner import jpkitool_inprocess as run
from jpki import profile
from jpki.cli.help import help_keys, walk
from jpki.cli.main import cli
from jpki.i18n import (
    MissingMessage,
    detect_language,
    has,
    t,
    tn,
    translation,
    use_for_click,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "jpki"


def test_catalogues_have_the_same_keys() -> None:
    assert len(catalogue("en")) > 300
    assert set(catalogue("en")) == set(catalogue("ja"))


def test_every_message_is_translated() -> None:
    for lang in ("en", "ja"):
        empty = [key for key, forms in catalogue(lang).items() if not all(forms)]
        assert empty == [], lang


@pytest.mark.parametrize("key", sorted(catalogue("en")))
def test_placeholders_match(key: str) -> None:
    forms = [*catalogue("en")[key], *catalogue("ja")[key]]
    assert all(placeholders(form) == placeholders(forms[0]) for form in forms)


def test_plural_forms_follow_each_language() -> None:
    assert po("en").num_plurals == 2 and po("ja").num_plurals == 1
    plural = [key for key, forms in catalogue("en").items() if len(forms) == 2]
    assert "cert.days_left" in plural and "sw.63Cx" in plural
    assert all(len(catalogue("ja")[key]) == 1 for key in plural)


@pytest.mark.parametrize(
    ("count", "left", "ago"),
    [
        (0, "0 days left", "0 days ago"),
        (1, "1 day left", "1 day ago"),
        (2, "2 days left", "2 days ago"),
        (2519, "2,519 days left", "2,519 days ago"),
    ],
)
def test_english_days_agree_with_their_count(count: int, left: str, ago: str) -> None:
    assert tn("cert.days_left", count, "en", days=count) == left
    assert tn("cert.days_ago", count, "en", days=count) == ago


def test_a_negative_day_count_is_never_printed() -> None:
    from jpki.i18n import set_language
    from jpki.words.expiry import days_text

    set_language("en")
    try:
        assert days_text(-2519) == "2,519 days ago"
        assert days_text(-1) == "1 day ago"
        assert days_text(0) == "0 days left"
    finally:
        set_language("en")


@pytest.mark.parametrize(("sw", "text"), [(0x63C1, "1 try left"), (0x63C2, "2 tries left")])
def test_status_word_tries_agree_with_their_count(sw: int, text: str) -> None:
    from jpki.i18n import set_language
    from jpki.words.errors import sw_text

    set_language("en")
    assert sw_text(sw).endswith(text)
    set_language("ja")
    try:
        assert sw_text(sw).endswith(f"残り {sw & 0xF} 回")
    finally:
        set_language("en")


def test_a_missing_message_is_an_error_never_its_key() -> None:
    for lang in ("en", "ja"):
        with pytest.raises(MissingMessage):
            t("no.such.message", lang)
        with pytest.raises(MissingMessage):
            tn("no.such.message", 2, lang)
    assert not has("no.such.message") and has("state.locked")


def test_japanese_catalogue_is_japanese() -> None:
    assert "暗証番号" in t("pin.auth.name", lang="ja")
    assert t("state.locked", lang="ja") == "ロック中"
    assert t("state.locked", lang="en") == "LOCKED"


def test_the_compiled_catalogues_are_those_of_the_po_files() -> None:
    """The build compiles .po to .mo; a stale .mo means 'python hatch_build.py'."""
    hook = build_hook()
    for lang in ("en", "ja"):
        po_file = LOCALE / lang / "LC_MESSAGES" / "jpkitool.po"
        mo_file = po_file.with_suffix(".mo")
        assert mo_file.exists(), "run: python hatch_build.py (or reinstall jpkitool)"
        assert mo_file.read_bytes() == hook.compiled(po_file), "stale: python hatch_build.py"
    assert translation("ja").gettext("Usage:") == "使い方:"


# -- every key the code names exists ----------------------------------------------

SECTIONS = {key.split(".", 1)[0] for key in catalogue("en")}


def _literal_keys() -> set[str]:
    """String constants in the code that look like catalogue keys (section.name...)."""
    found = set()
    pattern = re.compile(r"^[a-z][a-z0-9_-]*(\.[A-Za-z0-9_-]+)+$")
    for path in SRC.rglob("*.py"):
        if "emulator" in path.parts or "testing" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if pattern.match(text) and text.split(".", 1)[0] in SECTIONS:
                    found.add(text)
    return found


def test_every_key_written_in_the_code_is_in_both_catalogues() -> None:
    keys = _literal_keys()
    assert len(keys) > 100
    missing = {k for k in keys if k not in catalogue("en")}
    assert missing == set()


def test_every_key_built_from_the_profile_is_in_both_catalogues() -> None:
    from jpki.info import Token

    keys = [f"pin.{pin.id}.{part}" for pin in profile.PINS for part in ("name", "short")]
    keys += [f"token.{token.value}" for token in Token]
    keys += [key for path, command in walk(cli) for key, _ in help_keys(path, command)]
    for lang in ("en", "ja"):
        assert [key for key in keys if key not in catalogue(lang)] == [], lang


def test_status_word_texts_are_keyed_by_four_hex_digits() -> None:
    words = [k.removeprefix("sw.") for k in catalogue("en") if k.startswith("sw.")]
    assert "6A82" in words and "6984" in words
    assert all(w == "63Cx" or (len(w) == 4 and int(w, 16) >= 0) for w in words)


# -- click's own words ---------------------------------------------------------------


def test_clicks_words_are_translated_in_japanese_only() -> None:
    clicks = [m for m in po("ja") if m.id and is_clicks(m)]
    assert len(clicks) > 40 and all(m.string for m in clicks)
    assert not any(is_clicks(m) for m in po("en"))


def test_japanese_help_has_no_english_word_of_clicks() -> None:
    for args in (["--help"], ["retries", "--help"], ["cert", "--help"], ["change-pin", "-h"]):
        r = run("--lang", "ja", *args)
        assert r.code == 0, r.err
        assert "使い方:" in r.out and "オプション" in r.out
        for word in ("Usage:", "Options", "Commands", "Show this message", "Show the version"):
            assert word not in r.out, (args, word)


def test_english_help_keeps_clicks_words() -> None:
    r = run("--lang", "en", "--help")
    assert "Usage:" in r.out and "Options" in r.out and "使い方" not in r.out


def test_clicks_usage_errors_come_out_in_japanese() -> None:
    r = run("--lang", "ja", "retries", "--bogus")
    assert r.code == 2 and "'--bogus' というオプションはありません" in r.err
    r = run("--lang", "ja", "--wait", "abc", "retries")
    assert r.code == 2 and "の値が正しくありません" in r.err
    r = run("--lang", "en", "retries", "--bogus")
    assert r.code == 2 and "No such option" in r.err


def test_clicks_lookup_is_restored_after_a_run() -> None:
    import gettext

    before = os.environ.get("LANGUAGE"), gettext.textdomain()
    with use_for_click("ja"):
        assert gettext.gettext("Usage:") == "使い方:"
    assert (os.environ.get("LANGUAGE"), gettext.textdomain()) == before
    run("--lang", "ja", "--help")
    assert (os.environ.get("LANGUAGE"), gettext.textdomain()) == before


# -- which language --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ja_JP", "LANG": "C"}, "ja"),
        ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "ja"}, "ja"),
        ({"LANGUAGE": "ja", "LC_ALL": "en_US.UTF-8"}, "ja"),
        ({"LANGUAGE": "en", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LANGUAGE": "fr:ja:en", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LANGUAGE": "fr", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LANG": "ja_JP.eucJP@x"}, "ja"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_detect_language(env: dict[str, str], expected: str) -> None:
    assert detect_language(env, system=lambda: None) == expected


@pytest.mark.parametrize(("ui", "expected"), [("ja-JP", "ja"), ("ja", "ja"), ("en-US", "en"),
                                              ("de", "en"), (None, "en")])  # fmt: skip
def test_without_locale_variables_the_desktop_language_decides(
    ui: str | None, expected: str
) -> None:
    assert detect_language({}, system=lambda: ui) == expected
    assert detect_language({"LANG": "en_US.UTF-8"}, system=lambda: "ja") == "en"


def test_lang_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "ja")
    r = run("--lang", "en", "--emulator", "retries")
    assert r.code == 0 and "Tries left" in r.out


def test_help_texts_are_written_once_in_the_catalogues() -> None:
    """No ``help=`` in a decorator and no docstring for click to take as help: the
    catalogues' ``help.*`` entries are the only copy."""
    twice = []
    for path in (SRC / "cli").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and any(k.arg == "help" for k in node.keywords):
                twice.append(f"{path.name}:{node.lineno}")
    assert twice == []
    for _, command in walk(cli):
        doc = command.callback.__doc__ if command.callback else None
        assert doc is None or "catalogues" in doc, command.name
