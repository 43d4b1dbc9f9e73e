"""Where jpkitool writes: one rule (:mod:`apdu.outfile`) for exports, recordings and
state files. A device is never replaced by a regular file, a link stays a link, an
existing file is replaced only with --overwrite, and a recording that could not be
written leaves nothing behind. Every refusal is one line, exit 2, before the card."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from apdu.outfile import STDOUT, OutputError, check, write_whole
from cli_runner import jpkitool_inprocess as run

ROOT = os.geteuid() == 0


def device(path: Path) -> Path:
    """A character device like /dev/null (1, 3), made where the test wants it."""
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return path


def is_device(path: Path) -> bool:
    return stat.S_ISCHR(os.lstat(path).st_mode)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A FIFO with a reader already waiting on it (so a writer does not block)."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        yield path, fd
    finally:
        os.close(fd)


def drain(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def refused(r: object, *words: str) -> None:
    code, out, err = r.code, r.out, r.err  # type: ignore[attr-defined]
    assert code == 2, (code, err)
    assert len(err.splitlines()) == 1, err
    assert "tries left" not in err and "> " not in err  # no PIN asked, no APDU sent
    for word in words:
        assert word in err, (word, err)
    assert out == ""


EXPORT = ("--emulator", "cert", "export", "auth", "--format", "der", "-o")
RECORD = ("--emulator", "--record")


# -- the rule itself ------------------------------------------------------------------


def test_the_rule_for_each_kind_of_target(tmp_path: Path) -> None:
    regular = tmp_path / "file"
    regular.write_bytes(b"x")
    link = tmp_path / "link"
    link.symlink_to(regular)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    assert check(tmp_path / "new", streams=True, overwrite=False).path == str(tmp_path / "new")
    assert check("-", streams=True, overwrite=False).path == STDOUT
    assert check("/dev/stdout", streams=True, overwrite=False).path == STDOUT
    assert check(link, streams=False, overwrite=True).path == str(regular)
    assert check(regular, streams=False, overwrite=True).replaces
    cases = [
        ("", True, True, "empty-name"),
        (regular, True, False, "exists"),
        (link, True, False, "exists"),
        (dangling, True, True, "dangling-link"),
        (tmp_path, True, True, "not-regular"),
        (tmp_path / "no" / "file", True, True, "no-folder"),
        ("/dev/null", False, True, "not-regular"),
    ]
    for path, streams, overwrite, code in cases:
        with pytest.raises(OutputError) as caught:
            check(path, streams=streams, overwrite=overwrite)
        assert caught.value.code == code, path
    regular.chmod(0o444)
    with pytest.raises(OutputError) as ro:
        check(regular, streams=True, overwrite=True)
    assert ro.value.code == "read-only"  # even for root, who could write it


# -- exports --------------------------------------------------------------------------


@pytest.mark.skipif(not ROOT, reason="mknod needs root; CI runs as root")
def test_export_onto_a_device_writes_in_place_and_keeps_the_device(tmp_path: Path) -> None:
    node = device(tmp_path / "null")
    before = os.lstat(node)
    r = run(*EXPORT, str(node))
    assert r.code == 0, r.err
    after = os.lstat(node)
    assert is_device(node) and (after.st_mode, after.st_rdev) == (before.st_mode, before.st_rdev)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no temporary file left


def test_export_onto_a_fifo_writes_in_place(fifo: tuple[Path, int]) -> None:
    path, reader = fifo
    r = run(*EXPORT, str(path))
    assert r.code == 0, r.err
    data = drain(reader)
    assert data[:1] == b"\x30" and len(data) > 500
    assert stat.S_ISFIFO(os.lstat(path).st_mode)


def test_export_through_a_link_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.der"
    target.write_bytes(b"old")
    link = tmp_path / "link.der"
    link.symlink_to(target)
    refused(run(*EXPORT, str(link)), "already exists", "--overwrite")
    assert target.read_bytes() == b"old"
    r = run("--overwrite", *EXPORT, str(link))
    assert r.code == 0, r.err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes()[:1] == b"\x30"
    new = tmp_path / "new-link.der"
    new.symlink_to(tmp_path / "missing.der")
    refused(run(*EXPORT, str(new)), "symbolic link")
    assert new.is_symlink() and not (tmp_path / "missing.der").exists()


def test_export_refusals_in_both_languages(tmp_path: Path) -> None:
    existing = tmp_path / "auth.der"
    existing.write_bytes(b"mine")
    read_only = tmp_path / "ro.der"
    read_only.write_bytes(b"keep")
    read_only.chmod(0o444)
    cases = [
        ([str(tmp_path)], "not a regular file", "通常のファイルではありません"),
        ([str(existing)], "already exists (--overwrite", "ファイルがすでにあります"),
        (["--overwrite", str(read_only)], "read-only", "読み取り専用"),
        ([""], "the file name is empty", "ファイル名が空です"),
    ]
    for args, en, ja in cases:
        flags = [a for a in args if a.startswith("--")]
        path = [a for a in args if not a.startswith("--")]
        refused(run("--lang", "en", *flags, *EXPORT, *path), en)
        refused(run("--lang", "ja", *flags, *EXPORT, *path), ja)
        js = run("--json", *flags, *EXPORT, *path)
        assert js.code == 2 and js.json["error"]["code"] == "output-file"
    assert existing.read_bytes() == b"mine" and read_only.read_bytes() == b"keep"
    r = run("--overwrite", *EXPORT, str(existing))
    assert r.code == 0 and existing.read_bytes()[:1] == b"\x30"


def test_export_to_dash_and_dev_stdout_is_standard_output(tmp_path: Path) -> None:
    for name in ("-", "/dev/stdout"):
        proc = subprocess.run(
            [sys.executable, "-m", "jpki", *EXPORT, name],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout[:1] == b"\x30" and len(proc.stdout) > 500
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_export_to_stdout_redirected_to_a_file_appends_in_place(tmp_path: Path) -> None:
    """/dev/stdout is the open standard output: a file it points to is not replaced."""
    out = tmp_path / "out.bin"
    with out.open("wb") as f:
        f.write(b"before")
        f.flush()
        proc = subprocess.run(
            [sys.executable, "-m", "jpki", *EXPORT, "/dev/stdout"],
            stdout=f,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
    assert proc.returncode == 0, proc.stderr
    data = out.read_bytes()
    assert data.startswith(b"before\x30") and len(data) > 500


# -- recordings -----------------------------------------------------------------------


@pytest.mark.skipif(not ROOT, reason="mknod needs root; CI runs as root")
def test_record_onto_a_device_writes_in_place_and_keeps_the_device(tmp_path: Path) -> None:
    node = device(tmp_path / "null")
    r = run(*RECORD, str(node), "retries")
    assert r.code == 0, r.err
    assert is_device(node) and sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_record_onto_a_fifo_streams_the_lines(fifo: tuple[Path, int]) -> None:
    path, reader = fifo
    r = run(*RECORD, str(path), "retries", "2")
    assert r.code == 0, r.err
    lines = drain(reader).decode().splitlines()
    assert json.loads(lines[0])["format"] == "jpkitool-session" and len(lines) > 2


def test_record_through_a_link_and_its_refusals(tmp_path: Path) -> None:
    target = tmp_path / "s.jsonl"
    target.write_text("")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    refused(run(*RECORD, str(link), "retries"), "already exists")
    assert run("--overwrite", *RECORD, str(link), "retries", "2").code == 0
    assert link.is_symlink() and json.loads(target.read_text().splitlines()[0])["format"]
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "nowhere.jsonl")
    refused(run(*RECORD, str(dangling), "retries"), "symbolic link")
    refused(run(*RECORD, str(tmp_path), "retries"), "not a regular file")
    target.chmod(0o444)
    refused(run("--overwrite", *RECORD, str(target), "retries"), "read-only")
    refused(run(*RECORD, "", "retries"), "empty")


def test_record_refuses_before_any_pin_is_asked(tmp_path: Path) -> None:
    existing = tmp_path / "s.jsonl"
    existing.write_text("mine\n")
    r = run(*RECORD, str(existing), "verify-pin", "2", input="1234\n")
    refused(r, "already exists")
    assert existing.read_text() == "mine\n"


NAMESPACE = ["unshare", "-m"] if ROOT else ["unshare", "-r", "-m"]


def on_full_tmpfs(tmp_path: Path, room: int, *args: str) -> tuple[int, str, list[str]]:
    """Run jpkitool ``args`` (``DIR`` replaced by a 4 KiB tmpfs with ``room`` bytes
    free) in a private mount namespace; its exit status, stderr and what is left."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed: the pcscd harness needs it too")
    mount = tmp_path / "small"
    mount.mkdir()
    argv = " ".join(f'"{a}"' for a in args).replace("DIR", str(mount))
    script = (
        f"mount -t tmpfs -o size=4k tmpfs {mount} && "
        f"head -c {4096 - room} /dev/zero > {mount}/filler; "
        f"{sys.executable} -m jpki {argv} 2>{tmp_path}/err; echo $? > {tmp_path}/code; "
        f"rm {mount}/filler; ls -A {mount} > {tmp_path}/left; "
        f"{sys.executable} -m jpki {argv} 2>>{tmp_path}/err; echo $? >> {tmp_path}/code; "
        f"ls -A {mount} >> {tmp_path}/left"
    )
    proc = subprocess.run([*NAMESPACE, "sh", "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    codes = (tmp_path / "code").read_text().split()
    left = (tmp_path / "left").read_text().splitlines()
    return int(codes[0]), (tmp_path / "err").read_text(), [*codes[1:], *left]


def test_a_recording_on_a_full_disk_leaves_no_file_and_the_rerun_proceeds(
    tmp_path: Path,
) -> None:
    """The header cannot be written. (A line in the middle cannot: the ``ulimit -f``
    test below; tmpfs gives a file's first write a whole page.)"""
    code, err, rest = on_full_tmpfs(tmp_path, 0, "--emulator", "--record", "DIR/s.jsonl",
                                    "retries")  # fmt: skip
    assert code == 2
    first = err.splitlines()[0]
    assert "s.jsonl" in first and "no space left" in first, err
    # What was left after the failure: nothing; the rerun (room made) passed and wrote it.
    second_code, *left = rest
    assert second_code == "0" and left == ["s.jsonl"], (rest, err)


def test_an_export_on_a_full_disk_is_exit_2(tmp_path: Path) -> None:
    code, err, rest = on_full_tmpfs(tmp_path, 0, "--emulator", "cert", "export", "auth",
                                    "-o", "DIR/auth.pem")  # fmt: skip
    assert code == 2 and "auth.pem" in err and "no space left" in err, err
    assert rest == ["0", "auth.pem"], rest  # nothing left; the rerun wrote it whole


# -- state files ----------------------------------------------------------------------


@pytest.mark.skipif(not ROOT, reason="mknod needs root; CI runs as root")
def test_state_files_refuse_a_device(tmp_path: Path) -> None:
    node = device(tmp_path / "null")
    refused(run("emulator", "init-state", str(node)), "not a regular file")
    refused(run("--overwrite", "emulator", "init-state", str(node)), "not a regular file")
    r = run("--emulator", "--emulator-state", str(node), "verify-pin", "2", input="1234\n")
    refused(r, "not a regular file")
    refused(run("emulator", "serve", "--state", str(node)), "not a regular file")
    assert is_device(node)


def test_state_files_refuse_a_fifo_a_folder_and_a_link_to_nothing(
    fifo: tuple[Path, int], tmp_path: Path
) -> None:
    path, _ = fifo
    refused(run("--overwrite", "emulator", "init-state", str(path)), "not a regular file")
    refused(run("--emulator", "--emulator-state", str(path), "retries"), "not a regular file")
    refused(run("emulator", "serve", "--state", str(path)), "not a regular file")
    assert stat.S_ISFIFO(os.lstat(path).st_mode)
    dangling = tmp_path / "state.json"
    dangling.symlink_to(tmp_path / "nowhere.json")
    refused(run("emulator", "init-state", str(dangling)), "symbolic link")
    refused(run("--emulator", "--emulator-state", str(dangling), "verify-pin", "2",
                input="1234\n"), "symbolic link")  # fmt: skip
    assert dangling.is_symlink() and not (tmp_path / "nowhere.json").exists()


def test_a_state_file_through_a_link_is_saved_to_its_target(tmp_path: Path) -> None:
    target = tmp_path / "card.json"
    target.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    refused(run("emulator", "init-state", str(link)), "already exists")
    assert run("--overwrite", "emulator", "init-state", str(link)).code == 0
    r = run("--emulator", "--emulator-state", str(link), "verify-pin", "2", input="9999\n")
    assert r.code == 3
    assert link.is_symlink()
    assert json.loads(target.read_text())["pins"]["auth"]["remaining"] == 2


def test_write_whole_refuses_before_writing(tmp_path: Path) -> None:
    existing = tmp_path / "x"
    existing.write_bytes(b"keep")
    with pytest.raises(OutputError):
        write_whole(existing, b"new")
    assert existing.read_bytes() == b"keep"


def test_a_recording_that_fails_mid_pin_command_still_tells_the_outcome(
    tmp_path: Path,
) -> None:
    """The file may hold 1536 bytes (``ulimit -f 3``): the header fits, a later line
    does not. The VERIFY reached the card: its outcome and how the card was left are
    said, then that the recording could not be written (exit 2); no file is left."""
    path = tmp_path / "s.jsonl"
    script = (
        f"ulimit -f 3; printf '1234\\n' | {sys.executable} -m jpki --lang en --emulator "
        f"--record {path} verify-pin 2"
    )
    proc = subprocess.run(["sh", "-c", script], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "correct" in proc.stdout and "was cleared" in proc.stdout, proc.stdout
    last = proc.stderr.splitlines()[-1]
    assert last.startswith("jpkitool: cannot write") and "s.jsonl" in last, proc.stderr
    assert not path.exists()


def test_process_substitution_and_a_closed_stdout(tmp_path: Path) -> None:
    """``-o >(wc -c)`` names /dev/fd/N, a link to a pipe: written in place. A closed
    standard output is one line, exit 2, not an unexpected error."""
    jpki = f"{sys.executable} -m jpki --lang en --emulator"
    piped = subprocess.run(
        ["bash", "-c", f"{jpki} cert export auth --format der -o >(wc -c > {tmp_path}/n)"
         "; code=$?; wait $!; echo $code"],  # $!: the substituted process
        capture_output=True, text=True,
    )  # fmt: skip
    assert piped.stdout.split()[-1] == "0", piped.stderr
    assert int((tmp_path / "n").read_text()) > 500
    for args in ("cert export auth -o -", "--record - retries"):
        closed = subprocess.run(["sh", "-c", f"{jpki} {args} >&-"], capture_output=True, text=True)
        assert closed.returncode == 2, (args, closed.stderr)
        assert closed.stderr.startswith("jpkitool: cannot write -"), closed.stderr


def test_two_outputs_to_one_place_are_refused_before_the_card(tmp_path: Path) -> None:
    same = str(tmp_path / "x.pem")
    for args in (
        ["--record", "-", *EXPORT[:-3], "-o", "-"],
        ["--record", "/dev/stdout", *EXPORT[:-3]],
        ["--record", same, *EXPORT, same],
        ["--json", "--emulator", "doctor", "--report", "-"],
    ):
        r = run("--lang", "en", *args)
        assert r.code == 2 and "two outputs would go to one place" in r.out + r.err, args
    assert not (tmp_path / "x.pem").exists()
