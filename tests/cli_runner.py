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


def jpkitool(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "jpki", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return Run(proc.returncode, proc.stdout, proc.stderr)


def jpkitool_inprocess(*args: str) -> Run:
    """Run the CLI in this process (no pcscd needed: replay, emulator, usage errors)."""
    import contextlib
    import io

    from jpki.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return Run(code, out.getvalue(), err.getvalue())
