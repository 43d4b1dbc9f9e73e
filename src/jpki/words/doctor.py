"""What ``doctor`` found, link by link, and the fix for the first missing link."""

from __future__ import annotations

import sys

from ..diagnosis import Check, Diagnosis
from ..i18n import t


def current_platform(name: str | None = None) -> str:
    """``debian``, ``macos`` or ``windows``: whose fix to give (Linux takes Debian's)."""
    name = sys.platform if name is None else name
    if name == "darwin":
        return "macos"
    return "windows" if name.startswith(("win", "cygwin")) else "debian"


def detail(check: Check, lang: str | None = None) -> str:
    """What a check found."""
    return t(
        f"doctor.{check.link}.{check.code}",
        lang,
        readers=", ".join(check.readers),
        detail=check.detail,
    )


def check_line(check: Check, lang: str | None = None) -> str:
    """``✓ link: what was found`` (``✗`` for a failed link)."""
    mark = "✓" if check.ok else "✗"
    return f"{mark} {t(f'doctor.link.{check.link}', lang)}: {detail(check, lang)}"


def fix_text(failed: Check, lang: str | None = None) -> str:
    """``platform: fix`` for the link that failed, on this computer's platform."""
    platform = current_platform()
    fix = t(f"doctor.fix.{failed.fix}.{platform}", lang)
    return f"{t(f'doctor.platform.{platform}', lang)}: {fix}"


def lines(diagnosis: Diagnosis, lang: str | None = None) -> list[str]:
    """``doctor``'s text: every link checked, then all is well or the fix."""
    checked = [check_line(c, lang) for c in diagnosis.checks]
    failed = diagnosis.failed
    if failed is None:
        return [*checked, t("doctor.all_ok", lang)]
    return [*checked, "", t("doctor.fix_title", lang), f"  {fix_text(failed, lang)}"]
