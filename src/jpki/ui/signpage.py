"""The HTML of the sign certificate's result (:mod:`jpki.ui.signcert`): its lines as
``cert show sign`` prints them (escaped, as every text of the page), how the card was
left, and a button that shows the personal data once."""

from __future__ import annotations

from html import escape

from ..i18n import t
from .certview import line_items
from .pinpage import shell


def lines_section(lines: list[str], left: list[str], lang: str, kind: str) -> str:
    """The certificate's lines, then how the card was left; ``kind``: ``hidden`` or
    ``personal``."""
    items = "".join(f"<p>{escape(line)}</p>\n" for line in left)
    return (
        f'<section class="pin-result done sign-{kind}" id="pin-result" tabindex="-1" '
        'aria-labelledby="sign-lines">\n'
        f'<h2 id="sign-lines">{escape(t("ui.sign.lines", lang))}</h2>\n'
        f'<ul class="lines">\n{line_items(lines)}</ul>\n{items}</section>\n'
    )


def hidden(lines: list[str], left: list[str], lang: str, csrf: str, key: str) -> str:
    """The certificate with its personal data hidden, and the button that shows it
    (a POST of the result's one-time ``key``: never in an address)."""
    main = lines_section(lines, left, lang, "hidden") + (
        '<form method="post" action="/certificate/sign/personal" class="reveal">\n'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">\n'
        f'<input type="hidden" name="key" value="{escape(key)}">\n'
        f'<button type="submit">{escape(t("ui.sign.show_personal", lang))}</button>\n'
        f'<p class="hint">{escape(t("ui.sign.once", lang))}</p>\n</form>\n'
    )
    return shell(lang, t("ui.sign.title", lang), main)


def personal(lines: list[str], left: list[str], lang: str) -> str:
    """The certificate with its personal data, shown once."""
    main = (
        lines_section(lines, left, lang, "personal") + f"<p>{escape(t('ui.sign.once', lang))}</p>\n"
    )
    return shell(lang, t("ui.sign.title", lang), main)


def gone(lang: str) -> str:
    """The personal data asked again: shown once, and not kept."""
    link = f'<a href="/certificate/sign">{escape(t("ui.sign.again", lang))}</a>'
    main = f"<p>{escape(t('ui.sign.gone', lang))}</p>\n<p>{link}</p>\n"
    return shell(lang, t("ui.sign.title", lang), main)


def failed(text: str, left: list[str], lang: str) -> str:
    """① was correct, but the certificate could not be read: why, and how the card was
    left."""
    items = "".join(f"<p>{escape(line)}</p>\n" for line in [text, *left])
    main = (
        '<section class="pin-result problem" id="pin-result" tabindex="-1" '
        'aria-labelledby="sign-failed">\n'
        f'<h2 id="sign-failed">{escape(t("ui.pin.result.certificate", lang))}</h2>\n'
        f"{items}</section>\n"
    )
    return shell(lang, t("ui.sign.title", lang), main)
