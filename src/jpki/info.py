"""What a card says about itself without any PIN: token, applications, expiry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import profile
from .card import CardRecord, MyNumberCard
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
    return CardInfo(card.transport.name, card.transport.atr, token, tuple(apps), sign, record)
