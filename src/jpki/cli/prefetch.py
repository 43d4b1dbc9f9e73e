"""Reading the counters while the command line loads.

``jpkitool retries`` spends most of its time waiting for the card (15 APDUs at
20–50 ms each on a real reader) and, before that, loading click and the CLI. For the
plain forms — ``[--reader R] [--lang L] [--json] retries [PINS...]`` and nothing
else — :func:`start` opens the card and reads the counters in a thread before click
is imported; the ``retries`` command then takes that reading with :func:`take`
instead of reading again. Reading counters spends no try and changes nothing, so a
reading nobody takes (a usage error found later) costs nothing but the time.

Any other form (tracing, recording, replay, the emulator, ``--wait``) is left to
the normal path, which does the same reading with the same functions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import profile

if TYPE_CHECKING:
    from ..retries import RetriesReport

#: Global options the plain form may carry, and whether each takes a value.
PLAIN_OPTIONS = {"--reader": True, "-r": True, "--lang": True, "--json": False}
#: PIN names as ``retries`` takes them (①-④ for 1-4).
KINDS = {
    **{k: k for k in profile.USER_PIN_NAMES},
    **{m: str(n) for n, m in profile.CIRCLED.items()},
}


@dataclass
class _Reading:
    reader: str | None
    pins: tuple[str, ...]
    #: Set once the card is open (its APDUs follow), or the reading ended.
    engaged: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    report: RetriesReport | None = None
    error: BaseException | None = None


_reading: _Reading | None = None


def plain_retries(args: list[str]) -> tuple[str | None, tuple[str, ...]] | None:
    """``(reader, pins)`` when ``args`` is a plain ``retries`` command line, else None."""
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
            value = args[i + 1]
            i += 1
        if name in ("--reader", "-r"):
            reader = value
        i += 1
    if i >= len(args):
        return None
    pins = []
    for word in args[i + 1 :]:
        kind = KINDS.get(word.lower())
        if kind is None:
            return None  # an option or a bad name: the normal path says what is wrong
        pins.append(kind)
    return reader, tuple(pins)


def start(args: list[str]) -> None:
    """Begin reading in a thread when ``args`` is a plain ``retries`` command line."""
    global _reading
    plain = plain_retries(args)
    if plain is None:
        return
    _reading = _Reading(*plain)
    threading.Thread(target=_read, args=(_reading,), name="prefetch", daemon=True).start()
    # Loading click now would slow the thread's own imports down (one interpreter
    # lock): let it reach the card first, then load while the card answers.
    _reading.engaged.wait(timeout=2.0)


def _read(reading: _Reading) -> None:
    try:
        from ..api import open_card
        from ..retries import read_retries

        with open_card(reading.reader) as card:
            reading.engaged.set()
            reading.report = read_retries(card, reading.pins or None)
    except BaseException as exc:  # handed to the command, which reports it as usual
        reading.error = exc
    finally:
        reading.engaged.set()
        reading.done.set()


def take(reader: str | None, pins: tuple[str, ...]) -> RetriesReport | None:
    """The reading :func:`start` began for this reader and these PINs (raising what it
    raised), or None when none was begun for them. A reading is taken once."""
    global _reading
    reading, _reading = _reading, None
    if reading is None or (reading.reader, reading.pins) != (reader, pins):
        return None
    reading.done.wait()
    if reading.error is not None:
        raise reading.error
    return reading.report
