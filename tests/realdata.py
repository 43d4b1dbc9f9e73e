"""Where ``shared/realdata`` is (J-LIS root certificates and one real, expired auth
certificate; never copied into the project).

Looked for upward from the tests, so that a copy of them elsewhere (mutmut's
``mutants/``) finds it too; when absent, the path where it is expected, and the tests
that need it skip (or fail on CI, where it must be).
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve()


def find_realdata() -> Path:
    for parent in _HERE.parents:
        candidate = parent / "shared" / "realdata"
        if candidate.is_dir():
            return candidate
    return _HERE.parents[2] / "shared" / "realdata"


REALDATA = find_realdata()
