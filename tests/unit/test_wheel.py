"""What the ``jpkitool`` wheel holds (issue 18): the product, not its test kit.

The wheel is built from this checkout (``pip wheel``, about 3 s) and read: no pytest
plugin entry point, no ``unshare``/``mount`` code, no private key (the virtual card's
default certificates, public data, are in it); the test kit is ``pytest-jpkitool``
(``testkit/``).
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
    assert b"BEGIN CERTIFICATE" in code["jpki/emulator/certificates.pem"]
    assert not [k for k in code if "testing" in k or "pytest" in k or "fault" in k]
    for word in (b"unshare", b"mount --bind", b"PRIVATE KEY", b"pytest11"):
        assert [k for k, v in code.items() if word in v] == [], word


def test_the_shipped_certificates_are_what_the_test_kits_keys_make() -> None:
    """The default state's certificates ship as public data (no key does); they are
    what the test kit's keys make, so tests may sign as the emulator's roots."""
    from jpki.emulator import certs
    from jpki.emulator.state import CardState
    from pytest_jpkitool.keys import emulator_key

    assert all(certs.PRIVATE_KEYS[name] is emulator_key(name) for name in certs.KEY_NAMES)
    default = certs.CertSubject.of(CardState())
    assert certs.shipped() == certs.made(default) == certs.certificates(CardState())


def test_other_states_are_signed_with_keys_made_at_run_time() -> None:
    """In a process without the test kit's keys, a state other than the default gets
    certificates that chain to its own freshly made roots."""
    code = (
        "from jpki.emulator import certs, build_state\n"
        "from jpki.chain import check_chain\n"
        "import datetime as dt\n"
        "state = build_state(cert_issued='2025-01-01')\n"
        "c = certs.certificates(state)\n"
        "assert sorted(certs.PRIVATE_KEYS) == sorted(certs.KEY_NAMES)\n"
        "assert c.auth_ca != certs.shipped().auth_ca\n"
        "now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)\n"
        "print(check_chain(c.auth, c.auth_ca, now).status.value)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "not-j-lis-root"  # every signature verifies
