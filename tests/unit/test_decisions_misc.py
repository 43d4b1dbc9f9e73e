"""Smaller decisions: which locale names a language, which DER headers are refused
and how, what a session may combine, what a recording says it came from, how a file
is written whole, which new ① values count as dates.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from apdu import FunctionTransport
from apdu.outfile import OutputError, write_whole
from jpki import profile
from jpki.certificate import CertificateError, der_length
from jpki.emulator.session import open_virtual_card
from jpki.errors import JpkiError
from jpki.i18n import _language_of, detect_language
from jpki.pinpolicy import check_new_pin
from jpki.session import SessionSpec, open_session

# -- locale names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "lang"),
    [
        ("ja", "ja"),
        ("ja_JP", "ja"),
        ("ja_JP.UTF-8", "ja"),
        ("ja.UTF-8", "ja"),
        ("ja@cjknarrow", "ja"),
        ("ja_JP.eucJP@cjknarrow", "ja"),
        ("ja-JP", "ja"),
        ("ja-Jpan-JP", "ja"),
        ("JA_jp", "ja"),
        ("en_GB.UTF-8", "en"),
        ("C", "en"),
        ("C.UTF-8", "en"),
        ("POSIX", "en"),
        ("fr_FR.UTF-8", None),
        ("jav_ID", None),
        ("", None),
    ],
)
def test_the_language_a_locale_names(value: str, lang: str | None) -> None:
    assert _language_of(value) == lang


def test_c_in_language_lists_means_english() -> None:
    assert detect_language({"LANGUAGE": "C:ja"}, system=lambda: None) == "en"
    assert detect_language({"LANGUAGE": "fr:POSIX:ja"}, system=lambda: None) == "en"


# -- DER headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "code", "reason"),
    [
        (b"", "bad-length", "0 bytes, too short to hold a DER length"),
        (b"\x30", "bad-length", "1 bytes, too short to hold a DER length"),
        (b"-----BEGIN", "pem", "PEM text, expected DER"),
        (b"\x31\x03", "bad-length", "not a DER SEQUENCE (tag 31)"),
        (b"\x30\x80", "bad-length", "indefinite length, not DER"),
        (b"\x30\x85\x00\x00\x00\x00\x10", "bad-length", "impossible DER length (5-byte length)"),
        (b"\x30\x82\x01", "bad-length", "3 bytes, too short to hold a 2-byte DER length"),
    ],
)
def test_der_headers_refused_with_their_codes(head: bytes, code: str, reason: str) -> None:
    with pytest.raises(CertificateError) as caught:
        der_length(head, "sign-ca")
    assert (caught.value.what, caught.value.code, caught.value.reason) == ("sign-ca", code, reason)


@pytest.mark.parametrize(
    ("head", "total"),
    [
        (b"\x30\x00", 2),
        (b"\x30\x7f", 2 + 0x7F),
        (b"\x30\x81\x80", 3 + 0x80),
        (b"\x30\x82\x06\x21", 4 + 0x621),
        (b"\x30\x84\x00\x01\x00\x00", 6 + 0x10000),
    ],
)
def test_der_lengths(head: bytes, total: int) -> None:
    assert der_length(head) == total


# -- sessions -----------------------------------------------------------------------------------


def test_conflicting_session_options_are_named() -> None:
    with pytest.raises(ValueError, match=r"^replay excludes reader, emulator and record$"):
        SessionSpec(replay="s.jsonl", emulator=True)
    with pytest.raises(ValueError, match=r"^emulator excludes reader$"):
        SessionSpec(emulator=True, reader="0")
    with pytest.raises(ValueError, match=r"^record_personal needs record$") as caught:
        SessionSpec(emulator=True, record_personal=True)
    assert isinstance(caught.value, JpkiError)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--replay", "s.jsonl", "--emulator"], "replay_conflict"),
        (["--emulator", "--reader", "0"], "emulator_reader_conflict"),
        (["--emulator", "--record-personal"], "record_personal_needs_record"),
    ],
)
def test_the_cli_and_the_library_refuse_the_same_options(args: list[str], reason: str) -> None:
    """One check (jpki.session.check_options): the CLI says it as a usage error, exit 2,
    with the message of the library's reason."""
    from cli_runner import jpkitool_inprocess
    from jpki.i18n import set_language, t

    r = jpkitool_inprocess("--lang", "en", *args, "retries")
    assert r.code == 2
    set_language("en")
    assert t(f"usage.{reason}").split("{")[0].strip() in r.err


def header_of(path: Path) -> dict[str, object]:
    first = path.read_text("utf-8").splitlines()[0]
    header: dict[str, object] = json.loads(first)
    return header


def test_a_recording_of_a_reader_does_not_claim_the_virtual_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jpki import connect

    def reader(name: str | None, **_: object) -> FunctionTransport:
        return FunctionTransport(lambda apdu: b"\x6a\x82", "Reader A")

    monkeypatch.setattr(connect, "connect", reader)
    path = tmp_path / "reader.jsonl"
    with open_session(SessionSpec(record=path, transaction=False)) as transport:
        transport.transmit(bytes.fromhex("00A4040C0AD392F000260100000001"))
    assert header_of(path)["origin"] is None and header_of(path)["reader"] == "Reader A"
    virtual = tmp_path / "virtual.jsonl"
    with open_session(SessionSpec(emulator=True, record=virtual), open_virtual_card) as t:
        t.transmit(bytes.fromhex("00A4040C0AD392F000260100000001"))
    assert header_of(virtual)["origin"] == "emulator"


# -- writing a file whole ---------------------------------------------------------------------


def test_the_temporary_file_is_hidden_beside_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "auth.der"
    renames: list[tuple[str, str]] = []
    real = os.link  # a new file is linked in (never over one made since the check)

    def spy(src: str, dst: object) -> None:
        renames.append((str(src), str(dst)))
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", spy)
    write_whole(target, b"\x30\x00")
    assert target.read_bytes() == b"\x30\x00"
    ((src, dst),) = renames
    assert dst == str(target)
    assert Path(src).parent == tmp_path
    assert Path(src).name.startswith(".auth.der.") and Path(src).name.endswith(".tmp")
    assert (target.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["auth.der"]


def test_a_failure_leaves_no_temporary_file_even_when_its_removal_fails_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "card.json"
    removed: list[str] = []
    real_unlink = os.unlink

    def refuse(src: str, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", src, dst)

    def unlink(path: str) -> None:
        removed.append(str(path))
        real_unlink(path)
        raise FileNotFoundError(errno.ENOENT, "gone already", path)

    monkeypatch.setattr(os, "link", refuse)
    monkeypatch.setattr(os, "replace", refuse)  # the fallback where links are not made
    monkeypatch.setattr(os, "unlink", unlink)
    with pytest.raises(OutputError) as caught:
        write_whole(target, b"{}")
    assert (caught.value.params["errno"], caught.value.path) == (errno.EACCES, str(target))
    assert len(removed) == 1 and list(tmp_path.iterdir()) == []


def test_an_error_without_a_system_message_keeps_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def odd(src: str, dst: object) -> None:
        raise OSError("the file system said no")

    monkeypatch.setattr(os, "link", odd)
    monkeypatch.setattr(os, "replace", odd)
    with pytest.raises(OutputError) as caught:
        write_whole(tmp_path / "x", b"")
    assert caught.value.params["strerror"] == "the file system said no"
    assert caught.value.path == str(tmp_path / "x")


def test_an_interrupted_write_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_whole(tmp_path / "x", b"data")
    assert list(tmp_path.iterdir()) == []


# -- new ① values that look like dates -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "date_like"),
    [
        ("X990101", True),  # 1999-01-01: the first day of a month
        ("X990131", True),
        ("X990100", False),
        ("X990132", False),
        ("X000229", True),
        ("X990230", False),
        ("A1B2C3D4", False),
        ("PIN20240101", True),
    ],
)
def test_sign_values_holding_a_date(value: str, date_like: bool) -> None:
    assert check_new_pin(profile.SIGN, value).date_like is date_like


# -- what recordings and traces hide --------------------------------------------------------


def test_what_is_hidden_ends_with_the_fail_closed_rule() -> None:
    from jpki.personal import RULE, description

    lines = description()
    assert lines[-1] == (
        "response data of any file jpkitool does not know, or read where the selected "
        "application or file is not known"
    )
    assert list(RULE.description) == list(lines)
    assert lines[0].startswith("response data of 公的個人認証AP (JPKI) EF 0001 (sign certificate")
    assert "record 1, bytes 3-17, 18-22" in lines[1]  # serial and municipality, not the date


def test_nothing_to_hide_in_an_empty_answer() -> None:
    from apdu.redact import FileRead
    from jpki.personal import personal_spans

    unknown = FileRead(aid=None, fid=None, sfi=None, record=False, offset=0)
    assert personal_spans(unknown, b"") == ()
    assert personal_spans(unknown, b"\x01\x02") == ((0, 2),)


def test_a_run_without_shared_realdata_says_so_once_at_the_top(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import conftest
    import realdata

    monkeypatch.setattr(realdata, "REALDATA", tmp_path / "absent")
    header = conftest.pytest_report_header(None)  # type: ignore[arg-type]
    assert header is not None and str(tmp_path / "absent") in header and "skip" in header
    monkeypatch.setattr(realdata, "REALDATA", tmp_path)
    assert conftest.pytest_report_header(None) is None  # type: ignore[arg-type]
