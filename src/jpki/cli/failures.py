"""Exit statuses, and every error a user can meet as (code, exit status, one-line
message). The README has the table of statuses."""

from __future__ import annotations

import gettext
from collections.abc import Callable
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
from ..words.errors import certificate_error, sw_text
from ..words.failures import access_text, file_text, reason_text, unexpected_text
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


def _pin(exc: Any) -> str:
    return key_name(exc.pin_id, exc.key_id)


#: Each error a user can meet: its type (the first that matches is taken), code, exit
#: status and message (a catalogue key, or a function of the error). The card, reader
#: and file errors are told by :func:`jpki.words.failures.access_text`, as the page
#: tells them.
RULES: tuple[tuple[type[BaseException], str, Exit, str | Callable[[Any], str]], ...] = (
    (UsageFailure, "usage", Exit.USAGE, lambda e: t(e.key).format(**e.values)),
    (ae.PcscLibraryError, "no-pcsc-library", Exit.NO_CARD, access_text),
    (ae.AccessDeniedError, "access-denied", Exit.NO_CARD, access_text),
    (ae.ServiceStoppedError, "no-service", Exit.NO_CARD, access_text),
    (ae.ServiceUnavailableError, "no-service", Exit.NO_CARD, access_text),
    (je.AmbiguousCardError, "ambiguous-reader", Exit.USAGE,
     lambda e: t("error.several_my_number" if e.my_number else "error.ambiguous",
                 readers=", ".join(e.readers))),
    (ae.AmbiguousReaderError, "ambiguous-reader", Exit.USAGE,
     lambda e: t("error.ambiguous_reader", spec=e.spec, readers=", ".join(e.matches))),
    (ae.NoReaderError, "no-reader", Exit.NO_CARD, access_text),
    (ae.NoCardError, "no-card", Exit.NO_CARD, access_text),
    (ae.CardRemovedError, "card-removed", Exit.NO_CARD, access_text),
    (ae.ReaderBusyError, "reader-busy", Exit.ERROR, access_text),
    (ae.CardUnresponsiveError, "card-unresponsive", Exit.ERROR, access_text),
    (OutputError, "output-file", Exit.USAGE,
     lambda e: t("error.output", path=e.path,
                 reason=reason_text("outputreason", e.code, e.params))),
    (ae.ReplayMismatchError, "replay-mismatch", Exit.ERROR,
     lambda e: t("error.replay_mismatch", index=e.index, expected=e.expected or "-",
                 actual=e.actual)),
    (ae.ReplayLeftoverError, "replay-leftover", Exit.ERROR,
     lambda e: t("error.replay_leftover", left=e.total - e.used, total=e.total)),
    (ae.TransportError, "transport", Exit.ERROR, access_text),
    (ae.EncodingError, "encoding", Exit.ERROR, lambda e: t("error.unexpected", detail=str(e))),
    (je.NotMyNumberCardError, "not-my-number-card", Exit.NO_CARD, access_text),
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
    (je.CardError, "card-error", Exit.ERROR, access_text),
    (KeyboardInterrupt, "interrupted", Exit.ERROR, "error.interrupted"),
    (click.exceptions.Abort, "interrupted", Exit.ERROR, "error.interrupted"),
    (click.ClickException, "usage", Exit.USAGE,
     lambda e: t("usage.other", detail=e.format_message())),
    (OSError, "os-error", Exit.ERROR, access_text),
)  # fmt: skip


def classify(exc: BaseException) -> Failure:
    """Map an exception to its code, exit status and message in the current language."""
    if isinstance(exc, FileFault):  # a state or session file refused
        code = "session-file" if isinstance(exc, ae.SessionFileError) else "state-file"
        return Failure(code, Exit.USAGE, file_text(exc))
    for kind, code, status, message in RULES:
        if isinstance(exc, kind):
            return Failure(code, status, t(message) if isinstance(message, str) else message(exc))
    return Failure("unexpected", Exit.ERROR, unexpected_text(exc))


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
