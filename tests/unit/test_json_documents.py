"""One serialisation (docs/json.md): what ``--json`` prints is the library result's
``to_dict()``, nothing added; every document, errors and usage errors included,
starts with ``schema_version``; and the fixes and library edges that came with it.
In-process, on the virtual card, no pcscd."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import jpki
from cli_runner import Run, jpkitool_inprocess
from jpki import open_emulator
from jpki.card import MyNumberCard
from jpki.cardcerts import read_certificate, read_chain
from jpki.certificate import PersonalFields
from jpki.cli.failures import Exit, classify
from jpki.emulator import CardState, StateError
from jpki.errors import PinFormatError, PinRequestError
from jpki.expiry import MAX_WARN_DAYS, read_expiry
from jpki.info import read_info
from jpki.jst import iso_utc
from jpki.retries import read_retries
from jpki.schema import SCHEMA_VERSION

NOW_TEXT = "2026-12-07T00:00:00Z"
NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)


def cli(*args: str, input: str = "") -> Run:
    return jpkitool_inprocess("--emulator", "--json", "--lang", "en", "--now", NOW_TEXT, *args,
                              input=input)  # fmt: skip


# -- the printed document is the library's to_dict() -----------------------------------


def _verify(card: MyNumberCard) -> dict[str, Any]:
    return jpki.verify_pin(card, "2", "1234").to_dict()


def _change(card: MyNumberCard) -> dict[str, Any]:
    return jpki.change_pin(card, "2", "1234", "5039").to_dict()


#: (command line, standard input, the library's document of the same call)
SAME: list[tuple[list[str], str, Callable[[MyNumberCard], dict[str, Any]]]] = [
    (["retries"], "", lambda c: read_retries(c).to_dict()),
    (["retries", "juki", "1"], "", lambda c: read_retries(c, ["juki", "1"]).to_dict()),
    (["info"], "", lambda c: read_info(c).to_dict()),
    (["expiry"], "", lambda c: read_expiry(c, NOW).to_dict()),
    (["expiry", "--warn-days", "0"], "", lambda c: read_expiry(c, NOW, 0).to_dict()),
    (["expiry", "--sign"], "ABC123\n",
     lambda c: read_expiry(c, NOW, sign=True, sign_pin="ABC123").to_dict()),
    (["cert", "show", "auth"], "", lambda c: read_chain(c, "auth", NOW).certificate.to_dict()),
    (["cert", "show", "sign-ca"], "",
     lambda c: read_chain(c, "sign-ca", NOW).certificate.to_dict()),
    (["cert", "show", "sign"], "ABC123\n",
     lambda c: read_chain(c, "sign", NOW, sign_pin="ABC123").certificate.to_dict()),
    (["cert", "show", "sign", "--show-personal"], "ABC123\n",
     lambda c: read_chain(c, "sign", NOW, sign_pin="ABC123").certificate.to_dict(personal=True)),
    (["verify-pin", "2"], "1234\n", _verify),
    (["change-pin", "2"], "1234\n5039\n5039\n", _change),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "answers", "library"), SAME, ids=[" ".join(a) for a, _, _ in SAME]
)
def test_the_printed_document_is_the_library_results_to_dict(
    args: list[str], answers: str, library: Callable[[MyNumberCard], dict[str, Any]]
) -> None:
    run = cli(*args, input=answers)
    assert run.code == 0, run.err
    with open_emulator() as card:
        expected = library(card)
    assert run.json == expected
    assert next(iter(run.json)) == "schema_version"


def test_a_wrong_pin_prints_the_result_with_the_error_alone_added() -> None:
    run = cli("verify-pin", "2", input="9999\n")
    assert run.code == Exit.WRONG_PIN
    with open_emulator() as card, pytest.raises(jpki.WrongPinError) as caught:
        jpki.verify_pin(card, "2", "9999")
    result = caught.value.result  # type: ignore[attr-defined]
    doc = run.json
    error = doc.pop("error")
    assert doc == result.to_dict()
    assert (error["code"], error["remaining"]) == ("wrong-pin", 2) and error["message"]


# -- schema_version everywhere ----------------------------------------------------------

DOCUMENTS = [
    ["--emulator", "--json", "retries"],
    ["--emulator", "--json", "info"],
    ["--emulator", "--json", "expiry"],
    ["--emulator", "--json", "cert", "show", "auth"],
    ["--emulator", "--json", "cert", "export", "auth"],
    ["--emulator", "--json", "cert", "export", "auth", "--format", "der"],
    ["--emulator", "--json", "readers"],
    ["--emulator", "--json", "doctor"],
]
ERRORS = [
    ["--json", "retries", "--bogus"],  # unknown option (click)
    ["--json", "bogus"],  # unknown command
    ["--json"],  # no command
    ["--json", "--emulator", "expiry", "--warn-days", "99999"],  # a bad value (click)
    ["--json", "--emulator", "verify-pin", "1", "2"],  # our own usage check
    ["--json", "--emulator-state", "x.json", "retries"],  # option conflict, before the app
    ["--json", "--replay", "no-such-file.jsonl", "retries"],  # a runtime error
    ["--json", "--emulator", "verify-pin", "2"],  # no PIN on standard input
    ["retries", "--json", "--lang=xx"],  # a bad global option after the command
]


@pytest.mark.parametrize("args", DOCUMENTS, ids=[" ".join(a) for a in DOCUMENTS])
def test_every_document_starts_with_the_schema_version(args: list[str]) -> None:
    run = jpkitool_inprocess(*args)
    assert run.code == 0, run.err
    assert next(iter(run.json)) == "schema_version" and run.json["schema_version"] == 1


@pytest.mark.parametrize("args", ERRORS, ids=[" ".join(a) for a in ERRORS])
def test_every_error_is_the_same_document_printed_the_same_way(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = jpkitool_inprocess(*args)
    assert run.code != 0 and run.err == ""
    doc = run.json
    assert list(doc) == ["schema_version", "error"] and doc["schema_version"] == SCHEMA_VERSION
    assert set(doc["error"]) == {"code", "message"} and doc["error"]["message"]
    # Formatted as every other document: indented, one trailing newline.
    assert run.out == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def test_the_schema_version_is_one_constant() -> None:
    assert SCHEMA_VERSION == 1
    with open_emulator() as card:
        docs = [read_retries(card).to_dict(), read_info(card).to_dict()]
        docs.append(read_expiry(card, NOW).to_dict())
        docs.append(read_certificate(card, "auth").to_dict())
        docs.append(read_chain(card, "auth", NOW).to_dict())
    assert [d["schema_version"] for d in docs] == [SCHEMA_VERSION] * 5
    nested = docs[-1]
    assert "schema_version" not in nested["certificate"] and "schema_version" not in nested["ca"]


# -- the probe's findings ----------------------------------------------------------------


def test_times_are_whole_seconds() -> None:
    when = dt.datetime(2026, 12, 7, 4, 30, 3, 746171, tzinfo=dt.UTC)
    assert iso_utc(when) == "2026-12-07T04:30:03Z"
    jst = when.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert iso_utc(jst) == "2026-12-07T04:30:03Z"
    run = jpkitool_inprocess("--emulator", "--json", "expiry")  # now: the clock, not --now
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", run.json["now"]), run.json["now"]


@pytest.mark.parametrize("form", ["der", "pem"])
def test_cert_export_json_carries_the_format_asked_for(form: str, tmp_path: Path) -> None:
    with open_emulator() as card:
        der = read_certificate(card, "auth").info.der
    run = cli("cert", "export", "auth", "--format", form)
    assert run.code == 0, run.err
    doc = run.json
    assert (doc["kind"], doc["format"], doc["path"], doc["verified"]) == ("auth", form, None, None)
    if form == "der":
        assert "pem" not in doc
        assert base64.b64decode(doc["der_base64"]) == der and doc["bytes"] == len(der)
    else:
        assert "der_base64" not in doc
        assert doc["pem"].startswith("-----BEGIN CERTIFICATE-----")
        assert doc["bytes"] == len(doc["pem"].encode())
    out = tmp_path / f"auth.{form}"
    written = cli("cert", "export", "auth", "--format", form, "-o", str(out))
    assert written.code == 0, written.err
    assert written.json["path"] == str(out) and written.json["bytes"] == out.stat().st_size
    assert "pem" not in written.json and "der_base64" not in written.json


def _holder(birth_date: str | None, sex: str | None = "1") -> PersonalFields:
    return PersonalFields("架空 太郎", None, sex, birth_date, "東京都", None)


@pytest.mark.parametrize(
    ("raw", "day", "era"),
    [
        ("118680125", "1868-01-25", "meiji"),
        ("219120730", "1912-07-30", "taisho"),
        ("319850410", "1985-04-10", "showa"),
        ("419890108", "1989-01-08", "heisei"),
        ("520190501", "2019-05-01", "reiwa"),
        ("920190501", "2019-05-01", None),  # an era digit no table gives
        ("31985041", None, None),  # too short
        ("3198504１0", None, None),  # not ASCII digits
        (None, None, None),
    ],
)
def test_the_birth_date_and_its_era(raw: str | None, day: str | None, era: str | None) -> None:
    p = _holder(raw)
    assert (p.birth_day, p.era) == (day, era)


def test_the_sign_certificate_gives_birth_date_and_era_apart() -> None:
    run = cli("cert", "show", "sign", "--show-personal", input="ABC123\n")
    assert run.code == 0, run.err
    personal = run.json["personal"]
    assert (personal["birth_date"], personal["era"], personal["sex"]) == (
        "1985-04-10",
        "showa",
        "female",
    )
    text = jpkitool_inprocess("--emulator", "--lang", "ja", "cert", "show", "sign",
                              "--show-personal", input="ABC123\n")  # fmt: skip
    assert "1985-04-10 (昭和)" in text.out


@pytest.mark.parametrize(
    ("code", "name"), [("1", "male"), ("2", "female"), ("9", "not-applicable"), ("0", "unknown"),
                       ("7", "7"), (None, None)]
)  # fmt: skip
def test_the_sex_by_name(code: str | None, name: str | None) -> None:
    assert _holder("319850410", code).sex_name == name


# -- library edges -------------------------------------------------------------------------


def _remaining(state: CardState, key: str) -> int:
    return state.pins[key].remaining


def test_a_bytes_pin_is_read_as_ascii() -> None:
    state = CardState()
    with open_emulator(state) as card:
        assert jpki.verify_pin(card, "2", b"1234").done[0].id == "auth"
        assert jpki.change_pin(card, "2", b"1234", b"5039").done[0].id == "auth"
        assert jpki.change_pin(card, ["2", "4"], {"auth": b"5039", "cardinfo": "1234"},
                               "4821").done  # fmt: skip
        cert = read_certificate(card, "sign", sign_pin=b"abc123")
    assert cert.verified is not None and state.pins["auth"].value == "4821"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (b"12\xff4", PinFormatError),  # bytes, not ASCII: as a str that is no PIN
        ("１２３４", PinFormatError),  # the same for text
        (1234, PinRequestError),
        (bytearray(b"1234"), PinRequestError),
        (None, PinRequestError),
        (["1234"], PinRequestError),
    ],
)
def test_anything_else_is_refused_before_the_card(value: object, error: type) -> None:
    state = CardState()
    with open_emulator(state) as card:
        start = card.apdu_count
        with pytest.raises(error) as caught:
            jpki.verify_pin(card, "2", value)  # type: ignore[arg-type]
        with pytest.raises(error):
            jpki.change_pin(card, "2", "1234", value)  # type: ignore[arg-type]
        with pytest.raises(error):
            jpki.change_pin(card, "2", value, "5039")  # type: ignore[arg-type]
        assert card.apdu_count == start
    assert _remaining(state, "auth") == 3
    if error is PinRequestError:
        assert caught.value.reason == "pin-type"  # type: ignore[attr-defined]
        assert classify(caught.value).exit == Exit.USAGE
    assert "1234" not in str(caught.value)


@pytest.mark.parametrize("warn_days", [-1, MAX_WARN_DAYS + 1, True, "90", 1.5, None])
def test_read_expiry_bounds_warn_days_as_the_cli_does(warn_days: object) -> None:
    with open_emulator() as card:
        start = card.apdu_count
        with pytest.raises(PinRequestError) as caught:
            read_expiry(card, NOW, warn_days)  # type: ignore[arg-type]
        assert card.apdu_count == start
    assert caught.value.reason == "warn-days"
    failure = classify(caught.value)
    assert failure.exit == Exit.USAGE == cli("expiry", "--warn-days", str(MAX_WARN_DAYS + 1)).code
    assert failure.code == "usage" and str(warn_days) in failure.message


@pytest.mark.parametrize("warn_days", [0, MAX_WARN_DAYS])
def test_read_expiry_takes_the_ends_of_the_range(warn_days: int) -> None:
    with open_emulator() as card:
        assert read_expiry(card, NOW, warn_days).warn_days == warn_days


def test_open_emulator_takes_a_state_document() -> None:
    doc = {"pins": {"auth": {"remaining": 1}, "cardinfo": {"remaining": 0}}}
    with open_emulator(doc) as card:
        report = read_retries(card)
    assert (report.pin("auth").remaining, report.pin("cardinfo").locked) == (1, True)
    with pytest.raises(StateError), open_emulator({"pins": {"auth": {"remaining": -1}}}):
        pass
    with pytest.raises(StateError), open_emulator([1]):  # type: ignore[arg-type]
        pass


@pytest.mark.parametrize("as_text", [True, False])
def test_open_emulator_takes_a_state_files_path(tmp_path: Path, as_text: bool) -> None:
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"pins": {"auth": {"remaining": 2}}}), "utf-8")
    where: str | Path = str(path) if as_text else path
    with open_emulator(where) as card:
        assert read_retries(card, "auth").pin("auth").remaining == 2
        with pytest.raises(jpki.WrongPinError):
            jpki.verify_pin(card, "2", "9999")
    saved = json.loads(path.read_text("utf-8"))
    assert saved["pins"]["auth"]["remaining"] == 1  # the change is saved back
