"""Errors about the files a user gives (state, session, OS errors) in the user's
language: every file fault is ``file[:line][: field]: problem``, the problem one of a
few templates (``fileproblem.*``) with its parameters; the temporary file of an
atomic write is never named."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

import apdu
from apdu.errors import FAULTS, Fault
from apdu.jsonfile import PROBLEMS, SHAPES, FileFault, Problem
from apdu.outfile import OutputError, OutputReason, write_whole
from catalogues import catalogue, placeholders
from jpki.cli.failures import Failure, classify
from jpki.emulator import StateError
from jpki.i18n import set_language
from jpki.words.failures import OS_REASONS, reason_text

#: ASCII words a Japanese message may hold: names of formats and standards.
TECHNICAL = {"JSON", "UTF", "DER", "PEM", "null", "true", "false", "jpkitool", "base64"}

#: Every problem with parameters, and its text in English and in Japanese.
TEXTS: dict[str, tuple[dict[str, Any], str, str]] = {
    "missing": ({}, "missing", "ありません"),
    "unknown": ({}, "unknown field", "不明な項目です"),
    "twice": ({}, "given twice", "2回書かれています"),
    "type": ({"shape": SHAPES[dict]}, "must be of the form {…}", "{…} の形でなければなりません"),
    "whole": ({"low": 0, "high": 3}, "must be a whole number from 0 to 3",
              "0〜3 の整数でなければなりません"),
    "number": ({"low": 0, "high": 60000}, "must be a number from 0 to 60000",
               "0〜60000 の数値でなければなりません"),
    "choice": ({"choices": ("card", "android")}, "must be one of card, android",
               "card, android のいずれかでなければなりません"),
    "like": ({"example": "6A88"}, "must be written like 6A88", "「6A88」のような形で書きます"),
    "empty": ({}, "must not be empty", "空にはできません"),
    "after": ({"other": "cert_issued"}, "must be after cert_issued",
              "cert_issued より後の日付でなければなりません"),
    "certificate": ({}, "not a certificate (a PEM or DER file, or base64 DER)",
                    "証明書ではありません（PEM か DER のファイル、"
                    "または base64 の DER が使えます）"),
    "pin": ({"rule": "digits4"}, "does not fit the key's format (4 digits)",
            "この鍵の形式（数字4桁）に合いません"),
    "json": ({"column": 7}, "not valid JSON at column 7", "7 文字目が JSON として正しくありません"),
    "utf8": ({}, "not UTF-8 text: save it as UTF-8",
             "UTF-8 のテキストではありません: UTF-8 で保存し直してください"),
    "size": ({"limit": 1_048_576}, "larger than 1,048,576 bytes", "1,048,576 バイトを超えています"),
    "not-file": ({"kind": "fifo"}, "not a regular file", "通常のファイルではありません"),
    "os": ({"errno": errno.ENOENT, "strerror": "No such file or directory"},
           "no such file or folder", "ファイルまたはフォルダーがありません"),
}  # fmt: skip


@pytest.fixture
def ja() -> Iterator[None]:
    set_language("ja")
    try:
        yield
    finally:
        set_language("en")


def english_words(message: str, *identifiers: str) -> list[str]:
    """The ASCII words of ``message`` that are not identifiers, paths or standards."""
    message = re.sub(r"/I/\S+|「[^」]*」", " ", message)
    for text in identifiers:
        message = message.replace(text, " ")
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", message) if w not in TECHNICAL]


def names(params: dict[str, Any]) -> list[str]:
    """The identifiers among a problem's parameters (kept as they are in any language)."""
    values = [
        v for value in params.values() for v in (value if isinstance(value, tuple) else [value])
    ]
    return [str(v) for v in values if isinstance(v, str) and v.isascii()]


def render(exc: BaseException) -> Failure:
    failure = classify(exc)
    assert "\n" not in failure.message
    return failure


# -- the problems: a few templates ----------------------------------------------------


def test_every_problem_has_its_texts_and_a_test() -> None:
    assert set(get_args(Problem)) == set(PROBLEMS) == set(TEXTS)
    for lang in ("en", "ja"):
        ids = {key for key in catalogue(lang) if key.startswith("fileproblem.")}
        codes = {f"fileproblem.{code}" for code in PROBLEMS if code != "os"}
        assert codes <= ids, lang
        errnos = {f"fileproblem.{name.lower()}" for name in OS_REASONS}
        assert errnos <= ids, lang  # the OS's reasons in the user's language
        assert len(ids - errnos) <= 17, "a few templates, not one per reason"
    for gone in ("statereason.", "sessionreason.", "jsonproblem.", "jsontype.", "filekind.",
                 "osreason."):  # fmt: skip
        assert not [key for key in catalogue("en") if key.startswith(gone)], gone
    assert set(FAULTS) == set(get_args(Fault))


@pytest.mark.parametrize("code", sorted(TEXTS))
def test_each_problem_in_english_and_in_japanese(code: str) -> None:
    params, en, ja = TEXTS[code]
    library = {"os": "No such file or directory", "pin": "does not fit the key's format (digits4)"}
    assert FileFault("x", code, **params).reason == library.get(code, en)
    assert reason_text("fileproblem", code, params) == en
    set_language("ja")
    try:
        assert reason_text("fileproblem", code, params) == ja
        assert english_words(ja, *names(params)) == [], ja
    finally:
        set_language("en")


@pytest.mark.parametrize("code", sorted(set(PROBLEMS) - {"os"}))  # os: the OS's words
def test_a_template_uses_only_the_parameters_of_its_english(code: str) -> None:
    for lang in ("en", "ja"):
        (text,) = catalogue(lang)[f"fileproblem.{code}"]
        assert placeholders(text) == placeholders(PROBLEMS[code]), lang


def test_an_unknown_problem_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown file problem"):
        StateError("pins", "bad")


@pytest.mark.parametrize("code", sorted(TEXTS))
def test_a_state_error_is_one_line_naming_file_and_field(ja: None, code: str) -> None:
    params = TEXTS[code][0]
    exc = StateError("pins.auth.remaining", code, path="/I/card.json", **params)
    assert str(exc).startswith("/I/card.json: pins.auth.remaining: ")
    failure = render(exc)
    assert (failure.code, failure.exit) == ("state-file", 2)
    assert failure.message == (
        f"仮想カードの状態ファイルを使えません: /I/card.json: pins.auth.remaining: {TEXTS[code][2]}"
    )
    words = english_words(failure.message, "pins.auth.remaining", *names(params))
    assert words == [], failure.message
    set_language("en")
    assert render(exc).message == (
        f"cannot use the virtual-card state: /I/card.json: pins.auth.remaining: {TEXTS[code][1]}"
    )


def test_a_fault_of_a_line_names_it() -> None:
    exc = StateError("", "json", path="/I/card.json", line=4, column=3)
    assert str(exc) == "/I/card.json:4: not valid JSON at column 3"
    assert render(exc).message.endswith(": /I/card.json:4: not valid JSON at column 3")
    assert render(StateError("", "empty")).message.endswith(": -: must not be empty")


@pytest.mark.parametrize("code", sorted(TEXTS))
def test_a_session_file_error_is_one_line_naming_file_line_and_field(ja: None, code: str) -> None:
    exc = apdu.SessionFileError("command", code, path="/I/s.jsonl", line=2, **TEXTS[code][0])
    assert str(exc).startswith("/I/s.jsonl:2: command: ")
    failure = render(exc)
    assert (failure.code, failure.exit) == ("session-file", 2)
    assert (
        failure.message
        == f"記録したセッションを使えません: /I/s.jsonl:2: command: {TEXTS[code][2]}"
    )
    set_language("en")
    assert render(exc).message == (
        f"cannot use the recorded session: /I/s.jsonl:2: command: {TEXTS[code][1]}"
    )


@pytest.mark.parametrize("code", get_args(OutputReason))
def test_an_output_error_is_one_line_in_both_languages(ja: None, code: OutputReason) -> None:
    params: dict[str, Any] = {"kind": "fifo"} if code == "not-regular" else {}
    if code == "cannot-write":
        params = {"errno": errno.ENOSPC, "strerror": "No space left on device"}
    exc = OutputError("/I/out.pem", code, **params)
    failure = render(exc)
    assert failure.code == "output-file" and failure.exit == 2
    assert failure.message.startswith("/I/out.pem に書き込めません: ")
    assert english_words(failure.message, "--overwrite") == [], failure.message
    set_language("en")
    assert render(exc).message.startswith("cannot write /I/out.pem: ")


# -- OS errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OS_REASONS))
def test_an_os_error_with_a_message_of_its_own_has_no_english_in_japanese(
    ja: None, name: str
) -> None:
    number = getattr(errno, name, None)
    if number is None:
        pytest.skip(f"{name} is not an errno here")
    exc = OSError(number, "Some English words", "/I/card.json")
    failure = render(exc)
    assert failure.code == "os-error" and failure.exit == 1
    assert "/I/card.json" in failure.message and "Some English" not in failure.message
    assert english_words(failure.message) == [], failure.message
    nameless = render(OSError(number, "Some English words"))
    assert english_words(nameless.message) == [], nameless.message


def test_any_other_os_error_keeps_the_system_words() -> None:
    exc = OSError(errno.EPROTO, "Protocol error", "/I/card.json")
    assert render(exc).message == "cannot use /I/card.json: Protocol error"
    set_language("ja")
    try:
        assert render(exc).message == "/I/card.json を使えません: Protocol error"
    finally:
        set_language("en")


def test_state_errors_from_the_file_name_the_field_in_both_languages(
    tmp_path: Path, ja: None
) -> None:
    from cli_runner import jpkitool_inprocess as run

    path = tmp_path / "card.json"
    for content, en_words, ja_words in [
        ('{"pins": ', ":1: not valid JSON at column 10", ":1: 10 文字目が JSON"),
        ('{"pins": {"auth": {"remaining": 9}}}', ": pins.auth.remaining: must be a whole number "
         "from 0 to 3", ": pins.auth.remaining: 0〜3 の整数"),
        ('{"applications": "jpki"}', ": applications: must be of the form […]",
         ": applications: […] の形でなければ"),
        ('{"holder": {"birth_date": "1985-13-01"}}', "holder.birth_date: must be written like",
         "「2034-04-10」のような形で書きます"),
        ('{"colour": 1}', ": colour: unknown field", ": colour: 不明な項目です"),
    ]:  # fmt: skip
        path.write_text(content, "utf-8")
        for lang, words in (("en", en_words), ("ja", ja_words)):
            r = run("--lang", lang, "--emulator", "--emulator-state", str(path), "retries")
            assert r.code == 2 and r.out == "" and len(r.err.splitlines()) == 1
            assert f"{path}{words}" in r.err if words.startswith(":") else words in r.err, r.err
            if lang == "ja":
                assert not {"unknown", "field", "must", "invalid", "line"} & set(r.err.split())


# -- OS errors name the user's file, never a temporary one --------------------------


def test_an_atomic_write_error_names_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "card.json"

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("os.fsync", full)
    with pytest.raises(OutputError) as caught:
        write_whole(target, b"{}")
    assert caught.value.code == "cannot-write" and caught.value.path == str(target)
    assert caught.value.params["errno"] == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone
    set_language("ja")
    try:
        failure = classify(caught.value)
    finally:
        set_language("en")
    assert failure.exit == 2
    assert failure.message == f"{target} に書き込めません: ディスクの空き容量が足りません"


def test_a_failed_rename_names_the_target_not_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "card.json"

    def refuse(src: str, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", src, dst)

    monkeypatch.setattr("os.link", refuse)
    monkeypatch.setattr("os.replace", refuse)
    with pytest.raises(OutputError) as caught:
        write_whole(target, b"{}")
    assert caught.value.path == str(target) and caught.value.params["errno"] == errno.EACCES
    assert "tmp" not in classify(caught.value).message.replace(str(tmp_path), "")


def test_a_missing_folder_names_the_target(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "card.json"
    with pytest.raises(OutputError) as caught:
        write_whole(target, b"{}")
    assert (caught.value.path, caught.value.code) == (str(target), "no-folder")


def test_a_state_that_cannot_be_saved_names_the_state_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli_runner import jpkitool_inprocess as run

    path = tmp_path / "card.json"
    path.write_text("{}", "utf-8")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("os.fsync", full)
    r = run("--lang", "ja", "--emulator", "--emulator-state", str(path), "verify-pin", "2",
            input="9999\n")  # fmt: skip
    assert r.code == 2
    assert f"{path} に書き込めません: ディスクの空き容量が足りません" in r.err
    assert ".tmp" not in r.err and "Errno" not in r.err and "No space" not in r.err
    assert path.read_text("utf-8") == "{}"


def test_atomic_write_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    import os
    import stat

    if os.name != "posix":
        pytest.skip("POSIX permission bits")
    target = tmp_path / "card.json"
    write_whole(target, b"1")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # a new file: the owner's only
    target.chmod(0o644)
    write_whole(target, b"2", overwrite=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644 and target.read_bytes() == b"2"
