"""The library's results print short and turn into plain JSON-ready data.

``repr`` names ids, counts and states, never the profile's ``Application``/``PinSlot``/
``Pin`` objects, certificate bytes or personal data; ``to_dict()`` survives a
``json.dumps``/``json.loads`` round trip unchanged (lists, not tuples; strings for
times and status words) and holds every field the CLI's ``--json`` prints.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from typing import Any

import pytest

import jpki
from jpki import open_emulator
from jpki.cardcerts import read_certificate, read_chain
from jpki.emulator import CardState, build_state
from jpki.expiry import read_expiry
from jpki.info import read_info
from jpki.pinplan import plan_change
from jpki.retries import read_retries

NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
#: What a short repr never shows.
DUMPS = ("Application(", "PinSlot(", "Pin(", "PinFormat(", "Change.", "b'", 'b"', "datetime.")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
SW = re.compile(r"^[0-9A-F]{4}$")


def assert_short(obj: object, limit: int = 600) -> str:
    text = repr(obj)
    assert len(text) < limit, text
    for dump in DUMPS:
        assert dump not in text, text
    assert str(obj) == text
    return text


def assert_plain(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready: a round trip gives the same value back; times and status words as text."""
    assert json.loads(json.dumps(data)) == data

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key == "sw" and value is not None:
            assert SW.match(value), value
        elif key in ("not_after", "not_before", "now", "auth_certificate_expiry") and value:
            assert ISO_Z.match(value), value

    walk(data)
    return data


# -- retries ------------------------------------------------------------------------


def test_retries_report_is_short_and_plain() -> None:
    with open_emulator() as card:
        report = read_retries(card)
    text = assert_short(report)
    assert text.startswith("RetriesReport(reader='jpkitool virtual card', token='card', pins=[")
    assert "sign 5/5 usable, auth 3/3 usable, juki 3/3 usable" in text
    assert text.endswith(f"apdus={report.apdus})")
    data = assert_plain(report.to_dict())
    assert data["token"] == "card" and data["any_locked"] is False
    assert data["pins"][0] == {
        "id": "sign",
        "no": 1,
        "remaining": 5,
        "max": 5,
        "locked": False,
        "state": "usable",
        "sw": "63C5",
        "keys": [
            {
                "id": "sign",
                "application": "jpki",
                "remaining": 5,
                "max": 5,
                "locked": False,
                "state": "usable",
                "sw": "63C5",
                "note": None,
            }
        ],
        "keys_differ": False,
    }
    assert data["schema_version"] == 1 and data["guidance"] == []


def test_pin_and_key_status_reprs() -> None:
    state = build_state(remaining={"juki-common": 1, "sign": 0}, answer={"auth": "9000"})
    with open_emulator(state) as card:
        report = read_retries(card)
    juki = report.pin("juki")
    assert_short(juki, 250)
    assert repr(juki) == (
        "PinStatus(id='juki', no=3, remaining=1, max_tries=3, state='last-try', sw='63C1', "
        "keys=[juki-common 1/3 last-try, juki 3/3 usable], keys_differ=True)"
    )
    assert repr(juki.keys[0]) == (
        "KeyStatus(key='juki-common', remaining=1, max_tries=3, state='last-try', sw='63C1')"
    )
    auth = report.pin("auth")
    assert repr(auth.keys[0]) == (
        "KeyStatus(key='auth', remaining=None, max_tries=3, state='unknown', sw='9000', "
        "note='verified')"
    )
    text = assert_short(report)
    assert "sign 0/5 locked" in text and "auth ?/3 unknown" in text
    assert "juki 1/3 last-try (keys differ)" in text
    data = assert_plain(report.to_dict())
    assert data["any_locked"] is True
    assert assert_plain(auth.to_dict())["keys"][0]["note"] == "verified"
    assert [g["code"] for g in data["guidance"]][:2] == ["locked", "office"]


# -- PIN commands -------------------------------------------------------------------


def test_change_result_is_short_and_plain() -> None:
    with open_emulator() as card:
        result = jpki.change_pin(card, ["2", "3"], "1234", "5039", experimental=True)
    text = assert_short(result)
    assert text == (
        "PinCommandResult(operation='change', reader='jpkitool virtual card', token='card', "
        f"pins=[auth changed, juki (juki-common changed, juki changed)], apdus={result.apdus})"
    )
    assert "1234" not in text and "5039" not in text
    assert repr(result.pins[1]) == (
        "PinResult(pin='juki', done=True, keys=[juki-common changed, juki changed])"
    )
    assert repr(result.pins[0].keys[0]) == (
        "KeyResult(key='auth', outcome='changed', sw='9000', before=3/3 usable, after=3/3 usable)"
    )
    data = assert_plain(result.to_dict())
    assert data["changed"] == ["auth", "juki"] and data["not_changed"] == []
    assert data["pins"][0]["keys"][0]["before"]["remaining"] == 3
    assert data["schema_version"] == 1 and "schema_version" not in data["pins"][0]
    assert "1234" not in json.dumps(data) and "5039" not in json.dumps(data)


def test_the_result_of_a_wrong_pin_is_short_and_plain() -> None:
    with open_emulator() as card, pytest.raises(jpki.WrongPinError) as err:
        jpki.verify_pin(card, "juki", "9999")
    result = err.value.result
    assert isinstance(result, jpki.PinCommandResult)
    text = assert_short(result)
    assert "pins=[juki (juki-common wrong, juki not-tried)]" in text
    assert "9999" not in text
    key = result.pins[0].keys[0]
    assert repr(key) == (
        "KeyResult(key='juki-common', outcome='wrong', sw='63C2', before=3/3 usable, "
        "after=2/3 usable)"
    )
    assert repr(result.pins[0].keys[1]).endswith("sw=None, before=3/3 usable, after=None)")
    data = assert_plain(result.to_dict())
    assert data["verified"] == [] and data["not_verified"] == ["juki"]
    assert data["pins"][0]["keys"][1]["after"] is None
    assert data["schema_version"] == 1 and "schema_version" not in data["pins"][0]


def test_a_plan_shows_ids_and_no_values() -> None:
    text = assert_short(plan_change("juki", "8264", "7049", experimental=True))
    assert text == (
        "PinPlan(operation='change', pins=['juki'], keys={'juki': ['juki-common', 'juki']}, "
        "warnings=())"
    )


# -- info -------------------------------------------------------------------------


def test_card_info_is_short_and_plain() -> None:
    with open_emulator() as card:
        info = read_info(card)
    text = assert_short(info)
    assert text == (
        "CardInfo(reader='jpkitool virtual card', token='card', "
        "applications=[jpki, cardinfo, surface, juki, common], sign_certificate=True, "
        "card_expiry='2034-04-10', auth_not_after='2029-04-10T14:59:59Z')"
    )
    assert info.record is not None and info.record.serial not in text
    assert repr(info.applications[0]) == "AppPresence(app='jpki', present=True, sw='9000')"
    data = assert_plain(info.to_dict())
    assert data["card_expiry"] == "2034-04-10"
    assert data["auth_certificate_expiry"] == "2029-04-10T14:59:59Z"
    assert info.record.serial not in json.dumps(data)
    assert data["schema_version"] == 1 and "days_left" not in data


def test_card_info_of_a_card_missing_applications() -> None:
    state = build_state(applications=["jpki"], token="juki-card", sign_certificate=False)
    with open_emulator(state) as card:
        info = read_info(card)
    text = assert_short(info)
    assert "applications=[jpki, cardinfo absent," in text
    assert "card_expiry=None" in text
    assert assert_plain(info.to_dict())["card_expiry"] is None


# -- certificates and expiry ------------------------------------------------------------


def test_expiry_report_is_short_and_plain() -> None:
    with open_emulator() as card:
        report = read_expiry(card, NOW, sign=True, sign_pin="ABC123")
    text = assert_short(report)
    assert text.startswith(
        "ExpiryReport(reader='jpkitool virtual card', now='2026-11-25T03:00:00Z', "
        "warn_days=90, worst='ok', items=[card 2034-04-10T14:59:59Z "
    )
    assert repr(report.item("auth")) == (
        "ExpiryItem(id='auth', not_after='2029-04-10T14:59:59Z', days_left="
        f"{report.item('auth').days_left}, state='ok')"
    )
    data = assert_plain(report.to_dict())
    assert [i["id"] for i in data["items"]] == ["card", "auth", "sign"]
    assert data["verified"]["verified"] == ["sign"] and "schema_version" not in data["verified"]


def test_expiry_items_without_a_date() -> None:
    state = build_state(sign_certificate=False, applications=["jpki", "juki"])
    with open_emulator(state) as card:
        report = read_expiry(card, NOW, sign=True)
    text = assert_short(report)
    assert "card ? ? unknown (estimate " in text and "sign ? ? unknown (absent)" in text
    assert repr(report.item("sign")) == (
        "ExpiryItem(id='sign', not_after=None, days_left=None, state='unknown', absent=True)"
    )
    data = assert_plain(report.to_dict())
    assert data["items"][0]["estimate"] is not None
    assert data["verified"] is None


def test_certificates_and_chains_are_short_and_plain() -> None:
    with open_emulator() as card:
        cert = read_certificate(card, "auth")
        chain = read_chain(card, "auth", NOW)
    text = assert_short(cert)
    assert text == (
        f"CardCertificate(kind='auth', serial='{cert.info.serial:X}', "
        f"not_after='2029-04-10T14:59:59Z', sha256='{cert.info.sha256[:11]}...')"
    )
    assert cert.info.der.hex()[:16] not in text.lower()
    data = assert_plain(cert.to_dict())
    assert data["sha256"] == cert.info.sha256 and data["personal"] is None
    assert data["subject"] == cert.info.subject
    chain_text = assert_short(chain)
    assert chain_text.startswith("CertificateChain(status='not-j-lis-root', root=None, ")
    chain_data = assert_plain(chain.to_dict())
    assert chain_data["result"] == chain.result.to_dict() == chain_data["certificate"]["chain"]
    assert chain_data["ca"]["kind"] == "auth-ca"


def test_the_sign_certificate_hides_the_holder() -> None:
    state = CardState()
    holder = state.holder
    with open_emulator(state) as card:
        cert = read_certificate(card, "sign", sign_pin="ABC123")
    text = assert_short(cert)
    assert text.endswith(", verified=True)")
    data = assert_plain(cert.to_dict())
    dumped = json.dumps(data, ensure_ascii=False)
    for secret in (holder.name, holder.address):
        assert secret not in text and secret not in dumped
    assert data["personal"] == "<hidden>" and "L=<hidden>" in data["subject"]
    assert data["verified"]["verified"] == ["sign"]
    shown = assert_plain(cert.to_dict(personal=True))
    assert shown["personal"]["name"] == holder.name
    assert shown["subject"] == cert.info.subject


def test_the_fields_are_unchanged() -> None:
    """The reprs were added; the dataclasses keep their fields and equality."""
    from jpki.cardcerts import CardCertificate
    from jpki.expiry import ExpiryReport
    from jpki.info import CardInfo
    from jpki.retries import RetriesReport

    def names(cls: Any) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    assert names(RetriesReport) == ["reader", "token", "pins", "apdus"]
    assert names(CardInfo) == [
        "reader",
        "atr",
        "token",
        "applications",
        "sign_certificate",
        "record",
        "auth_not_after",
    ]
    assert names(ExpiryReport) == ["reader", "now", "warn_days", "items", "verified"]
    assert names(CardCertificate) == ["kind", "info", "verified", "chain", "checked_at"]
    with open_emulator() as one, open_emulator() as two:
        assert read_retries(one) == read_retries(two)
