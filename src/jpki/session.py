"""Opening a card session: the one builder behind :func:`jpki.open_card` and the CLI.

A :class:`SessionSpec` names what to talk to (a reader, found automatically or
waited for; the built-in virtual card; or a recorded session to replay) and how
(recording, tracing, one PC/SC transaction). :func:`open_session` builds the
transport stack from it and takes it down again.

The core does not import the virtual card (a contract of ``pyproject.toml``): a
session with it is given its opener, :func:`jpki.emulator.session.open_virtual_card`
(:func:`jpki.api.virtual_card_opener` gives it when a spec asks for the card), which
reads and saves a state file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from apdu import ApduError, BaseTransport
from apdu.transport import check_timeout

from . import connect
from .errors import JpkiError

__all__ = ["EmulatorOpener", "SessionSpec", "closing", "open_session"]


#: What each conflict of session options is called, and says.
CONFLICTS = {
    "replay_conflict": "replay excludes reader, emulator and record",
    "emulator_reader_conflict": "emulator excludes reader",
    "record_personal_needs_record": "record_personal needs record",
}


class OptionConflict(JpkiError, ValueError):
    """Session options that cannot go together; ``reason`` (a key of
    :data:`CONFLICTS`) names which, and the CLI's usage message ``usage.<reason>``."""

    def __init__(self, reason: str) -> None:
        super().__init__(CONFLICTS[reason])
        self.reason = reason


def check_options(
    *, reader: bool, emulator: bool, replay: bool, record: bool, record_personal: bool
) -> None:
    """The one check of which session options go together (the library's
    :class:`SessionSpec` and the CLI's global options alike)."""
    if replay and (emulator or reader or record):
        raise OptionConflict("replay_conflict")
    if emulator and reader:
        raise OptionConflict("emulator_reader_conflict")
    if record_personal and not record:
        raise OptionConflict("record_personal_needs_record")


@dataclass(frozen=True)
class SessionSpec:
    """What :func:`open_session` opens.

    - ``reader``: a reader index or part of its name; None: found automatically
      (:func:`jpki.connect.choose_reader`). ``wait``: seconds to wait for a card;
      ``on_wait`` is called once if waiting starts. ``timeout``: seconds a PC/SC call
      may take (None: :func:`jpki.connect.card_timeout`). Real readers only.
    - ``emulator``: the built-in virtual card: True (default card), a
      :class:`jpki.emulator.CardState` (used as is, changes visible to the caller),
      or the path of a state file (read if it exists, saved only when changed);
      False: none. What it is, only the opener :func:`open_session` is given looks at.
    - ``replay``: a recorded session file to play back instead of a card.
    - ``record``: a new session file to record the exchanges to (secrets redacted);
      an existing file is refused (:class:`apdu.outfile.OutputError`, code ``exists``).
      Personal data is written as ``XX`` per byte (:mod:`jpki.personal`) unless
      ``record_personal``, which needs ``record``. ``overwrite``: an existing regular
      file at ``record`` is replaced instead (:func:`apdu.outfile.check` says what
      else may be written: standard output, a device, a FIFO).
    - ``trace``: write each exchange to standard error (True) or to a text stream;
      personal data is never shown there.
    - ``transaction``: the whole session is one PC/SC transaction.
    - ``may_change``: the session may change the card (try or change a PIN): a state
      file given as ``emulator`` must then be one that can be written
      (:func:`jpki.emulator.session.state_file`), checked as the session opens,
      before anything is sent (:class:`apdu.outfile.OutputError`).

    ``replay`` excludes ``reader``, ``emulator`` and ``record``; ``emulator``
    excludes ``reader``; ``record_personal`` needs ``record`` (:class:`ValueError`).
    """

    reader: str | None = None
    wait: float | None = None
    on_wait: Callable[[], None] | None = None
    timeout: float | None = None
    emulator: object = False
    replay: str | os.PathLike[str] | None = None
    record: str | os.PathLike[str] | None = None
    record_personal: bool = False
    overwrite: bool = False
    trace: bool | TextIO = False
    transaction: bool = True
    may_change: bool = False

    def __post_init__(self) -> None:
        check_options(
            reader=bool(self.reader),
            emulator=self.uses_emulator,
            replay=self.replay is not None,
            record=self.record is not None,
            record_personal=self.record_personal,
        )
        check_timeout(self.timeout)

    @property
    def uses_emulator(self) -> bool:
        return self.emulator is not False


#: Opens the virtual card a spec names: its transport, and what to call at the end
#: (saving a state file that changed). :func:`jpki.emulator.session.open_virtual_card`.
EmulatorOpener = Callable[[SessionSpec], tuple[BaseTransport, Callable[[], None]]]


@contextlib.contextmanager
def closing(transport: BaseTransport) -> Iterator[None]:
    """Close ``transport`` at the end; after a failure, an error of the closing itself
    (a replay's left-over exchanges) does not hide the one that happened first."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(ApduError):
            transport.close()
        raise
    transport.close()


@contextlib.contextmanager
def open_session(
    spec: SessionSpec, emulator: EmulatorOpener | None = None
) -> Iterator[BaseTransport]:
    """The transport ``spec`` asks for, wrapped for recording and tracing, inside one
    transaction when asked; closed at the end, the emulator's state file saved if the
    card changed (even after a failure). Errors are the :mod:`apdu` ones as raised;
    a bad state file raises :class:`jpki.emulator.StateError`.

    ``emulator`` opens the virtual card when ``spec`` names one (:class:`ValueError`
    without it): :func:`jpki.api.virtual_card_opener` gives it."""
    base, save = _base(spec, emulator)
    try:
        try:
            transport = _wrap(base, spec)
        except BaseException:
            with contextlib.suppress(ApduError):
                base.close()
            raise
        whole = transport.transaction() if spec.transaction else contextlib.nullcontext()
        with closing(transport), whole:
            yield transport
    finally:
        save()


def _base(
    spec: SessionSpec, emulator: EmulatorOpener | None
) -> tuple[BaseTransport, Callable[[], None]]:
    """The innermost transport, and what to call at the end (the state saving)."""
    if spec.replay is not None:
        from apdu.replay import ReplayTransport

        return ReplayTransport(spec.replay), lambda: None
    if spec.uses_emulator:
        if emulator is None:
            raise ValueError("a session with the virtual card needs its opener")
        return emulator(spec)
    card = connect.connect(spec.reader, wait=spec.wait, on_wait=spec.on_wait, timeout=spec.timeout)
    return card, lambda: None


def _wrap(transport: BaseTransport, spec: SessionSpec) -> BaseTransport:
    from .personal import RULE

    if spec.record is not None:
        from apdu.recording import RecordingTransport

        from .version import __version__

        transport = RecordingTransport(
            transport,
            spec.record,
            tool_version=f"jpkitool {__version__}",
            origin="emulator" if spec.uses_emulator else None,
            overwrite=spec.overwrite,
            personal=RULE,
            keep_personal=spec.record_personal,
        )
    if spec.trace:
        from apdu.trace import TracingTransport

        # True: standard error as it is when each line is written (not now).
        stream = None if isinstance(spec.trace, bool) else spec.trace
        transport = TracingTransport(transport, stream, personal=RULE)
    return transport
