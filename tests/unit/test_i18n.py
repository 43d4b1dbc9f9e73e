"""Message catalogues: both languages complete, placeholders consistent, locale detection."""

import pytest

from jpki.i18n import catalogue, detect_language, placeholders, t


def test_catalogues_have_the_same_keys() -> None:
    assert set(catalogue("en")) == set(catalogue("ja"))


@pytest.mark.parametrize("key", sorted(catalogue("en")))
def test_placeholders_match(key: str) -> None:
    assert placeholders(catalogue("en")[key]) == placeholders(catalogue("ja")[key])


def test_japanese_catalogue_is_japanese() -> None:
    assert "暗証番号" in t("pin.auth.name", lang="ja")
    assert t("state.locked", lang="ja") == "ロック中"
    assert t("state.locked", lang="en") == "LOCKED"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ja_JP", "LANG": "C"}, "ja"),
        ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "ja"}, "ja"),
        ({}, "en"),
    ],
)
def test_detect_language(env: dict[str, str], expected: str) -> None:
    assert detect_language(env) == expected


def test_status_word_texts_are_keyed_by_four_hex_digits() -> None:
    words = [k.removeprefix("sw.") for k in catalogue("en") if k.startswith("sw.")]
    assert "6A82" in words and "6984" in words
    assert all(len(w) == 4 and int(w, 16) >= 0 for w in words)
