"""``jpkitool retries`` end to end: subprocess → pyscard → pcscd → vpcd → virtual card.

Each scenario checks Japanese text, English text, JSON and the exit status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cli_runner import Run, jpkitool

pytestmark = pytest.mark.pcscd

Serve = Callable[..., str]


def three_ways(reader: str, env: dict[str, str]) -> tuple[Run, Run, Run]:
    ja = jpkitool("--lang", "ja", "--reader", reader, "retries", env=env)
    en = jpkitool("--lang", "en", "--reader", reader, "retries", env=env)
    js = jpkitool("--json", "--reader", reader, "retries", env=env)
    return ja, en, js


def pins(run: Run) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in run.json["pins"]}


def row(text: str, marker: str) -> str:
    return next(line for line in text.splitlines() if marker in line)


def test_fresh_card(virtual_card_reader: str, pcsc_env: dict[str, str]) -> None:
    reader = virtual_card_reader
    ja, en, js = three_ways(reader, pcsc_env)
    assert (ja.code, en.code, js.code) == (0, 0, 0), ja.err + en.err + js.err
    assert "① 署名用電子証明書の暗証番号" in ja.out
    assert "5/5" in row(ja.out, "①") and "利用可" in row(ja.out, "①")
    assert "3/3" in row(ja.out, "④")
    assert "usable" in row(en.out, "① Signature") and "5/5" in row(en.out, "① Signature")
    doc = js.json
    assert doc["reader"] == reader and doc["token"] == "card"
    ids = [p["id"] for p in doc["pins"]]
    assert ids == [
        "sign", "auth", "juki", "cardinfo",
        "cardinfo-a", "cardinfo-b", "surface-a", "surface-b",
    ]  # fmt: skip
    assert [p["no"] for p in doc["pins"]][:4] == [1, 2, 3, 4]
    for p in doc["pins"][:4]:
        assert p["remaining"] == p["max"] and p["locked"] is False
    assert "ロック" not in ja.out and "市区町村" not in ja.out


def test_sign_two_of_five_and_auth_last_try(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    reader = serve_virtual_card(remaining={"sign": 2, "auth": 1})
    ja, en, js = three_ways(reader, pcsc_env)
    assert (ja.code, en.code, js.code) == (0, 0, 0)
    assert "2/5" in row(ja.out, "①")
    assert "1/3" in row(ja.out, "②") and "あと1回" in row(ja.out, "②")
    assert "推測で入力しないでください" in ja.out
    assert "LAST TRY" in row(en.out, "② User-authentication")
    assert "Do not guess" in en.out
    p = pins(js)
    assert (p["sign"]["remaining"], p["sign"]["max"]) == (2, 5)
    assert (p["auth"]["remaining"], p["auth"]["max"], p["auth"]["state"]) == (1, 3, "last-try")


def test_cardinfo_locked(serve_virtual_card: Serve, pcsc_env: dict[str, str]) -> None:
    reader = serve_virtual_card(remaining={"cardinfo": 0})
    ja, en, js = three_ways(reader, pcsc_env)
    assert (ja.code, en.code, js.code) == (4, 4, 4)
    assert "ロック中" in row(ja.out, "④")
    assert "市区町村の窓口" in ja.out and "0120-95-0178" in ja.out
    assert "法定代理人" in ja.out
    assert "LOCKED" in row(en.out, "④")
    assert "municipal office" in en.out
    # ① is not locked, so no kiosk route is offered
    assert "キオスク" not in ja.out
    p = pins(js)
    assert (p["cardinfo"]["remaining"], p["cardinfo"]["locked"]) == (0, True)
    assert p["auth"]["locked"] is False


def test_sign_locked_offers_the_kiosk_route(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    reader = serve_virtual_card(remaining={"sign": 0})
    ja, en, js = three_ways(reader, pcsc_env)
    assert (ja.code, en.code, js.code) == (4, 4, 4)
    assert "JPKI暗証番号リセットアプリ" in ja.out and "24時間以内" in ja.out
    assert "23:00〜6:30" in ja.out
    assert "convenience-store kiosk" in en.out
    assert pins(js)["sign"]["locked"] is True


def test_kiosk_route_follows_which_of_sign_and_auth_is_locked(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    # ② locked, ① usable: the office and the kiosk route for ②, which not every store offers
    reader = serve_virtual_card(remaining={"auth": 0})
    ja, en, js = three_ways(reader, pcsc_env)
    assert (ja.code, en.code, js.code) == (4, 4, 4)
    assert "市区町村の窓口" in ja.out and "JPKI暗証番号リセットアプリ" in ja.out
    assert "すべての店舗・事業者で利用できるわけではありません" in ja.out
    assert "municipal office" in en.out and "not every store or operator" in en.out
    assert "平日 9:30〜20:00" in ja.out and "土日祝日 9:30〜17:30" in ja.out
    assert "年末年始を除く" in ja.out
    assert "weekdays 9:30–20:00, weekends and holidays 9:30–17:30" in en.out
    assert (pins(js)["auth"]["locked"], pins(js)["sign"]["locked"]) == (True, False)


def test_sign_and_auth_both_locked_office_only(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    reader = serve_virtual_card(remaining={"sign": 0, "auth": 0})
    ja, en, js = three_ways(reader, pcsc_env)
    assert (ja.code, en.code, js.code) == (4, 4, 4)
    assert "市区町村の窓口" in ja.out and "どちらか一方" in ja.out
    assert "JPKI暗証番号リセットアプリ" not in ja.out
    assert "only the municipal office" in en.out
    assert "JPKI暗証番号リセットアプリ" not in en.out
    assert "0120-95-0178" in ja.out and "平日 9:30〜20:00" in ja.out
    assert (pins(js)["auth"]["locked"], pins(js)["sign"]["locked"]) == (True, True)


def test_juki_keys_at_different_counts(serve_virtual_card: Serve, pcsc_env: dict[str, str]) -> None:
    reader = serve_virtual_card(remaining={"juki": 3, "juki-common": 2})
    ja, en, js = three_ways(reader, pcsc_env)
    assert (ja.code, en.code, js.code) == (0, 0, 0)
    assert "2/3" in row(ja.out, "③")
    assert "共通カードAP は残り 2 回、住基AP は残り 3 回" in ja.out
    assert "共通カードAP has 2 tries left, 住基AP has 3" in en.out
    juki = pins(js)["juki"]
    assert juki["remaining"] == 2 and juki["keys_differ"] is True
    assert [(k["id"], k["remaining"]) for k in juki["keys"]] == [("juki-common", 2), ("juki", 3)]


def test_unexpected_answer_is_unknown(serve_virtual_card: Serve, pcsc_env: dict[str, str]) -> None:
    reader = serve_virtual_card(answer={"auth": "6A88"})
    ja, en, js = three_ways(reader, pcsc_env)
    assert (ja.code, en.code, js.code) == (0, 0, 0)
    assert "不明" in row(ja.out, "②") and "6A88" in row(ja.out, "②")
    assert "参照データがありません" in row(ja.out, "②")
    assert "unknown" in row(en.out, "② User") and "6A88" in row(en.out, "② User")
    # 6A88: the card has no such key, and no option makes verify-pin try it
    assert "no such key" in en.out and "whatever option" in en.out
    assert [g["code"] for g in js.json["guidance"]] == ["absent", "face-auth"]
    auth = pins(js)["auth"]
    assert auth["remaining"] is None and auth["locked"] is None
    assert auth["state"] == "unknown" and auth["sw"] == "6A88"
    assert pins(js)["sign"]["remaining"] == 5


def test_card_without_jpki_application(serve_virtual_card: Serve, pcsc_env: dict[str, str]) -> None:
    reader = serve_virtual_card(applications=["cardinfo", "surface", "juki", "common"])
    ja, en, js = three_ways(reader, pcsc_env)
    assert (ja.code, en.code, js.code) == (5, 5, 5)
    assert "マイナンバーカードではありません" in ja.err and "6A82" in ja.err
    assert "not a My Number Card" in en.err
    assert len(en.err.strip().splitlines()) == 1
    assert js.json["error"]["code"] == "not-my-number-card"
    assert ja.out == "" and en.out == ""


def test_no_pcscd(tmp_path: Any) -> None:
    env = {"PCSCLITE_CSOCK_NAME": str(tmp_path / "no-such-socket")}
    ja = jpkitool("--lang", "ja", "retries", env=env)
    en = jpkitool("--lang", "en", "retries", env=env)
    js = jpkitool("--json", "retries", env=env)
    assert (ja.code, en.code, js.code) == (5, 5, 5)
    assert "pcscd" in ja.err and "起動してください" in ja.err
    assert "systemctl start pcscd" in en.err
    assert len(en.err.strip().splitlines()) == 1
    assert js.json["error"]["code"] == "no-service"
    assert "pcscd" in js.json["error"]["message"]


def test_language_follows_the_locale(virtual_card_reader: str, pcsc_env: dict[str, str]) -> None:
    reader = virtual_card_reader
    ja = jpkitool("--reader", reader, "retries", env={**pcsc_env, "LANG": "ja_JP.UTF-8"})
    en = jpkitool("--reader", reader, "retries", env={**pcsc_env, "LANG": "C.UTF-8"})
    assert "利用可" in ja.out and "usable" in en.out


def test_retries_never_sends_verify_with_data(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    reader = serve_virtual_card(remaining={"sign": 3})
    run = jpkitool("-v", "--reader", reader, "retries", env=pcsc_env)
    assert run.code == 0
    sent = [line[2:].split() for line in run.err.splitlines() if line.startswith("> ")]
    verifies = [b for b in sent if b[1] == "20"]
    assert len(verifies) == 9
    assert all(len(b) == 4 for b in verifies), verifies
    assert len(sent) == 15


def test_the_reading_ahead_gives_what_the_command_reads(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    """A plain ``retries`` is read while the CLI loads (``jpki.cli.prefetch``); with
    ``--timeout`` it is not: the two say the same, in text, JSON and exit status."""
    reader = serve_virtual_card(remaining={"sign": 0, "auth": 2})
    for args in (("--json",), ("--lang", "ja"), ("--lang", "en")):
        for pins in ((), ("2", "1")):
            ahead = jpkitool(*args, "-r", reader, "retries", *pins, env=pcsc_env)
            usual = jpkitool(*args, "-r", reader, "--timeout", "20", "retries", *pins, env=pcsc_env)
            assert ahead.code == usual.code == 4, ahead.err + usual.err
            assert ahead.out == usual.out and ahead.err == usual.err
    missing = [
        jpkitool("-r", "no such reader", *t, "retries", env=pcsc_env)
        for t in ((), ("--timeout", "20"))
    ]
    assert missing[0].code == missing[1].code != 0
    assert missing[0].err == missing[1].err and missing[0].err.count("\n") == 1
