"""What ``jpkitool doctor`` finds, as data: pcscd, then the readers, a card, the JPKI
application, stopping at the first link that is missing (the CLI renders it).

The readers are walked and their cards probed as :func:`jpki.connect.choose_reader`
does it (:func:`jpki.connect.readers_with_card`, :func:`jpki.connect.probe_readers`):
with no reader named, several My Number cards are a failure (a command would stop
there too).
Nothing here spends a try: the only APDUs are the SELECT of :func:`jpki.connect.probe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from apdu import (
    AccessDeniedError,
    BaseTransport,
    PcscLibraryError,
    ReaderBusyError,
    ServiceUnavailableError,
    TransportError,
)

from . import connect
from .errors import jpki_errors


class Link(StrEnum):
    """The links, in the order they are checked."""

    SERVICE = "service"
    READER = "reader"
    CARD = "card"
    JPKI = "jpki"


#: The failures with a fix of their own; any other takes its link's.
OWN_FIXES = frozenset({"denied", "busy", "card-error", "several"})


@dataclass(frozen=True)
class Check:
    """One link: ``code`` is ``ok`` or what is wrong (``fail``, and for the service
    ``no-library`` or ``denied``, for the JPKI application ``busy``, ``card-error`` or
    ``several``); ``readers`` the readers it is about; ``detail`` the words of the
    library or the transport, where they are all there is to say."""

    link: Link
    code: str = "ok"
    readers: tuple[str, ...] = ()
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.code == "ok"

    @property
    def fix(self) -> str:
        """Which fix fits a failure: the code's where it has one of its own
        (:data:`OWN_FIXES`), else the link's."""
        return self.code if self.code in OWN_FIXES else self.link.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "link": self.link.value,
            "ok": self.ok,
            "code": self.code,
            "readers": list(self.readers),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Diagnosis:
    checks: tuple[Check, ...]

    @property
    def failed(self) -> Check | None:
        return next((c for c in self.checks if not c.ok), None)

    def to_dict(self) -> dict[str, Any]:
        failed = self.failed
        return {
            "checks": [c.to_dict() for c in self.checks],
            "ok": failed is None,
            "missing": None if failed is None else failed.link.value,
            "fix": None if failed is None else failed.fix,
        }


@jpki_errors()
def diagnose(reader: str | None = None, timeout: float | None = None) -> Diagnosis:
    """Check the links in order through PC/SC, stopping at the first that fails (a
    reader named that is not there: :class:`jpki.errors.NoReaderError`)."""
    done: list[Check] = []

    def stop(check: Check) -> Diagnosis:
        return Diagnosis((*done, check))

    try:
        from apdu import pcsc

        names = pcsc.list_readers()
    except PcscLibraryError as exc:
        return stop(Check(Link.SERVICE, "no-library", detail=str(exc)))
    except AccessDeniedError:
        return stop(Check(Link.SERVICE, "denied"))
    except ServiceUnavailableError:
        return stop(Check(Link.SERVICE, "fail"))
    done.append(Check(Link.SERVICE))
    if not names:
        return stop(Check(Link.READER, "fail"))
    done.append(Check(Link.READER, readers=tuple(names)))
    with_card = connect.readers_with_card(names, reader)
    if not with_card:
        return stop(Check(Link.CARD, "fail"))
    done.append(Check(Link.CARD, readers=with_card))
    found = connect.probe_readers(with_card, timeout)
    for name, seen in found.items():
        if isinstance(seen, ReaderBusyError):
            return stop(Check(Link.JPKI, "busy", (name,)))
        if isinstance(seen, TransportError):
            return stop(Check(Link.JPKI, "card-error", (name,), str(seen)))
    answering = connect.my_number_readers(found)
    if not answering:
        return stop(Check(Link.JPKI, "fail"))
    if len(answering) > 1 and reader is None:
        return stop(Check(Link.JPKI, "several", tuple(answering)))
    return Diagnosis((*done, Check(Link.JPKI, readers=tuple(answering))))


def diagnose_transport(transport: BaseTransport) -> Diagnosis:
    """The card and JPKI links of a card reached some other way (the virtual card, a
    replayed session)."""
    card = Check(Link.CARD, readers=(transport.name,))
    ok = connect.probe(transport).my_number
    return Diagnosis((card, Check(Link.JPKI, "ok" if ok else "fail", (transport.name,))))
