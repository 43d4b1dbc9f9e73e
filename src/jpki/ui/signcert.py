"""The signature certificate on the page, after ① is entered: ``cert show sign``.

``GET /certificate/sign``: ①'s count, read without spending a try, then ①'s form, as
the PIN check opens it (:meth:`jpki.ui.pins.PinPages.open_form`: a locked ①, or a card
without sign certificate, gets a sentence and no form). ``POST /certificate/sign``: the
form taken as the PIN check takes it (its one-time id, then ①'s value checked with no
card session); then :func:`jpki.cardcerts.read_chain` verifies ① under its guards and
reads the certificate, in the card's lock, with no retry, and leaves the card
unverified as ``cert show sign`` does. The result is kept for one GET (a 303).

The result shows the certificate's lines with the personal data hidden (name,
address, birth date, sex, and the subject's localities), as ``cert show sign`` prints
them. The lines with the personal data are kept apart, under another one-time id,
for one ``POST /certificate/sign/personal`` sent by the result's button: shown once,
then forgotten; they are never in an address, a log or a page kept after.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .. import profile
from ..card import MyNumberCard
from ..cardcerts import read_chain
from ..errors import CardError, CertificateError, JpkiError
from ..i18n import t
from ..pinresult import PinCommandResult
from ..words.certs import show_lines
from ..words.failures import access_text
from ..words.pins import card_left_lines
from . import certview, signpage
from .once import OneTime
from .pinpage import CERTIFICATE
from .pins import PageState, PinPages, Sent, form_fields


class SignPages:
    """The sign certificate's routes, over the PIN check's forms (``pins``)."""

    def __init__(self, state: PageState, pins: PinPages) -> None:
        self.state = state
        self.pins = pins
        self.personal = OneTime()

    def show(self, request: Request) -> Response:
        return self.pins.open_form(CERTIFICATE, profile.SIGN)

    async def submit(self, request: Request) -> Response:
        sent = self.pins.received(CERTIFICATE, profile.SIGN, await form_fields(request))
        if not isinstance(sent, Sent):
            return sent
        # In a worker thread: the card's lock may be held by a page being read.
        return await run_in_threadpool(self.run, sent)

    def run(self, sent: Sent) -> Response:
        """① verified and the certificate read, one try at most; its lines kept for one
        GET, with the personal data hidden, and apart for one POST that shows them."""
        lang, source = self.state.lang, self.state.source
        now = source.clock()
        value = sent.plan.currents[profile.SIGN.id]
        card: MyNumberCard | None = None
        try:
            with source.pin_session() as card, card.transaction():
                chain = read_chain(
                    card,
                    "sign",
                    now,
                    sign_pin=value,
                    force=sent.force,
                    accept_unknown_count=sent.accept,
                )
        except (JpkiError, ValueError, OSError) as exc:
            after = isinstance(exc, JpkiError) and not isinstance(exc.result, PinCommandResult)
            if after and card is not None and card.permits_issued:  # ① was sent and correct
                return self.pins.kept(
                    signpage.failed(after_pin(exc, lang), left_of(card, lang), lang)
                )
            return self.pins.failed(CERTIFICATE, sent, exc)
        left = left_of(card, lang)
        cert, result = chain.certificate, chain.result
        hidden = [page_line(line, lang) for line in show_lines(cert, result, now, False, lang=lang)]
        shown = show_lines(cert, result, now, True, lang=lang)
        key = self.personal.issue(signpage.personal(shown, left, lang))
        return self.pins.kept(signpage.hidden(hidden, left, lang, self.state.csrf, key))

    async def reveal(self, request: Request) -> Response:
        """The personal lines of one result, once; then a sentence that they are gone."""
        key = (await form_fields(request)).get("key", [""])[0]
        page = self.personal.take(key)
        if page is None:
            return HTMLResponse(signpage.gone(self.state.lang), status_code=410)
        return HTMLResponse(page)


def after_pin(exc: Exception, lang: str) -> str:
    """What stopped the reading after ① was found correct (no try spent): the line
    ``cert show sign`` prints for it."""
    if isinstance(exc, CardError | CertificateError):
        return certview.failure(exc, lang)
    return access_text(exc, lang)


def left_of(card: MyNumberCard, lang: str) -> list[str]:
    """How the library left the card, as ``cert show sign`` says it."""
    return card_left_lines(card.card_left, card.left_steps, lang)


def page_line(line: str, lang: str) -> str:
    """``cert show``'s line, but the page's own words where the CLI's name its option
    (``--show-personal``): the page's button."""
    return t("ui.sign.personal_hidden", lang) if line == t("cert.personal.hidden", lang) else line
