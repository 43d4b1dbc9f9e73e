"""Exit statuses, and every error a user can meet as (code, exit status, one-line
message). The README has the table of statuses."""

from __future__ import annotations

import errno
import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import click

import apdu
from apdu import errors as ae
from apdu.jsonfile import FileFault
from apdu.outfile import OutputError

from .. import errors as je
from .. import profile
from ..i18n import has, t, tn
from .params import Seconds
from .pinkind import PinKind


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


def sw_text(sw: int) -> str:
    """What a status word means, in the current language (the catalogue's ``sw.XXXX``
    for the words this card is known to answer, else ISO 7816-4's English text)."""
    if sw & 0xFFF0 == apdu.SW.VERIFY_FAILED:
        return tn("sw.63Cx", sw & 0x0F, n=sw & 0x0F)
    key = f"sw.{sw:04X}"
    return t(key) if has(key) else apdu.describe(sw)


def pin_name(pin_id: str) -> str:
    """A PIN's short name in the current language (the id itself when unknown)."""
    key = f"pin.{pin_id}.short"
    return t(key) if has(key) else pin_id


def key_name(pin_id: str, key_id: str) -> str:
    """A PIN's short name, with the application when it is one of ③'s two keys."""
    name = pin_name(pin_id)
    pin = profile.PINS_BY_ID.get(pin_id)
    if pin is not None and len(pin.slots) > 1 and key_id in profile.SLOTS_BY_ID:
        name += f" ({profile.SLOTS_BY_ID[key_id].app.name_ja})"
    return name


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
    """The catalogue's ``<section>.<code>`` formatted with an error's parameters; ``errno``
    gives ``os`` (:func:`os_reason`). Lists are joined with commas."""
    values = {name: _joined(value) for name, value in params.items()}
    if "errno" in params:
        values["os"] = _os(params)
    return t(f"{section}.{code}").format(**values)


def problem_text(code: str, params: Mapping[str, object]) -> str:
    """A :class:`apdu.jsonfile.FileFault`'s problem in the current language: the
    catalogue's ``fileproblem.<code>``, a PIN format's ``rule`` by its name, an OS
    error by :func:`os_reason`."""
    if code == "os":
        return _os(params)
    values = {name: _joined(value) for name, value in params.items()}
    if "rule" in params:
        values["rule"] = t(f"format.{params['rule']}")
    return t(f"fileproblem.{code}").format(**values)


def _file_failure(exc: FileFault) -> Failure:
    """A state or session file refused: ``file[:line][: field]: problem``."""
    where = (exc.path or "-") + ("" if exc.line is None else f":{exc.line}")
    where += f": {exc.field}" if exc.field else ""
    kind = "session-file" if isinstance(exc, ae.SessionFileError) else "state-file"
    reason = problem_text(exc.code, exc.params)
    return Failure(
        kind, Exit.USAGE, t(f"error.{kind.replace('-', '_')}", where=where, reason=reason)
    )


def _os_failure(exc: OSError) -> Failure:
    reason = os_reason(exc.errno, exc.strerror or str(exc))
    if exc.filename is None:
        return Failure("os-error", Exit.ERROR, t("error.os_nofile", reason=reason))
    return Failure("os-error", Exit.ERROR, t("error.os", file=exc.filename, reason=reason))


def _timeout(exc: ae.TransportError) -> str | None:
    """The seconds an exchange was given before :mod:`apdu.pcsctransport` gave it up, as text."""
    return None if exc.timeout is None else f"{exc.timeout:g}"


def classify(exc: BaseException) -> Failure:
    """Map an exception to its code, exit status and message in the current language."""
    # Lazy imports keep optional parts optional.
    from ..certificate import CertificateError

    match exc:
        case FileFault():
            return _file_failure(exc)
        case UsageFailure():
            return Failure("usage", Exit.USAGE, t(exc.key).format(**exc.values))
        case ae.PcscLibraryError():
            return Failure(
                "no-pcsc-library", Exit.NO_CARD, t("error.no_pcsc_library", detail=str(exc))
            )
        case ae.AccessDeniedError():
            return Failure("access-denied", Exit.NO_CARD, t("error.access_denied"))
        case ae.ServiceStoppedError():
            return Failure("no-service", Exit.NO_CARD, t("error.service_stopped"))
        case ae.ServiceUnavailableError():
            return Failure("no-service", Exit.NO_CARD, t("error.no_service"))
        case je.AmbiguousCardError():
            key = "error.several_my_number" if exc.my_number else "error.ambiguous"
            return Failure("ambiguous-reader", Exit.USAGE, t(key, readers=", ".join(exc.readers)))
        case ae.AmbiguousReaderError():
            return Failure(
                "ambiguous-reader",
                Exit.USAGE,
                t("error.ambiguous_reader", spec=exc.spec, readers=", ".join(exc.matches)),
            )
        case ae.NoReaderError():
            readers = ", ".join(exc.readers)
            if exc.spec is None:
                message = t("error.no_reader")
            elif exc.spec.strip().isdigit():
                message = t("error.no_reader_index", spec=exc.spec.strip(), readers=readers)
            else:
                message = t("error.no_reader_match", spec=exc.spec, readers=readers)
            return Failure("no-reader", Exit.NO_CARD, message)
        case ae.NoCardError():
            return Failure("no-card", Exit.NO_CARD, t("error.no_card"))
        case ae.CardRemovedError():
            return Failure("card-removed", Exit.NO_CARD, t("error.card_removed"))
        case ae.ReaderBusyError():
            seconds = _timeout(exc)
            if seconds is not None:  # another program's transaction outlasted the timeout
                message = t("error.reader_held", seconds=seconds)
                return Failure("reader-busy", Exit.ERROR, message)
            return Failure("reader-busy", Exit.ERROR, t("error.reader_busy"))
        case ae.CardUnresponsiveError():
            seconds = _timeout(exc)
            if seconds is not None:
                message = t("error.no_answer", seconds=seconds)
                return Failure("card-unresponsive", Exit.ERROR, message)
            return Failure("card-unresponsive", Exit.ERROR, t("error.unresponsive"))
        case OutputError():
            reason = reason_text("outputreason", exc.code, exc.params)
            message = t("error.output", path=exc.path, reason=reason)
            return Failure("output-file", Exit.USAGE, message)
        case ae.ReplayMismatchError():
            return Failure(
                "replay-mismatch",
                Exit.ERROR,
                t(
                    "error.replay_mismatch",
                    index=exc.index,
                    expected=exc.expected or "-",
                    actual=exc.actual,
                ),
            )
        case ae.ReplayLeftoverError():
            return Failure(
                "replay-leftover",
                Exit.ERROR,
                t("error.replay_leftover", left=exc.total - exc.used, total=exc.total),
            )
        case ae.TransportError():
            return Failure("transport", Exit.ERROR, t("error.transport", detail=str(exc)))
        case ae.EncodingError():
            return Failure("encoding", Exit.ERROR, t("error.unexpected", detail=str(exc)))
        case je.NotMyNumberCardError():
            sw = f"{exc.sw:04X}" if exc.sw is not None else "-"
            return Failure("not-my-number-card", Exit.NO_CARD, t("error.not_my_number", sw=sw))
        case je.PinFormatError():
            return Failure(
                "pin-format",
                Exit.USAGE,
                t("error.pin_format", pin=pin_name(exc.pin_id), rule=t(f"format.{exc.rule}")),
            )
        case je.WeakPinError():
            return Failure(
                "weak-pin",
                Exit.USAGE,
                t("error.pins.weak", pin=pin_name(exc.pin_id), why=t(f"weakness.{exc.weakness}")),
            )
        case je.PinRequestError():
            message = t(
                f"error.pins.request.{exc.reason}", detail=exc.detail, pin=pin_name(exc.detail)
            )
            return Failure("usage", Exit.USAGE, message)
        case je.WrongPinError():
            return Failure(
                "wrong-pin",
                Exit.WRONG_PIN,
                t("error.wrong_pin", pin=key_name(exc.pin_id, exc.key_id), remaining=exc.remaining),
            )
        case je.ChangeUnconfirmedError():
            remaining = "-" if exc.remaining is None else str(exc.remaining)
            message = t(
                "error.unconfirmed", pin=key_name(exc.pin_id, exc.key_id), remaining=remaining
            )
            return Failure("unconfirmed", Exit.ERROR, message)
        case je.PinLockedError():
            key = "error.pins.just_locked" if exc.just_locked else "error.pin_locked"
            return Failure("pin-locked", Exit.LOCKED, t(key, pin=key_name(exc.pin_id, exc.key_id)))
        case je.SpendRefusedError():
            return Failure(
                "refused",
                Exit.REFUSED,
                t(
                    f"error.pins.refused.{exc.reason}",
                    pin=key_name(exc.pin_id, exc.key_id),
                    **_sw(exc.sw),
                ),
            )
        case je.PinAbsentError():
            key = f"error.pins.absent.{exc.reason}"
            if exc.reason == "no-reference-data" and exc.pin_id == profile.AUTH.id:
                key += ".auth"  # only ② is missing on a 顔認証マイナンバーカード
            message = t(key, pin=pin_name(exc.pin_id))
            return Failure("pin-absent", Exit.ERROR, message)
        case CertificateError():
            kind = t(f"cert.kind.{exc.what}") if has(f"cert.kind.{exc.what}") else exc.what
            message = t("error.certificate", what=kind, reason=t(f"certreason.{exc.code}"))
            return Failure("certificate", Exit.ERROR, message)
        case je.PermitError():
            return Failure("permit", Exit.ERROR, t("error.pins.permit", detail=str(exc)))
        case je.CardError():
            return Failure(
                "card-error", Exit.ERROR, t("error.card", operation=exc.operation, **_sw(exc.sw))
            )
        case KeyboardInterrupt():
            return Failure("interrupted", Exit.ERROR, t("error.interrupted"))
        case OSError():
            return _os_failure(exc)
    # The type and message only: a repr can hold an object's data (bytes read, values).
    detail = f"{type(exc).__name__}: {exc}"
    return Failure("unexpected", Exit.ERROR, t("error.unexpected", detail=detail))


#: What click (>= 8.4) raises for a command name it does not know.
NO_SUCH_COMMAND: type[click.UsageError] = getattr(
    click.exceptions, "NoSuchCommand", type("NeverRaised", (click.UsageError,), {})
)


def usage_detail(exc: click.UsageError) -> str:
    """A usage error in one line of the current language that repeats no word the user
    typed, for any word in the wrong place may be a PIN; paths are repeated.

    The message is rebuilt from the error's type and parameter: an extra argument is
    "unexpected"; a refused value names its parameter and what it takes
    (:func:`_bad_value`); an unknown option or command is named only when the name
    cannot be a PIN (:func:`_named`). The names in click's other errors (an option
    given no value or one it does not take, a missing argument) are its own. Our
    own usage errors are :class:`UsageFailure`, so a plain :class:`click.UsageError`
    is click's: a missing command, an unknown one (click < 8.4), an extra argument.
    """
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
    kind = param.type
    if isinstance(kind, click.Path):
        return exc.format_message()
    if isinstance(kind, click.Choice):
        takes = t("usage.choice", choices=", ".join(map(str, kind.choices)))
    elif isinstance(kind, click.IntRange) and kind.min is not None:
        key = "usage.at_least" if kind.max is None else "usage.between"
        takes = t(key, min=kind.min, max=kind.max)
    elif isinstance(kind, PinKind | Seconds):  # their messages never hold the value
        takes = exc.message
    else:
        takes = t("usage.not_taken")
    name = (
        max(param.opts, key=len) if isinstance(param, click.Option) else param.human_readable_name
    )
    return t("usage.bad_value", param=name, takes=takes)
