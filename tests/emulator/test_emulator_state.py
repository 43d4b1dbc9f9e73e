"""The virtual card's state file: defaults, round trips, partial files, errors naming the field."""

from __future__ import annotations

import dataclasses
import errno
import json
from pathlib import Path
from typing import Any

import pytest

from apdu.jsonfile import FileFault
from jpki import profile
from jpki.emulator import CardState, Holder, Quirks, StateError, load_state, save_state
from jpki.emulator.state import UNKNOWN_MAX
from jpki.emulator.statefile import FIELDS, HEADER, STATE_FORMAT, fields, text, to_document
from jpki.emulator.statefile import dumps as dumps_state
from jpki.emulator.statefile import loads as loads_state
from jpki.emulator.statefile import parse as parse_state


def test_defaults_are_documented_values() -> None:
    s = CardState()
    assert s == CardState()
    assert {k: v.value for k, v in s.pins.items()} == {
        "sign": "ABC123",
        "auth": "1234",
        "juki": "1234",
        "juki-common": "1234",
        "cardinfo": "1234",
        "cardinfo-a": "123456789011",
        "cardinfo-b": "60041020345678",
        "cardinfo-0012": "0000",
        "surface-a": "123456789011",
        "surface-b": "60041020345678",
        "surface-birth": "600410",
    }
    for key in profile.PIN_SLOTS:
        slot = s.pins[key.id]
        assert key.format.valid(slot.value)
        assert slot.max == (key.max_tries or UNKNOWN_MAX)
        assert slot.remaining == (0 if key.id == "cardinfo-0012" else slot.max)
    assert s.applications == [a.id for a in profile.APPLICATIONS]
    assert s.token.value == "card" and s.sign_certificate and not s.face_auth
    assert s.atr == "3BE000FF8131FE4514"
    assert s.latency_ms == 0


def test_default_my_number_has_a_valid_check_digit() -> None:
    digits = [int(c) for c in CardState().my_number]
    body = list(reversed(digits[:11]))
    total = sum(p * (n + 1 if n <= 6 else n - 6) for n, p in enumerate(body, 1))
    check = 0 if total % 11 <= 1 else 11 - total % 11
    assert digits[11] == check


def test_repr_hides_pin_values_and_my_number() -> None:
    text = repr(CardState())
    assert "ABC123" not in text and "value" not in text and "123456789011" not in text
    assert "remaining=5" in text


def test_json_round_trip() -> None:
    s = parse_state(
        {
            "pins": {"auth": {"remaining": 1}, "sign": {"value": "zz9999"}},
            "quirks": {"no_sfi": True, "answer_override": {"auth": "6a88"}},
            "holder": {"birth_date": "2000-02-29"},
            "latency_ms": 2.5,
        }
    )
    assert loads_state(dumps_state(s)) == s
    assert parse_state(json.loads(json.dumps(to_document(s)))) == s
    assert s.pins["sign"].value == "ZZ9999"  # ① is taken upper-case, as J-LIS does
    assert s.quirks.answer_override == {"auth": "6A88"}


def test_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    s = CardState()
    s.pins["auth"].remaining = 2
    save_state(s, path)
    save_state(s, path)  # replaces the file
    assert load_state(path) == s
    assert [p.name for p in tmp_path.iterdir()] == ["card.json"]  # no temporary left over
    assert json.loads(path.read_text("utf-8"))["pins"]["auth"] == {
        "value": "1234",
        "remaining": 2,
        "max": 3,
    }


def test_partial_file_keeps_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"pins": {"auth": {"remaining": 1}}, "token": "iphone"}', "utf-8")
    s = load_state(path)
    assert s.pins["auth"].remaining == 1 and s.pins["auth"].value == "1234"
    assert s.pins["sign"].remaining == 5
    assert s.token.value == "iphone"


@pytest.mark.parametrize(
    ("drop", "field"),
    [
        (("card_expiry",), "card_expiry"),
        (("holder", "birth_date"), "holder.birth_date"),
        (("pins", "auth"), "pins.auth"),
        (("pins", "juki-common", "remaining"), "pins.juki-common.remaining"),
        (("quirks", "no_sfi"), "quirks.no_sfi"),
    ],
)
def test_complete_file_with_a_missing_field_names_it(
    tmp_path: Path, drop: tuple[str, ...], field: str
) -> None:
    doc = to_document(CardState())
    inner = doc
    for name in drop[:-1]:
        inner = inner[name]
    del inner[drop[-1]]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc), "utf-8")
    with pytest.raises(StateError) as info:
        load_state(path)
    assert info.value.field == field and "missing" in str(info.value)
    del doc["format"]  # the same fields as changes to the defaults: fine
    path.write_text(json.dumps(doc), "utf-8")
    assert load_state(path).card_expiry.year == 2034


@pytest.mark.parametrize(
    "drop",
    [("certificates",), ("cert_filler",), ("quirks", "short_query_9000")],
)
def test_a_complete_file_holds_even_the_newest_fields(
    tmp_path: Path, drop: tuple[str, ...]
) -> None:
    """No field of a complete file is optional, however late it came (version 1 was
    never released without it)."""
    doc = to_document(CardState())
    inner = doc
    for name in drop[:-1]:
        inner = inner[name]
    del inner[drop[-1]]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc), "utf-8")
    with pytest.raises(StateError) as caught:
        load_state(path)
    assert (caught.value.field, caught.value.code) == (".".join(drop), "missing")


def test_max_without_remaining_is_clamped() -> None:
    s = parse_state({"pins": {"auth": {"max": 2}}})
    assert (s.pins["auth"].remaining, s.pins["auth"].max) == (2, 2)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"pins": {"auth": {"remaining": 4}}},
            "pins.auth.remaining: must be a whole number from 0 to 3",
        ),
        (
            {"pins": {"auth": {"remaining": True}}},
            "pins.auth.remaining: must be a whole number from 0 to 3",
        ),
        (
            {"pins": {"auth": {"remaining": "3"}}},
            "pins.auth.remaining: must be a whole number from 0 to 3",
        ),
        ({"pins": {"sign": {"max": 16}}}, "pins.sign.max: must be a whole number from 1 to 15"),
        (
            {"pins": {"auth": {"max": 2, "remaining": 3}}},
            "pins.auth.remaining: must be a whole number from 0 to 2",
        ),
        (
            {"pins": {"auth": {"value": "12a4"}}},
            "pins.auth.value: does not fit the key's format (digits4)",
        ),
        ({"pins": {"auth": {"value": 1234}}}, 'pins.auth.value: must be of the form "…"'),
        ({"pins": {"sign": {"value": "ABCDEF"}}}, "pins.sign.value: does not fit"),
        ({"pins": {"cardinfo-b": {"value": "1234"}}}, "pins.cardinfo-b.value: does not fit"),
        ({"pins": {"auth": {"tries": 1}}}, "pins.auth.tries: unknown field"),
        ({"pins": {"pin5": {}}}, "pins.pin5: unknown field"),
        ({"pins": {"auth": 3}}, "pins.auth: must be of the form {…}"),
        ({"pins": []}, "pins: must be of the form {…}"),
        (
            {"holder": {"birth_date": "1985-13-01"}},
            "holder.birth_date: must be written like 2034-04-10",
        ),
        (
            {"holder": {"birth_date": "19850410"}},
            "holder.birth_date: must be written like 2034-04-10",
        ),
        ({"holder": {"sex": "F"}}, "holder.sex: must be one of 1, 2, 9"),
        ({"holder": {"name": " "}}, "holder.name: must not be empty"),
        ({"holder": {"age": 3}}, "holder.age: unknown field"),
        ({"card_expiry": "2024-01-01"}, "card_expiry: must be after cert_issued"),
        ({"cert_issued": "1980-01-01"}, "cert_issued: must be after holder.birth_date"),
        ({"serial": "12345"}, "serial: must be written like 123456789012345"),
        ({"municipality": 13101}, 'municipality: must be of the form "…"'),
        ({"my_number": "12345678901X"}, "my_number: must be written like 123456789011"),
        ({"token": "phone"}, "token: must be one of card, android, iphone, juki-card"),
        ({"applications": ["jpki", "foo"]}, "applications[1]: must be one of jpki, "),
        ({"applications": ["jpki", "jpki"]}, "applications[1]: given twice"),
        ({"applications": "jpki"}, "applications: must be of the form […]"),
        ({"sign_certificate": "yes"}, "sign_certificate: must be of the form true/false"),
        ({"quirks": {"no_sfi": 1}}, "quirks.no_sfi: must be of the form true/false"),
        ({"quirks": {"fast": True}}, "quirks.fast: unknown field"),
        (
            {"quirks": {"answer_override": {"auth": "6A8"}}},
            "quirks.answer_override.auth: must be written like 6A88",
        ),
        ({"quirks": {"answer_override": {"x": "6A88"}}}, "quirks.answer_override.x: unknown field"),
        ({"latency_ms": -1}, "latency_ms: must be a number from 0 to 60000"),
        ({"latency_ms": float("nan")}, "latency_ms: must be a number from 0 to 60000"),
        ({"atr": "00 11"}, "atr: must be written like 3BE000FF8131FE4514"),
        ({"atr": "3B"}, "atr: must be written like 3BE000FF8131FE4514"),
        ({"version": 2}, "version: must be one of 1"),
        ({"format": "other"}, "format: must be one of jpkitool-virtual-card"),
        ({"colour": "red"}, "colour: unknown field"),
    ],
)
def test_errors_name_the_field(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(StateError) as caught:
        parse_state(doc)
    assert str(caught.value).startswith(message), str(caught.value)
    assert caught.value.field == message.split(":")[0]


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(StateError) as caught:
        loads_state("[]")
    assert str(caught.value) == "must be of the form {…}" and caught.value.field == ""


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "token": "card",\n  "serial": 12\n  "x": 1\n}\n', "utf-8")
    with pytest.raises(StateError) as caught:
        load_state(path)
    text = str(caught.value)
    assert text == f"{path}:4: not valid JSON at column 3"
    assert (caught.value.line, caught.value.params) == (4, {"column": 3})


def test_load_state_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"pins": {"auth": {"remaining": 9}}}', "utf-8")
    with pytest.raises(StateError) as caught:
        load_state(path)
    assert str(caught.value) == f"{path}: pins.auth.remaining: must be a whole number from 0 to 3"
    assert caught.value.path == str(path)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(StateError) as caught:
        load_state(tmp_path / "missing.json")
    assert (caught.value.code, caught.value.params["errno"]) == ("os", errno.ENOENT)
    assert caught.value.path == str(tmp_path / "missing.json")


def test_the_file_keeps_its_layout() -> None:
    doc = to_document(CardState())
    assert list(doc) == [
        "format",
        "version",
        "atr",
        "token",
        "applications",
        "sign_certificate",
        "face_auth",
        "serial",
        "municipality",
        "card_expiry",
        "cert_issued",
        "my_number",
        "holder",
        "pins",
        "quirks",
        "latency_ms",
        "certificates",
        "cert_filler",
    ]
    assert list(doc["holder"]) == [
        "name",
        "name_kana",
        "birth_date",
        "sex",
        "address",
        "prefecture_en",
        "city_en",
    ]
    assert list(doc["quirks"]) == [
        "verified_query_9000",
        "blocked_query_6984",
        "no_extended",
        "no_sfi",
        "get_response",
        "answer_override",
        "power_up_6f00",
        "sticky_verified",
        "change_not_kept",
        "short_query_9000",
    ]
    assert list(doc["pins"]) == [k.id for k in profile.PIN_SLOTS]
    assert list(doc["pins"]["auth"]) == ["value", "remaining", "max"]
    assert (doc["format"], doc["version"], doc["card_expiry"]) == (STATE_FORMAT, 1, "2034-04-10")
    assert doc["holder"]["birth_date"] == "1985-04-10" and doc["token"] == "card"
    assert json.loads(dumps_state(CardState())) == doc


def test_every_field_is_in_the_table_in_the_order_of_the_dataclasses() -> None:
    records = {"holder": Holder, "quirks": Quirks}
    assert [p for p in FIELDS if p not in HEADER and "." not in p] == [
        f.name for f in dataclasses.fields(CardState) if f.name not in records
    ] and list(HEADER) == list(FIELDS)[:2]
    for part, cls in records.items():
        assert [p.split(".")[1] for p in FIELDS if p.startswith(f"{part}.")] == [
            f.name for f in dataclasses.fields(cls)
        ], cls


def fault(check: Any, *args: Any) -> tuple[str, str, dict[str, Any]]:
    with pytest.raises(FileFault) as caught:
        check(*args)
    return caught.value.field, caught.value.code, caught.value.params


def test_fields_refuses_unknown_keys_and_in_a_complete_object_missing_ones() -> None:
    assert fields({"a": 1}, "r", ("a", "b")) == {"a": 1}
    assert fault(fields, {"c": 1}, "r", ("a", "b")) == ("r.c", "unknown", {})
    assert fault(fields, {"a": 1}, "r", ("a", "b"), True) == ("r.b", "missing", {})
    assert fault(fields, {"c": 1}, "", ("a",)) == ("c", "unknown", {})
    assert fault(fields, [], "r", ("a",)) == ("r", "type", {"shape": "{…}"})


def test_text_is_not_blank() -> None:
    assert text("架空", "n") == "架空"
    assert fault(text, " \t", "n") == ("n", "empty", {})
    assert fault(text, 3, "n")[1] == "type"
