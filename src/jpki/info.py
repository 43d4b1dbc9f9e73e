"""What a card says about itself without any PIN: token, applications, expiry of the
card (共通カードAP record) and of the auth certificate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from apdu import SW, CardUnresponsiveError

from . import profile
from .card import CardRecord, MyNumberCard
from .errors import JpkiError, ReaderError
from .jst import iso_utc
from .profile import Token
from .schema import document


@dataclass(frozen=True)
class AppPresence:
    app: profile.Application
    present: bool
    sw: int

    def __repr__(self) -> str:
        return f"AppPresence(app={self.app.id!r}, present={self.present}, sw='{self.sw:04X}')"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps``: an application of ``info --json``."""
        return {
            "id": self.app.id,
            "aid": self.app.aid.hex().upper(),
            "present": self.present,
            "sw": f"{self.sw:04X}",
        }


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

    def __repr__(self) -> str:
        # Not the record: it holds the card's serial number.
        apps = ", ".join(a.app.id + ("" if a.present else " absent") for a in self.applications)
        expiry = self.card_expiry.isoformat() if self.card_expiry else None
        return (
            f"CardInfo(reader={self.reader!r}, token={self.token.value!r}, "
            f"applications=[{apps}], sign_certificate={self.sign_certificate}, "
            f"card_expiry={expiry!r}, auth_not_after={iso_utc(self.auth_not_after)!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``json.dumps``: the document ``info --json`` prints
        (docs/json.md); not the record's serial number. Days left: ``expiry``."""
        expiry = self.card_expiry
        return document(
            {
                "reader": self.reader,
                "atr": self.atr.hex().upper(),
                "token": self.token.value,
                "applications": [a.to_dict() for a in self.applications],
                "sign_certificate": self.sign_certificate,
                "card_expiry": expiry.isoformat() if expiry else None,
                "auth_certificate_expiry": iso_utc(self.auth_not_after),
            }
        )


def read_info(card: MyNumberCard) -> CardInfo:
    """Read the token, answering applications, sign-certificate flag and card expiry."""
    card.require_jpki()
    token = card.read_token()
    sign = card.sign_certificate_present()
    apps = [AppPresence(profile.JPKI, True, SW.OK)]
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
    except CardUnresponsiveError:
        return None
    except ReaderError:
        raise  # a card removed, a recording that cannot be written, a replay that differs
    except JpkiError:
        return None
