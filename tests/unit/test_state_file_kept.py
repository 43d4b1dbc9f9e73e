"""The virtual card's state file keeps what the card did (issue 17, item 3).

``emulator serve --state FILE`` checks FILE can be written before it serves, and
saves it after every APDU that changed the card (a PIN tried or changed), before
the answer leaves: a SIGKILL keeps every change answered. An in-process
``--emulator-state FILE`` that cannot be written refuses a command that may change
the card before anything is asked; read-only commands still read it.

The pcscd-backed counterpart is in tests/e2e/test_emulator_serve_e2e.py. Nothing
here waits for time to pass: each step waits for an answer, a line or an exit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cli_runner import Run, StderrLines, serve_process
from cli_runner import jpkitool_inprocess as run
from fake_vpcd import PATIENCE, FakeVpcd
from jpki import profile
from jpki.emulator import CardState, VirtualCard, load_state

OK = bytes.fromhex("9000")
SELECT_JPKI = "00A4040C0A" + profile.JPKI.aid.hex()
SELECT_AUTH_PIN = f"00A4020C02{profile.AUTH_SLOT.fid:04X}"
QUERY = "00200080"  # VERIFY without data: the count
VERIFY_WRONG = "0020008004" + b"9999".hex()
VERIFY_RIGHT = "0020008004" + b"1234".hex()
CHANGE_TO_5678 = "0024018004" + b"5678".hex()
PARTIAL = '{"pins": {"sign": {"remaining": 4}}}\n'


def one_line(r: Run, code: int, *words: str) -> None:
    assert r.code == code, r.err
    assert r.out == "" and len(r.err.strip().splitlines()) == 1, r.err
    for word in words:
        assert word in r.err, r.err


@pytest.fixture
def fake() -> Iterator[FakeVpcd]:
    with FakeVpcd() as vpcd:
        yield vpcd


def deny_writing_in(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """``folder`` cannot be written, as for a user without the right (root can write
    anywhere, so the test says it through ``os.access``)."""
    real = os.access
    denied = os.path.realpath(folder)

    def access(path: object, mode: int, **kw: object) -> bool:
        if mode & os.W_OK and os.path.realpath(os.fspath(path)) == denied:  # type: ignore[arg-type]
            return False
        return real(path, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)


# -- the virtual card says when it changed -------------------------------------------


def test_the_card_calls_on_change_after_each_apdu_that_changed_its_state() -> None:
    seen: list[tuple[int, str]] = []
    state = CardState()

    def changed() -> None:
        slot = state.pins["auth"]
        seen.append((slot.remaining, slot.value))

    card = VirtualCard(state, on_change=changed)
    card.power_on()

    def send(apdu: str) -> bytes:
        return card.process(bytes.fromhex(apdu))

    assert send(SELECT_JPKI) == OK and send(SELECT_AUTH_PIN) == OK
    assert send(QUERY) == bytes.fromhex("63C3")
    assert send(VERIFY_RIGHT) == OK  # the counter was full already: no change
    assert seen == []
    assert send(VERIFY_WRONG) == bytes.fromhex("63C2")
    assert seen == [(2, "1234")]
    assert send(VERIFY_RIGHT) == OK  # the counter back to 3: a change
    assert send(CHANGE_TO_5678) == OK
    assert seen == [(2, "1234"), (3, "1234"), (3, "5678")]
    assert send(VERIFY_WRONG) == bytes.fromhex("63C2")
    assert send(VERIFY_WRONG) == bytes.fromhex("63C1")
    assert send(VERIFY_WRONG) == bytes.fromhex("63C0")
    assert len(seen) == 6
    assert send(VERIFY_WRONG) == bytes.fromhex("6984")  # blocked: nothing changes
    assert len(seen) == 6 and card.changes == 6


def test_a_change_the_card_does_not_keep_is_no_change() -> None:
    calls: list[None] = []
    state = CardState()
    state.quirks.change_not_kept = True
    card = VirtualCard(state, on_change=lambda: calls.append(None))
    card.power_on()
    for apdu in (SELECT_JPKI, SELECT_AUTH_PIN, VERIFY_RIGHT, CHANGE_TO_5678):
        assert card.process(bytes.fromhex(apdu)) == OK
    assert calls == [] and card.changes == 0


# -- emulator serve --state: checked before serving ----------------------------------


def serve_args(path: Path, lang: str = "en") -> list[str]:
    return ["--lang", lang, "emulator", "serve", "--vpcd-port", "9", "--state", str(path)]


@pytest.fixture
def never_served(monkeypatch: pytest.MonkeyPatch) -> None:
    def serve(*args: object, **kwargs: object) -> None:
        raise AssertionError("served with a state file it cannot save")

    monkeypatch.setattr("jpki.emulator.vpcd.serve", serve)


Setup = Callable[[Path, pytest.MonkeyPatch], Path]


def read_only_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch | None = None) -> Path:
    path = tmp_path / "card.json"
    path.write_text(PARTIAL, "utf-8")
    path.chmod(0o444)
    return path


def file_in_a_folder_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file could be written in place, but a save writes beside it and renames."""
    path = tmp_path / "card.json"
    path.write_text(PARTIAL, "utf-8")
    deny_writing_in(monkeypatch, tmp_path)
    return path


def new_file_in_a_folder_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    deny_writing_in(monkeypatch, tmp_path)
    return tmp_path / "card.json"


def fifo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.usefixtures("never_served")
@pytest.mark.parametrize(
    ("setup", "en", "ja"),
    [
        (read_only_file, "the file is read-only", "読み取り専用"),
        (file_in_a_folder_not_writable, "folder does not exist or cannot be written", "フォルダー"),
        (new_file_in_a_folder_not_writable, "cannot be written", "書き込めません"),
        (fifo, "not a regular file", "通常のファイルではありません"),
    ],
)
def test_serve_refuses_a_state_file_it_could_not_save_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup: Setup, en: str, ja: str
) -> None:
    path = setup(tmp_path, monkeypatch)
    before = path.read_text("utf-8") if path.is_file() else None
    one_line(run(*serve_args(path)), 2, str(path), en)
    one_line(run(*serve_args(path, "ja")), 2, str(path), ja)
    assert (path.read_text("utf-8") if path.is_file() else None) == before


# -- emulator serve --state: saved after every change --------------------------------


def test_serve_saves_each_change_before_answering_so_a_sigkill_keeps_it(
    fake: FakeVpcd, tmp_path: Path
) -> None:
    path = tmp_path / "card.json"
    path.write_text(PARTIAL, "utf-8")
    proc = serve_process(fake.port, "--state", str(path))
    lines = StderrLines(proc)
    try:
        fake.accept()
        fake.atr()
        fake.power_on()
        assert fake.transmit(SELECT_JPKI) == OK
        assert fake.transmit(SELECT_AUTH_PIN) == OK
        assert fake.transmit(QUERY) == bytes.fromhex("63C3")
        assert fake.transmit(VERIFY_RIGHT) == OK  # the counter was full: nothing changed
        assert path.read_text("utf-8") == PARTIAL  # the user's partial file, as written
        assert fake.transmit(VERIFY_WRONG) == bytes.fromhex("63C2")
        assert load_state(path).pins["auth"].remaining == 2  # saved before the answer
        assert fake.transmit(VERIFY_RIGHT) == OK
        assert fake.transmit(CHANGE_TO_5678) == OK
    finally:
        proc.kill()
        proc.wait(PATIENCE)
    assert "Traceback" not in "".join(lines.all())
    saved = load_state(path)
    assert (saved.pins["auth"].value, saved.pins["auth"].remaining) == ("5678", 3)
    assert saved.pins["sign"].remaining == 4  # the rest of the partial file kept
    assert not [p.name for p in tmp_path.iterdir() if p.name != "card.json"]  # no temporary


def test_a_change_serve_cannot_save_is_not_answered_and_ends_serving(
    fake: FakeVpcd, tmp_path: Path
) -> None:
    path = tmp_path / "card.json"
    path.write_text("{}", "utf-8")
    proc = serve_process(fake.port, "--state", str(path))
    lines = StderrLines(proc)
    try:
        fake.accept()
        fake.atr()
        path.chmod(0o444)  # taken away while serving
        assert fake.transmit(SELECT_JPKI) == OK
        assert fake.transmit(SELECT_AUTH_PIN) == OK
        with pytest.raises(ConnectionError):  # no answer: the card is taken out
            fake.transmit(VERIFY_WRONG)
        proc.wait(PATIENCE)
    finally:
        proc.kill()
        proc.wait(PATIENCE)
    err = lines.all()
    assert proc.returncode == 2, err
    assert "Traceback" not in "".join(err)
    assert f"jpkitool: cannot write {path}: the file is read-only" in err[-1], err
    assert path.read_text("utf-8") == "{}"


# -- in-process --emulator-state: a command that may change the card ------------------


def state_run(path: Path, *args: str, lang: str = "en", input: str = "") -> Run:
    return run("--lang", lang, "--emulator", "--emulator-state", str(path), *args, input=input)


def changing_commands(tmp_path: Path) -> list[list[str]]:
    report = str(tmp_path / "report.jsonl")
    return [
        ["verify-pin", "2"],
        ["verify-pin", "1"],
        ["change-pin", "2"],
        ["cert", "show", "sign"],
        ["cert", "export", "sign", "-o", str(tmp_path / "sign.pem")],
        ["expiry", "--sign"],
        ["doctor", "--report", report, "--report-with-pin", "1"],
        ["doctor", "--report", report, "--report-with-pin", "4"],
    ]


def test_a_command_that_may_change_the_card_refuses_a_read_only_state_before_asking(
    tmp_path: Path,
) -> None:
    path = read_only_file(tmp_path)
    for command in changing_commands(tmp_path):
        # A wrong PIN on stdin: had it been asked, a try would be spent and lost.
        r = state_run(path, *command, input="9999\n9999\n1111\n1111\n")
        one_line(r, 2, str(path), "the file is read-only")
        ja = state_run(path, *command, lang="ja", input="9999\n")
        one_line(ja, 2, str(path), "読み取り専用")
    assert path.read_text("utf-8") == PARTIAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.json"]  # no export, no report


def test_a_command_that_may_change_the_card_refuses_a_state_it_could_not_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = file_in_a_folder_not_writable(tmp_path, monkeypatch)
    one_line(state_run(path, "verify-pin", "2", input="9999\n"), 2, str(path), "folder")
    assert path.read_text("utf-8") == PARTIAL


def test_read_only_commands_still_read_a_read_only_state_file(tmp_path: Path) -> None:
    path = read_only_file(tmp_path)
    r = state_run(path, "--json", "retries")
    assert r.code == 0, r.err
    assert {p["id"]: p["remaining"] for p in r.json["pins"]}["sign"] == 4
    for command in (["info"], ["expiry"], ["cert", "show", "auth"]):
        r = state_run(path, *command)
        assert r.code == 0, (command, r.err)
    report = tmp_path / "report.jsonl"
    r = state_run(path, "doctor", "--report", str(report))  # no PIN: nothing changes
    assert r.code == 0, r.err
    assert path.read_text("utf-8") == PARTIAL


def test_a_writable_state_file_still_keeps_a_wrong_try(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text(PARTIAL, "utf-8")
    r = state_run(path, "verify-pin", "2", input="9999\n")
    assert r.code == 3, r.err
    assert load_state(path).pins["auth"].remaining == 2
