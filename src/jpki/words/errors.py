"""Why the card could not do what was asked, in words: a status word's meaning, a
command the card refused, a certificate that cannot be parsed."""

from __future__ import annotations

import apdu

from ..errors import CardError, CertificateError
from ..i18n import has, t, tn


def sw_text(sw: int, lang: str | None = None) -> str:
    """The catalogue's ``sw.XXXX`` for the words this card is known to answer, else
    ISO 7816-4's English text; ``63Cx`` with its count."""
    if sw & 0xFFF0 == apdu.SW.VERIFY_FAILED:
        return tn("sw.63Cx", sw & 0x0F, lang, n=sw & 0x0F)
    key = f"sw.{sw:04X}"
    return t(key, lang) if has(key) else apdu.describe(sw)


def card_error(exc: CardError, lang: str | None = None) -> str:
    """A command the card refused: the operation, the status word and its meaning."""
    sw = exc.sw
    return t("error.card", lang, operation=exc.operation, sw=f"{sw:04X}", desc=sw_text(sw, lang))


def certificate_error(exc: CertificateError, lang: str | None = None) -> str:
    """A certificate that could not be parsed: which one, and why."""
    kind = f"cert.kind.{exc.what}"
    what = t(kind, lang) if has(kind) else exc.what
    return t("error.certificate", lang, what=what, reason=t(f"certreason.{exc.code}", lang))
