"""The tries-left table's cells and lines (``jpkitool retries``, the page)."""

from __future__ import annotations

from .. import profile
from ..i18n import t, tn
from ..keystatus import KeyState
from ..retries import PinStatus, RetriesReport
from .errors import sw_text


def card_line(report: RetriesReport, lang: str | None = None) -> str:
    """The reader and the kind of token in it."""
    token = t(f"token.{report.token.value}", lang)
    return t("retries.title", lang, reader=report.reader, token=token)


def pin_label(status: PinStatus, lang: str | None = None) -> str:
    """``① name`` for a PIN the user knows by number; two spaces before the others'."""
    no = status.pin.no
    mark = profile.CIRCLED[no] if no else "  "
    return f"{mark} {t(f'pin.{status.id}.name', lang)}"


def state_text(status: PinStatus, lang: str | None = None) -> str:
    """The PIN's state, with the note of its first key that has one."""
    note = next((k.note for k in status.keys if k.note), None)
    if status.state is KeyState.UNKNOWN:
        desc = sw_text(status.sw, lang)
        text = t("state.unknown", lang, sw=f"{status.sw:04X}", desc=desc)
    else:
        text = t(f"state.{status.state.value}", lang)
    return text + " " + t(f"note.{note}", lang) if note else text


def count_cell(status: PinStatus) -> str:
    """``2/3``; ``?`` for an unknown maximum; ``-`` when the card gave no count."""
    if status.remaining is None:
        return "-"
    top = status.max_tries if status.max_tries is not None else "?"
    return f"{status.remaining}/{top}"


def key_count(remaining: int | None) -> str:
    return "?" if remaining is None else str(remaining)


def keys_differ_line(status: PinStatus, lang: str | None = None) -> str | None:
    """For ③, whose two keys count apart: both counts, when they differ."""
    if not status.keys_differ:
        return None
    left = {k.key.id: k.remaining for k in status.keys}
    common = left[profile.COMMON_SLOT.id]
    return tn(
        "retries.keys_differ",
        common if common is not None else 2,
        lang,
        common=key_count(common),
        juki=key_count(left[profile.JUKI_SLOT.id]),
    )
