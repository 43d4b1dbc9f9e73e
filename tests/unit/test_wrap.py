"""Wrapping by display width: Japanese help fits an 80-column terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cli_runner import jpkitool_inprocess as run
from jpki.cli.wrap import width, wrap_cells


def test_japanese_breaks_between_characters_within_the_width() -> None:
    text = "暗証番号を変更します。新しい暗証番号はカードに触れる前に確かめます。"
    lines = wrap_cells(text, 20).splitlines()
    assert all(width(line) <= 20 for line in lines)
    assert "".join(lines) == text


def test_no_line_starts_with_closing_punctuation_or_ends_with_opening() -> None:
    text = "あいうえおかきく、けこ（さしすせそ）たちつてと。"
    for limit in range(6, 30):
        for line in wrap_cells(text, limit).splitlines():
            assert line[0] not in "、。）" and line[-1] not in "（", (limit, line)


def test_english_breaks_only_at_spaces_and_keeps_indents() -> None:
    text = "Spend the last try, or a try on a count the card did not report reliably."
    lines = wrap_cells(text, 30, "  ", "    ").splitlines()
    assert lines[0].startswith("  S") and all(x.startswith("    ") for x in lines[1:])
    assert " ".join(x.strip() for x in lines) == text
    assert all(width(x) <= 30 for x in lines)


def test_paragraphs_are_kept() -> None:
    assert wrap_cells("one two\n\nthree", 80) == "one two\n\nthree"


def test_a_word_longer_than_the_line_stays_whole() -> None:
    assert wrap_cells("a " + "x" * 40 + " b", 10).splitlines() == ["a", "x" * 40, "b"]


COMMANDS = [[], ["retries"], ["info"], ["expiry"], ["verify-pin"], ["change-pin"],
            ["cert"], ["cert", "show"], ["cert", "export"], ["readers"], ["doctor"],
            ["emulator", "serve"]]  # fmt: skip


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "jpkitool")
def test_help_fits_80_columns(
    monkeypatch: pytest.MonkeyPatch, lang: str, command: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    r = run("--lang", lang, *command, "--help")
    assert r.code == 0, r.err
    too_long = [line for line in r.out.splitlines() if width(line) > 80]
    assert too_long == []


def test_long_output_lines_hang_under_their_indent() -> None:
    from jpki.cli.wrap import wrap_lines

    text = "short\n  " + " ".join(["word"] * 30) + "\n" + "あ" * 50
    lines = wrap_lines(text, 40).splitlines()
    assert lines[0] == "short"
    assert lines[1].startswith("  word") and lines[2].startswith("    word")
    assert all(width(line) <= 40 for line in lines)
    assert "".join(line.strip() for line in lines if "あ" in line) == "あ" * 50
    assert wrap_lines(text, None) == text


def test_output_width_comes_from_columns_or_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jpki.cli import wrap

    monkeypatch.setenv("COLUMNS", "72")
    assert wrap.output_width() == 72
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setattr(wrap.sys, "stdout", io.StringIO())  # a pipe: no wrapping
    assert wrap.output_width() is None


def _locked_card(tmp_path: Path) -> list[str]:
    path = tmp_path / "card.json"
    path.write_text('{"pins": {"sign": {"remaining": 0}, "auth": {"remaining": 0}}}', "utf-8")
    return ["--emulator", "--emulator-state", str(path)]


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("command", [["retries"], ["readers"], ["info"], ["doctor"]])
def test_output_fits_80_columns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, lang: str, command: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    r = run("--lang", lang, *_locked_card(tmp_path), *command)
    assert r.out.strip(), r.err
    assert [line for line in r.out.splitlines() if width(line) > 80] == []
    if command == ["readers"]:  # a table wraps within its columns
        return
    monkeypatch.delenv("COLUMNS")  # a pipe: the same words, not wrapped
    piped = run("--lang", lang, *_locked_card(tmp_path), *command)
    assert piped.out.replace("\n", "").replace(" ", "") == r.out.replace("\n", "").replace(" ", "")


@pytest.mark.parametrize("limit", range(24, 81))
def test_names_are_never_broken(limit: int) -> None:
    """A wide and a narrow character stay together (共通カードAP), a command stays
    whole, and in an English sentence a Japanese name is one word (issue 17)."""
    ja = ("③ 住民基本台帳用の暗証番号: 残り回数 共通カードAP 3/3、住基AP 3/3。"
          "確かめるには jpkitool retries 3 を実行してください。")  # fmt: skip
    en = "Reset it at the kiosk with the 暗証番号リセットアプリ, or at the 市区町村の窓口."
    for text, names in ((ja, ["共通カードAP", "住基AP", "jpkitool retries"]),
                        (en, ["暗証番号リセットアプリ", "市区町村の窓口"])):  # fmt: skip
        lines = wrap_cells(text, limit).splitlines()
        assert all(width(line) <= limit for line in lines)
        assert all(any(name in line for line in lines) for name in names), lines


def test_japanese_prefers_breaking_after_punctuation() -> None:
    text = "処理の途中でカードが取り出されました。もう一度入れてやり直してください。"
    assert wrap_cells(text, 50).splitlines()[0].endswith("取り出されました。")
