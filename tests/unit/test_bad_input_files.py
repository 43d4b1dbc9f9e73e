"""Bad input files, as a new user would hand them over: ``--emulator-state FILE``,
``--replay FILE`` and ``--record FILE``. Each is one clear line and an exit status,
never a hang, a crash or a silent choice."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import apdu
from apdu import (
    CardRemovedError,
    CardUnresponsiveError,
    ReaderBusyError,
    ServiceStoppedError,
    ServiceUnavailableError,
    SessionFileError,
    TransportError,
)
from apdu.outfile import OutputError
from apdu.recording import RecordingTransport
from apdu.replay import MAX_SESSION_BYTES, ReplayTransport
from cli_runner import Run
from cli_runner import jpkitool_inprocess as run
from jpki.cli.failures import classify
from jpki.emulator import CardState, EmulatorTransport, StateError, VirtualCard, load_state
from jpki.emulator.statefile import MAX_STATE_BYTES
from jpki.i18n import set_language

SESSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "sessions"
FRESH = SESSIONS / "retries-fresh.jsonl"


def state_run(path: Path, *args: str, lang: str = "en", input: str = "") -> Run:
    return run("--lang", lang, "--emulator", "--emulator-state", str(path), *args, input=input)


def one_line(r: Run, code: int, *words: str) -> None:
    assert r.code == code, r.err
    assert r.out == "" and len(r.err.strip().splitlines()) == 1, r.err
    for word in words:
        assert word in r.err, r.err


# -- nesting, duplicate keys, byte order marks, sizes ---------------------------------


def test_a_state_file_nested_100000_deep_is_a_state_file_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    # (nesting beyond what Python parses: invalid JSON where it gets too deep)
    one_line(state_run(path, "retries"), 2, f"{path}:1: not valid JSON at column ")
    one_line(
        state_run(path, "retries", lang="ja"),
        2,
        f"{path}:1: ",
        "文字目が JSON として正しくありません",
    )
    js = run("--json", "--emulator", "--emulator-state", str(path), "retries")
    assert js.json["error"]["code"] == "state-file"


def test_a_session_line_nested_100000_deep_is_a_session_file_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text(FRESH.read_text("utf-8") + '{"i": [' * 50_000 + "\n", "utf-8")
    r = run("--lang", "en", "--replay", str(path), "retries")
    one_line(r, 2, f"{path}:17: not valid JSON at column ")


def test_duplicate_keys_are_refused_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text('{"token": "card", "pins": {"auth": {"remaining": 1, "remaining": 3}}}')
    one_line(state_run(path, "retries"), 2, f"{path}: remaining: given twice")
    one_line(state_run(path, "retries", lang="ja"), 2, f"{path}: remaining: 2回書かれています")
    session = tmp_path / "dup.jsonl"
    lines = FRESH.read_text("utf-8").splitlines()
    lines[3] = lines[3].replace('"response"', '"response": "9000", "response"')
    session.write_text("\n".join(lines) + "\n", "utf-8")
    one_line(run("--replay", str(session), "retries"), 2, f"{session}:4: response: given twice")


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    """Windows Notepad starts UTF-8 files with one: accepted, in both kinds of file."""
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"pins": {"auth": {"remaining": 1}}}\r\n')
    r = run("--json", "--emulator", "--emulator-state", str(path), "retries")
    assert r.code == 0 and r.json["pins"][1]["remaining"] == 1
    assert load_state(path).pins["auth"].remaining == 1
    session = tmp_path / "bom.jsonl"
    session.write_bytes(b"\xef\xbb\xbf" + FRESH.read_bytes().replace(b"\n", b"\r\n"))
    assert run("--replay", str(session), "retries").code == 0


def test_utf16_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "utf16.json"
    path.write_text('{"token": "card"}', "utf-16")
    one_line(state_run(path, "retries"), 2, f"{path}:1: not UTF-8 text: save it as UTF-8")
    one_line(state_run(path, "retries", lang="ja"), 2, "UTF-8 で保存し直してください")
    session = tmp_path / "utf16.jsonl"
    session.write_text(FRESH.read_text("utf-8"), "utf-16")
    one_line(run("--replay", str(session), "retries"), 2, f"{session}:1: not UTF-8 text")


def test_a_state_file_over_the_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as f:
        f.truncate(MAX_STATE_BYTES + 1)  # sparse: nothing to read anyway
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(StateError) as caught:
        load_state(path)
    assert reads == []
    assert caught.value.code == "size" and caught.value.params["limit"] == 1024 * 1024
    one_line(state_run(path, "retries", lang="ja"), 2, "1,048,576 バイトを超えています")


def test_a_state_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "padded.json"
    text = '{"token": "card"}'
    path.write_text(text + " " * (MAX_STATE_BYTES - len(text)), "utf-8")
    assert load_state(path).token == "card"


def test_a_huge_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "field.json"
    path.write_text('{"holder": {"name": "' + "a" * (2 * 1024 * 1024) + '"}}', "utf-8")
    one_line(state_run(path, "retries"), 2, f"{path}: larger than 1,048,576 bytes")


def test_a_session_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("wb") as f:
        f.write(FRESH.read_bytes())
        f.truncate(MAX_SESSION_BYTES + 1)
    one_line(run("--replay", str(path), "retries"), 2, f"{path}: larger than 16,777,216 bytes")
    assert MAX_SESSION_BYTES == 16 * 1024 * 1024


def test_a_number_with_too_many_digits_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "digits.json"
    path.write_text('{"latency_ms": ' + "9" * 5000 + "}", "utf-8")
    one_line(state_run(path, "retries"), 2, f"{path}:1: not valid JSON at column 16")


# -- not a regular file ---------------------------------------------------------------


@contextlib.contextmanager
def unblocking(fifo: Path) -> Iterator[None]:
    """If the code under test waits on ``fifo``, a writer comes after 5 s and closes it,
    so a regression fails the test instead of hanging the run."""
    done = threading.Event()

    def writer() -> None:
        if not done.wait(5):
            fd = os.open(fifo, os.O_WRONLY)
            os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    start = time.monotonic()
    with unblocking(fifo):
        state = state_run(fifo, "retries")
        replay = run("--lang", "ja", "--replay", str(fifo), "retries")
    assert time.monotonic() - start < 4
    one_line(state, 2, f"{fifo}: not a regular file")
    one_line(replay, 2, f"{fifo}: 通常のファイルではありません")


def test_a_folder_or_a_device_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateError) as caught:
        load_state(tmp_path)  # (the CLI's option type refuses a folder already)
    assert (caught.value.reason, caught.value.params) == (
        "not a regular file",
        {"kind": "directory"},
    )
    with pytest.raises(SessionFileError) as session:
        ReplayTransport(tmp_path)
    assert (session.value.reason, session.value.params) == (
        "not a regular file",
        {"kind": "directory"},
    )
    if os.path.exists("/dev/zero"):
        one_line(state_run(Path("/dev/zero"), "retries"), 2, "/dev/zero: not a regular file")
        one_line(run("--replay", "/dev/zero", "retries"), 2, "/dev/zero: not a regular file")


def test_a_certificate_path_in_a_state_file_must_be_a_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text(json.dumps({"certificates": {"auth": str(tmp_path)}}), "utf-8")
    one_line(state_run(path, "retries"), 2, f"certificates.auth: {tmp_path}: not a regular file")


# -- recording ------------------------------------------------------------------------


def test_record_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text("mine\n", "utf-8")
    r = run("--lang", "en", "--emulator", "--record", str(path), "retries")
    one_line(r, 2, f"cannot write {path}", "already exists (--overwrite replaces it)")
    ja = run("--lang", "ja", "--emulator", "--record", str(path), "retries")
    one_line(ja, 2, str(path), "ファイルがすでにあります（置き換えるには --overwrite）")
    js = run("--json", "--emulator", "--record", str(path), "retries")
    assert js.code == 2 and js.json["error"]["code"] == "output-file"
    assert path.read_text("utf-8") == "mine\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_record_to_dev_full_is_one_clear_line() -> None:
    for lang in ("en", "ja"):
        r = run("--lang", lang, "--emulator", "--record", "/dev/full", "retries")
        one_line(r, 2, "/dev/full")
        assert "Errno" not in r.err and "[" not in r.err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_while_recording_names_the_file() -> None:
    card = EmulatorTransport(VirtualCard(CardState()))
    with pytest.raises(OutputError) as caught:
        RecordingTransport(card, "/dev/full")  # a device is written in place; that fails
    exc = caught.value
    assert exc.code == "cannot-write" and exc.params["errno"] == errno.ENOSPC
    set_language("ja")
    try:
        failure = classify(exc)
    finally:
        set_language("en")
    assert failure.exit == 2
    assert failure.message == ("/dev/full に書き込めません: ディスクの空き容量が足りません")


def test_a_write_error_in_the_middle_of_a_session_is_the_only_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = EmulatorTransport(VirtualCard(CardState()))
    rec = RecordingTransport(card, tmp_path / "s.jsonl")

    class Full:
        """A file on a full disk: every write and the closing fail."""

        closed = False

        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        flush = write

        def close(self) -> None:
            if not self.closed:
                self.closed = True
                raise OSError(errno.ENOSPC, "No space left on device")

    rec._file.close()
    monkeypatch.setattr(rec, "_file", Full())
    # the exchange reached the card: its answer is still given, the session goes on
    assert rec.transmit(bytes.fromhex("00A4040C0AD392F000260100000001")) == b"\x90\x00"
    assert rec.transmit(bytes.fromhex("00A4040C0AD392F000260100000001")) == b"\x90\x00"
    assert not (tmp_path / "s.jsonl").exists()  # nothing half-written is left behind
    with pytest.raises(OutputError) as caught:
        rec.close()  # where the failure is told, once
    assert caught.value.code == "cannot-write" and caught.value.params["errno"] == errno.ENOSPC
    rec.close()


# -- a recording cut short by a fault -------------------------------------------------


def removed_after(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """The virtual card answers ``count`` commands, then is gone."""
    real = EmulatorTransport.transmit
    seen = [0]

    def transmit(
        self: EmulatorTransport, apdu_bytes: bytes, *, secret: bool = False, personal: bool = False
    ) -> bytes:
        seen[0] += 1
        if seen[0] > count:
            raise CardRemovedError("the card was removed")
        return real(self, apdu_bytes, secret=secret)

    monkeypatch.setattr(EmulatorTransport, "transmit", transmit)


def test_a_recording_cut_short_replays_to_the_same_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cut.jsonl"
    removed_after(monkeypatch, 5)
    recorded = run("--json", "--emulator", "--record", str(path), "retries")
    monkeypatch.undo()
    assert recorded.code == 5 and recorded.json["error"]["code"] == "card-removed"
    last = json.loads(path.read_text("utf-8").splitlines()[-1])
    assert last["i"] == 5 and last["fault"] == "card-removed" and "response" not in last
    replayed = run("--json", "--replay", str(path), "retries")
    assert (replayed.code, replayed.json["error"]) == (recorded.code, recorded.json["error"])
    text = run("--lang", "ja", "--replay", str(path), "retries")
    assert text.code == 5 and "カードが取り出されました" in text.err


def test_a_fault_line_is_checked_like_any_other(tmp_path: Path) -> None:
    lines = FRESH.read_text("utf-8").splitlines()[:3]
    path = tmp_path / "f.jsonl"
    for line, field, code in [
        ({"i": 2, "command": "00A4040C", "fault": "melted"}, "fault", "choice"),
        ({"i": 2, "command": "00A4040C", "fault": ["x"]}, "fault", "choice"),
        ({"i": 2, "command": "00A4040C", "fault": "no-card", "response": "9000"}, "response",
         "unknown"),
        ({"i": 2, "command": "00A4040C", "fault": "no-card", "code": "x"}, "code", "whole"),
        ({"i": 2, "command": "00A4040C", "fault": "no-card", "code": -1}, "code", "whole"),
        ({"i": 2, "command": "00A4040C", "fault": "no-card", "code": 2**32}, "code", "whole"),
        ({"i": 2, "command": "00A4040C", "fault": "no-card", "code": True}, "code", "whole"),
        ({"i": 2, "command": "00A4040C", "fault": "no-card", "timeout": 86401}, "timeout",
         "number"),
        ({"i": 2, "command": "00A4040C", "fault": "no-card", "timeout": "5"}, "timeout", "number"),
        ({"i": 2, "command": "00A4040C", "fault": "no-card", "timeout": -3}, "timeout", "number"),
        ({"i": 2, "command": "00A4040C", "fault": "no-card", "timeout": 10**400}, "timeout",
         "number"),
        ({"i": 2, "command": "00A4040C", "response": "9000", "ms": 10**400}, "ms", "number"),
    ]:  # fmt: skip
        path.write_text("\n".join([*lines, json.dumps(line)]) + "\n", "utf-8")
        with pytest.raises(SessionFileError) as caught:
            ReplayTransport(path)
        assert (caught.value.line, caught.value.field, caught.value.code) == (4, field, code)


def test_every_fault_is_recorded_and_raised_again(tmp_path: Path) -> None:
    from apdu.errors import FAULTS, fault_code

    for code, kind in FAULTS.items():
        path = tmp_path / f"{code}.jsonl"

        def failing(command: bytes, kind: type[Exception] = kind) -> bytes:
            if command[1] == 0xB0:
                raise kind("gone")
            return b"\x90\x00"

        with RecordingTransport(apdu.FunctionTransport(failing), path) as rec:
            assert rec.transmit(bytes.fromhex("00A4040C00")) == b"\x90\x00"
            with pytest.raises(kind):
                rec.transmit(bytes.fromhex("00B0000000"))
        replay = ReplayTransport(path)
        assert replay.transmit(bytes.fromhex("00A4040C00")) == b"\x90\x00"
        with pytest.raises(kind) as caught:
            replay.transmit(bytes.fromhex("00B0000000"))
        assert fault_code(caught.value) == code and replay.remaining == 0
        replay.close()


def make_error(cls: type[TransportError], **fields: Any) -> Exception:
    return cls("failed", **fields)


def fault_replayed(tmp_path: Path, exc: Exception, *args: str) -> Any:
    """Record ``retries`` meeting ``exc`` at its third exchange, replay it with ``args``."""
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "fault.jsonl"
    seen = [0]

    def failing(command: bytes) -> bytes:
        seen[0] += 1
        if seen[0] == 3:
            raise exc
        return b"\x90\x00"

    with RecordingTransport(apdu.FunctionTransport(failing), path) as rec:
        for _ in range(2):
            rec.transmit(bytes.fromhex("00A4040C00"))
        with pytest.raises(type(exc)):
            rec.transmit(bytes.fromhex("00B0000000"))
    return path


@pytest.mark.parametrize(
    ("exc", "details"),
    [
        (make_error(CardUnresponsiveError, timeout=7.5, code=0x8010000A),
         {"timeout": 7.5, "code": 0x8010000A}),
        (make_error(ServiceStoppedError, code=0x8010001E), {"code": 0x8010001E}),
        (make_error(ServiceUnavailableError, code=0x8010001D), {"code": 0x8010001D}),
        (make_error(ReaderBusyError, timeout=20), {"timeout": 20}),
        (make_error(CardRemovedError), {}),
    ],
)  # fmt: skip
def test_a_fault_keeps_its_code_and_timeout_through_a_recording(
    tmp_path: Path, exc: Exception, details: dict[str, Any]
) -> None:
    path = fault_replayed(tmp_path, exc)
    line = json.loads(path.read_text("utf-8").splitlines()[-1])
    assert {k: line[k] for k in ("code", "timeout") if k in line} == details
    replay = ReplayTransport(path)
    for _ in range(2):
        replay.transmit(bytes.fromhex("00A4040C00"))
    with pytest.raises(type(exc)) as caught:
        replay.transmit(bytes.fromhex("00B0000000"))
    for name, value in details.items():
        assert getattr(caught.value, name) == value
    for name in {"code", "timeout"} - set(details):
        assert getattr(caught.value, name) is None


def test_a_replayed_fault_reads_as_the_recorded_one(tmp_path: Path) -> None:
    """A timeout names its seconds and a stopped pcscd is 'stopped', not 'not running',
    on replay as on the reader."""
    cases = [
        (make_error(CardUnresponsiveError, timeout=7.5, code=0x8010000A), "7.5 s"),
        (make_error(ServiceStoppedError, code=0x8010001E), "stopped"),
    ]
    for n, (exc, words) in enumerate(cases):
        path = fault_replayed(tmp_path / str(n), exc)
        replay = ReplayTransport(path)
        for _ in range(2):
            replay.transmit(bytes.fromhex("00A4040C00"))
        with pytest.raises(type(exc)) as caught:
            replay.transmit(bytes.fromhex("00B0000000"))
        set_language("en")
        assert words in classify(caught.value).message
        assert classify(caught.value).message == classify(exc).message


# -- read-only commands leave the state file alone ------------------------------------


READ_ONLY = (["retries"], ["info"], ["expiry"], ["cert", "show", "auth"], ["readers"])


def test_read_only_commands_never_write_the_state_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "card.json"
    path.write_text('{"pins": {"auth": {"remaining": 1}}}\n', "utf-8")
    path.chmod(0o644)
    before = path.stat()

    def no_write(target: object, data: bytes) -> None:
        raise AssertionError(f"a read-only command wrote {target}")

    monkeypatch.setattr("jpki.emulator.statefile.write_whole", no_write)
    for command in READ_ONLY:
        r = state_run(path, *command)
        assert r.code in (0, 6), (command, r.err)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_mode) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_mode,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_a_changing_command_keeps_the_state_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text("{}", "utf-8")
    path.chmod(0o644)
    r = state_run(path, "verify-pin", "2", input="9999\n")
    assert r.code == 3
    assert json.loads(path.read_text("utf-8"))["pins"]["auth"]["remaining"] == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    new = tmp_path / "new.json"
    assert state_run(new, "verify-pin", "2", input="9999\n").code == 3
    assert stat.S_IMODE(new.stat().st_mode) == 0o600  # a new file: the owner's only
