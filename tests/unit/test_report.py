"""``jpkitool doctor --report``: the summary's decisions (scripted and replayed answers)
and a run on the virtual card in this process (:mod:`jpki.report`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apdu import FunctionTransport, TransportError
from apdu.replay import ReplayTransport
from cli_runner import jpkitool_inprocess
from jpki import profile
from jpki.card import MyNumberCard
from jpki.emulator import CardState, EmulatorTransport, VirtualCard, build_state
from jpki.report import PinProbe, ProbeStopped, ReadProbe, Report, probe, probe_pin

JPKI = "00A4040C0AD392F000260100000001"


class Scripted(FunctionTransport):
    """Answers from a table (hex command -> hex answer, else ``6D00``); a power cycle
    that works, or fails with ``power_error``."""

    def __init__(self, table: dict[str, str], power_error: str | None = None) -> None:
        super().__init__(self._answer, name="Scripted Reader 00 00")
        self.table = table
        self.sent: list[str] = []
        self.power_error = power_error
        self._atr = bytes.fromhex("3BE000FF8131FE4514")

    def _answer(self, apdu: bytes) -> bytes:
        command = apdu.hex().upper()
        self.sent.append(command)
        answer = self.table.get(command, "6D00")
        if answer == "raise":
            raise TransportError("the reader refused the command")
        return bytes.fromhex(answer)

    def power_cycle(self, *, warm: bool = False) -> None:
        if self.power_error is not None:
            raise TransportError(self.power_error)


BASE = {
    JPKI: "9000",
    "00200098": "63C3",
    "00A4020C020018": "9000",
    "00200080": "63C3",
    "00B08A0004": "308206219000",
    "00A4020C02000A": "9000",
    "00B0000004": "308206219000",
    "00B00000000625": "00" * 1573 + "9000",
    "00A4040C07A0000001510000": "9000",
    "00A40000": "9000",
}


def run(table: dict[str, str], **kw: str) -> Report:
    card = MyNumberCard(Scripted(table, **kw))
    with card.transaction():
        return probe(card)


def test_a_card_that_takes_everything() -> None:
    report = run(BASE)
    assert report.query_form == "short"
    assert report.read.verdict == "works" and report.read.length == 1573
    assert (report.isd, report.power_cycle, report.power_6f00) == ("9000", "done", False)
    doc = report.to_dict()
    assert doc["reader"] == "Scripted Reader 00 00" and doc["atr"] == "3BE000FF8131FE4514"
    assert doc["read"]["verdict"] == "works" and doc["query_form"] == "short"


@pytest.mark.parametrize(
    ("short", "select", "form"),
    [("63C3", "63C3", "short"), ("6A86", "63C3", "select"), ("6A86", "6A82", "neither"),
     ("6984", "6984", "short"), ("9000", "63C3", "select")],  # 9000 is no count (§4)
)  # fmt: skip
def test_which_counter_query_the_card_answers(short: str, select: str, form: str) -> None:
    assert run({**BASE, "00200098": short, "00200080": select}).query_form == form


def test_no_jpki_application_tests_nothing_of_it() -> None:
    report = run({**BASE, JPKI: "6A82"})
    assert report.query_form == "not-tested" and report.read.verdict == "not-tested"
    assert report.isd == "9000"


@pytest.mark.parametrize(
    ("changes", "verdict"),
    [
        ({"00B00000000625": "6700"}, "refused"),
        ({"00B00000000625": "raise"}, "reader-error"),
        ({"00B00000000625": "00" * 256 + "9000"}, "partial"),
        ({"00B00000000625": "6A86"}, "other"),
        ({"00B0000004": "6982"}, "not-tested"),
        ({"00B0000004": "6C04", "00B0000004#": "x"}, "6cxx"),
        ({"00B00000000625": "00" * 256 + "6125", "00C0000025": "00" * 1317 + "9000"},
         "works-61xx"),
    ],
)  # fmt: skip
def test_what_the_extended_read_shows(changes: dict[str, str], verdict: str) -> None:
    table = {**BASE, **{k: v for k, v in changes.items() if not k.endswith("#")}}
    if verdict == "6cxx":  # 6C04 to the first ask, the 4 bytes to the resend
        answers = iter(["6C04", "308206219000"])
        table["00B0000004"] = "dynamic"
        transport = Scripted(table)
        transport.table = table

        def answer(apdu: bytes) -> bytes:
            command = apdu.hex().upper()
            text = next(answers) if command == "00B0000004" else table.get(command, "6D00")
            return bytes.fromhex(text)

        transport._func = answer  # type: ignore[assignment]
        card = MyNumberCard(transport)
        with card.transaction():
            report = probe(card)
        assert report.read.seen == ["6C04"]
    else:
        report = run(table)
    assert report.read.verdict == verdict


def test_6f00_after_the_power_cycle_is_seen() -> None:
    report = run({**BASE, "00A40000": "6F00"})
    assert report.power_6f00 is True and report.jpki_after_power == "9000"


def test_a_transport_that_cannot_cycle_power_is_reported() -> None:
    report = run(BASE, power_error="no power cycle here")
    assert report.power_cycle == "no power cycle here" and report.after_power is None


def test_a_verdict_needs_an_extended_answer() -> None:
    assert ReadProbe().verdict == "not-tested"


def _virtual(**changes: object) -> tuple[MyNumberCard, VirtualCard]:
    card = VirtualCard(build_state(**changes) if changes else CardState())  # type: ignore[arg-type]
    return MyNumberCard(EmulatorTransport(card)), card


@pytest.mark.parametrize(
    ("pin", "value"), [(profile.SIGN, b"ABC123"), (profile.CARDINFO_PIN, b"1234")]
)
def test_the_pin_probe_follows_the_virtual_card(pin: profile.Pin, value: bytes) -> None:
    card, virtual = _virtual()
    result = PinProbe(pin.id)
    with card.transaction():
        probe_pin(card, pin, value, result)
    assert result.steps == {
        "reselect": "kept", "warm-reset": "kept", "reconnect": "not-tested",
        "isd": "cleared", "power-cycle": "cleared",
    }  # fmt: skip
    assert result.reverified == 1 and result.card_left == "proven-clear"
    assert virtual.verified == frozenset()


def test_a_card_that_never_clears_is_left_may_be_verified() -> None:
    card, _ = _virtual(quirks={"sticky_verified": True})
    result = PinProbe("sign")
    with card.transaction():
        probe_pin(card, profile.SIGN, b"ABC123", result)
    assert result.steps["isd"] == "kept" and result.steps["power-cycle"] == "kept"
    assert result.reverified == 0 and result.card_left == "may-be-verified"


def test_a_wrong_value_stops_after_one_try_and_still_ends() -> None:
    card, virtual = _virtual()
    result = PinProbe("sign")
    with card.transaction(), pytest.raises(ProbeStopped) as stopped:
        probe_pin(card, profile.SIGN, b"XYZ999", result)
    assert type(stopped.value.error).__name__ == "WrongPinError"
    assert result.verify == "63C4" and result.steps == {}
    assert result.card_left == "proven-clear"
    assert virtual.state.pins["sign"].remaining == 4


def test_the_last_try_is_refused_before_anything_is_sent() -> None:
    card, virtual = _virtual(remaining={"sign": 1})
    result = PinProbe("sign")
    with card.transaction(), pytest.raises(Exception, match="last"):
        probe_pin(card, profile.SIGN, b"ABC123", result)
    assert result.verify is None and virtual.state.pins["sign"].remaining == 1


def test_a_report_replays_to_the_same_summary(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    run_ = jpkitool_inprocess("--emulator", "--json", "doctor", "--report", str(path))
    assert run_.code == 0, run_.err
    with ReplayTransport(path) as replay:
        card = MyNumberCard(replay)
        with card.transaction():
            again = probe(card)
    assert run_.json["path"] == str(path)
    again.path = str(path)
    assert again.to_dict() == run_.json


# -- the command, in this process -------------------------------------------------


def lines_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_report_on_the_virtual_card(tmp_path: Path) -> None:
    path = tmp_path / "report.jsonl"
    en = jpkitool_inprocess("--emulator", "--lang", "en", "doctor", "--report", str(path))
    assert en.code == 0, en.err
    assert "the card answers the short form" in en.out and "works (" in en.out
    header, *lines = lines_of(path)
    assert header["origin"] == "emulator" and header["personal"] is False
    assert any(line.get("power") == "cycle" for line in lines)
    assert not any(str(line.get("command", "")).startswith("002000800") for line in lines)
    again = jpkitool_inprocess("--emulator", "doctor", "--report", str(path))
    assert again.code == 2 and "exists" in again.err  # apdu.outfile's rule
    ja = jpkitool_inprocess(
        "--emulator", "--overwrite", "--lang", "ja", "doctor", "--report", str(path)
    )
    assert ja.code == 0 and "短縮形に答えます" in ja.out


@pytest.mark.parametrize(("kind", "value"), [("1", "abc123"), ("4", "1234")])
def test_report_with_a_pin_never_writes_it(tmp_path: Path, kind: str, value: str) -> None:
    path = tmp_path / "report.jsonl"
    run_ = jpkitool_inprocess(
        "--emulator", "--json", "doctor", "--report", str(path), "--report-with-pin", kind,
        input=value + "\n",
    )  # fmt: skip
    assert run_.code == 0, run_.err
    doc = run_.json
    assert doc["pin"]["verify"] == "9000" and doc["pin"]["card_left"] == "proven-clear"
    assert doc["pin"]["steps"]["warm-reset"] == "kept"
    text = path.read_text("utf-8")
    assert value.upper().encode().hex().upper() not in text
    verifies = [x for x in lines_of(path)[1:] if str(x.get("command", "")).startswith("0020")]
    assert any("XX" in str(x["command"]) for x in verifies)
    assert all(set(str(x["command"])[10:]) <= {"X"} for x in verifies)
    assert {"reset", "cycle"} <= {x.get("power") for x in lines_of(path)}


def test_report_with_a_wrong_pin_exits_3_after_the_summary(tmp_path: Path) -> None:
    path = tmp_path / "report.jsonl"
    run_ = jpkitool_inprocess(
        "--emulator", "--lang", "en", "doctor", "--report", str(path), "--report-with-pin", "4",
        input="9999\n",
    )  # fmt: skip
    assert run_.code == 3
    assert "VERIFY answered 63C2" in run_.out
    assert run_.err.strip().splitlines()[-1].startswith("jpkitool: ")


def test_report_refuses_a_locked_pin_as_verify_pin_does(tmp_path: Path) -> None:
    state = tmp_path / "card.json"
    state.write_text(json.dumps({"pins": {"cardinfo": {"remaining": 0}}}), "utf-8")
    path = tmp_path / "report.jsonl"
    run_ = jpkitool_inprocess(
        "--emulator", "--emulator-state", str(state), "doctor", "--report", str(path),
        "--report-with-pin", "4",
    )  # fmt: skip
    assert run_.code == 4
    assert "not verified" in run_.out
    assert "0020008004" not in path.read_text("utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--record", "x.jsonl", "--emulator", "doctor", "--report", "r.jsonl"), "--record"),
        (("--emulator", "doctor", "--report-with-pin", "1"), "needs --report"),
        (("--emulator", "doctor", "--report", "r.jsonl", "--report-with-pin", "2"),
         "--report-with-pin"),
    ],
)  # fmt: skip
def test_report_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    run_ = jpkitool_inprocess("--lang", "en", *args)
    assert run_.code == 2 and message in run_.err
    assert not (tmp_path / "r.jsonl").exists()


def test_report_refuses_a_replay(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    assert jpkitool_inprocess("--emulator", "doctor", "--report", str(path)).code == 0
    run_ = jpkitool_inprocess(
        "--lang", "en", "--replay", str(path), "doctor", "--report", str(tmp_path / "s.jsonl")
    )
    assert run_.code == 2 and "--replay" in run_.err


def test_a_last_try_is_not_used_and_the_advice_fits_the_report(tmp_path: Path) -> None:
    from cli_runner import jpkitool_inprocess

    state = tmp_path / "card.json"
    state.write_text('{"pins": {"sign": {"remaining": 1}}}', "utf-8")
    r = jpkitool_inprocess("--lang", "en", "--emulator", "--emulator-state", str(state),
                           "doctor", "--report", str(tmp_path / "r.jsonl"),
                           "--report-with-pin", "1")  # fmt: skip
    assert r.code == 8
    assert "jpkitool verify-pin 1 --force" in r.err and "run again with --force" not in r.err
    assert '"remaining": 1' in state.read_text("utf-8")  # no try spent
