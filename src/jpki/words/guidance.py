"""What to do next, as sentences: :func:`jpki.retries.guidance`'s codes rendered. The
page (``page=True``) has its own sentence where the command's names a command or an
option."""

from __future__ import annotations

from ..i18n import t
from ..retries import Advice, Code, RetriesReport, guidance

#: Catalogue key of each code (``{pins}``: a list of PIN names; ``{pin}``: one).
KEYS: dict[Code, str] = {
    Code.LOCKED: "guidance.locked",
    Code.OFFICE: "guidance.office",
    Code.GUARDIAN: "guidance.guardian",
    Code.KIOSK_SIGN: "guidance.kiosk",
    Code.KIOSK_AUTH: "guidance.kiosk_auth",
    Code.KIOSK_NEEDS_ONE: "guidance.kiosk_needs_one",
    Code.SMARTPHONE: "guidance.smartphone",
    Code.HELPLINE: "guidance.helpline",
    Code.LAST_TRY: "guidance.last_try",
    Code.DO_NOT_GUESS: "guidance.last_try_protect",
    Code.UNKNOWN: "guidance.unknown",
    Code.ABSENT: "guidance.absent",
    Code.FACE_AUTH: "guidance.face_auth",
}

#: The page's sentence for the codes whose command sentence names commands or options.
PAGE_KEYS: dict[Code, str] = {
    Code.DO_NOT_GUESS: "guidance.page.last_try_protect",
    Code.UNKNOWN: "guidance.page.unknown",
    Code.ABSENT: "guidance.page.absent",
}


def sentence(item: Advice, lang: str | None = None, page: bool = False) -> str:
    """One piece of guidance as a sentence; ``page``: as the page says it."""
    names = [t(f"pin.{pin_id}.short", lang) for pin_id in item.pins]
    key = PAGE_KEYS.get(item.code, KEYS[item.code]) if page else KEYS[item.code]
    return t(
        key,
        lang,
        pins=t("guidance.list_separator", lang).join(names),
        pin=names[0] if names else "",
    )


def advice(report: RetriesReport, lang: str | None = None, page: bool = False) -> list[str]:
    """The guidance for ``report`` as sentences; ``page``: as the page says them."""
    return [sentence(item, lang, page) for item in guidance(report)]
