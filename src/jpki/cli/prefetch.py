"""A plain ``jpkitool retries`` reads the card while click and the CLI load.

Measured with ``benchmarks/compare_opensc.py --latency-ms 20 --runs 11`` against the
same tree without it (2026-12-07, docs/benchmarks.md): ``retries 1 2`` 143 ms instead
of 166–176 ms (14–18 % less), ``retries`` 373–378 ms instead of 392–395 ms (4–6 %).

Only the plain form is read ahead: ``[-r/--reader R] [--lang L] [--json] retries
[PINS...]``, nothing else. :func:`start` opens the card in a thread before click is
imported; the ``retries`` command takes that reading with :func:`take` when its own
session would be the same, else reads as usual. Reading counters spends no try and
changes nothing, so a reading nobody takes (a usage error found later) costs only
the time; :func:`wait` lets it end before the process does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from typing import TYPE_CHECKING

from .. import profile
from ..session import SessionSpec

if TYPE_CHECKING:
    from ..retries import RetriesReport

#: Global options the plain form may carry, and whether each takes a value.
PLAIN_OPTIONS = {"--reader": True, "-r": True, "--lang": True, "--json": False}


class Reading(threading.Thread):
    """The counters of ``pins`` (ids; none: every PIN), read through ``spec``."""

    def __init__(self, spec: SessionSpec, pins: tuple[str, ...]) -> None:
        super().__init__(name="prefetch", daemon=True)
        self.spec, self.pins = spec, pins
        self.engaged = threading.Event()  # the card is open, or the reading ended
        self.report: RetriesReport | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            from ..card import MyNumberCard
            from ..retries import read_retries
            from ..session import open_session

            with open_session(self.spec) as transport:
                self.engaged.set()
                self.report = read_retries(MyNumberCard(transport), self.pins or None)
        except BaseException as exc:  # raised again by take(), reported as usual
            self.error = exc
        finally:
            self.engaged.set()


_reading: Reading | None = None


def plain_retries(args: list[str]) -> tuple[SessionSpec, tuple[str, ...]] | None:
    """The session and PIN ids when ``args`` is a plain ``retries`` command line."""
    reader: str | None = None
    i = 0
    while i < len(args) and args[i] != "retries":
        name, has_value, value = args[i].partition("=")
        takes = PLAIN_OPTIONS.get(name)
        if takes is None or (has_value and not takes):
            return None
        if takes and not has_value:
            if i + 1 >= len(args):
                return None
            i += 1
            value = args[i]
        if name in ("--reader", "-r"):
            reader = value
        i += 1
    if i >= len(args):
        return None
    pins = [profile.USER_PIN_NAMES.get(word.lower()) for word in args[i + 1 :]]
    if None in pins:
        return None  # an option or a bad name: the normal path says what is wrong
    return SessionSpec(reader=reader), tuple(p.id for p in pins if p is not None)


def start(args: list[str]) -> None:
    """Begin reading in a thread when ``args`` is a plain ``retries`` command line."""
    global _reading
    plain = plain_retries(args)
    if plain is None:
        return
    _reading = Reading(*plain)
    _reading.start()
    # Importing click now would slow the thread's own imports (one interpreter
    # lock): let it reach the card first, then load while the card answers.
    _reading.engaged.wait(timeout=2.0)


def take(spec: SessionSpec, pins: tuple[str, ...]) -> RetriesReport | None:
    """The reading :func:`start` began, when it read ``pins`` through ``spec`` (its
    ``on_wait`` aside), raising what it raised; else None. A reading is taken once."""
    global _reading
    reading, _reading = _reading, None
    if reading is None or (reading.spec, reading.pins) != (
        dataclasses.replace(spec, on_wait=None),
        pins,
    ):
        wait(reading)
        return None
    reading.join()
    if reading.error is not None:
        raise reading.error
    return reading.report


def wait(reading: Reading | None = None) -> None:
    """Let a reading end (its card session closed) before the process does; a Ctrl-C
    stops waiting (the reading only reads counters: pcscd ends its session)."""
    reading = reading or _reading
    if reading is not None:
        with contextlib.suppress(KeyboardInterrupt):
            reading.join()
