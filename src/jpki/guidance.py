"""What to do next, from the seeds and newer municipal pages (``jpki-protocol.md`` §1).

- A locked or forgotten PIN is reset at the municipal office: bring the card and
  one other photo ID; a legal guardian for under-15s (seeds).
- ① can also be reset at a convenience-store kiosk if ② is known
  (JPKI暗証番号リセットアプリ reservation, within 24 hours; not 23:00-6:30) (seeds).
- Since 2024 the kiosk route also resets ② if ① is known: Seven-Eleven first,
  other operators following, so not every store offers it yet (Naha, Hioki and
  Matsusaka city pages, newer than the seeds). With both ① and ② locked, only
  the office. ③ and ④ are never reset at a kiosk.
- Smartphone certificates (Android / iPhone tokens) are not reset at the office (seeds).
- Helpline: マイナンバー総合フリーダイヤル 0120-95-0178, weekdays 9:30-20:00,
  weekends and holidays 9:30-17:30, not over the new year (seed 000).

:func:`recovery_routes` decides which routes fit the card's state; :func:`advice`
turns that into sentences. Neither touches the card.
"""

from __future__ import annotations

from .card import KeyState
from .i18n import t
from .profile import Token
from .retries import PinStatus, RetriesReport

#: States in which a PIN is known to work, so it can open a kiosk reset of the other.
_WORKING = (KeyState.USABLE, KeyState.LAST_TRY)


def _names(pins: list[PinStatus]) -> str:
    return t("guidance.list_separator").join(t(f"pin.{p.id}.short") for p in pins)


def _state(report: RetriesReport, pin_id: str) -> KeyState | None:
    """The state of ``pin_id``, or None when the report does not hold it."""
    for p in report.pins:
        if p.id == pin_id:
            return p.state
    return None


def recovery_routes(report: RetriesReport) -> tuple[str, ...]:
    """Keys (under ``guidance.``) of the recovery routes for the locked PINs, in print order.

    Empty when nothing is locked. A smartphone token: ``smartphone`` only. A card:
    ``office`` and ``guardian``, then ``kiosk`` (① locked, ② working),
    ``kiosk_auth`` (② locked, ① working) or ``kiosk_needs_one`` (both locked).
    ② or ① unknown or absent opens no kiosk route; ③ and ④ never do.
    """
    if not any(p.state is KeyState.LOCKED for p in report.pins):
        return ()
    if report.token in (Token.ANDROID, Token.IPHONE):
        return ("smartphone",)
    routes = ["office", "guardian"]
    sign, auth = _state(report, "sign"), _state(report, "auth")
    if sign is KeyState.LOCKED and auth is KeyState.LOCKED:
        routes.append("kiosk_needs_one")
    elif sign is KeyState.LOCKED and auth in _WORKING:
        routes.append("kiosk")
    elif auth is KeyState.LOCKED and sign in _WORKING:
        routes.append("kiosk_auth")
    return tuple(routes)


def advice(report: RetriesReport) -> list[str]:
    """Guidance lines for locked PINs, PINs at their last try, and unknown answers."""
    lines: list[str] = []
    locked = [p for p in report.pins if p.state is KeyState.LOCKED]
    last = [p for p in report.pins if p.state is KeyState.LAST_TRY]
    unknown = [p for p in report.pins if p.state is KeyState.UNKNOWN]
    if locked:
        lines.append(t("guidance.locked", pins=_names(locked)))
        lines += [t(f"guidance.{route}") for route in recovery_routes(report)]
        lines.append(t("guidance.helpline"))
    for p in last:
        lines.append(t("guidance.last_try", pin=t(f"pin.{p.id}.short")))
    if last:
        lines.append(t("guidance.last_try_protect"))
    if unknown:
        lines.append(t("guidance.unknown", pins=_names(unknown)))
        # A face-authentication card's ② (no public trace; the emulator answers 6A88).
        if any(p.id == "auth" and p.sw == 0x6A88 for p in unknown):
            lines.append(t("guidance.face_auth"))
    return lines
