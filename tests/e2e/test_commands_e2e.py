"""``info``, ``readers``, ``doctor`` and reader choice end to end, through pcscd + vpcd.

Each command runs as a subprocess (as a user runs it) against virtual cards served
into the test pcscd's vpcd readers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cli_runner import jpkitool
from jpki.emulator import CardState, VirtualCard
from jpki.emulator.vpcd import VpcdBridge
from pytest_jpkitool.pcscd import PcscdInstance

pytestmark = pytest.mark.pcscd

Serve = Callable[..., str]
NOT_MY_NUMBER = ["cardinfo", "surface", "juki", "common"]


def test_info_fresh_card(serve_virtual_card: Serve, pcsc_env: dict[str, str]) -> None:
    reader = serve_virtual_card()
    ja = jpkitool("--lang", "ja", "--reader", reader, "info", env=pcsc_env)
    en = jpkitool("--lang", "en", "--reader", reader, "info", env=pcsc_env)
    js = jpkitool("--json", "--reader", reader, "info", env=pcsc_env)
    assert (ja.code, en.code, js.code) == (0, 0, 0), ja.err + en.err + js.err
    assert "カードの有効期限: 2034-04-10" in ja.out and "署名用電子証明書: あり" in ja.out
    assert "Card expiry: 2034-04-10" in en.out and "Token: My Number Card" in en.out
    doc = js.json
    assert doc["card_expiry"] == "2034-04-10" and doc["token"] == "card"
    assert doc["sign_certificate"] is True
    assert [a["id"] for a in doc["applications"] if a["present"]] == [
        "jpki", "cardinfo", "surface", "juki", "common",
    ]  # fmt: skip


def test_info_expiring_expired_and_child_card(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    import datetime as dt

    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    reader = serve_virtual_card(card_expiry=soon, cert_issued="2024-06-01")
    ja = jpkitool("--lang", "ja", "--reader", reader, "info", env=pcsc_env)
    assert ja.code == 6 and "有効期限が近づいています" in ja.out
    relaxed = jpkitool("--reader", reader, "info", "--warn-days", "10", env=pcsc_env)
    assert relaxed.code == 0

    reader = serve_virtual_card(
        slot=1, card_expiry="2020-01-01", cert_issued="2015-06-01", sign_certificate=False
    )
    en = jpkitool("--lang", "en", "--reader", reader, "info", env=pcsc_env)
    assert en.code == 7 and "expired" in en.out
    js = jpkitool("--json", "--reader", reader, "info", env=pcsc_env)
    assert js.code == 7 and js.json["sign_certificate"] is False
    assert js.json["card_expiry"] == "2020-01-01" and "days_left" not in js.json
    days = jpkitool("--json", "--reader", reader, "expiry", env=pcsc_env)  # the days are here
    assert days.code == 7 and days.json["items"][0]["days_left"] < 0


def test_readers_lists_every_reader(serve_virtual_card: Serve, pcsc_env: dict[str, str]) -> None:
    serve_virtual_card(slot=0)
    serve_virtual_card(slot=1, applications=NOT_MY_NUMBER)
    js = jpkitool("--json", "readers", env=pcsc_env)
    assert js.code == 0, js.err
    rows = {r["name"]: r for r in js.json["readers"]}
    assert rows["Virtual PCD 00 00"]["my_number"] is True
    assert rows["Virtual PCD 00 00"]["token"] == "card"
    assert rows["Virtual PCD 00 00"]["atr"] == "3BE000FF8131FE4514"
    assert rows["Virtual PCD 00 01"]["my_number"] is False
    ja = jpkitool("--lang", "ja", "readers", env=pcsc_env)
    assert ja.code == 0
    line = next(row for row in ja.out.splitlines() if "Virtual PCD 00 00" in row)
    assert "はい" in line and "マイナンバーカード" in line and "3B E0 00 FF" in line


def test_readers_with_an_empty_reader(pcsc_env: dict[str, str], jpki_pcscd: object) -> None:
    en = jpkitool("--lang", "en", "readers", env=pcsc_env)
    assert en.code == 0
    assert all(" no " in f" {line} " for line in en.out.splitlines()[1:])
    js = jpkitool("--json", "readers", env=pcsc_env)
    assert [r["card_present"] for r in js.json["readers"]] == [False, False]


def test_reader_choice_prefers_the_my_number_card(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    serve_virtual_card(slot=0, applications=NOT_MY_NUMBER)
    serve_virtual_card(slot=1, remaining={"auth": 2})
    js = jpkitool("--json", "retries", env=pcsc_env)
    assert js.code == 0, js.err
    assert js.json["reader"] == "Virtual PCD 00 01"
    by_index = jpkitool("--json", "--reader", "1", "retries", env=pcsc_env)
    assert by_index.json["reader"] == "Virtual PCD 00 01"
    by_name = jpkitool("--json", "-r", "pcd 00 01", "retries", env=pcsc_env)
    assert by_name.json["reader"] == "Virtual PCD 00 01"


def test_two_my_number_cards_are_ambiguous(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    serve_virtual_card(slot=0)
    serve_virtual_card(slot=1)
    en = jpkitool("--lang", "en", "retries", env=pcsc_env)
    assert en.code == 2
    assert "Virtual PCD 00 00" in en.err and "Virtual PCD 00 01" in en.err
    assert "--reader" in en.err and len(en.err.strip().splitlines()) == 1
    assert "several My Number Cards are inserted" in en.err
    ja = jpkitool("--lang", "ja", "retries", env=pcsc_env)
    assert ja.code == 2 and "--reader" in ja.err
    assert "マイナンバーカードが複数入っています" in ja.err


def test_no_card_and_unknown_reader(pcsc_env: dict[str, str], jpki_pcscd: object) -> None:
    ja = jpkitool("--lang", "ja", "retries", env=pcsc_env)
    assert ja.code == 5 and "カードがありません" in ja.err
    en = jpkitool("--lang", "en", "--reader", "gemalto", "retries", env=pcsc_env)
    assert en.code == 5 and "gemalto" in en.err
    js = jpkitool("--json", "info", env=pcsc_env)
    assert js.code == 5 and js.json["error"]["code"] == "no-card"


def test_wait_for_a_card(serve_virtual_card: Serve, pcsc_env: dict[str, str]) -> None:
    timer = threading.Timer(1.0, serve_virtual_card)
    timer.start()
    try:
        run = jpkitool("--json", "--wait", "15", "retries", env=pcsc_env)
    finally:
        timer.join()
    assert run.code == 0, run.err
    assert run.json["reader"] == "Virtual PCD 00 00"
    timeout = jpkitool("--json", "--reader", "1", "--wait", "0.5", "retries", env=pcsc_env)
    assert timeout.code == 5 and timeout.json["error"]["code"] == "no-card"


def test_doctor_all_well(serve_virtual_card: Serve, pcsc_env: dict[str, str]) -> None:
    serve_virtual_card()
    ja = jpkitool("--lang", "ja", "doctor", env=pcsc_env)
    assert ja.code == 0, ja.out + ja.err
    assert "必要なものはすべてそろっています" in ja.out
    js = jpkitool("--json", "doctor", env=pcsc_env)
    assert js.json["ok"] is True
    assert [c["link"] for c in js.json["checks"]] == ["service", "reader", "card", "jpki"]


def test_doctor_names_the_missing_link(
    serve_virtual_card: Serve, pcsc_env: dict[str, str], tmp_path: Path
) -> None:
    empty = jpkitool("--json", "doctor", env=pcsc_env)
    assert empty.code == 5 and empty.json["missing"] == "card"
    serve_virtual_card(applications=NOT_MY_NUMBER)
    en = jpkitool("--lang", "en", "doctor", env=pcsc_env)
    assert en.code == 5
    assert "✗ JPKI application" in en.out and "How to fix:" in en.out
    no_service = {"PCSCLITE_CSOCK_NAME": str(tmp_path / "none")}
    js = jpkitool("--json", "doctor", env=no_service)
    assert js.code == 5 and (js.json["missing"], js.json["fix"]) == ("service", "service")
    assert "systemctl" in jpkitool("--lang", "en", "doctor", env=no_service).out
    ja = jpkitool("--lang", "ja", "doctor", env=no_service)
    assert "PC/SC サービス（pcscd）" in ja.out and "直し方" in ja.out


def test_named_reader_without_a_card(serve_virtual_card: Serve, pcsc_env: dict[str, str]) -> None:
    serve_virtual_card(slot=0)
    run = jpkitool("--lang", "en", "--reader", "Virtual PCD 00 01", "retries", env=pcsc_env)
    assert run.code == 5 and len(run.err.strip().splitlines()) == 1
    assert "no card" in run.err.lower()


def test_reader_busy(serve_virtual_card: Serve, pcsc_env: dict[str, str]) -> None:
    from apdu.pcsctransport import PcscTransport

    reader = serve_virtual_card()
    holder = PcscTransport(reader, exclusive=True)
    try:
        en = jpkitool("--lang", "en", "--reader", reader, "retries", env=pcsc_env)
        ja = jpkitool("--lang", "ja", "--reader", reader, "retries", env=pcsc_env)
        js = jpkitool("--json", "--reader", reader, "retries", env=pcsc_env)
        listing = jpkitool("--json", "readers", env=pcsc_env)
    finally:
        holder.close()
    row = next(r for r in listing.json["readers"] if r["name"] == reader)
    assert listing.code == 0 and row["error"] == "reader-busy" and row["my_number"] is None
    assert (en.code, ja.code, js.code) == (1, 1, 1)
    assert "in use by another program" in en.err and "使用中" in ja.err
    assert js.json["error"]["code"] == "reader-busy"


def test_card_removed_during_retries(jpki_pcscd: PcscdInstance, pcsc_env: dict[str, str]) -> None:
    """The card leaves at the first key query: one line, exit 5, in both languages."""
    for lang, words in (("en", "card was removed"), ("ja", "取り出されました")):
        card = LeavingCard(CardState())
        bridge = VpcdBridge(card, jpki_pcscd.port).start()
        card.leave = bridge.disconnect
        try:
            reader = jpki_pcscd.wait_for_card(0)
            run = jpkitool("--lang", lang, "--reader", reader, "retries", env=pcsc_env)
        finally:
            bridge.stop()
            jpki_pcscd.wait_for_no_card(0)
        assert run.code == 5, run.err
        assert words in run.err and len(run.err.strip().splitlines()) == 1


class LeavingCard(VirtualCard):
    """A virtual card that is pulled out of the reader when the first key query arrives."""

    leave: Callable[[], None] | None = None

    def process(self, apdu: bytes) -> bytes:
        if apdu[1:2] == b"\x20" and self.leave is not None:
            threading.Thread(target=self.leave).start()
            time.sleep(1.0)
        return super().process(apdu)


def test_doctor_with_two_my_number_cards_does_not_say_all_is_well(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    serve_virtual_card(slot=0)
    serve_virtual_card(slot=1)
    en = jpkitool("--lang", "en", "doctor", env=pcsc_env)
    assert en.code == 2, en.out
    assert "several My Number Cards" in en.out and "Everything needed" not in en.out
    assert "--reader" in en.out
    # retries agrees: it cannot choose either.
    assert jpkitool("retries", env=pcsc_env).code == 2
    chosen = jpkitool("--lang", "en", "--reader", "00 01", "doctor", env=pcsc_env)
    assert chosen.code == 0, chosen.out


def test_doctor_prints_the_fix_for_this_platform_only(pcsc_env: dict[str, str]) -> None:
    en = jpkitool("--lang", "en", "doctor", env=pcsc_env)  # no card inserted
    assert en.code == 5
    fixes = [line for line in en.out.splitlines() if line.startswith("  ")]
    assert len(fixes) == 1 and fixes[0].startswith("  Debian/Ubuntu: ")
    js = jpkitool("--json", "doctor", env=pcsc_env)
    assert (js.json["missing"], js.json["fix"]) == ("card", "card")
    assert js.json["checks"][-1] == {
        "link": "card", "ok": False, "code": "fail", "readers": [], "detail": ""
    }  # fmt: skip
