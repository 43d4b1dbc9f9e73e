"""Everything jpkitool prints, in the user's language and within 80 columns (issue 17).

Every ``--help`` page (the click command tree walked) and every command's output (results,
errors, the notices before a PIN prompt on stderr) is rendered in-process at
``COLUMNS=80``, in Japanese and in English, on the virtual card in many states and on
faked PC/SC readers. Each line must be at most 80 display cells (East Asian wide: 2),
and hold no word of the other language except names: the allow-lists below are small
and explicit; data from the card (a certificate's subject), reader names, paths,
option and command names are taken out before looking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest

from apdu import BaseTransport, ServiceUnavailableError
from cli_runner import Run
from jpki.cli.help import walk
from jpki.cli.main import cli
from jpki.cli.wrap import width

COLUMNS = 80
SESSIONS = Path(__file__).resolve().parent.parent / "fixtures" / "sessions"

#: PIN values the virtual card holds in these tests; typed on standard input, never shown.
PINS = {"sign": "QX7K2M", "auth": "5827", "juki": "6093", "juki-common": "6093", "cardinfo": "3716"}
WRONG = {"sign": "ZT4W8P", "auth": "8350", "juki": "2958", "cardinfo": "7405"}
NEW = "4825"
SECRETS = (*PINS.values(), *WRONG.values(), NEW)

#: Readers of the faked PC/SC service (names: taken out before looking at words).
READER_NAMES = ("SONY FeliCa Port/PaSoRi 4.0 00 00", "ACS ACR39U ICC Reader 01 00")


# -- what may appear in the other language -------------------------------------------

#: ASCII words a Japanese page may hold: technical tokens and names, nothing English.
JA_ALLOWED = frozenset({
    # standards, formats, protocols and their commands
    "PC", "SC", "ATR", "APDU", "JSON", "Lines", "PEM", "DER", "RSA", "ISO", "JST", "UTC",
    "TCP", "IC", "AP", "EF", "ISD", "CA", "SELECT", "READ", "BINARY", "JICSAP", "CHANGE",
    "KEY", "SIGTERM", "UTF", "base64",
    "SHA",
    # names: J-LIS's JPKI, the counters A and B, programs, systems, products, variables
    "JPKI", "J", "LIS", "A", "B", "jpkitool", "pcscd", "vpcd", "Debian", "Ubuntu",
    "Android", "iPhone", "GitHub", "Issue", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG",
    "JPKITOOL_CARD_TIMEOUT",
    # in commands to type: jpkitool verify-pin N, sudo apt install pcscd
    "N", "sudo", "apt", "install", "systemctl", "enable", "start", "socket",
})  # fmt: skip

#: Japanese an English page may hold: the names of the card, its PINs, applications,
#: certificates and counters as J-LIS prints them, of the places and services a user
#: is sent to, and the fictitious holder's data.
EN_ALLOWED = frozenset({
    "マイナンバーカード", "利用者証明用電子証明書", "署名用電子証明書", "署名用", "利用者証明用",
    "住民基本台帳用", "券面事項入力補助用", "公的個人認証", "共通カード", "住基", "照合番号",
    "券面事項入力補助", "券面事項確認", "住基カード", "顔認証マイナンバーカード",
    "市区町村の窓口", "マイナンバー総合フリーダイヤル", "暗証番号リセットアプリ",
    "行政サービス", "マイナンバーカードのパスワード再設定", "署名用パスワードの初期化・再設定",
    "架空", "花子", "東京都千代田区架空町一丁目", "番", "号", "昭和",
})  # fmt: skip


# -- the renderings --------------------------------------------------------------------


@dataclass
class Case:
    """One command line: its state file, standard input and the faked readers."""

    name: str
    args: list[str]
    stdin: list[str] = field(default_factory=list)
    state: dict[str, Any] | None = None  # the virtual card's state (None: no --emulator)
    readers: dict[str, str | None] | None = None  # faked PC/SC: reader -> "card"/"other"/None
    service: bool = True  # False: no pcscd
    fault: str | None = None  # a replayed verify-pin 2 that meets this fault
    files: dict[str, bytes] = field(default_factory=dict)  # written to {tmp} first


def _pins(**remaining: int) -> dict[str, Any]:
    pins: dict[str, Any] = {k: {"value": v} for k, v in PINS.items()}
    for key, left in remaining.items():
        pins[key.replace("_", "-")]["remaining"] = left
    return {"pins": pins}


def help_cases() -> Iterator[Case]:
    yield Case("jpkitool", [])
    for path, _command in walk(cli):
        names = [] if path == "cli" else path.split(".")
        yield Case(" ".join(["help", *names]), [*names, "--help"])


def card_cases() -> Iterator[Case]:
    fresh = _pins()
    s, a, j, c = PINS["sign"], PINS["auth"], PINS["juki"], PINS["cardinfo"]
    plain = [
        ["retries"], ["retries", "1", "2"], ["retries", "3"], ["info"], ["expiry"],
        ["readers"], ["doctor"], ["cert", "show", "auth"], ["cert", "show", "auth-ca"],
        ["cert", "show", "sign-ca"], ["cert", "export", "auth"],
        ["--json", "retries"],
    ]  # fmt: skip
    for args in plain:
        yield Case(" ".join(args), args, state=fresh)
    yield Case("expiry --sign", ["expiry", "--sign"], [s], fresh)
    yield Case("cert show sign", ["cert", "show", "sign"], [s], fresh)
    yield Case("cert show sign personal", ["cert", "show", "sign", "--show-personal"], [s], fresh)
    yield Case("cert export -o", ["cert", "export", "auth", "--format", "der", "-o", "{tmp}/a"],
               state=fresh)  # fmt: skip
    yield Case("cert export exists", ["cert", "export", "auth", "-o", "{tmp}/state.json"],
               state=fresh)  # fmt: skip
    for no, value in (("1", s), ("2", a), ("3", j), ("4", c)):
        yield Case(f"verify-pin {no}", ["verify-pin", no], [value], fresh)
    yield Case("verify-pin 3 --key", ["verify-pin", "3", "--key", "juki"], [j], fresh)
    yield Case("verify-pin wrong", ["verify-pin", "2"], [WRONG["auth"]], fresh)
    yield Case("verify-pin 1 wrong", ["verify-pin", "1"], [WRONG["sign"]], fresh)
    yield Case("verify-pin 3 wrong", ["verify-pin", "3"], [WRONG["juki"]], fresh)
    yield Case("verify-pin format", ["verify-pin", "2"], ["12"], fresh)
    yield Case("verify-pin no input", ["verify-pin", "2"], [], fresh)
    yield Case("change-pin 2", ["change-pin", "2"], [a, NEW, NEW], fresh)
    yield Case("change-pin 2 4", ["change-pin", "2", "4"], [a, c, NEW, NEW], fresh)
    yield Case("change-pin same", ["change-pin", "2", "4", "--same-current"], [a, NEW, NEW],
               _pins())  # fmt: skip
    yield Case("change-pin 3 exp", ["change-pin", "3", "--experimental"], [j, NEW, NEW], fresh)
    yield Case("change-pin 3", ["change-pin", "3"], [], fresh)
    yield Case("change-pin weak", ["change-pin", "2"], [a, "1111", "1111"], fresh)
    yield Case("change-pin date", ["change-pin", "2"], [a, "1225", "1225"], fresh)
    yield Case("change-pin mismatch", ["change-pin", "2"], [a, NEW, "4826"], fresh)
    yield Case("change-pin 1 2", ["change-pin", "1", "2"], [], fresh)
    yield Case("change-pin wrong", ["change-pin", "2"], [WRONG["auth"], NEW, NEW], fresh)
    yield Case("report", ["doctor", "--report", "{tmp}/report.txt"], [], fresh)
    yield Case("init-state", ["emulator", "init-state", "{tmp}/new.json"], [], fresh)
    yield Case("init-state exists", ["emulator", "init-state", "{tmp}/state.json"], [], fresh)

    locked = _pins(sign=0, auth=0)
    for args in (
        ["retries"],
        ["info"],
        ["verify-pin", "1"],
        ["change-pin", "2"],
        ["expiry", "--sign"],
    ):
        yield Case("locked " + " ".join(args), args, state=locked)
    yield Case("sign locked retries", ["retries"], state=_pins(sign=0))
    yield Case("auth locked retries", ["retries"], state=_pins(auth=0))
    yield Case("3 4 locked retries", ["retries"], state=_pins(juki=0, juki_common=0, cardinfo=0))
    last = _pins(auth=1, sign=1)
    yield Case("last try retries", ["retries"], state=last)
    yield Case("last try verify", ["verify-pin", "2"], state=last)
    yield Case("last try cert sign", ["cert", "show", "sign"], state=last)
    yield Case("last try --force wrong", ["verify-pin", "2", "--force"], [WRONG["auth"]], last)
    yield Case("last try --force", ["verify-pin", "1", "--force"], [s], last)
    differ = _pins(juki_common=1)
    yield Case("juki differ retries", ["retries"], state=differ)
    yield Case("juki differ verify", ["verify-pin", "3", "--key", "juki"], [j], differ)
    yield Case("juki partly", ["change-pin", "3", "--experimental"], [j, NEW, NEW],
               {"pins": {**_pins()["pins"], "juki": {"value": WRONG["juki"]}}})  # fmt: skip
    unknown = {**_pins(), "quirks": {"answer_override": {"auth": "9000", "sign": "6300"}}}
    yield Case("unknown retries", ["retries"], state=unknown)
    yield Case("unknown verify", ["verify-pin", "2"], state=unknown)
    yield Case("unknown accepted", ["verify-pin", "2", "--accept-unknown-count"], [a], unknown)
    odd = {**_pins(), "quirks": {"answer_override": {"auth": "6A82", "cardinfo": "6F00"}}}
    yield Case("odd answers retries", ["retries"], state=odd)
    yield Case("odd answers verify", ["verify-pin", "2"], state=odd)
    no_sign = {**_pins(), "sign_certificate": False}
    for args in (["retries"], ["info"], ["cert", "show", "sign"], ["verify-pin", "1"]):
        yield Case("no sign " + " ".join(args), args, state=no_sign)
    face = {**_pins(), "face_auth": True}
    yield Case("face retries", ["retries"], state=face)
    yield Case("face verify", ["verify-pin", "2"], state=face)
    for token in ("android", "iphone", "juki-card"):
        yield Case(f"{token} retries", ["retries"], state={**_pins(), "token": token})
        yield Case(f"{token} info", ["info"], state={**_pins(), "token": token})
    not_mine = {**_pins(), "applications": ["common", "juki", "cardinfo", "surface"]}
    for args in (["retries"], ["readers"], ["doctor"]):
        yield Case("not jpki " + " ".join(args), args, state=not_mine)
    for when in ("2029-03-01", "2030-01-01", "2034-03-01", "2035-01-01"):
        for args in (["expiry"], ["info"], ["cert", "show", "auth"]):
            yield Case(f"{when} " + " ".join(args), ["--now", when, *args], state=fresh)
    quirks = {"no_extended": True, "get_response": True}
    yield Case("no extended", ["cert", "show", "auth"], state={**_pins(), "quirks": quirks})


def usage_cases() -> Iterator[Case]:
    fresh = _pins()
    for args in (
        ["--bogus"], ["retires"], ["retries", "nosuch"], ["verify-pin"], ["verify-pin", "2", "3"],
        ["cert"], ["cert", "show"], ["cert", "show", "bogus"], ["--timeout", "0", "retries"],
        ["--wait", "x", "retries"], ["--now", "x", "retries"], ["--lang"],
        ["cert", "export", "auth", "-o", ""], ["change-pin", "2", "--key", "x"],
        ["doctor", "--report-with-pin", "1"], ["emulator", "serve", "--vpcd-port", "0"],
        ["--json", "--bogus"],
    ):  # fmt: skip
        yield Case("usage " + " ".join(args), args, state=fresh)
    yield Case("state alone", ["--emulator-state", "{tmp}/state.json", "retries"])
    yield Case("replay missing", ["--replay", "{tmp}/none.jsonl", "retries"])
    yield Case("replay", ["--replay", str(SESSIONS / "cert-show-auth.jsonl"), "cert", "show",
                          "auth"])  # fmt: skip
    yield Case("replay mismatch", ["--replay", str(SESSIONS / "cert-show-auth.jsonl"), "retries"])
    yield Case("bad state", ["retries"], state={"pins": {"auth": {"remaining": "x"}}})
    yield from file_fault_cases()
    yield Case("record exists", ["--record", "{tmp}/state.json", "retries"], state=fresh)
    for fault in ("card-removed", "card-unresponsive", "reader-busy", "no-service", "no-card"):
        yield Case(f"fault {fault}", ["verify-pin", "2"], [PINS["auth"]], fault=fault)
    yield Case("fault early", ["verify-pin", "2"], [PINS["auth"]], fault="early")


def file_fault_cases() -> Iterator[Case]:
    """A state or session file with each problem a file can have (fileproblem.*)."""
    for name, state in {
        "type": {"applications": "jpki"}, "choice": {"token": "phone"},
        "like": {"holder": {"birth_date": "1985-13-01"}}, "unknown": {"colour": 1},
        "missing": {"format": "jpkitool-virtual-card"}, "empty": {"holder": {"name": " "}},
        "pin": {"pins": {"auth": {"value": "12a4"}}}, "after": {"card_expiry": "2024-01-01"},
        "number": {"latency_ms": -1}, "no cert file": {"certificates": {"auth": "none.pem"}},
        "certificate": {"certificates": {"auth": "state.json"}},
    }.items():  # fmt: skip
        yield Case(f"bad state {name}", ["retries"], state=state)
    state = ["--emulator", "--emulator-state", "{tmp}/s.json", "retries"]
    for name, data in {
        "json": b'{"pins": ', "twice": b'{"token": "card", "token": "card"}',
        "utf8": '{"token": "card"}'.encode("utf-16"), "size": b" " * (1024 * 1024 + 1),
    }.items():  # fmt: skip
        yield Case(f"bad state {name}", state, files={"s.json": data})
    yield Case("bad state not-file", ["--emulator", "--emulator-state", "/dev/null", "retries"])
    lines = (SESSIONS / "retries-fresh.jsonl").read_bytes().splitlines(keepends=True)
    for name, line in {
        "whole": b'{"i": 1, "command": "00A4040C", "fault": "no-card", "code": -1}',
        "choice": b'{"i": 5, "command": "00A4040C", "response": "9000"}',
    }.items():
        yield Case(f"bad session {name}", ["--replay", "{tmp}/s.jsonl", "retries"],
                   files={"s.jsonl": b"".join([*lines[:2], line, b"\n"])})  # fmt: skip


def reader_cases() -> Iterator[Case]:
    one, two = READER_NAMES
    yield Case("pcsc readers", ["readers"], readers={one: "card", two: "other"})
    yield Case("pcsc doctor", ["doctor"], readers={one: "card", two: None})
    yield Case("pcsc retries", ["retries"], readers={one: "card", two: None})
    yield Case("pcsc no card doctor", ["doctor"], readers={one: None})
    yield Case("pcsc no jpki doctor", ["doctor"], readers={one: "other"})
    yield Case("pcsc two doctor", ["doctor"], readers={one: "card", two: "card"})
    yield Case("pcsc no readers", ["readers"], readers={})
    yield Case("pcsc no service", ["doctor"], readers={}, service=False)
    yield Case("pcsc no service retries", ["retries"], readers={}, service=False)
    # The reader-choice messages (once an English reason in Japanese, and in English "no
    # smart-card reader found (no smart-card reader found)").
    yield Case("pcsc no reader", ["retries"], readers={})
    yield Case("pcsc nosuch", ["--reader", "nosuch", "retries"], readers={one: "card"})
    yield Case("pcsc index", ["--reader", "7", "retries"], readers={one: "card"})
    yield Case("pcsc no card", ["retries"], readers={one: None, two: None})
    yield Case("pcsc index 0", ["--reader", "0", "retries"], readers={one: "card",
               two: "card"})  # fmt: skip
    yield Case("pcsc ambiguous reader", ["--reader", "r", "retries"],
               readers={one: "card", two: "card"})  # fmt: skip
    yield Case("pcsc ambiguous card", ["retries"], readers={one: "card", two: "card"})


CASES = [*help_cases(), *card_cases(), *usage_cases(), *reader_cases()]


# -- running a case --------------------------------------------------------------------


class _Reader(BaseTransport):
    def __init__(self, inner: BaseTransport, name: str) -> None:
        self.inner, self._name, self._atr = inner, name, inner.atr

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        return self.inner.transmit(apdu, secret=secret)

    def power_cycle(self, *, warm: bool = False) -> None:
        self.inner.power_cycle(warm=warm)

    def close(self, *, unpower: bool = False) -> None:
        self.inner.close(unpower=unpower)


def fake_pcsc(monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    from apdu import FunctionTransport, pcsc, pcsctransport
    from jpki.emulator import CardState, EmulatorTransport, VirtualCard

    readers = case.readers or {}

    def listing() -> list[str]:
        if not case.service:
            raise ServiceUnavailableError("the PC/SC service is not running")
        return list(readers)

    def states() -> list[Any]:
        names = listing()
        return [pcsc.ReaderState(i, n, readers[n] is not None, b"\x3b\x80") for i, n in
                enumerate(names)]  # fmt: skip

    def transport(name: str, *, timeout: float | None = None) -> BaseTransport:
        if readers[name] == "card":
            card = VirtualCard(CardState())
            return _Reader(EmulatorTransport(card), name)
        return FunctionTransport(lambda _: b"\x6a\x82", name)

    monkeypatch.setattr(pcsc, "list_readers", listing)
    monkeypatch.setattr(pcsc, "reader_states", states)
    monkeypatch.setattr(pcsctransport, "PcscTransport", transport)


def fault_recording(tmp_path: Path, fault: str) -> Path:
    """``verify-pin 2``'s recording, ending in ``fault`` at the VERIFY (after the PIN was
    sent, the answer lost), or ``early``: a card removed before any PIN was sent."""
    lines = (SESSIONS / "verify-pin-auth.jsonl").read_text("utf-8").splitlines()
    if fault == "early":
        kept, last = lines[:3], {"i": 2, "command": "00200098", "fault": "card-removed"}
    else:
        kept, last = lines[:8], {"i": 7, "command": "0020008004XXXXXXXX", "fault": fault}
    path = tmp_path / "fault.jsonl"
    path.write_text("\n".join([*kept, json.dumps(last)]) + "\n", "utf-8")
    return path


def render(case: Case, lang: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    for name, data in case.files.items():
        (tmp_path / name).write_bytes(data)
    head = ["--lang", lang]
    if case.state is not None:
        state = tmp_path / "state.json"
        state.write_text(json.dumps(case.state), "utf-8")
        head += ["--emulator", "--emulator-state", str(state)]
    if case.readers is not None:
        fake_pcsc(monkeypatch, case)
    if case.fault is not None:
        head += ["--replay", str(fault_recording(tmp_path, case.fault))]
    return run([*head, *args], "".join(f"{line}\n" for line in case.stdin))


def run(args: list[str], stdin: str) -> Run:
    """The CLI in this process; stdout has bytes underneath, as a real one does
    (``cert export`` writes there), and standard input is a pipe."""
    import contextlib
    import io
    import sys
    from unittest import mock

    from jpki.cli.main import main

    out, err = io.TextIOWrapper(io.BytesIO(), "utf-8"), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        mock.patch.object(sys, "stdin", io.StringIO(stdin)),
    ):
        code = main(args)
    out.flush()
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return Run(code, out.buffer.getvalue().decode("utf-8", "replace"), err.getvalue())  # type: ignore[attr-defined]


# -- what is looked for ----------------------------------------------------------------

OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")
#: Ctrl-C, a path (docs/reporting.md), choices ([ja|en]), click's range (1<=x<=65535).
TOKENS = re.compile(
    r"Ctrl-C|\w+(?:\.\w+)+|[\w.-]*/[\w./-]+|\w+\.(?:md|txt|json|jsonl)\b|[\[{][\w|-]+[\]}]|<=x<="
)
HEX = re.compile(r"\b[0-9A-F]{2}\b|\b[0-9A-Fa-f]*\d[0-9A-Fa-f]*\b")
ISO_TIME = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_']*")
WIDE_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f々〆ヵヶ]+")


def names() -> list[str]:
    """What is a name wherever it is printed: commands, PIN kinds, readers."""
    commands = {part for path, _ in walk(cli) for part in path.split(".") if path != "cli"}
    kinds = {"sign", "auth", "auth-ca", "sign-ca", "juki", "juki-common", "cardinfo", "pem", "der"}
    found = [*READER_NAMES, "Virtual PCD 00 00", "jpkitool virtual card", "myna-card",
             *commands, *kinds]  # fmt: skip
    return sorted(found, key=len, reverse=True)


def file_names() -> list[str]:
    """The names a state or session file error may repeat: its fields and the values
    a field takes."""
    from apdu.errors import FAULTS
    from jpki.emulator.statefile import FIELDS
    from jpki.profile import APPLICATIONS_BY_ID

    found = {part for path in FIELDS for part in path.split(".")}
    found |= {"card", "android", "iphone", "juki-card", *APPLICATIONS_BY_ID, *FAULTS}
    found |= {"i", "command", "response", "fault", "code", "timeout", "ms", "power"}
    found.add("colour")  # the unknown field of a case
    return sorted(found, key=len, reverse=True)


def card_data(text: str) -> str:
    """``text`` without the subject's and issuer's names a certificate carries."""
    return re.sub(r"\b(?:C|O|OU|CN|L|ST)=[^,\n）)]*", " ", text)


def foreign_words(text: str, lang: str, tmp_path: Path, case: Case) -> list[str]:
    text = text.replace(str(tmp_path), " ").replace(str(SESSIONS), " ")
    text = card_data(text)
    typed = [a for a in case.args if not a.startswith("-")]  # repeated as typed
    for name in [*names(), *typed]:  # a name may be wrapped at its spaces
        pattern = r"\s+".join(map(re.escape, name.split()))
        text = re.sub(rf"(?<![\w.-]){pattern}(?![\w-]|\.\w)", " ", text)
    text = TOKENS.sub(" ", text)
    if case.name.startswith("bad "):  # the file's field names and the values it takes
        text = re.sub(
            rf"(?<![\w-])(?:{'|'.join(map(re.escape, file_names()))})(?![\w-])", " ", text
        )
    if "readers" in case.args:  # its table wraps a reader's name within its column
        for part in {p for name in names() for p in name.split()}:
            text = re.sub(rf"(?<![\w-]){re.escape(part)}(?![\w-])", " ", text)
    if lang == "ja":
        text = ISO_TIME.sub(" ", OPTION.sub(" ", text))
        text = HEX.sub(" ", text)
        return [w for w in WORD.findall(text) if w not in JA_ALLOWED]
    return [w for w in WIDE_RUN.findall(text) if w not in EN_ALLOWED]


def _params() -> Iterator[Any]:
    for case in CASES:
        for lang in ("ja", "en"):
            yield pytest.param(case, lang, id=f"{lang}-{case.name}")


#: A message that repeats itself: "no reader found (no reader found)".
REPEATED = re.compile(r"(\b\w[\w' -]{9,}) ?[(（]\1[)）]")


@pytest.mark.parametrize(("case", "lang"), list(_params()))
def test_every_rendering_fits_80_columns_in_one_language(
    case: Case, lang: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = render(case, lang, tmp_path, monkeypatch)
    shown = r.out + r.err
    assert shown.strip(), f"nothing shown (exit {r.code})"
    assert not any(secret in shown for secret in SECRETS), "a PIN was shown"
    text = r.err if "--json" in case.args else shown  # JSON is never wrapped
    problems = [f"{width(line)} cells: {line}" for line in text.splitlines()
                if width(line) > COLUMNS]  # fmt: skip
    problems += [f"repeated: {m.group()}" for m in REPEATED.finditer(shown)]
    if "--json" not in case.args and "export" not in case.args[:2]:
        words = foreign_words(shown, lang, tmp_path, case)
        problems += [f"{'English' if lang == 'ja' else 'Japanese'}: {words}"] if words else []
    assert problems == [], "\n".join([*problems, "--- output:", shown])


def test_the_renderings_cover_every_command() -> None:
    """Each command of the tree is run at least once, besides its help page."""
    run_names = {tuple(a for a in c.args if not a.startswith("-"))[:2] for c in CASES if c.args}
    for path, command in walk(cli):
        if path == "cli" or isinstance(command, click.Group):
            continue
        words = tuple(path.split("."))
        assert any(ran[: len(words)] == words for ran in run_names), path
