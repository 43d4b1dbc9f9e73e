"""A terminal in Shift_JIS or EUC-JP (``PYTHONIOENCODING``): readable, degraded
output (``?`` for what the encoding lacks, such as ①), never an "unexpected error"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(encoding: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    return subprocess.run([sys.executable, "-m", "jpki", "--lang", "ja", *args], env=env,
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip


@pytest.mark.parametrize("encoding", ["shift_jis", "euc-jp", "cp932"])
def test_output_in_a_japanese_legacy_encoding(encoding: str, tmp_path: Path) -> None:
    r = run(encoding, "--emulator", "retries")
    assert r.returncode == 0, r.stderr.decode(encoding, "replace")
    out = r.stdout.decode(encoding)  # what the terminal shows, decoded strictly
    assert "署名用電子証明書の暗証番号" in out and "利用可" in out
    assert ("①" in out) == (encoding == "cp932")  # cp932 has ①; the others show ?
    err = run(encoding, "--emulator", "--emulator-state", str(tmp_path / "x.json"),
              "change-pin", "1")  # fmt: skip
    message = err.stderr.decode(encoding)
    assert err.returncode == 2 and "標準入力" in message
    assert "unexpected" not in message and "予期しない" not in message
    assert "\\u2460" not in message
