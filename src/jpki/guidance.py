"""What to do next, from the seeds (Okayama city page, how-to article).

- A locked or forgotten PIN is reset at the municipal office: bring the card and
  one other photo ID; a legal guardian for under-15s.
- ① alone can also be reset at a convenience-store kiosk if ② is known
  (JPKI暗証番号リセットアプリ reservation, within 24 hours; not 23:00-6:30).
- Smartphone certificates (Android / iPhone tokens) are not reset at the office.
- Helpline: マイナンバー総合フリーダイヤル 0120-95-0178.
"""

from __future__ import annotations

from .card import KeyState
from .i18n import t
from .profile import Token
from .retries import PinStatus, RetriesReport


def _names(pins: list[PinStatus]) -> str:
    return t("guidance.list_separator").join(t(f"pin.{p.id}.short") for p in pins)


def advice(report: RetriesReport) -> list[str]:
    """Guidance lines for locked PINs, PINs at their last try, and unknown answers."""
    lines: list[str] = []
    locked = [p for p in report.pins if p.state is KeyState.LOCKED]
    last = [p for p in report.pins if p.state is KeyState.LAST_TRY]
    unknown = [p for p in report.pins if p.state is KeyState.UNKNOWN]
    phone = report.token in (Token.ANDROID, Token.IPHONE)
    if locked:
        lines.append(t("guidance.locked", pins=_names(locked)))
        if phone:
            lines.append(t("guidance.smartphone"))
        else:
            lines.append(t("guidance.office"))
            lines.append(t("guidance.guardian"))
            if any(p.id == "sign" for p in locked):
                auth = report.pin("auth") if any(p.id == "auth" for p in report.pins) else None
                if auth is not None and auth.state is KeyState.LOCKED:
                    lines.append(t("guidance.kiosk_needs_auth"))
                else:
                    lines.append(t("guidance.kiosk"))
        lines.append(t("guidance.helpline"))
    for p in last:
        lines.append(t("guidance.last_try", pin=t(f"pin.{p.id}.short")))
    if last:
        lines.append(t("guidance.last_try_protect"))
    if unknown:
        lines.append(t("guidance.unknown", pins=_names(unknown)))
        if any(p.id == "auth" for p in unknown):
            lines.append(t("guidance.face_auth"))
    return lines
