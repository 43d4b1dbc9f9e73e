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
