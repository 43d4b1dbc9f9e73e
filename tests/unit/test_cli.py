"""The CLI in process: options, usage errors, error classification, the virtual card."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import apdu
from cli_runner import jpkitool_inprocess as run
from jpki import errors as je
from jpki.cli.failures import Exit, classify
from jpki.cli.main import hoist_global_options
from jpki.emulator import StateError
from jpki.i18n import set_language


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["retries", "--json"], ["--json", "retries"]),
        (["retries", "-r", "acr", "--lang=ja"], ["-r", "acr", "--lang=ja", "retries"]),
        (["--emulator", "info", "--warn-days", "5", "-v"],
         ["--emulator", "-v", "info", "--warn-days", "5"]),
        (["--record", "retries", "info"], ["--record", "retries", "info"]),
        (["emulator", "serve", "--json", "--state", "x"],
         ["--json", "emulator", "serve", "--state", "x"]),
        (["retries", "--", "--json"], ["retries", "--", "--json"]),
        (["--json"], ["--json"]),
        ([], []),
    ],
)  # fmt: skip
def test_global_options_after_the_command(argv: list[str], expected: list[str]) -> None:
    assert hoist_global_options(argv) == expected


def test_emulator_retries_text_and_json() -> None:
    text = run("--lang", "en", "--emulator", "retries")
    assert text.code == 0 and "① Signature" in text.out
    js = run("--emulator", "retries", "--json")
    assert js.code == 0
    assert js.json["reader"] == "jpkitool virtual card"
    assert [p["remaining"] for p in js.json["pins"][:4]] == [5, 3, 3, 3]


def test_emulator_state_file_drives_the_answers(tmp_path: Path) -> None:
    state = tmp_path / "card.json"
    assert run("emulator", "init-state", str(state)).code == 0
    again = run("--lang", "en", "emulator", "init-state", str(state))
    assert again.code == 2 and "--overwrite" in again.err
    assert run("emulator", "init-state", str(state), "--overwrite").code == 0
    doc = json.loads(state.read_text("utf-8"))
    doc["pins"]["sign"]["remaining"] = 0
    state.write_text(json.dumps(doc), "utf-8")
    js = run("--json", "--emulator", "--emulator-state", str(state), "retries")
    assert js.code == Exit.LOCKED
    assert js.json["pins"][0] == {
        "id": "sign", "no": 1, "remaining": 0, "max": 5, "locked": True,
        "state": "locked", "sw": "63C0",
        "keys": [{"id": "sign", "application": "jpki", "remaining": 0, "max": 5,
                  "locked": True, "state": "locked", "sw": "63C0", "note": None}],
        "keys_differ": False,
    }  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_card_answering_9000_to_the_short_query_form_is_counted_by_the_long_form(
    tmp_path: Path, lang: str
) -> None:
    """The virtual card's quirk ``short_query_9000``: ``retries`` shows every count (asked
    again with SELECT EF + 00 20 00 80), none of them unknown."""
    state = tmp_path / "card.json"
    quirk = {"quirks": {"short_query_9000": True}}
    state.write_text(json.dumps({**quirk, "pins": {"sign": {"remaining": 2}}}), "utf-8")
    text = run("--lang", lang, "--emulator", "--emulator-state", str(state), "retries")
    assert text.code == Exit.OK, text.err
    rows = text.out.splitlines()[2:10]
    assert [row.split()[-2] for row in rows] == [
        "2/5", "3/3", "3/3", "3/3", "10/?", "10/10", "10/?", "10/?",
    ]  # fmt: skip
    assert ("unknown" if lang == "en" else "不明") not in text.out
    js = run("--json", "--emulator", "--emulator-state", str(state), "retries")
    assert [p["state"] for p in js.json["pins"]] == ["usable"] * 8
    assert [p["sw"] for p in js.json["pins"][:2]] == ["63C2", "63C3"]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ('{"pins": {"auth": {"value": "12a4"}}}', "pins.auth.value"),
        ('{"pins": {"auth": {"remaining": 9}}}', "pins.auth.remaining"),
        ('{"holder": {"birth_date": "1985-13-01"}}', "holder.birth_date"),
        ('{"token": "flip-phone"}', "token"),
    ],
)
def test_bad_state_file_names_the_field(tmp_path: Path, content: str, field: str) -> None:
    state = tmp_path / "bad.json"
    state.write_text(content, "utf-8")
    for lang in ("en", "ja"):
        r = run("--lang", lang, "--emulator", "--emulator-state", str(state), "retries")
        assert r.code == Exit.USAGE and r.out == ""
        assert field in r.err and str(state) in r.err
        assert len(r.err.strip().splitlines()) == 1
    assert "12a4" not in r.err


def test_serve_with_a_bad_state_file(tmp_path: Path) -> None:
    state = tmp_path / "bad.json"
    state.write_text('{"pins": {"auth": {"remaining": "two"}}}', "utf-8")
    r = run("--lang", "en", "emulator", "serve", "--vpcd-port", "1", "--state", str(state))
    assert r.code == Exit.USAGE
    assert "pins.auth.remaining" in r.err and len(r.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "words_en", "words_ja"),
    [
        (["--emulator", "--reader", "x", "retries"], "--reader", "同時に使えません"),
        (["--replay", "x.jsonl", "--emulator", "retries"], "--replay", "同時に使えません"),
        (["--emulator-state", "x.json", "retries"], "needs --emulator", "--emulator が必要"),
        (
            ["--bogus", "retries"],
            "No such option '--bogus'",
            "'--bogus' というオプションはありません",
        ),
        (
            ["retries", "--bogus"],
            "No such option '--bogus'",
            "'--bogus' というオプションはありません",
        ),
        (["--verbos", "retries"], "'--verbose'", "'--verbose', '--version' のことですか"),
        (
            ["--wait", "-1", "retries"],
            "invalid value for '--wait'",
            "'--wait' の値が正しくありません",
        ),
        (["--wait"], "'--wait' requires an argument", "'--wait' には値を 1 個指定してください"),
        (["emulator", "init-state"], "Missing argument 'PATH'", "次の引数がありません: 'パス'"),
        (["--emulator"], "a command is missing", "コマンドを指定してください"),
    ],
)
def test_usage_errors(args: list[str], words_en: str, words_ja: str) -> None:
    en = run("--lang", "en", *args)
    assert en.code == Exit.USAGE and en.out == ""
    assert en.err.startswith("jpkitool: ") and words_en in en.err
    ja = run("--lang", "ja", *args)
    assert ja.code == Exit.USAGE and words_ja in ja.err
    for r in (en, ja):
        assert len(r.err.strip().splitlines()) == 1, r.err
    js = run("--json", *args)
    assert js.code == Exit.USAGE and js.json["error"]["code"] == "usage"
    assert js.err == ""


def test_unknown_command_and_language() -> None:
    ja = run("--lang", "ja", "retrie")
    assert ja.code == Exit.USAGE
    assert "'retrie' というコマンドはありません" in ja.err and "'retries' のことですか" in ja.err
    bad_lang = run("--lang", "fr", "retries")
    assert bad_lang.code == Exit.USAGE and "--lang" in bad_lang.err


def test_bare_command_shows_the_help() -> None:
    r = run("--lang", "ja")
    assert r.code == Exit.USAGE and "コマンドを指定してください" in r.err
    bare = run()
    assert bare.code == 0 and "retries" in bare.out


def test_help_and_version() -> None:
    assert run("--help").code == 0
    version = subprocess.run(
        [sys.executable, "-m", "jpki", "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.returncode == 0 and "jpkitool" in version.stdout


SERVICE = apdu.ServiceUnavailableError("x")


@pytest.mark.parametrize(
    ("exc", "code", "status"),
    [
        (SERVICE, "no-service", Exit.NO_CARD),
        (apdu.NoReaderError("none"), "no-reader", Exit.NO_CARD),
        (apdu.NoCardError("none"), "no-card", Exit.NO_CARD),
        (apdu.CardRemovedError("gone"), "card-removed", Exit.NO_CARD),
        (apdu.ReaderBusyError("busy"), "reader-busy", Exit.ERROR),
        (apdu.CardUnresponsiveError("mute"), "card-unresponsive", Exit.ERROR),
        (apdu.TransportError("odd"), "transport", Exit.ERROR),
        (apdu.SessionFileError("i", "missing", path="f.jsonl", line=3), "session-file", Exit.USAGE),
        (apdu.ReplayMismatchError(2, "00A4", "00B0"), "replay-mismatch", Exit.ERROR),
        (apdu.ReplayLeftoverError(1, 3), "replay-leftover", Exit.ERROR),
        (je.NotMyNumberCardError(0x6A82), "not-my-number-card", Exit.NO_CARD),
        (je.PinFormatError("auth", "digits4"), "pin-format", Exit.USAGE),
        (je.WrongPinError("auth", 2), "wrong-pin", Exit.WRONG_PIN),
        (je.PinLockedError("auth"), "pin-locked", Exit.LOCKED),
        (je.PinLockedError("juki", "juki-common", just_locked=True), "pin-locked", Exit.LOCKED),
        (je.WrongPinError("juki", 1, "juki-common"), "wrong-pin", Exit.WRONG_PIN),
        (je.WeakPinError("auth", "sequence"), "weak-pin", Exit.USAGE),
        (je.PinFormatError("sign", "sign-password"), "pin-format", Exit.USAGE),
        (je.PinRequestError("mismatch"), "usage", Exit.USAGE),
        (je.PinRequestError("unknown-pin", "9"), "usage", Exit.USAGE),
        (je.SpendRefusedError("auth", "auth", "last-try", 0x63C1), "refused", Exit.REFUSED),
        (je.SpendRefusedError("auth", "auth", "untrusted", 0x9000), "refused", Exit.REFUSED),
        (je.PinAbsentError("sign", "no-sign-certificate"), "pin-absent", Exit.ERROR),
        (je.PinAbsentError("auth", "smartphone"), "pin-absent", Exit.ERROR),
        (je.PermitError("no permit"), "permit", Exit.ERROR),
        (je.CardError("READ BINARY", 0x6F00), "card-error", Exit.ERROR),
        (je.AmbiguousCardError(["A", "B"]), "ambiguous-reader", Exit.USAGE),
        (apdu.AmbiguousReaderError("pcd", ["A", "B"]), "ambiguous-reader", Exit.USAGE),
        (apdu.PcscLibraryError("no libpcsclite"), "no-pcsc-library", Exit.NO_CARD),
        (StateError("pins.auth", "type", shape="{…}"), "state-file", Exit.USAGE),
        (KeyboardInterrupt(), "interrupted", Exit.ERROR),
        (RuntimeError("boom"), "unexpected", Exit.ERROR),
    ],
)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_error_is_one_line_with_a_documented_status(
    exc: BaseException, code: str, status: Exit, lang: str
) -> None:
    set_language(lang)
    try:
        failure = classify(exc)
    finally:
        set_language("en")
    assert (failure.code, failure.exit) == (code, status)
    assert failure.message and "\n" not in failure.message
    if lang == "ja":
        assert any("\u3040" <= ch <= "\u9fff" for ch in failure.message), failure.message


def test_an_unexpected_error_reaches_the_user_as_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import jpki.cli.commands.retries as retries_command

    def broken(card: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(retries_command, "read_retries", broken)
    r = run("--lang", "en", "--emulator", "retries")
    assert r.code == Exit.ERROR and "boom" in r.err and len(r.err.strip().splitlines()) == 1


def test_help_follows_the_language() -> None:
    ja = run("--lang", "ja", "retries", "--help")
    assert ja.code == 0 and "試行回数を使わずに" in ja.out and "このメッセージを表示" in ja.out
    en = run("--lang", "en", "--help")
    assert en.code == 0 and "Never spends a PIN try" in en.out and "Show this message" in en.out
    assert "暗証番号" not in en.out


@pytest.mark.parametrize("args", [["-h"], ["retries", "-h"], ["emulator", "serve", "-h"]])
def test_short_help_option_everywhere(args: list[str]) -> None:
    r = run("--lang", "en", *args)
    assert r.code == 0 and "-h, --help" in r.out


WITHOUT_PYSCARD = """
import sys
sys.modules["smartcard"] = None  # as if pyscard or libpcsclite.so.1 were missing
from jpki.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", ["retries", "info", "readers", "doctor"])
def test_without_the_pcsc_library(command: str) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", WITHOUT_PYSCARD, *args],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    js = cli("--json", command)
    assert js.returncode == Exit.NO_CARD, js.stderr
    assert "Traceback" not in js.stderr
    doc = json.loads(js.stdout)
    if command == "doctor":
        assert (doc["missing"], doc["checks"][0]["code"]) == ("service", "no-library")
        assert "smartcard" in doc["checks"][0]["detail"]  # the import's own words
        text = cli("--lang", "en", command)
        assert "PC/SC library cannot be loaded" in text.stdout, text.stderr
    else:
        assert doc["error"]["code"] == "no-pcsc-library"
        ja = cli("--lang", "ja", command)
        assert "PC/SC ライブラリを読み込めません" in ja.stderr and "libpcsclite1" in ja.stderr
    virtual = cli("--json", "--emulator", "retries")
    assert virtual.returncode == 0, virtual.stderr


@pytest.mark.parametrize(
    ("name", "platform"),
    [("linux", "debian"), ("darwin", "macos"), ("win32", "windows"), ("cygwin", "windows")],
)
def test_doctor_picks_the_platform_it_runs_on(name: str, platform: str) -> None:
    from jpki.words.doctor import current_platform

    assert current_platform(name) == platform


def test_a_read_only_command_leaves_a_partial_state_file_as_written(tmp_path: Path) -> None:
    state = tmp_path / "card.json"
    partial = '{"pins": {"auth": {"remaining": 1}}}\n'
    state.write_text(partial, "utf-8")
    for command in (["retries"], ["info"], ["expiry"], ["cert", "show", "auth"]):
        assert run("--emulator", "--emulator-state", str(state), *command).code in (0, 6)
        assert state.read_text("utf-8") == partial
    missing = tmp_path / "none.json"
    assert run("--emulator", "--emulator-state", str(missing), "retries").code == 0
    assert not missing.exists()
    # A command that changes the card writes the state back.
    changed = run("--emulator", "--emulator-state", str(state), "verify-pin", "2", "--force",
                  input="1234\n")  # fmt: skip
    assert changed.code == 0, changed.err
    assert json.loads(state.read_text("utf-8"))["pins"]["auth"]["remaining"] == 3
