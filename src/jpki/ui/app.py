"""The page's routes, a Starlette application behind :class:`jpki.ui.guard.Guard`.

``GET /``: the page (:mod:`jpki.ui.page`), the card read afresh. ``GET /status``: the
readers' state as JSON, without the card (:mod:`jpki.ui.live`).
``GET /certificate/auth-certificate.pem`` (and ``.der``): the auth certificate, read
afresh, as a download (:mod:`jpki.ui.certview`). ``GET /static/NAME``: its stylesheets
and scripts (``static/``), served from this package (nothing comes from elsewhere).
``/certificate/sign``: the sign certificate after ① is entered, its personal data
shown once when asked (:mod:`jpki.ui.signcert`).
``/pin...``: checking and changing a PIN, and ``/pin/result/ID`` what it did, shown
once (:mod:`jpki.ui.pins`).
``POST /lang``: the page's language (``lang=ja|en``), kept by the server, which has one
user. ``POST /quit``: the server stops after answering. The guard has checked the
Host, the cookie, and for a POST its Origin and CSRF token before any of these runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import JpkiError
from ..i18n import LANGUAGES
from ..retries import RetriesReport
from . import certview, page
from .guard import Guard, Secrets
from .once import OneTime
from .pins import PinPages
from .signcert import SignPages
from .source import CardSource

STATIC = Path(__file__).resolve().parent / "static"
#: What ``/static/NAME`` serves: the stylesheets and scripts of the package's ``static``.
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


class Page:
    """The page's state: the card, the language, and what 終了 calls."""

    def __init__(
        self, source: CardSource, lang: str, csrf: str, on_quit: Callable[[], None]
    ) -> None:
        self.source = source
        self.lang = lang
        self.csrf = csrf
        self.on_quit = on_quit
        self.files = {p.name: p.read_bytes() for p in STATIC.iterdir() if p.suffix in MEDIA_TYPES}

    def show(self, request: Request) -> Response:
        seen = self.source.look()  # before the reading: a change while reading shows
        reading = self.source.read()
        certs = self.source.certificates() if isinstance(reading, RetriesReport) else None
        return HTMLResponse(page.render(reading, self.lang, self.csrf, certs, seen))

    def download(self, request: Request) -> Response:
        form = request.path_params["form"]
        der = self.source.auth_certificate() if form in certview.MEDIA_TYPES else None
        if der is None:
            return Response(status_code=404)
        if isinstance(der, JpkiError):
            text = certview.failure(der, self.lang)
            return HTMLResponse(page.failed(self.lang, text), status_code=503)
        name = certview.download_name(form)
        return Response(
            certview.encoded(der, form),
            media_type=certview.MEDIA_TYPES[form],
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    def status(self, request: Request) -> Response:
        return JSONResponse(self.source.look())

    def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.files:
            return Response(status_code=404)
        return Response(self.files[name], media_type=MEDIA_TYPES[Path(name).suffix])

    async def switch(self, request: Request) -> Response:
        wanted = parse_qs((await request.body()).decode("latin-1")).get("lang", [""])[0]
        if wanted in LANGUAGES:
            self.lang = wanted
        return RedirectResponse("/", status_code=303)

    def quit(self, request: Request) -> Response:
        self.on_quit()
        return HTMLResponse(page.stopped(self.lang))


def build(
    source: CardSource,
    lang: str,
    port: int,
    on_quit: Callable[[], None],
    keys: Secrets | None = None,
    experimental: bool = False,
    forms: OneTime | None = None,
) -> Guard:
    """The whole application for a server on ``port``: the routes behind the guard;
    ``experimental``: ③ may be changed (``jpkitool ui --experimental``); ``forms``: the
    PIN forms' one-time ids (a test issues its own)."""
    keys = keys or Secrets()
    state = Page(source, lang, keys.csrf, on_quit)
    pins = PinPages(state, experimental, forms)
    sign = SignPages(state, pins)
    routes = [
        Route("/", state.show, methods=["GET"]),
        Route("/status", state.status, methods=["GET"]),
        Route("/static/{name}", state.static, methods=["GET"]),
        Route("/certificate/auth-certificate.{form}", state.download, methods=["GET"]),
        Route("/certificate/sign", sign.show, methods=["GET"]),
        Route("/certificate/sign", sign.submit, methods=["POST"]),
        Route("/certificate/sign/personal", sign.reveal, methods=["POST"]),
        Route("/lang", state.switch, methods=["POST"]),
        Route("/quit", state.quit, methods=["POST"]),
        Route("/pin", pins.menu, methods=["GET"]),
        Route("/pin/result/{key}", pins.result, methods=["GET"]),
        Route("/pin/{operation}", pins.show, methods=["GET"]),
        Route("/pin/{operation}", pins.submit, methods=["POST"]),
    ]
    return Guard(Starlette(routes=routes), port, keys, page.welcome(lang).encode())
