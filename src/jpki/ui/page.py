"""The page as HTML, in Japanese or English, from the catalogues.

A sentence the CLI prints too comes from the same function of :mod:`jpki.words`; every
text is in the language given, never in the current one (the server answers pages in
two languages at once); every value from the card (the reader's name, a diagnosis's
detail, a certificate's fields) goes through :func:`html.escape`. The certificates'
sections are :mod:`jpki.ui.certview`'s.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..diagnosis import Check, Diagnosis
from ..i18n import LANGUAGES, t
from ..retries import PinStatus, RetriesReport
from ..words import doctor
from ..words.failures import access_text
from ..words.guidance import advice
from ..words.retries import card_line, count_cell, keys_differ_line, pin_label, state_text
from . import certview, live
from .source import Certificates, Reading


def document(lang: str, title: str, body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{head}<title>{escape(title)}</title>\n"
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


def render(
    reading: Reading,
    lang: str,
    csrf: str,
    certs: Certificates | None = None,
    seen: dict[str, Any] | None = None,
) -> str:
    """The whole page for what :meth:`jpki.ui.source.CardSource.read` found, the
    certificates (:meth:`~jpki.ui.source.CardSource.certificates`) when read, and
    ``seen``: the readers' state looked at before (:func:`jpki.ui.live.region`)."""
    others = [other for other in LANGUAGES if other != lang]
    switch = "".join(
        form("/lang", csrf, t(f"ui.lang.{other}", lang), "lang", other) for other in others
    )
    if isinstance(reading, RetriesReport):
        main = counts(reading, lang)
        main += f'<p class="actions"><a href="/pin">{escape(t("ui.pin.link", lang))}</a></p>\n'
        main += "" if certs is None else certview.sections(certs, lang)
    elif isinstance(reading, Diagnosis):
        main = diagnosis(reading, lang)
    else:
        main = f'<section class="problem"><p>{escape(access_text(reading, lang))}</p></section>\n'
    body = (
        f'<header>\n<p class="product">jpkitool</p>\n<h1>{escape(t("ui.title", lang))}</h1>\n'
        f'<nav aria-label="{escape(t("ui.lang.label", lang))}">{switch}</nav>\n</header>\n'
        f"{live.region(lang, seen)}<main>\n{main}"
        f'<p class="actions"><a href="/">{escape(t("ui.refresh", lang))}</a></p>\n'
        f"{form('/quit', csrf, t('ui.quit', lang))}\n</main>\n"
    )
    return document(lang, t("ui.title", lang), body)


def pin_row(status: PinStatus, lang: str) -> str:
    name = pin_label(status, lang).strip()
    count = count_cell(status)
    return (
        f'<tr class="state-{status.state.value}"><th scope="row">{escape(name)}</th>'
        f'<td class="count">{escape(count)}</td>'
        f"<td>{escape(state_text(status, lang))}</td></tr>\n"
    )


def counts(report: RetriesReport, lang: str) -> str:
    """The card, the table of counts, and the guidance that fits them."""
    card = card_line(report, lang)
    rows = "".join(pin_row(p, lang) for p in report.pins if p.pin.no)
    others = "".join(pin_row(p, lang) for p in report.pins if not p.pin.no)
    head = "".join(
        f'<th scope="col">{escape(t(f"retries.col.{c}", lang))}</th>'
        for c in ("pin", "remaining", "state")
    )
    what_next = "".join(f"<li>{escape(line)}</li>\n" for line in advice(report, lang, page=True))
    differ = [line for p in report.pins if (line := keys_differ_line(p, lang)) is not None]
    html = (
        f'<section aria-labelledby="card">\n<h2 id="card">{escape(t("ui.card", lang))}</h2>\n'
        f"<p>{escape(card)}</p>\n</section>\n"
        f'<section aria-labelledby="pins">\n<h2 id="pins">{escape(t("ui.pins", lang))}</h2>\n'
        f"<p>{escape(t('ui.no_try_spent', lang))}</p>\n"
        f'<table id="counts">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n'
        "</table>\n"
    )
    html += "".join(f"<p>{escape(line)}</p>\n" for line in differ)
    if others:
        html += (
            f"<details><summary>{escape(t('ui.other_keys', lang))}</summary>\n"
            f"<table>\n<tbody>\n{others}</tbody>\n</table>\n</details>\n"
        )
    html += "</section>\n"
    if what_next:
        html += (
            f'<section aria-labelledby="advice" class="advice">\n'
            f'<h2 id="advice">{escape(t("ui.advice", lang))}</h2>\n<ul>\n{what_next}</ul>\n'
            "</section>\n"
        )
    return html


def check_row(check: Check, lang: str) -> str:
    kind = "ok" if check.ok else "failed"
    return f'<li class="{kind}">{escape(doctor.check_line(check, lang))}</li>\n'


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
        fix = f"{t('doctor.fix_title', lang)} {doctor.fix_text(failed, lang)}"
        html += f"<p>{escape(fix)}</p>\n"
    return html + "</section>\n"


def welcome(lang: str) -> str:
    """Where the token's 303 leads (:data:`jpki.ui.guard.WELCOME`): straight on to ``/``,
    a move this page begins, so the new cookie goes with it."""
    text = escape(t("ui.open", lang))
    return document(
        lang,
        t("ui.title", lang),
        f'<main>\n<p><a href="/">{text}</a></p>\n</main>\n',
        head='<meta http-equiv="refresh" content="0;url=/">\n',
    )


def failed(lang: str, line: str) -> str:
    """A page of one line saying why the card could not be read, and the way back."""
    back = f'<p><a href="/">{escape(t("ui.refresh", lang))}</a></p>'
    body = f'<main>\n<p class="failed">{escape(line)}</p>\n{back}\n</main>\n'
    return document(lang, t("ui.title", lang), body)


def stopped(lang: str) -> str:
    """The page after 終了: the server has stopped."""
    text = escape(t("ui.stopped", lang))
    return document(lang, t("ui.title", lang), f"<main>\n<p>{text}</p>\n</main>\n")
