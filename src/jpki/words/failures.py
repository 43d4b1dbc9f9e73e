"""Why the card, its reader or a file could not be used, in a sentence: the lines
``jpkitool`` prints for these errors (:data:`jpki.cli.failures.RULES` takes them from
here), which the page shows too."""

from __future__ import annotations

import errno
from collections.abc import Callable, Mapping
from typing import Any

from apdu import errors as ae
from apdu.jsonfile import FileFault

from .. import errors as je
from ..i18n import t
from .errors import card_error

#: The errno names with a message of their own (``fileproblem.<name in lower case>``);
#: any other error is told in the system's own (English) words.
OS_REASONS = frozenset(
    {"ENOENT", "EACCES", "ENOSPC", "EPERM", "EDQUOT", "EROFS", "EISDIR", "ENOTDIR", "EEXIST",
     "ENAMETOOLONG", "ELOOP", "EIO", "EFBIG", "EBUSY", "ETXTBSY", "EMFILE", "ENFILE", "ENXIO"}
)  # fmt: skip


def os_reason(number: int | None, strerror: str | None = None, lang: str | None = None) -> str:
    """What an OS error means, in the language when its errno has a message."""
    name = errno.errorcode.get(number) if number is not None else None
    if name in OS_REASONS:
        return t(f"fileproblem.{name.lower()}", lang)
    return strerror or "-"


def _joined(value: object) -> object:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else value


def _os(params: Mapping[str, object], lang: str | None) -> str:
    number = params.get("errno")
    number = number if isinstance(number, int) else None
    return os_reason(number, str(params.get("strerror") or ""), lang)


def reason_text(
    section: str, code: str, params: Mapping[str, object], lang: str | None = None
) -> str:
    """The catalogue's ``<section>.<code>`` formatted with an error's parameters: lists
    joined with commas, ``errno`` told as ``os`` (:func:`os_reason`), a PIN format's
    ``rule`` by its name. The code ``os`` is the OS error alone."""
    if code == "os":
        return _os(params, lang)
    values = {name: _joined(value) for name, value in params.items()}
    if "errno" in params:
        values["os"] = _os(params, lang)
    if "rule" in params:
        values["rule"] = t(f"format.{params['rule']}", lang)
    return t(f"{section}.{code}", lang).format(**values)


def file_text(exc: FileFault, lang: str | None = None) -> str:
    """A state or session file refused: ``file[:line][: field]: problem``."""
    where = (exc.path or "-") + ("" if exc.line is None else f":{exc.line}")
    where += f": {exc.field}" if exc.field else ""
    key = "error.session_file" if isinstance(exc, ae.SessionFileError) else "error.state_file"
    return t(key, lang, where=where, reason=reason_text("fileproblem", exc.code, exc.params, lang))


def os_text(exc: OSError, lang: str | None = None) -> str:
    """An OS error, with its file when it has one."""
    reason = os_reason(exc.errno, exc.strerror or str(exc), lang)
    if exc.filename is None:
        return t("error.os_nofile", lang, reason=reason)
    return t("error.os", lang, file=exc.filename, reason=reason)


def _no_reader(exc: ae.NoReaderError, lang: str | None) -> str:
    readers = ", ".join(exc.readers)
    if exc.spec is None:
        return t("error.no_reader", lang)
    if exc.spec.strip().isdigit():
        return t("error.no_reader_index", lang, spec=exc.spec.strip(), readers=readers)
    return t("error.no_reader_match", lang, spec=exc.spec, readers=readers)


def _timed(exc: ae.TransportError, timed_out: str, otherwise: str, lang: str | None) -> str:
    """An exchange given up after :mod:`apdu.pcsctransport`'s timeout (another
    program's transaction outlasted it, the card did not answer), else ``otherwise``."""
    if exc.timeout is None:
        return t(otherwise, lang)
    return t(timed_out, lang, seconds=f"{exc.timeout:g}")


def _busy(exc: ae.ReaderBusyError, lang: str | None) -> str:
    return _timed(exc, "error.reader_held", "error.reader_busy", lang)


def _unresponsive(exc: ae.CardUnresponsiveError, lang: str | None) -> str:
    return _timed(exc, "error.no_answer", "error.unresponsive", lang)


def _not_my_number(exc: je.NotMyNumberCardError, lang: str | None) -> str:
    return t("error.not_my_number", lang, sw="-" if exc.sw is None else f"{exc.sw:04X}")


#: The card and reader errors, the first type that matches taken: a catalogue key, or
#: a function of the error and the language.
ACCESS: tuple[tuple[type[BaseException], str | Callable[[Any, str | None], str]], ...] = (
    (ae.PcscLibraryError, lambda e, lang: t("error.no_pcsc_library", lang, detail=str(e))),
    (ae.AccessDeniedError, "error.access_denied"),
    (ae.ServiceStoppedError, "error.service_stopped"),
    (ae.ServiceUnavailableError, "error.no_service"),
    (ae.NoReaderError, _no_reader),
    (ae.NoCardError, "error.no_card"),
    (ae.CardRemovedError, "error.card_removed"),
    (ae.ReaderBusyError, _busy),
    (ae.CardUnresponsiveError, _unresponsive),
    (ae.TransportError, lambda e, lang: t("error.transport", lang, detail=str(e))),
    (je.NotMyNumberCardError, _not_my_number),
    (je.CardError, card_error),
    (FileFault, file_text),
    (OSError, os_text),
)  # fmt: skip


def access_text(exc: BaseException, lang: str | None = None) -> str:
    """The sentence for a card, reader or file error (:data:`ACCESS`); for any other,
    its type and message, as ``jpkitool`` prints an unexpected error."""
    for kind, message in ACCESS:
        if isinstance(exc, kind):
            return t(message, lang) if isinstance(message, str) else message(exc, lang)
    return unexpected_text(exc, lang)


def unexpected_text(exc: BaseException, lang: str | None = None) -> str:
    """The type and message only: a repr can hold an object's data (bytes read, values)."""
    return t("error.unexpected", lang, detail=f"{type(exc).__name__}: {exc}")
