"""The page's certificate sections: when the card and its certificates expire, the
auth certificate's details, and its download.

The sentences are ``jpkitool expiry``'s and ``cert show auth``'s (:mod:`jpki.words`);
an item's state, and so its warning, is the library's
(:func:`jpki.expiry.expiry_state`, at :data:`jpki.expiry.WARN_DAYS` as ``expiry``
without ``--warn-days``). Its words carry the warning too, not the colour alone. The
auth certificate holds no name (its subject is a serial-like string): nothing on it is
personal. Every field goes through :func:`html.escape`.
"""

from __future__ import annotations

import ssl
from html import escape

from ..cardcerts import CertificateChain
from ..errors import CardError, CertificateError, JpkiError
from ..expiry import ExpiryReport
from ..i18n import t
from ..words import expiry
from ..words.certs import show_lines
from ..words.errors import card_error, certificate_error
from .source import Certificates

#: A download's media type, by format: RFC 2585's for DER; PEM has none registered.
MEDIA_TYPES = {"pem": "application/x-pem-file", "der": "application/pkix-cert"}


def download_name(form: str) -> str:
    """The fixed name a downloaded certificate is saved under."""
    return f"auth-certificate.{form}"


def encoded(der: bytes, form: str) -> bytes:
    """The certificate as ``form`` says: DER as read, or PEM text."""
    return der if form == "der" else ssl.DER_cert_to_PEM_cert(der).encode("ascii")


def failure(exc: JpkiError, lang: str) -> str:
    """Why a certificate could not be read, in one line: the CLI's for a command the
    card refused or a certificate that could not be parsed."""
    if isinstance(exc, CardError):
        return card_error(exc, lang)
    if isinstance(exc, CertificateError):
        return certificate_error(exc, lang)
    return t("ui.unreadable", lang)


def sections(certs: Certificates, lang: str) -> str:
    """The expiry section, then the auth certificate's."""
    return expiry_section(certs.expiry, lang) + certificate_section(certs.auth, lang)


def section(name: str, lang: str, inner: str) -> str:
    """A section headed by the catalogue's ``ui.<name>``, its id and class ``name``."""
    heading = escape(t(f"ui.{name}", lang))
    return (
        f'<section aria-labelledby="{name}" class="{name}">\n'
        f'<h2 id="{name}">{heading}</h2>\n{inner}</section>\n'
    )


def failed(exc: JpkiError, lang: str) -> str:
    return f'<p class="failed">{escape(failure(exc, lang))}</p>\n'


def expiry_section(report: ExpiryReport | JpkiError, lang: str) -> str:
    if isinstance(report, JpkiError):
        return section("expiry", lang, failed(report, lang))
    items = "".join(
        f'<li class="expiry-{item.state.value}">{escape(expiry.item_line(item, lang))}</li>\n'
        for item in report.items
    )
    html = f'<ul class="dates">\n{items}</ul>\n'
    what_next = expiry.advice(report, lang)
    if what_next is not None:
        html += f'<p class="expiry-advice">{escape(what_next)}</p>\n'
    return section("expiry", lang, html)


def certificate_section(chain: CertificateChain | JpkiError, lang: str) -> str:
    if isinstance(chain, JpkiError):
        return section("certificate", lang, failed(chain, lang))
    cert = chain.certificate
    assert cert.checked_at is not None  # read_chain checked it then
    lines = show_lines(cert, chain.result, cert.checked_at, False, lang=lang)
    rows = line_items(lines)
    links = " ".join(
        f'<a href="/certificate/{download_name(form)}" download>'
        f"{escape(t(f'ui.download.{form}', lang))}</a>"
        for form in MEDIA_TYPES
    )
    sign = escape(t("ui.sign.link", lang))
    html = (
        f'<ul class="lines">\n{rows}</ul>\n'
        f'<p class="downloads">{escape(t("ui.download", lang))} {links}</p>\n'
        f'<p class="sign-link"><a href="/certificate/sign">{sign}</a></p>\n'
    )
    return section("certificate", lang, html)


def line_items(lines: list[str]) -> str:
    """``cert show``'s lines as list items, each escaped, its indent as its level."""
    return "".join(
        f'<li class="level-{(len(line) - len(line.lstrip(" "))) // 2}">'
        f"{escape(line.strip())}</li>\n"
        for line in lines
    )
