"""On a terminal the PIN prompts do not echo what is typed (a real pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import select
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")


def talk(args: list[str], answers: list[bytes], timeout: float = 30) -> tuple[int, bytes]:
    """Run jpkitool on a pseudo-terminal; type each answer after each prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: jpkitool with the pty as its controlling terminal
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
        os.execve(sys.executable, [sys.executable, "-m", "jpki", *args], env)
    seen = b""
    deadline = time.monotonic() + timeout
    pending = list(answers)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        # Answer only a prompt that is waiting (ends in ": "), as a person would;
        # text typed before a prompt turns echo off would be echoed by the terminal.
        if pending and seen.endswith(b": "):
            os.write(fd, pending.pop(0) + b"\r")
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen


def test_change_pin_prompts_without_echo() -> None:
    code, screen = talk(
        ["--lang", "en", "--emulator", "change-pin", "2"], [b"1234", b"5039", b"5039"]
    )
    assert code == 0, screen
    assert b"Current PIN: \xe2\x91\xa1 user-authentication PIN:" in screen
    assert b"New PIN (again):" in screen
    assert b"changed. Tries left: 3/3." in screen
    assert b"1234" not in screen and b"5039" not in screen
