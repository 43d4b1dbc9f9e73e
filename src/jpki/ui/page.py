"""The read-only page as HTML, in Japanese or English, from the catalogues.

Every text comes from the CLI's catalogues (:mod:`jpki.i18n`) in the language given,
never from the current one (the server answers pages in two languages at once); every
value from the card (the reader's name, a diagnosis's detail) goes through
:func:`html.escape`. The guidance is :func:`jpki.retries.guidance`'s codes rendered
with the catalogue's sentences, the ones ``jpkitool retries`` prints.
"""

from __future__ import annotations

import sys
from html import escape
from typing import Any

from ..diagnosis import Check, Diagnosis
from ..i18n import LANGUAGES, t
from ..keystatus import KeyState
from ..retries import Advice, Code, PinStatus, RetriesReport, guidance
from . import live
from .source import Reading

#: The catalogue key of a guidance code: ``guidance.`` and its name, but for two whose
#: sentences were named first (tests check this against the CLI's table).
GUIDANCE_KEYS = {Code.KIOSK_SIGN: "guidance.kiosk", Code.DO_NOT_GUESS: "guidance.last_try_protect"}


def guidance_key(code: Code) -> str:
    return GUIDANCE_KEYS.get(code, "guidance." + code.value.replace("-", "_"))


def advice_text(item: Advice, lang: str) -> str:
    names = [t(f"pin.{pin_id}.short", lang) for pin_id in item.pins]
    separator = t("guidance.list_separator", lang)
    return t(
        guidance_key(item.code), lang, pins=separator.join(names), pin=names[0] if names else ""
    )


def platform() -> str:
    """Whose fix the diagnosis names: ``debian``, ``macos`` or ``windows``."""
    if sys.platform == "darwin":
        return "macos"
    return "windows" if sys.platform.startswith(("win", "cygwin")) else "debian"


def document(lang: str, title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        '<link rel="stylesheet" href="/static/tokens.css">\n'
        '<link rel="stylesheet" href="/static/page.css">\n'
        '<script src="/static/live.js" defer></script>\n'
        f"</head>\n<body>\n{body}</body>\n</html>\n"
    )


def form(action: str, csrf: str, button: str, name: str = "", value: str = "") -> str:
    """A POST form of one button; the CSRF token as a hidden field."""
    named = f' name="{name}" value="{escape(value)}"' if name else ""
    return (
        f'<form method="post" action="{action}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<button type="submit"{named}>{escape(button)}</button></form>'
    )


def render(reading: Reading, lang: str, csrf: str, seen: dict[str, Any] | None = None) -> str:
    """The whole page for what :meth:`jpki.ui.source.CardSource.read` found; ``seen``:
    the readers' state looked at before (:func:`jpki.ui.live.region`)."""
    others = [other for other in LANGUAGES if other != lang]
    switch = "".join(
        form("/lang", csrf, t(f"ui.lang.{other}", lang), "lang", other) for other in others
    )
    if isinstance(reading, RetriesReport):
        main = counts(reading, lang)
    elif isinstance(reading, Diagnosis):
        main = diagnosis(reading, lang)
    else:
        main = f'<section class="problem"><p>{escape(str(reading))}</p></section>\n'
    body = (
        f'<header>\n<p class="product">jpkitool</p>\n<h1>{escape(t("ui.title", lang))}</h1>\n'
        f'<nav aria-label="{escape(t("ui.lang.label", lang))}">{switch}</nav>\n</header>\n'
        f"{live.region(lang, seen)}<main>\n{main}"
        f'<p class="actions"><a href="/">{escape(t("ui.refresh", lang))}</a></p>\n'
        f"{form('/quit', csrf, t('ui.quit', lang))}\n</main>\n"
    )
    return document(lang, t("ui.title", lang), body)


def state_text(status: PinStatus, lang: str) -> str:
    if status.state is KeyState.UNKNOWN:
        text = t("state.unknown", lang, sw=f"{status.sw:04X}", desc="")
    else:
        text = t(f"state.{status.state.value}", lang)
    note = next((k.note for k in status.keys if k.note), None)
    return f"{text} {t(f'note.{note}', lang)}" if note else text


def pin_row(status: PinStatus, lang: str) -> str:
    top = "?" if status.max_tries is None else status.max_tries
    count = "-" if status.remaining is None else f"{status.remaining}/{top}"
    name = t(f"pin.{status.id}.short" if status.pin.no else f"pin.{status.id}.name", lang)
    return (
        f'<tr class="state-{status.state.value}"><th scope="row">{escape(name)}</th>'
        f'<td class="count">{escape(count)}</td>'
        f"<td>{escape(state_text(status, lang))}</td></tr>\n"
    )


def counts(report: RetriesReport, lang: str) -> str:
    """The card, the table of counts, and the guidance that fits them."""
    token = t(f"token.{report.token.value}", lang)
    card = t("retries.title", lang, reader=report.reader, token=token)
    rows = "".join(pin_row(p, lang) for p in report.pins if p.pin.no)
    others = "".join(pin_row(p, lang) for p in report.pins if not p.pin.no)
    head = "".join(
        f'<th scope="col">{escape(t(f"retries.col.{c}", lang))}</th>'
        for c in ("pin", "remaining", "state")
    )
    advice = "".join(f"<li>{escape(advice_text(a, lang))}</li>\n" for a in guidance(report))
    html = (
        f'<section aria-labelledby="card">\n<h2 id="card">{escape(t("ui.card", lang))}</h2>\n'
        f"<p>{escape(card)}</p>\n</section>\n"
        f'<section aria-labelledby="pins">\n<h2 id="pins">{escape(t("ui.pins", lang))}</h2>\n'
        f"<p>{escape(t('ui.no_try_spent', lang))}</p>\n"
        f'<table id="counts">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n'
        "</table>\n"
    )
    if others:
        html += (
            f"<details><summary>{escape(t('ui.other_keys', lang))}</summary>\n"
            f"<table>\n<tbody>\n{others}</tbody>\n</table>\n</details>\n"
        )
    html += "</section>\n"
    if advice:
        html += (
            f'<section aria-labelledby="advice" class="advice">\n'
            f'<h2 id="advice">{escape(t("ui.advice", lang))}</h2>\n<ul>\n{advice}</ul>\n'
            "</section>\n"
        )
    return html


def check_row(check: Check, lang: str) -> str:
    mark = "✓" if check.ok else "✗"
    found = t(
        f"doctor.{check.link}.{check.code}",
        lang,
        readers=", ".join(check.readers),
        detail=check.detail,
    )
    link = t(f"doctor.link.{check.link}", lang)
    kind = "ok" if check.ok else "failed"
    return f'<li class="{kind}">{mark} {escape(link)}: {escape(found)}</li>\n'


def diagnosis(found: Diagnosis, lang: str) -> str:
    """What ``doctor`` would say: each link checked, and the fix of the first missing."""
    html = (
        f'<section aria-labelledby="doctor" class="problem">\n'
        f'<h2 id="doctor">{escape(t("ui.no_card", lang))}</h2>\n<ul>\n'
        + "".join(check_row(c, lang) for c in found.checks)
        + "</ul>\n"
    )
    failed = found.failed
    if failed is not None:
        where = platform()
        fix = t(f"doctor.fix.{failed.fix}.{where}", lang)
        html += (
            f"<p>{escape(t('doctor.fix_title', lang))} "
            f"{escape(t(f'doctor.platform.{where}', lang))}: {escape(fix)}</p>\n"
        )
    return html + "</section>\n"


def stopped(lang: str) -> str:
    """The page after 終了: the server has stopped."""
    text = escape(t("ui.stopped", lang))
    return document(lang, t("ui.title", lang), f"<main>\n<p>{text}</p>\n</main>\n")
