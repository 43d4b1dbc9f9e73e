"""pytest fixtures: a private pcscd with the vpcd driver, and virtual cards in its readers.

Loaded by pytest because pytest-jpkitool is installed (entry point ``pytest11``
``jpkitool``), so a project that installs it can test its PC/SC code against the
virtual card::

    def test_my_tool(virtual_card_reader):        # "Virtual PCD 00 00", a default card
        ...

    def test_locked(serve_virtual_card):
        reader = serve_virtual_card(remaining={"auth": 0})
        ...

The fixtures need the Debian packages ``pcscd`` and ``vsmartcard-vpcd``. When a
pcscd cannot be started they skip, except with ``CI`` set in the environment,
where they fail: a CI run must not pass by skipping. libpcsclite reads
``PCSCLITE_CSOCK_NAME`` once per process, so the session's pcscd is the one the
test process talks to; subprocesses get it from
:attr:`pytest_jpkitool.pcscd.PcscdInstance.env`.

Loaded by every pytest run where the kit is installed, so this module imports
only pytest and the standard library: the harness, the vpcd bridge and the
virtual card (with ``cryptography``) are imported by the fixtures that need them,
when a test first asks for one. ``tests/unit/test_plugin_cost.py`` holds it to that.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from jpki.emulator.state import CardState
    from jpki.emulator.vpcd import Card

    from .pcscd import PcscdInstance

#: ``serve_card(card, slot=0) -> reader name``.
ServeCard = Callable[..., str]
#: ``serve_virtual_card(state=None, slot=0, **changes) -> reader name``.
ServeVirtualCard = Callable[..., str]


@pytest.fixture(scope="session")
def jpki_pcscd(request: pytest.FixtureRequest) -> Iterator[PcscdInstance]:
    """A private pcscd with two vpcd readers for the whole test session; its folder
    (socket, log) is removed at the end unless a test failed."""
    from .pcscd import HarnessError, PcscdInstance

    instance = PcscdInstance()
    try:
        instance.start()
    except HarnessError as exc:
        instance.close()  # the message carries the log's tail
        if os.environ.get("CI"):
            pytest.fail(f"cannot start the test pcscd on CI: {exc}")
        pytest.skip(f"cannot start a test pcscd: {exc}")
    # libpcsclite reads this once per process: set before the first PC/SC call.
    os.environ.update(instance.env)
    try:
        yield instance
    finally:
        instance.close(keep=request.session.testsfailed > 0)


@pytest.fixture
def serve_card(jpki_pcscd: PcscdInstance) -> Iterator[ServeCard]:
    """``serve_card(card, slot=0)`` inserts any card object in a vpcd reader; returns its name.

    The card is taken out again when the test ends.
    """
    from jpki.emulator.vpcd import VpcdBridge

    served: list[tuple[VpcdBridge, int]] = []

    def serve(card: Card, slot: int = 0) -> str:
        bridge = VpcdBridge(card, jpki_pcscd.port + slot).start()
        served.append((bridge, slot))
        return jpki_pcscd.wait_for_card(slot)

    yield serve
    for bridge, slot in served:
        bridge.stop()
        jpki_pcscd.wait_for_no_card(slot)


@pytest.fixture
def serve_virtual_card(serve_card: ServeCard) -> ServeVirtualCard:
    """``serve_virtual_card(state=None, slot=0, **changes)`` inserts a virtual My Number card.

    ``changes`` are those of :func:`jpki.emulator.build_state` (``remaining``,
    ``answer``, ``quirks``, state-file fields).
    """
    from jpki.emulator.card import VirtualCard
    from jpki.emulator.statefile import build_state

    def serve(state: CardState | None = None, slot: int = 0, **changes: Any) -> str:
        if state is None:
            state = build_state(**changes)
        elif changes:
            raise TypeError("give either a state or changes, not both")
        return serve_card(VirtualCard(state), slot)

    return serve


@pytest.fixture
def virtual_card_reader(serve_virtual_card: ServeVirtualCard) -> str:
    """The name of a vpcd reader holding a default virtual My Number card."""
    return serve_virtual_card()
