"""What the page shows of the card: every PIN's tries left, or what ``doctor`` says;
when the card and its certificates expire, and the auth certificate.

The page is the library's second client: it reads the counts with
:func:`jpki.retries.read_retries`, in a session opened by :func:`jpki.api.open_spec`
from the CLI's :class:`jpki.session.SessionSpec`, as ``jpkitool retries`` does, so no
try is ever spent. When the card cannot be read (no pcscd, no reader, no card, not a
My Number card), the diagnosis of :mod:`jpki.diagnosis` says which link is missing.
The certificates are read as ``jpkitool expiry`` and ``cert show auth`` read them
(:func:`jpki.expiry.read_expiry`, :func:`jpki.cardcerts.read_chain`), in a session of
their own, and the auth certificate again for a download; none of them needs a PIN.
One card operation at a time: a page loaded twice waits for the first to finish, and a
PIN check or change (:mod:`jpki.ui.pins`) takes the same lock for its session.
Between two readings the page's script looks at the readers (:mod:`jpki.ui.live`),
without the card.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ..api import open_spec
from ..card import MyNumberCard
from ..cardcerts import CertificateChain, read_certificate, read_chain
from ..diagnosis import Diagnosis, diagnose, diagnose_transport
from ..errors import JpkiError, ReaderError
from ..expiry import ExpiryReport, read_expiry
from ..retries import RetriesReport, read_retries
from ..session import SessionSpec
from . import live

#: What a look at the card found: the counts, or why there are none (the diagnosis;
#: the error itself when even the diagnosis failed, a reader named that is not there).
Reading = RetriesReport | Diagnosis | JpkiError
T = TypeVar("T")


@dataclass(frozen=True)
class Certificates:
    """When the card and its certificates expire, and the auth certificate with its
    chain; in place of either, the error that stopped its reading."""

    expiry: ExpiryReport | JpkiError
    auth: CertificateChain | JpkiError


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class CardSource:
    """Reads the card afresh for every page; ``read`` and ``diagnose`` may be given
    (tests), else they come from ``spec`` (:func:`from_spec`). ``look`` tells the
    readers' state (:func:`jpki.ui.live.status`: no card session, no lock).
    ``open_card`` opens the card for the certificates (None: the page shows none);
    ``clock`` is now."""

    read_counts: Callable[[], RetriesReport]
    find_fault: Callable[[], Diagnosis]
    look: Callable[[], dict[str, Any]] = field(default=lambda: live.VIRTUAL)
    #: Opens a session for a PIN command (no transaction of its own: the command opens
    #: its own, as ``verify-pin`` and ``change-pin`` do).
    open_pin_session: Callable[[], AbstractContextManager[MyNumberCard]] | None = None
    #: Opens a session for reading the certificates.
    open_card: Callable[[], AbstractContextManager[MyNumberCard]] | None = None
    clock: Callable[[], dt.datetime] = utc_now

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def read(self) -> Reading:
        with self._lock:
            try:
                return self.read_counts()
            except JpkiError:
                pass
            try:
                return self.find_fault()
            except JpkiError as exc:
                return exc

    @contextlib.contextmanager
    def pin_session(self) -> Iterator[MyNumberCard]:
        """The card for a PIN check or change, held under the readings' lock."""
        if self.open_pin_session is None:
            raise RuntimeError("this card source has no PIN session")
        with self._lock, self.open_pin_session() as card:
            yield card

    def certificates(self) -> Certificates | None:
        """The expiry report and the auth certificate, read now in one session (the
        certificate once: the expiry takes it from the chain)."""
        if self.open_card is None:
            return None
        now = self.clock()
        with self._lock:
            try:
                with self.open_card() as card:
                    auth = attempt(lambda: read_chain(card, "auth", now))
                    if isinstance(auth, ReaderError):  # no second try on a lost card
                        return Certificates(auth, auth)
                    read = None if isinstance(auth, JpkiError) else auth.certificate
                    expiry = attempt(lambda: read_expiry(card, now, auth=read))
            except JpkiError as exc:
                return Certificates(exc, exc)
        return Certificates(expiry, auth)

    def auth_certificate(self) -> bytes | JpkiError | None:
        """The auth certificate's DER, read now (a download)."""
        if self.open_card is None:
            return None
        with self._lock:
            try:
                with self.open_card() as card:
                    return read_certificate(card, "auth").info.der
            except JpkiError as exc:
                return exc


def attempt(read: Callable[[], T]) -> T | JpkiError:
    """What ``read`` returns, or the error that stopped it."""
    try:
        return read()
    except JpkiError as exc:
        return exc


def from_spec(spec: SessionSpec) -> CardSource:
    """The card ``spec`` names (a reader, the virtual card), as the CLI opens it."""

    def read_counts() -> RetriesReport:
        with open_spec(spec) as card:
            return read_retries(card)

    def find_fault() -> Diagnosis:
        if spec.uses_emulator or spec.replay is not None:
            with open_spec(spec) as card:
                return diagnose_transport(card.transport)
        return diagnose(spec.reader, spec.timeout)

    pin_spec = replace(spec, transaction=False, may_change=True)
    virtual = spec.uses_emulator or spec.replay is not None
    return CardSource(
        read_counts,
        find_fault,
        look=(lambda: live.VIRTUAL) if virtual else (lambda: live.status(spec.reader)),
        open_pin_session=lambda: open_spec(pin_spec),
        open_card=lambda: open_spec(spec),
    )
