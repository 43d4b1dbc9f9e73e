"""What a card says about itself without any PIN: token, applications, expiry of the
card (共通カードAP record) and of the auth certificate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from apdu import CardUnresponsiveError, TransportError

from . import profile
from .card import CardRecord, MyNumberCard
from .errors import JpkiError
from .profile import Token


@dataclass(frozen=True)
class AppPresence:
    app: profile.Application
    present: bool
    sw: int


@dataclass(frozen=True)
class CardInfo:
    """The result of :func:`read_info`."""

    reader: str
    atr: bytes
    token: Token
    applications: tuple[AppPresence, ...]
    sign_certificate: bool | None
    record: CardRecord | None
    #: notAfter of the auth certificate (free to read on a card; ``None`` if unreadable,
    #: e.g. a smartphone token, where it needs ②).
    auth_not_after: dt.datetime | None = None

    @property
    def card_expiry(self) -> dt.date | None:
        return self.record.expiry if self.record else None


def read_info(card: MyNumberCard) -> CardInfo:
    """Read token kind, answering applications, sign-certificate flag and card expiry."""
    card.require_jpki()
    token = card.read_token()
    sign = card.sign_certificate_present()
    apps = [AppPresence(profile.JPKI, True, 0x9000)]
    for app in profile.APPLICATIONS[1:]:
        resp = card.select_app(app)
        apps.append(AppPresence(app, resp.ok, resp.sw))
    record = card.read_card_record() if apps[-1].present else None
    return CardInfo(
        card.transport.name, card.transport.atr, token, tuple(apps), sign, record, _auth_end(card)
    )


def _auth_end(card: MyNumberCard) -> dt.datetime | None:
    from .cardcerts import read_certificate

    try:
        return read_certificate(card, "auth").info.not_after
    except (JpkiError, TransportError) as exc:
        if isinstance(exc, TransportError) and not isinstance(exc, CardUnresponsiveError):
            raise
        return None
