"""Faults at every APDU position, end to end: subprocess → pyscard → pcscd → vpcd →
virtual card (:class:`pytest_jpkitool.faults.FaultyCard`).

Kinds: the card removed (vpcd connection dropped), the card not answering (a stall
longer than the tool's timeout, ``--timeout`` = :data:`TIMEOUT` here; one case sets
``JPKITOOL_CARD_TIMEOUT`` instead),
pcscd stopped (a private pcscd per case, stopped when the APDU arrives), another
program holding the card (exclusive connection, or a transaction), and another
program trying to take the card exclusively while a command runs.

Positions: card removed at every APDU of every command; the slower kinds at every
APDU of ``change-pin`` and ``verify-pin`` (where what the PIN went through matters)
and at the first, middle and last APDU of ``retries``, ``cert show`` and ``expiry``.
Each run must end in one error line, the documented exit status, no traceback,
within :data:`BOUND` seconds; the PIN commands must say truthfully what became of
the PIN, checked against the virtual card's state. The runs mostly wait, so the
cases of one test run two at a time (the session pcscd's two readers), or four at a
time for pcscd stopped (a pcscd each).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from apdu import ReaderBusyError
from cli_runner import Run, jpkitool
from jpki.cli.failures import Exit
from jpki.emulator import VirtualCard, build_state
from jpki.emulator.vpcd import VpcdBridge
from outcomes import failed
from pytest_jpkitool.faults import FaultKind, FaultyCard
from pytest_jpkitool.pcscd import HarnessError, PcscdInstance

pytestmark = pytest.mark.pcscd

#: The tool's timeout for one exchange in these tests (the default is 20 s).
TIMEOUT = 1.5
#: Every faulty run ends within this many seconds.
BOUND = TIMEOUT + 10
OLD, NEW, WRONG = "1234", "5039", "9999"


@dataclass(frozen=True)
class Command:
    args: tuple[str, ...]
    answers: tuple[str, ...]
    #: APDUs the virtual card receives when nothing goes wrong.
    apdus: int
    #: Of them, those before the ending that leaves the card unverified (SELECT of the
    #: ISD, the power cycle, a throwaway command; ② has no proof read).
    work: int = 0

    def __post_init__(self) -> None:
        if not self.work:
            object.__setattr__(self, "work", self.apdus)


COMMANDS = {
    "retries": Command(("retries",), (), 15),
    "change-pin": Command(("change-pin", "2"), (OLD, NEW, NEW), 14, work=12),
    "verify-pin": Command(("verify-pin", "2"), (OLD,), 11, work=9),
    "cert-show": Command(("cert", "show", "auth"), (), 3),
    "expiry": Command(("expiry",), (), 4),
}
PIN_COMMANDS = ("change-pin", "verify-pin")


def every(name: str) -> list[tuple[str, int]]:
    """Every position of the command's work (a fault there ends the command)."""
    return [(name, k) for k in range(1, COMMANDS[name].work + 1)]


def some(name: str) -> list[tuple[str, int]]:
    """Every position of a PIN command; the first, middle and last of the others."""
    n = COMMANDS[name].apdus
    if name in PIN_COMMANDS:
        return every(name)
    return [(name, k) for k in sorted({1, (n + 1) // 2, n})]


#: The PIN-carrying APDU of each PIN command, for the runs where the card carries it
#: out and the answer is lost; ``change-pin`` VERIFY is given a wrong PIN there.
ANSWERED = [("change-pin", 8, WRONG), ("change-pin", 9, OLD), ("verify-pin", 8, WRONG)]


# -- running ------------------------------------------------------------------------


@dataclass
class Timed:
    run: Run
    seconds: float


def run_tool(
    reader: str,
    env: dict[str, str],
    name: str,
    *extra: str,
    answers: tuple[str, ...] | None = None,
) -> Timed:
    command = COMMANDS[name]
    given = command.answers if answers is None else answers
    start = time.monotonic()
    run = jpkitool("--lang", "en", "--reader", reader, "--timeout", str(TIMEOUT), *extra,
                   *command.args, env=env,
                   input="".join(a + "\n" for a in given))  # fmt: skip
    return Timed(run, time.monotonic() - start)


def error_line(timed: Timed, status: int, *words: str) -> str:
    """The run ended with ``status`` in one ``jpkitool:`` line holding ``words``, in time."""
    run = timed.run
    assert run.code == status, (run.code, run.out, run.err)
    assert "Traceback" not in run.err
    errors = [line for line in run.err.splitlines() if line.startswith("jpkitool:")]
    assert len(errors) == 1, run.err
    assert run.err.rstrip("\n").splitlines()[-1] == errors[0], run.err
    for word in words:
        assert word in errors[0], (word, errors[0])
    assert timed.seconds < BOUND, timed.seconds
    return errors[0]


def stage(card: FaultyCard, k: int) -> str:
    """What the k-th APDU was for a PIN: ``before`` any PIN was sent, the ``verify`` or
    ``change`` carrying it, the ``confirm`` (the VERIFY of the new value after a CHANGE),
    or ``after`` the PIN was answered."""

    def carries_pin(apdu: bytes) -> bool:
        return (apdu[1] == 0x20 and len(apdu) > 5) or (apdu[1] in (0x24, 0x32) and len(apdu) > 4)

    apdu = card.seen[k - 1]
    if carries_pin(apdu):
        if apdu[1] == 0x20 and any(a[1] in (0x24, 0x32) for a in card.seen[: k - 1]):
            return "confirm"
        return "verify" if apdu[1] == 0x20 else "change"
    return "after" if any(carries_pin(a) for a in card.seen[: k - 1]) else "before"


#: What the error line says of the PIN, per command and stage.
TOLD = {
    ("change-pin", "before"): "No PIN was sent: nothing was changed and no try was spent.",
    ("change-pin", "verify"): "was not changed, and whether a try was spent is not known: "
    "run jpkitool retries 2",
    ("change-pin", "change"): "was changed is not known (its current PIN was correct: no try "
    "was lost): run jpkitool retries 2, then jpkitool verify-pin 2",
    ("change-pin", "confirm"): "was changed, but whether the card took the new PIN is not known",
    ("change-pin", "after"): "Only what is shown as changed was changed; no try was spent.",
    ("verify-pin", "before"): "No PIN was sent: no try was spent.",
    ("verify-pin", "verify"): "is not known: run jpkitool retries 2",
    ("verify-pin", "after"): "Only what is shown as correct was checked; no try was spent.",
}


def assert_truthful(name: str, card: FaultyCard, k: int, line: str, out: str) -> None:
    """The error line tells what became of ② and the card's state agrees."""
    where = stage(card, k)
    assert TOLD[(name, where)] in line, (where, line)
    auth = card.card.state.pins["auth"]  # type: ignore[attr-defined]
    if where == "before":
        assert (auth.value, auth.remaining) == (OLD, 3)
    if where == "after":  # the PIN was answered 9000: no try lost; changed by change-pin
        assert auth.remaining == 3
        assert auth.value == (NEW if name == "change-pin" else OLD)
        assert "(the tries left could not be read afterwards)" in out
    if where == "verify" and not card.answered:  # the card never got it
        assert (auth.value, auth.remaining) == (OLD, 3)
    if where == "change" and not card.answered:
        assert auth.value == OLD
    if where == "confirm":  # the CHANGE answered 9000: changed, no try lost
        assert (auth.value, auth.remaining) == (NEW, 3)


def assert_untouched(card: FaultyCard) -> None:
    auth = card.card.state.pins["auth"]  # type: ignore[attr-defined]
    assert (auth.value, auth.remaining) == (OLD, 3)


# -- running many cases at once ------------------------------------------------------------


def each(cases: list[tuple[Any, ...]], check: Callable[..., None], workers: int = 2) -> None:
    """``check(*case)`` for every case, ``workers`` at a time (the runs mostly wait);
    fails naming every case that failed."""
    with ThreadPoolExecutor(workers) as pool:
        futures = [(case, pool.submit(check, *case)) for case in cases]
    failed = [f"{case}: {future.exception()!r}" for case, future in futures if future.exception()]
    assert not failed, "\n".join(failed)


class Slots:
    """The session pcscd's two vpcd readers, each serving one case at a time."""

    def __init__(self, pcscd: PcscdInstance) -> None:
        self.pcscd = pcscd
        self.free: queue.Queue[int] = queue.Queue()
        for slot in (0, 1):
            self.free.put(slot)

    @contextlib.contextmanager
    def card(
        self, kind: FaultKind | None = None, at: int = 0, **options: Any
    ) -> Iterator[tuple[str, FaultyCard]]:
        """A virtual card with that fault in a free reader: its name and the card."""
        slot = self.free.get(timeout=60)
        card = FaultyCard(VirtualCard(build_state()), kind, at, **options)
        bridges = [VpcdBridge(card, self.pcscd.port + slot).start()]
        try:
            yield self._seen(bridges, card, slot), card
        finally:
            card.release()  # a stalled card answers, so that pcscd lets go of the reader
            for bridge in bridges:
                bridge.stop()
            self.pcscd.wait_for_no_card(slot, timeout=30)
            self.free.put(slot)

    def _seen(self, bridges: list[VpcdBridge], card: FaultyCard, slot: int) -> str:
        """Wait for pcscd to see the card (the reader's name). After a stall on a
        loaded machine, pcscd sometimes never sees the next card (1 case in 20 while
        another job used a core): then the card is served again on a new connection."""
        for attempt in range(3):
            try:
                return self.pcscd.wait_for_card(slot, timeout=10)
            except HarnessError:
                if attempt == 2:
                    raise
                bridges[-1].stop()
                bridges.append(VpcdBridge(card, self.pcscd.port + slot).start())
        raise AssertionError("unreachable")


@pytest.fixture
def slots(jpki_pcscd: PcscdInstance) -> Slots:
    return Slots(jpki_pcscd)


def answers_for(name: str, pin: str) -> tuple[str, ...]:
    return (pin, NEW, NEW) if name == "change-pin" else (pin,)


def test_the_positions_are_the_apdus_of_a_run(slots: Slots, pcsc_env: dict[str, str]) -> None:
    with slots.card() as (reader, card):
        for name, command in COMMANDS.items():
            card.seen.clear()
            timed = run_tool(reader, pcsc_env, name)
            assert timed.run.code == 0, (name, timed.run.err)
            assert len(card.seen) == command.apdus, name
            if name == "change-pin":  # back to the old PIN for the next commands
                card.card.state.pins["auth"].value = OLD  # type: ignore[attr-defined]


# -- the card removed ------------------------------------------------------------------------


@pytest.mark.parametrize("name", COMMANDS)
def test_card_removed(slots: Slots, pcsc_env: dict[str, str], name: str) -> None:
    def check(name: str, k: int) -> None:
        with slots.card(FaultKind.REMOVE, k) as (reader, card):
            timed = run_tool(reader, pcsc_env, name)
        line = error_line(timed, Exit.NO_CARD, "the card was removed")
        assert len(card.seen) == k
        if name in PIN_COMMANDS:
            assert_truthful(name, card, k, line, timed.run.out)

    each(every(name), check)


@pytest.mark.parametrize("kind", [FaultKind.REMOVE, FaultKind.STALL])
def test_a_fault_in_the_ending_is_what_the_card_was_left_as(
    slots: Slots, pcsc_env: dict[str, str], kind: FaultKind
) -> None:
    """The work was done: a fault while leaving the card unverified ends the command
    with its result and how the card was left (exit 9: take it out), never an error,
    never a claim that it is clear."""

    def check(name: str, k: int) -> None:
        with slots.card(kind, k) as (reader, card):
            timed = run_tool(reader, pcsc_env, name)
        run = timed.run
        assert run.code in (Exit.OK, Exit.MAY_BE_VERIFIED), (run.code, run.err)
        assert "jpkitool:" not in run.err and "no verified state remains" not in run.out
        assert ("take it out of the reader" in run.out) == (run.code == Exit.MAY_BE_VERIFIED)
        assert "was cleared" in run.out or run.code == Exit.MAY_BE_VERIFIED
        assert timed.seconds < BOUND, timed.seconds
        auth = card.card.state.pins["auth"]  # type: ignore[attr-defined]
        assert (auth.value, auth.remaining) == ((NEW if name == "change-pin" else OLD), 3)

    ending = [
        (n, k) for n in PIN_COMMANDS for k in range(COMMANDS[n].work + 1, COMMANDS[n].apdus + 1)
    ]
    each(ending, check)


def test_card_removed_after_carrying_out_the_pin_command(
    slots: Slots, pcsc_env: dict[str, str]
) -> None:
    """The card did it (a try spent, or the PIN changed) and the answer was lost: the
    tool cannot know, and says so."""

    def check(name: str, k: int, pin: str) -> None:
        with slots.card(FaultKind.REMOVE, k, answered=True) as (reader, card):
            timed = run_tool(reader, pcsc_env, name, answers=answers_for(name, pin))
        line = error_line(timed, Exit.NO_CARD, "the card was removed")
        assert_truthful(name, card, k, line, timed.run.out)
        auth = card.card.state.pins["auth"]  # type: ignore[attr-defined]
        assert (auth.value, auth.remaining) == ((NEW, 3) if pin == OLD else (OLD, 2))

    each(ANSWERED, check)


# -- the card not answering -------------------------------------------------------------------


@pytest.mark.parametrize("name", COMMANDS)
def test_card_not_answering(slots: Slots, pcsc_env: dict[str, str], name: str) -> None:
    def check(name: str, k: int) -> None:
        with slots.card(FaultKind.STALL, k) as (reader, card):
            timed = run_tool(reader, pcsc_env, name)
        line = error_line(timed, Exit.ERROR, f"the card did not answer within {TIMEOUT:g} s")
        assert timed.seconds >= TIMEOUT
        assert len(card.seen) == k
        if name in PIN_COMMANDS:
            assert_truthful(name, card, k, line, timed.run.out)

    each(some(name), check)


def test_card_not_answering_after_carrying_out_the_pin_command(
    slots: Slots, pcsc_env: dict[str, str]
) -> None:
    def check(name: str, k: int, pin: str) -> None:
        with slots.card(FaultKind.STALL, k, answered=True) as (reader, card):
            timed = run_tool(reader, pcsc_env, name, answers=answers_for(name, pin))
        line = error_line(timed, Exit.ERROR, "did not answer")
        assert_truthful(name, card, k, line, timed.run.out)

    each(ANSWERED, check)


def test_the_card_works_again_once_it_answers(slots: Slots, pcsc_env: dict[str, str]) -> None:
    """After a stall the tool gave up on, the next command works once the card answers."""
    with slots.card(FaultKind.STALL, 8, answered=True) as (reader, card):
        stalled = run_tool(reader, pcsc_env, "verify-pin")
        error_line(stalled, Exit.ERROR, "did not answer")
        card.release()
        again = run_tool(reader, pcsc_env, "retries")
        assert again.run.code == 0, again.run.err
        assert card.card.state.pins["auth"].remaining == 3  # type: ignore[attr-defined]


# -- another program ---------------------------------------------------------------------------


def test_card_held_exclusively(slots: Slots, pcsc_env: dict[str, str]) -> None:
    """Another program connected with SCARD_SHARE_EXCLUSIVE before the command."""
    from apdu.pcsctransport import PcscTransport

    with slots.card() as (reader, card):
        holder = PcscTransport(reader, exclusive=True)

        def check(name: str) -> None:
            timed = run_tool(reader, pcsc_env, name)
            line = error_line(timed, Exit.ERROR, "in use by another program")
            if name in PIN_COMMANDS:
                assert TOLD[(name, "before")] in line

        try:
            each([(name,) for name in COMMANDS], check, workers=3)
        finally:
            holder.close()
    assert card.seen == []
    assert_untouched(card)


def test_card_held_in_a_transaction(slots: Slots, pcsc_env: dict[str, str]) -> None:
    """Another program holds a PC/SC transaction longer than the timeout."""
    from apdu.pcsctransport import PcscTransport

    with slots.card() as (reader, card):
        holder = PcscTransport(reader)
        held = holder.transaction()
        held.__enter__()

        def check(name: str) -> None:
            timed = run_tool(reader, pcsc_env, name)
            line = error_line(timed, Exit.ERROR, f"kept the card to itself for {TIMEOUT:g} s")
            assert timed.seconds >= TIMEOUT
            if name in PIN_COMMANDS:
                assert TOLD[(name, "before")] in line

        try:
            each([(name,) for name in COMMANDS], check, workers=3)
        finally:
            held.__exit__(None, None, None)
            holder.close()
    assert card.seen == []
    assert_untouched(card)


def test_card_taken_while_the_pin_is_typed(slots: Slots, pcsc_env: dict[str, str]) -> None:
    """``verify-pin`` holds no transaction while asking: another program takes one
    then and keeps it; the verification is given up before any PIN is sent."""
    from apdu.pcsctransport import PcscTransport

    with slots.card() as (reader, card):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
        env.update(pcsc_env, JPKITOOL_CARD_TIMEOUT=str(TIMEOUT))
        cmd = [sys.executable, "-m", "jpki", "--lang", "en", "--reader", reader]
        start = time.monotonic()
        proc = subprocess.Popen([*cmd, "verify-pin", "2"], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)  # fmt: skip
        assert proc.stderr is not None
        assert "tries left 3/3" in proc.stderr.readline()  # the count is shown: asking now
        holder = PcscTransport(reader)
        held = holder.transaction()
        held.__enter__()
        try:
            out, err = proc.communicate(OLD + "\n", timeout=60)
        finally:
            held.__exit__(None, None, None)
            holder.close()
    timed = Timed(Run(proc.returncode, out, err), time.monotonic() - start)
    line = error_line(timed, Exit.ERROR, "kept the card to itself")
    assert TOLD[("verify-pin", "before")] in line
    assert len(card.seen) == 3
    assert_untouched(card)


@pytest.mark.parametrize("name", COMMANDS)
def test_exclusive_grab_during_the_command(
    slots: Slots, pcsc_env: dict[str, str], name: str
) -> None:
    """Another program asks for the card exclusively when APDU k arrives: pcscd makes
    it wait for the command's transaction, then grants it only once the command has
    disconnected (else refuses it); the command finishes undisturbed."""
    from apdu.pcsctransport import PcscTransport

    def check(name: str, k: int) -> None:
        outcome: queue.Queue[str] = queue.Queue()

        def grab() -> None:
            try:
                PcscTransport(reader, exclusive=True, timeout=30).close()
                outcome.put("granted")
            except ReaderBusyError:
                outcome.put("refused")

        def start_grab() -> None:
            threading.Thread(target=grab, daemon=True).start()
            time.sleep(0.05)  # its SCardConnect reaches pcscd

        with slots.card(FaultKind.HOOK, k, action=start_grab) as (reader, card):
            timed = run_tool(reader, pcsc_env, name)
            assert timed.run.code == 0, timed.run.err
            assert card.fired.is_set() and len(card.seen) == COMMANDS[name].apdus
            assert outcome.get(timeout=30) in ("refused", "granted")
        auth = card.card.state.pins["auth"]  # type: ignore[attr-defined]
        assert (auth.value, auth.remaining) == ((NEW if name == "change-pin" else OLD), 3)

    each(some(name), check)


# -- pcscd stopped (a private pcscd per case) ----------------------------------------------------


@pytest.fixture
def new_pcscd(
    jpki_pcscd: PcscdInstance, request: pytest.FixtureRequest
) -> Iterator[Callable[..., PcscdInstance]]:
    """``new_pcscd(start=True)``: a pcscd of its own (closed at the end, its folder
    kept only if the test failed)."""
    made: list[PcscdInstance] = []

    def make(start: bool = True) -> PcscdInstance:
        instance = PcscdInstance()
        made.append(instance)
        return instance.start() if start else instance

    yield make
    for instance in made:
        instance.close(keep=failed(request))


@pytest.mark.parametrize("name", COMMANDS)
def test_pcscd_stopped(new_pcscd: Callable[..., PcscdInstance], name: str) -> None:
    cases = [(name, k, new_pcscd()) for _, k in some(name)]  # started one by one: own ports

    def check(name: str, k: int, pcscd: PcscdInstance) -> None:
        card = FaultyCard(VirtualCard(build_state()), FaultKind.CALL, k, action=pcscd.stop)
        bridge = VpcdBridge(card, pcscd.port).start()
        try:
            timed = run_tool(pcscd.reader_name(), pcscd.env, name, "--wait", "10")
        finally:
            bridge.stop()
        line = error_line(timed, Exit.NO_CARD, "the PC/SC service (pcscd) stopped during")
        assert len(card.seen) == k
        if name in PIN_COMMANDS:
            assert_truthful(name, card, k, line, timed.run.out)

    each(cases, check, workers=4)


# -- emulator serve without vpcd ------------------------------------------------------------


class Lines:
    """The lines a process writes to stderr, read as they come."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        assert proc.stderr is not None
        stream = proc.stderr
        threading.Thread(target=lambda: [self.queue.put(x) for x in stream], daemon=True).start()
        self.seen: list[str] = []

    def wait_for(self, words: str, timeout: float = 15) -> float:
        """Seconds until a line holding ``words`` came."""
        start = time.monotonic()
        while True:
            left = start + timeout - time.monotonic()
            try:
                line = self.queue.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(f"no line with {words!r}: {self.seen}") from None
            self.seen.append(line)
            if words in line:
                return time.monotonic() - start


WAITING = "Waiting for pcscd's vpcd at 127.0.0.1:"
SERVING = "Serving the virtual My Number Card"


def test_emulator_serve_says_when_it_cannot_reach_vpcd(
    new_pcscd: Callable[..., PcscdInstance],
) -> None:
    own_pcscd = new_pcscd(start=False)  # its vpcd port: nothing listens there yet
    env = {**os.environ, **own_pcscd.env}
    cmd = [sys.executable, "-m", "jpki", "--lang", "en", "emulator", "serve"]
    proc = subprocess.Popen([*cmd, "--vpcd-port", str(own_pcscd.port)], env=env,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    lines = Lines(proc)
    try:
        assert lines.wait_for(WAITING) < 5
        time.sleep(0.5)  # retrying, without another line
        assert not any(SERVING in line for line in lines.seen)
        assert lines.queue.empty()
        own_pcscd.start()
        assert lines.wait_for(SERVING) < 10
        served = jpkitool("--reader", own_pcscd.reader_name(), "--wait", "10", "retries",
                          env=own_pcscd.env)  # fmt: skip
        assert served.code == 0, served.err
        own_pcscd.stop()  # pcscd goes away: said once, then retried
        lines.wait_for(WAITING)
        own_pcscd.start()
        lines.wait_for(SERVING)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    assert proc.returncode == 0
    lines.wait_for("Virtual card stopped")
    assert not any("Traceback" in line for line in lines.seen)
    assert sum(WAITING in line for line in lines.seen) == 2
