"""Whether the running test failed, for fixtures that keep a pcscd's log only then
(``tests/conftest.py`` records it)."""

from __future__ import annotations

import pytest

FAILED = pytest.StashKey[bool]()


def failed(request: pytest.FixtureRequest) -> bool:
    """Whether the test of ``request`` has failed so far (set-up or call)."""
    return request.node.stash.get(FAILED, False)
