"""Two programs on one card at once, through pcscd: each jpkitool command runs in one
PC/SC transaction, so the other waits for it; no VERIFY is separated from its CHANGE.

The virtual card answers each APDU after 40 ms, so that the two sessions overlap.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cli_runner import Run, jpkitool
from jpki.emulator import CardState, VirtualCard, build_state

pytestmark = pytest.mark.pcscd

LATENCY_MS = 40
VERIFY, CHANGE, JICSAP_CHANGE = 0x20, 0x24, 0x32


class LoggingCard(VirtualCard):
    """The virtual card, keeping every APDU and when it arrived."""

    def __init__(self, state: CardState) -> None:
        super().__init__(state)
        self.seen: list[tuple[float, bytes]] = []

    def process(self, apdu: bytes) -> bytes:
        self.seen.append((time.monotonic(), bytes(apdu)))
        return super().process(apdu)

    def commands(self) -> list[bytes]:
        return [apdu for _, apdu in self.seen]


@pytest.fixture
def served(serve_card: Callable[..., str]) -> Callable[..., tuple[str, LoggingCard]]:
    def serve(**changes: Any) -> tuple[str, LoggingCard]:
        state = build_state(**changes)
        state.latency_ms = LATENCY_MS
        card = LoggingCard(state)
        return serve_card(card), card

    return serve


def at_once(*jobs: Callable[[], Run]) -> list[tuple[Run, float, float]]:
    """Run the jobs in parallel; each result with its start and end time."""

    def timed(job: Callable[[], Run]) -> tuple[Run, float, float]:
        start = time.monotonic()
        run = job()
        return run, start, time.monotonic()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(timed, jobs))


def tool(reader: str, env: dict[str, str], *args: str, answers: tuple[str, ...] = ()) -> Run:
    return jpkitool("--lang", "en", "--reader", reader, *args, env=env,
                    input="".join(a + "\n" for a in answers))  # fmt: skip


def assert_verify_then_change(card: LoggingCard) -> int:
    """Every CHANGE comes right after a VERIFY with data of the same key; the count."""
    commands = card.commands()
    changes = 0
    for i, apdu in enumerate(commands):
        if apdu[1] in (CHANGE, JICSAP_CHANGE) and len(apdu) > 4:
            before = commands[i - 1]
            assert before[1] == VERIFY and len(before) > 5, (i, before.hex(), apdu.hex())
            assert before[3] == apdu[3], "VERIFY and CHANGE name the same key"
            changes += 1
    return changes


def assert_overlapped(results: list[tuple[Run, float, float]]) -> None:
    (_, s1, e1), (_, s2, e2) = results
    assert s1 < e2 and s2 < e1, "the two programs did not run at the same time"


def test_retries_while_change_pin(served: Any, pcsc_env: dict[str, str]) -> None:
    reader, card = served()
    results = at_once(
        lambda: tool(reader, pcsc_env, "change-pin", "2", answers=("1234", "5039", "5039")),
        lambda: tool(reader, pcsc_env, "--json", "retries"),
    )
    assert_overlapped(results)
    change, retries = results[0][0], results[1][0]
    assert change.code == 0, change.err
    assert retries.code == 0, retries.err
    assert {p["id"]: p["remaining"] for p in retries.json["pins"]}["auth"] == 3
    assert card.state.pins["auth"].value == "5039"
    assert assert_verify_then_change(card) == 1


def test_change_pin_while_change_pin(served: Any, pcsc_env: dict[str, str]) -> None:
    reader, card = served()
    results = at_once(
        lambda: tool(reader, pcsc_env, "change-pin", "2", answers=("1234", "5039", "5039")),
        lambda: tool(reader, pcsc_env, "change-pin", "1", answers=("ABC123", "K7Q2M9", "K7Q2M9")),
    )
    assert_overlapped(results)
    assert [r.code for r, _, _ in results] == [0, 0], [r.err for r, _, _ in results]
    assert card.state.pins["auth"].value == "5039"
    assert card.state.pins["sign"].value == "K7Q2M9"
    assert card.state.pins["auth"].remaining == 3 and card.state.pins["sign"].remaining == 5
    assert assert_verify_then_change(card) == 2


def test_the_same_pin_changed_twice_at_once_is_told_truthfully(
    served: Any, pcsc_env: dict[str, str]
) -> None:
    """Both know the old PIN: the first to get the card changes it; the other then
    finds the old PIN wrong (one try spent) and says so, with the tries left."""
    reader, card = served()
    results = at_once(
        lambda: tool(reader, pcsc_env, "change-pin", "2", answers=("1234", "5039", "5039")),
        lambda: tool(reader, pcsc_env, "change-pin", "2", answers=("1234", "7204", "7204")),
    )
    codes = sorted(r.code for r, _, _ in results)
    assert codes == [0, 3], [r.err for r, _, _ in results]
    loser = next(r for r, _, _ in results if r.code == 3)
    assert "wrong PIN" in loser.err and "2" in loser.err
    assert card.state.pins["auth"].value in ("5039", "7204")
    assert card.state.pins["auth"].remaining == 2
    assert assert_verify_then_change(card) == 1


def test_verify_pin_while_opensc_lists_pins(served: Any, pcsc_env: dict[str, str]) -> None:
    tool_path = shutil.which("pkcs15-tool")
    if tool_path is None:
        if os.environ.get("CI"):
            pytest.fail("pkcs15-tool (apt: opensc) is missing on CI")
        pytest.skip("pkcs15-tool (apt: opensc) is not installed")
    reader, card = served()

    def opensc() -> Run:
        proc = subprocess.run([tool_path, "--reader", reader, "--list-pins"],
                              env={**os.environ, **pcsc_env}, capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        return Run(proc.returncode, proc.stdout, proc.stderr)

    results = at_once(lambda: tool(reader, pcsc_env, "verify-pin", "1", answers=("ABC123",)),
                      opensc)  # fmt: skip
    verify, listed = results[0][0], results[1][0]
    assert verify.code == 0, verify.err
    assert listed.code == 0, listed.err
    assert "Tries left" in listed.out
    assert card.state.pins["sign"].remaining == 5
    # The VERIFY with data came from jpkitool alone; OpenSC's queries carry none.
    assert sum(1 for a in card.commands() if a[1] == VERIFY and len(a) > 5) == 1
