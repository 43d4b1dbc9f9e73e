"""Run ``jpkitool`` as a user would: a subprocess, with the test pcscd's environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def jpkitool(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, input: str | None = None
) -> Run:
    """``input``: what the PIN prompts read from standard input (a pipe, one line each)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "jpki", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return Run(proc.returncode, proc.stdout, proc.stderr)


def jpkitool_inprocess(*args: str, input: str = "") -> Run:
    """Run the CLI in this process (no pcscd needed: replay, emulator, usage errors).

    ``input`` is standard input (not a terminal): one line per PIN prompt.
    """
    import contextlib
    import io
    from unittest import mock

    from jpki.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        mock.patch("sys.stdin", io.StringIO(input)),
    ):
        code = main(list(args))
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return Run(code, out.getvalue(), err.getvalue())


def serve_process(
    port: int, *args: str, lang: str = "en", env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``jpkitool emulator serve`` on vpcd port ``port`` as a user starts it; its
    stderr is a pipe (read it with :class:`StderrLines`)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "jpki", "--lang", lang, "emulator", "serve"]
    cmd += ["--vpcd-port", str(port), *args]
    return subprocess.Popen(
        cmd, env=full_env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


class StderrLines:
    """What a process writes to stderr, collected as it comes (the pipe never fills).
    Every wait gives up after ``patience`` seconds: a limit, never a measure."""

    def __init__(self, proc: subprocess.Popen[str], patience: float = 60.0) -> None:
        import queue
        import threading

        self.lines: queue.Queue[str] = queue.Queue()
        self.patience = patience
        assert proc.stderr is not None
        stream = proc.stderr
        self.thread = threading.Thread(
            target=lambda: [self.lines.put(x) for x in stream], daemon=True
        )
        self.thread.start()

    def next(self) -> str:
        """The next line, waiting for it."""
        return self.lines.get(timeout=self.patience)

    def until(self, words: str) -> str:
        """The first line holding ``words`` (lines before it are skipped)."""
        while words not in (line := self.next()):
            pass
        return line

    def all(self) -> list[str]:
        """Every line, once the process has ended."""
        self.thread.join(self.patience)
        return list(self.lines.queue)
