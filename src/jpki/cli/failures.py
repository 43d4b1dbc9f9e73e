"""Exit statuses, and every error a user can meet as (code, exit status, one-line
message). The README has the table of statuses."""

from __future__ import annotations

import errno
import gettext
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import click

from apdu import errors as ae
from apdu.jsonfile import FileFault
from apdu.outfile import OutputError

from .. import errors as je
from ..errors import CertificateError
from ..i18n import t
from ..words import pins as words
from ..words.errors import card_error, certificate_error, sw_text
from ..words.pins import key_name, pin_name
from .params import Seconds
from .pinname import PinNameType


class Exit(IntEnum):
    """Exit statuses, the same for every command."""

    OK = 0
    ERROR = 1  # card error or unexpected
    USAGE = 2  # usage error, or input rejected before the card was touched
    WRONG_PIN = 3  # wrong PIN, tries remain
    LOCKED = 4  # PIN locked
    NO_CARD = 5  # no PC/SC service, no reader, no card, or not a My Number card
    EXPIRING = 6  # expiring within the warning window
    EXPIRED = 7
    REFUSED = 8  # a PIN command refused to spend the last try or a try on an untrusted count
    MAY_BE_VERIFIED = 9  # done, but the card may be left verified: take it out


class ExitWith(Exception):
    """Leave with a given exit status after the command printed its result."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def finish(status: int) -> None:
    """End the command with ``status`` (0 returns normally)."""
    if status:
        raise ExitWith(status)


@dataclass(frozen=True)
class Failure:
    code: str
    exit: Exit
    message: str


class UsageFailure(Exception):
    """A usage error found by our own checks (option conflicts, bad values)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def _sw(sw: int) -> dict[str, str]:
    return {"sw": f"{sw:04X}", "desc": sw_text(sw)}


#: The errno names with a message of their own (``fileproblem.<name in lower case>``);
#: any other error is told in the system's own (English) words.
OS_REASONS = frozenset(
    {"ENOENT", "EACCES", "ENOSPC", "EPERM", "EDQUOT", "EROFS", "EISDIR", "ENOTDIR", "EEXIST",
     "ENAMETOOLONG", "ELOOP", "EIO", "EFBIG", "EBUSY", "ETXTBSY", "EMFILE", "ENFILE", "ENXIO"}
)  # fmt: skip


def os_reason(number: int | None, strerror: str | None = None) -> str:
    """What an OS error means, in the current language when its errno has a message."""
    name = errno.errorcode.get(number) if number is not None else None
    if name in OS_REASONS:
        return t(f"fileproblem.{name.lower()}")
    return strerror or "-"


def _joined(value: object) -> object:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else value


def _os(params: Mapping[str, object]) -> str:
    number = params.get("errno")
    return os_reason(number if isinstance(number, int) else None, str(params.get("strerror") or ""))


def reason_text(section: str, code: str, params: Mapping[str, object]) -> str:
    """The catalogue's ``<section>.<code>`` formatted with an error's parameters: lists
    joined with commas, ``errno`` told as ``os`` (:func:`os_reason`), a PIN format's
    ``rule`` by its name. The code ``os`` is the OS error alone."""
    if code == "os":
        return _os(params)
    values = {name: _joined(value) for name, value in params.items()}
    if "errno" in params:
        values["os"] = _os(params)
    if "rule" in params:
        values["rule"] = t(f"format.{params['rule']}")
    return t(f"{section}.{code}").format(**values)


def _file_failure(exc: FileFault) -> Failure:
    """A state or session file refused: ``file[:line][: field]: problem``."""
    where = (exc.path or "-") + ("" if exc.line is None else f":{exc.line}")
    where += f": {exc.field}" if exc.field else ""
    code = "session-file" if isinstance(exc, ae.SessionFileError) else "state-file"
    reason = reason_text("fileproblem", exc.code, exc.params)
    return Failure(
        code, Exit.USAGE, t(f"error.{code.replace('-', '_')}", where=where, reason=reason)
    )


def _os_message(exc: OSError) -> str:
    reason = os_reason(exc.errno, exc.strerror or str(exc))
    if exc.filename is None:
        return t("error.os_nofile", reason=reason)
    return t("error.os", file=exc.filename, reason=reason)


def _no_reader(exc: ae.NoReaderError) -> str:
    readers = ", ".join(exc.readers)
    if exc.spec is None:
        return t("error.no_reader")
    if exc.spec.strip().isdigit():
        return t("error.no_reader_index", spec=exc.spec.strip(), readers=readers)
    return t("error.no_reader_match", spec=exc.spec, readers=readers)


def _timed(exc: ae.TransportError, timed_out: str, otherwise: str) -> str:
    """The message of an exchange given up after :mod:`apdu.pcsctransport`'s timeout
    (another program's transaction outlasted it, the card did not answer), else ``otherwise``."""
    if exc.timeout is None:
        return t(otherwise)
    return t(timed_out, seconds=f"{exc.timeout:g}")


def _pin(exc: Any) -> str:
    return key_name(exc.pin_id, exc.key_id)


#: Each error a user can meet: its type (the first that matches is taken), code, exit
#: status and message (a catalogue key, or a function of the error).
RULES: tuple[tuple[type[BaseException], str, Exit, str | Callable[[Any], str]], ...] = (
    (UsageFailure, "usage", Exit.USAGE, lambda e: t(e.key).format(**e.values)),
    (ae.PcscLibraryError, "no-pcsc-library", Exit.NO_CARD,
     lambda e: t("error.no_pcsc_library", detail=str(e))),
    (ae.AccessDeniedError, "access-denied", Exit.NO_CARD, "error.access_denied"),
    (ae.ServiceStoppedError, "no-service", Exit.NO_CARD, "error.service_stopped"),
    (ae.ServiceUnavailableError, "no-service", Exit.NO_CARD, "error.no_service"),
    (je.AmbiguousCardError, "ambiguous-reader", Exit.USAGE,
     lambda e: t("error.several_my_number" if e.my_number else "error.ambiguous",
                 readers=", ".join(e.readers))),
    (ae.AmbiguousReaderError, "ambiguous-reader", Exit.USAGE,
     lambda e: t("error.ambiguous_reader", spec=e.spec, readers=", ".join(e.matches))),
    (ae.NoReaderError, "no-reader", Exit.NO_CARD, _no_reader),
    (ae.NoCardError, "no-card", Exit.NO_CARD, "error.no_card"),
    (ae.CardRemovedError, "card-removed", Exit.NO_CARD, "error.card_removed"),
    (ae.ReaderBusyError, "reader-busy", Exit.ERROR,
     lambda e: _timed(e, "error.reader_held", "error.reader_busy")),
    (ae.CardUnresponsiveError, "card-unresponsive", Exit.ERROR,
     lambda e: _timed(e, "error.no_answer", "error.unresponsive")),
    (OutputError, "output-file", Exit.USAGE,
     lambda e: t("error.output", path=e.path,
                 reason=reason_text("outputreason", e.code, e.params))),
    (ae.ReplayMismatchError, "replay-mismatch", Exit.ERROR,
     lambda e: t("error.replay_mismatch", index=e.index, expected=e.expected or "-",
                 actual=e.actual)),
    (ae.ReplayLeftoverError, "replay-leftover", Exit.ERROR,
     lambda e: t("error.replay_leftover", left=e.total - e.used, total=e.total)),
    (ae.TransportError, "transport", Exit.ERROR, lambda e: t("error.transport", detail=str(e))),
    (ae.EncodingError, "encoding", Exit.ERROR, lambda e: t("error.unexpected", detail=str(e))),
    (je.NotMyNumberCardError, "not-my-number-card", Exit.NO_CARD,
     lambda e: t("error.not_my_number", sw="-" if e.sw is None else f"{e.sw:04X}")),
    (je.PinFormatError, "pin-format", Exit.USAGE,
     words.format_text),
    (je.WeakPinError, "weak-pin", Exit.USAGE,
     lambda e: t("error.pins.weak", pin=pin_name(e.pin_id), why=t(f"weakness.{e.weakness}"))),
    (je.PinRequestError, "usage", Exit.USAGE,
     words.request_text),
    (je.WrongPinError, "wrong-pin", Exit.WRONG_PIN, words.wrong_text),
    (je.ChangeUnconfirmedError, "unconfirmed", Exit.ERROR, words.unconfirmed_text),
    (je.PinLockedError, "pin-locked", Exit.LOCKED, words.locked_text),
    (je.SpendRefusedError, "refused", Exit.REFUSED,
     lambda e: t(f"error.pins.refused.{e.reason}", pin=_pin(e), **_sw(e.sw))),
    (je.PinAbsentError, "pin-absent", Exit.ERROR, words.absent_text),
    (CertificateError, "certificate", Exit.ERROR, certificate_error),
    (je.PermitError, "permit", Exit.ERROR, lambda e: t("error.pins.permit", detail=str(e))),
    (je.CardError, "card-error", Exit.ERROR, card_error),
    (KeyboardInterrupt, "interrupted", Exit.ERROR, "error.interrupted"),
    (click.exceptions.Abort, "interrupted", Exit.ERROR, "error.interrupted"),
    (click.ClickException, "usage", Exit.USAGE,
     lambda e: t("usage.other", detail=e.format_message())),
    (OSError, "os-error", Exit.ERROR, _os_message),
)  # fmt: skip


def classify(exc: BaseException) -> Failure:
    """Map an exception to its code, exit status and message in the current language."""
    if isinstance(exc, FileFault):
        return _file_failure(exc)
    for kind, code, status, message in RULES:
        if isinstance(exc, kind):
            return Failure(code, status, t(message) if isinstance(message, str) else message(exc))
    # The type and message only: a repr can hold an object's data (bytes read, values).
    detail = f"{type(exc).__name__}: {exc}"
    return Failure("unexpected", Exit.ERROR, t("error.unexpected", detail=detail))


#: What click (>= 8.4) raises for a command name it does not know.
NO_SUCH_COMMAND: type[click.UsageError] = getattr(
    click.exceptions, "NoSuchCommand", type("NeverRaised", (click.UsageError,), {})
)


def usage_detail(exc: click.UsageError) -> str:
    """A usage error in one line of the current language that repeats no word the user
    typed, for any word in the wrong place may be a PIN (paths, and the names in
    click's other errors, which are its own, are repeated). Ours are
    :class:`UsageFailure`, so a plain :class:`click.UsageError` is click's: a missing
    command, an unknown one (click < 8.4), an extra argument."""
    if isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter):
        return _bad_value(exc)
    if isinstance(exc, click.NoSuchOption):
        return _named(exc, exc.option_name, "usage.unknown_option")
    if isinstance(exc, NO_SUCH_COMMAND):
        return _named(exc, getattr(exc, "command_name", ""), "usage.unknown_command")
    if type(exc) is not click.UsageError:  # a missing choice's list is on lines
        return " ".join(exc.format_message().split())
    if exc.message == gettext.gettext("Missing command."):
        return t("usage.missing_command")
    if exc.ctx is not None and isinstance(exc.ctx.command, click.Group):
        return t("usage.unknown_command")
    return t("usage.extra_argument")


def _named(exc: click.UsageError, name: str, otherwise: str) -> str:
    """click's message naming an unknown option or command (``--pin`` of
    ``--pin=1234``, ``retires``) when the name has no digit, else ``otherwise``.

    Every PIN and password the card takes has a digit (:mod:`jpki.profile`; ①'s
    needs one), so a name without one cannot be a PIN, and ``--1234``, ``-1234``,
    ``AB12CD34`` are not repeated. A short option is never named: click names
    one letter of what was typed (``-AB12CD34`` gives ``-A``).
    """
    short = name.startswith("-") and not name.startswith("--")
    if short or any(c.isdigit() for c in name):
        return t(otherwise)
    return exc.format_message()


def _bad_value(exc: click.BadParameter) -> str:
    """What a refused value's parameter takes (click's own message for a path)."""
    param = exc.param  # click sets it while parsing
    if param is None:
        return t("usage.not_taken")
    ptype = param.type
    if isinstance(ptype, click.Path):
        return exc.format_message()
    if isinstance(ptype, click.Choice):
        takes = t("usage.choice", choices=", ".join(map(str, ptype.choices)))
    elif isinstance(ptype, click.IntRange) and ptype.min is not None:
        key = "usage.at_least" if ptype.max is None else "usage.between"
        takes = t(key, min=ptype.min, max=ptype.max)
    elif isinstance(ptype, PinNameType | Seconds):  # their messages never hold the value
        takes = exc.message
    else:
        takes = t("usage.not_taken")
    name = (
        max(param.opts, key=len) if isinstance(param, click.Option) else param.human_readable_name
    )
    return t("usage.bad_value", param=name, takes=takes)
