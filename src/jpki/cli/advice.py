"""Guidance in the user's language: :func:`jpki.retries.guidance`'s codes rendered."""

from __future__ import annotations

from ..i18n import t
from ..retries import Advice, Code, RetriesReport, guidance

#: Catalogue key of each code (``{pins}``: a list of PIN names; ``{pin}``: one).
PIN_SLOTS: dict[Code, str] = {
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


def render(item: Advice) -> str:
    """One piece of guidance as a sentence in the current language."""
    names = [t(f"pin.{pin_id}.short") for pin_id in item.pins]
    return t(
        PIN_SLOTS[item.code],
        pins=t("guidance.list_separator").join(names),
        pin=names[0] if names else "",
    )


def advice(report: RetriesReport) -> list[str]:
    """The guidance for ``report`` as sentences."""
    return [render(item) for item in guidance(report)]
