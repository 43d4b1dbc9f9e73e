"""Errors about the files a user gives (state, session, OS errors) in the user's
language: a reason code and its parameters in every error, rendered from the
catalogue; the temporary file of an atomic write is never named."""

from __future__ import annotations

import errno
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

import apdu
from apdu import jsonfile
from apdu.errors import FAULTS, SESSION_REASONS, Fault, SessionReason
from apdu.outfile import OutputError, OutputReason, write_whole
from catalogues import catalogue
from jpki import profile
from jpki.cli.failures import OS_REASONS, Failure, classify
from jpki.emulator import StateError
from jpki.emulator.statefile import STATE_REASONS, StateReason
from jpki.i18n import placeholders, set_language

#: ASCII words a Japanese message may hold: names of formats and standards.
TECHNICAL = {
    "JSON", "UTF", "DER", "PEM", "YYYY", "MM", "DD", "JIS", "TS", "null", "true",
    "false", "jpkitool", "FIFO", "base64",
}  # fmt: skip

#: A value for every parameter an error can carry. Identifiers (kept as given in
#: both languages) are marked ``I`` and taken out before the words are looked at;
#: ``detail`` and ``strerror`` are English and must never reach a Japanese message.
SAMPLES: dict[str, Any] = {
    "got": "list",
    "kind": "fifo",
    "problem": "expecting-value",
    "rule": "digits4",
    "errno": errno.ENOSPC,
    "strerror": "No space left on device",
    "detail": "Expecting value",
    "reason": "some English reason",
    "key": "I-key",
    "value": "I-value",
    "expected": "I-expected",
    "other": "I-other",
    "file": "/I/cert.pem",
    "known": ("I-known1", "I-known2"),
    "choices": ("I-choice1", "I-choice2"),
    "pattern": "I-pattern",
    "low": 0,
    "high": 5,
    "n": 12,
    "size": 2_000_000,
    "limit": 1_048_576,
    "line": 3,
    "column": 7,
    "index": 4,
    "version": 2,
    "supported": 1,
}


@pytest.fixture
def ja() -> Iterator[None]:
    set_language("ja")
    try:
        yield
    finally:
        set_language("en")


def sample_params(template: str, key: str) -> dict[str, Any]:
    """Values for the parameters the English ``template`` and the catalogue's ``key`` use."""
    names = placeholders(template) | placeholders(catalogue("en")[key][0])
    if names & {"strerror", "os"}:
        names |= {"errno", "strerror"}
    return {name: SAMPLES[name] for name in names - {"os"}}


def english_words(message: str, *identifiers: str) -> list[str]:
    """The ASCII words of ``message`` that are not identifiers, paths or standards."""
    for text in identifiers:
        message = message.replace(text, " ")
    message = re.sub(r"I-[a-z0-9-]+|/I/\S+|「[^」]*」", " ", message)
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", message) if w not in TECHNICAL]


# -- every code has its messages ---------------------------------------------------


def test_every_session_reason_has_english_and_both_catalogues() -> None:
    codes = set(get_args(SessionReason))
    assert codes == set(SESSION_REASONS)
    for lang in ("en", "ja"):
        assert {f"sessionreason.{c}" for c in codes} <= set(catalogue(lang)), lang


@pytest.mark.parametrize("code", get_args(OutputReason))
def test_an_output_error_is_one_line_in_both_languages(ja: None, code: OutputReason) -> None:
    exc = OutputError("/I/out.pem", code, **sample_params("", f"outputreason.{code}"))
    failure = render(exc)
    assert failure.code == "output-file" and failure.exit == 2
    assert failure.message.startswith("/I/out.pem に書き込めません: ")
    assert english_words(failure.message, "--overwrite") == [], failure.message
    set_language("en")
    assert render(exc).message.startswith("cannot write /I/out.pem: ")


def test_every_state_reason_has_english_and_both_catalogues() -> None:
    codes = set(get_args(StateReason))
    assert codes == set(STATE_REASONS)
    for lang in ("en", "ja"):
        assert {f"statereason.{c}" for c in codes} <= set(catalogue(lang)), lang


def test_every_word_a_reason_names_is_in_both_catalogues() -> None:
    keys = {
        *(f"osreason.{name.lower()}" for name in OS_REASONS),
        "osreason.other",
        *(f"filekind.{kind}" for kind in get_args(jsonfile.FileKind)),
        *(f"jsonproblem.{code}" for code in get_args(jsonfile.JsonSyntax)),
        *(f"jsontype.{name}" for name in ("dict", "list", "str", "int", "float", "bool", "null")),
        *(f"format.{key.format.id}" for key in profile.KEYS),
    }
    for lang in ("en", "ja"):
        assert keys - set(catalogue(lang)) == set(), lang
    assert set(FAULTS) == set(get_args(Fault))


@pytest.mark.parametrize("code", sorted(SESSION_REASONS))
def test_a_session_reason_uses_only_the_parameters_it_carries(code: str) -> None:
    allowed = placeholders(SESSION_REASONS[code]) | {"os"} | set(SAMPLES)
    for lang in ("en", "ja"):
        (text,) = catalogue(lang)[f"sessionreason.{code}"]
        assert placeholders(text) <= allowed


# -- Japanese holds no English -----------------------------------------------------


def render(exc: BaseException) -> Failure:
    failure = classify(exc)
    assert "\n" not in failure.message
    return failure


@pytest.mark.parametrize("code", sorted(SESSION_REASONS))
def test_a_session_file_error_in_japanese_has_no_english(ja: None, code: SessionReason) -> None:
    params = sample_params(SESSION_REASONS[code], f"sessionreason.{code}")
    exc = apdu.SessionFileError("/I/s.jsonl", 2, code, **params)
    assert exc.code == code and str(exc).startswith("/I/s.jsonl:2: ")
    failure = render(exc)
    assert failure.code == "session-file" and failure.exit == 2
    assert "/I/s.jsonl:2" in failure.message
    assert english_words(failure.message) == [], failure.message
    set_language("en")
    assert "/I/s.jsonl:2" in render(exc).message


@pytest.mark.parametrize("code", sorted(STATE_REASONS))
def test_a_state_error_in_japanese_has_no_english(ja: None, code: StateReason) -> None:
    params = sample_params(STATE_REASONS[code], f"statereason.{code}")
    exc = StateError("pins.auth.remaining", code, path="/I/card.json", **params)
    assert exc.code == code and str(exc).startswith("/I/card.json: pins.auth.remaining: ")
    failure = render(exc)
    assert failure.code == "state-file" and failure.exit == 2
    assert "/I/card.json: pins.auth.remaining: " in failure.message
    assert english_words(failure.message, "pins.auth.remaining") == [], failure.message


@pytest.mark.parametrize("name", OS_REASONS)
def test_an_os_error_in_japanese_has_no_english(ja: None, name: str) -> None:
    number = getattr(errno, name, None)
    if number is None:
        pytest.skip(f"{name} is not an errno here")
    exc = OSError(number, "Some English words", "/I/card.json")
    failure = render(exc)
    assert failure.code == "os-error" and failure.exit == 1
    assert "/I/card.json" in failure.message
    assert english_words(failure.message) == [], failure.message
    nameless = render(OSError(number, "Some English words"))
    assert english_words(nameless.message) == [], nameless.message


def test_an_unknown_os_error_keeps_the_system_words() -> None:
    exc = OSError(errno.EPROTO, "Protocol error", "/I/card.json")
    assert "Protocol error" in render(exc).message
    set_language("ja")
    try:
        assert "Protocol error" in render(exc).message and "/I/card.json" in render(exc).message
    finally:
        set_language("en")


def test_state_errors_from_the_file_name_the_field_in_both_languages(
    tmp_path: Path, ja: None
) -> None:
    from cli_runner import jpkitool_inprocess as run

    path = tmp_path / "card.json"
    for content, en_words, ja_words in [
        ('{"pins": ', "line 1, column 10: a value is expected", "1 行目、10 文字目"),
        ('{"pins": {"auth": {"remaining": 9}}}', "from 0 to 3", "0〜3 の整数"),
        ('{"applications": "jpki"}', "must be a list, not a string", "配列でなければ"),
        ('{"holder": {"birth_date": "1985-13-01"}}', "'1985-13-01'", "「1985-13-01」"),
        ('{"colour": 1}', "unknown field (known: format, version, atr,", "不明な項目です"),
    ]:
        path.write_text(content, "utf-8")
        for lang, words in (("en", en_words), ("ja", ja_words)):
            r = run("--lang", lang, "--emulator", "--emulator-state", str(path), "retries")
            assert r.code == 2 and r.out == "" and len(r.err.splitlines()) == 1
            assert str(path) in r.err and words in r.err, r.err
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


# -- the placeholders stay in step -------------------------------------------------


def test_library_english_keeps_its_placeholders_formattable() -> None:
    for table in (SESSION_REASONS, STATE_REASONS):
        for template in table.values():
            names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            assert names <= set(SAMPLES)
