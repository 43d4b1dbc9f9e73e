"""What the ``jpkitool`` wheel holds (issue 18): the product, not its test kit.

The wheel is built from this checkout (``pip wheel``, about 3 s) and read: no pytest
plugin entry point, no ``unshare``/``mount`` code, no private key; the test kit is
``pytest-jpkitool`` (``testkit/``).
"""

from __future__ import annotations

import functools
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _wheel(tmp: str) -> dict[str, bytes]:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp, str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (path,) = Path(tmp).glob("jpkitool-*.whl")
    with zipfile.ZipFile(path) as wheel:
        return {name: wheel.read(name) for name in wheel.namelist()}


def test_the_wheel_is_the_product_without_its_test_kit(tmp_path: Path) -> None:
    files = _wheel(str(tmp_path))
    (entry_points,) = [v for k, v in files.items() if k.endswith(".dist-info/entry_points.txt")]
    assert entry_points.decode().split() == [
        "[console_scripts]",
        "jpkitool",
        "=",
        "jpki.cli.entry:run",
    ]
    code = {k: v for k, v in files.items() if not k.endswith((".mo", ".po"))}
    assert "jpki/emulator/card.py" in code and "jpki/cli/main.py" in code
    assert not [k for k in code if "testing" in k or "pytest" in k or "fault" in k]
    for word in (b"unshare", b"mount --bind", b"PRIVATE KEY", b"pytest11"):
        assert [k for k, v in code.items() if word in v] == [], word
