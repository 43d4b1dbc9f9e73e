"""What to do next, as sentences: :func:`jpki.retries.guidance`'s codes rendered."""

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


def sentence(item: Advice, lang: str | None = None) -> str:
    """One piece of guidance as a sentence."""
    names = [t(f"pin.{pin_id}.short", lang) for pin_id in item.pins]
    return t(
        KEYS[item.code],
        lang,
        pins=t("guidance.list_separator", lang).join(names),
        pin=names[0] if names else "",
    )


def advice(report: RetriesReport, lang: str | None = None) -> list[str]:
    """The guidance for ``report`` as sentences."""
    return [sentence(item, lang) for item in guidance(report)]
