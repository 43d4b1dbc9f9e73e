"""change-pin and verify-pin in process on the virtual card: prompts, exit statuses,
JSON, both languages, and that no PIN reaches any output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli_runner import Run
from cli_runner import jpkitool_inprocess as run
from jpki.cli.failures import Exit
from jpki.i18n import t


def card(tmp_path: Path, **pins: dict[str, Any]) -> list[str]:
    """Global options for a virtual card whose state file has these PIN fields."""
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"pins": pins}), "utf-8")
    return ["--emulator", "--emulator-state", str(path)]


def state(tmp_path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((tmp_path / "card.json").read_text("utf-8"))
    return doc["pins"]


def lines(*values: str) -> str:
    return "".join(v + "\n" for v in values)


def test_change_auth_text_json_and_state(tmp_path: Path) -> None:
    opts = card(tmp_path)
    en = run("--lang", "en", *opts, "change-pin", "2", input=lines("1234", "5039", "5039"))
    assert en.code == Exit.OK, en.err
    assert en.out.splitlines() == [
        "② user-authentication PIN: changed. Tries left: 3/3.",
        "The card was cleared (another application selected, its power removed and restored),"
        " but this was not proven on the card: no harmless check exists for ② and ③, or the"
        " check could not run.",
    ]
    assert state(tmp_path)["auth"]["value"] == "5039"
    js = run("--json", *opts, "change-pin", "auth", input=lines("5039", "7046", "7046"))
    assert js.code == Exit.OK
    doc = js.json
    assert doc["operation"] == "change" and doc["changed"] == ["auth"]
    # 7, the confirm (SELECT EF, VERIFY), the ending (SELECT ISD, throwaway)
    assert doc["not_changed"] == [] and doc["apdus"] == 11
    assert (doc["confirmed"], doc["card_left"]) == (True, "cleared-unproven")
    (key,) = doc["pins"][0]["keys"]
    assert key["outcome"] == "changed" and key["sw"] == "9000" and key["confirmed"] is True
    count = {"id": "auth", "application": "jpki", "remaining": 3, "max": 3, "locked": False}
    assert key["before"] == {**count, "state": "usable", "sw": "63C3", "note": None}
    assert key["after"] == {**count, "state": "usable", "sw": "63C3", "note": None}
    ja = run("--lang", "ja", *opts, "change-pin", "2", input=lines("7046", "5039", "5039"))
    assert ja.code == 0 and "変更しました" in ja.out and "3/3" in ja.out


def test_prompts_read_current_then_new_twice(tmp_path: Path) -> None:
    opts = card(tmp_path, cardinfo={"value": "8642"})
    r = run(*opts, "change-pin", "4", "2", input=lines("1234", "8642", "5039", "5039"))
    assert r.code == 0, r.err
    pins = state(tmp_path)
    assert pins["auth"]["value"] == pins["cardinfo"]["value"] == "5039"
    same = run(*opts, "change-pin", "2", "4", "--same-current", input=lines("5039", "7046", "7046"))
    assert same.code == 0, same.err
    assert state(tmp_path)["cardinfo"]["value"] == "7046"


@pytest.mark.parametrize(
    ("kinds", "answers", "code", "words"),
    [
        (["2"], ["1234", "12a4", "12a4"], Exit.USAGE, "format"),
        (["2"], ["1234", "12345", "12345"], Exit.USAGE, "format"),
        (["2"], ["1234", "1111", "1111"], Exit.USAGE, "too easy to guess"),
        (["2"], ["1234", "1234", "1234"], Exit.USAGE, "too easy to guess"),
        (["1"], ["ABC123", "abcdef", "abcdef"], Exit.USAGE, "format"),
        (["1"], ["ABC123", "ABC123", "ABC123"], Exit.USAGE, "too easy to guess"),
        (["2"], ["1234", "5039", "5093"], Exit.USAGE, "differ"),
        (["2"], ["1234", "5039"], Exit.USAGE, "standard input"),
        (["2"], ["12", "5039", "5039"], Exit.USAGE, "format"),
        (["1", "2"], ["ABC123", "K7Q2M9", "K7Q2M9"], Exit.USAGE, "on its own"),
    ],
)
def test_rejected_input_sends_no_pin(
    tmp_path: Path, kinds: list[str], answers: list[str], code: Exit, words: str
) -> None:
    """The counters are read (and shown) before anything is asked; what is typed is
    checked before any of it reaches the card."""
    opts = card(tmp_path)
    r = run("--lang", "en", "-v", *opts, "change-pin", *kinds, input=lines(*answers))
    assert r.code == code
    (error,) = [line for line in r.err.splitlines() if line.startswith("jpkitool:")]
    assert words in error and r.err.rstrip().endswith(error)
    sent = [line for line in r.err.splitlines() if line.startswith("> ")]
    assert not [c for c in sent if c.startswith(("> 00 20 00 80 0", "> 00 24", "> 80 32"))]
    assert not (tmp_path / "card.json").read_text("utf-8").count('remaining": 2')
    examples = t("weakness.sequence", lang="en")  # "a run such as 1234 or ABC123"
    for value in set(answers) - {v for v in answers if v in examples}:
        assert value not in r.err and value not in r.out


def test_allow_weak(tmp_path: Path) -> None:
    opts = card(tmp_path)
    r = run(*opts, "change-pin", "2", "--allow-weak", input=lines("1234", "1111", "1111"))
    assert r.code == 0 and state(tmp_path)["auth"]["value"] == "1111"


def test_date_like_warns_and_changes(tmp_path: Path) -> None:
    opts = card(tmp_path)
    r = run("--lang", "en", *opts, "change-pin", "2", input=lines("1234", "0410", "0410"))
    assert r.code == 0 and "looks like a date" in r.err
    js = run("--json", *opts, "change-pin", "2", input=lines("0410", "1985", "1985"))
    assert js.json["warnings"] == ["date-like"] and js.err == ""


def test_wrong_current_pin(tmp_path: Path) -> None:
    opts = card(tmp_path)
    en = run("--lang", "en", *opts, "change-pin", "2", input=lines("9999", "5039", "5039"))
    assert en.code == Exit.WRONG_PIN
    # the count shown before asking (and its warning), then one error line
    before, warning, error = en.err.strip().splitlines()
    assert before == "② user-authentication PIN: tries left 3/3." and "spends one try" in warning
    assert error == "jpkitool: ② user-authentication PIN: wrong PIN; tries left: 2."
    assert state(tmp_path)["auth"] == {"value": "1234", "remaining": 2, "max": 3}
    js = run("--json", *opts, "change-pin", "2", input=lines("9999", "5039", "5039"))
    assert js.code == Exit.WRONG_PIN
    assert js.json["error"]["code"] == "wrong-pin" and js.json["error"]["remaining"] == 1
    assert js.json["not_changed"] == ["auth"]
    assert js.json["pins"][0]["keys"][0]["after"]["remaining"] == 1
    ja = run("--lang", "ja", *opts, "change-pin", "2", input=lines("1234", "5039", "5039"))
    assert ja.code == Exit.REFUSED and "残り1回" in ja.err


def test_last_try_refused_then_forced(tmp_path: Path) -> None:
    opts = card(tmp_path, auth={"remaining": 1})
    r = run("--lang", "en", "-v", *opts, "change-pin", "2", input=lines("1234", "5039", "5039"))
    assert r.code == Exit.REFUSED and "--force" in r.err
    assert not any(line.startswith("> 00 20 00 80 04") for line in r.err.splitlines())
    assert state(tmp_path)["auth"]["remaining"] == 1
    forced = run(*opts, "change-pin", "2", "--force", input=lines("1234", "5039", "5039"))
    assert forced.code == 0
    assert (state(tmp_path)["auth"]["value"], state(tmp_path)["auth"]["remaining"]) == ("5039", 3)


def test_locked_gives_the_guidance(tmp_path: Path) -> None:
    opts = card(tmp_path, auth={"remaining": 0})
    en = run("--lang", "en", *opts, "verify-pin", "2", input=lines("1234"))
    assert en.code == Exit.LOCKED
    assert "municipal office" in en.out and "kiosk" in en.out  # ① still works
    assert "is locked; no PIN was sent" in en.err
    assert "tries left" not in en.err  # refused before the count line and the prompt
    ja = run("--lang", "ja", *opts, "change-pin", "2", input=lines("1234", "5039", "5039"))
    assert ja.code == Exit.LOCKED and "市区町村の窓口" in ja.out


def test_the_attempt_that_locks(tmp_path: Path) -> None:
    opts = card(tmp_path, auth={"remaining": 1})
    r = run("--lang", "en", *opts, "verify-pin", "2", "--force", input=lines("9999"))
    assert r.code == Exit.LOCKED and "now LOCKED" in r.err and "municipal office" in r.out


def test_verify_pin_shows_the_count_first_and_exits_by_outcome(tmp_path: Path) -> None:
    opts = card(tmp_path, sign={"remaining": 3})
    ok = run("--lang", "en", *opts, "verify-pin", "sign", input=lines("abc123"))
    assert ok.code == 0, ok.err
    assert ok.err.splitlines()[0] == "① signature PIN: tries left 3/5."
    assert "spends one try" in ok.err
    assert "correct. Tries left: 5/5." in ok.out and "no verified state remains" in ok.out
    wrong = run("--json", *opts, "verify-pin", "1", input=lines("ZZZ999"))
    assert wrong.code == Exit.WRONG_PIN and wrong.err == ""
    assert wrong.json["error"]["remaining"] == 4 and wrong.json["not_verified"] == ["sign"]


def test_verify_juki_reports_each_key(tmp_path: Path) -> None:
    opts = card(tmp_path, juki={"value": "4321"})
    r = run("--json", *opts, "verify-pin", "3", input=lines("1234"))
    assert r.code == Exit.WRONG_PIN
    keys = r.json["pins"][0]["keys"]
    assert [(k["id"], k["outcome"]) for k in keys] == [
        ("juki-common", "verified"),  # 共通カードAP first
        ("juki", "wrong"),
    ]
    assert "住基AP" in r.json["error"]["message"]


def test_partial_change_is_reported_and_key_finishes_it(tmp_path: Path) -> None:
    opts = card(tmp_path, juki={"value": "4321"})
    r = run("--lang", "en", *opts, "change-pin", "2", "3", "4", "--same-current",
            "--experimental", input=lines("1234", "5039", "5039"))  # fmt: skip
    assert r.code == Exit.WRONG_PIN
    out = r.out.splitlines()
    assert out[0] == "② user-authentication PIN: changed. Tries left: 3/3."
    assert out[1].startswith(
        "③ resident-registry PIN: changed on 共通カードAP only; NOT changed on 住基AP"
    )
    assert out[2] == "④ card-info input-support PIN: not changed."
    assert "jpkitool change-pin 3 --key juki --experimental" in out[3]
    js_opts = card(tmp_path / "..", juki={"value": "4321"})
    js = run("--json", *js_opts, "change-pin", "2", "3", "4", "--same-current",
             "--experimental", input=lines("1234", "5039", "5039"))  # fmt: skip
    assert js.json["changed"] == ["auth"] and js.json["not_changed"] == ["juki", "cardinfo"]
    finish = run(*opts, "change-pin", "3", "--key", "juki", "--experimental",
                 input=lines("4321", "5039", "5039"))  # fmt: skip
    assert finish.code == 0, finish.err
    pins = state(tmp_path)
    assert pins["juki"]["value"] == pins["juki-common"]["value"] == "5039"


@pytest.mark.parametrize(
    ("pins", "kind", "code", "words"),
    [
        ({}, "9", Exit.USAGE, "not a PIN kind"),
        ({"auth": {"remaining": 0}}, "2", Exit.LOCKED, "locked"),
    ],
)
def test_usage_and_lock_one_line(
    tmp_path: Path, pins: dict[str, Any], kind: str, code: Exit, words: str
) -> None:
    r = run("--lang", "en", *card(tmp_path, **pins), "verify-pin", kind, input=lines("1234"))
    assert r.code == code and words in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_absent_pin_on_a_card_without_sign_certificate(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"sign_certificate": False}), "utf-8")
    r = run("--lang", "en", "--emulator", "--emulator-state", str(path), "change-pin", "1",
            input=lines("ABC123", "K7Q2M9", "K7Q2M9"))  # fmt: skip
    assert r.code == Exit.ERROR and "no signature certificate" in r.err


def secrets_in(run_: Run, extra: str, values: list[str]) -> list[str]:
    text = run_.out + run_.err + extra
    found = []
    for v in values:
        for form in (v, v.encode().hex(), v.encode().hex().upper(), " ".join(
                f"{b:02X}" for b in v.encode())):  # fmt: skip
            if form in text:
                found.append(form)
    return found


@pytest.mark.parametrize("fmt", [[], ["--json"]])
def test_no_pin_reaches_any_output(tmp_path: Path, fmt: list[str]) -> None:
    current, new, wrong = "8264", "7049", "9517"
    opts = card(tmp_path, auth={"value": current}, sign={"value": "Q8W2E6"})
    records = [tmp_path / f"s{i}.jsonl" for i in range(4)]  # --record never replaces a file
    runs = [
        run(*fmt, "-v", "--record", str(records[0]), *opts, "change-pin", "2",
            input=lines(current, new, new)),
        run(*fmt, "-v", "--record", str(records[1]), *opts, "verify-pin", "2", input=lines(wrong)),
        run(*fmt, "-v", "--record", str(records[2]), *opts, "verify-pin", "2", input=lines(new)),
        run(*fmt, "-v", "--record", str(records[3]), *opts, "verify-pin", "1",
            input=lines("q8w2e6")),
    ]  # fmt: skip
    for r, record in zip(runs, records, strict=True):
        assert r.code in (0, 3), r.err
        assert "XX XX XX XX" in r.err  # the trace shows the PIN's length only
        assert secrets_in(r, record.read_text("utf-8"), [current, new, wrong, "Q8W2E6"]) == []


def test_stdin_that_is_not_text_is_one_line_and_leaks_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "card.json"
    path.write_text("{}", "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "jpki", "--lang", "en", "--emulator", "--emulator-state",
         str(path), "change-pin", "2"],
        input=b"12\xff4\n5039\n5039\n", capture_output=True, timeout=60,
        env={"PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.returncode == Exit.USAGE
    err = proc.stderr.decode()
    error = err.strip().splitlines()[-1]  # after the count shown before asking
    assert "not UTF-8 text" in error and error.startswith("jpkitool:")
    assert "5039" not in err and "12" not in error.split("'")[0]


@pytest.mark.parametrize(
    "args",
    [
        ["verify-pin", "5039"],
        ["verify-pin", "2", "5039"],
        ["change-pin", "2", "5039", "5039"],
        ["verify-pin", "K7Q2M9"],
    ],
)
def test_a_pin_typed_on_the_command_line_is_never_echoed(args: list[str]) -> None:
    for fmt in ([], ["--json"]):
        r = run("--lang", "en", *fmt, "--emulator", *args)
        assert r.code == Exit.USAGE
        assert "never given on the command line" in r.out + r.err
        assert "5039" not in r.out + r.err and "K7Q2M9" not in r.out + r.err


def test_untrusted_count_is_refused_before_asking(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"quirks": {"answer_override": {"auth": "9000"}}}), "utf-8")
    r = run("--lang", "en", "--emulator", "--emulator-state", str(path), "verify-pin", "2",
            input=lines("1234"))  # fmt: skip
    assert r.code == Exit.REFUSED and "cannot be trusted" in r.err
    assert "tries left" not in r.err  # no count line, no prompt
    forced = run("--lang", "en", "--emulator", "--emulator-state", str(path), "verify-pin", "2",
                 "--force", input=lines("1234"))  # fmt: skip
    assert forced.code == Exit.REFUSED  # --force lifts the last try's refusal alone
    assert "--accept-unknown-count" in forced.err
    accepted = run("--lang", "en", "--emulator", "--emulator-state", str(path), "verify-pin",
                   "2", "--accept-unknown-count", input=lines("1234"))  # fmt: skip
    assert accepted.code == 0, accepted.err
    assert (
        accepted.err.splitlines()[0]
        == "② user-authentication PIN: tries left unknown (card answered 9000)."
    )


def test_key_option_names_the_key_in_the_result(tmp_path: Path) -> None:
    r = run("--lang", "en", *card(tmp_path), "verify-pin", "3", "--key", "juki-common",
            input=lines("1234"))  # fmt: skip
    assert r.code == 0, r.err
    assert (
        r.out.splitlines()[0] == "③ resident-registry PIN (共通カードAP): correct. Tries left: 3/3."
    )


def test_a_broken_exchange_still_reports_what_was_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import apdu
    from jpki.emulator.card import VirtualCard

    real = VirtualCard.process
    seen = {"changes": 0}

    def process(self: VirtualCard, apdu_bytes: bytes) -> bytes:
        if apdu_bytes[:2] == b"\x80\x32":
            seen["changes"] += 1
            if seen["changes"] == 2:
                raise apdu.CardRemovedError("card pulled out")
        return real(self, apdu_bytes)

    monkeypatch.setattr(VirtualCard, "process", process)
    r = run("--lang", "en", *card(tmp_path), "change-pin", "3", "--experimental",
            input=lines("1234", "5039", "5039"))  # fmt: skip
    assert r.code == Exit.NO_CARD
    assert "removed" in r.err
    assert "whether it changed is NOT known" in r.out and "verify-pin 3" in r.out
    assert state(tmp_path)["juki-common"]["value"] == "5039"  # the first key changed


# -- ③ is changed only with --experimental --------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["change-pin", "3"],
        ["change-pin", "juki", "--key", "juki"],
        ["change-pin", "2", "3", "4", "--same-current"],
        ["change-pin", "4", "③"],
    ],
)
@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("--experimental", "one public source", "never been seen", "municipal office")),
        (
            "ja",
            (
                "--experimental",
                "情報源は1つだけ",
                "実際のカードで動いた例は知られていません",
                "窓口",
            ),
        ),
    ],
)
def test_changing_3_without_experimental_is_refused_before_any_prompt_or_apdu(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    lang: str,
    words: tuple[str, ...],
) -> None:
    """JICSAP CHANGE KEY has one public source (myna-card, mock tests only): exit 2 with
    one line saying why, before a PIN is asked (stdin is empty and never read) and with
    no APDU sent (the -v trace is empty, the card saw nothing)."""
    from jpki.cli.pinprompt import PinPrompter
    from jpki.emulator.card import VirtualCard

    asked: list[str] = []
    seen: list[bytes] = []
    monkeypatch.setattr(PinPrompter, "ask", lambda self, label: asked.append(label) or "")
    real = VirtualCard.process
    monkeypatch.setattr(VirtualCard, "process", lambda self, a: seen.append(a) or real(self, a))
    r = run("-v", "--lang", lang, *card(tmp_path), *args, input="")
    assert r.code == Exit.USAGE
    assert (asked, seen, r.out) == ([], [], "")
    (line,) = r.err.splitlines()
    assert line.startswith("jpkitool: ") and all(w in line for w in words), line
    js = run("--json", *card(tmp_path), *args, input="")
    assert js.code == Exit.USAGE and js.json["error"]["code"] == "usage"
    assert (asked, seen) == ([], [])


def test_changing_3_with_experimental_changes_both_keys(tmp_path: Path) -> None:
    opts = card(tmp_path)
    r = run("--lang", "en", *opts, "change-pin", "3", "--experimental",
            input=lines("1234", "5039", "5039"))  # fmt: skip
    assert r.code == Exit.OK, r.err
    pins = state(tmp_path)
    assert pins["juki-common"]["value"] == pins["juki"]["value"] == "5039"


def test_experimental_is_not_needed_for_the_other_pins_nor_for_verifying_3(tmp_path: Path) -> None:
    opts = card(tmp_path)
    assert run(*opts, "change-pin", "2", "4", "--same-current",
               input=lines("1234", "5039", "5039")).code == Exit.OK  # fmt: skip
    assert run(*opts, "verify-pin", "3", input=lines("1234")).code == Exit.OK


@pytest.mark.parametrize(
    ("auth", "code", "words"),
    [({"remaining": 0}, Exit.LOCKED, "locked"), ({"remaining": 1}, Exit.REFUSED, "ONE try left")],
)
def test_change_pin_asks_nothing_a_locked_or_last_try_pin_cannot_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: dict[str, int], code: Exit, words: str
) -> None:
    """The counters are read before the prompts: a locked ② (exit 4) or its last try
    without --force (exit 8) is said before anything is read from standard input."""
    from jpki.cli.pinprompt import PinPrompter

    def never(*args: object) -> str:
        raise AssertionError("a prompt was shown")

    monkeypatch.setattr(PinPrompter, "ask", never)
    r = run("--lang", "en", *card(tmp_path, auth=auth), "change-pin", "2")
    assert r.code == code, r.err
    assert words in r.err.splitlines()[-1]
    assert state(tmp_path)["auth"]["remaining"] == auth["remaining"]


def test_the_sign_password_confirmed_in_the_other_case_is_the_same(tmp_path: Path) -> None:
    """① is sent upper-cased (J-LIS): 'q7xk29pm' then 'Q7XK29PM' is one value."""
    opts = card(tmp_path)
    r = run(*opts, "change-pin", "1", input=lines("ABC123", "q7xk29pm", "Q7XK29PM"))
    assert r.code == 0, r.err
    assert state(tmp_path)["sign"]["value"] == "Q7XK29PM"
    differ = run(*opts, "change-pin", "1", input=lines("Q7XK29PM", "q7xk29pm", "Q7XK29PN"))
    assert differ.code == Exit.USAGE and "differ" in differ.err


@pytest.mark.parametrize(
    ("kinds", "answers"),
    [(["2"], ["1234", "1234", "1234"]), (["1"], ["ABC123", "abc123", "ABC123"]),
     (["2", "4"], ["1234", "1234", "1234", "1234"])],
)  # fmt: skip
def test_a_new_pin_equal_to_the_current_one_is_refused_before_any_pin_is_sent(
    tmp_path: Path, kinds: list[str], answers: list[str]
) -> None:
    opts = card(tmp_path)
    for lang, words in (("en", "the same as the current one"), ("ja", "今の暗証番号と同じです")):
        r = run("--lang", lang, "-v", *opts, "change-pin", *kinds, "--allow-weak",
                input=lines(*answers))  # fmt: skip
        assert r.code == Exit.USAGE and words in r.err.splitlines()[-1], r.err
        assert "> 00 20 00 80 0" not in r.err  # no VERIFY with data
    # one of two PINs already holds the new value: the other still changes
    (tmp_path / "m").mkdir(exist_ok=True)
    held = card(tmp_path / "m", cardinfo={"value": "5039"})
    mixed = run(*held, "change-pin", "2", "4", input=lines("1234", "5039", "5039", "5039"))
    assert mixed.code == 0, mixed.err


def test_warn_days_is_bounded() -> None:
    assert run("--emulator", "expiry", "--warn-days", "3650").code in (0, 6, 7)
    for command in (["expiry"], ["info"]):
        r = run("--lang", "en", "--emulator", *command, "--warn-days", "99999999999999999999")
        assert r.code == Exit.USAGE and "from 0 to 3650" in r.err


def test_lang_help_names_every_variable_in_the_order_read() -> None:
    r = run("--lang", "en", "--help")
    assert "LANGUAGE / LC_ALL / LC_MESSAGES / LANG" in " ".join(r.out.split())
